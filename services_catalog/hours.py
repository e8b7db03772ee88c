"""Opening hours on China's calendar: open now, today's hours and the next opening, in Shanghai time.

A facility's weekly hours are written in OpenStreetMap `opening_hours` syntax and parsed once by
opening-hours-py. Public holidays and adjusted working days (调休) are *not* taken from that library's
`PH` support (it knows one day per festival and no adjusted days); `ChinaCalendar` decides, from
chinese-calendar plus the catalogue's `HolidayOverride`s, and `FacilityHours` applies the facility's
`HolidayPolicy` day by day:

- `open`: the weekly hours of the date, whatever the calendar says;
- `closed_on_holidays`: closed all day on a holiday, the weekly hours of the weekday otherwise;
- `workday_calendar`: closed on holidays; on an adjusted working day the hours of the Monday of the
  same ISO week (a plain weekday to opening-hours-py, which is given no country), so a Saturday
  worked for National Day gets the weekday hours; the weekly hours otherwise.

China has no daylight-saving time, so wall-clock arithmetic in Asia/Shanghai is exact; opening-hours-py
is fed and returns naive Shanghai wall-clock datetimes.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

import chinese_calendar
import opening_hours

from services_catalog.models import HolidayOverride, HolidayPolicy

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")

CLOSED = "closed"  # hours_today for a day without opening; renderers translate it
NEXT_OPEN_SEARCH_DAYS = 14

_MINUTES_PER_DAY = 24 * 60
_DAY_CACHE_LIMIT = 512  # dates per facility; a day is a handful of small tuples

# chinese-calendar's English holiday names → the names residents use.
_HOLIDAY_NAMES_ZH: dict[str, str] = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


def to_shanghai(moment: dt.datetime | None = None) -> dt.datetime:
    """Return `moment` as an aware Asia/Shanghai datetime: None is now, naive is Shanghai wall time."""
    if moment is None:
        return dt.datetime.now(SHANGHAI)
    if moment.tzinfo is None or moment.utcoffset() is None:
        return moment.replace(tzinfo=SHANGHAI)
    return moment.astimezone(SHANGHAI)


_PARSER_POSITION = re.compile(r"-->\s*\d+:(\d+)")
_PARSER_EXPECTED = re.compile(r"=\s*(.+)")


def validate_opening_hours(spec: str) -> str | None:
    """Return None when `spec` is valid opening_hours syntax, else a one-line English reason."""
    if not spec.strip():
        return "opening_hours is empty"
    try:
        opening_hours.OpeningHours(spec)
    except opening_hours.ParserError as error:  # type: ignore[attr-defined]  # missing from the stub
        text = str(error)
        column = _PARSER_POSITION.search(text)
        expected = _PARSER_EXPECTED.search(text)
        where = f" at column {column.group(1)}" if column else ""
        why = f": {expected.group(1).strip()}" if expected else ""
        return f"invalid opening_hours syntax{where}{why}"
    return None


class DayType(StrEnum):
    """What kind of day a date is on China's calendar."""

    holiday = "holiday"  # a public holiday, including the days in lieu (调休放假)
    adjusted_workday = "adjusted_workday"  # a Saturday or Sunday worked instead (调休上班)
    workday = "workday"
    weekend = "weekend"


class _DayInfo(NamedTuple):
    day_type: DayType
    known: bool
    name: str | None


class ChinaCalendar:
    """China's public holidays and adjusted working days, from chinese-calendar and the catalogue.

    The catalogue's overrides win over chinese-calendar. For a date in a year chinese-calendar does not
    cover and no override fixes, `day_type` falls back to workday/weekend by weekday and `is_known` is
    False, so callers can say that holiday hours are not yet published.
    """

    def __init__(self, overrides: Iterable[HolidayOverride] = ()) -> None:
        # A later override for the same date wins; the catalogue validator reports duplicates.
        self._overrides: dict[dt.date, HolidayOverride] = {o.date: o for o in overrides}
        self._days: dict[dt.date, _DayInfo] = {}

    def day_type(self, day: dt.date) -> DayType:
        """Return whether `day` is a holiday, an adjusted working day, a workday or a weekend day."""
        return self._info(day).day_type

    def is_known(self, day: dt.date) -> bool:
        """Return True when chinese-calendar or an override covers `day`."""
        return self._info(day).known

    def holiday_name(self, day: dt.date) -> str | None:
        """Return the festival's Chinese name (国庆节) on its holidays and on the days worked for it."""
        return self._info(day).name

    def _info(self, day: dt.date) -> _DayInfo:
        info = self._days.get(day)
        if info is None:
            info = self._days[day] = self._compute(day)
        return info

    def _compute(self, day: dt.date) -> _DayInfo:
        weekend = day.weekday() >= 5
        library_name = _library_holiday_name(day)
        override = self._overrides.get(day)
        if override is not None:
            name = override.name or library_name
            if override.status == "holiday":
                return _DayInfo(DayType.holiday, True, name)
            return _DayInfo(DayType.adjusted_workday if weekend else DayType.workday, True, name)
        try:
            is_holiday, english = chinese_calendar.get_holiday_detail(day)
        except NotImplementedError:  # a year chinese-calendar has no data for (2027 as of 1.11)
            # The law fixes some holidays by date every year; those are holidays whatever the
            # State Council's schedule adds. The rest of the year stays "not yet published".
            statutory = _STATUTORY_DATES.get((day.month, day.day))
            if statutory is not None:
                return _DayInfo(DayType.holiday, False, statutory)
            return _DayInfo(DayType.weekend if weekend else DayType.workday, False, None)
        name = _HOLIDAY_NAMES_ZH.get(english, english) if english else None
        if is_holiday:
            # chinese-calendar also calls plain Saturdays and Sundays holidays, but without a name.
            if english or not weekend:
                return _DayInfo(DayType.holiday, True, name)
            return _DayInfo(DayType.weekend, True, None)
        return _DayInfo(DayType.adjusted_workday if weekend else DayType.workday, True, name)


# Public holidays fixed by date in 《全国年节及纪念日放假办法》 (as amended in 2024): New Year's
# Day, 1-2 May, 1-3 October. Lunar-calendar holidays move and are left to the published schedule.
_STATUTORY_DATES: dict[tuple[int, int], str] = {
    (1, 1): "元旦",
    (5, 1): "劳动节",
    (5, 2): "劳动节",
    (10, 1): "国庆节",
    (10, 2): "国庆节",
    (10, 3): "国庆节",
}


def _library_holiday_name(day: dt.date) -> str | None:
    try:
        english = chinese_calendar.get_holiday_detail(day)[1]
    except NotImplementedError:
        return None
    return _HOLIDAY_NAMES_ZH.get(english, english) if english else None


@dataclass(frozen=True, slots=True)
class HoursState:
    """A facility's hours as seen at one moment, for the renderers.

    `open_now`, `hours_today` and `next_open` are None when the facility's hours are unknown.
    `hours_today` is "08:00-11:30,13:00-16:30", "00:00-24:00" for all day, or "closed" (renderers
    translate it). `calendar_known` is False when a date used lies in a year China's holiday schedule
    is not yet published for: the hours then follow the weekly pattern and callers should say so.
    `confirmed` is False for typical hours not confirmed for this site.
    """

    open_now: bool | None
    hours_today: str | None
    next_open: dt.datetime | None
    calendar_known: bool
    day_type: DayType
    confirmed: bool


# An opening as minutes after the start of its own day; `end` passes 1440 when it runs past midnight.
Span = tuple[int, int]


class FacilityHours:
    """One facility's opening hours on China's calendar, parsed once and cached per date."""

    def __init__(
        self,
        spec: str | None,
        policy: HolidayPolicy,
        calendar: ChinaCalendar,
        confirmed: bool,
    ) -> None:
        """Parse `spec` once; raise ValueError when it is not valid opening_hours syntax."""
        self.spec = spec
        self.policy = policy
        self.calendar = calendar
        self.confirmed = confirmed
        self._weekly: opening_hours.OpeningHours | None = None
        if spec is not None:
            problem = validate_opening_hours(spec)
            if problem is not None:
                raise ValueError(f"{problem}: {spec!r}")
            self._weekly = opening_hours.OpeningHours(spec)
        self._rule_spans: dict[dt.date, tuple[Span, ...]] = {}  # by the date whose weekly rules apply
        self._day_spans: dict[dt.date, tuple[Span, ...]] = {}  # by calendar date, policy applied

    def state_at(self, moment: dt.datetime) -> HoursState:
        """Return whether the facility is open at `moment`, its hours that day and its next opening."""
        local = to_shanghai(moment)
        today = local.date()
        day_type = self.calendar.day_type(today)
        known = self.calendar.is_known(today)
        if self._weekly is None:
            return HoursState(None, None, None, known, day_type, self.confirmed)

        minute = local.hour * 60 + local.minute + local.second / 60
        spans = self.spans_on(today)
        if any(start <= minute < end for start, end in spans):
            return HoursState(True, _format_spans(spans), None, known, day_type, self.confirmed)

        # Still inside yesterday's opening that runs past midnight: that business day is the one
        # in progress, so its hours are the ones to show (never "closed" while open).
        yesterday = self.spans_on(today - dt.timedelta(days=1))
        if any(end > _MINUTES_PER_DAY and minute < end - _MINUTES_PER_DAY for _, end in yesterday):
            return HoursState(True, _format_spans(yesterday), None, known, day_type, self.confirmed)

        next_open: dt.datetime | None = None
        later = [start for start, _ in spans if start > minute]
        if later:
            next_open = _at_minute(today, min(later))
        else:
            for offset in range(1, NEXT_OPEN_SEARCH_DAYS + 1):
                day = today + dt.timedelta(days=offset)
                known = known and self.calendar.is_known(day)
                day_spans = self.spans_on(day)
                if day_spans:
                    next_open = _at_minute(day, day_spans[0][0])
                    break
        return HoursState(False, _format_spans(spans), next_open, known, day_type, self.confirmed)

    def spans_on(self, day: dt.date) -> tuple[Span, ...]:
        """Return the openings that start on `day` (minutes after midnight), with the calendar applied."""
        spans = self._day_spans.get(day)
        if spans is None:
            rule_day = self._rule_day(day)
            spans = () if rule_day is None else self._spans_by_rule(rule_day)
            if len(self._day_spans) >= _DAY_CACHE_LIMIT:
                self._day_spans.clear()
            self._day_spans[day] = spans
        return spans

    def _rule_day(self, day: dt.date) -> dt.date | None:
        """Return the date whose weekly hours apply on `day`, or None when closed all day."""
        if self.policy is HolidayPolicy.open:
            return day
        day_type = self.calendar.day_type(day)
        if day_type is DayType.holiday:
            return None
        if day_type is DayType.adjusted_workday and self.policy is HolidayPolicy.workday_calendar:
            return day - dt.timedelta(days=day.weekday())  # that week's Monday: a regular weekday
        return day

    def _spans_by_rule(self, rule_day: dt.date) -> tuple[Span, ...]:
        spans = self._rule_spans.get(rule_day)
        if spans is None:
            spans = () if self._weekly is None else _openings_of_day(self._weekly, rule_day)
            if len(self._rule_spans) >= _DAY_CACHE_LIMIT:
                self._rule_spans.clear()
            self._rule_spans[rule_day] = spans
        return spans


def _openings_of_day(weekly: opening_hours.OpeningHours, rule_day: dt.date) -> tuple[Span, ...]:
    """Ask opening-hours-py for the openings that belong to `rule_day`.

    Openings are read over three days so that one crossing midnight is kept whole by the day it
    starts on (22:00-02:00), while the early hours continued from the day before are left to that
    day. An opening covering the whole day counts as 00:00-24:00.
    """
    day_start = dt.datetime.combine(rule_day, dt.time())
    next_day = day_start + dt.timedelta(days=1)
    day_after = next_day + dt.timedelta(days=1)
    window_start = day_start - dt.timedelta(days=1)
    openings: list[list[dt.datetime]] = []
    for start, end, state, _comment in weekly.intervals(window_start, day_after):
        # "unknown" ranges count as closed: never promise a resident an open door.
        if state != opening_hours.State.OPEN:
            continue
        if openings and openings[-1][1] == start:
            openings[-1][1] = end
        else:
            openings.append([start, end])
    spans: list[Span] = []
    for start, end in openings:
        if start < day_start:
            if end >= next_day:
                spans.append((0, _MINUTES_PER_DAY))
            continue  # continued from the day before: that day's opening
        if start >= next_day:
            break
        if end >= day_after:
            end = next_day  # open on into the following days: each day shows its own 24 hours
        spans.append((_minutes_between(day_start, start), _minutes_between(day_start, end)))
    return tuple(spans)


def _minutes_between(start: dt.datetime, end: dt.datetime) -> int:
    return int((end - start).total_seconds()) // 60


def _at_minute(day: dt.date, minute: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=SHANGHAI) + dt.timedelta(minutes=minute)


def _format_spans(spans: tuple[Span, ...]) -> str:
    if not spans:
        return CLOSED
    return ",".join(f"{_clock(start)}-{_clock(end)}" for start, end in spans)


def _clock(minute: int) -> str:
    if minute > _MINUTES_PER_DAY:
        minute -= _MINUTES_PER_DAY
    return f"{minute // 60:02d}:{minute % 60:02d}"
