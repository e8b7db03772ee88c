"""`doorstep web` with DOORSTEP_PUBLIC_LISTEN: a second listener with the residents' routes only."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from bot.settings import Settings
from bot.web.public import public_listener
from tests.local_servers import free_port

ROOT = Path(__file__).resolve().parents[2]


def _status(url: str, data: bytes | None = None) -> int:
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as err:
        return err.code


def _wait(url: str, process: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "doorstep web exited"
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer")


def test_the_public_listener_serves_the_residents_routes_and_nothing_else(tmp_path: Path) -> None:
    """The console's port has the sign-in page; the public port only /chat, /api/chat and /wechat."""
    console, public = free_port(), free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'web.sqlite3'}",
        "DOORSTEP_PUBLIC_LISTEN": f"127.0.0.1:{public}",
        "WECHAT_TOKEN": "t0ken",
    }
    log = (tmp_path / "stderr.txt").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "web", "--port", str(console)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=log,
    )
    try:
        _wait(f"http://127.0.0.1:{public}/chat", process)
        _wait(f"http://127.0.0.1:{console}/login", process)
        assert _status(f"http://127.0.0.1:{console}/login") == 200
        assert _status(f"http://127.0.0.1:{public}/chat") == 200
        assert _status(f"http://127.0.0.1:{public}/static/chat.css") == 200
        ask = json.dumps({"text": "朱家角有没有图书馆"}).encode()
        assert _status(f"http://127.0.0.1:{public}/api/chat", ask) == 200
        assert (
            _status(f"http://127.0.0.1:{public}/wechat?signature=x&timestamp=1&nonce=1&openid=oSecret") == 403
        )
        for internal in (
            "/login",
            "/",
            "/staff/catalog",
            "/api/ask?q=x",
            "/openapi.json",
            "/static/console.js",
        ):
            assert _status(f"http://127.0.0.1:{public}{internal}") == 404, internal
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(20)
        log.close()
    stderr = (tmp_path / "stderr.txt").read_text(encoding="utf-8", errors="replace")
    # uvicorn shuts down gracefully, then passes SIGTERM on to the default handler.
    assert code in (0, -signal.SIGTERM) and "Traceback" not in stderr
    assert "Shutting down" in stderr or "Finished server process" in stderr
    assert "GET /wechat 403" in stderr and "oSecret" not in stderr  # no OpenID, nor anything from a query
    assert "POST /api/chat 200" in stderr and "朱家角" not in stderr


def test_the_public_listen_setting_is_host_and_port() -> None:
    assert public_listener(Settings(doorstep_public_listen="0.0.0.0:8081")) == ("0.0.0.0", 8081)
    assert public_listener(Settings(doorstep_public_listen="[::]:8081")) == ("::", 8081)
    assert public_listener(Settings()) is None
    for bad in ("8081", "host:", "host:99999", ":80"):
        try:
            public_listener(Settings(doorstep_public_listen=bad))
        except ValueError as err:
            assert "HOST:PORT" in str(err)
        else:
            raise AssertionError(bad)
