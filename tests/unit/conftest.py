"""Shared fixtures for the unit tests: catalogue folders and database engines."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from services_catalog.db import create_tables, make_engine

FIXTURES = Path(__file__).parent / "fixtures" / "catalog"
VALID_CATALOG = FIXTURES / "valid"


@pytest.fixture
def mini_catalog(tmp_path: Path) -> Path:
    """A writable copy of the valid mini catalogue, for tests that break one thing in it."""
    folder = tmp_path / "catalog"
    shutil.copytree(VALID_CATALOG, folder)
    return folder


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    """A fresh SQLite file with every table created."""
    engine = make_engine(f"sqlite:///{tmp_path / 'doorstep.db'}")
    create_tables(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def pg_engine() -> Iterator[Engine]:
    """A PostgreSQL engine in a schema of its own (dropped afterwards), so parallel runs never clash.

    Skips when TEST_DATABASE_URL is unset or the server is unreachable, unless
    DOORSTEP_REQUIRE_POSTGRES=1 (CI), where either is a failure.
    """
    required = os.environ.get("DOORSTEP_REQUIRE_POSTGRES") == "1"
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        if required:
            pytest.fail("DOORSTEP_REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set")
        pytest.skip("TEST_DATABASE_URL not set: PostgreSQL tests skipped")
    engine = make_engine(url)
    schema = f"test_catalog_{uuid.uuid4().hex[:12]}"
    try:
        with engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except SQLAlchemyError as exc:
        engine.dispose()
        message = f"PostgreSQL at TEST_DATABASE_URL is unreachable: {exc.__class__.__name__}: {exc}"
        if required:
            pytest.fail(message)
        pytest.skip(message)
    scoped = engine.execution_options(schema_translate_map={None: schema})
    try:
        create_tables(scoped)
        yield scoped
    finally:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_engine(request: pytest.FixtureRequest) -> Engine:
    """Each test using this runs on SQLite and on PostgreSQL (skipped when unavailable)."""
    name = "sqlite_engine" if request.param == "sqlite" else "pg_engine"
    if request.param == "postgresql":
        request.applymarker(pytest.mark.postgres)
    engine: Engine = request.getfixturevalue(name)
    return engine
