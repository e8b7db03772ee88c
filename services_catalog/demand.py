"""How often residents asked for each kind of place in each town: counts per day, nothing else.

No text, no user, no location: one counter per (day, kind, town), so staff can check first the
records residents need most. Counts older than the unanswered questions' keeping period go with
them (`purge`).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import UniqueConstraint, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Field, Session, SQLModel, col, delete, select

SHANGHAI = ZoneInfo("Asia/Shanghai")
NO_TOWN = ""  # asked without a town Doorstep could tell


class AskedCount(SQLModel, table=True):
    """How many questions one day asked for one kind of place in one town."""

    __tablename__ = "asked_count"
    __table_args__ = (UniqueConstraint("day", "kind", "town"),)

    id: int | None = Field(default=None, primary_key=True)
    day: dt.date = Field(index=True)  # Shanghai date
    kind: str = Field(max_length=64)
    town: str = Field(max_length=64)
    n: int = 0


def record_asked(
    *, session: Session, kind: str, town: str | None, day: dt.date | None = None, n: int = 1
) -> None:
    """Count `n` questions for `kind` in `town` (None: no town known), in one statement.

    An upsert: counts from several processes at once add up (a read, then a write, would lose some).
    """
    day = day or dt.datetime.now(SHANGHAI).date()
    table: Any = AskedCount.__table__  # type: ignore[attr-defined]  # SQLModel sets it
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(
        insert(table)
        .values(day=day, kind=kind[:64], town=(town or NO_TOWN)[:64], n=n)
        .on_conflict_do_update(index_elements=["day", "kind", "town"], set_={"n": table.c.n + n})
    )
    session.commit()


def asked_by_kind_and_town(*, session: Session, days: int = 90) -> Counter[tuple[str, str]]:
    """(kind, town) -> questions over the last `days` days."""
    since = dt.date.today() - dt.timedelta(days=days)
    query = (
        select(AskedCount.kind, AskedCount.town, func.sum(AskedCount.n))
        .where(col(AskedCount.day) >= since)
        .group_by(col(AskedCount.kind), col(AskedCount.town))
    )
    return Counter({(kind, town): int(n or 0) for kind, town, n in session.exec(query)})


def purge(*, session: Session, days: int = 90) -> int:
    """Delete counts older than `days`; how many rows went."""
    cutoff = dt.date.today() - dt.timedelta(days=days)
    result = session.exec(delete(AskedCount).where(col(AskedCount.day) < cutoff))
    session.commit()
    return int(result.rowcount or 0)
