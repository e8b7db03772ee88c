"""Telegram updates recorded in the store before they are answered, so each is answered once.

Every update is written here, by id, before anything is done with it: when it is fetched
(`getUpdates`) or posted to the webhook, before Telegram is told it arrived. The row says which
running bot process owns it, what is to be sent for it, how far sending got, and whether it is
answered:

    received ─► owned by one process ─► its messages planned (`outgoing`) ─► each one sent ─► answered

So, across restarts and processes:
- an update that arrives again (a webhook retry, getUpdates after a restart) is not answered again:
  it is answered already, or being answered by a live process;
- an update whose process died (SIGKILL, a lost machine) is taken over by another process (or the
  restarted one) once the dead one's heartbeat is `DEAD_AFTER` old: messages already sent are not
  sent again, the rest are, and a conversation turn already taken is not taken twice (the planned
  messages are kept);
- a message whose sending was under way when its process died may or may not have reached
  Telegram; it is not sent again (a resident may miss one message rather than get it twice).

What is kept: the update's JSON until it is answered (then only its id and times), with typed
coordinates and a shared location rounded to about 100 m as the conversation keeps them (`kept`),
and the id for `KEEP` (Telegram resends an update for up to a day). Running processes are listed in
`bot_instance` with a heartbeat every `HEARTBEAT` seconds; a cleanly stopped one deletes its row.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Engine, and_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col, delete, select

from services_catalog.db import create_all
from services_catalog.redact import LOCATION_DECIMALS, fit_to_keep

HEARTBEAT = 2.0  # seconds between heartbeats of a running bot process
DEAD_AFTER = dt.timedelta(seconds=8)  # a process silent this long is taken for dead
KEEP = dt.timedelta(days=1)  # how long update ids are kept (Telegram gives up after a day)
GIVE_UP_AFTER = dt.timedelta(hours=1)  # an update nobody could answer in an hour is not taken over

Verdict = Literal["new", "duplicate", "take over"]


def utcnow() -> dt.datetime:
    """Now, in UTC."""
    return dt.datetime.now(dt.UTC)


class TelegramUpdate(SQLModel, table=True):
    """One update of one bot, from its arrival until a day after."""

    __tablename__ = "telegram_update"

    bot_id: int = Field(primary_key=True)
    update_id: int = Field(primary_key=True)
    received: dt.datetime = Field(default_factory=utcnow, index=True)
    owner: str = Field(max_length=32, index=True)  # the bot process answering it
    payload: str | None = None  # the update's JSON, until it is answered
    outgoing: str | None = None  # JSON list of the messages planned for it
    sending: int = 0  # messages whose sending started
    sent: int = 0  # messages Telegram confirmed
    answered: dt.datetime | None = Field(default=None, index=True)


class BotInstance(SQLModel, table=True):
    """A running bot process, with its last heartbeat."""

    __tablename__ = "bot_instance"

    id: str = Field(primary_key=True, max_length=32)
    started: dt.datetime = Field(default_factory=utcnow)
    seen: dt.datetime = Field(default_factory=utcnow, index=True)


@dataclass(frozen=True)
class Outgoing:
    """One Bot API call to make for an update: the method and its parameters (JSON)."""

    method: str
    params: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        """As kept in the store."""
        return {"method": self.method, "params": self.params}


@dataclass(frozen=True)
class Claim:
    """An update this process is to answer now, and how far an earlier owner got."""

    update_id: int
    outgoing: tuple[Outgoing, ...]  # planned by an earlier owner (empty: nothing planned yet)
    sending: int
    sent: int

    @property
    def planned(self) -> bool:
        """Whether an earlier owner already took the conversation's turn (its messages are kept)."""
        return bool(self.outgoing)


def create_tables(engine: Engine) -> None:
    """Create the update and instance tables when they do not exist yet."""
    create_all(
        engine,
        tables=[TelegramUpdate.__table__, BotInstance.__table__],  # type: ignore[attr-defined]
    )


def bot_id_of(token: str) -> int:
    """The bot's id: the number before the colon of its token (0 when there is none)."""
    head = token.partition(":")[0]
    return int(head) if head.isdigit() else 0


class UpdateLog:
    """The updates of one bot, as seen by one running process (`instance`)."""

    def __init__(self, engine: Engine, bot_id: int, instance: str | None = None) -> None:
        self.engine = engine
        self.bot_id = bot_id
        self.instance = instance or secrets.token_hex(8)
        self._attempted: set[int] = set()  # updates this process tried to send something for
        self._registered = False
        create_tables(engine)

    # Processes

    def register(self) -> None:
        """Say this process is running (and beat for the first time)."""
        self.beat()

    def beat(self) -> None:
        """This process is alive: refresh its heartbeat."""
        self._registered = True
        now = utcnow()
        with Session(self.engine) as session:
            row = session.get(BotInstance, self.instance)
            if row is None:
                row = BotInstance(id=self.instance, started=now)
            row.seen = now
            session.add(row)
            session.commit()

    def retire(self) -> None:
        """This process stops cleanly: its unfinished updates (if any) may be taken over at once."""
        with Session(self.engine) as session:
            session.exec(delete(BotInstance).where(col(BotInstance.id) == self.instance))
            session.commit()

    # Updates

    def record(self, update_id: int, payload: dict[str, Any]) -> Verdict:
        """Keep an update that has just arrived, before anyone is told it did.

        "new": this process answers it. "duplicate": it was answered, or a live process is
        answering it. "take over": its process died; this one finishes it.
        """
        if not self._registered:  # no update of a process others cannot see alive
            self.register()
        now = utcnow()
        row = TelegramUpdate(
            bot_id=self.bot_id,
            update_id=update_id,
            received=now,
            owner=self.instance,
            payload=json.dumps(kept(payload)),  # ASCII: a lone surrogate is kept as its \\u escape
        )
        with Session(self.engine) as session:
            session.add(row)
            try:
                session.commit()
                return "new"
            except IntegrityError:
                session.rollback()
        return "take over" if self._take_over_if_dead(update_id, now) else "duplicate"

    def begin(self, update_id: int, payload: dict[str, Any]) -> Claim | None:
        """The update as this process is to answer it now, or None when it must not (answered, or
        another live process owns it). An update nobody recorded yet is recorded now."""
        if self.record(update_id, payload) == "new":
            return Claim(update_id, (), 0, 0)
        with Session(self.engine) as session:
            row = session.get(TelegramUpdate, (self.bot_id, update_id))
        if row is None or row.answered is not None or row.owner != self.instance:
            return None
        planned = tuple(Outgoing(o["method"], o["params"]) for o in json.loads(row.outgoing or "[]"))
        return Claim(update_id, planned, row.sending, row.sent)

    def plan(self, update_id: int, messages: list[Outgoing]) -> int:
        """Keep the messages about to be sent for an update; the number of the first one."""
        with Session(self.engine) as session:
            row = session.get(TelegramUpdate, (self.bot_id, update_id))
            if row is None:
                return 0
            planned = json.loads(row.outgoing or "[]")
            first = len(planned)
            row.outgoing = json.dumps(planned + [m.as_json() for m in messages])
            session.add(row)
            session.commit()
        return first

    def sending(self, update_id: int, number: int) -> None:
        """Message `number` (counting from 1) is being sent."""
        self.attempt(update_id)
        self._set(update_id, sending=number)

    def attempt(self, update_id: int) -> None:
        """Note (in this process's memory only: it cannot fail) that a message is being sent."""
        self._attempted.add(update_id)

    def attempted(self, update_id: int) -> bool:
        """Whether this process tried to send a message for the update (it may have arrived)."""
        return update_id in self._attempted

    def sent(self, update_id: int, number: int) -> None:
        """Message `number` (counting from 1) reached Telegram."""
        self._set(update_id, sent=number, sending=number)

    def finish(self, update_id: int) -> None:
        """The update is answered: forget its content and its replies, keep its id."""
        self._attempted.discard(update_id)
        self._set(update_id, answered=utcnow(), payload=None, outgoing=None)

    def orphans(self, now: dt.datetime | None = None) -> list[tuple[int, dict[str, Any]]]:
        """Unanswered updates whose process died, taken over by this one: (id, JSON) each."""
        now = now or utcnow()
        alive = select(BotInstance.id).where(col(BotInstance.seen) > now - DEAD_AFTER)
        with Session(self.engine) as session:
            rows = session.exec(
                select(TelegramUpdate.update_id, TelegramUpdate.payload).where(
                    col(TelegramUpdate.bot_id) == self.bot_id,
                    col(TelegramUpdate.answered).is_(None),
                    col(TelegramUpdate.payload).is_not(None),
                    col(TelegramUpdate.received) > now - GIVE_UP_AFTER,
                    col(TelegramUpdate.owner).not_in(alive),
                )
            ).all()
        taken = []
        for update_id, payload in rows:
            if payload is not None and self._take_over_if_dead(update_id, now):
                taken.append((update_id, json.loads(payload)))
        return taken

    # Inside

    def _take_over_if_dead(self, update_id: int, now: dt.datetime) -> bool:
        """Make this process the owner of an unanswered update whose owner is dead (one winner)."""
        with Session(self.engine) as session:
            row = session.get(TelegramUpdate, (self.bot_id, update_id))
            if row is None or row.answered is not None or row.owner == self.instance:
                return False
            owner = session.get(BotInstance, row.owner)
            if owner is not None and _utc(owner.seen) > now - DEAD_AFTER:
                return False
            result = session.exec(
                update(TelegramUpdate)
                .where(
                    and_(
                        col(TelegramUpdate.bot_id) == self.bot_id,
                        col(TelegramUpdate.update_id) == update_id,
                        col(TelegramUpdate.owner) == row.owner,
                        col(TelegramUpdate.answered).is_(None),
                    )
                )
                .values(owner=self.instance)
            )
            session.commit()
            return int(result.rowcount or 0) == 1

    def _set(self, update_id: int, **values: Any) -> None:
        with Session(self.engine) as session:
            session.exec(
                update(TelegramUpdate)
                .where(
                    and_(
                        col(TelegramUpdate.bot_id) == self.bot_id,
                        col(TelegramUpdate.update_id) == update_id,
                        col(TelegramUpdate.owner) == self.instance,
                    )
                )
                .values(**values)
            )
            session.commit()


def kept(payload: Any) -> Any:
    """An update as it may be stored: typed text with its coordinates rounded and a shared
    location rounded, as the conversation keeps them (about 100 m); the rest as it came."""
    if isinstance(payload, list):
        return [kept(item) for item in payload]
    if not isinstance(payload, dict):
        return payload
    out: dict[str, Any] = {}
    for key, value in payload.items():
        if key in ("text", "caption") and isinstance(value, str):
            out[key] = fit_to_keep(value)
        elif key in ("latitude", "longitude") and isinstance(value, int | float):
            out[key] = round(float(value), LOCATION_DECIMALS)
        else:
            out[key] = kept(value)
    return out


def purge(*, engine: Engine, now: dt.datetime | None = None) -> int:
    """Forget update ids older than `KEEP`, and processes silent for as long; how many rows went."""
    cutoff = (now or utcnow()) - KEEP
    create_tables(engine)
    with Session(engine) as session:
        gone = session.exec(delete(TelegramUpdate).where(col(TelegramUpdate.received) < cutoff))
        quiet = session.exec(delete(BotInstance).where(col(BotInstance.seen) < cutoff))
        session.commit()
    return int(gone.rowcount or 0) + int(quiet.rowcount or 0)


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)
