"""The catalogue a running Doorstep answers from, swapped in one step on reload.

The bot, the terminal chat and the operator console hold one `LiveFinder`. `reload()` checks
the YAML folder; a good catalogue is imported into the store and replaces the running one at
once, a bad one leaves the running one in place and its problems are kept for staff to read.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session

from services_catalog import demand, feedback, store
from services_catalog.answer import Answer, Question
from services_catalog.catalog import Catalog
from services_catalog.errors import CatalogError, Problem
from services_catalog.finder import Finder
from services_catalog.loader import check_catalog, load_catalog

log = logging.getLogger(__name__)

# Answers whose question staff should see, to extend the vocabulary.
UNANSWERED_INTENTS = frozenset({"out_of_scope"})


def start_up_catalog(catalog: Catalog, *, engine: Engine) -> tuple[Catalog, int]:
    """The catalogue a starting process serves, and its version in the store.

    The folder a process is started with is imported only when
    - the store has no catalogue yet, or
    - the folder's files differ from the stored catalogue's (their content hash) AND were changed
      after it was imported (a new release, or YAML edited since).
    Otherwise the store holds the same catalogue, or a newer one that staff reloaded (perhaps from
    another folder): that one is served, as every other running process serves it. Starting the
    console or the bot never puts the bundled catalogue back over a newer staff reload.
    """
    meta = store.stored_meta(engine=engine)
    if meta is None:
        return catalog, store.import_catalog(catalog, engine=engine)
    if store.stored_content_hash(engine=engine) == catalog.content_hash:
        return catalog, meta.version
    imported = meta.imported_at
    imported = imported.replace(tzinfo=dt.UTC) if imported.tzinfo is None else imported
    if catalog.changed_at is not None and catalog.changed_at > imported:
        return catalog, store.import_catalog(catalog, engine=engine)
    stored_folder = Path(meta.source)
    try:
        stored = load_catalog(stored_folder)
    except CatalogError:
        # The newer catalogue's folder is gone or broken here: serve ours, but do not overwrite it.
        log.warning("the stored catalogue (version %s) cannot be loaded from its folder", meta.version)
        return catalog, meta.version
    log.info("serving the stored catalogue (version %s), newer than the folder started with", meta.version)
    return stored, meta.version


class LiveFinder:
    """The current `Finder`, reloadable while serving."""

    def __init__(self, folder: Path, *, engine: Engine | None = None) -> None:
        """Load `folder` (raises `CatalogValidationError` when it has errors) and build the Finder.

        With a store, starting never replaces a newer catalogue: see `start_up_catalog`.
        """
        self.folder = folder.resolve()
        self.engine = engine
        self._lock = threading.Lock()
        self._last_poll = time.monotonic()
        catalog = load_catalog(self.folder)
        self.version: int | None = None
        if engine is not None:
            catalog, self.version = start_up_catalog(catalog, engine=engine)
            self.folder = catalog.source
        self._finder = Finder(catalog)
        self.last_attempt: dt.datetime = catalog.loaded_at
        self.last_problems: list[Problem] = []

    @property
    def finder(self) -> Finder:
        """The Finder answering right now."""
        return self._finder

    def answer(self, question: Question) -> Answer:
        """Answer with the current Finder, keeping unanswered questions (text only) for staff."""
        answer = self._finder.answer(question)
        if self.engine is not None and (answer.intent in UNANSWERED_INTENTS or answer.clarify):
            try:
                with Session(self.engine) as session:
                    feedback.record_unanswered(session=session, text=question.text, intent=answer.intent)
            except Exception:  # the resident's answer matters more than the statistic
                log.exception("could not record an unanswered question")
        if (
            self.engine is not None
            and answer.intent == "find_facility"
            and answer.kind
            and not question.offset
        ):
            try:  # a count per kind and town, for staff to check the most asked-for records first
                with Session(self.engine) as session:
                    demand.record_asked(
                        session=session, kind=answer.kind, town=answer.town or answer.where.town
                    )
            except Exception:
                log.exception("could not count an asked-for kind")
        return answer

    def reload(self) -> list[Problem]:
        """Check the folder again; swap in the new catalogue only when it has no errors."""
        with self._lock:
            self.last_attempt = dt.datetime.now(dt.UTC)
            catalog, problems = check_catalog(self.folder)
            self.last_problems = problems
            if catalog is None:
                return problems
            finder = Finder(catalog)
            if self.engine is not None:
                self.version = store.import_catalog(catalog, engine=self.engine)
            self._finder = finder
            return problems

    def reload_if_changed(self, *, min_interval: float = 0.0) -> bool:
        """Reload when another process (`doorstep catalog reload`) imported a newer catalogue.

        With `min_interval`, the store is asked at most once in that many seconds, so a busy
        transport may call this on every request.
        """
        if self.engine is None:
            return False
        now = time.monotonic()
        if now - self._last_poll < min_interval:
            return False
        self._last_poll = now
        meta = store.stored_meta(engine=self.engine)
        if meta is None or meta.version == self.version:
            return False
        # Serve what was imported: `doorstep catalog reload DIR` may have named another folder.
        folder = Path(meta.source)
        try:
            finder = Finder(load_catalog(folder))
        except CatalogError as err:
            self.last_problems = list(getattr(err, "problems", []))
            log.warning("the catalogue imported as version %s cannot be loaded from %s", meta.version, folder)
            self.version = meta.version  # do not retry on every call; staff see last_problems
            return False
        with self._lock:
            self._finder = finder
            self.folder = folder
            self.version = meta.version
        return True
