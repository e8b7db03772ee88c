"""What a conversation remembers, per (channel, user), kept in the store (never in process memory).

Telegram, the web chat and WeChat read and write the same table, keyed by the channel's name
and its own user key (a Telegram user id, a web chat's random session id, a WeChat OpenID).
Two instances of a channel, or one after a restart, read the same rows.

Nothing is kept longer than it is useful: a shared location, a named town and the last answer
expire after the configured time (2 hours by default), a question waiting for a location and
a clarifying question after `PENDING_TTL`. Expired parts are left out when a row is read, and
`purge_expired` (run by the bot every few minutes, and by the conversation itself at most every
`PURGE_EVERY`) deletes them for every user, including users who never return. A row holding only
a chosen language is kept until the language is changed, or `IDLE_TTL` after its last use.
Locations are rounded to 3 decimals (about 100 m) before they are kept, and so are coordinates
typed into a question (`redact.fit_to_keep`).

`Delivery` records which incoming messages were answered (WeChat resends a message it got no
answer to in time): a hash of the message id, when, and the reply, for `DELIVERY_TTL`.

The terminal chat keeps its memory in the process instead (`ProcessMemory`): it writes nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Engine, MetaData, Table, and_, inspect, or_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped
from sqlmodel import Field, Session, SQLModel, col, delete, select, update

from services_catalog.db import WRITE_LOCK, create_all
from services_catalog.redact import fit_to_keep

log = logging.getLogger(__name__)

# A question waiting for a location, or a clarifying question, is forgotten after this long.
PENDING_TTL = dt.timedelta(minutes=30)
# A conversation nobody wrote to for this long is deleted, chosen language and all.
IDLE_TTL = dt.timedelta(days=180)
# Incoming message ids are remembered this long (WeChat retries within seconds).
DELIVERY_TTL = dt.timedelta(hours=1)
# Decimals kept of a shared latitude/longitude: 0.001° is about 111 m north-south, 95 m east-west here.
LOCATION_DECIMALS = 3
MAX_TEXT = 500
MAX_IDS = 10  # places of the last answer remembered, for "第二个呢"
MAX_USER_KEY = 64


def utcnow() -> dt.datetime:
    """The current time in UTC (timezone-aware, as the store wants it)."""
    return dt.datetime.now(dt.UTC)


def round_location(lat: float, lon: float) -> tuple[float, float]:
    """The location as it is stored: about 100 m precise."""
    return round(lat, LOCATION_DECIMALS), round(lon, LOCATION_DECIMALS)


class ConversationRow(SQLModel, table=True):
    """One conversation's memory in the store."""

    __tablename__ = "conversation"

    channel: str = Field(primary_key=True, max_length=16)  # telegram, web, wechat
    user: str = Field(primary_key=True, max_length=MAX_USER_KEY)  # the channel's own user key
    lang: str | None = Field(default=None, max_length=8)  # chosen; None: the channel's hint
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
    last_ids: str | None = Field(default=None, max_length=MAX_IDS * 65)  # its places, comma-separated
    last_focus: str | None = Field(default=None, max_length=64)  # the place a follow-up was about
    last_offset: int = 0  # the number of the first place shown, less one
    last_total: int = 0  # how many places the question has in all
    last_at: dt.datetime | None = None
    choices: str | None = Field(default=None, max_length=600)  # a clarifying question's options
    choices_at: dt.datetime | None = None
    updated: dt.datetime = Field(default_factory=utcnow)


class Delivery(SQLModel, table=True):
    """An incoming message that was (or is being) answered, by a hash of its id."""

    __tablename__ = "delivery"

    channel: str = Field(primary_key=True, max_length=16)
    key: str = Field(primary_key=True, max_length=64)  # sha256 of the message id: no user id kept
    received: dt.datetime = Field(default_factory=utcnow, index=True)
    answered: dt.datetime | None = None
    reply: str | None = Field(default=None, max_length=8000)


@dataclass(frozen=True)
class Pending:
    """A question that waits for the person's location."""

    text: str
    kind: str | None = None


@dataclass(frozen=True)
class LastAnswer:
    """What the last answer was about, for "更多", "第二个呢", "信息有误" and follow-ups."""

    text: str
    kind: str | None = None
    service: str | None = None
    ids: tuple[str, ...] = ()  # the places shown, in order
    offset: int = 0
    total: int = 0
    focus: str | None = None  # the place the last follow-up was about ("第二个呢"), for the next one


@dataclass
class Memory:
    """What a conversation knows right now (expired parts already left out)."""

    lang: str | None = None
    lat: float | None = None
    lon: float | None = None
    located_at: dt.datetime | None = None
    town: str | None = None
    town_at: dt.datetime | None = None
    pending: Pending | None = None
    pending_at: dt.datetime | None = None
    last: LastAnswer | None = None
    last_at: dt.datetime | None = None
    choices: tuple[str, ...] = ()
    choices_at: dt.datetime | None = None
    updated: dt.datetime | None = field(default=None, compare=False)

    def locate(self, lat: float, lon: float, now: dt.datetime) -> None:
        """Keep a shared location, rounded to about 100 m; it replaces a town named earlier."""
        self.lat, self.lon = round_location(lat, lon)
        self.located_at = now
        self.town = self.town_at = None

    def settle_in(self, town: str, now: dt.datetime, *, replaces_location: bool) -> None:
        """Keep the town the person is in; one chosen on purpose replaces an older location."""
        self.town, self.town_at = town, now
        if replaces_location:
            self.lat = self.lon = self.located_at = None

    def wait_for_location(self, text: str, kind: str | None, now: dt.datetime) -> None:
        """Keep a question until the person says where they are."""
        self.pending, self.pending_at = Pending(text[:MAX_TEXT], kind), now

    def take_pending(self) -> Pending | None:
        """The question waiting for a location, forgotten as it is taken."""
        pending, self.pending, self.pending_at = self.pending, None, None
        return pending

    def answered(self, last: LastAnswer, now: dt.datetime) -> None:
        """Keep what the last answer was about."""
        ids = tuple(last.ids[:MAX_IDS])
        self.last = dataclasses.replace(last, text=last.text[:MAX_TEXT], ids=ids)
        self.last_at = now

    def offer(self, choices: tuple[str, ...], now: dt.datetime) -> None:
        """Keep the options of a clarifying question (empty: none is open)."""
        self.choices = choices
        self.choices_at = now if choices else None

    def forget_expired(self, now: dt.datetime, ttl: dt.timedelta) -> None:
        """Leave out what is kept no longer."""
        if self.lat is not None and _expired(self.located_at, ttl, now):
            self.lat = self.lon = self.located_at = None
        if self.town is not None and _expired(self.town_at, ttl, now):
            self.town = self.town_at = None
        if self.pending is not None and _expired(self.pending_at, PENDING_TTL, now):
            self.pending = self.pending_at = None
        if self.last is not None and _expired(self.last_at, ttl, now):
            self.last = self.last_at = None
        if self.choices and _expired(self.choices_at, PENDING_TTL, now):
            self.choices, self.choices_at = (), None

    def is_empty(self) -> bool:
        """Whether nothing at all is remembered."""
        return (
            self.lang is None
            and self.lat is None
            and self.town is None
            and self.pending is None
            and self.last is None
            and not self.choices
        )


def _expired(at: dt.datetime | None, ttl: dt.timedelta, now: dt.datetime) -> bool:
    if at is None:
        return True
    if at.tzinfo is None:  # SQLite hands times back without their zone; they were stored as UTC
        at = at.replace(tzinfo=dt.UTC)
    return now - at > ttl


class MemoryStore(Protocol):
    """Where conversations keep what they remember."""

    def load(self, channel: str, user: str, now: dt.datetime) -> Memory:
        """The memory of one conversation (expired parts left out)."""
        ...

    def save(self, channel: str, user: str, memory: Memory, now: dt.datetime) -> None:
        """Keep `memory` for the conversation."""
        ...


class ProcessMemory:
    """Memory for as long as the process runs (the terminal chat): nothing is written anywhere."""

    def __init__(self, location_ttl: dt.timedelta = dt.timedelta(hours=2)) -> None:
        self.location_ttl = location_ttl
        self._kept: dict[tuple[str, str], Memory] = {}

    def load(self, channel: str, user: str, now: dt.datetime) -> Memory:
        """The memory of one conversation (expired parts left out)."""
        memory = dataclasses.replace(self._kept.get((channel, user), Memory()))
        memory.forget_expired(now, self.location_ttl)
        return memory

    def save(self, channel: str, user: str, memory: Memory, now: dt.datetime) -> None:
        """Keep `memory` until the process ends."""
        self._kept[(channel, user)] = dataclasses.replace(memory)


class StoredMemory:
    """Memory in the store, shared by every process that uses it."""

    def __init__(self, engine: Engine, location_ttl: dt.timedelta) -> None:
        self.engine = engine
        self.location_ttl = location_ttl
        # A save reads the row, then writes it: on SQLite its transaction takes the write lock at
        # BEGIN, so that it waits for a purge running at the same moment instead of failing
        # ("database is locked" when a read transaction cannot become a write one).
        self._writer = engine.execution_options(**{WRITE_LOCK: True})

    def load(self, channel: str, user: str, now: dt.datetime) -> Memory:
        """The memory of one conversation (expired parts left out, and deleted when saved)."""
        with Session(self.engine) as session:
            row = session.get(ConversationRow, (channel, user))
        if row is None:
            return Memory()
        memory = _memory_of(row)
        memory.forget_expired(now, self.location_ttl)
        return memory

    def save(self, channel: str, user: str, memory: Memory, now: dt.datetime) -> None:
        """Write `memory` over the conversation's row (or delete the row when nothing is left)."""
        with Session(self._writer) as session:
            row = session.get(ConversationRow, (channel, user))
            if memory.is_empty():
                if row is not None:
                    session.delete(row)
                    session.commit()
                return
            row = row or ConversationRow(channel=channel, user=user)
            _fill(row, memory)
            row.updated = now
            session.add(row)
            try:
                session.commit()
            except IntegrityError:  # the same conversation's first row, written twice at once
                session.rollback()
                row = session.get(ConversationRow, (channel, user))
                if row is not None:
                    _fill(row, memory)
                    row.updated = now
                    session.add(row)
                    session.commit()


def _memory_of(row: ConversationRow) -> Memory:
    last = None
    if row.last_text is not None:
        ids = tuple(i for i in (row.last_ids or "").split(",") if i)
        last = LastAnswer(
            row.last_text,
            row.last_kind,
            row.last_service,
            ids,
            row.last_offset,
            row.last_total,
            row.last_focus,
        )
    return Memory(
        lang=row.lang,
        lat=row.lat,
        lon=row.lon,
        located_at=row.located_at,
        town=row.town,
        town_at=row.town_at,
        pending=Pending(row.pending_text, row.pending_kind) if row.pending_text is not None else None,
        pending_at=row.pending_at,
        last=last,
        last_at=row.last_at,
        choices=tuple(c for c in (row.choices or "").split(",") if c),
        choices_at=row.choices_at,
        updated=row.updated,
    )


def _fill(row: ConversationRow, m: Memory) -> None:
    row.lang = m.lang
    row.lat, row.lon, row.located_at = m.lat, m.lon, m.located_at
    row.town, row.town_at = m.town, m.town_at
    # What the person wrote is kept with any coordinates in it rounded, as a shared location is.
    row.pending_text = fit_to_keep(m.pending.text) if m.pending else None
    row.pending_kind = m.pending.kind if m.pending else None
    row.pending_at = m.pending_at if m.pending else None
    last = m.last
    row.last_text = fit_to_keep(last.text) if last else None
    row.last_kind = last.kind if last else None
    row.last_service = last.service if last else None
    row.last_ids = ",".join(last.ids) if last and last.ids else None
    row.last_focus = last.focus if last else None
    row.last_offset = last.offset if last else 0
    row.last_total = last.total if last else 0
    row.last_at = m.last_at if last else None
    row.choices = ",".join(m.choices) if m.choices else None
    row.choices_at = m.choices_at if m.choices else None


def create_memory_tables(engine: Engine) -> None:
    """Create the conversation and delivery tables; carry over a store written before they existed.

    Earlier versions kept Telegram users in `bot_user`: the languages they chose move to the new
    table and the old table (which may still hold locations) is dropped.
    """
    create_all(
        engine,
        tables=[ConversationRow.__table__, Delivery.__table__],  # type: ignore[attr-defined]
    )
    if not inspect(engine).has_table("bot_user"):
        return
    old = Table("bot_user", MetaData(), autoload_with=engine)
    with engine.begin() as conn:
        chosen = conn.execute(select(old.c.user_id, old.c.lang).where(old.c.lang.is_not(None))).all()
        now = utcnow()
        for user_id, lang in chosen:
            key = str(user_id)
            exists = conn.execute(
                select(ConversationRow.__table__.c.user).where(  # type: ignore[attr-defined]
                    and_(col(ConversationRow.channel) == "telegram", col(ConversationRow.user) == key)
                )
            ).first()
            if exists is None:
                conn.execute(
                    ConversationRow.__table__.insert().values(  # type: ignore[attr-defined]
                        channel="telegram", user=key, lang=lang, last_offset=0, last_total=0, updated=now
                    )
                )
        old.drop(conn)
    log.info("moved %d chosen languages from the old bot_user table, and dropped it", len(chosen))


def _older_than(at: Mapped[dt.datetime | None], cutoff: dt.datetime) -> ColumnElement[bool]:
    # A value without its time counts as expired, as `_expired` treats it.
    return or_(at.is_(None), at < cutoff)


def purge_expired(*, session: Session, location_ttl: dt.timedelta, now: dt.datetime | None = None) -> int:
    """Forget every conversation's expired location, town, waiting question, last answer and choices.

    One UPDATE per kind over the whole table (no row is read into Python), then one DELETE of
    the rows left with nothing in them or idle for `IDLE_TTL`, and one of old deliveries. Returns
    how many pieces of state were forgotten (a location, a town, a waiting question, a last answer
    and a clarifying question count one each).
    """
    now = now or utcnow()
    kept = now - location_ttl
    waiting = now - PENDING_TTL
    c = ConversationRow
    kinds: list[tuple[ColumnElement[bool], ColumnElement[bool], dict[str, Any]]] = [
        (
            or_(col(c.lat).is_not(None), col(c.lon).is_not(None), col(c.located_at).is_not(None)),
            _older_than(col(c.located_at), kept),
            {"lat": None, "lon": None, "located_at": None},
        ),
        (
            or_(col(c.town).is_not(None), col(c.town_at).is_not(None)),
            _older_than(col(c.town_at), kept),
            {"town": None, "town_at": None},
        ),
        (
            or_(col(c.pending_text).is_not(None), col(c.pending_at).is_not(None)),
            _older_than(col(c.pending_at), waiting),
            {"pending_text": None, "pending_kind": None, "pending_at": None},
        ),
        (
            or_(col(c.last_text).is_not(None), col(c.last_at).is_not(None)),
            _older_than(col(c.last_at), kept),
            {
                "last_text": None,
                "last_kind": None,
                "last_service": None,
                "last_ids": None,
                "last_focus": None,
                "last_offset": 0,
                "last_total": 0,
                "last_at": None,
            },
        ),
        (
            or_(col(c.choices).is_not(None), col(c.choices_at).is_not(None)),
            _older_than(col(c.choices_at), waiting),
            {"choices": None, "choices_at": None},
        ),
    ]
    forgotten = 0
    for present, expired, cleared in kinds:
        # `updated` stays: it says when the person last wrote (see the DELETEs below).
        result = session.exec(update(c).where(and_(present, expired)).values(**cleared))
        forgotten += int(result.rowcount or 0)
    # A row left with nothing in it says only that someone once wrote; it goes once untouched for
    # as long as a location is kept (a row being written is not deleted).
    empty = [
        col(c.updated) < kept,
        col(c.lang).is_(None),
        col(c.lat).is_(None),
        col(c.town).is_(None),
        col(c.pending_text).is_(None),
        col(c.last_text).is_(None),
        col(c.choices).is_(None),
    ]
    session.exec(delete(c).where(and_(*empty)))
    session.exec(delete(c).where(col(c.updated) < now - IDLE_TTL))
    session.exec(delete(Delivery).where(col(Delivery.received) < now - DELIVERY_TTL))
    session.commit()
    return forgotten


# ------------------------------------------------------------------------------------ deliveries


def delivery_key(message_id: str) -> str:
    """The key a message id is kept under: a hash, so no id that could name a person is stored."""
    return hashlib.sha256(message_id.encode("utf-8")).hexdigest()


def claim_delivery(engine: Engine, channel: str, message_id: str, now: dt.datetime | None = None) -> bool:
    """True for the first arrival of `message_id` on `channel` (across processes); False for a repeat."""
    row = Delivery(channel=channel, key=delivery_key(message_id), received=now or utcnow())
    with Session(engine) as session:
        session.add(row)
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            return False
    return True


def finish_delivery(
    engine: Engine, channel: str, message_id: str, reply: str, now: dt.datetime | None = None
) -> None:
    """Keep the reply given to `message_id`, for a repeat that arrives while it was being answered."""
    with Session(engine) as session:
        row = session.get(Delivery, (channel, delivery_key(message_id)))
        if row is None:
            return
        row.reply = reply[:8000]
        row.answered = now or utcnow()
        session.add(row)
        session.commit()


def find_delivery(engine: Engine, channel: str, message_id: str) -> Delivery | None:
    """The record of `message_id` on `channel`, if it arrived before."""
    with Session(engine) as session:
        return session.get(Delivery, (channel, delivery_key(message_id)))
