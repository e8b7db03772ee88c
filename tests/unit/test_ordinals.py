"""Which numbered place a follow-up means, as people write it; the rest of the message goes to the Finder."""

from __future__ import annotations

import pytest

from services_catalog.ordinals import ordinal


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("第二个呢", 2),
        ("第2家", 2),
        ("2号", 2),
        ("那二号呢", 2),
        ("那么第十个吧?", 10),
        ("  3 ", 3),
        ("the second one", 2),
        ("second one", 2),
        ("number 2", 2),
        ("no.4", 4),
        ("What about the 2nd one?", 2),
        ("How about the first one?", 1),
    ],
)
def test_a_message_that_only_points_at_a_place_gives_its_number(text: str, number: int) -> None:
    """A message such as "第二个呢", "2号" or "the second one": the number, and nothing else to ask."""
    assert ordinal(text) == (number, "")


def test_a_question_about_a_numbered_place_keeps_the_question() -> None:
    """Place 2 of "第二个周六开门吗", and "周六开门吗" for the Finder to read."""
    assert ordinal("第二个周六开门吗") == (2, "周六开门吗")
    assert ordinal("第 三 处 周六开吗") == (3, "周六开吗")
    assert ordinal("the second one is it open on sunday") == (2, "is it open on sunday")


@pytest.mark.parametrize("text", ["周六开吗", "两个人", "100", "第十一个"])
def test_a_message_without_a_place_number_gives_none(text: str) -> None:
    """A question, a count of people ("两个人"), numbers beyond those it reads (100, 第十一个): no number."""
    assert ordinal(text) == (None, "")
