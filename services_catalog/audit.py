"""What changed in the catalogue, by whom, and what each reload attempt found.

`CatalogChange` keeps one row per record changed or added (from the console, the API or an
import): who, when, and the fields before and after. Rows are kept (the catalogue's history);
they hold staff names, never a resident's. `ReloadAttempt` keeps each reload, good or bad, from
the console or the command line, so a reload that failed anywhere shows on the status page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import JSON, Column, Engine
from sqlmodel import Field, Session, SQLModel, col, select

from services_catalog.editing import Change
from services_catalog.errors import Problem

MAX_PROBLEMS_KEPT = 200


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class CatalogChange(SQLModel, table=True):
    """One record changed or added."""

    __tablename__ = "catalog_change"

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(default_factory=_now, index=True)  # UTC
    who: str = Field(max_length=64)  # the console account (or the command line's user)
    verified_by: str | None = Field(default=None, max_length=64)  # who checked it, when said
    via: str = Field(max_length=16)  # console | api | import
    facility_id: str = Field(max_length=64, index=True)
    file: str = Field(max_length=255)
    added: bool = False
    before: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    after: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    note: str = Field(default="", max_length=500)  # e.g. the import file and row, reports closed


class ReloadAttempt(SQLModel, table=True):
    """One attempt to load the YAML catalogue into a running Doorstep."""

    __tablename__ = "catalog_reload"

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(default_factory=_now, index=True)  # UTC
    via: str = Field(max_length=16)  # console | command line | edit
    source: str = Field(max_length=1000)
    ok: bool
    problems: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


def record_changes(
    *,
    session: Session,
    changes: Iterable[Change],
    who: str,
    via: str,
    verified_by: str | None = None,
    note: str = "",
) -> list[CatalogChange]:
    """Keep one entry per change."""
    rows = [
        CatalogChange(
            who=who[:64],
            verified_by=(verified_by or None) and verified_by[:64],
            via=via,
            facility_id=c.facility_id,
            file=c.file,
            added=c.added,
            before=_json(c.before),
            after=_json(c.after),
            note=note[:500],
        )
        for c in changes
    ]
    session.add_all(rows)
    session.commit()
    for row in rows:
        session.refresh(row)
    return rows


def history(*, session: Session, facility_id: str, limit: int = 100) -> list[CatalogChange]:
    """A record's changes, newest first."""
    query = (
        select(CatalogChange)
        .where(CatalogChange.facility_id == facility_id)
        .order_by(col(CatalogChange.at).desc(), col(CatalogChange.id).desc())
        .limit(limit)
    )
    return list(session.exec(query))


def changes_since(*, session: Session, since: dt.datetime, limit: int = 500) -> list[CatalogChange]:
    """Every change since `since` (UTC), newest first."""
    query = (
        select(CatalogChange)
        .where(col(CatalogChange.at) >= since)
        .order_by(col(CatalogChange.at).desc(), col(CatalogChange.id).desc())
        .limit(limit)
    )
    return list(session.exec(query))


def record_reload(*, session: Session, via: str, source: str, ok: bool, problems: Iterable[str] = ()) -> None:
    """Keep one reload attempt and what it found (the first `MAX_PROBLEMS_KEPT` problems)."""
    kept = [str(p) for p in problems][:MAX_PROBLEMS_KEPT]
    session.add(ReloadAttempt(via=via, source=source[:1000], ok=ok, problems=kept))
    session.commit()


def record_reload_in(engine: Engine, *, via: str, source: str, problems: Iterable[Problem]) -> None:
    """Keep a reload attempt that found `problems` (failed when any is an error), in its own session."""
    errors = [str(p) for p in problems if p.severity == "error"]
    with Session(engine) as session:
        record_reload(session=session, via=via, source=source, ok=not errors, problems=errors)


def last_reload(*, session: Session) -> ReloadAttempt | None:
    """The latest reload attempt, or None."""
    query = select(ReloadAttempt).order_by(col(ReloadAttempt.at).desc(), col(ReloadAttempt.id).desc())
    return session.exec(query.limit(1)).first()


def _json(values: dict[str, Any]) -> dict[str, Any]:
    """Dates as ISO text, so the row is plain JSON in SQLite and PostgreSQL alike."""

    def clean(value: Any) -> Any:
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, dict):
            return {str(k): clean(v) for k, v in value.items()}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    return {str(k): clean(v) for k, v in values.items()}
