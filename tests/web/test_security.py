"""Security basics: roles, CSRF on every staff action, escaping of catalogue and user strings."""

from __future__ import annotations

import dataclasses
import html
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from bot.settings import BUNDLED_CATALOG
from bot.web import accounts
from services_catalog import feedback
from services_catalog.errors import Problem
from services_catalog.finder import Finder
from services_catalog.linkcheck import strip_disallowed_links
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


# Links off the allowlist, as a catalogue built without the loader could hold them. The first two
# are recognised by `strip_disallowed_links` today; the others as soon as it knows any domain.
EVIL_LINKS = ["https://evil.ru/phish", "www.vip888.bet", "vip888.bet", "bit.ly/abc", "evil.ru"]


@pytest.fixture
def evil_live(bundled_live: LiveFinder) -> LiveFinder:
    """The bundled catalogue with links off the allowlist in a facility name and a service guide.

    Built with `model_copy`/`dataclasses.replace`, bypassing the loader (which would refuse them).
    """
    catalog = bundled_live.finder.catalog
    clinic = catalog.facilities["clinic-zhujiajiao"]
    name = f"{clinic.name} 加微信 https://evil.ru/phish 或 www.vip888.bet 领红包 bit.ly/abc"
    service = catalog.services["family_doctor"]
    evil = dataclasses.replace(
        catalog,
        facilities={**catalog.facilities, clinic.id: clinic.model_copy(update={"name": name})},
        services={
            **catalog.services,
            service.id: service.model_copy(
                update={
                    "online": "扫码 https://evil.ru/phish 或 vip888.bet 办理",
                    "summary": f"{service.summary} 详见 evil.ru 与 bit.ly/abc",
                }
            ),
        },
    )
    live = LiveFinder(BUNDLED_CATALOG)
    live._finder = Finder(evil)  # a LiveFinder is only ever built from a folder, through the loader
    return live


def test_links_off_the_allowlist_never_reach_a_page_or_the_api_reply(
    client_for: ClientFor, evil_live: LiveFinder, engine: Engine
) -> None:
    domains = evil_live.finder.catalog.allowlist.domains
    recognised = [link for link in EVIL_LINKS if strip_disallowed_links(link, domains) != link]
    assert {"https://evil.ru/phish", "www.vip888.bet"} <= set(recognised)
    client = client_for(evil_live)
    accounts.add_user(engine=engine, name="keeper", role="staff", password=PASSWORD)
    sign_in(client, "keeper")
    with Session(engine) as session:
        feedback.add_report(session=session, facility_id="clinic-zhujiajiao", text="电话打不通")

    pages = {
        "answer": client.get("/", params={"q": "朱家角 看病"}).text,
        "english": client.get("/", params={"q": "朱家角 看病", "lang": "en"}).text,
        "list": client.get("/", params={"kind": "clinic", "town": "朱家角镇", "lang": "zh"}).text,
        "guide": client.get("/", params={"q": "家庭医生怎么签约", "place": "朱家角镇"}).text,
        "reports": client.get("/staff/reports").text,
    }
    assert "clinic-zhujiajiao" in rows_of(pages["answer"]) and "clinic-zhujiajiao" in rows_of(pages["list"])
    assert 'class="guide"' in pages["guide"] and "加微信" in pages["answer"]
    assert "加微信" in pages["reports"]
    for page_name, page in pages.items():
        shown = html.unescape(page)
        for link in recognised:
            assert link not in shown, (page_name, link)

    accounts.add_user(engine=engine, name="tool", role="operator", password="tool-password")
    token = accounts.issue_token(engine=engine, name="tool")
    for q in ("朱家角 看病", "家庭医生怎么签约 朱家角"):
        body = client.get("/api/ask", params={"q": q}, headers={"Authorization": f"Bearer {token}"}).json()
        assert body["reply"]
        for link in recognised:
            assert link not in body["reply"], (q, link)


def test_the_users_own_words_and_the_catalogue_problems_keep_their_links(
    client_for: ClientFor, catalog_copy: Path, engine: Engine
) -> None:
    """Only catalogue text loses links: what the operator typed goes back into the box as typed,
    and a reload's problems quote the link they reject, so staff can find and fix it."""
    live = LiveFinder(catalog_copy)
    live.last_problems = [
        Problem(
            "services.yaml", 12, "services[0].online", "link https://evil.ru/phish is not on the allowlist"
        )
    ]
    client = client_for(live)
    accounts.add_user(engine=engine, name="keeper", role="staff", password=PASSWORD)
    sign_in(client, "keeper")
    page = client.get("/", params={"q": "朱家角 看病 https://evil.ru/x"}).text
    assert 'value="朱家角 看病 https://evil.ru/x"' in page
    status = client.get("/staff/catalog").text
    assert (
        "services.yaml:12: services[0].online: link https://evil.ru/phish is not on the allowlist" in status
    )
