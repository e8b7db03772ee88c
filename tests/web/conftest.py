"""Fixtures for the operator console: a real LiveFinder over the bundled catalogue, a fresh store."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine

from bot.settings import BUNDLED_CATALOG, Settings
from bot.web import accounts
from bot.web.app import create_app
from services_catalog.db import create_tables, make_engine
from services_catalog.live import LiveFinder

PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def bundled_live() -> LiveFinder:
    """The bundled catalogue, loaded once for every test that only reads it (no store behind it)."""
    return LiveFinder(BUNDLED_CATALOG)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    """A fresh SQLite store per test (a file, so the app's worker threads share it)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'console.sqlite3'}")
    create_tables(engine)
    accounts.create_tables(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def settings() -> Settings:
    return Settings(doorstep_secret_key=SecretStr("test-secret"), doorstep_unanswered_days=90)


@pytest.fixture
def catalog_copy(tmp_path: Path) -> Path:
    """A copy of the bundled catalogue that a test may edit or break."""
    folder = tmp_path / "catalog"
    shutil.copytree(BUNDLED_CATALOG, folder)
    return folder


ClientFor = Callable[[LiveFinder], TestClient]


@pytest.fixture
def client_for(settings: Settings, engine: Engine) -> Iterator[ClientFor]:
    """Builds a console over a given LiveFinder (and the test's store)."""
    clients: list[TestClient] = []

    def build(live: LiveFinder) -> TestClient:
        client = TestClient(create_app(settings, live, engine))
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.close()


@pytest.fixture
def client(client_for: ClientFor, bundled_live: LiveFinder) -> TestClient:
    """A console over the bundled catalogue, nobody signed in."""
    return client_for(bundled_live)


@pytest.fixture
def operator(client: TestClient, engine: Engine) -> TestClient:
    """The console with an operator signed in."""
    accounts.add_user(engine=engine, name="op", role="operator", password=PASSWORD)
    sign_in(client, "op")
    return client


@pytest.fixture
def staff(client: TestClient, engine: Engine) -> TestClient:
    """The console with a staff member signed in."""
    accounts.add_user(engine=engine, name="keeper", role="staff", password=PASSWORD)
    sign_in(client, "keeper")
    return client


def sign_in(client: TestClient, name: str, password: str = PASSWORD) -> None:
    """Sign in through the form, as a browser would."""
    response = client.post("/login", data={"username": name, "password": password}, follow_redirects=False)
    assert response.status_code == 303, response.text


def csrf_of(client: TestClient, page: str = "/staff/catalog") -> str:
    """The CSRF token a page puts in its forms."""
    html = client.get(page).text
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no CSRF field"
    return match.group(1)


def rows_of(html: str) -> list[str]:
    """The facility ids of the result rows, in order."""
    return re.findall(r'<tr class="result [^"]*" data-facility="([^"]+)"', html)
