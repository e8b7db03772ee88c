"""Security basics: roles, CSRF on every staff action, escaping of catalogue and user strings."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from bot.web import accounts
from services_catalog.live import LiveFinder
from tests.web.conftest import PASSWORD, ClientFor, csrf_of, rows_of, sign_in

SCRIPT = "<script>alert(1)</script>"


@pytest.mark.parametrize("page", ["/staff/catalog", "/staff/reports", "/staff/unanswered"])
def test_an_operator_cannot_open_staff_pages(operator: TestClient, page: str) -> None:
    response = operator.get(page)
    assert response.status_code == 403
    assert "只对管理员开放" in response.text


def test_an_operator_cannot_reload_or_mark_reports_even_with_a_valid_csrf_token(
    operator: TestClient, bundled_live: LiveFinder
) -> None:
    token = re.search(r'name="csrf_token" value="([^"]+)"', operator.get("/").text)
    assert token
    before = bundled_live.last_attempt
    assert operator.post("/staff/reload", data={"csrf_token": token.group(1)}).status_code == 403
    assert operator.post("/staff/reports/1/done", data={"csrf_token": token.group(1)}).status_code == 403
    assert bundled_live.last_attempt == before


def test_the_staff_nav_is_not_shown_to_operators(operator: TestClient) -> None:
    assert "/staff/catalog" not in operator.get("/").text


@pytest.mark.parametrize("forged", [None, "", "forged-token"])
def test_a_staff_action_without_this_sessions_csrf_token_is_refused(
    staff: TestClient, bundled_live: LiveFinder, forged: str | None
) -> None:
    before = bundled_live.last_attempt
    data = {} if forged is None else {"csrf_token": forged}
    assert staff.post("/staff/reload", data=data).status_code == 403
    assert staff.post("/staff/reports/1/done", data=data).status_code == 403
    assert bundled_live.last_attempt == before


def test_another_sessions_csrf_token_is_refused(
    client_for: ClientFor, bundled_live: LiveFinder, engine: Engine
) -> None:
    accounts.add_user(engine=engine, name="a", role="staff", password=PASSWORD)
    first, second = client_for(bundled_live), client_for(bundled_live)
    sign_in(first, "a")
    sign_in(second, "a")
    stolen = csrf_of(first)
    assert stolen != csrf_of(second)
    assert second.post("/staff/reload", data={"csrf_token": stolen}).status_code == 403


def test_a_tampered_session_cookie_signs_nobody_in(client: TestClient, engine: Engine) -> None:
    accounts.add_user(engine=engine, name="op", role="operator", password=PASSWORD)
    sign_in(client, "op")
    cookie = client.cookies["doorstep_session"]
    client.cookies.set("doorstep_session", cookie[:-4] + ("AAAA" if not cookie.endswith("AAAA") else "BBBB"))
    assert client.get("/", follow_redirects=False).status_code == 303


def test_a_catalogue_name_with_markup_is_shown_as_text(
    catalog_copy: Path, client_for: ClientFor, engine: Engine
) -> None:
    """A facility named `<script>...` in the YAML appears escaped, in the table and the copy text."""
    library = catalog_copy / "facilities" / "library.yaml"
    text = library.read_text(encoding="utf-8")
    assert 'name: "青浦区图书馆"' in text
    library.write_text(
        text.replace('name: "青浦区图书馆"', f'name: "{SCRIPT}青浦区图书馆"', 1), encoding="utf-8"
    )
    client = client_for(LiveFinder(catalog_copy))
    accounts.add_user(engine=engine, name="op", role="operator", password=PASSWORD)
    sign_in(client, "op")
    page = client.get("/", params={"kind": "library", "town": "夏阳街道"}).text
    assert "library-district" in rows_of(page)
    assert SCRIPT not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;青浦区图书馆" in page


def test_the_users_own_words_are_shown_as_text(operator: TestClient) -> None:
    page = operator.get("/", params={"q": f'"><img src=x onerror=alert(1)>{SCRIPT}', "place": SCRIPT}).text
    assert SCRIPT not in page and "<img src=x" not in page
    assert "&lt;script&gt;" in page


def test_a_failed_sign_in_does_not_echo_markup(client: TestClient) -> None:
    page = client.post("/login", data={"username": SCRIPT, "password": "x"}).text
    assert SCRIPT not in page


def test_pages_forbid_outside_scripts_and_framing(operator: TestClient) -> None:
    headers = operator.get("/").headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
