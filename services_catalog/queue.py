"""The verification queue: the store's copy of the catalogue, most asked-for records first.

The store holds a copy of every record (`store.FacilityRow`, written in the same transaction that
bumps the catalogue's version) beside what residents asked for (`demand.AskedCount`) and reported
(`feedback.Report`) and the audit trail. One SQL query filters, joins and sorts them and hands
back one page, so the staff's list stays quick at 100,000 records, on SQLite and PostgreSQL alike.
The record pages themselves read the live catalogue and the YAML as written.
"""

from __future__ import annotations

import datetime as dt
import typing
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import and_, func, literal, or_
from sqlmodel import Session, col, select

from services_catalog.audit import CatalogChange
from services_catalog.demand import AskedCount
from services_catalog.feedback import Report
from services_catalog.store import FacilityRow, TownRow

Missing = Literal["unverified", "approximate", "no_phone", "no_address", "reported", "with_lead"]
MISSING: tuple[Missing, ...] = (
    "unverified",
    "approximate",
    "no_phone",
    "no_address",
    "reported",
    "with_lead",
)
Sort = Literal["demand", "name", "changed"]
SORTS: tuple[Sort, ...] = typing.get_args(Sort)
PAGE_SIZE = 50


@dataclass(frozen=True)
class QueueRow:
    """One record in the queue."""

    id: str
    name: str
    kind: str
    town: str
    verified: dt.date | None
    approximate: bool
    phone: str | None
    address: str | None
    hours_typical: bool
    asked: int
    reports: int
    changed: dt.datetime | None  # the last change through the console, the API or an import (UTC)


@dataclass(frozen=True)
class QueuePage:
    """One page of the queue and how many records match in all."""

    rows: list[QueueRow]
    total: int
    page: int
    pages: int


def queue_page(
    *,
    session: Session,
    kind: str | None = None,
    town: str | None = None,
    missing: Collection[Missing] = (),
    lead_ids: Collection[str] = (),
    sort: Sort = "demand",
    page: int = 1,
    demand_days: int = 90,
    page_size: int = PAGE_SIZE,
) -> QueuePage:
    """The records matching every filter, sorted, one page of them (pages count from 1)."""
    since = dt.date.today() - dt.timedelta(days=demand_days)
    asked = (
        select(AskedCount.kind, AskedCount.town, func.sum(AskedCount.n).label("asked"))
        .where(col(AskedCount.day) >= since)
        .group_by(col(AskedCount.kind), col(AskedCount.town))
        .subquery()
    )
    reports = (
        select(Report.facility_id, func.count(col(Report.id)).label("reports"))
        .where(col(Report.done).is_(False))
        .group_by(col(Report.facility_id))
        .subquery()
    )
    changed = (
        select(CatalogChange.facility_id, func.max(CatalogChange.at).label("changed"))
        .group_by(col(CatalogChange.facility_id))
        .subquery()
    )
    asked_n = func.coalesce(asked.c.asked, 0)
    report_n = func.coalesce(reports.c.reports, 0)
    conditions: list[Any] = []
    if kind:
        conditions.append(col(FacilityRow.kind) == kind)
    if town:
        conditions.append(col(FacilityRow.town) == town)
    for name in missing:
        conditions.append(
            {
                "unverified": col(FacilityRow.verified).is_(None),
                "approximate": col(FacilityRow.approximate).is_(True),
                "no_phone": or_(col(FacilityRow.phone).is_(None), col(FacilityRow.phone) == ""),
                "no_address": or_(col(FacilityRow.address).is_(None), col(FacilityRow.address) == ""),
                "reported": report_n > 0,
                "with_lead": col(FacilityRow.id).in_(list(lead_ids) or [""]),
            }[name]
        )
    base = (
        select(
            FacilityRow,
            asked_n.label("asked"),
            report_n.label("reports"),
            changed.c.changed,
        )
        .join(TownRow, col(TownRow.name) == col(FacilityRow.town))
        .outerjoin(asked, and_(asked.c.kind == col(FacilityRow.kind), asked.c.town == col(FacilityRow.town)))
        .outerjoin(reports, reports.c.facility_id == col(FacilityRow.id))
        .outerjoin(changed, changed.c.facility_id == col(FacilityRow.id))
        .where(and_(literal(True), *conditions))
    )
    if sort == "name":
        order: list[Any] = [col(FacilityRow.name), col(FacilityRow.id)]
    elif sort == "changed":  # changed ones first, newest first; then the catalogue's order
        order = [changed.c.changed.is_(None), changed.c.changed.desc(), col(FacilityRow.position)]
    else:  # most asked-for first; then reported, unverified, in the catalogue's order of towns
        order = [
            asked_n.desc(),
            report_n.desc(),
            col(FacilityRow.verified).is_not(None),
            col(TownRow.position),
            col(FacilityRow.position),
        ]
    total = session.exec(select(func.count()).select_from(base.subquery())).one()
    pages = max(1, -(-int(total) // page_size))
    page = min(max(1, page), pages)
    found = session.exec(base.order_by(*order).limit(page_size).offset((page - 1) * page_size)).all()
    rows = [
        QueueRow(
            id=f.id,
            name=f.name,
            kind=f.kind,
            town=f.town,
            verified=f.verified,
            approximate=f.approximate,
            phone=f.phone or None,
            address=f.address or None,
            hours_typical=f.hours_status == "typical",
            asked=int(n_asked),
            reports=int(n_reports),
            changed=last,
        )
        for f, n_asked, n_reports, last in found
    ]
    return QueuePage(rows, int(total), page, pages)
