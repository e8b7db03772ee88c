"""A per-user (or per-client) limit on incoming messages, so one cannot starve the rest.

Used by the Telegram bot (per user id) and the web chat (per session and per address). Kept in
process memory on purpose: it only has to hold for a minute, and losing it on restart costs
nothing; with several instances each holds its own count.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Hashable
from enum import Enum


class Verdict(Enum):
    """What to do with one incoming message."""

    ALLOW = "allow"
    NOTE = "note"  # over the limit: say so once
    SILENT = "silent"  # still over the limit: say nothing


class SlidingWindowLimit:
    """At most `limit` messages per user in any `window` seconds; then one note, then silence."""

    def __init__(self, limit: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._hits: dict[Hashable, deque[float]] = {}
        self._noted: set[Hashable] = set()

    def check(self, user_id: Hashable) -> Verdict:
        """Count one message from `user_id` and say whether to handle it."""
        now = self.clock()
        if len(self._hits) > 10_000:
            self.forget_idle()
        hits = self._hits.setdefault(user_id, deque())
        while hits and now - hits[0] >= self.window:
            hits.popleft()
        if len(hits) < self.limit:
            hits.append(now)
            self._noted.discard(user_id)
            return Verdict.ALLOW
        if user_id in self._noted:
            return Verdict.SILENT
        self._noted.add(user_id)
        return Verdict.NOTE

    def forget_idle(self) -> None:
        """Drop users whose window is empty, so the memory stays small."""
        now = self.clock()
        for user_id in [u for u, hits in self._hits.items() if not hits or now - hits[-1] >= self.window]:
            del self._hits[user_id]
            self._noted.discard(user_id)
