"""Example sentences are data: a staff member adds one, validates, reloads, and the new phrasing
works — no code changes. The trained model is kept by the hash of the examples."""

from __future__ import annotations

import shutil
from pathlib import Path

from services_catalog.answer import Question
from services_catalog.classifier import ModelStore, TextClassifier, examples_hash, train
from services_catalog.finder import Finder
from services_catalog.loader import check_catalog, load_catalog

MINI = Path(__file__).resolve().parents[1] / "unit" / "fixtures" / "catalog" / "valid"
QUESTION = "周末想找个安静看书的地方"

EXAMPLES = """examples:
  - intent: find_facility
    kind: library
    texts: ["想找个安静看书的地方", "周末带孩子去看看书", "哪里能借几本小说", "想找地方看书写作业"]
  - intent: find_facility
    kind: clinic
    texts: ["想量个血压配点药", "老是咳嗽想看看医生", "孩子发烧了想挂个号", "配降压药去哪里"]
  - intent: out_of_scope
    texts: ["今天天气怎么样", "推荐一家火锅店", "股票明天会涨吗", "帮我订张火车票"]
"""


def test_a_new_example_sentence_works_after_a_reload(tmp_path: Path) -> None:
    folder = tmp_path / "catalog"
    shutil.copytree(MINI, folder)
    store = ModelStore(tmp_path / "models")
    before = Finder(load_catalog(folder), models=store).answer(Question(QUESTION))
    assert before.intent == "out_of_scope"  # no word of the vocabulary is in it

    (folder / "examples").mkdir()
    (folder / "examples" / "library.yaml").write_text(EXAMPLES, encoding="utf-8")
    catalog, problems = check_catalog(folder)  # what `doorstep catalog validate` runs
    assert catalog is not None, problems
    after = Finder(catalog, models=store).answer(Question(QUESTION))
    assert (after.intent, after.kind) == ("find_facility", "library")
    assert after.why.startswith("classifier: find_facility:library")
    # Trained once, kept under the examples' hash for the next start.
    assert (tmp_path / "models" / f"classifier-{examples_hash(catalog.examples)}.npz").is_file()


def test_a_kept_model_answers_exactly_as_the_trained_one(tmp_path: Path) -> None:
    texts = ["我爸晕倒了", "着火了快来", "图书馆几点开门", "长护险怎么申请", "有人撬门"]
    labels = [
        "emergency:medical",
        "emergency:fire",
        "find_facility:library",
        "service_info:ltc",
        "emergency:police",
    ]
    model = train(texts * 2, labels * 2)
    model.save(tmp_path / "m.npz")
    again = TextClassifier.load(tmp_path / "m.npz")
    for text in ["我妈晕倒了", "图书馆开门吗"]:
        a, b = model.guess(text), again.guess(text)
        assert a.label == b.label
        assert abs(a.p - b.p) < 0.01 and abs(a.danger - b.danger) < 0.01


def test_editing_an_example_changes_the_models_name(tmp_path: Path) -> None:
    folder = tmp_path / "catalog"
    shutil.copytree(MINI, folder)
    (folder / "examples").mkdir()
    (folder / "examples" / "library.yaml").write_text(EXAMPLES, encoding="utf-8")
    first = examples_hash(load_catalog(folder).examples)
    (folder / "examples" / "library.yaml").write_text(
        EXAMPLES.replace("哪里能借几本小说", "哪里能借漫画"), "utf-8"
    )
    assert examples_hash(load_catalog(folder).examples) != first
