"""`Finder.answer(question) -> Answer`: the one core every transport calls. (Skeleton: being written.)"""

from __future__ import annotations

import datetime as dt

from services_catalog.answer import Answer, Question, Result, Where
from services_catalog.catalog import Catalog


class Finder:
    """Answers residents' questions from one loaded catalogue. Build once; answer many times."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def answer(self, question: Question) -> Answer:
        """The answer to one question."""
        return Answer(intent="help", lang=question.lang, reply="Doorstep")

    def facilities(
        self, *, kind: str | None = None, town: str | None = None, at: dt.datetime | None = None,
        near: Where | None = None,
    ) -> list[Result]:
        """Facilities filtered by kind and town, with their hours at `at`, nearest first when `near`."""
        return []

    def resolve_place(self, text: str) -> Where | None:
        """Where a place name (town, committee, station, landmark, or "lat,lon") puts someone."""
        return None
