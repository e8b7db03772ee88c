"""The rules vocabulary.yaml states are checked, so a staff edit cannot quietly break them."""

from __future__ import annotations

from pathlib import Path

from services_catalog.loader import check_catalog


def add_to_vocabulary(folder: Path, text: str) -> None:
    path = folder / "vocabulary.yaml"
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def test_a_word_under_two_kinds_is_refused_unless_listed_as_ambiguous(mini_catalog: Path) -> None:
    path = mini_catalog / "vocabulary.yaml"
    path.write_text(
        path.read_text("utf-8").replace('library: {zh: ["图书馆"]}', 'library: {zh: ["图书馆", "社区医院"]}'),
        "utf-8",
    )
    _, problems = check_catalog(mini_catalog)
    assert any("'社区医院' is under clinic and library" in p.message for p in problems)
    add_to_vocabulary(mini_catalog, '  ambiguous: {zh: ["社区医院"]}\n')
    catalog, problems = check_catalog(mini_catalog)
    assert catalog is not None, problems


def test_an_excuse_inside_a_danger_word_is_refused(mini_catalog: Path) -> None:
    """'过去了' as a past marker would make '晕过去了' never an alarm."""
    add_to_vocabulary(
        mini_catalog,
        '  emergency:\n    medical: {number: "120", zh: ["晕过去了"]}\n'
        '  not_now:\n    past: {zh: ["过去了"]}\n',
    )
    _, problems = check_catalog(mini_catalog)
    assert any("'过去了' is inside the danger word '晕过去了'" in p.message for p in problems)


def test_a_critical_word_must_be_one_of_its_topics_danger_words(mini_catalog: Path) -> None:
    """A critical word that is no danger word would never be found, so never alarm: refused."""
    add_to_vocabulary(
        mini_catalog,
        '  emergency:\n    medical: {number: "120", zh: ["叫不醒"],\n'
        '              critical: {zh: ["叫不醒", "没有呼吸"]}}\n',
    )
    _, problems = check_catalog(mini_catalog)
    messages = [p.message for p in problems]
    assert any("critical word '没有呼吸' is not one of medical's danger words" in m for m in messages)
    assert not any("'叫不醒' is not one" in m for m in messages)
