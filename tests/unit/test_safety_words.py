"""How the safety reading finds its words in a message: the longest word at each place, one after
another, and an English word only where it stands whole ("fire", not the "fire" in "firefighter")."""

from __future__ import annotations

from services_catalog.safety import Lexicon, TaggedLexicon


def test_the_longest_word_at_a_place_wins_and_the_next_is_found_after_it() -> None:
    words = Lexicon(["倒", "倒地", "地上", "叫不醒"])
    assert words.find("他倒地上叫不醒") == [(1, 3, "倒地"), (4, 7, "叫不醒")]
    assert words.search("他倒地上") == "倒地"


def test_english_words_count_only_whole() -> None:
    words = Lexicon(["fire", "fell"])
    assert words.find("the firefighter fell") == [(16, 20, "fell")]
    assert words.find("fire!") == [(0, 4, "fire")]
    assert words.search("bonfires") is None
    assert words.starts("fire in the kitchen") and not words.starts("afire")
    assert words.ends("there is a fire") and not words.ends("there is a fire2")


def test_a_word_in_several_groups_carries_every_tag() -> None:
    words = TaggedLexicon([("medical", ["晕倒"]), ("sign", ["晕倒", "出血"])])
    assert words.tagged("晕倒了还出血") == [(0, 2, "晕倒", ["medical", "sign"]), (4, 6, "出血", ["sign"])]


def test_no_words_find_nothing() -> None:
    empty = Lexicon([" ", ""])
    assert not empty and empty.find("着火了") == [] and empty.search("着火了") is None
