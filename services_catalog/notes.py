"""What a running Doorstep notes about questions, for staff: asked-for counts and unanswered questions.

`LiveFinder.answer` notes, per answer, the kind and town asked for (`demand`) and a question it
could not answer (`feedback`). By default each note is written at once. A busy console defers
them (`Notes.deferred`): they are kept in memory (counts added up, questions listed, nothing
else) and written together by `flush`, every few seconds off the path of the answer
(`bot.upkeep`), and when the process stops; a process killed outright loses at most those few
seconds of notes. No note holds who asked or from where.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections import Counter
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session

from services_catalog import demand, feedback

log = logging.getLogger(__name__)

SHANGHAI = ZoneInfo("Asia/Shanghai")
MAX_PENDING = 5000  # notes kept in memory at most; past this they are written at once


class Notes:
    """Asked-for counts and unanswered questions of one process, written at once or in batches."""

    def __init__(self, engine: Engine | None, *, deferred: bool = False) -> None:
        self.engine = engine
        self.deferred = deferred
        self._lock = threading.Lock()
        self._asked: Counter[tuple[dt.date, str, str | None]] = Counter()
        self._unanswered: list[tuple[str, str]] = []

    def asked(self, kind: str, town: str | None) -> None:
        """One question asked for `kind` in `town`."""
        if self.engine is None:
            return
        today = dt.datetime.now(SHANGHAI).date()
        if not self.deferred:
            self._write(Counter({(today, kind, town): 1}), [])
            return
        with self._lock:
            self._asked[(today, kind, town)] += 1
            full = sum(self._asked.values()) + len(self._unanswered) >= MAX_PENDING
        if full:
            self.flush()

    def unanswered(self, text: str, intent: str) -> None:
        """A question Doorstep could not answer (its text only)."""
        if self.engine is None:
            return
        if not self.deferred:
            self._write(Counter(), [(text, intent)])
            return
        with self._lock:
            self._unanswered.append((text, intent))
            full = sum(self._asked.values()) + len(self._unanswered) >= MAX_PENDING
        if full:
            self.flush()

    def flush(self) -> int:
        """Write what is kept in memory; how many notes. A failing store keeps them for the next time."""
        with self._lock:
            asked, self._asked = self._asked, Counter()
            unanswered, self._unanswered = self._unanswered, []
        if not asked and not unanswered:
            return 0
        try:
            self._write(asked, unanswered)
        except Exception as err:
            log.warning(
                "could not write %d notes for staff: %s", len(asked) + len(unanswered), type(err).__name__
            )
            with self._lock:
                self._asked.update(asked)
                self._unanswered[:0] = unanswered[: MAX_PENDING - len(self._unanswered)]
            return 0
        return sum(asked.values()) + len(unanswered)

    def _write(
        self, asked: Counter[tuple[dt.date, str, str | None]], unanswered: list[tuple[str, str]]
    ) -> None:
        assert self.engine is not None
        with Session(self.engine) as session:
            for (day, kind, town), n in asked.items():
                demand.record_asked(session=session, kind=kind, town=town, day=day, n=n)
            feedback.record_all_unanswered(session=session, questions=unanswered)
