"""Bearer tokens remembered by each console process, forgotten in milliseconds when any account changes.

Looking a token up in the store costs about half a millisecond, more than answering the question,
and hotline tools send the same token with every request. So each `doorstep web` process
remembers the account behind each token it has seen, until the token's own expiry and for at most
`MAX_AGE`, and forgets everything it remembers whenever accounts change:

    accounts.revoke / remove / a new password or role ─► NOTIFY doorstep_accounts (at commit)
    every console's listener (a connection and a thread of its own) ─► forgets all it remembers

so a revoke ends a token in every process at once, as if there were no memory at all. Only while
the listener is connected is anything remembered; on SQLite (no NOTIFY), before the listener has
connected, or after its connection is lost, every request asks the store. A lookup that began
before a change is not remembered after it (`_generation`). Tokens that open nothing are never
remembered (a flood of made-up tokens asks the store each time, and fills no memory).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import threading
import time
from dataclasses import dataclass

from sqlalchemy import Engine

from bot.web import accounts
from bot.web.accounts import Account

log = logging.getLogger(__name__)

CHANNEL = accounts.CHANGES_CHANNEL
MAX_AGE = 60.0  # seconds a remembered token is trusted at most, even without news
MAX_REMEMBERED = 10_000
RECONNECT_PAUSE = 1.0


@dataclass(frozen=True)
class _Remembered:
    account: Account
    expires: dt.datetime  # the token's own expiry
    at: float  # when it was remembered (monotonic)


class TokenCache:
    """The accounts behind bearer tokens, as one console process remembers them."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._lock = threading.Lock()
        self._remembered: dict[str, _Remembered] = {}
        self._generation = 0
        self._listening = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def listening(self) -> bool:
        """Whether changes to accounts reach this process (and so tokens may be remembered)."""
        return self._listening

    def remembered(self, token: str) -> Account | None:
        """The account behind `token` if it is remembered and still good; None means: ask `lookup`."""
        if not self._listening:
            return None
        with self._lock:
            entry = self._remembered.get(_key(token))
        if entry is None:
            return None
        if time.monotonic() - entry.at > MAX_AGE or entry.expires <= dt.datetime.now(dt.UTC):
            return None
        return entry.account

    def lookup(self, token: str) -> Account | None:
        """The account behind a live `token`, from memory or the store (blocking)."""
        account = self.remembered(token)
        if account is not None:
            return account
        with self._lock:
            generation = self._generation
        found = accounts.live_token(engine=self.engine, token=token)
        if found is None:
            return None
        account, expires = found
        with self._lock:
            if self._listening and generation == self._generation:
                if len(self._remembered) >= MAX_REMEMBERED:
                    self._remembered.clear()
                self._remembered[_key(token)] = _Remembered(account, expires, time.monotonic())
        return account

    def forget(self) -> None:
        """Forget everything remembered (accounts changed somewhere)."""
        with self._lock:
            self._remembered.clear()
            self._generation += 1

    # The listener

    def start(self) -> None:
        """Listen for changes to accounts (PostgreSQL only; elsewhere nothing is remembered)."""
        if self.engine.dialect.name != "postgresql" or self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._listen, name="doorstep-token-cache", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop listening; nothing is remembered from now on."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(5)
        self._listening = False
        self.forget()

    def _listen(self) -> None:
        import psycopg

        conninfo = self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        while not self._stop.is_set():
            try:
                with psycopg.connect(conninfo, autocommit=True) as connection:
                    connection.execute(f"LISTEN {CHANNEL}")
                    self.forget()
                    self._listening = True
                    while not self._stop.is_set():
                        for _ in connection.notifies(timeout=1.0):
                            self.forget()
            except Exception as err:  # the store went away: ask it every time until it is back
                log.warning(
                    "not listening for account changes (%s); tokens are looked up each time",
                    type(err).__name__,
                )
            finally:
                self._listening = False
                self.forget()
            self._stop.wait(RECONNECT_PAUSE)


def _key(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()
