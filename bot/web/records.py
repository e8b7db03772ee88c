"""Staff pages for the records themselves: the verification queue, a record's page and edit form,
the week's changes, and the hours checker the form calls as staff type.

Pages read the live catalogue (what residents are answered from); a save writes the YAML file in
place, reloads, and keeps an audit entry (`save_change`, also behind `PATCH /api/facilities/{id}`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from bot.web.accounts import Account
from bot.web.auth import StaffMember, check_csrf
from bot.web.deps import Console, ConsoleDep, LiveCatalogue, StoreSession
from bot.web.pages import render_page, utc_to_local, words_for
from bot.web.record_form import HOLIDAY_POLICIES, RecordForm, hours_preview, issue_lines, read_form
from bot.web.render import FALLBACK_HOTLINE, SHANGHAI, Verbatim, Words, now_shanghai
from services_catalog import audit, feedback, store
from services_catalog.editing import Change, Draft, EditRefused, RecordNotFound, StaleRecord, edit_lock
from services_catalog.finder import Finder
from services_catalog.hours_text import hours_issue
from services_catalog.leads import Lead, bundled_leads
from services_catalog.models import KIND_IDS, Facility
from services_catalog.queue import MISSING, SORTS, Sort, queue_page

router = APIRouter(prefix="/staff", include_in_schema=False)

CHANGE_DAYS = 7  # "what changed this week"
DEMAND_DAYS = 90  # the window residents' questions are counted over (the unanswered keeping period)


# ---------------------------------------------------------------------------------------------
# Saving (the form and the API)


@dataclass(frozen=True)
class SaveOutcome:
    """What a save did: the change (None when nothing differed), the record's version, reports closed."""

    change: Change | None
    version: str
    closed_reports: list[int]


def save_change(
    console: Console,
    facility_id: str,
    values: dict[str, Any],
    *,
    who: str,
    via: Literal["console", "api"],
    expected_version: str | None,
    verified_by: str | None = None,
    close_reports: list[int] | None = None,
) -> SaveOutcome:
    """Write `values` into the record's YAML, reload the live catalogue, keep the audit entry.

    Raises `RecordNotFound`, `StaleRecord` (the record changed since `expected_version`) and
    `EditRefused` (the catalogue would have errors; nothing was written).
    """
    live = console.live
    with edit_lock(live.folder):
        draft = Draft(live.folder)
        change = draft.change(facility_id, values, expected_version=expected_version)
        if change is None:
            return SaveOutcome(None, draft.version(facility_id), [])
        saved = draft.save()
        problems = live.reload()
    closed: list[int] = []
    with Session(console.engine) as session:
        for report in feedback.list_reports(session=session, limit=1000):
            if (
                report.id is not None
                and report.id in (close_reports or [])
                and report.facility_id == facility_id
            ):
                feedback.mark_report_done(session=session, report_id=report.id)
                closed.append(report.id)
        note = f"closed reports {', '.join(f'#{n}' for n in closed)}" if closed else ""
        audit.record_changes(
            session=session, changes=[change], who=who, via=via, verified_by=verified_by, note=note
        )
        audit.record_reload(
            session=session,
            via="edit",
            source=str(live.folder),
            ok=not any(p.severity == "error" for p in problems),
            problems=[str(p) for p in problems if p.severity == "error"],
        )
    return SaveOutcome(change, saved.versions[facility_id], closed)


# ---------------------------------------------------------------------------------------------
# The verification queue


@router.get("/facilities", response_class=HTMLResponse)
def queue(
    request: Request,
    account: StaffMember,
    console: ConsoleDep,
    finder: LiveCatalogue,
    session: StoreSession,
    kind: str = "",
    town: str = "",
    show: list[str] = Query(default=[]),  # noqa: B008 - FastAPI's way to declare a repeated parameter
    sort: str = "demand",
    page: int = Query(default=1, ge=1, le=100_000),
) -> Response:
    """Records to check, most asked-for first, with filters for what is missing; read from the store."""
    catalog = finder.catalog
    kind = kind if kind in KIND_IDS else ""
    town = town if town in catalog.towns else ""
    chosen = [f for f in MISSING if f in show]
    order: Sort = next((s for s in SORTS if s == sort), "demand")
    found = queue_page(
        session=session,
        kind=kind or None,
        town=town or None,
        missing=chosen,
        lead_ids=list(bundled_leads()),
        sort=order,
        page=page,
        demand_days=DEMAND_DAYS,
    )
    stored = store.stored_version(engine=console.engine)
    params = [("kind", kind), ("town", town), *(("show", c) for c in chosen), ("sort", order)]
    base_query = urlencode([(k, v) for k, v in params if v])
    return render_page(
        console,
        request,
        "staff_queue.html",
        account=account,
        title_key="records.title",
        rows=found.rows,
        total=found.total,
        page=found.page,
        pages=found.pages,
        page_link=Verbatim(f"/staff/facilities?{base_query}&page="),
        out_of_step=stored != console.live.version,
        leads=set(bundled_leads()),
        kinds=KIND_IDS,
        towns=list(catalog.towns),
        kind=kind,
        town=town,
        filters=MISSING,
        chosen=chosen,
        sort=order,
        sorts=SORTS,
        local=utc_to_local,
    )


# ---------------------------------------------------------------------------------------------
# A record's page


@router.get("/facilities/{facility_id}", response_class=HTMLResponse)
def record_page(
    request: Request,
    facility_id: str,
    account: StaffMember,
    console: ConsoleDep,
    finder: LiveCatalogue,
    session: StoreSession,
    saved: str = "",
    closed: int = 0,
) -> Response:
    """The record as residents see it, its edit form, its reports, leads and history."""
    facility = _facility(finder, facility_id)
    record, version = _written(console, facility_id)
    today = now_shanghai().date()
    form = RecordForm.of_record(record, version=version, who=account.name, today=today)
    words = words_for(console, request)
    message = ""
    if saved == "ok":
        message = words.t("record.saved_closed", n=closed) if closed else words.t("record.saved")
    elif saved == "unchanged":
        message = words.t("record.unchanged")
    return _record_page(
        console, request, account, finder, session, facility, form, record=record, message=message, ok=True
    )


@router.post("/facilities/{facility_id}", response_class=HTMLResponse)
async def save_record(
    request: Request,
    facility_id: str,
    account: StaffMember,
    console: ConsoleDep,
    finder: LiveCatalogue,
    session: StoreSession,
) -> Response:
    """Check the form, then the whole catalogue with it; write the record, reload, keep the audit entry."""
    posted_form = await request.form()
    token = posted_form.get("csrf_token")
    check_csrf(request, token if isinstance(token, str) else None)
    facility = _facility(finder, facility_id)
    words = words_for(console, request)
    posted = RecordForm.of_post(posted_form)
    record, version = _written(console, facility_id)
    today = now_shanghai().date()
    # What the page showed when it was opened: compared with the post, it says what was changed.
    shown = RecordForm.of_record(record, version=version, who=account.name, today=today)
    if posted.version != version:
        return _stale(console, request, account, finder, session, facility, posted, record, version)
    result = read_form(posted, shown, words, who=account.name, today=today)
    if result.problems:
        return _record_page(
            console, request, account, finder, session, facility, posted,
            record=record, problems=result.problems, notes=result.notes, message=words.t("record.refused"),
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        )  # fmt: skip
    try:
        outcome = save_change(
            console,
            facility_id,
            result.values,
            who=account.name,
            via="console",
            expected_version=posted.version,
            verified_by=result.verified_by,
            close_reports=posted.close_reports,
        )
    except StaleRecord:
        record, version = _written(console, facility_id)
        return _stale(console, request, account, finder, session, facility, posted, record, version)
    except EditRefused as refused:
        return _record_page(
            console, request, account, finder, session, facility, posted,
            record=record, catalog_problems=[Verbatim(str(p)) for p in refused.errors],
            message=words.t("record.refused"), status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        )  # fmt: skip
    if outcome.change is None:
        return RedirectResponse(f"/staff/facilities/{facility_id}?saved=unchanged", status.HTTP_303_SEE_OTHER)
    return RedirectResponse(
        f"/staff/facilities/{facility_id}?saved=ok&closed={len(outcome.closed_reports)}",
        status.HTTP_303_SEE_OTHER,
    )


def _stale(
    console: Console,
    request: Request,
    account: Account,
    finder: Finder,
    session: Session,
    facility: Facility,
    posted: RecordForm,
    record: dict[str, Any],
    version: str,
) -> Response:
    """The form again with the poster's values, on the latest version, saying who changed it."""
    words = words_for(console, request)
    latest = audit.history(session=session, facility_id=facility.id, limit=1)
    who = latest[0].who if latest else words.t("record.stale_someone")
    when = utc_to_local(latest[0].at) if latest else "—"
    posted.version = version
    return _record_page(
        console, request, account, finder, session, facility, posted,
        record=record, message=Verbatim(words.t("record.stale", who=who, when=when)),
        status_code=status.HTTP_409_CONFLICT,
    )  # fmt: skip


def _record_page(
    console: Console,
    request: Request,
    account: Account,
    finder: Finder,
    session: Session,
    facility: Facility,
    form: RecordForm,
    *,
    record: dict[str, Any],
    message: str = "",
    ok: bool = False,
    problems: dict[str, str] | None = None,
    notes: list[str] | None = None,
    catalog_problems: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    words = words_for(console, request)
    result = finder.result(facility, None)
    reports = [
        {"id": r.id, "text": Verbatim(r.text), "created": utc_to_local(r.created)}
        for r in feedback.list_reports(session=session, limit=1000)
        if r.facility_id == facility.id
    ]
    history = [
        {
            "when": utc_to_local(entry.at),
            "who": entry.who,
            "verified_by": entry.verified_by,
            "via": entry.via,
            "added": entry.added,
            "note": entry.note,
            "fields": _fields(words, entry.before, entry.after),
        }
        for entry in audit.history(session=session, facility_id=facility.id)
    ]
    preview = ""
    hours_problem = ""
    if form.opening_hours:
        issue = hours_issue(form.opening_hours)
        if issue is None:
            preview = hours_preview(words, form.opening_hours, form.holidays)
        else:
            hours_problem = "\n".join(issue_lines(words, issue))
    return render_page(
        console,
        request,
        "staff_record.html",
        account=account,
        title_key="records.title",
        title=facility.name,
        status_code=status_code,
        facility=facility,
        row=words.row(result, fallback_phone=_hotline_for(finder, facility.kind)),
        file=_file_of(console, facility.id),
        form=_verbatim_form(form),
        message=message,
        ok=ok,
        problems=problems or {},
        notes=notes or [],
        catalog_problems=catalog_problems or [],
        reports=reports,
        leads=[_lead(words, lead) for lead in bundled_leads().get(facility.id, [])],
        history=history,
        preview=preview,
        hours_problem=hours_problem,
        holiday_policies=HOLIDAY_POLICIES,
    )


def _hotline_for(finder: Finder, kind: str) -> str:
    """The number residents are given for a place of `kind` without a phone (as answers do)."""
    lines = finder.catalog.hotlines.values()
    return next((h.number for h in lines if not h.emergency and kind in h.topics), FALLBACK_HOTLINE)


def _verbatim_form(form: RecordForm) -> RecordForm:
    """The form's text exactly as typed or written (links included: staff must see what is there)."""
    shown = dataclasses.replace(form)
    for name, value in vars(form).items():
        if isinstance(value, str):
            setattr(shown, name, Verbatim(value))
    return shown


def _lead(words: Words, lead: Lead) -> dict[str, Any]:
    return {
        "field": lead.field,
        "label": words.t(FIELD_LABELS[lead.field]),
        "value": Verbatim(lead.value),
        "sources": [Verbatim(s) for s in lead.sources],
        "as_of": lead.as_of,
        "note": lead.note or "",
    }


FIELD_LABELS = {
    "name": "record.name",
    "name_en": "record.name_en",
    "aliases": "record.aliases",
    "address": "record.address",
    "phone": "record.phone",
    "opening_hours": "record.hours",
    "hours_status": "record.hours_confirmed",
    "holidays": "record.holidays",
    "point": "record.position",
    "source": "record.source",
    "verified": "record.verified_on",
    "note": "record.note",
}


def _fields(words: Words, before: dict[str, Any], after: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(label, before, after) for each field an audit entry changed."""
    return [
        (
            words.t(FIELD_LABELS[name]) if name in FIELD_LABELS else name,
            _shown(before.get(name)),
            _shown(after.get(name)),
        )
        for name in dict.fromkeys([*before, *after])
    ]


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict) and "lat" in value and "lon" in value:  # a point: as staff paste it
        extra = ", ".join(str(value[k]) for k in ("crs", "precision") if k in value)
        return Verbatim(f"{value['lon']},{value['lat']} ({extra})")
    if isinstance(value, dict):
        return Verbatim(", ".join(f"{k}: {v}" for k, v in value.items()))
    if isinstance(value, list):
        return Verbatim("、".join(str(v) for v in value))
    return Verbatim(str(value))


def _facility(finder: Finder, facility_id: str) -> Facility:
    facility = finder.catalog.facilities.get(facility_id)
    if facility is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such facility")
    return facility


def _written(console: Console, facility_id: str) -> tuple[dict[str, Any], str]:
    """The record as its YAML file has it now, and its version."""
    draft = Draft(console.live.folder)
    try:
        return draft.record(facility_id), draft.version(facility_id)
    except RecordNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such facility in the YAML files") from None


def _file_of(console: Console, facility_id: str) -> str:
    folder = console.live.folder
    return Draft(folder).file_of(facility_id).relative_to(folder).as_posix()


# ---------------------------------------------------------------------------------------------
# Checking hours as staff type


@router.get("/hours-check")
def hours_check(
    request: Request,
    account: StaffMember,
    console: ConsoleDep,
    spec: str = Query(default="", max_length=2000),
    holidays: str = "",
) -> dict[str, Any]:
    """{"ok", "preview", "problem"} for an opening_hours spec, in the page's language."""
    words = words_for(console, request)
    if not spec.strip():
        return {"ok": True, "preview": "", "problem": ""}
    issue = hours_issue(spec)
    if issue is not None:
        return {"ok": False, "preview": "", "problem": "\n".join(issue_lines(words, issue))}
    return {"ok": True, "preview": hours_preview(words, spec.strip(), holidays), "problem": ""}


# ---------------------------------------------------------------------------------------------
# What changed this week


@router.get("/changes", response_class=HTMLResponse)
def changes(
    request: Request,
    account: StaffMember,
    console: ConsoleDep,
    finder: LiveCatalogue,
    session: StoreSession,
    days: int = Query(default=CHANGE_DAYS, ge=1, le=366),
) -> Response:
    """Every change to the catalogue in the last `days` days, newest first."""
    words = words_for(console, request)
    since = dt.datetime.now(SHANGHAI) - dt.timedelta(days=days)
    entries = [
        {
            "when": utc_to_local(entry.at),
            "who": entry.who,
            "verified_by": entry.verified_by,
            "via": entry.via,
            "facility_id": entry.facility_id,
            "name": finder.catalog.facilities[entry.facility_id].name
            if entry.facility_id in finder.catalog.facilities
            else entry.facility_id,
            "added": entry.added,
            "note": Verbatim(entry.note),
            "fields": _fields(words, entry.before, entry.after),
        }
        for entry in audit.changes_since(session=session, since=since.astimezone(dt.UTC))
    ]
    return render_page(
        console, request, "staff_changes.html", account=account, title_key="changes.title",
        entries=entries, days=days,
    )  # fmt: skip
