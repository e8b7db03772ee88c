"""Notes for staff (asked-for counts, unanswered questions): exact across processes, batched when busy."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import Engine
from sqlmodel import Session, select

from services_catalog import demand, feedback
from services_catalog.notes import Notes


def counts(engine: Engine) -> dict[tuple[str, str], int]:
    with Session(engine) as session:
        return dict(demand.asked_by_kind_and_town(session=session))


def test_counts_from_many_processes_at_once_all_add_up(any_engine: Engine) -> None:
    """Several consoles counting the same kind and town at once lose no count (one upsert each)."""

    def count(_: int) -> None:
        with Session(any_engine) as session:
            demand.record_asked(session=session, kind="library", town="金泽镇")

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(count, range(40)))
    assert counts(any_engine) == {("library", "金泽镇"): 40}


def test_a_busy_console_writes_its_notes_in_one_go(any_engine: Engine) -> None:
    notes = Notes(any_engine, deferred=True)
    for _ in range(5):
        notes.asked("clinic", "白鹤镇")
    notes.asked("library", None)
    notes.unanswered("附近有火锅店吗", "out_of_scope")
    assert counts(any_engine) == {}  # nothing written while the caller waits
    assert notes.flush() == 7
    assert counts(any_engine) == {("clinic", "白鹤镇"): 5, ("library", ""): 1}
    with Session(any_engine) as session:
        assert feedback.unanswered_summary(session=session) == [("附近有火锅店吗", "out_of_scope", 1)]
    assert notes.flush() == 0


def test_notes_wait_for_a_store_that_is_back(sqlite_engine: Engine) -> None:
    """A flush that fails keeps the notes for the next one."""
    notes = Notes(sqlite_engine, deferred=True)
    notes.asked("clinic", "白鹤镇")
    with sqlite_engine.begin() as connection:
        connection.exec_driver_sql("ALTER TABLE asked_count RENAME TO asked_count_away")
    assert notes.flush() == 0
    with sqlite_engine.begin() as connection:
        connection.exec_driver_sql("ALTER TABLE asked_count_away RENAME TO asked_count")
    assert notes.flush() == 1 and counts(sqlite_engine) == {("clinic", "白鹤镇"): 1}


def test_without_deferring_each_note_is_written_at_once(any_engine: Engine) -> None:
    Notes(any_engine).asked("clinic", "白鹤镇")
    assert counts(any_engine) == {("clinic", "白鹤镇"): 1}
    with Session(any_engine) as session:
        assert list(session.exec(select(feedback.UnansweredQuestion))) == []
