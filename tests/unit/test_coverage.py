"""The 15-minute coverage: per town and kind, the share of committees within a 15-minute walk."""

from __future__ import annotations

import csv
import dataclasses
import io

import pytest

from bot import cli
from bot.settings import BUNDLED_CATALOG
from services_catalog.catalog import Catalog
from services_catalog.coverage import committee_walks, coverage, coverage_csv
from services_catalog.loader import load_catalog
from services_catalog.models import KIND_IDS, Point, Precision


@pytest.fixture(scope="module")
def bundled() -> Catalog:
    return load_catalog(BUNDLED_CATALOG)


def test_every_town_and_kind_has_a_share_between_0_and_1(bundled: Catalog) -> None:
    report = coverage(bundled)
    assert len(report.shares) == 11 * len(KIND_IDS)
    assert all(0.0 <= s.share <= 1.0 for s in report.shares)
    assert sum(s.committees for s in report.shares if s.kind == "clinic") == 355
    assert report.estimated and report.committees_at_town_centre == 246


def test_a_committee_next_to_a_place_is_covered_and_one_far_away_is_not(bundled: Catalog) -> None:
    """Move Zhujiajiao's clinic onto one committee (exact): that committee is covered, a far one not."""
    committee = next(c for c in bundled.committees.values() if c.town == "朱家角镇" and c.centre is not None)
    assert committee.centre is not None
    clinic = bundled.facilities["clinic-zhujiajiao"]
    moved = clinic.model_copy(
        update={
            "point": Point(
                lat=committee.centre.lat, lon=committee.centre.lon, crs="wgs84", precision=Precision.exact
            )
        }
    )
    catalog = dataclasses.replace(bundled, facilities={**bundled.facilities, clinic.id: moved})
    walks = {w.code: w for w in committee_walks(catalog, "clinic")}
    assert walks[committee.code].within and walks[committee.code].minutes == 1
    assert walks[committee.code].nearest == moved
    far = max(walks.values(), key=lambda w: w.minutes or 0)
    assert not far.within and (far.minutes or 0) > 15


def test_a_kind_without_any_place_covers_nobody(bundled: Catalog) -> None:
    catalog = dataclasses.replace(
        bundled, facilities={k: f for k, f in bundled.facilities.items() if f.kind != "veterans"}
    )
    assert all(s.covered == 0 for s in coverage(catalog, ("veterans",)).shares)


def test_the_command_prints_11_towns_by_the_kinds_and_says_they_are_estimates(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DOORSTEP_CATALOG", raising=False)
    assert cli.main(["catalog", "coverage"]) == 0
    out = capsys.readouterr().out.splitlines()
    header, rows = out[0], out[1:12]
    assert all(kind in header for kind in KIND_IDS)
    assert len(rows) == 11 and all(len(r.split()) == 1 + len(KIND_IDS) for r in rows)
    shares = [float(x) for r in rows for x in r.split()[1:]]
    assert all(0 <= s <= 1 for s in shares)
    assert "ESTIMATES" in "\n".join(out[12:])


def test_the_csv_has_a_row_per_town_and_kind(
    bundled: Catalog, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DOORSTEP_CATALOG", raising=False)
    assert cli.main(["catalog", "coverage", "--csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == 11 * len(KIND_IDS)
    assert {r["estimate"] for r in rows} == {"true"}
    assert rows == list(csv.DictReader(io.StringIO(coverage_csv(coverage(bundled)))))
