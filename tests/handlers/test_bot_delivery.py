"""Each update answered once: sends that fail in transit are retried, a reply is never followed by a
spurious apology, an update that arrives twice is answered once, a dead process's update is finished.

The Bot API is replaced by a recording request class that can fail the way the network does: a
proxy's 502 page, a connection dropped before the answer, an answer that never comes (the message
delivered, its confirmation lost).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import Session, SQLModel, update
from telegram import Update
from telegram.error import NetworkError, TimedOut
from telegram.request import RequestData

from bot.app import build_application
from bot.delivery import TransientRetries
from bot.updates import DEAD_AFTER, BotInstance, Outgoing, UpdateLog
from handlers import housekeeping
from services_catalog.db import make_engine
from tests.handlers.conftest import (
    BotHarness,
    Call,
    RecordingRequest,
    ScriptedCore,
    make_catalog,
    make_settings,
    message,
)

APOLOGY = "抱歉"


class FlakyRequest(RecordingRequest):
    """A recording Bot API whose next calls of a method fail as scripted.

    "502": a proxy's HTML error page (nothing delivered); "dropped": the connection closed before
    an answer (nothing delivered); "lost": delivered, but the answer never came (a read timeout).
    """

    def __init__(self) -> None:
        super().__init__()
        self.faults: dict[str, list[str]] = {}
        self.failed: list[str] = []

    def fail(self, method: str, *faults: str) -> None:
        self.faults.setdefault(method, []).extend(faults)

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        endpoint = url.rsplit("/", 1)[-1]
        pending = self.faults.get(endpoint)
        fault = pending.pop(0) if pending else None
        if fault is None:
            return await super().do_request(url, method, request_data)
        self.failed.append(f"{endpoint}:{fault}")
        if fault == "502":
            return 502, b"<html><body>502 Bad Gateway</body></html>"
        if fault == "too old":
            body = {"ok": False, "error_code": 400, "description": "Bad Request: query is too old"}
            return 400, json.dumps(body).encode()
        if fault == "dropped":
            cause = httpx.RemoteProtocolError("Server disconnected without sending a response.")
            raise NetworkError(f"httpx.RemoteProtocolError: {cause}") from cause
        if fault == "lost":
            self.calls.append(Call(endpoint, dict(request_data.parameters) if request_data else {}))
            raise TimedOut from httpx.ReadTimeout("timed out")
        raise AssertionError(fault)


@pytest.fixture
async def flaky(tmp_path: Path) -> AsyncIterator[tuple[BotHarness, FlakyRequest]]:
    settings = make_settings(tmp_path)
    engine = make_engine(settings.database_url)
    SQLModel.metadata.create_all(engine)
    request, core = FlakyRequest(), ScriptedCore(make_catalog())
    app = build_application(settings, core, engine, request=request, get_updates_request=RecordingRequest())
    limiter = app.bot.rate_limiter
    assert isinstance(limiter, TransientRetries)
    limiter.first_pause = 0.01  # the same growing pauses, shorter
    async with app:
        yield BotHarness(app, request, core, engine), request
    engine.dispose()


def texts(bot: BotHarness, chat_id: int = 1) -> list[str]:
    return [str(m["text"]) for m in bot.sent() if m["chat_id"] == chat_id]


async def test_a_502_while_sending_is_retried_and_the_answer_arrives_once(
    flaky: tuple[BotHarness, FlakyRequest],
) -> None:
    bot, request = flaky
    request.fail("sendMessage", "502")
    await bot.text("朱家角有图书馆吗")
    assert request.failed == ["sendMessage:502"]
    assert len(texts(bot)) == 1 and "图书馆" in texts(bot)[0] and APOLOGY not in texts(bot)[0]


async def test_a_dropped_connection_is_retried_with_growing_pauses(
    flaky: tuple[BotHarness, FlakyRequest],
) -> None:
    bot, request = flaky
    request.fail("sendMessage", "dropped", "dropped", "502")
    await bot.text("/start")
    assert request.failed == ["sendMessage:dropped", "sendMessage:dropped", "sendMessage:502"]
    assert len(texts(bot)) == 1 and APOLOGY not in texts(bot)[0]


async def test_a_reply_whose_confirmation_was_lost_is_neither_repeated_nor_apologised_for(
    flaky: tuple[BotHarness, FlakyRequest],
) -> None:
    """Telegram delivered it (we cannot know): sent again it would be said twice; an apology is wrong."""
    bot, request = flaky
    request.fail("sendMessage", "lost")
    await bot.text("朱家角有图书馆吗")
    sent = texts(bot)
    assert len(sent) == 1 and "图书馆" in sent[0]
    assert not any(APOLOGY in t for t in sent)


async def test_after_a_delivered_part_a_failing_part_brings_no_apology(
    flaky: tuple[BotHarness, FlakyRequest],
) -> None:
    """The button was answered; the map point could not be sent at all: no "sorry" below the answer."""
    bot, request = flaky
    request.fail("sendVenue", *["502"] * 10)
    await bot.press("v:lib-district")
    assert len(bot.sent("answerCallbackQuery")) == 1
    assert bot.sent("sendVenue") == [] and texts(bot) == []


async def test_without_anything_sent_a_failure_still_gets_the_apology(
    flaky: tuple[BotHarness, FlakyRequest],
) -> None:
    bot, _ = flaky

    def broken(_question: Any) -> Any:
        raise RuntimeError("a bug")

    bot.core.override = broken
    await bot.text("朱家角有图书馆吗")
    assert len(texts(bot)) == 1 and APOLOGY in texts(bot)[0] and "12345" in texts(bot)[0]


async def test_an_update_delivered_twice_is_answered_once(flaky: tuple[BotHarness, FlakyRequest]) -> None:
    """A webhook retry of an answered update, or getUpdates repeating it after a restart."""
    bot, _ = flaky
    update = {"update_id": 500, "message": message(text="/start")}
    await bot.feed(dict(update))
    await bot.feed(dict(update))
    assert len(texts(bot)) == 1


async def test_text_with_a_lone_surrogate_is_answered(flaky: tuple[BotHarness, FlakyRequest]) -> None:
    bot, _ = flaky
    await bot.text("朱家角\ud800图书馆")
    await bot.text("朱家角\udfff有图书馆吗")
    sent = texts(bot)
    assert len(sent) == 2 and not any(APOLOGY in t for t in sent)


async def test_an_update_left_by_a_dead_process_is_finished_without_repeating_it(
    flaky: tuple[BotHarness, FlakyRequest],
) -> None:
    """A process killed after sending the first of two planned messages: the second is sent, once."""
    bot, _ = flaky
    services = bot.app.bot_data.services
    assert services is not None and services.updates is not None
    dead = UpdateLog(bot.engine, services.updates.bot_id, "killed")
    payload = {"update_id": 900, "message": message(text="/start", user_id=5)}
    dead.record(900, payload)
    first, second = ({"chat_id": 5, "text": f"第{i}条"} for i in (1, 2))
    dead.plan(900, [Outgoing("sendMessage", first), Outgoing("sendMessage", second)])
    dead.sending(900, 1)
    dead.sent(900, 1)
    with Session(bot.engine) as session:
        session.exec(
            update(BotInstance).values(seen=dt.datetime.now(dt.UTC) - DEAD_AFTER - dt.timedelta(seconds=1))
        )
        session.commit()

    async def enqueue(data: dict[str, Any]) -> None:
        await bot.app.process_update(Update.de_json(data, bot.app.bot))

    await housekeeping.keep_updates(services, enqueue)
    assert texts(bot, 5) == ["第2条"]  # not the greeting again: the conversation's turn was taken
    await housekeeping.keep_updates(services, enqueue)
    assert texts(bot, 5) == ["第2条"]


async def test_a_button_too_old_to_answer_still_gets_its_reply(
    flaky: tuple[BotHarness, FlakyRequest],
) -> None:
    """Telegram refuses to stop the spinner of an old button; the map point is sent all the same."""
    bot, request = flaky
    request.fail("answerCallbackQuery", "too old")
    await bot.press("v:lib-district")
    assert request.failed == ["answerCallbackQuery:too old"]
    assert len(bot.sent("sendVenue")) == 1 and texts(bot) == []
