"""What goes into `Finder.answer()` and what comes out: plain data, no transport.

Renderers (Telegram HTML, terminal text, JSON, the web console) read an `Answer`; none of them
computes matching, distance or hours again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

from services_catalog.models import Facility, Hotline, Indicator, Service

Intent = Literal["find_facility", "service_info", "plan_indicator", "emergency", "help", "out_of_scope"]
LocationSource = Literal["coordinates", "town", "landmark", "none"]
Lang = Literal["zh", "en"]


@dataclass(frozen=True)
class Known:
    """What the conversation already knows before this message."""

    town: str | None = None  # official town name given earlier
    lat: float | None = None  # WGS-84 location shared earlier
    lon: float | None = None
    last_kind: str | None = None
    last_service: str | None = None
    last_facility_id: str | None = None  # the facility the last answer put first


@dataclass(frozen=True)
class Question:
    """One message from a resident or an operator."""

    text: str
    lat: float | None = None
    lon: float | None = None
    crs: Literal["wgs84", "gcj02"] = "wgs84"
    lang: Lang = "zh"
    at: dt.datetime | None = None  # naive means Asia/Shanghai; None means now
    known: Known = Known()
    place: str | None = None  # a place named apart from the text (operator console's place box)
    kind: str | None = None  # a kind chosen apart from the text (console filter, bot quick button)
    limit: int = 3
    offset: int = 0  # for "more": skip this many results
    # The conversation knows the message is about one place it gave before ("第二个呢"): that
    # facility's id, also passed as `known.last_facility_id`.
    about: str | None = None


@dataclass(frozen=True)
class Where:
    """Where the answer takes the person to be."""

    lat: float | None = None
    lon: float | None = None
    source: LocationSource = "none"
    label: str | None = None  # the town, committee, station or landmark that placed them
    town: str | None = None  # the official town that place lies in, when known
    outside_qingpu: bool = False


@dataclass(frozen=True)
class Result:
    """One facility in an answer, with what the resident needs to decide to go."""

    facility: Facility
    distance_m: int | None = None
    walk_minutes: int | None = None
    within_15_min: bool | None = None
    open_now: bool | None = None  # at the moment asked about; None when hours are unknown
    hours_today: str | None = None  # e.g. "08:00-11:30,13:00-16:30", "closed", None when unknown
    next_open: dt.datetime | None = None  # when closed: the next opening
    hours_confirmed: bool = False  # False: typical hours for the kind, not confirmed for the site
    calendar_known: bool = True  # False: the holiday calendar for that year is not yet published


@dataclass
class Answer:
    """The whole answer to one question. `reply` is plain text in the question's language."""

    intent: Intent
    lang: Lang = "zh"
    kind: str | None = None
    service: str | None = None
    indicator: str | None = None
    town: str | None = None
    needs_location: bool = False
    where: Where = Where()
    moment: dt.datetime | None = None  # the moment the hours are given for (Asia/Shanghai)
    moment_label: str | None = None  # how the question named it ("明天上午"), None when "now"
    results: list[Result] = field(default_factory=list)
    total_results: int = 0  # how many results there are in all, counting from the first (for "more")
    offset: int = 0
    emergency: list[Hotline] = field(default_factory=list)  # 120/119/110 first, when intent is emergency
    service_info: Service | None = None
    indicator_info: Indicator | None = None
    follow_up: bool = False  # answered about the place the conversation was already on
    clarify: list[str] = field(default_factory=list)  # kind or service ids to choose between
    hotline: Hotline | None = None  # the hotline to fall back on (12345 or the topic's)
    # A complaint, suggestion or report about a city matter: handed to 12345, never looked up.
    complaint: bool = False
    why: str = ""  # which rule or score decided, in a short form ("emergency: fall + unresponsive")
    reply: str = ""

    def to_json(self) -> dict[str, Any]:
        """The contract's `ask --json` shape (`services_catalog.contract.AnswerJSON`)."""
        from services_catalog.contract import AnswerJSON

        return AnswerJSON.of(self).as_dict()
