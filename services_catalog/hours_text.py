"""Opening hours for the people who type them: a plain-language reading, and mistakes explained.

Staff write OpenStreetMap `opening_hours` (`Mo-Fr 08:00-11:30,13:30-16:30; Sa 08:00-11:30`).
`weekly_groups` reads a spec back as days with the same hours (the renderers turn it into
"周一至周五 08:00–11:30、13:30–16:30；周六 08:00–11:30；周日休息"), computed by the same
`FacilityHours` the answers use, so the preview cannot disagree with what residents are told.

`hours_issue` explains a spec that does not parse in terms of the usual slips (Chinese weekday
words, full-width punctuation, "8:30", "8-17", "~"), each with an example, and offers a corrected
spec when fixing those slips makes it valid. Both return data (codes and values), not sentences:
the words are in the locale files.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from services_catalog.hours import ChinaCalendar, FacilityHours, Span, validate_opening_hours
from services_catalog.models import HolidayPolicy

# A week without public holidays, whose weekly rules are read (Monday 2025-06-09 to Sunday 06-15).
REFERENCE_MONDAY = dt.date(2025, 6, 9)
MAX_SPEC_CHARS = 500

# Rules that vary by date or season: a single week then does not tell the whole story.
_DATED = re.compile(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec|week|easter|SH|\d{4})\b")
_PUBLIC_HOLIDAY = re.compile(r"\bPH\b")


@dataclass(frozen=True)
class DayGroup:
    """Weekdays (0 = Monday) that share the same openings; no spans means closed."""

    days: tuple[int, ...]
    spans: tuple[Span, ...]


@dataclass(frozen=True)
class WeeklyHours:
    """What a spec means in an ordinary week, and what the reading leaves out."""

    groups: tuple[DayGroup, ...]
    dated: bool  # some rules depend on the date or season: the week shown is an ordinary one
    ph_rule: bool  # the spec has PH rules, which Doorstep replaces by the `holidays` field


def weekly_groups(spec: str) -> WeeklyHours:
    """The ordinary week of a valid `spec`, consecutive days with the same hours grouped.

    Raises ValueError when `spec` is not valid opening_hours syntax.
    """
    hours = FacilityHours(spec, HolidayPolicy.open, ChinaCalendar(), confirmed=True)
    week = [hours.spans_on(REFERENCE_MONDAY + dt.timedelta(days=d)) for d in range(7)]
    groups: list[DayGroup] = []
    for day, spans in enumerate(week):
        if groups and groups[-1].spans == spans and groups[-1].days[-1] == day - 1:
            groups[-1] = DayGroup((*groups[-1].days, day), spans)
        else:
            groups.append(DayGroup((day,), spans))
    return WeeklyHours(tuple(groups), bool(_DATED.search(spec)), bool(_PUBLIC_HOLIDAY.search(spec)))


def clock(minute: int) -> str:
    """08:30; 24:00 for the end of the day."""
    return f"{minute // 60:02d}:{minute % 60:02d}"


@dataclass(frozen=True)
class HoursIssue:
    """Why a spec was refused: `codes` name the slips found (locale keys), `suggestion` a fix."""

    codes: tuple[str, ...]
    column: int | None = None  # where the parser stopped (1-based), when no known slip explains it
    suggestion: str | None = None  # a corrected spec that is valid, when one was found
    found: dict[str, str] = field(default_factory=dict)  # the offending text per code, to quote


_FULL_WIDTH = str.maketrans({"：": ":", "，": ",", "；": ";", "－": "-", "—": "-", "–": "-", "、": ","})
_CHINESE_DAYS = dict(zip("一二三四五六日天", ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su", "Su"), strict=True))
_CHINESE_DAY = re.compile(r"(?:周|星期|礼拜)([一二三四五六日天])")
_CHINESE_RANGE = re.compile(r"(?<=[A-Z][a-z])\s*(?:至|到|~|～)\s*(?=[A-Z][a-z])")
_CLOSED_WORDS = re.compile(r"休息|闭馆|关门|不开放|\bclosed\b", re.IGNORECASE)
_DAY_WORDS = {
    "monday": "Mo", "mon": "Mo", "tuesday": "Tu", "tues": "Tu", "tue": "Tu", "wednesday": "We",
    "wed": "We", "thursday": "Th", "thurs": "Th", "thu": "Th", "friday": "Fr", "fri": "Fr",
    "saturday": "Sa", "sat": "Sa", "sunday": "Su", "sun": "Su",
}  # fmt: skip
_LONG_DAY = re.compile(r"\b(" + "|".join(sorted(_DAY_WORDS, key=len, reverse=True)) + r")\b", re.IGNORECASE)
_LOWER_DAY = re.compile(r"\b(mo|tu|we|th|fr|sa|su|ph)\b")
_TILDE = re.compile(r"\s*[~～]\s*")
_ONE_DIGIT_HOUR = re.compile(r"(?<![\d:])(\d):(\d\d)")
_HOURS_ONLY = re.compile(r"(?<![\d:])(\d{1,2})\s*-\s*(\d{1,2})(?![\d:])")
_CHINESE_TIME_WORDS = re.compile(r"上午|下午|中午|晚上|早上|点|时")


def hours_issue(spec: str) -> HoursIssue | None:
    """None when `spec` is valid; else the slips found in it, and a valid fix when one exists."""
    spec = spec.strip()
    if not spec:
        return HoursIssue(("empty",))
    if len(spec) > MAX_SPEC_CHARS:
        return HoursIssue(("too_long",))
    problem = validate_opening_hours(spec)
    if problem is None:
        return None
    codes: list[str] = []
    found: dict[str, str] = {}
    fixed = spec

    def note(code: str, match: str | None = None) -> None:
        if code not in codes:
            codes.append(code)
            if match:
                found[code] = match

    if any(ch in spec for ch in _FULL_WIDTH_CHARS):
        note("full_width", next(ch for ch in spec if ch in _FULL_WIDTH_CHARS))
        fixed = fixed.translate(_FULL_WIDTH)
    if m := _CHINESE_DAY.search(fixed):
        note("chinese_days", m.group(0))
        fixed = _CHINESE_DAY.sub(lambda d: _CHINESE_DAYS[d.group(1)], fixed)
        fixed = _CHINESE_RANGE.sub("-", fixed)
        fixed = re.sub(r"(?<=[A-Z][a-z])(?=\s*\d)", " ", fixed)
    if m := _LONG_DAY.search(fixed):
        note("long_days", m.group(0))
        fixed = _LONG_DAY.sub(lambda d: _DAY_WORDS[d.group(1).lower()], fixed)
    if m := _LOWER_DAY.search(fixed):
        note("lower_days", m.group(0))
        fixed = _LOWER_DAY.sub(lambda d: d.group(1).capitalize() if d.group(1) != "ph" else "PH", fixed)
    if m := _TILDE.search(fixed):
        note("tilde", m.group(0).strip())
        fixed = _TILDE.sub("-", fixed)
    if m := _CHINESE_TIME_WORDS.search(fixed):
        note("chinese_time_words", m.group(0))
    if m := _CLOSED_WORDS.search(fixed):
        note("closed_word", m.group(0))
        fixed = _CLOSED_WORDS.sub("off", fixed)
    if m := _ONE_DIGIT_HOUR.search(fixed):
        note("one_digit_hour", m.group(0))
        fixed = _ONE_DIGIT_HOUR.sub(r"0\1:\2", fixed)
    if m := _HOURS_ONLY.search(fixed):
        note("no_minutes", m.group(0))
        fixed = _HOURS_ONLY.sub(lambda t: f"{int(t.group(1)):02d}:00-{int(t.group(2)):02d}:00", fixed)
    fixed = re.sub(r"\s*;\s*", "; ", re.sub(r"\s*,\s*", ",", re.sub(r"\s+", " ", fixed))).strip()
    suggestion = fixed if fixed != spec and validate_opening_hours(fixed) is None else None
    if not codes:
        column = re.search(r"column (\d+)", problem)
        return HoursIssue(("syntax",), column=int(column.group(1)) if column else None)
    return HoursIssue(tuple(codes), suggestion=suggestion, found=found)


_FULL_WIDTH_CHARS = frozenset("：，；－—–、")
