"""What the bot remembers about one Telegram user, kept in the store (never in process memory).

Two bot instances behind one webhook, or one bot after a restart, read the same rows. Nothing
here is kept longer than it is useful: a shared location, a named town and the last question
expire after the configured time (2 hours by default), a question waiting for a location after
`PENDING_TTL`. Expired parts are left out when a row is read, and `purge_expired` (run by the bot
at start-up and every few minutes) deletes them for every user, including users who never return.

Locations are rounded to 3 decimals (about 100 m) before they are stored.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import BigInteger, ColumnElement, Engine, and_, or_
from sqlalchemy.orm import Mapped
from sqlmodel import Field, Session, SQLModel, col, delete, update

# A question waiting for a location is forgotten after this long.
PENDING_TTL = dt.timedelta(minutes=30)
# Decimals kept of a shared latitude/longitude: 0.001° is about 111 m north-south, 95 m east-west here.
LOCATION_DECIMALS = 3
MAX_TEXT = 500


def utcnow() -> dt.datetime:
    """The current time in UTC (timezone-aware, as the store wants it)."""
    return dt.datetime.now(dt.UTC)


class ChatUser(SQLModel, table=True):
    """One Telegram user's conversation state."""

    __tablename__ = "bot_user"

    user_id: int = Field(primary_key=True, sa_type=BigInteger)  # Telegram user id (up to 52 bits)
    lang: str | None = Field(default=None, max_length=8)  # chosen with /lang; None: from Telegram
    lat: float | None = None  # WGS-84, rounded to LOCATION_DECIMALS
    lon: float | None = None
    located_at: dt.datetime | None = None
    town: str | None = Field(default=None, max_length=32)  # official town name
    town_at: dt.datetime | None = None
    pending_text: str | None = Field(default=None, max_length=MAX_TEXT)  # waiting for a location
    pending_kind: str | None = Field(default=None, max_length=64)
    pending_at: dt.datetime | None = None
    last_text: str | None = Field(default=None, max_length=MAX_TEXT)  # the last question answered
    last_kind: str | None = Field(default=None, max_length=64)
    last_service: str | None = Field(default=None, max_length=64)
    last_facility_id: str | None = Field(default=None, max_length=64)
    last_at: dt.datetime | None = None
    updated: dt.datetime = Field(default_factory=utcnow)


@dataclass(frozen=True)
class Pending:
    """A question that waits for the user's location."""

    text: str
    kind: str | None = None


@dataclass(frozen=True)
class UserState:
    """What is known about a user right now (expired parts already left out)."""

    user_id: int
    lang: str | None = None
    lat: float | None = None
    lon: float | None = None
    town: str | None = None
    pending: Pending | None = None
    last_text: str | None = None
    last_kind: str | None = None
    last_service: str | None = None
    last_facility_id: str | None = None


def create_state_tables(engine: Engine) -> None:
    """Create the bot's tables when they do not exist yet."""
    SQLModel.metadata.create_all(engine, tables=[ChatUser.__table__])  # type: ignore[attr-defined]


def round_location(lat: float, lon: float) -> tuple[float, float]:
    """The location as it is stored: about 100 m precise."""
    return round(lat, LOCATION_DECIMALS), round(lon, LOCATION_DECIMALS)


def _row(session: Session, user_id: int) -> ChatUser:
    row = session.get(ChatUser, user_id)
    return row if row is not None else ChatUser(user_id=user_id)


def _expired(at: dt.datetime | None, ttl: dt.timedelta, now: dt.datetime) -> bool:
    if at is None:
        return True
    if at.tzinfo is None:  # SQLite hands times back without their zone; they were stored as UTC
        at = at.replace(tzinfo=dt.UTC)
    return now - at > ttl


def load_user(
    *, session: Session, user_id: int, location_ttl: dt.timedelta, now: dt.datetime | None = None
) -> UserState:
    """The user's state; expired location, town and pending question are deleted, not returned."""
    now = now or utcnow()
    row = session.get(ChatUser, user_id)
    if row is None:
        return UserState(user_id=user_id)
    changed = False
    if row.lat is not None and _expired(row.located_at, location_ttl, now):
        row.lat = row.lon = row.located_at = None
        changed = True
    if row.town is not None and _expired(row.town_at, location_ttl, now):
        row.town = row.town_at = None
        changed = True
    if row.pending_text is not None and _expired(row.pending_at, PENDING_TTL, now):
        row.pending_text = row.pending_kind = row.pending_at = None
        changed = True
    if row.last_text is not None and _expired(row.last_at, location_ttl, now):
        row.last_text = row.last_kind = row.last_service = row.last_facility_id = row.last_at = None
        changed = True
    if changed:
        row.updated = now
        session.add(row)
        session.commit()
        session.refresh(row)
    return UserState(
        user_id=user_id,
        lang=row.lang,
        lat=row.lat,
        lon=row.lon,
        town=row.town,
        pending=Pending(row.pending_text, row.pending_kind) if row.pending_text is not None else None,
        last_text=row.last_text,
        last_kind=row.last_kind,
        last_service=row.last_service,
        last_facility_id=row.last_facility_id,
    )


def set_language(*, session: Session, user_id: int, lang: str) -> None:
    """Remember the language the user chose."""
    row = _row(session, user_id)
    row.lang = lang
    row.updated = utcnow()
    session.add(row)
    session.commit()


def remember_location(
    *, session: Session, user_id: int, lat: float, lon: float, now: dt.datetime | None = None
) -> None:
    """Keep a shared location, rounded to about 100 m; it replaces a town named earlier."""
    now = now or utcnow()
    row = _row(session, user_id)
    row.lat, row.lon = round_location(lat, lon)
    row.located_at = now
    row.town = row.town_at = None
    row.updated = now
    session.add(row)
    session.commit()


def remember_town(
    *,
    session: Session,
    user_id: int,
    town: str,
    replaces_location: bool = False,
    now: dt.datetime | None = None,
) -> None:
    """Keep the town the user is in; a town chosen on purpose replaces an older shared location."""
    now = now or utcnow()
    row = _row(session, user_id)
    row.town = town
    row.town_at = now
    if replaces_location:
        row.lat = row.lon = row.located_at = None
    row.updated = now
    session.add(row)
    session.commit()


def set_pending(
    *, session: Session, user_id: int, text: str, kind: str | None = None, now: dt.datetime | None = None
) -> None:
    """Keep a question until the user says where they are."""
    now = now or utcnow()
    row = _row(session, user_id)
    row.pending_text = text[:MAX_TEXT]
    row.pending_kind = kind
    row.pending_at = now
    row.updated = now
    session.add(row)
    session.commit()


def take_pending(*, session: Session, user_id: int, now: dt.datetime | None = None) -> Pending | None:
    """The question waiting for a location (if it has not expired), removed from the store."""
    now = now or utcnow()
    row = session.get(ChatUser, user_id)
    if row is None or row.pending_text is None:
        return None
    pending = (
        None if _expired(row.pending_at, PENDING_TTL, now) else Pending(row.pending_text, row.pending_kind)
    )
    row.pending_text = row.pending_kind = row.pending_at = None
    row.updated = now
    session.add(row)
    session.commit()
    return pending


def remember_answer(
    *,
    session: Session,
    user_id: int,
    text: str,
    kind: str | None,
    service: str | None,
    facility_id: str | None,
    now: dt.datetime | None = None,
) -> None:
    """Keep what the last answer was about, for "更多", "信息有误?" and follow-up questions."""
    now = now or utcnow()
    row = _row(session, user_id)
    row.last_text = text[:MAX_TEXT]
    row.last_kind = kind
    row.last_service = service
    row.last_facility_id = facility_id
    row.last_at = now
    row.updated = now
    session.add(row)
    session.commit()


def _older_than(at: Mapped[dt.datetime | None], cutoff: dt.datetime) -> ColumnElement[bool]:
    # A value without its time counts as expired, as `_expired` treats it.
    return or_(at.is_(None), at < cutoff)


def purge_expired(*, session: Session, location_ttl: dt.timedelta, now: dt.datetime | None = None) -> int:
    """Forget every user's expired location, town, waiting question and last question.

    One UPDATE per kind over the whole table (no row is read into Python), then one DELETE of
    the rows left with nothing in them. Returns how many pieces of state were forgotten (a
    location, a town, a waiting question and a last question count one each).
    """
    now = now or utcnow()
    kept = now - location_ttl
    kinds = [
        (
            or_(
                col(ChatUser.lat).is_not(None),
                col(ChatUser.lon).is_not(None),
                col(ChatUser.located_at).is_not(None),
            ),
            _older_than(col(ChatUser.located_at), kept),
            {"lat": None, "lon": None, "located_at": None},
        ),
        (
            or_(col(ChatUser.town).is_not(None), col(ChatUser.town_at).is_not(None)),
            _older_than(col(ChatUser.town_at), kept),
            {"town": None, "town_at": None},
        ),
        (
            or_(col(ChatUser.pending_text).is_not(None), col(ChatUser.pending_at).is_not(None)),
            _older_than(col(ChatUser.pending_at), now - PENDING_TTL),
            {"pending_text": None, "pending_kind": None, "pending_at": None},
        ),
        (
            or_(col(ChatUser.last_text).is_not(None), col(ChatUser.last_at).is_not(None)),
            _older_than(col(ChatUser.last_at), kept),
            {
                "last_text": None,
                "last_kind": None,
                "last_service": None,
                "last_facility_id": None,
                "last_at": None,
            },
        ),
    ]
    forgotten = 0
    for present, expired, cleared in kinds:
        # `updated` stays: it says when the user last changed something (see the DELETE below).
        result = session.exec(update(ChatUser).where(and_(present, expired)).values(**cleared))
        forgotten += int(result.rowcount or 0)
    # A row left with nothing in it (no language chosen) says only that the user once wrote; it
    # goes once untouched for as long as a location is kept (a row being written is not deleted).
    empty = [
        col(ChatUser.updated) < kept,
        col(ChatUser.lang).is_(None),
        col(ChatUser.lat).is_(None),
        col(ChatUser.town).is_(None),
        col(ChatUser.pending_text).is_(None),
        col(ChatUser.last_text).is_(None),
    ]
    session.exec(delete(ChatUser).where(and_(*empty)))
    session.commit()
    return forgotten
