"""The offline bot over the real core: a `LiveFinder` on the bundled Qingpu catalogue."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlmodel import SQLModel

from bot.app import build_application
from bot.settings import BUNDLED_CATALOG, Settings
from services_catalog.db import create_tables, make_engine
from services_catalog.live import LiveFinder
from tests.handlers.conftest import BotHarness, RecordingRequest, assert_telegram_html


@pytest.fixture(scope="module")
def bot_live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveFinder]:
    """One LiveFinder over the bundled catalogue for the whole module (loading it takes a moment)."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('live') / 'store.sqlite3'}")
    create_tables(engine)
    yield LiveFinder(BUNDLED_CATALOG, engine=engine)
    engine.dispose()


@pytest.fixture
async def real_bot(bot_settings: Settings, bot_live: LiveFinder) -> AsyncIterator[BotHarness]:
    """An offline bot answering from the real core."""
    engine = make_engine(bot_settings.database_url)
    SQLModel.metadata.create_all(engine)
    request = RecordingRequest()
    app = build_application(
        bot_settings, bot_live, engine, request=request, get_updates_request=RecordingRequest()
    )
    async with app:
        yield BotHarness(app, request, bot_live, engine)  # type: ignore[arg-type]
    engine.dispose()


async def test_nearest_library_after_sharing_a_location(real_bot: BotHarness, bot_live: LiveFinder) -> None:
    """Asked "附近的图书馆", then given a location: the nearest library, and its map button sends it."""
    await real_bot.text("附近的图书馆")
    assert real_bot.sent()[-1]["reply_markup"]["keyboard"][0][0]["request_location"] is True
    await real_bot.location(31.1505, 121.1097)
    answer = real_bot.sent()[-1]
    assert "图书馆" in answer["text"] and "1." in answer["text"]
    assert_telegram_html(answer["text"])
    data = [b["callback_data"] for b in real_bot.buttons(answer)]
    venue = next(d for d in data if d.startswith("v:"))
    facility = bot_live.finder.catalog.facilities[venue[2:]]
    await real_bot.press(venue)
    sent = real_bot.sent("sendVenue")[-1]
    assert (sent["latitude"], sent["longitude"]) == (facility.point.lat, facility.point.lon)
    more = next(d for d in data if d.startswith("m:"))
    await real_bot.press(more)
    assert "4." in real_bot.last_text()


async def test_an_english_user_gets_english(real_bot: BotHarness) -> None:
    """A Telegram set to English gets the question for a location in English."""
    await real_bot.text("library near me", lang="en")
    assert "location" in real_bot.last_text().lower()


async def test_emergency_words_give_the_numbers_alone(real_bot: BotHarness) -> None:
    """Saying "我爸心脏病发作了" gets 120 first, alone, with no buttons."""
    await real_bot.text("我爸心脏病发作了")
    sent = real_bot.sent()
    assert len(sent) == 1 and sent[0]["text"].startswith("🚨") and "120" in sent[0]["text"]
    assert "reply_markup" not in sent[0]


@pytest.mark.parametrize(
    "text",
    [
        "长期护理保险怎么申请",
        "2025年每千人口医生数",
        "你好",
        "今天天气怎么样",
        "朱家角的图书馆",
        "<b>&</b>" * 40,
    ],
)
async def test_every_answer_is_valid_telegram_html_within_4096(real_bot: BotHarness, text: str) -> None:
    """Services, indicators, greetings, out-of-scope and town answers all render as valid HTML."""
    await real_bot.text(text)
    reply = real_bot.last_text()
    assert 0 < len(reply) <= 4096
    assert_telegram_html(reply)


async def test_hotline_lists_the_bundled_hotlines(real_bot: BotHarness, bot_live: LiveFinder) -> None:
    """/hotline lists every number of the bundled catalogue."""
    await real_bot.text("/hotline")
    text = real_bot.last_text()
    assert all(number in text for number in bot_live.finder.catalog.hotlines)


def test_bundled_catalogue_path_exists() -> None:
    """The bundled catalogue the bot answers from is where the settings say."""
    assert Path(BUNDLED_CATALOG, "towns.yaml").is_file()
