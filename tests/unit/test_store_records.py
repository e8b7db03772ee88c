"""What the store keeps besides the catalogue, on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine
from sqlmodel import Session, select

from services_catalog import feedback
from services_catalog import memory as state


def test_a_report_is_kept_newest_first_until_staff_mark_it_done(any_engine: Engine) -> None:
    with Session(any_engine) as s:
        first = feedback.add_report(session=s, facility_id="clinic-zhujiajiao", text="电话打不通")
        second = feedback.add_report(session=s, facility_id="library-baihe", text="<b>已搬走</b>")
        assert [r.id for r in feedback.list_reports(session=s)] == [second.id, first.id]
        assert second.id is not None
        assert feedback.mark_report_done(session=s, report_id=second.id)
        assert [r.facility_id for r in feedback.list_reports(session=s)] == ["clinic-zhujiajiao"]
        assert not feedback.mark_report_done(session=s, report_id=999_999)


def test_unanswered_questions_are_grouped_and_forgotten_after_the_keeping_period(any_engine: Engine) -> None:
    with Session(any_engine) as s:
        for text in ["附近有火锅店吗", "附近有火锅店吗", "  附近有火锅店吗 ", "讲个笑话"]:
            feedback.record_unanswered(session=s, text=text, intent="out_of_scope")
        assert feedback.unanswered_summary(session=s)[0] == ("附近有火锅店吗", "out_of_scope", 3)
        old = s.exec(select(feedback.UnansweredQuestion)).first()
        assert old is not None
        old.created = dt.datetime.now(dt.UTC) - dt.timedelta(days=91)
        s.add(old)
        s.commit()
        assert feedback.purge_unanswered(session=s, days=90) == 1
        assert sum(n for _, _, n in feedback.unanswered_summary(session=s)) == 3


def test_a_shared_location_is_stored_rounded_and_forgotten_after_its_time(any_engine: Engine) -> None:
    """Two bot instances share one store: what one remembers the other reads, until it expires."""
    state.create_memory_tables(any_engine)
    ttl = dt.timedelta(hours=2)
    now = dt.datetime(2026, 11, 28, 8, 0, tzinfo=dt.UTC)
    remembered = state.Memory()
    remembered.locate(31.123456, 121.054321, now)
    state.StoredMemory(any_engine, ttl).save("telegram", "42", remembered, now)
    other = state.StoredMemory(any_engine, ttl)
    seen = other.load("telegram", "42", now + dt.timedelta(minutes=5))
    assert (seen.lat, seen.lon) == (31.123, 121.054)
    later = other.load("telegram", "42", now + dt.timedelta(hours=3))
    assert later.lat is None and later.lon is None
    other.save("telegram", "42", later, now + dt.timedelta(hours=3))
    with Session(any_engine) as again:
        assert again.get(state.ConversationRow, ("telegram", "42")) is None  # deleted, not merely hidden
