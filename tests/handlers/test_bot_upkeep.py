"""What the running bot does besides answering, and the last guards on what it sends.

The background task (started by the Application's post_init, stopped by its post_shutdown, as
`run_polling` calls them) forgets expired state of users who never come back and picks up a new
catalogue off the event loop; buttons are answered even past the message limit; no foreign link
reaches a chat; an emergency reply always has numbers in it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import Session, select

from services_catalog import memory as state
from services_catalog.answer import Answer, Question
from services_catalog.catalog import Catalog
from services_catalog.db import make_engine
from services_catalog.feedback import UnansweredQuestion
from services_catalog.memory import ConversationRow
from services_catalog.models import Facility, Point
from tests.handlers.conftest import BotHarness, assert_telegram_html, make_catalog

HOURS_AGO = state.utcnow() - dt.timedelta(hours=3)


async def eventually(check: Callable[[], bool], timeout: float = 5.0) -> None:
    """Wait (without blocking the event loop) until `check()` holds."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


def row(bot: BotHarness, user_id: int) -> ConversationRow | None:
    with Session(bot.engine) as session:
        return session.get(ConversationRow, ("telegram", str(user_id)))


def remember_everything(bot: BotHarness, user_id: int, at: dt.datetime, lang: str | None = None) -> None:
    """A user who shared a location, named a town, left a question waiting and got an answer at `at`."""
    memory = state.Memory(lang=lang)
    memory.locate(31.15, 121.11, at)
    memory.settle_in("朱家角镇", at, replaces_location=False)
    memory.wait_for_location("附近的图书馆", "library", at)
    memory.answered(state.LastAnswer("我的病历", "clinic", None, ("lib-xujing",)), at)
    state.StoredMemory(bot.engine, dt.timedelta(hours=2)).save("telegram", str(user_id), memory, at)


# Forgetting


async def test_a_user_who_never_returns_is_forgotten_at_start_up(bot: BotHarness) -> None:
    """Location, town and questions 3 hours old are deleted when the bot starts, without a message."""
    remember_everything(bot, 7, HOURS_AGO)  # never writes again
    remember_everything(bot, 8, HOURS_AGO, lang="en")
    remember_everything(bot, 9, state.utcnow())  # wrote a minute ago: kept
    async with bot.running():
        await eventually(lambda: row(bot, 7) is None)
    chose_english = row(bot, 8)
    assert chose_english is not None and chose_english.lang == "en"  # a choice, not an expiring fact
    assert (chose_english.lat, chose_english.town, chose_english.pending_text, chose_english.last_text) == (
        None,
        None,
        None,
        None,
    )
    recent = row(bot, 9)
    assert recent is not None and (recent.lat, recent.town, recent.last_text) == (
        31.15,
        "朱家角镇",
        "我的病历",
    )
    assert not bot.sent()


async def test_expired_state_is_forgotten_while_the_bot_keeps_running(bot: BotHarness) -> None:
    """A location that expires after start-up is deleted at the next periodic purge, not at the next read."""
    async with bot.running(purge_every=0.5):
        await asyncio.sleep(0.05)  # the start-up purge has run; the next is 0.5 s away
        remember_everything(bot, 11, HOURS_AGO)
        assert row(bot, 11) is not None  # not yet purged: nothing reads it, only the timer will
        await eventually(lambda: row(bot, 11) is None)


async def test_old_unanswered_questions_are_deleted_by_the_running_bot(bot: BotHarness) -> None:
    """Unanswered questions older than DOORSTEP_UNANSWERED_DAYS (90) go; recent ones stay for staff."""
    with Session(bot.engine) as session:
        session.add(
            UnansweredQuestion(
                text="旧问题", intent="out_of_scope", created=state.utcnow() - dt.timedelta(days=91)
            )
        )
        session.add(UnansweredQuestion(text="新问题", intent="out_of_scope", created=state.utcnow()))
        session.commit()

    def texts() -> list[str]:
        with Session(bot.engine) as session:
            return sorted(q.text for q in session.exec(select(UnansweredQuestion)))

    async with bot.running():
        await eventually(lambda: texts() == ["新问题"])


def test_purge_expired_clears_every_user_in_a_few_statements(tmp_path: Path) -> None:
    """500 users are purged with one UPDATE per kind and three DELETEs, not a query per user."""
    engine = make_engine(f"sqlite:///{tmp_path / 's.sqlite3'}")
    state.create_memory_tables(engine)
    ttl = dt.timedelta(hours=2)
    with Session(engine) as session:
        for user_id in range(500):
            at = HOURS_AGO if user_id % 2 else state.utcnow()
            session.add(
                ConversationRow(
                    channel="telegram",
                    user=str(user_id),
                    lang="en" if user_id % 4 == 1 else None,
                    lat=31.15,
                    lon=121.11,
                    located_at=at,
                    town="朱家角镇",
                    town_at=at,
                    pending_text="附近的图书馆",
                    pending_at=at,
                    last_text="图书馆",
                    last_at=at,
                    updated=at,
                )
            )
        session.commit()
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    with Session(engine) as session:
        forgotten = state.purge_expired(session=session, location_ttl=ttl)
    assert forgotten == 250 * 4
    assert len([s for s in statements if s.lstrip().upper().startswith(("UPDATE", "DELETE"))]) == 8
    assert not [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    with Session(engine) as session:
        rows = list(session.exec(select(ConversationRow)))
        assert len(rows) == 250 + 125  # the recent ones, and the old ones who chose a language
        assert all(r.lat is None and r.pending_text is None for r in rows if int(r.user) % 2)
        assert all(r.lat == 31.15 and r.last_text == "图书馆" for r in rows if not int(r.user) % 2)
        # A question waits only 30 minutes, whatever the location TTL.
        assert (
            state.purge_expired(
                session=session, location_ttl=ttl, now=state.utcnow() + dt.timedelta(minutes=31)
            )
            == 250
        )
    engine.dispose()


# The catalogue


async def test_messages_are_answered_while_a_new_catalogue_is_being_built(bot: BotHarness) -> None:
    """A slow catalogue rebuild runs off the event loop: residents are answered meanwhile."""
    building, finish = threading.Event(), threading.Event()
    newer = make_catalog(
        facilities=[replace_name(make_catalog().facilities["lib-district"], "新青浦区图书馆")]
    )

    def slow_rebuild() -> Catalog | None:
        building.set()
        finish.wait(10)  # a Finder being built for seconds
        return newer

    bot.core.newer_catalog = slow_rebuild
    async with bot.running():
        await eventually(building.is_set)
        await bot.location(31.15, 121.11)
        await asyncio.wait_for(bot.text("附近的图书馆"), timeout=2)
        assert "青浦区图书馆" in bot.last_text() and "新青浦区图书馆" not in bot.last_text()
        finish.set()
        await eventually(lambda: bot.core.catalog is newer)
        bot.core.newer_catalog = None
        await bot.text("附近的图书馆")
        assert "新青浦区图书馆" in bot.last_text()


async def test_the_catalogue_check_repeats_survives_failures_and_stops_at_shutdown(bot: BotHarness) -> None:
    """The check runs every `reload_every` seconds even after one fails, and not after shutdown."""

    def broken() -> Catalog | None:
        raise OSError("store unreachable")

    bot.core.newer_catalog = broken
    async with bot.running(reload_every=0.01):
        await eventually(lambda: bot.core.reload_checks >= 3)
    checks = bot.core.reload_checks
    await asyncio.sleep(0.1)
    assert bot.core.reload_checks == checks


def replace_name(facility: Facility, name: str) -> Facility:
    return facility.model_copy(update={"name": name})


# Buttons past the limit


async def test_buttons_pressed_past_the_limit_are_still_answered(bot: BotHarness) -> None:
    """Every pressed button gets answerCallbackQuery (no endless spinner): the note once, then empty."""
    for _ in range(25):
        await bot.press("v:lib-district", user_id=9)
    answers = bot.sent("answerCallbackQuery")
    assert len(answers) == 25
    assert len({a["callback_query_id"] for a in answers}) == 25
    assert len(bot.sent("sendVenue")) == 20
    notes = [a for a in answers if a.get("text")]
    assert len(notes) == 1 and "稍等" in notes[0]["text"]
    assert answers.index(notes[0]) == 20


# Links


EVIL = ("evil.ru", "vip888.bet", "bit.ly/abc", "http://phish.example.top/x")


def _everything(params: dict[str, Any]) -> str:
    """The text of a sent message and every label of its buttons and keyboard."""
    markup = params.get("reply_markup") or {}
    rows = markup.get("inline_keyboard", []) + markup.get("keyboard", [])
    labels = [b if isinstance(b, str) else b["text"] for row in rows for b in row]
    return "\n".join([str(params.get("text", "")), *labels])


@pytest.fixture
def tainted(bot: BotHarness) -> BotHarness:
    """A catalogue (built directly, past the loader's checks) whose names and texts carry links."""
    clean = make_catalog()
    library = clean.facilities["lib-district"].model_copy(
        update={
            "name": "青浦区图书馆 evil.ru 领红包",
            "name_en": "vip888.bet",
            "address": "华青路1000号 见 bit.ly/abc",
        }
    )
    other = Facility(
        id="lib-other",
        name="http://phish.example.top/x 图书馆",
        kind="library",
        town="夏阳街道",
        point=Point(lat=31.151, lon=121.111, crs="wgs84"),
        source="test",
    )
    service = clean.services["long_term_care"].model_copy(
        update={
            "name": "长期护理保险 vip888.bet",
            "online": "随申办 或 bit.ly/abc 或 https://evil.ru/apply",
            "summary": "详见 evil.ru",
        }
    )
    catalog = make_catalog(facilities=[library, other])
    bot.core.catalog = replace(catalog, services={service.id: service})
    return bot


async def test_foreign_links_in_the_catalogue_never_reach_a_chat(tainted: BotHarness) -> None:
    """Links in facility names, addresses and service texts are taken out of messages, buttons, venues."""
    bot = tainted
    await bot.location(31.15, 121.11)
    await bot.text("附近的图书馆")
    await bot.press("v:lib-district")
    await bot.press("v:lib-other")
    await bot.text("长期护理保险怎么申请")
    await bot.text("找个地方")  # a clarifying question with the service as a button
    await bot.text("附近的图书馆", lang="en", user_id=2)
    await bot.location(31.15, 121.11, lang="en", user_id=2)
    sent = bot.sent()
    assert len(sent) == 6
    results = sent[1]["text"]
    assert "青浦区图书馆" in results and '<a href="https://www.qplib.sh.cn/">' in results  # allowlisted stays
    assert "长期护理保险" in sent[2]["text"] and "随申办" in sent[2]["text"]
    everything = [_everything(p) for p in sent] + [
        f"{v['title']}\n{v['address']}" for v in bot.sent("sendVenue")
    ]
    assert len(bot.sent("sendVenue")) == 2
    for text in everything:
        for link in (*EVIL, "evil", "vip888", "bit.ly", "phish"):
            assert link not in text, (link, text)
    for params in sent:
        assert_telegram_html(params["text"])


async def test_a_link_in_the_users_own_words_is_not_echoed(bot: BotHarness) -> None:
    """A user's words are never quoted back; a first name used in the greeting loses its foreign links."""
    await bot.text("去 vip888.bet 领红包 & <b>")
    await bot.feed(
        {
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": 3, "type": "private"},
                "from": {"id": 3, "is_bot": False, "first_name": "evil.ru", "language_code": "zh"},
                "text": "/start",
                "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
            }
        }
    )
    quoted, greeting = bot.sent()
    assert "vip888" not in quoted["text"] and "12345" in quoted["text"]
    assert "evil.ru" not in greeting["text"] and "家门口" in greeting["text"]
    assert_telegram_html(quoted["text"])
    assert_telegram_html(greeting["text"])


# Emergencies


@pytest.mark.parametrize(("lang", "expected"), [("zh", "请立即拨打 120"), ("en", "Call 120")])
async def test_an_emergency_without_hotlines_still_gives_the_numbers(
    bot: BotHarness, lang: str, expected: str
) -> None:
    """An emergency answer that lost its hotlines still says 120 / 119 / 110 first, alone."""

    def no_hotlines(question: Question) -> Answer:
        return Answer(intent="emergency", lang=question.lang, emergency=[], reply="")

    bot.core.override = no_hotlines
    await bot.text("救命", lang=lang)
    sent = bot.sent()
    assert len(sent) == 1
    text = sent[0]["text"]
    assert text.startswith("🚨") and expected in text and "119" in text and "110" in text
    assert "reply_markup" not in sent[0]
    assert_telegram_html(text)
