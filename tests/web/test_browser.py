"""The console in a real headless Chromium: sign in, search, filter, copy, and reload as staff.

Runs Debian's `/usr/bin/chromium` through Playwright for Python (Playwright's own browser
download is not used). Without that binary the tests are skipped, unless
DOORSTEP_REQUIRE_BROWSER=1 (CI), where a missing browser is a failure.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest
from pydantic import SecretStr

from bot.settings import BUNDLED_CATALOG, Settings
from bot.web import accounts
from bot.web.app import create_app
from services_catalog.coords import gcj02_to_wgs84
from services_catalog.db import create_tables, make_engine
from services_catalog.live import LiveFinder
from tests.local_servers import served
from tests.web.browser_support import chromium, require_browser
from tests.web.editing_helpers import record_span

SHANGHAI = ZoneInfo("Asia/Shanghai")

pytestmark = pytest.mark.browser

PASSWORD = "browser-password"

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page


@dataclass
class Console:
    """A console served by uvicorn on a free local port, over an editable copy of the catalogue."""

    url: str
    catalog: Path
    live: LiveFinder


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    require_browser()
    root = tmp_path_factory.mktemp("console")
    catalog = root / "catalog"
    shutil.copytree(BUNDLED_CATALOG, catalog)
    engine = make_engine(f"sqlite:///{root / 'store.sqlite3'}")
    create_tables(engine)
    accounts.add_user(engine=engine, name="op", role="operator", password=PASSWORD)
    accounts.add_user(engine=engine, name="keeper", role="staff", password=PASSWORD)
    live = LiveFinder(catalog, engine=engine)
    app = create_app(Settings(doorstep_secret_key=SecretStr("browser-test")), live, engine)
    with served(app, "the console") as url:
        yield Console(url=url, catalog=catalog, live=live)
    engine.dispose()


@pytest.fixture(scope="module")
def browser(console: Console) -> Iterator[Browser]:
    with chromium() as browser:
        yield browser


@pytest.fixture
def page(browser: Browser, console: Console) -> Iterator[Page]:
    context = browser.new_context(base_url=console.url, locale="zh-CN")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=console.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def sign_in(page: Page, name: str) -> None:
    page.goto("/")
    assert "/login" in page.url
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_url(re.compile(r"/(\?.*)?$"))


def test_an_operator_signs_in_searches_filters_and_copies_the_answer(page: Page) -> None:
    sign_in(page, "op")
    assert page.evaluate("document.activeElement && document.activeElement.id") == "q"

    page.keyboard.type("朱家角 看病")
    page.keyboard.press("Enter")
    row = page.locator('tr[data-facility="clinic-zhujiajiao"]')
    row.wait_for()
    text = row.inner_text()
    assert "朱家角镇社区卫生服务中心" in text
    assert re.search(r"\d\d:\d\d-\d\d:\d\d|今天不开放", text)
    assert re.search(r"开放中|已关闭", text)

    # Copy: the button appears with JavaScript and puts the reply on the clipboard.
    reply = page.input_value("#copy-text")
    assert "朱家角镇社区卫生服务中心" in reply
    page.click("#copy-button")
    page.locator("#copy-status", has_text="已复制").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == reply

    # A filter: clear the words, pick a kind and a town; each choice searches at once.
    page.fill("#q", "")
    with page.expect_navigation():
        page.select_option("#kind", "library")
    with page.expect_navigation():
        page.select_option("#town", "朱家角镇")
    assert "kind=library" in page.url
    ids = page.locator("tr.result").evaluate_all("rows => rows.map(r => r.dataset.facility)")
    assert ids and all(i.startswith("library-") for i in ids)
    assert page.locator("tr.result", has_text="朱家角").count() == len(ids)


def test_an_operator_is_kept_out_of_staff_pages(page: Page) -> None:
    sign_in(page, "op")
    assert page.locator("a[href='/staff/catalog']").count() == 0
    response = page.goto("/staff/catalog")
    assert response is not None and response.status == 403


def test_staff_reload_a_broken_catalogue_see_its_problems_and_search_still_works(
    page: Page, console: Console
) -> None:
    library = console.catalog / "facilities" / "library.yaml"
    original = library.read_text(encoding="utf-8")
    loaded_at = console.live.finder.catalog.loaded_at
    try:
        library.write_text(
            original.replace("    kind: library\n", "    kind: library\n    colour: red\n", 1), "utf-8"
        )
        sign_in(page, "keeper")
        page.goto("/staff/catalog")
        with page.expect_navigation():
            page.click("#reload-button")
        page.locator("p.error", has_text="新目录有错误").wait_for()
        problems = page.inner_text("#problems")
        assert re.search(r"facilities/library\.yaml:\d+: facilities\[\d+\]\.colour: unknown field", problems)
        assert console.live.finder.catalog.loaded_at == loaded_at

        page.goto("/")
        page.fill("#q", "朱家角 看病")
        page.press("#q", "Enter")
        page.locator('tr[data-facility="clinic-zhujiajiao"]').wait_for()
    finally:
        library.write_text(original, "utf-8")


def test_staff_verify_a_clinic_in_the_console_and_ask_answers_with_it_at_once(
    page: Page, console: Console, tmp_path: Path
) -> None:
    """The issue's check: paste a GCJ-02 point, set phone and hours, verify, save; then ask."""
    clinic = console.catalog / "facilities" / "clinic.yaml"
    before = tmp_path / "clinic.before.yaml"
    before.write_text(clinic.read_text(encoding="utf-8"), encoding="utf-8")

    sign_in(page, "keeper")
    page.goto("/staff/facilities?kind=clinic&show=unverified")
    with page.expect_navigation():
        page.click("a:has-text('朱家角镇社区卫生服务中心')")
    assert page.url.endswith("/staff/facilities/clinic-zhujiajiao")

    # A bad hours string: said while typing, refused on save with an example, the file untouched.
    page.fill("#f-hours", "周一至周五 8:00-17:00")
    page.locator("#hours-check .field-error", has_text="Mo-Fr 08:00-17:00").wait_for()
    with page.expect_navigation():
        page.click("#save-button")
    refusal = page.inner_text("#opening_hours-error")
    assert "星期要写英文缩写" in refusal and "是不是想写：Mo-Fr 08:00-17:00" in refusal
    assert clinic.read_text(encoding="utf-8") == before.read_text(encoding="utf-8")

    page.fill("#f-position", "121.058,31.109")
    page.select_option("#f-crs", "gcj02")
    assert page.input_value("#f-precision") == "exact"  # a pasted point marks the door
    page.fill("#f-phone", "021-59230000")
    page.fill("#f-hours", "Mo-Fr 08:00-11:30,13:30-16:30; Sa 08:00-11:30")
    page.locator("#hours-check .preview", has_text="周一至周五 08:00–11:30、13:30–16:30").wait_for()
    page.check("#f-hours-confirmed")
    page.fill("#f-source", "电话核实（院办）")
    page.check("#f-verify")
    with page.expect_navigation():
        page.click("#save-button")
    page.locator("#record-message", has_text="已保存").wait_for()
    saved_at = time.monotonic()

    # `doorstep ask` reads the YAML afresh: the phone, a WGS-84 point, the new hours, verified.
    asked = subprocess.run(
        [sys.executable, "-m", "bot.cli", "ask", "朱家角 看病", "--json", "--at", "2026-06-03T12:30"],
        env={**os.environ, "DOORSTEP_CATALOG": str(console.catalog)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert time.monotonic() - saved_at < 10
    answer = json.loads(asked.stdout)
    first = answer["results"][0]
    assert first["id"] == "clinic-zhujiajiao" and first["phone"] == "021-59230000"
    lat, lon = gcj02_to_wgs84(31.109, 121.058)
    assert abs(first["lat"] - lat) < 1e-6 and abs(first["lon"] - lon) < 1e-6
    assert (first["lat"], first["lon"]) != (31.109, 121.058)
    assert first["hours_today"] == "08:00-11:30,13:30-16:30" and first["open_now"] is False  # lunch
    assert first["verified"] == dt.datetime.now(SHANGHAI).date().isoformat()  # today, the default
    block = answer["reply"].split("\n2. ")[0]
    assert "021-59230000" in block and "未核实" not in block and "位置为估计" not in block

    # Only that record's lines differ; every comment is still there.
    diff = subprocess.run(
        ["git", "diff", "--no-index", "--unified=0", str(before), str(clinic)], capture_output=True, text=True
    ).stdout
    hunks = [int(m) for m in re.findall(r"^@@ -(\d+)", diff, re.M)]
    span = record_span(before.read_text(encoding="utf-8"), "clinic-zhujiajiao")
    assert hunks and all(span.start <= h - 1 < span.stop for h in hunks), diff
    assert not [line for line in diff.splitlines() if re.match(r"^[-+]\s*#", line)]

    # The audit entry: on the record's page and on the week's changes.
    history = page.inner_text("#history")
    assert "keeper" in history and "021-59230000" in history
    page.goto("/staff/changes")
    assert "朱家角镇社区卫生服务中心" in page.inner_text("main")
