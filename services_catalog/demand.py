"""How often residents asked for each kind of place in each town: counts per day, nothing else.

No text, no user, no location: one counter per (day, kind, town), so staff can check first the
records residents need most. Counts older than the unanswered questions' keeping period go with
them (`purge`).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from zoneinfo import ZoneInfo

from sqlalchemy import UniqueConstraint, func
from sqlalchemy.exc import IntegrityError
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


def record_asked(*, session: Session, kind: str, town: str | None, day: dt.date | None = None) -> None:
    """Count one question for `kind` in `town` (None: no town known)."""
    day = day or dt.datetime.now(SHANGHAI).date()
    key = (day, kind[:64], (town or NO_TOWN)[:64])
    for _ in range(2):  # a concurrent first count of the same key: the loser adds to the winner's row
        row = session.exec(
            select(AskedCount).where(
                AskedCount.day == key[0], AskedCount.kind == key[1], AskedCount.town == key[2]
            )
        ).first()
        if row is None:
            row = AskedCount(day=key[0], kind=key[1], town=key[2], n=0)
        row.n += 1
        session.add(row)
        try:
            session.commit()
            return
        except IntegrityError:
            session.rollback()


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
