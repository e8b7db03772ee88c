"""The SQL engine behind the store: SQLite by default, PostgreSQL in production."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, event
from sqlmodel import SQLModel, create_engine


def make_engine(url: str) -> Engine:
    """An engine for `url`; creates the SQLite file's folder, and turns on SQLite's foreign keys."""
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, pool_pre_ping=not url.startswith("sqlite"))
    if url.startswith("sqlite"):

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

    return engine


def create_tables(engine: Engine) -> None:
    """Create every table of every imported SQLModel model that does not exist yet."""
    # Importing the modules registers their tables on SQLModel.metadata.
    from services_catalog import audit, demand, feedback, store  # noqa: F401

    SQLModel.metadata.create_all(engine)
