"""The operator's pages: sign-in and sign-out, and the search a hotline operator works in."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bot.web import accounts
from bot.web.auth import SignedIn, check_csrf, safe_next, session_account, sign_in, sign_out
from bot.web.deps import ConsoleDep, LiveCatalogue
from bot.web.pages import render_page, request_lang
from bot.web.render import (
    FALLBACK_HOTLINE,
    PLACE_CHARS,
    QUESTION_CHARS,
    SHANGHAI,
    Row,
    Verbatim,
    Words,
    clean_text,
    now_shanghai,
    parse_at,
    resolve_place,
)
from services_catalog.answer import Answer, Question, Result
from services_catalog.models import KIND_IDS
from services_catalog.reply_text import short_text

PAGE_LIMIT = 10  # results per search on the operator page
LIST_LIMIT = 50  # facilities shown for a filter-only query

router = APIRouter(include_in_schema=False)


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


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, console: ConsoleDep, next: str = "/") -> Response:
    """Show the sign-in form (or go on when already signed in)."""
    account = session_account(request)
    if account is not None:
        return RedirectResponse(safe_next(next), status.HTTP_303_SEE_OTHER)
    return render_page(
        console, request, "login.html", account=None, title_key="login.title", next=Verbatim(safe_next(next))
    )


@router.post("/login")
def login(
    request: Request,
    console: ConsoleDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Check the name and password; start a session and go on, or show the form again."""
    account = accounts.authenticate(engine=console.engine, name=username, password=password)
    if account is None:
        return render_page(
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


@router.post("/logout")
def logout(request: Request, csrf_token: Annotated[str, Form()] = "") -> Response:
    """End the session."""
    check_csrf(request, csrf_token)
    sign_out(request)
    return RedirectResponse("/login", status.HTTP_303_SEE_OTHER)


@router.get("/logout")
def logout_link(request: Request) -> Response:
    """End the session from a plain link (signing someone out is all a forged one could do)."""
    sign_out(request)
    return RedirectResponse("/login", status.HTTP_303_SEE_OTHER)


@router.get("/", response_class=HTMLResponse)
def operator_page(
    request: Request,
    account: SignedIn,
    console: ConsoleDep,
    finder: LiveCatalogue,
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

    shown_moment = (search.answer.moment if search and search.answer else None) or moment or now_shanghai()
    if shown_moment.tzinfo is not None:
        shown_moment = shown_moment.astimezone(SHANGHAI).replace(tzinfo=None)
    return render_page(
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
    # One facility, its hours and a phone: what an operator reads out or sends by SMS.
    copy_text = (
        short_text(answer, words.catalog, words.locales) if answer is not None else words.list_text(shown)
    )
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
