"""The store's record of Telegram updates: once each, across processes, and taken over from the dead."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, update
from sqlmodel import Session

from bot import updates as log_module
from bot.updates import BotInstance, Outgoing, TelegramUpdate, UpdateLog

PAYLOAD = {"update_id": 1, "message": {"text": "附近的图书馆"}}


def two_processes(engine: Engine) -> tuple[UpdateLog, UpdateLog]:
    first, second = UpdateLog(engine, 42, "first"), UpdateLog(engine, 42, "second")
    first.register()
    second.register()
    return first, second


def kill(engine: Engine, instance: str) -> None:
    """As a SIGKILL leaves it: the row stays, its heartbeat gets old."""
    with Session(engine) as session:
        session.exec(
            update(BotInstance)
            .where(BotInstance.id == instance)  # type: ignore[arg-type]
            .values(seen=dt.datetime.now(dt.UTC) - log_module.DEAD_AFTER - dt.timedelta(seconds=1))
        )
        session.commit()


def test_an_update_arriving_twice_is_answered_by_one_process(any_engine: Engine) -> None:
    """A webhook retry to another process, or getUpdates after a restart, is a duplicate."""
    first, second = two_processes(any_engine)
    assert first.record(1, PAYLOAD) == "new"
    assert second.record(1, PAYLOAD) == "duplicate"  # the first is alive and on it
    assert first.record(1, PAYLOAD) == "duplicate"  # a retry to the same process while it answers
    assert second.begin(1, PAYLOAD) is None
    claim = first.begin(1, PAYLOAD)
    assert claim is not None and not claim.planned
    first.finish(1)
    assert first.begin(1, PAYLOAD) is None and second.record(1, PAYLOAD) == "duplicate"
    with Session(any_engine) as session:
        row = session.get(TelegramUpdate, (42, 1))
    assert row is not None and row.answered is not None  # the text and the replies are gone
    assert row.payload is None and row.outgoing is None


def test_a_dead_process_update_is_taken_over_where_it_stopped(any_engine: Engine) -> None:
    """Messages sent are not sent again, the one being sent is left out, the rest are sent."""
    first, second = two_processes(any_engine)
    first.record(7, PAYLOAD)
    assert first.begin(7, PAYLOAD) is not None
    messages = [Outgoing("sendMessage", {"chat_id": 1, "text": f"reply {i}"}) for i in range(4)]
    assert first.plan(7, messages) == 0
    first.sending(7, 1)
    first.sent(7, 1)
    first.sending(7, 2)  # killed while this one was on its way
    assert second.orphans() == []  # alive: not taken
    kill(any_engine, "first")
    assert second.orphans() == [(7, PAYLOAD)]
    assert second.orphans() == []  # taken once
    claim = second.begin(7, PAYLOAD)
    assert claim is not None and claim.planned
    assert [m.params["text"] for m in claim.outgoing[claim.sending :]] == ["reply 2", "reply 3"]
    assert first.begin(7, PAYLOAD) is None  # the old owner, were it to wake, no longer owns it


def test_a_restarted_process_takes_over_what_it_was_answering(any_engine: Engine) -> None:
    """getUpdates hands the restarted bot the update its killed self never confirmed."""
    before = UpdateLog(any_engine, 42, "before-restart")
    before.register()
    before.record(9, PAYLOAD)
    kill(any_engine, "before-restart")
    after = UpdateLog(any_engine, 42, "after-restart")
    after.register()
    assert after.record(9, PAYLOAD) == "take over"
    claim = after.begin(9, PAYLOAD)
    assert claim is not None and not claim.planned  # nothing was planned: the turn is taken now


def test_a_cleanly_stopped_process_leaves_nothing_behind(any_engine: Engine) -> None:
    first, second = two_processes(any_engine)
    first.record(3, PAYLOAD)
    first.retire()
    assert second.orphans() == [(3, PAYLOAD)]


def test_other_bots_and_old_ids_are_kept_apart(any_engine: Engine) -> None:
    ours, theirs = UpdateLog(any_engine, 42, "a"), UpdateLog(any_engine, 43, "b")
    assert ours.record(5, PAYLOAD) == "new" and theirs.record(5, PAYLOAD) == "new"
    later = dt.datetime.now(dt.UTC) + log_module.KEEP + dt.timedelta(minutes=1)
    assert log_module.purge(engine=any_engine, now=later) >= 2
    assert ours.record(5, PAYLOAD) == "new"


def test_a_lone_surrogate_in_an_update_is_kept(any_engine: Engine) -> None:
    log = UpdateLog(any_engine, 42, "a")
    payload = {"update_id": 11, "message": {"text": "图书馆\ud800"}}
    assert log.record(11, payload) == "new"
    claim = log.begin(11, payload)
    assert claim is not None


def test_an_update_is_stored_with_its_positions_rounded(any_engine: Engine) -> None:
    """Kept until answered, the update holds no more precision than the conversation keeps (~100 m)."""
    log = UpdateLog(any_engine, 42, "a")
    typed = {"update_id": 12, "message": {"text": "我在31.1523456,121.1234567 附近的图书馆"}}
    shared = {"update_id": 13, "message": {"location": {"latitude": 31.1523456, "longitude": 121.1234567}}}
    log.record(12, typed)
    log.record(13, shared)
    with Session(any_engine) as session:
        stored = [session.get(TelegramUpdate, (42, i)) for i in (12, 13)]
    texts = [row.payload for row in stored if row is not None and row.payload is not None]
    assert len(texts) == 2
    assert all("1523456" not in t and "1234567" not in t for t in texts)
    assert "31.152" in texts[0] and '"latitude": 31.152' in texts[1]
