"""What the bot does on its own, off the event loop: forgetting old state, picking up a new catalogue.

`run` is started as a task when the bot starts (`bot.app`) and cancelled when it shuts down.
Every step runs in a worker thread (`asyncio.to_thread`), so neither the store nor a rebuild of
the Finder holds up the residents' messages, and a failing step is logged and tried again later.

    at start-up and every 10 minutes   expired locations, towns and questions of every user
                                       (also of users who never write again), and unanswered
                                       questions older than DOORSTEP_UNANSWERED_DAYS
    every 30 seconds                   a catalogue imported by another process
                                       (`doorstep catalog reload`) replaces the running one
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time

from sqlmodel import Session

from handlers.context import Services
from services_catalog import feedback, memory

log = logging.getLogger(__name__)


def reload_catalogue(services: Services) -> None:
    """Swap in a catalogue another process imported (blocking: run it in a thread)."""
    try:
        if services.live.reload_if_changed():
            log.info("catalogue reloaded")
    except Exception as err:  # answers from the current catalogue beat no answers
        log.warning("could not check for a newer catalogue: %s", type(err).__name__)
        log.debug("catalogue check failed", exc_info=err)


def purge(services: Services) -> None:
    """Delete what is kept no longer (blocking: run it in a thread)."""
    settings = services.settings
    ttl = dt.timedelta(minutes=settings.doorstep_location_ttl_minutes)
    try:
        with Session(services.engine) as session:
            forgotten = memory.purge_expired(session=session, location_ttl=ttl)
        if forgotten:
            log.info("forgot %d expired locations, towns and questions", forgotten)
    except Exception as err:
        log.warning("could not delete expired conversation memory: %s", type(err).__name__)
        log.debug("conversation memory purge failed", exc_info=err)
    try:
        with Session(services.engine) as session:
            old = feedback.purge_unanswered(session=session, days=settings.doorstep_unanswered_days)
        if old:
            log.info(
                "deleted %d unanswered questions older than %d days", old, settings.doorstep_unanswered_days
            )
    except Exception as err:
        log.warning("could not delete old unanswered questions: %s", type(err).__name__)
        log.debug("unanswered question purge failed", exc_info=err)


async def run(services: Services) -> None:
    """Purge at once and then every `services.purge_every` s; check the catalogue every `reload_every` s."""
    last_purge: float | None = None
    while True:
        now = time.monotonic()
        if last_purge is None or now - last_purge >= services.purge_every:
            last_purge = now
            await asyncio.to_thread(purge, services)
        await asyncio.to_thread(reload_catalogue, services)
        await asyncio.sleep(services.reload_every)


def start(services: Services) -> None:
    """Start `run` on the running event loop (once)."""
    if services.housekeeping is None or services.housekeeping.done():
        services.housekeeping = asyncio.create_task(run(services), name="doorstep-housekeeping")


async def stop(services: Services) -> None:
    """Cancel `run` and wait until it has ended."""
    task, services.housekeeping = services.housekeeping, None
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
