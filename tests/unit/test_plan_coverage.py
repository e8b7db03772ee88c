"""The plan coverage matrix: what the plan promises against what Doorstep answers.

The figure in `doorstep catalog stats`, in docs/plan-coverage.md and in the matrix must be one and
the same, and the matrix may only point at things the catalogue really holds.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
import yaml

from services_catalog.catalog import Catalog
from services_catalog.loader import load_catalog
from services_catalog.plan_coverage import (
    MATRIX_PATH,
    load_matrix,
    matrix_problems,
    plan_coverage,
    render_markdown,
)
from services_catalog.stats import catalog_stats

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = ROOT / "services_catalog" / "data"
PAGE = ROOT / "docs" / "plan-coverage.md"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(BUNDLED)


def _count_by_hand() -> tuple[int, int]:
    """Covered and handed-off items, counted straight from the YAML without the module's code."""
    raw = yaml.safe_load(MATRIX_PATH.read_text(encoding="utf-8"))
    items = [item for chapter in raw["chapters"] for item in chapter["items"] if not item.get("policy")]
    handed = [item for item in items if item.get("handoff")]
    return len(items) - len(handed), len(handed)


def test_the_matrix_points_only_at_what_the_catalogue_holds(catalog: Catalog) -> None:
    """Every topic, kind, indicator and hotline named exists; every item has an answer or a hand-off."""
    assert matrix_problems(load_matrix(), catalog) == []


def test_stats_the_page_and_the_matrix_give_the_same_figure(catalog: Catalog) -> None:
    """`catalog stats` prints the count of covered items, which is the matrix's and the page's."""
    covered, handed = _count_by_hand()
    stats = catalog_stats(catalog)
    line = re.search(r"Plan coverage: (\d+) of (\d+) service items answered, (\d+) handed to 12345", stats)
    assert line is not None, stats
    assert (int(line[1]), int(line[2]), int(line[3])) == (covered, covered + handed, handed)
    page = PAGE.read_text(encoding="utf-8")
    assert f"**Covered: {covered} of the plan's {covered + handed} service items" in page


def test_the_page_is_generated_from_the_matrix(catalog: Catalog) -> None:
    """docs/plan-coverage.md is what the matrix renders to today (regenerate it after editing the YAML:
    python -m services_catalog.plan_coverage > docs/plan-coverage.md)."""
    assert PAGE.read_text(encoding="utf-8") == render_markdown(catalog)


def test_every_indicator_of_the_plan_is_tied_to_an_item(catalog: Catalog) -> None:
    cov = plan_coverage(catalog)
    assert (cov.indicators_answered, cov.indicators_total) == (20, 20)


def test_a_topic_missing_from_the_catalogue_is_not_counted(catalog: Catalog) -> None:
    """Coverage is counted against the loaded catalogue: without the work-injury guide, the plan's
    work-injury item is no longer covered."""
    services = {sid: s for sid, s in catalog.services.items() if sid != "work_injury"}
    smaller = dataclasses.replace(catalog, services=services)
    before, after = plan_coverage(catalog), plan_coverage(smaller)
    assert after.covered == before.covered - 1
    assert after.handed_off == before.handed_off + 1


def test_the_places_the_plan_promises_but_doorstep_lacks_are_named_with_a_hand_off() -> None:
    """Schools and kindergartens, elders' gyms, disability culture posts and reading points for the
    blind are listed as missing, each with a topic or an honest hand-off, never a stand-in place."""
    missing = {item.missing_place: item for item in load_matrix().items() if item.missing_place}
    names = " ".join(missing)
    for place in ("幼儿园", "长者运动之家", "残疾人文化驿站", "盲人阅读点", "中小学"):
        assert place in names
    for item in missing.values():
        assert not item.kinds, f"{item.id}: a missing place must not be answered with another kind"
        assert item.handoff or item.services


def test_new_labour_topics_cover_the_plans_social_security_items(catalog: Catalog) -> None:
    """Work injury, unemployment insurance and labour relations are answered by their own guides."""
    by_id = {item.id: item for item in load_matrix().items()}
    assert "work_injury" in by_id["work-injury"].services
    assert "unemployment_benefit" in by_id["unemployment-insurance"].services
    assert "labour_arbitration" in by_id["labour-relations"].services
