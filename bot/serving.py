"""uvicorn servers that Doorstep runs itself, stopped by SIGINT/SIGTERM after their work is done.

uvicorn, left to itself, catches SIGINT/SIGTERM, shuts its server down and then raises the signal
again, which ends the process before anything after `serve()` runs: the bot would not answer
what it queued, the console would not write the notes it kept. `serve_until_signalled` runs the
servers with the signals handled here: every server stops, then the caller's cleanup runs, and
the process exits with 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
from collections.abc import Iterator

import uvicorn


class Server(uvicorn.Server):
    """A uvicorn server that leaves SIGINT/SIGTERM to `serve_until_signalled`."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve_until_signalled(servers: list[uvicorn.Server]) -> None:
    """Serve until SIGINT or SIGTERM (or until every server stops by itself)."""
    loop = asyncio.get_running_loop()

    def stop() -> None:
        for server in servers:
            server.should_exit = True

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop)
    try:
        await asyncio.gather(*(server.serve() for server in servers))
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


def freeze_loaded() -> None:
    """Keep what is loaded so far (the catalogue, the word segmenter's dictionary, the classifier:
    about 100,000 objects) out of the garbage collector's full passes.

    A full pass over them takes about 40 ms, and under load one comes every few hundred requests:
    each would hold up every request in flight. Called after start-up and after a reload (which
    first lets the collector see everything again, so the catalogue replaced is freed).
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()
