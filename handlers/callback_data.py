"""The compact data behind inline buttons, both ways: built by `render`, read by `callbacks`.

Telegram gives a button at most 64 bytes and hands the data back exactly as sent, so anything
can arrive: an old button from before a catalogue reload, or data a client made up. `parse`
accepts only the shapes below and returns None for everything else.

    v:<facility_id>          send the facility as a venue (map)
    m:<offset>:<kind>        the next results (kind may be empty)
    r:<facility_id>          "信息有误?": report the facility to staff
    c:<kind or service id>   the choice offered by a clarifying question
    l:<zh|en>                the language chosen after /lang
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_BYTES = 64
_ID = r"[a-z0-9][a-z0-9_-]{0,62}"
_PATTERNS = {
    "v": re.compile(rf"v:({_ID})"),
    "m": re.compile(rf"m:(\d{{1,4}}):({_ID})?"),
    "r": re.compile(rf"r:({_ID})"),
    "c": re.compile(rf"c:({_ID})"),
    "l": re.compile(r"l:(zh|en)"),
}


@dataclass(frozen=True)
class ShowVenue:
    """Send this facility as a venue."""

    facility_id: str


@dataclass(frozen=True)
class MoreResults:
    """Answer the last question again from `offset`."""

    offset: int
    kind: str | None


@dataclass(frozen=True)
class ReportWrong:
    """Record that this facility's information is wrong."""

    facility_id: str


@dataclass(frozen=True)
class Choose:
    """The kind or service the user meant."""

    option: str


@dataclass(frozen=True)
class ChooseLanguage:
    """The language the user chose."""

    lang: str


Button = ShowVenue | MoreResults | ReportWrong | Choose | ChooseLanguage


def encode(button: Button) -> str | None:
    """The callback data for `button`, or None when it cannot be sent (too long or malformed)."""
    match button:
        case ShowVenue(facility_id):
            data = f"v:{facility_id}"
        case MoreResults(offset, kind):
            data = f"m:{offset}:{kind or ''}"
        case ReportWrong(facility_id):
            data = f"r:{facility_id}"
        case Choose(option):
            data = f"c:{option}"
        case ChooseLanguage(lang):
            data = f"l:{lang}"
    if len(data.encode("utf-8")) > MAX_BYTES or parse(data) != button:
        return None
    return data


def parse(data: str | None) -> Button | None:
    """The button behind `data`, or None when the data is not one of ours."""
    if not data or len(data.encode("utf-8")) > MAX_BYTES:
        return None
    pattern = _PATTERNS.get(data[:1])
    match = pattern.fullmatch(data) if pattern else None
    if match is None:
        return None
    match data[0]:
        case "v":
            return ShowVenue(match[1])
        case "m":
            return MoreResults(int(match[1]), match[2] or None)
        case "r":
            return ReportWrong(match[1])
        case "c":
            return Choose(match[1])
        case _:
            return ChooseLanguage(match[1])
