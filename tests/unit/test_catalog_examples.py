"""Example sentences are catalogue data: staff add them in YAML, the loader checks their meaning."""

from __future__ import annotations

from pathlib import Path

from services_catalog.loader import check_catalog, load_catalog

SEED_SPAM = "大佬们都在玩{精选官网网址: www.vip333.Co }值得信任的品牌平台!"


def write_examples(folder: Path, body: str) -> None:
    (folder / "examples").mkdir(exist_ok=True)
    (folder / "examples" / "mine.yaml").write_text("examples:\n" + body, encoding="utf-8")


def test_examples_load_in_file_order_with_their_meaning(mini_catalog: Path) -> None:
    """A staff member's example sentences reach the catalogue with the meaning they gave."""
    write_examples(
        mini_catalog,
        "  - intent: find_facility\n    kind: library\n"
        '    texts: ["想借几本书看看", "where can I borrow books"]\n'
        '  - intent: service_info\n    service: family_doctor\n    texts: ["签个固定的医生要带啥"]\n',
    )
    catalog = load_catalog(mini_catalog)
    assert [(e.intent, e.kind, e.service) for e in catalog.examples] == [
        ("find_facility", "library", None),
        ("service_info", None, "family_doctor"),
    ]
    assert catalog.examples[0].texts == ["想借几本书看看", "where can I borrow books"]


def test_an_example_naming_an_unknown_service_is_reported_at_its_line(mini_catalog: Path) -> None:
    """A misspelt service id is an error at its file and line, with a suggestion."""
    write_examples(
        mini_catalog,
        '  - intent: service_info\n    service: family_docter\n    texts: ["签家庭医生"]\n',
    )
    _, problems = check_catalog(mini_catalog)
    found = [p for p in problems if p.severity == "error"]
    assert [f"{p.file}:{p.line}: {p.field}" for p in found] == ["examples/mine.yaml:3: examples[0].service"]
    assert "family_doctor" in found[0].message


def test_an_example_whose_meaning_does_not_fit_its_intent_is_refused(mini_catalog: Path) -> None:
    """A service question without its service, and a complaint that is not handed off, are errors."""
    write_examples(
        mini_catalog,
        '  - intent: service_info\n    texts: ["怎么申请"]\n'
        '  - intent: find_facility\n    kind: clinic\n    complaint: true\n    texts: ["医院排队太久"]\n',
    )
    _, problems = check_catalog(mini_catalog)
    assert sorted(p.field for p in problems if p.severity == "error") == [
        "examples[0].intent",
        "examples[1].complaint",
    ]


def test_spam_in_an_example_is_refused_like_anywhere_else(mini_catalog: Path) -> None:
    """An example sentence is catalogue text: the seed's gambling spam cannot hide in one."""
    write_examples(
        mini_catalog,
        f'  - intent: out_of_scope\n    texts: ["{SEED_SPAM}"]\n',
    )
    catalog, problems = check_catalog(mini_catalog)
    assert catalog is None
    assert any(p.field.startswith("examples[0].texts") for p in problems)
