"""The compact data behind buttons, both ways: built by the reply model, read by the conversation.

Every channel hands a pressed button's data back exactly as sent (Telegram's callback data, the
web chat's `button` field), so anything can arrive: an old button from before a catalogue reload,
or data a client made up. `parse` accepts only the shapes below and returns None for everything
else. Telegram allows at most 64 bytes, so no data is longer.

    v:<facility_id>          show the facility on a map
    m:<offset>:<kind>        the next results (kind may be empty)
    r:<facility_id>          "信息有误?": report the facility to staff
    c:<kind or service id>   the choice offered by a clarifying question
    l:<zh|en>                the language chosen
    t:<town>                 the town the person is in (one of the 11 official names)
    k:<kind>                 one of the common needs on the menu (看病, 养老 …)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from services_catalog.models import TOWN_NAMES

MAX_BYTES = 64
_ID = r"[a-z0-9][a-z0-9_-]{0,62}"
_PATTERNS = {
    "v": re.compile(rf"v:({_ID})"),
    "m": re.compile(rf"m:(\d{{1,4}}):({_ID})?"),
    "r": re.compile(rf"r:({_ID})"),
    "c": re.compile(rf"c:({_ID})"),
    "l": re.compile(r"l:(zh|en)"),
    "t": re.compile("t:(" + "|".join(map(re.escape, TOWN_NAMES)) + ")"),
    "k": re.compile(rf"k:({_ID})"),
}


@dataclass(frozen=True)
class ShowVenue:
    """Show this facility on a map."""

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
    """The kind or service the person meant."""

    option: str


@dataclass(frozen=True)
class ChooseLanguage:
    """The language the person chose."""

    lang: str


@dataclass(frozen=True)
class ChooseTown:
    """The town the person is in."""

    town: str


@dataclass(frozen=True)
class QuickKind:
    """A common need from the menu, standing for a facility kind."""

    kind: str


Button = ShowVenue | MoreResults | ReportWrong | Choose | ChooseLanguage | ChooseTown | QuickKind


def encode(button: Button) -> str | None:
    """The data for `button`, or None when it cannot be sent (too long or malformed)."""
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
        case ChooseTown(town):
            data = f"t:{town}"
        case QuickKind(kind):
            data = f"k:{kind}"
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
        case "l":
            return ChooseLanguage(match[1])
        case "t":
            return ChooseTown(match[1])
        case _:
            return QuickKind(match[1])
