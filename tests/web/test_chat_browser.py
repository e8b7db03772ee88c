"""The residents' web chat in a real phone-sized headless Chromium, as a new user would try it.

Debian's `/usr/bin/chromium` through Playwright (skipped without it, unless DOORSTEP_REQUIRE_BROWSER=1).
The page is served by uvicorn from the same app factory `doorstep web` uses. Screenshots at
390×844 are written to the test's temporary folder (and to $DOORSTEP_SCREENSHOTS when set).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from bot.settings import BUNDLED_CATALOG, Settings
from bot.web.app import create_app
from services_catalog.db import create_tables, make_engine
from services_catalog.live import LiveFinder
from tests.local_servers import served
from tests.web.browser_support import chromium, require_browser

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
IN_ZHUJIAJIAO = {"latitude": 31.1075, "longitude": 121.0555}  # WGS-84, as a phone reports it


@pytest.fixture(scope="module")
def chat_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    require_browser()
    root = tmp_path_factory.mktemp("chat")
    engine = make_engine(f"sqlite:///{root / 'store.sqlite3'}")
    create_tables(engine)
    app = create_app(Settings(), LiveFinder(BUNDLED_CATALOG, engine=engine), engine)
    with served(app, "the web chat") as url:
        yield url
    engine.dispose()


@pytest.fixture(scope="module")
def browser(chat_url: str) -> Iterator[Browser]:
    with chromium() as browser:
        yield browser


def phone(browser: Browser, url: str, *, javascript: bool = True) -> Page:
    context = browser.new_context(
        base_url=url,
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        geolocation=IN_ZHUJIAJIAO,
        permissions=["geolocation"],
        java_script_enabled=javascript,
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


def shoot(page: Page, folder: Path, name: str) -> None:
    for target in (folder, Path(os.environ.get("DOORSTEP_SCREENSHOTS", "") or folder)):
        target.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(target / f"{name}.png"))


def test_a_new_user_asks_shares_a_location_pages_and_switches_to_english(
    browser: Browser, chat_url: str, tmp_path: Path
) -> None:
    """附近有图书馆吗 → "use my location" in 朱家角 → the nearest library with hours → more → English."""
    page = phone(browser, chat_url)
    page.goto("/chat")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # nothing sideways
    shoot(page, tmp_path, "1-start")

    page.fill("#text", "附近有图书馆吗")
    page.get_by_role("button", name="发送").click()
    page.get_by_text("请告诉我您在哪里").wait_for()
    assert page.locator("form.buttons .towns button").count() == 11

    page.get_by_role("button", name="📍 用我的位置").click()
    heading = page.get_by_text("离您发送的位置最近的图书馆")
    heading.wait_for()
    first = page.locator(".block.place").filter(has_text="1. ").last
    assert "朱家角" in first.inner_text()
    assert "今天" in first.locator(".line.hours").inner_text()
    assert first.locator('a[href^="tel:"]').count() == 1
    heading.scroll_into_view_if_needed()
    shoot(page, tmp_path, "2-nearest")

    page.get_by_role("button", name="更多 ▸").last.click()
    page.locator(".line.title", has_text="4. ").wait_for()
    shoot(page, tmp_path, "3-more")

    page.get_by_role("button", name="English").click()
    page.get_by_text("OK, I will answer in English").wait_for()
    assert page.get_attribute("html", "lang") == "en"
    page.fill("#text", "is it open on Sunday?")
    page.get_by_role("button", name="Send").click()
    page.get_by_text("you asked about").wait_for()
    answer = page.locator(".msg.bot").last.inner_text()
    assert "Sunday" in answer and "4. " in answer  # the first place of the page shown last
    shoot(page, tmp_path, "4-english")
    page.context.close()


def test_without_javascript_the_forms_still_work(browser: Browser, chat_url: str) -> None:
    """With JavaScript off: no location button, but a question and a town button answer."""
    page = phone(browser, chat_url, javascript=False)
    page.goto("/chat")
    assert not page.locator("#locate").is_visible()
    page.fill("#text", "附近有图书馆吗")
    page.get_by_role("button", name="发送").click()
    page.get_by_role("button", name="朱家角镇").click()
    page.get_by_text("朱家角镇的图书馆").wait_for()
    assert page.locator(".block.place").count() == 3
    page.context.close()


def test_text_is_large_and_tap_targets_are_big(browser: Browser, chat_url: str) -> None:
    """Body text at least 18 px, every button at least 44 px high, and the page fits a phone."""
    page = phone(browser, chat_url)
    page.goto("/chat")
    size = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    heights = page.evaluate(
        "[...document.querySelectorAll('button')].filter(b => b.offsetParent)"
        ".map(b => b.getBoundingClientRect().height)"
    )
    assert size >= 18 and heights and min(heights) >= 44
    page.context.close()
