"""The verification queue is one query over the store, the same on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from bot.settings import BUNDLED_CATALOG
from services_catalog import audit, demand, feedback, store
from services_catalog.editing import Change
from services_catalog.loader import load_catalog
from services_catalog.queue import queue_page


@pytest.fixture
def stored(any_engine: Engine) -> Engine:
    store.import_catalog(load_catalog(BUNDLED_CATALOG), engine=any_engine)
    return any_engine


def test_most_asked_for_first_then_reported_then_the_catalogue_order(stored: Engine) -> None:
    with Session(stored) as session:
        for _ in range(3):
            demand.record_asked(session=session, kind="library", town="金泽镇")
        demand.record_asked(session=session, kind="clinic", town="白鹤镇")
        feedback.add_report(session=session, facility_id="legal-aid-xujing", text="搬走了")
        page = queue_page(session=session)
    ids = [r.id for r in page.rows]
    assert ids[:3] == ["library-jinze", "clinic-baihe", "legal-aid-xujing"]
    assert (page.rows[0].asked, page.rows[2].reports) == (3, 1)
    assert page.total == 130 and page.pages == 3 and len(page.rows) == 50


def test_filters_combine(stored: Engine) -> None:
    with Session(stored) as session:
        feedback.add_report(session=session, facility_id="clinic-jinze", text="电话错了")
        assert [r.id for r in queue_page(session=session, missing=["reported"]).rows] == ["clinic-jinze"]
        clinics = queue_page(
            session=session, kind="clinic", missing=["unverified", "no_phone", "approximate"]
        )
        assert clinics.total == 11
        assert queue_page(session=session, kind="clinic", town="朱家角镇").total == 1
        leads = queue_page(session=session, missing=["with_lead"], lead_ids=["library-district"])
        assert [r.id for r in leads.rows] == ["library-district"]
        assert queue_page(session=session, missing=["with_lead"]).total == 0


def test_sorted_by_last_change_and_paged(stored: Engine) -> None:
    with Session(stored) as session:
        for facility_id in ("clinic-baihe", "library-jinze"):
            change = Change(facility_id, "facilities/x.yaml", {"phone": None}, {"phone": "021-1"})
            audit.record_changes(session=session, changes=[change], who="keeper", via="console")
        page = queue_page(session=session, sort="changed", page_size=10)
        assert [r.id for r in page.rows[:2]] == ["library-jinze", "clinic-baihe"]
        assert page.rows[0].changed is not None and page.rows[2].changed is None
        last = queue_page(session=session, page=99, page_size=50)
        assert last.page == 3 and len(last.rows) == 30
        by_name = queue_page(session=session, sort="name", page_size=200).rows
        assert [r.name for r in by_name] == sorted(r.name for r in by_name)


def test_counts_older_than_the_window_do_not_count(stored: Engine) -> None:
    with Session(stored) as session:
        old = dt.date.today() - dt.timedelta(days=200)
        demand.record_asked(session=session, kind="library", town="金泽镇", day=old)
        assert queue_page(session=session).rows[0].asked == 0
