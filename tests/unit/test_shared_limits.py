"""Limits and housekeeping shared by several processes on one PostgreSQL store."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import Engine

from bot import upkeep
from bot.limits import StoreLimit, make_limit, purge
from bot.ratelimit import SlidingWindowLimit, Verdict


class Clock:
    def __init__(self, at: float) -> None:
        self.at = at

    def __call__(self) -> float:
        return self.at


def test_a_user_is_held_to_one_limit_across_processes(pg_engine: Engine) -> None:
    """Three processes counting one user: 20 handled in all, then one note, then silence."""
    clock = Clock(1_000_020.0)
    processes = [StoreLimit(pg_engine, "telegram", 20, clock=clock) for _ in range(3)]
    verdicts = [processes[i % 3].check(9) for i in range(24)]
    assert verdicts == [Verdict.ALLOW] * 20 + [Verdict.NOTE] + [Verdict.SILENT] * 3
    assert processes[1].check(10) is Verdict.ALLOW  # another user is not held back
    assert StoreLimit(pg_engine, "web-session", 20, clock=clock).check(9) is Verdict.ALLOW  # another limit
    clock.at += 60  # the next minute
    assert processes[2].check(9) is Verdict.ALLOW


def test_counts_are_kept_hashed_and_briefly(pg_engine: Engine) -> None:
    from sqlmodel import Session, select

    from bot.limits import RateCount

    clock = Clock(2_000_000.0)
    StoreLimit(pg_engine, "telegram", 20, clock=clock).check(123456789)
    with Session(pg_engine) as session:
        keys = [r.key for r in session.exec(select(RateCount))]
    assert keys and all("123456789" not in k and len(k) == 64 for k in keys)
    assert purge(engine=pg_engine, now=clock.at + 60) == 0  # the last window is kept
    assert purge(engine=pg_engine, now=clock.at + 120) == 1


def test_concurrent_messages_are_all_counted(pg_engine: Engine) -> None:
    limit = StoreLimit(pg_engine, "telegram", 50)
    verdicts: list[Verdict] = []

    def send() -> None:
        for _ in range(10):
            verdicts.append(limit.check("busy"))

    threads = [threading.Thread(target=send) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # 80 messages in (at most) two windows: at most 100 handled, each window's count exact.
    assert verdicts.count(Verdict.ALLOW) <= 100 and verdicts.count(Verdict.NOTE) <= 2
    assert len(verdicts) == 80


def test_sqlite_keeps_the_limit_in_the_process(sqlite_engine: Engine) -> None:
    assert isinstance(make_limit(sqlite_engine, "telegram", 20), SlidingWindowLimit)
    assert isinstance(make_limit(None, "telegram", 20), SlidingWindowLimit)


def test_housekeeping_is_done_by_one_instance_at_a_time(pg_engine: Engine) -> None:
    """While one instance holds the purge lock another skips; and a job runs once per interval."""
    with upkeep.one_instance(pg_engine, "purge") as first, upkeep.one_instance(pg_engine, "purge") as second:
        assert first and not second
    with upkeep.one_instance(pg_engine, "purge") as again:
        assert again  # released
    now = dt.datetime.now(dt.UTC)
    every = dt.timedelta(minutes=1)
    assert upkeep.due(pg_engine, "test-job", every, now)
    assert not upkeep.due(pg_engine, "test-job", every, now + dt.timedelta(seconds=30))
    assert upkeep.due(pg_engine, "test-job", every, now + dt.timedelta(seconds=61))


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_purge_round_deletes_across_every_kind(backend: str, request: pytest.FixtureRequest) -> None:
    from bot.settings import Settings

    engine: Engine = request.getfixturevalue("sqlite_engine" if backend == "sqlite" else "pg_engine")
    gone = upkeep.purge_if_due(engine, Settings(), every=dt.timedelta(0))
    assert gone is not None and set(gone) >= {
        "conversation memory",
        "tokens and sessions",
        "per-minute counts",
    }
