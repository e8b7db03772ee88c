"""What the district's plan promises, against what Doorstep answers: the plan coverage matrix.

The matrix is data (`plan_coverage.yaml` beside this module): one item per service the plan
promises, with the service topics, kinds of place, indicator rows or hotline that answer it, or
the hand-off to 12345 when nothing does. `plan_coverage(catalog)` counts it against a loaded
catalogue (an item whose topics are missing from that catalogue is not covered there), which is
what `doorstep catalog stats` prints; `render_markdown` writes docs/plan-coverage.md from the same
data:

    python -m services_catalog.plan_coverage > docs/plan-coverage.md
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict

from locales import default_locales
from services_catalog.catalog import Catalog
from services_catalog.models import KIND_IDS

MATRIX_PATH = Path(__file__).with_name("plan_coverage.yaml")

Status = Literal["covered", "handoff", "policy"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PlanItem(_Strict):
    """One service the plan promises, and how Doorstep answers a question about it."""

    id: str
    ref: str  # chapter and section of the plan, e.g. 四（二）
    text: str  # what the plan promises, in its words (shortened)
    services: list[str] = []
    kinds: list[str] = []
    indicators: list[str] = []
    hotlines: list[str] = []
    emergency: bool = False  # answered with an emergency number first
    handoff: str | None = None  # nothing answers it: what the resident is told to ask 12345
    missing_place: str | None = None  # a kind of place the plan promises that Doorstep does not list
    policy: bool = False  # a measure of the plan, not a service a resident asks for: not counted
    note: str | None = None


class PlanChapter(_Strict):
    """A chapter of the plan and its items."""

    id: str
    title: str
    items: list[PlanItem]


class PlanMatrix(_Strict):
    """The whole matrix, as written in plan_coverage.yaml."""

    plan: str
    chapters: list[PlanChapter]

    def items(self) -> list[PlanItem]:
        """Every item, chapter by chapter."""
        return [item for chapter in self.chapters for item in chapter.items]


@dataclass(frozen=True)
class Coverage:
    """The plan's items counted against one catalogue."""

    covered: int  # service items answered by a topic, a kind of place, a hotline or an emergency
    handed_off: int  # service items answered only by "ask 12345"
    policy: int  # measures listed but not counted
    indicators_answered: int  # indicator rows of the catalogue that the matrix ties to a plan item
    indicators_total: int

    @property
    def service_items(self) -> int:
        """The items that count: every item that is not a policy measure."""
        return self.covered + self.handed_off

    def line(self) -> str:
        """One line for `catalog stats` and the console's status page."""
        return (
            f"Plan coverage: {self.covered} of {self.service_items} service items answered, "
            f"{self.handed_off} handed to 12345 ({self.policy} policy measures not counted); "
            f"indicators {self.indicators_answered} of {self.indicators_total}"
        )


@cache
def load_matrix(path: Path = MATRIX_PATH) -> PlanMatrix:
    """The matrix file, checked for its shape (not yet against a catalogue)."""
    return PlanMatrix.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def item_status(item: PlanItem, catalog: Catalog) -> Status:
    """Covered when something in this catalogue answers the item and no hand-off is needed.

    An item with a hand-off counts as not covered even when a figure about it is answered (the
    preschool enrolment rate is a plan row, but Doorstep cannot say where the nearest kindergarten is).
    """
    if item.policy:
        return "policy"
    if item.handoff is not None:
        return "handoff"
    kinds_held = {f.kind for f in catalog.facilities.values()}
    answered = (
        item.emergency
        or any(s in catalog.services for s in item.services)
        or any(k in kinds_held for k in item.kinds)
        or any(i in catalog.indicators for i in item.indicators)
        or any(h in catalog.hotlines for h in item.hotlines)
    )
    return "covered" if answered else "handoff"


def plan_coverage(catalog: Catalog, matrix: PlanMatrix | None = None) -> Coverage:
    """How many of the plan's service items this catalogue answers."""
    matrix = matrix or load_matrix()
    statuses = [item_status(item, catalog) for item in matrix.items()]
    tied = {i for item in matrix.items() for i in item.indicators}
    return Coverage(
        covered=statuses.count("covered"),
        handed_off=statuses.count("handoff"),
        policy=statuses.count("policy"),
        indicators_answered=sum(1 for i in catalog.indicators if i in tied),
        indicators_total=len(catalog.indicators),
    )


def matrix_problems(matrix: PlanMatrix, catalog: Catalog) -> list[str]:
    """What is wrong with the matrix against a catalogue: unknown ids, empty or contradictory items."""
    problems = []
    seen: set[str] = set()
    for item in matrix.items():
        where = f"item {item.id}"
        if item.id in seen:
            problems.append(f"{where}: duplicate id")
        seen.add(item.id)
        refs = item.services or item.kinds or item.indicators or item.hotlines or item.emergency
        if item.policy and (refs or item.handoff):
            problems.append(f"{where}: a policy measure should name no answer and no hand-off")
        if not item.policy and not refs and item.handoff is None:
            problems.append(f"{where}: neither an answer nor a hand-off")
        if item.missing_place is not None and item.handoff is None and not item.services:
            problems.append(f"{where}: a missing kind of place needs a topic or a hand-off")
        problems += [f"{where}: unknown service '{s}'" for s in item.services if s not in catalog.services]
        problems += [f"{where}: unknown kind '{k}'" for k in item.kinds if k not in KIND_IDS]
        problems += [
            f"{where}: unknown indicator '{i}'" for i in item.indicators if i not in catalog.indicators
        ]
        problems += [f"{where}: unknown hotline '{h}'" for h in item.hotlines if h not in catalog.hotlines]
    return problems


# ---- the markdown page


_STATUS_WORDS: dict[Status, str] = {
    "covered": "covered",
    "handoff": "not covered, handed to 12345",
    "policy": "policy measure (not counted)",
}


def _answers(item: PlanItem, catalog: Catalog) -> str:
    kind_name = default_locales().t
    parts = [f"topic `{s}` {catalog.services[s].name}" for s in item.services if s in catalog.services]
    parts += [f"place: {kind_name('zh', f'core.kind.{k}')} (`{k}`)" for k in item.kinds]
    parts += [f"indicator `{i}`" for i in item.indicators]
    parts += [f"hotline {h}" for h in item.hotlines]
    if item.emergency:
        parts.append("emergency numbers first (120)")
    if item.handoff:
        parts.append(f"hand-off: {item.handoff}")
    if item.note:
        parts.append(f"({item.note})")
    return "; ".join(parts) or "—"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render_markdown(catalog: Catalog, matrix: PlanMatrix | None = None) -> str:
    """docs/plan-coverage.md: the figure, the matrix chapter by chapter, the indicators, the gaps."""
    matrix = matrix or load_matrix()
    cov = plan_coverage(catalog, matrix)
    share = round(100 * cov.covered / cov.service_items) if cov.service_items else 0
    out = [
        "# The plan's promises and what Doorstep answers",
        "",
        "<!-- Generated from services_catalog/plan_coverage.yaml by "
        "`python -m services_catalog.plan_coverage > docs/plan-coverage.md`; a test checks that it "
        "matches. Edit the YAML, not this page. -->",
        "",
        f"Plan: {matrix.plan}.",
        "",
        f"**Covered: {cov.covered} of the plan's {cov.service_items} service items ({share}%).** "
        f"{cov.handed_off} are not covered and handed to 12345 (the resident is told so and what to "
        f"ask). {cov.policy} measures of the plan are no service a resident asks for (building plans, "
        "staffing, data platforms): listed, not counted. "
        f"Indicators: {cov.indicators_answered} of {cov.indicators_total} rows of the plan's table are "
        "answered with the printed 2020 baseline and 2025 target. `doorstep catalog stats` prints "
        "the same count.",
        "",
        "An item is covered when Doorstep answers a question about it with a service guide "
        "(who qualifies, what to bring, where, online, hotline — general Shanghai practice, labelled "
        "unverified), the nearest place of a kind, a hotline, or the emergency numbers. All "
        "facility records are estimates until staff check them.",
    ]
    for chapter in matrix.chapters:
        out += ["", f"## {chapter.title}", "", "| ref | the plan promises | Doorstep answers with | status |"]
        out.append("| --- | --- | --- | --- |")
        for item in chapter.items:
            status = _STATUS_WORDS[item_status(item, catalog)]
            out.append(f"| {item.ref} | {_cell(item.text)} | {_cell(_answers(item, catalog))} | {status} |")

    out += ["", "## The plan's 20 indicators", "", "| row | indicator | plan items it measures |"]
    out.append("| --- | --- | --- |")
    for ind in catalog.indicators.values():
        items = [item.id for item in matrix.items() if ind.id in item.indicators]
        listed = ", ".join(f"`{i}`" for i in items) or "—"
        out.append(f"| {ind.row} | {ind.name} (`{ind.id}`) | {listed} |")

    out += [
        "",
        "## Kinds of place the plan promises that Doorstep does not list",
        "",
        "Doorstep never answers these with an unrelated place: it gives the service topic when "
        "there is one, otherwise it says it has no list and hands the question to 12345.",
        "",
        "| place | plan item | what Doorstep says |",
        "| --- | --- | --- |",
    ]
    for item in matrix.items():
        if item.missing_place:
            out.append(
                f"| {item.missing_place} | {item.ref} {_cell(item.text)} | {_cell(_answers(item, catalog))} |"
            )

    named = {s for item in matrix.items() for s in item.services}
    extra = [s for s in catalog.services.values() if s.id not in named]
    out += ["", "## Topics Doorstep answers that the plan does not name", ""]
    out += [f"- `{s.id}` {s.name}" for s in extra] or ["- none"]
    return "\n".join(out) + "\n"


def main() -> int:
    """Print docs/plan-coverage.md for the bundled catalogue."""
    from services_catalog.loader import load_catalog

    catalog = load_catalog(Path(__file__).with_name("data"))
    problems = matrix_problems(load_matrix(), catalog)
    if problems:
        sys.stderr.write("\n".join(problems) + "\n")
        return 1
    sys.stdout.write(render_markdown(catalog))
    return 0


if __name__ == "__main__":
    sys.exit(main())
