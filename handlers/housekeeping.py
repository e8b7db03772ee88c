"""What the bot does on its own, off the event loop: heartbeats, orphaned updates, forgetting, new catalogues.

`run` is started as a task when the bot starts (`bot.app`) and cancelled when it shuts down.
Every step runs in a worker thread (`asyncio.to_thread`), so neither the store nor a rebuild of
the Finder holds up the residents' messages, and a failing step is logged and tried again later.

    every 2 seconds (`HEARTBEAT`)     this process is alive (`bot.updates`); updates left
                                      unanswered by a process that died are taken over and answered
    every `reload_every` seconds      notes for staff kept in memory are written; a catalogue
                                      imported by another process (`doorstep catalog reload`)
                                      replaces the running one
    at start-up and every minute      what is kept no longer is deleted, for every channel and
                                      process (`bot.upkeep.purge_if_due`: one instance at a time)
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bot import upkeep
from bot.serving import freeze_loaded
from bot.updates import HEARTBEAT
from handlers.context import Services

log = logging.getLogger(__name__)

# Hands an update (as Bot API JSON) to the application's queue.
Enqueue = Callable[[dict[str, Any]], Awaitable[None]]


def reload_catalogue(services: Services) -> None:
    """Swap in a catalogue another process imported (blocking: run it in a thread)."""
    try:
        if services.live.reload_if_changed():
            log.info("catalogue reloaded")
            freeze_loaded()
    except Exception as err:  # answers from the current catalogue beat no answers
        log.warning("could not check for a newer catalogue: %s", type(err).__name__)
        log.debug("catalogue check failed", exc_info=err)


def write_notes(services: Services) -> None:
    """Write the notes for staff kept in memory (asked-for counts, unanswered questions)."""
    notes = getattr(services.live, "notes", None)
    if notes is not None:
        notes.flush()  # a failing store keeps them for the next time, and says so


def purge(services: Services) -> None:
    """Delete what is kept no longer, unless another instance just did (blocking: run it in a thread)."""
    try:
        upkeep.purge_if_due(
            services.engine, services.settings, every=dt.timedelta(seconds=services.purge_every)
        )
    except Exception as err:
        log.warning("could not delete what is kept no longer: %s", type(err).__name__)
        log.debug("purge failed", exc_info=err)


async def keep_updates(services: Services, enqueue: Enqueue | None) -> None:
    """Beat this process's heart, and take over the updates of processes that died."""
    updates = services.updates
    if updates is None:
        return
    try:
        await asyncio.to_thread(updates.beat)
        orphans = await asyncio.to_thread(updates.orphans)
    except Exception as err:
        log.warning("could not keep the update log: %s", type(err).__name__)
        return
    for update_id, payload in orphans:
        log.info("update %s: its process stopped before answering it; answering it here", update_id)
        if enqueue is not None:
            await enqueue(payload)


async def run(services: Services, enqueue: Enqueue | None = None) -> None:
    """Until cancelled: heartbeats and orphans every `HEARTBEAT` s, the catalogue every
    `services.reload_every` s, purges at once and then every `services.purge_every` s."""
    last_purge: float | None = None
    last_reload: float | None = None
    last_beat: float | None = None
    while True:
        now = time.monotonic()
        if last_beat is None or now - last_beat >= HEARTBEAT:
            last_beat = now
            await keep_updates(services, enqueue)
        if last_purge is None or now - last_purge >= services.purge_every:
            last_purge = now
            await asyncio.to_thread(purge, services)
        if last_reload is None or now - last_reload >= services.reload_every:
            last_reload = now
            await asyncio.to_thread(write_notes, services)
            await asyncio.to_thread(reload_catalogue, services)
        await asyncio.sleep(min(services.reload_every, services.purge_every, HEARTBEAT))


def start(services: Services, enqueue: Enqueue | None = None) -> None:
    """Start `run` on the running event loop (once)."""
    if services.housekeeping is None or services.housekeeping.done():
        services.housekeeping = asyncio.create_task(run(services, enqueue), name="doorstep-housekeeping")


async def stop(services: Services) -> None:
    """Cancel `run`, wait until it has ended, and say this process is gone."""
    task, services.housekeeping = services.housekeeping, None
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    await asyncio.to_thread(write_notes, services)
    if services.updates is not None:
        try:
            await asyncio.to_thread(services.updates.retire)
        except Exception as err:
            log.warning("could not retire this process from the update log: %s", type(err).__name__)
