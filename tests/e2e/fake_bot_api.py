"""A small fake Telegram Bot API server of our own, on 127.0.0.1, speaking the real protocol.

    POST /bot<token>/<method>    JSON, form-encoded or query parameters
    → {"ok": true, "result": ...} or {"ok": false, "error_code": ..., "description": ..., "parameters": ...}

`getUpdates` honours `offset` (earlier updates are confirmed and dropped) and `timeout` (long
polling: the request waits until an update is pushed or the timeout passes). Every call is
recorded. `fail_next(method, status, ...)` makes the next call of a method fail once, the way
Telegram does (429 with `parameters.retry_after`, a bare 502 from the proxy in front of it).
`hold_next(method, chat_id)` delivers the next such call to a chat but holds back its answer
until `release()`: a message Telegram delivered whose confirmation the bot is still waiting for.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.bot_api_results import bot_user, sent_message

BOT_ID = 424242
BOT_USERNAME = "doorstep_e2e_bot"
# Parameters that stay strings even when they look like JSON numbers.
_TEXT_PARAMS = {"text", "title", "address", "callback_query_id", "data", "caption", "secret_token"}


@dataclass
class Call:
    """One request the bot made."""

    method: str
    params: dict[str, Any]
    status: int
    at: float


@dataclass
class Fault:
    """A scripted failure for the next call of one method."""

    status: int
    body: bytes
    content_type: str


class FakeBotApi:
    """The server; use as a context manager or call `start()` / `stop()`."""

    def __init__(self, token: str = "123:ABC") -> None:
        self.token = token
        self.calls: list[Call] = []
        self._updates: list[dict[str, Any]] = []
        self._next_update_id = 1
        self._next_message_id = 100
        self._faults: dict[str, list[Fault]] = {}
        self._holds: set[tuple[str, int]] = set()
        self._released = threading.Event()
        self._cond = threading.Condition()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.confirmed_offset = 0

    # Life cycle

    def start(self) -> str:
        """Start serving; returns the base URL for TELEGRAM_API_BASE_URL."""
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                api._handle(self)

            def do_GET(self) -> None:
                api._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-bot-api", daemon=True)
        self._thread.start()
        return f"http://127.0.0.1:{self._server.server_address[1]}/bot"

    def stop(self) -> None:
        """Stop serving and wake any waiting long poll (and held answers)."""
        self._released.set()
        with self._cond:
            self._cond.notify_all()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> FakeBotApi:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # Scripting

    def push(self, update: dict[str, Any]) -> int:
        """Queue an update (without update_id) for getUpdates; returns its update_id."""
        with self._cond:
            update_id = self._next_update_id
            self._next_update_id += 1
            self._updates.append({"update_id": update_id, **update})
            self._cond.notify_all()
        return update_id

    def fail_next(
        self, method: str, status: int, *, retry_after: int | None = None, json_body: bool = True
    ) -> None:
        """Make the next call of `method` fail with `status` (a Bot API error, or a proxy's HTML page)."""
        if json_body:
            payload: dict[str, Any] = {"ok": False, "error_code": status, "description": f"Error {status}"}
            if retry_after is not None:
                payload["description"] = f"Too Many Requests: retry after {retry_after}"
                payload["parameters"] = {"retry_after": retry_after}
            fault = Fault(status, json.dumps(payload).encode(), "application/json")
        else:
            fault = Fault(status, b"<html><body>502 Bad Gateway</body></html>", "text/html")
        with self._cond:
            self._faults.setdefault(method, []).append(fault)

    def hold_next(self, method: str, chat_id: int) -> None:
        """Deliver the next `method` call to `chat_id`, but keep its answer back until `release()`."""
        with self._cond:
            self._holds.add((method, chat_id))

    def release(self) -> None:
        """Send every held answer."""
        self._released.set()

    def calls_of(self, method: str, *, ok: bool = True) -> list[Call]:
        """Recorded calls of `method` (only the successful ones unless ok=False)."""
        with self._cond:
            return [c for c in self.calls if c.method == method and (not ok or c.status == 200)]

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 20.0) -> Any:
        """Wait until `predicate()` is truthy (checked after every call); returns its value."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                value = predicate()
                if value:
                    return value
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"timed out; last calls: {[c.method for c in self.calls[-10:]]}")
                self._cond.wait(min(remaining, 0.5))

    def messages_to(self, chat_id: int, method: str = "sendMessage") -> list[dict[str, Any]]:
        """The parameters of successful `method` calls to `chat_id`."""
        return [c.params for c in self.calls_of(method) if c.params.get("chat_id") == chat_id]

    # Protocol

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        url = urlsplit(request.path)
        prefix = f"/bot{self.token}/"
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length) if length else b""
        if not url.path.startswith(prefix):
            self._reply(request, 401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
            return
        method = url.path[len(prefix) :]
        params = _decode(parse_qs(url.query))
        content_type = (request.headers.get("Content-Type") or "").split(";")[0].strip()
        if content_type == "application/json" and body:
            params.update(json.loads(body))
        elif content_type == "application/x-www-form-urlencoded" and body:
            params.update(_decode(parse_qs(body.decode("utf-8"), keep_blank_values=True)))
        with self._cond:
            faults = self._faults.get(method)
            fault = faults.pop(0) if faults else None
            held = fault is None and (method, params.get("chat_id")) in self._holds
            self._holds.discard((method, params.get("chat_id")))
            self.calls.append(Call(method, params, fault.status if fault else 200, time.monotonic()))
            self._cond.notify_all()
        if held:
            self._released.wait(60)
        if fault is not None:
            self._send(request, fault.status, fault.body, fault.content_type)
            return
        if method == "getUpdates":
            result: Any = self._get_updates(params)
        else:
            result = self._result(method, params)
        self._reply(request, 200, {"ok": True, "result": result})

    def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        timeout = min(float(params.get("timeout") or 0), 5.0)
        limit = int(params.get("limit") or 100)
        deadline = time.monotonic() + timeout
        with self._cond:
            if offset:
                self.confirmed_offset = max(self.confirmed_offset, offset)
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            while not self._updates and time.monotonic() < deadline and self._server is not None:
                self._cond.wait(deadline - time.monotonic())
            return list(self._updates[:limit])

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return bot_user(BOT_ID, BOT_USERNAME)
        if method in ("sendMessage", "sendVenue"):
            with self._cond:
                self._next_message_id += 1
                message_id = self._next_message_id
            return sent_message(method, params, message_id=message_id, bot_id=BOT_ID)
        return True

    @staticmethod
    def _reply(request: BaseHTTPRequestHandler, status: int, payload: dict[str, Any]) -> None:
        FakeBotApi._send(
            request, status, json.dumps(payload, ensure_ascii=False).encode(), "application/json"
        )

    @staticmethod
    def _send(request: BaseHTTPRequestHandler, status: int, body: bytes, content_type: str) -> None:
        try:
            request.send_response(status)
            request.send_header("Content-Type", content_type)
            request.send_header("Content-Length", str(len(body)))
            request.end_headers()
            request.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the bot gave up waiting (shutdown)
            pass


def _decode(form: dict[str, list[str]]) -> dict[str, Any]:
    """Form values as the Bot API reads them: JSON for objects, arrays and numbers; text stays text."""
    out: dict[str, Any] = {}
    for key, values in form.items():
        value = values[-1]
        if key in _TEXT_PARAMS:
            out[key] = value
            continue
        try:
            out[key] = json.loads(value)
        except ValueError:
            out[key] = value
    return out
