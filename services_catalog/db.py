"""The SQL engine behind the store: SQLite by default, PostgreSQL in production."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlmodel import SQLModel, create_engine

from services_catalog.errors import StoreError

# An execution option: a transaction begun with it takes the database's write lock at once (SQLite's
# BEGIN IMMEDIATE), so that two catalogue imports never read the same version.
WRITE_LOCK = "doorstep_write_lock"
# How long a SQLite writer waits for another one (an import of 100,000 facilities takes seconds).
SQLITE_BUSY_SECONDS = 120
SUPPORTED = "SQLite (sqlite:///path/file.sqlite3) or PostgreSQL (postgresql+psycopg://user@host/db)"


def store_url(url: str) -> URL:
    """`url` as the store will use it; `StoreError` for a URL the store cannot work with.

    A plain `postgresql://` URL is given the psycopg driver that Doorstep installs.
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError(f"DATABASE_URL is not a database URL; use {SUPPORTED}") from None
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise StoreError(f"DATABASE_URL names {backend!r}, which Doorstep does not support; use {SUPPORTED}")
    if backend == "postgresql" and parsed.get_driver_name() != "psycopg":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def make_engine(url: str) -> Engine:
    """An engine for `url`; creates the SQLite file's folder, and turns on SQLite's foreign keys.

    Raises `StoreError` (with a sentence saying what to write) for a URL of any other database.
    """
    parsed = store_url(url)
    sqlite = parsed.get_backend_name() == "sqlite"
    if sqlite and parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    try:
        engine = create_engine(
            parsed,
            pool_pre_ping=not sqlite,
            connect_args={"timeout": SQLITE_BUSY_SECONDS} if sqlite else {},
        )
    except (ImportError, NoSuchModuleError) as err:
        raise StoreError(f"cannot open DATABASE_URL: {err}; use {SUPPORTED}") from None
    if sqlite:
        _sqlite_transactions(engine)
    return engine


def _sqlite_transactions(engine: Engine) -> None:
    """Let SQLAlchemy, not the sqlite3 module, begin transactions (SQLAlchemy's documented recipe):
    sqlite3 begins one only before the first write, so a version read first was read outside it."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # no implicit BEGIN: the "begin" event below does it
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(WRITE_LOCK) else "BEGIN")


def create_tables(engine: Engine) -> None:
    """Create every table of every imported SQLModel model that does not exist yet."""
    # Importing the modules registers their tables on SQLModel.metadata.
    from services_catalog import audit, demand, feedback, store  # noqa: F401

    SQLModel.metadata.create_all(engine)
