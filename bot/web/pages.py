"""Server-rendered pages: the Jinja2 environment, the page language, and `render_page`.

Every catalogue and user string is escaped, in every template; every string a template outputs
also loses the links that are not on the catalogue's allowlist (`only_allowed_links`).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlmodel import Session

from bot.web.accounts import Account
from bot.web.auth import CSRF_FIELD, csrf_token
from bot.web.deps import Console
from bot.web.render import SHANGHAI, Verbatim, Words, only_allowed_links
from locales import DEFAULT_LANG, LANGS
from services_catalog import demand, feedback

HERE = Path(__file__).resolve().parent
LANG_COOKIE = "doorstep_lang"


def make_templates() -> Jinja2Templates:
    """The console's templates, escaping everything and dropping links off the allowlist."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,  # every catalogue and user string is escaped, in every template
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_allowed_links_only,  # and loses the links that are not on the allowlist
    )
    return Jinja2Templates(env=env)


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


def words_for(console: Console, request: Request) -> Words:
    """The page's sentences, in its language, over the live catalogue."""
    return Words(console.locales, request_lang(request), console.live.finder.catalog)


def _other_lang_url(request: Request, lang: str) -> str:
    params = dict(request.query_params)
    params["lang"] = "en" if lang == "zh" else "zh"
    return f"{request.url.path}?{urlencode(params)}"


def render_page(
    console: Console,
    request: Request,
    template: str,
    *,
    account: Account | None,
    title_key: str,
    title: str | None = None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """`template` in the request's language, with the console's common context.

    The page's title is the sentence `title_key`, or `title` (a record's name) when given.
    """
    lang = request_lang(request)
    words = Words(console.locales, lang, console.live.finder.catalog)
    response = console.templates.TemplateResponse(
        request,
        template,
        {
            "t": words.t,
            "words": words,
            "lang": lang,
            "title": title if title is not None else words.t(title_key),
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


def purge_unanswered(console: Console) -> None:
    """Delete unanswered questions, and counts of asked-for kinds, past their keeping period."""
    days = console.settings.doorstep_unanswered_days
    with Session(console.engine) as session:
        feedback.purge_unanswered(session=session, days=days)
        demand.purge(session=session, days=days)


def utc_to_local(moment: dt.datetime) -> str:
    """A stored UTC time (naive or aware) as Shanghai time, to the minute."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return aware.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
