"""Housekeeping shared by every Doorstep process on one store, done by one instance at a time.

Each running bot and console checks for a catalogue imported elsewhere every `RELOAD_EVERY`
seconds (so a reload reaches every process within seconds). Deleting what is kept no longer is
done for all of them by one at a time: `one_instance` takes a PostgreSQL advisory lock (an
instance that finds it taken skips that round), and `due` asks the store when the job last ran,
so it runs once per `PURGE_EVERY` whichever instance gets there first. On SQLite (one process on
one machine) the lock is the process itself.

    purge_everything    expired conversation memory (locations, towns, questions), unanswered
                        questions and asked-for counts past DOORSTEP_UNANSWERED_DAYS, ended
                        tokens and sessions, old sign-in failures, old per-minute counts, old
                        webhook/WeChat deliveries and Telegram update ids
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import logging
from collections.abc import Callable, Iterator
from typing import Protocol

from sqlalchemy import Engine, text
from sqlmodel import Field, Session, SQLModel

from bot import limits
from bot.serving import freeze_loaded
from bot.settings import Settings
from services_catalog import demand, feedback, memory
from services_catalog.db import create_all
from services_catalog.notes import Notes

log = logging.getLogger(__name__)

RELOAD_EVERY = 2.0  # seconds between checks for a catalogue imported by another process
PURGE_EVERY = dt.timedelta(minutes=1)  # how often, across all instances, old data is deleted


class Reloadable(Protocol):
    """What upkeep needs of the running catalogue (`services_catalog.live.LiveFinder`)."""

    notes: Notes

    def reload_if_changed(self) -> bool: ...


class JobRun(SQLModel, table=True):
    """When a shared housekeeping job last ran, by any instance."""

    __tablename__ = "housekeeping_run"

    job: str = Field(primary_key=True, max_length=32)
    last_run: dt.datetime


def create_tables(engine: Engine) -> None:
    """Create the job table when it does not exist yet."""
    create_all(engine, tables=[JobRun.__table__])  # type: ignore[attr-defined]


def _lock_key(job: str) -> int:
    """A stable 63-bit advisory lock key for `job`."""
    return int.from_bytes(hashlib.sha256(f"doorstep:{job}".encode()).digest()[:8], "big") >> 1


@contextlib.contextmanager
def one_instance(engine: Engine, job: str) -> Iterator[bool]:
    """True inside when this process may do `job` now (it holds the job's lock), False when another does.

    PostgreSQL: a session advisory lock, released on leaving (or when the process dies and its
    connection closes). SQLite: always True (one process).
    """
    if engine.dialect.name != "postgresql":
        yield True
        return
    key = _lock_key(job)
    with engine.connect() as connection:
        held = bool(connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar())
        connection.commit()
        try:
            yield held
        finally:
            if held:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                connection.commit()


def due(engine: Engine, job: str, every: dt.timedelta, now: dt.datetime | None = None) -> bool:
    """Whether `job` last ran (in any instance) more than `every` ago; if so, it counts as run now.

    Call it while holding `one_instance(engine, job)`.
    """
    now = now or dt.datetime.now(dt.UTC)
    create_tables(engine)
    with Session(engine) as session:
        row = session.get(JobRun, job)
        if row is not None:
            last = row.last_run if row.last_run.tzinfo else row.last_run.replace(tzinfo=dt.UTC)
            if now - last < every:
                return False
            row.last_run = now
        else:
            row = JobRun(job=job, last_run=now)
        session.add(row)
        session.commit()
    return True


def purge_everything(engine: Engine, settings: Settings) -> dict[str, int]:
    """Delete everything kept past its time, for every channel and process; counts by kind."""
    from bot import updates
    from bot.web import accounts, throttle

    gone: dict[str, int] = {}
    days = settings.doorstep_unanswered_days
    ttl = dt.timedelta(minutes=settings.doorstep_location_ttl_minutes)

    def in_session(step: Callable[[Session], int]) -> Callable[[], int]:
        def run() -> int:
            with Session(engine) as session:
                return step(session)

        return run

    steps: dict[str, Callable[[], int]] = {
        "conversation memory": in_session(lambda s: memory.purge_expired(session=s, location_ttl=ttl)),
        "unanswered questions": in_session(lambda s: feedback.purge_unanswered(session=s, days=days)),
        "asked-for counts": in_session(lambda s: demand.purge(session=s, days=days)),
        "tokens and sessions": lambda: accounts.purge_expired(engine=engine),
        "sign-in failures": lambda: throttle.purge(engine=engine),
        "per-minute counts": lambda: limits.purge(engine=engine),
        "Telegram update ids": lambda: updates.purge(engine=engine),
    }
    for name, step in steps.items():
        try:
            gone[name] = step()
        except Exception as err:  # one failing step must not stop the others
            log.warning("could not delete old %s: %s", name, type(err).__name__)
    return gone


def purge_if_due(
    engine: Engine, settings: Settings, every: dt.timedelta = PURGE_EVERY
) -> dict[str, int] | None:
    """`purge_everything`, when no other instance is at it and it has not run for `every`."""
    with one_instance(engine, "purge") as mine:
        if not mine or not due(engine, "purge", every):
            return None
        gone = purge_everything(engine, settings)
    if any(gone.values()):
        log.info("deleted what is kept no longer: %s", ", ".join(f"{n} {k}" for k, n in gone.items() if n))
    return gone


async def console_upkeep(settings: Settings, live: Reloadable, engine: Engine) -> None:
    """`doorstep web`'s background work until cancelled: new catalogues, notes for staff written in
    batches, shared purges; the notes kept in memory are written when it is cancelled too."""
    try:
        await _console_rounds(settings, live, engine)
    finally:
        await asyncio.to_thread(live.notes.flush)


async def _console_rounds(settings: Settings, live: Reloadable, engine: Engine) -> None:
    while True:
        try:
            await asyncio.to_thread(live.notes.flush)
        except Exception as err:
            log.warning("could not write notes for staff: %s", type(err).__name__)
        try:
            if await asyncio.to_thread(live.reload_if_changed):
                log.info("catalogue reloaded (imported by another process)")
                freeze_loaded()
        except Exception as err:  # answers from the current catalogue beat no answers
            log.warning("could not check for a newer catalogue: %s", type(err).__name__)
        try:
            await asyncio.to_thread(purge_if_due, engine, settings)
        except Exception as err:
            log.warning("housekeeping failed: %s", type(err).__name__)
        await asyncio.sleep(RELOAD_EVERY)
