"""The 15-minute coverage page: a table of towns × kinds, and a map Doorstep draws itself (SVG).

No tiles, no outside service: committees and facilities are projected onto the page from their
WGS-84 positions. Committees are coloured by the walk to the nearest place of the chosen kind;
facilities with a verified position are drawn filled, estimated ones hollow. Every figure rests on
estimated positions until staff verify them, and the page says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from bot.web.auth import StaffMember
from bot.web.deps import ConsoleDep, LiveCatalogue
from bot.web.pages import render_page, words_for
from services_catalog.catalog import Catalog
from services_catalog.coverage import CommitteeWalk, Coverage, committee_walks, coverage
from services_catalog.geo import FIFTEEN_MINUTES
from services_catalog.models import KIND_IDS

router = APIRouter(prefix="/staff", include_in_schema=False)

MAP_WIDTH = 800
MAP_PADDING = 24

Band = Literal["within", "30", "beyond", "none"]


@dataclass(frozen=True)
class Dot:
    """A committee on the map."""

    x: float
    y: float
    band: Band
    hollow: bool  # no known position: drawn at its town's centre
    title: str


@dataclass(frozen=True)
class Mark:
    """A facility on the map."""

    x: float
    y: float
    verified: bool  # exact position; else an estimate
    title: str
    href: str


@dataclass(frozen=True)
class Label:
    """A town's name at its centre."""

    x: float
    y: float
    text: str


@dataclass(frozen=True)
class Drawing:
    """Everything the SVG shows, in its own coordinates."""

    width: int
    height: int
    dots: list[Dot]
    marks: list[Mark]
    labels: list[Label]
    centred: list[tuple[Label, int]]  # per town: how many committees are drawn at its centre


class _Projection:
    """Equirectangular, scaled to the page: good enough for a district 40 km across."""

    def __init__(self, points: list[tuple[float, float]]) -> None:
        lats = [p[0] for p in points]
        lons = [p[1] for p in points]
        self.min_lat, self.max_lat = min(lats), max(lats)
        self.min_lon, self.max_lon = min(lons), max(lons)
        self.coslat = math.cos(math.radians((self.min_lat + self.max_lat) / 2))
        span_x = max((self.max_lon - self.min_lon) * self.coslat, 1e-6)
        span_y = max(self.max_lat - self.min_lat, 1e-6)
        self.scale = (MAP_WIDTH - 2 * MAP_PADDING) / span_x
        self.height = round(span_y * self.scale + 2 * MAP_PADDING)

    def xy(self, lat: float, lon: float) -> tuple[float, float]:
        x = MAP_PADDING + (lon - self.min_lon) * self.coslat * self.scale
        y = MAP_PADDING + (self.max_lat - lat) * self.scale
        return round(x, 1), round(y, 1)


def band(walk: CommitteeWalk) -> Band:
    """Which colour a committee gets."""
    if walk.minutes is None:
        return "none"
    if walk.minutes <= FIFTEEN_MINUTES:
        return "within"
    return "30" if walk.minutes <= 2 * FIFTEEN_MINUTES else "beyond"


def drawing(catalog: Catalog, kind: str, *, town_name: dict[str, str]) -> Drawing:
    """The map of committees and facilities of `kind`."""
    walks = committee_walks(catalog, kind)
    places = [f for f in catalog.facilities.values() if f.kind == kind]
    points = [(w.lat, w.lon) for w in walks] + [(f.point.lat, f.point.lon) for f in places]
    points += [(t.centre.lat, t.centre.lon) for t in catalog.towns.values()]
    projection = _Projection(points)
    dots = []
    centred: dict[str, int] = {}
    for w in walks:
        if w.at_town_centre:
            centred[w.town] = centred.get(w.town, 0) + 1
            continue
        x, y = projection.xy(w.lat, w.lon)
        minutes = "—" if w.minutes is None else f"{w.minutes}′"
        dots.append(Dot(x, y, band(w), False, f"{w.name} · {minutes}"))
    labels = []
    centre_counts = []
    for town in catalog.towns.values():
        x, y = projection.xy(town.centre.lat, town.centre.lon)
        label = Label(x, y, town_name.get(town.name, town.name))
        labels.append(label)
        if centred.get(town.name):
            centre_counts.append((label, centred[town.name]))
            first = next(w for w in walks if w.town == town.name and w.at_town_centre)
            dots.append(Dot(x, y, band(first), True, f"{label.text}: {centred[town.name]}"))
    marks = []
    for f in places:
        x, y = projection.xy(f.point.lat, f.point.lon)
        marks.append(Mark(x, y, f.point.precision == "exact", f.name, f"/staff/facilities/{f.id}"))
    return Drawing(MAP_WIDTH, projection.height, dots, marks, labels, centre_counts)


_CACHE: dict[tuple[int, object], Coverage] = {}


def _coverage_of(catalog: Catalog) -> Coverage:
    """The coverage of a loaded catalogue, computed once per catalogue."""
    key = (id(catalog), catalog.loaded_at)
    if key not in _CACHE:
        _CACHE.clear()
        _CACHE[key] = coverage(catalog)
    return _CACHE[key]


@router.get("/coverage", response_class=HTMLResponse)
def coverage_page(
    request: Request, account: StaffMember, console: ConsoleDep, finder: LiveCatalogue, kind: str = "clinic"
) -> Response:
    """Each town's share of committees within 15 minutes of each kind, and the map for one kind."""
    kind = kind if kind in KIND_IDS else "clinic"
    catalog = finder.catalog
    words = words_for(console, request)
    report = _coverage_of(catalog)
    names = {t: words.town(t) for t in catalog.towns}
    # The chosen kind's column first: on a phone it is the one in view.
    columns = (kind, *(k for k in report.kinds if k != kind))
    rows = [(town, [report.share(town, k) for k in columns]) for town in report.towns]
    return render_page(
        console,
        request,
        "staff_coverage.html",
        account=account,
        title_key="coverage.title",
        kind=kind,
        kinds=KIND_IDS,
        columns=columns,
        report=report,
        rows=rows,
        map=drawing(catalog, kind, town_name=names),
    )
