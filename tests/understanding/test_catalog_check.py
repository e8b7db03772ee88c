"""`doorstep catalog check`: a staff edit that breaks understanding is caught before reload."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

from bot.cli import main
from tests.understanding.conftest import BUNDLED

SET = (
    '{"id": "t-1", "cat": "town_facility", "text": "白鹤镇有图书馆伐", '
    '"expect": {"intent": "find_facility", "kind": "library", "town": "白鹤镇", "top_town": "白鹤镇"}}\n'
    '{"id": "t-2", "cat": "emergency", "text": "我爸突然倒地不省人事", '
    '"expect": {"intent": "emergency", "reply_contains": ["120"]}}\n'
)


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), stdin=io.StringIO(""), stdout=out)
    return code, out.getvalue()


def test_an_edit_that_breaks_an_answer_is_listed_and_fails(tmp_path: Path) -> None:
    edited = tmp_path / "catalog"
    shutil.copytree(BUNDLED, edited)
    libraries = edited / "facilities" / "library.yaml"
    text = libraries.read_text("utf-8")
    baihe = text.index("  - id: library-baihe")
    # A slip in one record: the 白鹤 branch filed under another town.
    text = text[:baihe] + text[baihe:].replace('town: "白鹤镇"', 'town: "重固镇"', 1)
    libraries.write_text(text, "utf-8")
    sets = tmp_path / "sets"
    sets.mkdir()
    (sets / "mine.jsonl").write_text(SET, encoding="utf-8")
    (sets / "thresholds.json").write_text('{"mine.jsonl": 1.0}', encoding="utf-8")
    code, out = run("catalog", "check", str(edited), "--sets", str(sets))
    assert code == 1
    assert "NOW WRONG t-1" in out and "白鹤镇有图书馆伐" in out
    assert "t-2" not in out  # unchanged answers are not listed
    assert "mine.jsonl: 1.000 → 0.500" in out


def test_an_unchanged_catalogue_passes(tmp_path: Path) -> None:
    sets = tmp_path / "sets"
    sets.mkdir()
    (sets / "mine.jsonl").write_text(SET, encoding="utf-8")
    code, out = run("catalog", "check", str(BUNDLED), "--sets", str(sets))
    assert code == 0, out
    assert "0 answer(s) changed" in out


def test_an_invalid_catalogue_is_refused_before_answering(tmp_path: Path) -> None:
    edited = tmp_path / "catalog"
    shutil.copytree(BUNDLED, edited)
    (edited / "vocabulary.yaml").write_text("vocabulary: [not, a, mapping]\n", encoding="utf-8")
    code, out = run("catalog", "check", str(edited))
    assert code == 1 and "vocabulary" in out
