"""Three `doorstep bot` processes behind one webhook and two `doorstep web` processes on one PostgreSQL.

Telegram is our fake Bot API; its webhook deliveries are POSTs to the bots, as a load balancer
would spread them, with retries to the same and to other processes. Checked, end to end:
- every update is answered exactly once, through retries, a 502, and a bot killed (SIGKILL)
  while Telegram had delivered its reply but not yet confirmed it, with another update queued;
- a resident's per-minute limit holds across the bots, a web chat session's across the consoles,
  and sign-in failures count across the consoles;
- `doorstep catalog reload` reaches every process within seconds, and a console started
  afterwards on the bundled catalogue serves the reloaded one (and puts nothing back).

Needs PostgreSQL (TEST_DATABASE_URL); each run uses a schema of its own.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fake_bot_api import FakeBotApi
from sqlalchemy import text

from bot.web import accounts
from services_catalog.db import make_engine
from tests.local_servers import free_port

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = ROOT / "services_catalog" / "data"
SECRET = "e2e-webhook-secret"
RATE = 5  # messages a minute per user, for these processes
PASSWORD = "a long enough password"
OLD_NAME, NEW_NAME = "青浦区图书馆朱家角分馆", "青浦区图书馆朱家角新馆"
ZJJ_LIBRARY = "朱家角有图书馆吗"


def _database_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        if os.environ.get("DOORSTEP_REQUIRE_POSTGRES") == "1":
            pytest.fail("DOORSTEP_REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set")
        pytest.skip("TEST_DATABASE_URL not set: several instances need PostgreSQL")
    return url


@dataclass
class Process:
    """A running `doorstep` process, its log in a file."""

    name: str
    proc: subprocess.Popen[bytes]
    log: Path
    port: int

    def stderr(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@dataclass
class Cluster:
    """Everything the test started; stopped at the end, whatever happened."""

    tmp: Path
    url: str
    env: dict[str, str]
    api: FakeBotApi
    bots: list[Process] = field(default_factory=list)
    consoles: list[Process] = field(default_factory=list)

    def start(self, name: str, args: list[str], port: int, **env: str) -> Process:
        log = self.tmp / f"{name}.log"
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", *args],
            cwd=ROOT,
            env={**self.env, **env},
            stdout=subprocess.DEVNULL,
            stderr=log.open("wb"),
        )
        return Process(name, proc, log, port)

    def start_bot(self, name: str) -> Process:
        port = free_port()
        hook = f"http://127.0.0.1:{port}/hook"
        args = [
            "bot",
            "--webhook-url",
            hook,
            "--listen",
            "127.0.0.1",
            "--port",
            str(port),
            "--secret-token",
            SECRET,
        ]
        process = self.start(name, args, port)
        self.bots.append(process)
        return process

    def start_console(self, name: str, **env: str) -> Process:
        port = free_port()
        process = self.start(name, ["web", "--port", str(port)], port, **env)
        self.consoles.append(process)
        return process

    def stop_all(self) -> None:
        for process in self.bots + self.consoles:
            if process.proc.poll() is None:
                process.proc.send_signal(signal.SIGTERM)
        for process in self.bots + self.consoles:
            try:
                process.proc.wait(20)
            except subprocess.TimeoutExpired:
                process.proc.kill()
                process.proc.wait(5)


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    base = _database_url()
    schema = f"e2e_{uuid.uuid4().hex[:10]}"
    admin = make_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base else "?"
    url = f"{base}{separator}options={urllib.parse.quote(f'-csearch_path={schema}')}"
    catalog = tmp_path / "catalog"
    shutil.copytree(BUNDLED, catalog)
    with FakeBotApi() as api:
        assert api._server is not None
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "DOORSTEP_CATALOG": str(catalog),
            "TELEGRAM_BOT_TOKEN": api.token,
            "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{api._server.server_address[1]}/bot",
            "DOORSTEP_USER_RATE_PER_MINUTE": str(RATE),
            "DOORSTEP_SECRET_KEY": "the same for every console",
            "PYTHONUNBUFFERED": "1",
        }
        running = Cluster(tmp_path, url, env, api)
        try:
            yield running
        finally:
            running.stop_all()
            api.release()
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


# Telegram's side


_next_id = iter(range(10_000, 1_000_000))


def text_update(user_id: int, words: str) -> dict[str, Any]:
    message: dict[str, Any] = {
        "message_id": next(_next_id),
        "date": int(time.time()),
        "chat": {"id": user_id, "type": "private"},
        "from": {"id": user_id, "is_bot": False, "first_name": "居民", "language_code": "zh"},
        "text": words,
    }
    if words.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(words)}]
    return {"update_id": next(_next_id), "message": message}


def deliver(bot: Process, update: dict[str, Any]) -> int:
    """POST an update to a bot's webhook as Telegram does; the status (0: the process is gone)."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{bot.port}/hook",
        data=json.dumps(update, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as err:
        return err.code
    except OSError:
        return 0


def replies_to(api: FakeBotApi, chat_id: int) -> list[str]:
    return [str(p["text"]) for p in api.messages_to(chat_id)]


def wait_until(check: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


# The consoles' side


def http(
    console: Process, path: str, *, data: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, str]:
    body = None
    all_headers = dict(headers or {})
    if isinstance(data, dict) and all_headers.get("Content-Type") == "application/json":
        body = json.dumps(data).encode()
    elif data is not None:
        body = urllib.parse.urlencode(data).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{console.port}{path}", data=body, headers=all_headers)
    opener = urllib.request.build_opener(_NoRedirect())
    try:
        with opener.open(request, timeout=10) as response:
            return int(response.status), response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()
    except OSError:
        return 0, ""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def library_name(console: Process, token: str) -> str | None:
    status, body = http(
        console,
        "/api/ask?" + urllib.parse.urlencode({"q": ZJJ_LIBRARY}),
        headers={"Authorization": f"Bearer {token}"},
    )
    if status != 200:
        return None
    results = json.loads(body)["results"]
    return str(results[0]["name"]) if results else None


def test_three_bots_and_two_consoles_share_one_store(cluster: Cluster) -> None:
    api = cluster.api
    bots = [cluster.start_bot(f"bot{i}") for i in range(3)]
    consoles = [cluster.start_console(f"console{i}") for i in range(2)]
    wait_until(lambda: len(api.calls_of("setWebhook")) == 3, 90, "three webhooks")
    engine = make_engine(cluster.url)
    accounts.add_user(engine=engine, name="li", role="staff", password=PASSWORD)
    token = accounts.issue_token(engine=engine, name="li")
    for console in consoles:
        wait_until(lambda c=console: library_name(c, token), 90, f"{console.name} answering")

    # Every update answered once: deliveries spread over the bots, retried to the same and to
    # other processes, one reply refused once with a 502 (and retried by the bot).
    api.fail_next("sendMessage", 502, json_body=False)
    residents = list(range(2001, 2013))
    updates = {user_id: text_update(user_id, "/start") for user_id in residents}
    for i, update in enumerate(updates.values()):
        assert deliver(bots[i % 3], update) == 200
        if i % 3 == 0:
            assert deliver(bots[(i + 1) % 3], update) == 200  # Telegram's retry reached another process
        if i % 4 == 0:
            assert deliver(bots[i % 3], update) == 200  # ... or the same one
    wait_until(lambda: all(replies_to(api, u) for u in residents), 30, "every resident answered")

    # A bot killed while Telegram holds back the confirmation of a reply it delivered, with
    # another update queued behind it: the first is not sent again, the second is answered by
    # another process once the killed one's heartbeat is old.
    victim, held_user, queued_user = bots[1], 2101, 2102
    api.hold_next("sendMessage", held_user)
    assert deliver(victim, text_update(held_user, "/start")) == 200
    wait_until(lambda: api.messages_to(held_user), 20, "the held reply to arrive")
    assert deliver(victim, text_update(queued_user, "/start")) == 200
    victim.proc.send_signal(signal.SIGKILL)
    victim.proc.wait(10)
    api.release()
    wait_until(lambda: replies_to(api, queued_user), 40, "the queued update taken over")

    # The per-minute limit holds across the bots: RATE answers, one note, then silence.
    if time.time() % 60 > 45:  # the counts are per minute: do not straddle one
        time.sleep(61 - time.time() % 60)
    chatty = 2201
    for i in range(RATE + 3):
        assert deliver(bots[(i % 2) * 2], text_update(chatty, "/start")) == 200
        time.sleep(0.3)
    wait_until(lambda: len(replies_to(api, chatty)) >= RATE + 1, 20, "the chatty resident's replies")
    time.sleep(1.5)
    chatty_replies = replies_to(api, chatty)
    assert len(chatty_replies) == RATE + 1 and "稍等" in chatty_replies[-1]

    # The web chat's per-session limit, across the consoles.
    session = None
    statuses = []
    for i in range(RATE + 2):
        status, body = http(
            consoles[i % 2],
            "/api/chat",
            data={"session": session, "text": "你好"},
            headers={"Content-Type": "application/json"},
        )
        statuses.append(status)
        session = json.loads(body)["session"] if body else session
    assert statuses == [200] * RATE + [429, 429]

    # Sign-in failures count across the consoles: the fifth try waits, on either.
    tries = [
        http(consoles[i % 2], "/login", data={"username": "li", "password": "wrong"})[0] for i in range(5)
    ]
    assert tries == [401, 401, 401, 401, 429]

    # A reload reaches every process within seconds.
    library = cluster.tmp / "catalog" / "facilities" / "library.yaml"
    library.write_text(library.read_text(encoding="utf-8").replace(OLD_NAME, NEW_NAME), encoding="utf-8")
    reloaded = subprocess.run(
        [sys.executable, "-m", "bot.cli", "catalog", "reload"],
        cwd=ROOT,
        env=cluster.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert reloaded.returncode == 0, reloaded.stderr
    started = time.monotonic()
    for console in consoles:
        wait_until(lambda c=console: library_name(c, token) == NEW_NAME, 10, f"{console.name} reloading")
    for i, bot in enumerate((bots[0], bots[2])):
        asker = 2301 + i
        wait_until(
            lambda b=bot, a=asker: (
                deliver(b, text_update(a, ZJJ_LIBRARY)) == 200
                and wait_until(lambda: replies_to(api, a), 10, "an answer")
                and NEW_NAME in replies_to(api, a)[-1]
            ),
            10,
            f"{bot.name} reloading",
        )
    assert time.monotonic() - started < 15

    # A console started now, on the bundled catalogue, serves the newer one and puts nothing back.
    late = cluster.start_console("late", DOORSTEP_CATALOG=str(BUNDLED))
    wait_until(lambda: library_name(late, token), 90, "the late console answering")
    assert library_name(late, token) == NEW_NAME
    time.sleep(3)  # longer than a reload check
    assert [library_name(c, token) for c in consoles] == [NEW_NAME, NEW_NAME]

    # Exactly once, counted at the end: every resident one reply per update, nothing twice.
    for user_id in residents:
        assert len(replies_to(api, user_id)) == 1, user_id
    assert len(replies_to(api, held_user)) == 1 and len(replies_to(api, queued_user)) == 1
    assert not any("抱歉" in t for u in [*residents, held_user, queued_user] for t in replies_to(api, u))
    for process in (bots[0], bots[2], *consoles, late):
        assert "Traceback" not in process.stderr(), process.name
    taken_over = bots[0].stderr() + bots[2].stderr()
    assert "answering it here" in taken_over
    engine.dispose()


def test_a_polling_bot_killed_mid_batch_and_restarted_answers_each_update_once(tmp_path: Path) -> None:
    """20 updates fetched at once; SIGKILL while a reply's confirmation is held back; restart.

    The updates the killed process had fetched (and python-telegram-bot had already confirmed to
    Telegram) are in the store: the restarted process answers the rest, and not the one in flight.
    """
    with FakeBotApi() as api:
        assert api._server is not None
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'store.sqlite3'}",
            "TELEGRAM_BOT_TOKEN": api.token,
            "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{api._server.server_address[1]}/bot",
            "PYTHONUNBUFFERED": "1",
        }
        cluster = Cluster(tmp_path, "", env, api)
        first = cluster.start("first", ["bot"], 0)
        cluster.bots.append(first)
        wait_until(lambda: api.calls_of("getUpdates"), 60, "the bot polling")
        residents = list(range(3001, 3021))
        api.hold_next("sendMessage", residents[9])
        for user_id in residents:
            update = text_update(user_id, "/start")
            del update["update_id"]
            api.push(update)
        wait_until(lambda: api.messages_to(residents[9]), 30, "the held reply")
        first.proc.send_signal(signal.SIGKILL)
        first.proc.wait(10)
        api.release()
        answered_before = [u for u in residents if api.messages_to(u)]
        assert len(answered_before) < len(residents)
        second = cluster.start("second", ["bot"], 0)
        cluster.bots.append(second)
        try:
            wait_until(lambda: all(api.messages_to(u) for u in residents), 40, "every update answered")
            time.sleep(2.5)  # one more sweep: nothing is answered twice
            assert [len(api.messages_to(u)) for u in residents] == [1] * len(residents)
            assert "Traceback" not in second.stderr()
        finally:
            cluster.stop_all()
