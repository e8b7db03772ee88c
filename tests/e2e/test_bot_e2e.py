"""`doorstep bot` as a subprocess against our fake Bot API: a real conversation, and Telegram failing.

Nothing is patched: the bot reaches the fake server through TELEGRAM_API_BASE_URL, exactly as it
would reach a self-hosted Bot API server.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_bot_api import BOT_ID, FakeBotApi

from tests.local_servers import free_port

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 60.0  # loading the catalogue and the word segmenter takes a few seconds
REPLY_TIMEOUT = 20.0


class BotProcess:
    """A running `doorstep bot`; always ended by SIGTERM."""

    def __init__(
        self, base_url: str, tmp_path: Path, token: str = "123:ABC", args: tuple[str, ...] = ()
    ) -> None:
        env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": token,
            "TELEGRAM_API_BASE_URL": base_url,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}",
            "PYTHONUNBUFFERED": "1",
        }
        self.stderr_path = tmp_path / "stderr.txt"
        self._stderr = self.stderr_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "bot", *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=self._stderr,
        )

    def stop(self, timeout: float = 20.0) -> int:
        """SIGTERM, then wait; kill (and fail) only when it does not exit in time."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
                raise AssertionError("the bot did not stop within 20 s of SIGTERM") from None
        self._stderr.close()
        return self.proc.returncode

    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")


@pytest.fixture
def bot_api() -> Iterator[FakeBotApi]:
    """Our fake Bot API server on 127.0.0.1."""
    with FakeBotApi() as api:
        yield api


@pytest.fixture
def bot_process(bot_api: FakeBotApi, tmp_path: Path) -> Iterator[BotProcess]:
    """`doorstep bot` polling the fake server; stopped with SIGTERM afterwards."""
    process = BotProcess(f"http://127.0.0.1:{_port(bot_api)}/bot", tmp_path)
    try:
        bot_api.wait_for(
            lambda: bot_api.calls_of("getUpdates") or process.proc.poll() is not None, timeout=START_TIMEOUT
        )
        assert process.proc.poll() is None, process.stderr()
        yield process
    finally:
        process.stop()


def _port(api: FakeBotApi) -> int:
    assert api._server is not None
    return int(api._server.server_address[1])


def user(user_id: int, lang: str = "zh") -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": "居民", "language_code": lang}


def text_update(user_id: int, text: str, lang: str = "zh", **extra: Any) -> dict[str, Any]:
    message: dict[str, Any] = {
        "message_id": int(time.monotonic() * 1000) % 1_000_000,
        "date": int(time.time()),
        "chat": {"id": user_id, "type": "private"},
        "from": user(user_id, lang),
        **extra,
    }
    if text:
        message["text"] = text
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return {"message": message}


def button_update(user_id: int, data: str, message: dict[str, Any], lang: str = "zh") -> dict[str, Any]:
    return {
        "callback_query": {
            "id": f"cq-{user_id}-{data}",
            "chat_instance": "ci",
            "data": data,
            "from": user(user_id, lang),
            "message": message,
        }
    }


def next_reply(api: FakeBotApi, chat_id: int, seen: int, method: str = "sendMessage") -> dict[str, Any]:
    """Wait for the reply after the first `seen` ones to `chat_id`."""
    replies = api.wait_for(lambda: api.messages_to(chat_id, method)[seen:], timeout=REPLY_TIMEOUT)
    return dict(replies[0])


def inline_data(params: dict[str, Any]) -> list[str]:
    markup = params.get("reply_markup") or {}
    return [b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row]


def sent_message(api: FakeBotApi, params: dict[str, Any]) -> dict[str, Any]:
    """The message the fake server returned for a sendMessage, as a callback query carries it."""
    return {
        "message_id": 1,
        "date": int(time.time()),
        "chat": {"id": params["chat_id"], "type": "private"},
        "from": {"id": BOT_ID, "is_bot": True, "first_name": "家门口"},
        "text": params["text"][:100],
    }


def test_a_resident_conversation_end_to_end(bot_api: FakeBotApi, bot_process: BotProcess) -> None:
    """Start, a question needing a location, the location, map and more, English, a sticker, 5,000 chars."""
    me = 501
    bot_api.push(text_update(me, "/start"))
    start = next_reply(bot_api, me, 0)
    assert start["reply_markup"]["keyboard"][0][0]["request_location"] is True
    assert start["parse_mode"] == "HTML"

    bot_api.push(text_update(me, "附近的图书馆"))
    ask = next_reply(bot_api, me, 1)
    rows = ask["reply_markup"]["keyboard"]
    assert rows[0][0]["request_location"] is True
    towns = [b if isinstance(b, str) else b["text"] for row in rows[1:] for b in row]
    assert "朱家角镇" in towns and len(towns) == 11

    bot_api.push(text_update(me, "", location={"latitude": 31.1505, "longitude": 121.1097}))
    answer = next_reply(bot_api, me, 2)
    data = inline_data(answer)
    venue_data = next(d for d in data if d.startswith("v:"))
    assert "图书馆" in answer["text"]

    bot_api.push(button_update(me, venue_data, sent_message(bot_api, answer)))
    venue = next_reply(bot_api, me, 0, method="sendVenue")
    assert 30.9 < float(venue["latitude"]) < 31.4 and 120.8 < float(venue["longitude"]) < 121.4
    assert venue["title"]

    more = [d for d in data if d.startswith("m:")]
    if more:
        bot_api.push(button_update(me, more[0], sent_message(bot_api, answer)))
        page2 = next_reply(bot_api, me, 3)
        assert "4." in page2["text"]
    answered = {c.params["callback_query_id"] for c in bot_api.calls_of("answerCallbackQuery")}
    assert f"cq-{me}-{venue_data}" in answered

    en = 502
    bot_api.push(text_update(en, "/start", lang="en"))
    assert "Hello" in next_reply(bot_api, en, 0)["text"]
    bot_api.push(text_update(en, "library near me", lang="en"))
    reply = next_reply(bot_api, en, 1)
    assert "location" in reply["text"].lower() or "library" in reply["text"].lower()

    sticker = {
        "file_id": "s1",
        "file_unique_id": "s1",
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
    }
    bot_api.push(text_update(me, "", sticker=sticker))
    assert "文字" in next_reply(bot_api, me, 3 + len(more))["text"]

    bot_api.push(text_update(me, "图书馆" * 1667))  # 5,001 characters
    long_reply = next_reply(bot_api, me, 4 + len(more))
    assert 0 < len(long_reply["text"]) <= 4096

    assert bot_process.stop() == 0
    assert "Traceback" not in bot_process.stderr()


def test_the_bot_recovers_from_429_and_502_without_losing_updates(
    bot_api: FakeBotApi, bot_process: BotProcess
) -> None:
    """Telegram answering 429 (retry_after) and a proxy 502 once: every update still gets its reply."""
    bot_api.fail_next("getUpdates", 502, json_body=False)
    bot_api.fail_next("getUpdates", 429, retry_after=1)
    bot_api.fail_next("sendMessage", 429, retry_after=1)
    users = [601, 602, 603, 604]
    bot_api.push(text_update(users[0], "/start"))  # served by the long poll already waiting
    bot_api.wait_for(
        lambda: len(bot_api.calls_of("getUpdates", ok=False)) > len(bot_api.calls_of("getUpdates"))
    )
    for user_id in users[1:]:  # arrive while the bot is backing off
        bot_api.push(text_update(user_id, "/start"))
    for user_id in users:
        assert "家门口" in next_reply(bot_api, user_id, 0)["text"]
    failed = [c for c in bot_api.calls if c.status != 200]
    assert sorted((c.method, c.status) for c in failed) == [
        ("getUpdates", 429),
        ("getUpdates", 502),
        ("sendMessage", 429),
    ]
    refused = next(c for c in failed if c.method == "sendMessage")
    retried = [c for c in bot_api.calls_of("sendMessage") if c.params["chat_id"] == refused.params["chat_id"]]
    assert retried and retried[0].at - refused.at >= 0.9  # waited for retry_after
    assert all(len(bot_api.messages_to(u)) == 1 for u in users)  # one reply each: nothing lost, nothing twice
    assert bot_process.stop() == 0
    assert "Traceback" not in bot_process.stderr()


def test_a_rejected_token_is_one_clear_line(bot_api: FakeBotApi, tmp_path: Path) -> None:
    """A token the Bot API rejects ends the bot with exit 1 and one line, not a traceback."""
    process = BotProcess(f"http://127.0.0.1:{_port(bot_api)}/bot", tmp_path, token="999:WRONG")
    try:
        process.proc.wait(START_TIMEOUT)
    finally:
        code = process.stop()
    assert code == 1
    err = process.stderr().strip()
    assert "Traceback" not in err and "token" in err.lower()
    assert len([line for line in err.splitlines() if line.startswith("doorstep")]) == 1


def test_a_missing_token_is_one_clear_line(tmp_path: Path) -> None:
    """Without TELEGRAM_BOT_TOKEN `doorstep bot` says so and exits 2."""
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "bot"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT,
    )
    assert done.returncode == 2
    assert "TELEGRAM_BOT_TOKEN" in done.stderr and "Traceback" not in done.stderr


def _post_update(hook: str, user_id: int, secret: str | None) -> int:
    """POST a /start update to the bot's webhook as Telegram would; the HTTP status."""
    body = json.dumps({"update_id": user_id, **text_update(user_id, "/start")}).encode()
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    request = urllib.request.Request(hook, data=body, headers=headers)
    deadline = time.monotonic() + 10
    while True:
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return int(response.status)
        except urllib.error.HTTPError as err:
            return err.code
        except urllib.error.URLError:  # the server is still starting
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_webhook_mode_takes_updates_with_the_secret_token(bot_api: FakeBotApi, tmp_path: Path) -> None:
    """With --webhook-url the bot registers its webhook, answers posted updates, refuses a wrong secret."""
    port = free_port()
    hook = f"http://127.0.0.1:{port}/hook"
    args = ("--webhook-url", hook, "--listen", "127.0.0.1", "--port", str(port), "--secret-token", "s3cret")
    process = BotProcess(f"http://127.0.0.1:{_port(bot_api)}/bot", tmp_path, args=args)
    try:
        registered = bot_api.wait_for(lambda: bot_api.calls_of("setWebhook"), timeout=START_TIMEOUT)
        assert registered[0].params["url"] == hook and registered[0].params["secret_token"] == "s3cret"
        assert _post_update(hook, 701, "wrong") == 403
        assert _post_update(hook, 701, "s3cret") == 200
        assert "家门口" in next_reply(bot_api, 701, 0)["text"]
    finally:
        code = process.stop()
    assert code == 0
    assert "Traceback" not in process.stderr()


def test_webhook_mode_without_a_secret_makes_one(bot_api: FakeBotApi, tmp_path: Path) -> None:
    """Without --secret-token the webhook still refuses strangers: a random secret, never logged."""
    port = free_port()
    hook = f"http://127.0.0.1:{port}/hook"
    args = ("--webhook-url", hook, "--listen", "127.0.0.1", "--port", str(port))
    process = BotProcess(f"http://127.0.0.1:{_port(bot_api)}/bot", tmp_path, args=args)
    try:
        registered = bot_api.wait_for(lambda: bot_api.calls_of("setWebhook"), timeout=START_TIMEOUT)
        secret = str(registered[0].params.get("secret_token") or "")
        assert len(secret) >= 32
        assert _post_update(hook, 702, None) == 403  # anyone who found the URL
        assert _post_update(hook, 702, "guess") == 403
        assert _post_update(hook, 702, secret) == 200  # Telegram, which was told the secret
        assert "家门口" in next_reply(bot_api, 702, 0)["text"]
    finally:
        code = process.stop()
    assert code == 0
    err = process.stderr()
    assert "random webhook secret" in err and secret not in err
    assert "Traceback" not in err
