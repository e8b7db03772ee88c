"""The plan's 15-minute promise, measured: how many of each town's committees have a place of each
kind within a 15-minute walk.

For every residents' or village committee (村/居委会) the nearest facility of a kind is found
(anywhere in the district: a town's border does not stop a walk) and its walking time taken as
`finder` takes it for residents: 4.5 km/h along a route 1.3 times the straight line
(`geo.walk_minutes`), so 15 minutes is about 865 m as the crow flies.

A committee without a known position is counted at its town's centre, and said so; a facility
whose position is an estimate is usually at its town's centre too. The figures are therefore
estimates until positions are verified, and every report says so (`Coverage.estimated`).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from services_catalog.catalog import Catalog
from services_catalog.geo import FIFTEEN_MINUTES, distance_m, walk_minutes
from services_catalog.models import KIND_IDS, Facility


@dataclass(frozen=True)
class CommitteeWalk:
    """One committee and the nearest facility of one kind."""

    code: str
    name: str
    town: str
    lat: float  # WGS-84; the town centre when `at_town_centre`
    lon: float
    at_town_centre: bool  # no known position: counted at the town's centre
    nearest: Facility | None
    minutes: int | None  # walking minutes to `nearest`; None when the kind has no facility at all

    @property
    def within(self) -> bool:
        """Within the plan's 15-minute walk."""
        return self.minutes is not None and self.minutes <= FIFTEEN_MINUTES


@dataclass(frozen=True)
class TownShare:
    """One town and kind: its committees, how many are within 15 minutes, how many sit at the centre."""

    town: str
    kind: str
    committees: int
    covered: int
    at_town_centre: int

    covered_known: int = 0  # of the committees with a known position, how many are covered

    @property
    def share(self) -> float:
        """Covered committees over all committees, 0 to 1 (0 for a town without committees)."""
        return self.covered / self.committees if self.committees else 0.0

    @property
    def share_known(self) -> float | None:
        """The share among committees with a known position; None when no committee has one."""
        known = self.committees - self.at_town_centre
        return self.covered_known / known if known else None


@dataclass(frozen=True)
class Coverage:
    """Every town × kind share, and what makes them estimates."""

    shares: list[TownShare]
    kinds: tuple[str, ...]
    towns: tuple[str, ...]
    committees: int
    committees_at_town_centre: int
    facilities: int
    facilities_estimated: int  # positions marked approximate

    @property
    def estimated(self) -> bool:
        """Whether any position the figures rest on is an estimate."""
        return bool(self.committees_at_town_centre or self.facilities_estimated)

    def share(self, town: str, kind: str) -> TownShare:
        """The share for one town and kind."""
        return next(s for s in self.shares if s.town == town and s.kind == kind)


def committee_walks(catalog: Catalog, kind: str) -> list[CommitteeWalk]:
    """Each committee of the catalogue with its walk to the nearest facility of `kind`."""
    places = [f for f in catalog.facilities.values() if f.kind == kind]
    walks = []
    for committee in catalog.committees.values():
        town = catalog.towns.get(committee.town)
        if committee.centre is not None:
            lat, lon, at_centre = committee.centre.lat, committee.centre.lon, False
        elif town is not None:
            lat, lon, at_centre = town.centre.lat, town.centre.lon, True
        else:  # a committee of a town the catalogue does not have: the loader refuses that
            continue
        nearest, minutes = None, None
        if places:
            best = min(places, key=lambda f: distance_m(lat, lon, f.point.lat, f.point.lon))
            nearest = best
            minutes = walk_minutes(distance_m(lat, lon, best.point.lat, best.point.lon))
        walks.append(
            CommitteeWalk(
                committee.code, committee.name, committee.town, lat, lon, at_centre, nearest, minutes
            )
        )
    return walks


def coverage(catalog: Catalog, kinds: tuple[str, ...] = KIND_IDS) -> Coverage:
    """The share of each town's committees within 15 minutes of each kind."""
    towns = tuple(catalog.towns)
    shares = []
    for kind in kinds:
        walks = committee_walks(catalog, kind)
        for town in towns:
            mine = [w for w in walks if w.town == town]
            shares.append(
                TownShare(
                    town=town,
                    kind=kind,
                    committees=len(mine),
                    covered=sum(w.within for w in mine),
                    at_town_centre=sum(w.at_town_centre for w in mine),
                    covered_known=sum(w.within and not w.at_town_centre for w in mine),
                )
            )
    facilities = list(catalog.facilities.values())
    return Coverage(
        shares=shares,
        kinds=kinds,
        towns=towns,
        committees=len(catalog.committees),
        committees_at_town_centre=sum(c.centre is None for c in catalog.committees.values()),
        facilities=len(facilities),
        facilities_estimated=sum(f.point.precision == "approximate" for f in facilities),
    )


def coverage_table(report: Coverage, *, town_names: dict[str, str] | None = None) -> str:
    """A plain-text table: a row per town, a column per kind, shares from 0.00 to 1.00."""
    names = town_names or {}
    width = max(len(k) for k in report.kinds)
    header = ["town".ljust(12)] + [k.rjust(width) for k in report.kinds]
    lines = ["  ".join(header)]
    for town in report.towns:
        label = names.get(town, town)
        cells = [f"{report.share(town, k).share:.2f}".rjust(width) for k in report.kinds]
        lines.append("  ".join([_pad(label, 12), *cells]))
    lines.append("")
    lines.append(estimate_note(report))
    return "\n".join(lines)


def coverage_csv(report: Coverage) -> str:
    """One CSV row per town and kind."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["town", "kind", "committees", "within_15_min", "share", "committees_at_town_centre",
         "share_of_committees_with_a_position", "estimate"]
    )  # fmt: skip
    for s in report.shares:
        known = "" if s.share_known is None else f"{s.share_known:.4f}"
        row = [s.town, s.kind, s.committees, s.covered, f"{s.share:.4f}", s.at_town_centre, known]
        writer.writerow([*row, str(report.estimated).lower()])
    return out.getvalue()


def estimate_note(report: Coverage) -> str:
    """What makes the figures estimates (English, for the command line)."""
    if not report.estimated:
        return "Every position these figures use has been verified."
    return (
        f"ESTIMATES: {report.facilities_estimated} of {report.facilities} facility positions are estimates "
        f"(most at their town's centre), and {report.committees_at_town_centre} of {report.committees} "
        "committees have no known position and are counted at their town's centre. A 15-minute walk is "
        "taken as 865 m in a straight line (4.5 km/h, routes 1.3 times longer)."
    )


def _pad(text: str, width: int) -> str:
    """Pad for a terminal: a Chinese character takes two columns."""
    columns = sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
    return text + " " * max(0, width - columns)
