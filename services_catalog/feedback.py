"""What residents tell staff: "信息有误" reports, and questions Doorstep could not answer.

Neither table holds a user id or a location (coordinates typed into the text are rounded as a
shared location is, `redact.fit_to_keep`). Unanswered questions are kept for a limited time
(`purge_unanswered`, default 90 days).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import func
from sqlmodel import Field, Session, SQLModel, col, delete, select

from services_catalog.redact import fit_to_keep


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Report(SQLModel, table=True):
    """A resident's report that a facility's information is wrong."""

    __tablename__ = "report"

    id: int | None = Field(default=None, primary_key=True)
    facility_id: str = Field(max_length=64, index=True)
    text: str = Field(default="", max_length=1000)  # what the resident wrote (may be empty)
    created: dt.datetime = Field(default_factory=_now, index=True)  # UTC
    done: bool = False


class UnansweredQuestion(SQLModel, table=True):
    """A question that ended out of scope or in a clarifying question."""

    __tablename__ = "unanswered_question"

    id: int | None = Field(default=None, primary_key=True)
    text: str = Field(max_length=500, index=True)  # normalised question text
    intent: str = Field(max_length=32)
    created: dt.datetime = Field(default_factory=_now, index=True)  # UTC


def add_report(*, session: Session, facility_id: str, text: str = "") -> Report:
    """Record a report for staff."""
    report = Report(facility_id=fit_to_keep(facility_id)[:64], text=fit_to_keep(text)[:1000])
    session.add(report)
    session.commit()
    session.refresh(report)
    return report


def list_reports(*, session: Session, include_done: bool = False, limit: int = 200) -> list[Report]:
    """Reports, newest first."""
    query = select(Report)
    if not include_done:
        query = query.where(col(Report.done).is_(False))
    query = query.order_by(col(Report.created).desc(), col(Report.id).desc()).limit(limit)
    return list(session.exec(query))


def mark_report_done(*, session: Session, report_id: int) -> bool:
    """Mark one report handled; False when there is no such report."""
    report = session.get(Report, report_id)
    if report is None:
        return False
    report.done = True
    session.add(report)
    session.commit()
    return True


def record_unanswered(*, session: Session, text: str, intent: str) -> None:
    """Keep a question Doorstep could not answer, without who asked or from where."""
    record_all_unanswered(session=session, questions=[(text, intent)])


def record_all_unanswered(*, session: Session, questions: Iterable[tuple[str, str]]) -> int:
    """Keep several (text, intent) questions Doorstep could not answer, in one transaction."""
    rows = []
    for text, intent in questions:
        kept = " ".join(fit_to_keep(text).split())[:500]  # coordinates rounded: no location kept
        if kept:
            rows.append(UnansweredQuestion(text=kept, intent=intent))
    if rows:
        session.add_all(rows)
        session.commit()
    return len(rows)


def unanswered_summary(*, session: Session, limit: int = 200) -> list[tuple[str, str, int]]:
    """(text, intent, count) for the unanswered questions, most frequent first."""
    count = func.count(col(UnansweredQuestion.id))
    query = (
        select(UnansweredQuestion.text, UnansweredQuestion.intent, count)
        .group_by(col(UnansweredQuestion.text), col(UnansweredQuestion.intent))
        .order_by(count.desc(), col(UnansweredQuestion.text))
        .limit(limit)
    )
    return [(text, intent, int(n)) for text, intent, n in session.exec(query)]


def purge_unanswered(*, session: Session, days: int = 90) -> int:
    """Delete unanswered questions older than `days`; returns how many went."""
    cutoff = _now() - dt.timedelta(days=days)
    result = session.exec(delete(UnansweredQuestion).where(col(UnansweredQuestion.created) < cutoff))
    session.commit()
    return int(result.rowcount or 0)
