"""Tokens remembered by each console process are forgotten at once when accounts change anywhere."""

from __future__ import annotations

import time

from sqlalchemy import Engine

from bot.web import accounts
from bot.web.token_cache import TokenCache


def wait_for(check: object, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_a_revoke_reaches_every_process_at_once(pg_engine: Engine) -> None:
    """Two consoles remember a token; a revoke (by a third process) ends it in both within moments."""
    accounts.create_tables(pg_engine)
    accounts.add_user(engine=pg_engine, name="tool", role="operator", password="long enough pw")
    token = accounts.issue_token(engine=pg_engine, name="tool")
    consoles = [TokenCache(pg_engine), TokenCache(pg_engine)]
    try:
        for cache in consoles:
            cache.start()
            wait_for(lambda c=cache: c.listening)
            assert cache.lookup(token) is not None
            assert cache.remembered(token) is not None  # from now on without the store
        revoked_at = time.monotonic()
        accounts.revoke(engine=pg_engine, name="tool")
        for cache in consoles:
            wait_for(lambda c=cache: c.remembered(token) is None, timeout=2.0)
            assert cache.lookup(token) is None
        assert time.monotonic() - revoked_at < 2.0
    finally:
        for cache in consoles:
            cache.stop()


def test_a_new_password_and_a_removal_are_heard_too(pg_engine: Engine) -> None:
    accounts.create_tables(pg_engine)
    accounts.add_user(engine=pg_engine, name="a", role="operator", password="long enough pw")
    accounts.add_user(engine=pg_engine, name="b", role="operator", password="long enough pw")
    first, second = (accounts.issue_token(engine=pg_engine, name=n) for n in ("a", "b"))
    cache = TokenCache(pg_engine)
    cache.start()
    try:
        wait_for(lambda: cache.listening)
        assert cache.lookup(first) is not None and cache.lookup(second) is not None
        accounts.add_user(engine=pg_engine, name="a", role="staff", password="another password")
        wait_for(lambda: cache.remembered(first) is None)
        assert cache.lookup(first) is None and cache.lookup(second) is not None
        accounts.remove(engine=pg_engine, name="b")
        wait_for(lambda: cache.remembered(second) is None)
        assert cache.lookup(second) is None
    finally:
        cache.stop()


def test_without_a_listener_nothing_is_remembered(sqlite_engine: Engine) -> None:
    """On SQLite (no NOTIFY) every lookup asks the store, so a revoke by another process holds at once."""
    accounts.create_tables(sqlite_engine)
    accounts.add_user(engine=sqlite_engine, name="tool", role="operator", password="long enough pw")
    token = accounts.issue_token(engine=sqlite_engine, name="tool")
    cache = TokenCache(sqlite_engine)
    cache.start()
    assert not cache.listening
    assert cache.lookup(token) is not None and cache.remembered(token) is None
    accounts.revoke(engine=sqlite_engine, name="tool")
    assert cache.lookup(token) is None
