"""Opening hours read back in plain words, and the usual slips explained with a fix."""

from __future__ import annotations

import pytest

from services_catalog.hours_text import hours_issue, weekly_groups


def test_a_week_is_grouped_into_days_with_the_same_hours() -> None:
    week = weekly_groups("Mo-Fr 08:00-11:30,13:30-16:30; Sa 08:00-11:30")
    assert [(g.days, g.spans) for g in week.groups] == [
        ((0, 1, 2, 3, 4), ((480, 690), (810, 990))),
        ((5,), ((480, 690),)),
        ((6,), ()),
    ]
    assert not week.dated and not week.ph_rule


def test_always_open_is_one_group_of_whole_days() -> None:
    assert [(g.days, g.spans) for g in weekly_groups("24/7").groups] == [
        ((0, 1, 2, 3, 4, 5, 6), ((0, 1440),))
    ]


def test_rules_by_date_and_ph_rules_are_flagged() -> None:
    assert weekly_groups("Jul-Aug Mo-Su 09:00-17:00; Mo-Fr 09:00-17:00").dated
    assert weekly_groups("Mo-Fr 09:00-17:00; PH off").ph_rule


@pytest.mark.parametrize(
    ("typed", "codes", "fix"),
    [
        ("周一至周五 8:00-17:00", ("chinese_days", "one_digit_hour"), "Mo-Fr 08:00-17:00"),
        ("Mo-Fr 8:30~16:30", ("tilde", "one_digit_hour"), "Mo-Fr 08:30-16:30"),
        ("Mon-Fri 09:00-17:00", ("long_days",), "Mo-Fr 09:00-17:00"),
        ("Mo-Fr 8-17", ("no_minutes",), "Mo-Fr 08:00-17:00"),
        ("Mo-Fr 08:00-12:00； Su 休息", ("full_width", "closed_word"), "Mo-Fr 08:00-12:00; Su off"),
        ("周一至周五 08:00-11:30，13:30-16:30；周六 08:00-11:30", ("full_width", "chinese_days"),
         "Mo-Fr 08:00-11:30,13:30-16:30; Sa 08:00-11:30"),
        ("上午8点到下午5点", ("chinese_time_words",), None),
        ("xx yy", ("syntax",), None),
    ],
)  # fmt: skip
def test_usual_slips_are_named_and_fixed_when_a_fix_is_valid(
    typed: str, codes: tuple[str, ...], fix: str | None
) -> None:
    issue = hours_issue(typed)
    assert issue is not None
    assert issue.codes == codes
    assert issue.suggestion == fix


def test_valid_hours_have_no_issue() -> None:
    assert hours_issue("Mo-Fr 08:00-16:30; Sa 08:00-11:30") is None
    assert hours_issue("") is not None and hours_issue("x" * 600) is not None
