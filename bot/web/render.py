"""Turns `Answer`s and `Result`s into what the console's pages show: words, never HTML.

Templates escape every string they get, and every string they output loses the links that are
not on the catalogue's allowlist (`only_allowed_links`, the console's Jinja2 `finalize`); this
module only chooses the words (from the locale files) and formats numbers, times and dates.
Nothing here computes distance or hours again.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup

from locales import Locales
from services_catalog.answer import Result, Where
from services_catalog.catalog import Catalog
from services_catalog.errors import Problem
from services_catalog.finder import Finder
from services_catalog.linkcheck import strip_disallowed_links
from services_catalog.models import Hotline, Indicator, Service

SHANGHAI = ZoneInfo("Asia/Shanghai")
FALLBACK_HOTLINE = "12345"
QUESTION_CHARS = 500  # the longest question kept (the API refuses longer ones)
PLACE_CHARS = 200


# The years an "open at" moment may fall in: opening hours and holiday calendars mean nothing
# centuries away, and years near 1 or 9999 overflow when the next opening is worked out.
EARLIEST_YEAR, LATEST_YEAR = 2000, 2100

# C0 and C1 control characters (tab and newline included): never part of a caller's words.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")


def parse_at(text: str | None) -> dt.datetime | None:
    """An ISO date-time (or a browser's `datetime-local` value) as naive Asia/Shanghai time.

    Empty means now (None). Raises ValueError for anything else that is not a date-time, and
    for one outside the years EARLIEST_YEAR to LATEST_YEAR.
    """
    if text is None or not text.strip():
        return None
    try:
        moment = dt.datetime.fromisoformat(text.strip())
        if moment.tzinfo is not None:
            moment = moment.astimezone(SHANGHAI).replace(tzinfo=None)
    except OverflowError:  # 0001-01-01T00:00+14:00 has no Shanghai time
        raise ValueError(f"{text!r} is out of range") from None
    if not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
        raise ValueError(f"{text!r} is not between {EARLIEST_YEAR} and {LATEST_YEAR}")
    return moment


def resolve_place(finder: Finder, text: str) -> Where | None:
    """Where a place box puts the caller, or None when it names nowhere Doorstep can place.

    Coordinates out of range or not finite (nan, inf, 999) count as nowhere; this never raises.
    """
    try:
        where = finder.resolve_place(text)
    except (ValueError, ArithmeticError):
        return None
    if where is None:
        return None
    for value, bound in ((where.lat, 90.0), (where.lon, 180.0)):
        if value is not None and not (math.isfinite(value) and -bound <= value <= bound):
            return None
    return where


def clean_text(text: str, limit: int) -> str:
    """Typed words with control characters made spaces, trimmed, at most `limit` characters."""
    return _CONTROL.sub(" ", text).strip()[:limit].strip()


class Verbatim(str):
    """A string a page shows exactly as it is, links included.

    Only for what is not catalogue text: the words the user typed (echoed in the form), staff
    diagnostics that quote the YAML, residents' reports shown to staff, and the console's own
    URLs. Every other string a template outputs passes `only_allowed_links`.
    """

    __slots__ = ()


def only_allowed_links(value: Any, domains: Iterable[str]) -> Any:
    """`value` with every link off the allowlist removed, when it is a string shown on a page.

    Markup (already escaped, e.g. from `|join`) stays Markup; `Verbatim` strings and non-strings
    pass unchanged.
    """
    if not isinstance(value, str) or isinstance(value, Verbatim):
        return value
    if isinstance(value, Markup):
        return Markup(strip_disallowed_links(str(value), domains))
    return strip_disallowed_links(value, domains)


def now_shanghai() -> dt.datetime:
    """The current time in Qingpu, naive (as `Question.at` takes it)."""
    return dt.datetime.now(SHANGHAI).replace(tzinfo=None)


@dataclass(frozen=True)
class Row:
    """One facility as a table row."""

    id: str
    name: str
    kind: str
    town: str
    approximate: bool
    distance: str | None
    walk: str | None
    address: str | None
    phone: str
    phone_known: bool
    hours: str
    open_state: str  # "open", "closed" or "unknown"
    next_open: str | None
    hours_typical: bool
    calendar_unknown: bool
    verified: str | None


@dataclass(frozen=True)
class Guide:
    """A service's guide, in the page's language."""

    name: str
    summary: str
    eligibility: list[str]
    materials: list[str]
    where: list[str]
    online: str | None
    hotline: str | None
    verified: str | None


@dataclass(frozen=True)
class Count:
    """One line of a count table."""

    label: str
    count: int


class Words:
    """The console's sentences in one language, with the catalogue's names for kinds and towns."""

    def __init__(self, locales: Locales, lang: str, catalog: Catalog) -> None:
        self.locales = locales
        self.lang = lang
        self.catalog = catalog

    def t(self, key: str, /, **values: Any) -> str:
        """The sentence `web.<key>`."""
        return self.locales.t(self.lang, f"web.{key}", **values)

    def kind(self, kind: str) -> str:
        """A facility kind's name, as residents call it (from the catalogue's kinds.yaml)."""
        return self.catalog.kind_name(kind, self.lang, common=True)

    def town(self, name: str) -> str:
        """A town's name in the page's language (official name in Chinese)."""
        town = self.catalog.towns.get(name)
        return town.name_en if self.lang == "en" and town is not None else name

    def distance(self, metres: int | None) -> str | None:
        """420 m, 1.2 km."""
        if metres is None:
            return None
        if metres < 1000:
            return self.t("unit.metres", n=metres)
        return self.t("unit.km", n=f"{metres / 1000:.1f}")

    def moment(self, moment: dt.datetime) -> str:
        """A moment as the operator reads it: 6月7日 周六 09:30."""
        weekday = self.t(f"weekday.{moment.weekday()}")
        return self.t("moment", month=moment.month, day=moment.day, weekday=weekday, time=f"{moment:%H:%M}")

    def row(self, result: Result, *, fallback_phone: str = FALLBACK_HOTLINE) -> Row:
        """One result as a table row; `fallback_phone` stands in for an unknown number."""
        f = result.facility
        name = f.name_en if self.lang == "en" and f.name_en else f.name
        if result.hours_today is None:
            hours = self.t("hours.unknown")
        elif result.hours_today == "closed":
            hours = self.t("hours.closed_today")
        else:
            hours = result.hours_today
        state = {True: "open", False: "closed", None: "unknown"}[result.open_now]
        return Row(
            id=f.id,
            name=name,
            kind=self.kind(f.kind),
            town=self.town(f.town),
            approximate=f.point.precision == "approximate",
            distance=self.distance(result.distance_m),
            walk=self.t("unit.walk", n=result.walk_minutes) if result.walk_minutes is not None else None,
            address=f.address,
            phone=f.phone or fallback_phone,
            phone_known=f.phone is not None,
            hours=hours,
            open_state=state,
            next_open=self.moment(result.next_open)
            if result.next_open and result.open_now is False
            else None,
            hours_typical=not result.hours_confirmed,
            calendar_unknown=not result.calendar_known,
            verified=f.verified.isoformat() if f.verified else None,
        )

    def guide(self, service: Service) -> Guide:
        """A service's guide."""
        english = self.lang == "en"
        hotline = None
        if service.hotline:
            line = self.catalog.hotlines.get(service.hotline)
            hotline = f"{service.hotline} {self.hotline_name(line)}" if line else service.hotline
        return Guide(
            name=service.name_en if english else service.name,
            summary=(service.summary_en or service.summary) if english else service.summary,
            eligibility=list(service.eligibility),
            materials=list(service.materials),
            where=[self.kind(kind) for kind in service.where],
            online=service.online,
            hotline=hotline,
            verified=service.verified.isoformat() if service.verified else None,
        )

    def hotline_name(self, hotline: Hotline) -> str:
        """A hotline's name in the page's language."""
        return hotline.name_en if self.lang == "en" else hotline.name

    def indicator_name(self, indicator: Indicator) -> str:
        """A plan indicator's name in the page's language."""
        return indicator.name_en if self.lang == "en" else indicator.name

    def clarify_label(self, choice: str) -> str:
        """A kind or service id offered to choose between, by its name."""
        service = self.catalog.services.get(choice)
        if service is not None:
            return service.name_en if self.lang == "en" else service.name
        return self.kind(choice)

    def list_text(self, rows: list[Row]) -> str:
        """A short text to read out or send by SMS for a filtered list (no Finder reply exists)."""
        if not rows:
            return self.t("copy.none")
        lines = [
            self.t(
                "copy.line",
                n=i,
                name=row.name,
                address=row.address or self.t("address_unknown"),
                phone=row.phone,
                hours=row.hours,
            )
            for i, row in enumerate(rows, 1)
        ]
        return "\n".join(lines)


def counts_by(values: list[str]) -> list[tuple[str, int]]:
    """(value, count), most frequent first, then by first appearance."""
    return Counter(values).most_common()


def problem_lines(problems: list[Problem]) -> list[tuple[str, str]]:
    """(severity, `file:line: field: message`) for each problem, shown verbatim to staff.

    A problem may quote the link it rejects: staff need to see it to fix the YAML.
    """
    return [(p.severity, Verbatim(p)) for p in problems]
