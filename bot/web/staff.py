"""The staff pages: the catalogue's status and reload, residents' reports, unanswered questions."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from bot.web.accounts import Account
from bot.web.auth import StaffMember, check_csrf
from bot.web.deps import Console, ConsoleDep, LiveCatalogue, StoreSession
from bot.web.pages import purge_unanswered, render_page, request_lang, utc_to_local
from bot.web.render import SHANGHAI, Count, Verbatim, Words, counts_by, problem_lines
from services_catalog import audit, feedback
from services_catalog.errors import CatalogFileError
from services_catalog.plan_coverage import plan_coverage

router = APIRouter(prefix="/staff", include_in_schema=False)


@router.get("/catalog", response_class=HTMLResponse)
def catalog_status(
    request: Request, account: StaffMember, console: ConsoleDep, reloaded: str = ""
) -> Response:
    """What catalogue is loaded, what it holds, and what was wrong with the last reload."""
    return _catalog_page(console, request, account, reloaded=reloaded if reloaded in ("ok", "failed") else "")


@router.post("/reload")
def reload_catalog(
    request: Request,
    account: StaffMember,
    console: ConsoleDep,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Check the YAML again and swap it in when it is good; a bad one keeps the running catalogue."""
    check_csrf(request, csrf_token)
    source = str(console.live.folder)
    try:
        problems = console.live.reload()
    except CatalogFileError as err:  # a file that cannot be read at all: nothing was swapped
        _record_reload(console, source, ok=False, problems=[str(err)])
        return _catalog_page(console, request, account, reloaded="failed", unreadable=str(err))
    purge_unanswered(console)
    failed = any(p.severity == "error" for p in problems)
    _record_reload(
        console, source, ok=not failed, problems=[str(p) for p in problems if p.severity == "error"]
    )
    return RedirectResponse(
        f"/staff/catalog?reloaded={'failed' if failed else 'ok'}", status.HTTP_303_SEE_OTHER
    )


@router.get("/reports", response_class=HTMLResponse)
def reports(
    request: Request,
    account: StaffMember,
    console: ConsoleDep,
    finder: LiveCatalogue,
    session: StoreSession,
    all: bool = False,
) -> Response:
    """Residents' "信息有误" reports, newest first."""
    catalog = finder.catalog
    found = feedback.list_reports(session=session, include_done=all)
    items = [
        {
            "id": r.id,
            "facility_id": r.facility_id,
            "facility": catalog.facilities[r.facility_id].name
            if r.facility_id in catalog.facilities
            else None,
            "text": Verbatim(r.text),  # the resident's words, as sent
            "created": utc_to_local(r.created),
            "done": r.done,
        }
        for r in found
    ]
    return render_page(
        console,
        request,
        "staff_reports.html",
        account=account,
        title_key="reports.title",
        items=items,
        all=all,
    )


@router.post("/reports/{report_id}/done")
def report_done(
    request: Request,
    report_id: int,
    account: StaffMember,
    session: StoreSession,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Mark one report handled."""
    check_csrf(request, csrf_token)
    if not feedback.mark_report_done(session=session, report_id=report_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such report")
    return RedirectResponse("/staff/reports", status.HTTP_303_SEE_OTHER)


@router.get("/unanswered", response_class=HTMLResponse)
def unanswered(
    request: Request, account: StaffMember, console: ConsoleDep, session: StoreSession
) -> Response:
    """The questions Doorstep could not answer, grouped, most asked first."""
    purge_unanswered(console)
    groups = feedback.unanswered_summary(session=session)
    return render_page(
        console,
        request,
        "staff_unanswered.html",
        account=account,
        title_key="unanswered.title",
        # The residents' words as asked, so staff can add the vocabulary they need.
        groups=[
            (
                Verbatim(text),
                intent
                if intent == "out_of_scope"
                else "clarify",  # kept only when out of scope or asked back
                n,
                Verbatim("/?" + urlencode({"q": text})),
            )
            for text, intent, n in groups
        ],
        days=console.settings.doorstep_unanswered_days,
    )


def _record_reload(console: Console, source: str, *, ok: bool, problems: list[str]) -> None:
    with Session(console.engine) as session:
        audit.record_reload(session=session, via="console", source=source, ok=ok, problems=problems)


def _catalog_page(
    console: Console, request: Request, account: Account, *, reloaded: str, unreadable: str | None = None
) -> Response:
    live = console.live
    catalog = live.finder.catalog
    words = Words(console.locales, request_lang(request), catalog)
    facilities = list(catalog.facilities.values())
    problems = problem_lines(list(live.last_problems))
    if unreadable:
        problems.insert(0, ("error", Verbatim(unreadable)))
    # A reload that failed anywhere (the command line, another console) is said here too.
    with Session(console.engine) as session:
        last = audit.last_reload(session=session)
    failed_elsewhere = None
    if last is not None and not last.ok:
        failed_elsewhere = {
            "when": utc_to_local(last.at),
            "via": last.via,
            "problems": [Verbatim(p) for p in last.problems],
        }
    return render_page(
        console,
        request,
        "staff_catalog.html",
        account=account,
        title_key="catalog.title",
        reloaded=reloaded,
        loaded_at=words.moment(catalog.loaded_at.astimezone(SHANGHAI).replace(tzinfo=None)),
        last_attempt=words.moment(live.last_attempt.astimezone(SHANGHAI).replace(tzinfo=None)),
        version=live.version,
        source=Verbatim(catalog.source),
        coverage=plan_coverage(catalog),  # the count `doorstep catalog stats` prints too
        totals=[
            Count(words.t("catalog.facilities"), len(facilities)),
            Count(words.t("catalog.services"), len(catalog.services)),
            Count(words.t("catalog.indicators"), len(catalog.indicators)),
            Count(words.t("catalog.hotlines"), len(catalog.hotlines)),
            Count(words.t("catalog.towns"), len(catalog.towns)),
            Count(words.t("catalog.committees"), len(catalog.committees)),
            Count(words.t("catalog.stations"), len(catalog.stations)),
        ],
        quality=[  # each links to the verification queue, filtered to those records
            (Count(words.t("catalog.unverified"), sum(f.verified is None for f in facilities)), "unverified"),
            (
                Count(
                    words.t("catalog.approximate"),
                    sum(f.point.precision == "approximate" for f in facilities),
                ),
                "approximate",
            ),
            (Count(words.t("catalog.no_phone"), sum(f.phone is None for f in facilities)), "no_phone"),
            (Count(words.t("catalog.no_address"), sum(f.address is None for f in facilities)), "no_address"),
            (
                Count(words.t("catalog.typical_hours"), sum(f.hours_status == "typical" for f in facilities)),
                "",
            ),
        ],
        by_kind=[Count(words.kind(k), n) for k, n in counts_by([f.kind for f in facilities])],
        by_town=[Count(words.town(k), n) for k, n in counts_by([f.town for f in facilities])],
        problems=problems,
        failed_elsewhere=failed_elsewhere,
        warnings=[Verbatim(w) for w in catalog.warnings],  # may quote the YAML, as problems do
    )
