"""Accounts, sessions and sign-in counts on SQLite and PostgreSQL, with several processes at once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import Engine

from bot.web import accounts, throttle


def test_sessions_and_tokens_end_as_they_should(any_engine: Engine) -> None:
    accounts.create_tables(any_engine)
    accounts.add_user(engine=any_engine, name="wang", role="operator", password="long enough pw")
    session_id = accounts.start_session(engine=any_engine, name="wang")
    token = accounts.issue_token(engine=any_engine, name="wang")
    assert accounts.account_for_session(engine=any_engine, session_id=session_id) is not None
    accounts.end_session(engine=any_engine, session_id=session_id)
    assert accounts.account_for_session(engine=any_engine, session_id=session_id) is None
    assert accounts.account_for_token(engine=any_engine, token=token) is not None
    accounts.remove(engine=any_engine, name="wang")
    assert accounts.account_for_token(engine=any_engine, token=token) is None
    assert accounts.purge_expired(engine=any_engine) == 0


def test_failures_counted_at_once_from_many_places_are_all_counted(any_engine: Engine) -> None:
    """Concurrent failed sign-ins (several console processes) each count: the lock comes at the tenth."""
    throttle.create_tables(any_engine)

    def fail(i: int) -> None:
        throttle.failed(engine=any_engine, name="target", address=f"192.0.2.{i}")

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(fail, range(throttle.LOCK_AFTER - 1)))
    assert throttle.locked_names(engine=any_engine) == set()
    fail(99)
    assert throttle.locked_names(engine=any_engine) == {"target"}
    refusal = throttle.before_attempt(engine=any_engine, name="target", address="192.0.2.200")
    assert refusal is not None and refusal.reason == "locked"
