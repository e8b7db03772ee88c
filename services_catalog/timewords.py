"""Time words in a question move the moment asked about: "明天上午开吗" is about tomorrow at 10:00.

`parse_moment` reads one question (Simplified Chinese or English, already lower-cased) and returns the
`Moment` to answer for, with a short label in both languages that says which day is meant, so the
reply can state it ("明天（11月29日 周日）上午").

It looks for at most one of each: a day (今天, 明天, 后天, 大后天, 周六, 下周一, 这周末, 国庆, 春节 …),
a part of the day (上午 10:00, 中午 12:00, 下午 15:00, 晚上 19:00) and a clock time (9点, 十点半,
14:30, 3pm). When several days are named the first one counts. The patterns are compiled once, at
import, from the tables below; staff never edit these, they are grammar rather than vocabulary.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

import chinese_calendar

from services_catalog.hours import SHANGHAI, ChinaCalendar, DayType, to_shanghai

MOMENT_LABEL_KEY = "when.moment"  # the locale key a renderer frames `label_values[lang]` with

DEFAULT_HOUR = 10  # a day named without a time of day is answered for 10:00 (unless it is today)


@dataclass(frozen=True, slots=True)
class Moment:
    """The moment a question asks about.

    `label_key` is None when no time word moved the moment (the answer is for now); otherwise it is
    `MOMENT_LABEL_KEY` and `label_values` holds the label per language, {"zh": "明天（11月29日 周日）上午",
    "en": "tomorrow (Sun 29 Nov) morning"}. `explicit` is True when the question named a time of day
    (a clock time, a part of the day, or 现在/now) rather than leaving it to the default.
    """

    at: dt.datetime
    label_key: str | None = None
    label_values: dict[str, str] = field(default_factory=dict)
    explicit: bool = False

    def label(self, lang: str) -> str | None:
        """Return the label in `lang` ("zh" or "en"), or None when the moment was not moved."""
        return self.label_values.get(lang) if self.label_key else None


class _Day(NamedTuple):
    """A day named in the question, with how to say it."""

    date: dt.date
    zh: str
    en: str
    weekday_said: bool = False  # the words already name the weekday (周六), so the label omits it
    part: str | None = None  # a part of the day in the same word (今晚, 明早)


class _Part(NamedTuple):
    hour: int
    zh: str
    en: str
    afternoon: bool  # a clock hour below 12 said with it is p.m. (下午3点 = 15:00)


_PARTS: dict[str, _Part] = {
    "morning": _Part(10, "上午", "morning", afternoon=False),
    "noon": _Part(12, "中午", "noon", afternoon=False),
    "afternoon": _Part(15, "下午", "afternoon", afternoon=True),
    "evening": _Part(19, "晚上", "evening", afternoon=True),
    "early": _Part(6, "凌晨", "early morning", afternoon=False),
}

_PART_WORDS: dict[str, str] = {
    "上午": "morning",
    "早上": "morning",
    "早晨": "morning",
    "清早": "morning",
    "morning": "morning",
    "中午": "noon",
    "noon": "noon",
    "midday": "noon",
    "lunchtime": "noon",
    "下午": "afternoon",
    "afternoon": "afternoon",
    "晚上": "evening",
    "傍晚": "evening",
    "夜里": "evening",
    "evening": "evening",
    "凌晨": "early",
}

# word → (days from today, zh label, en label, part of day included in the word)
_RELATIVE_DAYS: dict[str, tuple[int, str, str, str | None]] = {
    "今天": (0, "今天", "today", None),
    "今日": (0, "今天", "today", None),
    "今儿": (0, "今天", "today", None),
    "today": (0, "今天", "today", None),
    "今早": (0, "今天", "today", "morning"),
    "今晚": (0, "今天", "today", "evening"),
    "tonight": (0, "今天", "today", "evening"),
    "明天": (1, "明天", "tomorrow", None),
    "明日": (1, "明天", "tomorrow", None),
    "明儿": (1, "明天", "tomorrow", None),
    "tomorrow": (1, "明天", "tomorrow", None),
    "明早": (1, "明天", "tomorrow", "morning"),
    "明晚": (1, "明天", "tomorrow", "evening"),
    "后天": (2, "后天", "the day after tomorrow", None),
    "day after tomorrow": (2, "后天", "the day after tomorrow", None),
    "大后天": (3, "大后天", "in three days", None),
}

_WEEKDAY_ZH = "一二三四五六日"
_WEEKDAY_CHARS: dict[str, int] = {**{c: i for i, c in enumerate(_WEEKDAY_ZH)}, "天": 6}
_WEEKDAYS_EN = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAY_ABBR_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTH_ABBR_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# Festival dates on the lunar calendar (正月初一, 五月初五, 八月十五). They are used only where the
# holiday calendar confirms the date is a public holiday, so a year China has not yet published
# (or a wrong entry) leaves the moment where it was.
_LUNAR_FESTIVALS: dict[str, dict[int, tuple[int, int]]] = {
    "spring": {
        2020: (1, 25), 2021: (2, 12), 2022: (2, 1), 2023: (1, 22), 2024: (2, 10), 2025: (1, 29),
        2026: (2, 17), 2027: (2, 6), 2028: (1, 26), 2029: (2, 13), 2030: (2, 3),
    },
    "dragon_boat": {
        2020: (6, 25), 2021: (6, 14), 2022: (6, 3), 2023: (6, 22), 2024: (6, 10), 2025: (5, 31),
        2026: (6, 19), 2027: (6, 9), 2028: (5, 28), 2029: (6, 16), 2030: (6, 5),
    },
    "mid_autumn": {
        2020: (10, 1), 2021: (9, 21), 2022: (9, 10), 2023: (9, 29), 2024: (9, 17), 2025: (10, 6),
        2026: (9, 25), 2027: (9, 15), 2028: (10, 3), 2029: (9, 22), 2030: (9, 12),
    },
}  # fmt: skip


def _fixed(month: int, day: int) -> Callable[[int, ChinaCalendar], dt.date | None]:
    def on(year: int, _calendar: ChinaCalendar) -> dt.date | None:
        return dt.date(year, month, day)

    return on


def _lunar(festival: str) -> Callable[[int, ChinaCalendar], dt.date | None]:
    def on(year: int, calendar: ChinaCalendar) -> dt.date | None:
        month_day = _LUNAR_FESTIVALS[festival].get(year)
        if month_day is None:
            return None
        day = dt.date(year, *month_day)
        if not calendar.is_known(day) or calendar.day_type(day) is not DayType.holiday:
            return None
        return day

    return on


def _qingming(year: int, _calendar: ChinaCalendar) -> dt.date | None:
    # 清明 is a solar term, so its date is astronomy rather than a published schedule.
    try:
        terms = chinese_calendar.get_solar_terms(dt.date(year, 4, 1), dt.date(year, 4, 10))
    except (NotImplementedError, ValueError, KeyError):
        return None
    for day, name in terms:
        if name == "清明" and isinstance(day, dt.date):
            return day
    return None


class _Festival(NamedTuple):
    zh: str
    en: str
    on: Callable[[int, ChinaCalendar], dt.date | None]


_FESTIVALS: dict[str, _Festival] = {
    "new_year": _Festival("元旦", "New Year's Day", _fixed(1, 1)),
    "spring": _Festival("春节", "Spring Festival", _lunar("spring")),
    "qingming": _Festival("清明节", "Qingming Festival", _qingming),
    "labour": _Festival("劳动节", "Labour Day", _fixed(5, 1)),
    "dragon_boat": _Festival("端午节", "Dragon Boat Festival", _lunar("dragon_boat")),
    "mid_autumn": _Festival("中秋节", "Mid-Autumn Festival", _lunar("mid_autumn")),
    "national": _Festival("国庆节", "National Day", _fixed(10, 1)),
}

_FESTIVAL_WORDS: dict[str, str] = {
    "元旦": "new_year",
    "new year's day": "new_year",
    "new year": "new_year",
    "春节": "spring",
    "过年": "spring",
    "大年初一": "spring",
    "spring festival": "spring",
    "chinese new year": "spring",
    "lunar new year": "spring",
    "清明": "qingming",
    "清明节": "qingming",
    "qingming": "qingming",
    "tomb-sweeping day": "qingming",
    "tomb sweeping day": "qingming",
    "五一": "labour",
    "劳动节": "labour",
    "labour day": "labour",
    "labor day": "labour",
    "may day": "labour",
    "端午": "dragon_boat",
    "端午节": "dragon_boat",
    "dragon boat festival": "dragon_boat",
    "中秋": "mid_autumn",
    "中秋节": "mid_autumn",
    "mid-autumn festival": "mid_autumn",
    "mid-autumn": "mid_autumn",
    "mid autumn": "mid_autumn",
    "国庆": "national",
    "国庆节": "national",
    "national day": "national",
}

_NOW_WORDS = ("现在", "目前", "此刻", "这会儿", "now", "right now")


# English words end at anything but a Latin letter; \b would not split "saturday开吗" (CJK is \w).
_START = r"(?<![a-z])"
_END = r"(?![a-z])"


def _alternation(words: tuple[str, ...] | list[str]) -> str:
    """A regex matching any of `words`, longest first; Latin words only as whole words."""
    parts = []
    for word in sorted(words, key=len, reverse=True):
        escaped = re.escape(word)
        parts.append(rf"{_START}{escaped}{_END}" if word.isascii() else escaped)
    return "|".join(parts)


_RELATIVE_RE = re.compile(_alternation(list(_RELATIVE_DAYS)))
_FESTIVAL_RE = re.compile(_alternation(list(_FESTIVAL_WORDS)))
_PART_RE = re.compile(r"(?<!good )(?:" + _alternation(list(_PART_WORDS)) + ")")
_NOW_RE = re.compile(_alternation(_NOW_WORDS))
_WEEKDAY_RE = re.compile(
    r"(?P<which>下下?|这|本)?(?:个)?(?:周|星期|礼拜)(?P<day>[一二三四五六日天])"
    rf"|{_START}(?P<which_en>next |this )?(?P<day_en>" + "|".join(_WEEKDAYS_EN) + rf"){_END}"
)
_WEEKEND_RE = re.compile(rf"(?P<which>下|这|本)?(?:个)?周末|{_START}(?P<which_en>next |this )?weekend{_END}")

_ZH_DIGITS = "零一二两三四五六七八九十"
_ZH_NUMERALS: dict[str, int] = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"两": 2}
_CLOCK_ZH_RE = re.compile(
    rf"(?P<hour>[0-9]{{1,2}}|[{_ZH_DIGITS}]{{1,3}})\s*点(?!点)(?P<oclock>钟)?"
    rf"(?:\s*(?P<minute>半|一刻|三刻|[0-9]{{1,2}}(?![0-9])|[{_ZH_DIGITS}]{{1,3}}(?=分))\s*分?)?"
)
_CLOCK_COLON_RE = re.compile(
    r"(?<![0-9:])(?P<hour>[01]?[0-9]|2[0-3])\s*[:：]\s*(?P<minute>[0-5][0-9])(?![0-9])(?:\s*(?P<ampm>[ap])\.?m(?![a-z])\.?)?"
)
_CLOCK_AMPM_RE = re.compile(r"(?<![0-9:])(?P<hour>1[0-2]|0?[1-9])\s*(?P<ampm>[ap])\.?m(?![a-z])\.?")
_CLOCK_OCLOCK_RE = re.compile(r"(?<![0-9:])(?P<hour>1[0-2]|0?[1-9])\s*o'?clock(?![a-z])")

_DEFAULT_CALENDAR = ChinaCalendar()


def parse_moment(text: str, now: dt.datetime, *, calendar: ChinaCalendar | None = None) -> Moment:
    """Return the moment `text` asks about, starting from `now`, with a label saying which day it is.

    A day word without a time of day keeps the current clock time when the day is today and means
    10:00 otherwise (an office is open then if it opens that day at all). A time of day without a day
    word is today. Festivals (国庆, 春节 …) mean their day this year, or next year once it has passed;
    a lunar festival in a year whose holidays are not yet published leaves the moment unmoved.
    `calendar` (with the catalogue's overrides) confirms lunar festival dates; chinese-calendar alone
    by default. Bad or empty text simply leaves the moment at `now`.
    """
    now = to_shanghai(now)
    calendar = calendar or _DEFAULT_CALENDAR
    text = text.lower()
    day = _find_day(text, now.date(), calendar)
    part_name = _find_part(text)
    if part_name is None and day is not None:
        part_name = day.part
    part = _PARTS[part_name] if part_name else None
    clock = _find_clock(text, part)
    said_now = _NOW_RE.search(text) is not None

    if day is None and part is None and clock is None:
        return Moment(now, explicit=said_now)

    date = day.date if day is not None else now.date()
    if clock is not None:
        time = clock
    elif part is not None:
        time = dt.time(part.hour)
    elif date == now.date():
        time = now.time()
    else:
        time = dt.time(DEFAULT_HOUR)
    at = dt.datetime.combine(date, time, tzinfo=SHANGHAI)
    explicit = clock is not None or part is not None or said_now
    if at == now:
        return Moment(now, explicit=explicit)

    if day is None:
        day = _Day(date, "今天", "today")
    tail_zh = tail_en = ""
    if clock is not None:
        tail_zh = f"{clock:%H:%M}"
        tail_en = f" at {clock:%H:%M}"
    elif part is not None:
        tail_zh = part.zh
        tail_en = f" {part.en}"
    zh = f"{day.zh}（{_date_zh(date, now.date(), day.weekday_said)}）{tail_zh}"
    en = f"{day.en} ({_date_en(date, now.date(), day.weekday_said)}){tail_en}"
    return Moment(at, MOMENT_LABEL_KEY, {"zh": zh, "en": en}, explicit)


def _find_day(text: str, today: dt.date, calendar: ChinaCalendar) -> _Day | None:
    """Return the first day named in `text`."""
    found: list[tuple[int, _Day]] = []
    if match := _RELATIVE_RE.search(text):
        offset, zh, en, part = _RELATIVE_DAYS[match.group(0)]
        found.append((match.start(), _Day(today + dt.timedelta(days=offset), zh, en, part=part)))
    if match := _WEEKEND_RE.search(text):
        found.append((match.start(), _weekend(match, today)))
    if match := _WEEKDAY_RE.search(text):
        found.append((match.start(), _weekday(match, today)))
    if match := _FESTIVAL_RE.search(text):
        festival_day = _festival(_FESTIVALS[_FESTIVAL_WORDS[match.group(0)]], today, calendar)
        if festival_day is not None:
            found.append((match.start(), festival_day))
    if not found:
        return None
    return min(found, key=lambda position_day: position_day[0])[1]


def _weekday(match: re.Match[str], today: dt.date) -> _Day:
    if match.group("day") is not None:
        weekday = _WEEKDAY_CHARS[match.group("day")]
        which = match.group("which") or ""
        next_week = which.count("下")
    else:
        weekday = _WEEKDAYS_EN.index(match.group("day_en"))
        next_week = 1 if match.group("which_en") == "next " else 0
    if next_week:
        monday = today - dt.timedelta(days=today.weekday())
        date = monday + dt.timedelta(days=7 * next_week + weekday)
    else:  # 周六, 这周六: the coming one, today included
        date = today + dt.timedelta(days=(weekday - today.weekday()) % 7)
    prefix_zh = "下" * next_week
    prefix_en = "next " * next_week
    return _Day(
        date, f"{prefix_zh}周{_WEEKDAY_ZH[weekday]}", f"{prefix_en}{_WEEKDAYS_EN[weekday].title()}", True
    )


def _weekend(match: re.Match[str], today: dt.date) -> _Day:
    """这周末 is the coming Saturday, or today on a Saturday or Sunday; 下周末 is next week's Saturday."""
    if match.group("which") == "下" or match.group("which_en") == "next ":
        monday = today - dt.timedelta(days=today.weekday())
        return _Day(monday + dt.timedelta(days=12), "下周末", "next weekend")
    if today.weekday() >= 5:
        return _Day(today, "这周末", "this weekend")
    return _Day(today + dt.timedelta(days=5 - today.weekday()), "这周末", "this weekend")


def _festival(festival: _Festival, today: dt.date, calendar: ChinaCalendar) -> _Day | None:
    for year in (today.year, today.year + 1):
        try:
            date = festival.on(year, calendar)
        except ValueError:  # a year outside what dates and calendars can hold
            return None
        if date is None:
            return None
        if date >= today:
            return _Day(date, festival.zh, festival.en)
        if _same_holiday(date, today, calendar):
            # Asked during the holiday itself (清明 asked on the 6th, the festival on the 5th):
            # it means today, not next year's.
            return _Day(today, festival.zh, festival.en)
    return None


def _same_holiday(start: dt.date, end: dt.date, calendar: ChinaCalendar) -> bool:
    """Whether every day from `start` to `end` is a public holiday (one run of days off)."""
    if (end - start).days > 10:
        return False
    day = start
    while day <= end:
        if not calendar.is_known(day) or calendar.day_type(day) is not DayType.holiday:
            return False
        day += dt.timedelta(days=1)
    return True


def _find_part(text: str) -> str | None:
    match = _PART_RE.search(text)
    return _PART_WORDS[match.group(0)] if match else None


def _find_clock(text: str, part: _Part | None) -> dt.time | None:
    """Return the clock time named in `text`, read in the light of the part of the day said with it."""
    hour: int | None = None
    minute = 0
    if match := _CLOCK_COLON_RE.search(text):
        hour, minute = int(match.group("hour")), int(match.group("minute"))
        hour = _apply_ampm(hour, match.group("ampm"))
    elif match := _CLOCK_AMPM_RE.search(text):
        hour = _apply_ampm(int(match.group("hour")), match.group("ampm"))
    elif match := _CLOCK_OCLOCK_RE.search(text):
        hour = _bare_hour(int(match.group("hour")), part)
    elif match := _CLOCK_ZH_RE.search(text):
        hour_text, minute_text = match.group("hour"), match.group("minute")
        parsed = _zh_number(hour_text)
        # "一点" alone is mostly "a bit" (近一点), so it is a time only with more around it.
        if parsed is not None and (
            hour_text != "一" or part is not None or minute_text or match.group("oclock")
        ):
            hour = _bare_hour(parsed, part) if parsed <= 24 else None
            minute = _zh_minutes(minute_text) if minute_text else 0
    if hour is None or not 0 <= hour <= 24 or not 0 <= minute <= 59:
        return None
    return dt.time(hour % 24, minute)


def _apply_ampm(hour: int, ampm: str | None) -> int:
    if ampm == "p" and hour < 12:
        return hour + 12
    if ampm == "a" and hour == 12:
        return 0
    return hour


def _bare_hour(hour: int, part: _Part | None) -> int:
    """Read an hour said without a.m./p.m.: 下午3点 is 15:00; 3点 alone is also 15:00 at a service desk."""
    if part is not None:
        if part.afternoon and hour < 12:
            return hour + 12
        if part is _PARTS["noon"] and hour < 3:
            return hour + 12
        return hour
    return hour + 12 if 1 <= hour <= 6 else hour


def _zh_minutes(text: str) -> int:
    quarters = {"半": 30, "一刻": 15, "三刻": 45}
    if text in quarters:
        return quarters[text]
    value = _zh_number(text)
    return value if value is not None else 0


def _zh_number(text: str) -> int | None:
    """Read 0–99 written in ASCII digits or Chinese numerals (九, 十, 十二, 二十三, 两)."""
    if text.isascii() and text.isdigit():
        return int(text)
    digits = _ZH_NUMERALS
    if "十" not in text:
        return digits.get(text) if len(text) == 1 else None
    tens_text, _, ones_text = text.partition("十")
    if (tens_text and tens_text not in digits) or (ones_text and ones_text not in digits):
        return None
    tens = digits[tens_text] if tens_text else 1
    ones = digits[ones_text] if ones_text else 0
    return tens * 10 + ones


def _date_zh(date: dt.date, today: dt.date, weekday_said: bool) -> str:
    year = f"{date.year}年" if date.year != today.year else ""
    weekday = "" if weekday_said else f" 周{_WEEKDAY_ZH[date.weekday()]}"
    return f"{year}{date.month}月{date.day}日{weekday}"


def _date_en(date: dt.date, today: dt.date, weekday_said: bool) -> str:
    weekday = "" if weekday_said else f"{_WEEKDAY_ABBR_EN[date.weekday()]} "
    year = f" {date.year}" if date.year != today.year else ""
    return f"{weekday}{date.day} {_MONTH_ABBR_EN[date.month - 1]}{year}"
