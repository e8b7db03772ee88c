"""The operator console: server-rendered pages for hotline operators and staff, and a JSON API.

Every page and API call goes through the one `LiveFinder` the rest of Doorstep uses; this module
only reads requests and renders `Answer`s. Pages work without JavaScript; `static/console.js`
adds the copy button. Nothing is loaded from outside (no CDN): FastAPI's own /docs and /redoc
pull Swagger/ReDoc from a CDN, so they are off, and /docs is a small local page built from the
OpenAPI schema, which is served at /openapi.json to signed-in users and token holders.
"""

from __future__ import annotations

import datetime as dt
import math
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

import jinja2
from fastapi import Depends, FastAPI, Form, HTTPException, Query, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.security import HTTPAuthorizationCredentials
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.settings import Settings
from bot.web import accounts, chat
from bot.web.accounts import Account
from bot.web.auth import (
    CSRF_FIELD,
    LoginRequired,
    _bearer,
    check_csrf,
    csrf_token,
    require_account,
    require_api_account,
    require_staff,
    safe_next,
    session_account,
    sign_in,
    sign_out,
)
from bot.web.render import (
    EARLIEST_YEAR,
    FALLBACK_HOTLINE,
    LATEST_YEAR,
    SHANGHAI,
    Count,
    Row,
    Verbatim,
    Words,
    clean_text,
    counts_by,
    now_shanghai,
    only_allowed_links,
    parse_at,
    problem_lines,
)
from locales import DEFAULT_LANG, LANGS, Locales, default_locales
from services_catalog import db, feedback
from services_catalog.answer import Answer, Question, Result, Where
from services_catalog.errors import CatalogFileError
from services_catalog.finder import Finder
from services_catalog.linkcheck import strip_disallowed_links
from services_catalog.live import LiveFinder
from services_catalog.models import KIND_IDS

HERE = Path(__file__).resolve().parent
LANG_COOKIE = "doorstep_lang"
SESSION_COOKIE = "doorstep_session"
SESSION_HOURS = 12  # one working day; then sign in again
PAGE_LIMIT = 10  # results per search on the operator page
LIST_LIMIT = 50  # facilities shown for a filter-only query
QUESTION_CHARS = 500  # the longest question kept (the API refuses longer ones)
PLACE_CHARS = 200

# Only this site's own scripts and styles; no frames, no form posts elsewhere.
SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


@dataclass(frozen=True)
class Console:
    """What every request handler needs, built once in `create_app`."""

    settings: Settings
    live: LiveFinder
    engine: Engine
    locales: Locales
    templates: Jinja2Templates


class SecurityHeaders:
    """Adds `SECURITY_HEADERS` to every response (pure ASGI, so streaming is untouched)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                for name, value in SECURITY_HEADERS.items():
                    if name.lower().encode() not in present:
                        headers.append((name.lower().encode(), value.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(settings: Settings, live: LiveFinder, engine: Engine) -> FastAPI:
    """The console's ASGI app over `live`, with accounts and feedback in `engine`'s store."""
    db.create_tables(engine)
    accounts.create_tables(engine)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,  # every catalogue and user string is escaped, in every template
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_allowed_links_only,  # and loses the links that are not on the allowlist
    )
    console = Console(
        settings=settings,
        live=live,
        engine=engine,
        locales=default_locales(),
        templates=Jinja2Templates(env=env),
    )
    app = FastAPI(
        title="Doorstep (家门口) console API",
        summary="Qingpu's public services, for hotline tools. Send `Authorization: Bearer TOKEN`.",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,  # served below, behind sign-in
    )
    app.state.engine = engine
    app.state.console = console
    secret = settings.doorstep_secret_key.get_secret_value() if settings.doorstep_secret_key else ""
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret or secrets.token_urlsafe(32),  # random: sessions end on restart
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_HOURS * 3600,
        same_site="lax",
        https_only=False,  # the console is served over plain HTTP on localhost or an office network
    )
    app.add_middleware(SecurityHeaders)

    @app.middleware("http")
    async def pick_up_catalogue_reloads(request: Request, call_next: Any) -> Any:
        """Swap in a catalogue `doorstep catalog reload` imported elsewhere (checked every 30 s)."""
        await run_in_threadpool(live.reload_if_changed, min_interval=30.0)
        return await call_next(request)

    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    # Unanswered questions past their keeping period go at start-up too, not only when staff
    # open a page: a console nobody from staff visits must not keep them longer.
    _purge_unanswered(console)
    _add_error_handlers(app)
    _add_pages(app, console)
    _add_staff_pages(app, console)
    _add_api(app, console)
    app.include_router(chat.router)
    return app


# ---------------------------------------------------------------------------------------------
# Rendering


@jinja2.pass_context
def _allowed_links_only(context: jinja2.runtime.Context, value: Any) -> Any:
    """Every `{{ ... }}` a template outputs, without links off the catalogue's allowlist.

    Defence in depth: the loader already refuses such links in the YAML, but a catalogue built
    another way, or a sentence composed from one, must not show them to an operator who reads
    them out. A page without `link_domains` allows no link at all.
    """
    return only_allowed_links(value, context.get("link_domains", ()))


def request_lang(request: Request) -> str:
    """The page language: ?lang= first, then the cookie, then Chinese."""
    for candidate in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if candidate in LANGS:
            return candidate
    return DEFAULT_LANG


def _other_lang_url(request: Request, lang: str) -> str:
    params = dict(request.query_params)
    params["lang"] = "en" if lang == "zh" else "zh"
    return f"{request.url.path}?{urlencode(params)}"


def _page(
    console: Console,
    request: Request,
    template: str,
    *,
    account: Account | None,
    title_key: str,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    lang = request_lang(request)
    words = Words(console.locales, lang, console.live.finder.catalog)
    response = console.templates.TemplateResponse(
        request,
        template,
        {
            "t": words.t,
            "words": words,
            "lang": lang,
            "title": words.t(title_key),
            "account": account,
            "csrf": Verbatim(csrf_token(request)) if account else "",
            "csrf_field": CSRF_FIELD,
            "other_lang_url": Verbatim(_other_lang_url(request, lang)),
            "link_domains": tuple(words.catalog.allowlist.domains),
            **context,
        },
        status_code=status_code,
    )
    if request.query_params.get("lang") in LANGS:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, httponly=True, samesite="lax")
    return response


def _add_error_handlers(app: FastAPI) -> None:
    def is_api(request: Request) -> bool:
        return request.url.path.startswith("/api/") or request.url.path == "/openapi.json"

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(f"/login?{urlencode({'next': exc.next_path})}", status.HTTP_303_SEE_OTHER)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if is_api(request):
            return JSONResponse({"detail": exc.detail}, exc.status_code, headers=exc.headers)
        console: Console = request.app.state.console
        key = {403: "error.forbidden", 404: "error.not_found"}.get(exc.status_code, "error.other")
        return _page(
            console,
            request,
            "error.html",
            account=session_account(request),
            title_key=key,
            status_code=exc.status_code,
            message_key=key,
        )

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        if not is_api(request):  # a page asked with a mangled link: say so on a page, not in JSON
            console: Console = request.app.state.console
            return _page(
                console,
                request,
                "error.html",
                account=session_account(request),
                title_key="error.bad_request",
                status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
                message_key="error.bad_request",
            )
        detail = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", "")} for e in exc.errors()]
        return JSONResponse({"detail": detail}, status.HTTP_422_UNPROCESSABLE_CONTENT)


# ---------------------------------------------------------------------------------------------
# Sign-in and the operator page


@dataclass
class Search:
    """One operator search, as the page shows it."""

    mode: Literal["answer", "list"]
    rows: list[Row]
    hidden_closed: int
    copy_text: str
    answer: Answer | None = None
    total: int = 0
    place_unknown: bool = False


def _add_pages(app: FastAPI, console: Console) -> None:
    @app.get("/login", response_class=HTMLResponse, include_in_schema=False)
    def login_form(request: Request, next: str = "/") -> Response:
        """Show the sign-in form (or go on when already signed in)."""
        account = session_account(request)
        if account is not None:
            return RedirectResponse(safe_next(next), status.HTTP_303_SEE_OTHER)
        return _page(
            console,
            request,
            "login.html",
            account=None,
            title_key="login.title",
            next=Verbatim(safe_next(next)),
        )

    @app.post("/login", include_in_schema=False)
    def login(
        request: Request,
        username: Annotated[str, Form()] = "",
        password: Annotated[str, Form()] = "",
        next: Annotated[str, Form()] = "/",
    ) -> Response:
        """Check the name and password; start a session and go on, or show the form again."""
        account = accounts.authenticate(engine=console.engine, name=username, password=password)
        if account is None:
            return _page(
                console,
                request,
                "login.html",
                account=None,
                title_key="login.title",
                status_code=status.HTTP_401_UNAUTHORIZED,
                next=Verbatim(safe_next(next)),
                failed=True,
                username=Verbatim(username),
            )
        sign_in(request, account)
        return RedirectResponse(safe_next(next), status.HTTP_303_SEE_OTHER)

    @app.post("/logout", include_in_schema=False)
    def logout(request: Request, csrf_token: Annotated[str, Form()] = "") -> Response:
        """End the session."""
        check_csrf(request, csrf_token)
        sign_out(request)
        return RedirectResponse("/login", status.HTTP_303_SEE_OTHER)

    @app.get("/logout", include_in_schema=False)
    def logout_link(request: Request) -> Response:
        """End the session from a plain link (signing someone out is all a forged one could do)."""
        sign_out(request)
        return RedirectResponse("/login", status.HTTP_303_SEE_OTHER)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def operator_page(
        request: Request,
        account: Annotated[Account, Depends(require_account)],
        q: str = "",
        place: str = "",
        kind: str = "",
        town: str = "",
        at: str = "",
        open_only: bool = False,
    ) -> Response:
        """The operator's search: the caller's words, a place, filters; results as a table."""
        started = time.perf_counter()
        lang = request_lang(request)
        finder = console.live.finder  # one catalogue for the whole request, even during a reload
        words = Words(console.locales, lang, finder.catalog)
        q, place = clean_text(q, QUESTION_CHARS), clean_text(place, PLACE_CHARS)
        kind = kind if kind in KIND_IDS else ""
        town = town if town in finder.catalog.towns else ""
        bad_at = False
        try:
            moment = parse_at(at)
        except ValueError:
            moment, bad_at = None, True
        # A place box Doorstep cannot place is said plainly, and the search goes on without it.
        near = resolve_place(finder, place) if place else None
        place_unknown = bool(place) and near is None

        search: Search | None = None
        if q:
            question = Question(
                text=q,
                place=(place if near is not None else None) or town or None,
                kind=kind or None,
                at=moment,
                lang="en" if lang == "en" else "zh",
                limit=PAGE_LIMIT,
            )
            answer = console.live.answer(question)
            search = _search(words, "answer", answer.results, open_only, answer=answer)
        elif kind or town or place:
            results = finder.facilities(kind=kind or None, town=town or None, at=moment, near=near)
            search = _search(words, "list", results, open_only)
        if search is not None:
            search.place_unknown = place_unknown

        shown_moment = (
            (search.answer.moment if search and search.answer else None) or moment or now_shanghai()
        )
        if shown_moment.tzinfo is not None:
            shown_moment = shown_moment.astimezone(SHANGHAI).replace(tzinfo=None)
        return _page(
            console,
            request,
            "operator.html",
            account=account,
            title_key="search.title",
            q=Verbatim(q),  # the operator's own words go back into the boxes as typed
            place=Verbatim(place),
            kind=kind,
            town=town,
            at=Verbatim(at) if not bad_at else "",
            bad_at=bad_at,
            open_only=open_only,
            kinds=KIND_IDS,
            towns=list(finder.catalog.towns),
            search=search,
            moment_text=words.moment(shown_moment),
            clarify_links=_clarify_links(words, search, q, place),
            elapsed_ms=round((time.perf_counter() - started) * 1000),
        )


def resolve_place(finder: Finder, text: str) -> Where | None:
    """Where the place box puts the caller, or None when it names nowhere Doorstep can place.

    Coordinates out of range or not finite (nan, inf, 999) count as nowhere; this never raises.
    """
    try:
        where = finder.resolve_place(text)
    except (ValueError, ArithmeticError):
        return None
    if where is None:
        return None
    for value, bound in ((where.lat, 90.0), (where.lon, 180.0)):
        if value is not None and not (math.isfinite(value) and -bound <= value <= bound):
            return None
    return where


def _search(
    words: Words,
    mode: Literal["answer", "list"],
    results: list[Result],
    open_only: bool,
    *,
    answer: Answer | None = None,
) -> Search:
    total = answer.total_results if answer is not None else len(results)
    # An unknown number falls back to the answer's hotline (the topic's, else 12345), as the reply does.
    fallback = answer.hotline.number if answer is not None and answer.hotline else FALLBACK_HOTLINE
    rows = [
        words.row(r, fallback_phone=fallback)
        for r in results[: PAGE_LIMIT if mode == "answer" else LIST_LIMIT]
    ]
    shown = [r for r in rows if r.open_state == "open"] if open_only else rows
    copy_text = answer.reply if answer is not None else words.list_text(shown)
    return Search(
        mode=mode,
        rows=shown,
        hidden_closed=len(rows) - len(shown),
        copy_text=copy_text,
        answer=answer,
        total=max(total, len(rows)),
    )


def _clarify_links(words: Words, search: Search | None, q: str, place: str) -> list[tuple[str, str]]:
    """(label, href) for each choice a clarifying answer offers."""
    if search is None or search.answer is None:
        return []
    links: list[tuple[str, str]] = []
    for choice in search.answer.clarify:
        if choice in KIND_IDS:
            params = {"q": q, "place": place, "kind": choice}
        else:
            params = {"q": words.clarify_label(choice), "place": place}
        href = Verbatim("/?" + urlencode({k: v for k, v in params.items() if v}))  # this site's own URL
        links.append((words.clarify_label(choice), href))
    return links


# ---------------------------------------------------------------------------------------------
# Staff pages


def _add_staff_pages(app: FastAPI, console: Console) -> None:
    @app.get("/staff/catalog", response_class=HTMLResponse, include_in_schema=False)
    def catalog_status(
        request: Request, account: Annotated[Account, Depends(require_staff)], reloaded: str = ""
    ) -> Response:
        """What catalogue is loaded, what it holds, and what was wrong with the last reload."""
        return _catalog_page(
            console, request, account, reloaded=reloaded if reloaded in ("ok", "failed") else ""
        )

    @app.post("/staff/reload", include_in_schema=False)
    def reload_catalog(
        request: Request,
        account: Annotated[Account, Depends(require_staff)],
        csrf_token: Annotated[str, Form()] = "",
    ) -> Response:
        """Check the YAML again and swap it in when it is good; a bad one keeps the running catalogue."""
        check_csrf(request, csrf_token)
        try:
            problems = console.live.reload()
        except CatalogFileError as err:  # a file that cannot be read at all: nothing was swapped
            return _catalog_page(console, request, account, reloaded="failed", unreadable=str(err))
        _purge_unanswered(console)
        failed = any(p.severity == "error" for p in problems)
        return RedirectResponse(
            f"/staff/catalog?reloaded={'failed' if failed else 'ok'}", status.HTTP_303_SEE_OTHER
        )

    @app.get("/staff/reports", response_class=HTMLResponse, include_in_schema=False)
    def reports(
        request: Request, account: Annotated[Account, Depends(require_staff)], all: bool = False
    ) -> Response:
        """Residents' "信息有误" reports, newest first."""
        catalog = console.live.finder.catalog
        with Session(console.engine) as session:
            found = feedback.list_reports(session=session, include_done=all)
        items = [
            {
                "id": r.id,
                "facility_id": r.facility_id,
                "facility": catalog.facilities[r.facility_id].name
                if r.facility_id in catalog.facilities
                else None,
                "text": Verbatim(r.text),  # the resident's words, as sent
                "created": _utc_to_local(r.created),
                "done": r.done,
            }
            for r in found
        ]
        return _page(
            console,
            request,
            "staff_reports.html",
            account=account,
            title_key="reports.title",
            items=items,
            all=all,
        )

    @app.post("/staff/reports/{report_id}/done", include_in_schema=False)
    def report_done(
        request: Request,
        report_id: int,
        account: Annotated[Account, Depends(require_staff)],
        csrf_token: Annotated[str, Form()] = "",
    ) -> Response:
        """Mark one report handled."""
        check_csrf(request, csrf_token)
        with Session(console.engine) as session:
            if not feedback.mark_report_done(session=session, report_id=report_id):
                raise HTTPException(status.HTTP_404_NOT_FOUND, "no such report")
        return RedirectResponse("/staff/reports", status.HTTP_303_SEE_OTHER)

    @app.get("/staff/unanswered", response_class=HTMLResponse, include_in_schema=False)
    def unanswered(request: Request, account: Annotated[Account, Depends(require_staff)]) -> Response:
        """The questions Doorstep could not answer, grouped, most asked first."""
        _purge_unanswered(console)
        with Session(console.engine) as session:
            groups = feedback.unanswered_summary(session=session)
        return _page(
            console,
            request,
            "staff_unanswered.html",
            account=account,
            title_key="unanswered.title",
            # The residents' words as asked, so staff can add the vocabulary they need.
            groups=[
                (Verbatim(text), intent, n, Verbatim("/?" + urlencode({"q": text})))
                for text, intent, n in groups
            ],
            days=console.settings.doorstep_unanswered_days,
        )


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
    return _page(
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
        totals=[
            Count(words.t("catalog.facilities"), len(facilities)),
            Count(words.t("catalog.services"), len(catalog.services)),
            Count(words.t("catalog.indicators"), len(catalog.indicators)),
            Count(words.t("catalog.hotlines"), len(catalog.hotlines)),
            Count(words.t("catalog.towns"), len(catalog.towns)),
            Count(words.t("catalog.committees"), len(catalog.committees)),
            Count(words.t("catalog.stations"), len(catalog.stations)),
        ],
        quality=[
            Count(words.t("catalog.unverified"), sum(f.verified is None for f in facilities)),
            Count(
                words.t("catalog.approximate"), sum(f.point.precision == "approximate" for f in facilities)
            ),
            Count(words.t("catalog.no_phone"), sum(f.phone is None for f in facilities)),
            Count(words.t("catalog.no_address"), sum(f.address is None for f in facilities)),
            Count(words.t("catalog.typical_hours"), sum(f.hours_status == "typical" for f in facilities)),
        ],
        by_kind=[Count(words.kind(k), n) for k, n in counts_by([f.kind for f in facilities])],
        by_town=[Count(words.town(k), n) for k, n in counts_by([f.town for f in facilities])],
        problems=problems,
        warnings=[Verbatim(w) for w in catalog.warnings],  # may quote the YAML, as problems do
    )


def _purge_unanswered(console: Console) -> None:
    with Session(console.engine) as session:
        feedback.purge_unanswered(session=session, days=console.settings.doorstep_unanswered_days)


def _utc_to_local(moment: dt.datetime) -> str:
    """A stored UTC time (naive or aware) as Shanghai time, to the minute."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return aware.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


# ---------------------------------------------------------------------------------------------
# JSON API


PLACE_HELP = (
    "a town, residential committee, metro station, or `lat,lon` (WGS-84). "
    "A place Doorstep cannot place (an unknown name; coordinates out of range or not finite) "
    "is refused with 422 and a `detail` saying so: nothing is answered without the place asked for."
)
MOMENT_HELP = f"ISO 8601, Asia/Shanghai without an offset, years {EARLIEST_YEAR}-{LATEST_YEAR}"


def _unprocessable(message: str) -> HTTPException:
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, message)


def _add_api(app: FastAPI, console: Console) -> None:
    def parse_moment(text: str | None, field: str) -> dt.datetime | None:
        try:
            return parse_at(text)
        except ValueError:
            raise _unprocessable(
                f"{field}: not an ISO 8601 date-time in the years {EARLIEST_YEAR}-{LATEST_YEAR}"
            ) from None

    def place_of(finder: Finder, text: str | None) -> tuple[str | None, Where | None]:
        """The place text and where it is, or (None, None) when none was given; 422 when unknown."""
        place = clean_text(text or "", PLACE_CHARS)
        if not place:
            return None, None
        near = resolve_place(finder, place)
        if near is None:
            raise _unprocessable(
                f"place: cannot find {place!r}; give a town, residential committee, "
                "metro station or 'lat,lon' (WGS-84, latitude -90..90, longitude -180..180)"
            )
        return place, near

    @app.get("/api/ask", tags=["api"])
    def api_ask(
        account: Annotated[Account, Depends(require_api_account)],
        q: Annotated[
            str,
            Query(min_length=1, max_length=QUESTION_CHARS, description="the caller's words, as typed"),
        ],
        place: Annotated[str | None, Query(max_length=PLACE_CHARS, description=PLACE_HELP)] = None,
        at: Annotated[str | None, Query(description=f"{MOMENT_HELP}; default now")] = None,
        lang: Literal["zh", "en"] = "zh",
        limit: Annotated[int, Query(ge=1, le=50)] = 3,
    ) -> dict[str, Any]:
        """Answer one question in the contract's `ask --json` shape.

        `reply` loses any link off the catalogue's allowlist, as the pages do; the other fields
        carry catalogue data as loaded (the loader refuses links off the allowlist).
        An unknown `place` is refused with 422 rather than answered without it.
        """
        text = clean_text(q, QUESTION_CHARS)
        if not text:
            raise _unprocessable("q: no words (only control characters or spaces)")
        moment = parse_moment(at, "at")
        place_text, _ = place_of(console.live.finder, place)
        question = Question(text=text, place=place_text, at=moment, lang=lang, limit=limit)
        body = console.live.answer(question).to_json()
        domains = console.live.finder.catalog.allowlist.domains
        body["reply"] = strip_disallowed_links(body["reply"], domains)
        return body

    @app.get("/api/facilities", tags=["api"])
    def api_facilities(
        account: Annotated[Account, Depends(require_api_account)],
        kind: Annotated[str | None, Query(description="a facility kind id")] = None,
        town: Annotated[str | None, Query(description="an official town name")] = None,
        open_at: Annotated[
            str | None,
            Query(description=f"only facilities open then: {MOMENT_HELP}"),
        ] = None,
        place: Annotated[
            str | None, Query(max_length=PLACE_CHARS, description=f"sort by distance from here: {PLACE_HELP}")
        ] = None,
    ) -> list[dict[str, Any]]:
        """Facilities by kind and town, nearest first when a place is given; each as a result of /api/ask.

        An unknown `kind`, `town` or `place`, or an `open_at` that is not a date-time, is refused with 422.
        """
        finder = console.live.finder
        if kind and kind not in KIND_IDS:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"kind: unknown kind {kind!r}")
        if town and town not in finder.catalog.towns:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"town: unknown town {town!r}")
        moment = parse_moment(open_at, "open_at")
        _, near = place_of(finder, place)
        results = finder.facilities(kind=kind or None, town=town or None, at=moment, near=near)
        if moment is not None:
            results = [r for r in results if r.open_now]
        # The ask shape's results, built by the same code so the two never drift apart.
        shaped: list[dict[str, Any]] = Answer(intent="find_facility", results=results).to_json()["results"]
        return shaped

    @app.get("/openapi.json", include_in_schema=False)
    def openapi(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> dict[str, Any]:
        """The API's OpenAPI schema, for signed-in users and token holders."""
        if session_account(request) is None:
            require_api_account(request, credentials)
        return app.openapi()

    @app.get("/docs", response_class=HTMLResponse, include_in_schema=False)
    def docs(request: Request, account: Annotated[Account, Depends(require_account)]) -> Response:
        """A local page describing the API (Swagger UI would come from a CDN)."""
        schema = app.openapi()
        endpoints = []
        for path, methods in schema.get("paths", {}).items():
            for method, op in methods.items():
                params = [
                    (p["name"], p.get("required", False), p.get("description", ""))
                    for p in op.get("parameters", [])
                ]
                endpoints.append((method.upper(), path, op.get("description", op.get("summary", "")), params))
        return _page(
            console, request, "docs.html", account=account, title_key="docs.title", endpoints=endpoints
        )
