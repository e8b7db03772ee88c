"""The residents' web chat: `/chat` (a page that works without JavaScript) and `POST /api/chat` (JSON).

No sign-in. A random conversation id in a cookie (HttpOnly, SameSite=Lax) is all that is kept
about the person; what the conversation remembers is `services_catalog.memory`'s, with its
retention. Each request becomes events for the conversation core:

    lang (when it changes) ─► LanguageAsked      lat/lon ─► Located (WGS-84, the browser's)
    place ─► PlaceGiven    button ─► Pressed      text ─► Said

and each reply is rendered by `templates/chat.html` (large text, big buttons, high contrast,
tel: links) or, for `/api/chat`, as the contract's messages. `static/chat.js` only enhances the
page: it sends the same forms without a reload and asks the browser for its location.
Clients are rate-limited per conversation and per address (`bot.web.residents`).
"""

from __future__ import annotations

import math
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import quote

import jinja2
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from bot.ratelimit import Verdict
from bot.web.render import only_allowed_links
from bot.web.residents import Residents, ResidentsDep, client_address
from services_catalog import buttons
from services_catalog.answer import Answer, Lang
from services_catalog.conversation import Event, LanguageAsked, Located, PlaceGiven, Pressed, Said
from services_catalog.linkcheck import strip_disallowed_links
from services_catalog.memory import IDLE_TTL
from services_catalog.reply import Reply, Words
from services_catalog.reply_text import plain_text

CHANNEL = "web"
SESSION_COOKIE = "doorstep_chat"
_SESSION = re.compile(r"[A-Za-z0-9_-]{22,64}")
HERE = Path(__file__).resolve().parent
MAX_FIELD = 2000  # longer form fields are cut; the conversation keeps 500 characters of a question

router = APIRouter(tags=["residents"])

_templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(HERE / "templates"),
    autoescape=True,  # every catalogue and user string is escaped
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    finalize=jinja2.pass_context(lambda ctx, value: only_allowed_links(value, ctx.get("link_domains", ()))),
)


# ------------------------------------------------------------------------------------ the JSON API


class ChatRequest(BaseModel):
    """What a chat client sends: any of text, a WGS-84 position, a pressed button, a language."""

    model_config = ConfigDict(extra="ignore")

    session: str | None = Field(default=None, description="the id from an earlier response; null starts one")
    text: str | None = Field(default=None, description="what the person typed")
    lat: float | None = Field(default=None, description="WGS-84 latitude, as the browser gives it")
    lon: float | None = Field(default=None, description="WGS-84 longitude")
    button: str | None = Field(default=None, description="the `data` of a button the person pressed")
    lang: Literal["zh", "en"] | None = Field(default=None, description="the language chosen")


class ChatButton(BaseModel):
    """A button to show; send its `data` back as `button` when pressed."""

    label: str
    data: str


class ChatMessage(BaseModel):
    """One message to show the person."""

    text: str
    buttons: list[ChatButton]
    asks_location: bool


class ChatResponse(BaseModel):
    """The conversation's answer to one request."""

    session: str
    messages: list[ChatMessage]
    answer: dict[str, Any] | None = Field(description="the Finder's answer in the `ask --json` shape, if one")


@dataclass
class Exchange:
    """One request's events handled: the replies, the Finder's last answer, and the language."""

    session: str
    lang: Lang
    replies: list[Reply] = field(default_factory=list)
    answer: Answer | None = None
    limited: bool = False


def _session(candidate: str | None) -> str | None:
    return candidate if candidate and _SESSION.fullmatch(candidate) else None


def _cut(value: str | None) -> str | None:
    return value[:MAX_FIELD] if value else None


def events_of(
    *,
    text: str | None = None,
    lat: float | None = None,
    lon: float | None = None,
    place: str | None = None,
    button: str | None = None,
) -> list[Event]:
    """A request's events in the order a person means them: where they are, a button, their words."""
    events: list[Event] = []
    if lat is not None or lon is not None:
        events.append(Located(lat if lat is not None else math.nan, lon if lon is not None else math.nan))
    if place and place.strip():
        events.append(PlaceGiven(place))
    if button:
        events.append(Pressed(button[:200]))
    if text and text.strip():
        events.append(Said(text))
    return events


def converse(
    residents: Residents, request: Request, session: str | None, lang: str | None, events: list[Event]
) -> Exchange:
    """Run the events for the session (a new one when none), within the per-client limits."""
    conversation = residents.conversation
    session = _session(session) or secrets.token_urlsafe(18)
    current = conversation.language(CHANNEL, session)
    exchange = Exchange(session, current)
    verdicts = (residents.per_session.check(session), residents.per_address.check(client_address(request)))
    if any(v is not Verdict.ALLOW for v in verdicts):
        exchange.limited = True
        exchange.replies.append(conversation.notice(current, "rate_limited"))
        return exchange
    if lang in ("zh", "en") and lang != current:
        events = [LanguageAsked(lang), *events]
    for event in events:
        turn = conversation.handle(CHANNEL, session, event)
        exchange.replies += turn.replies
        exchange.answer = turn.answer or exchange.answer
        exchange.lang = turn.lang
    return exchange


def _set_session(response: Response, request: Request, session: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        session,
        max_age=int(IDLE_TTL.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )


def message_of(reply: Reply) -> ChatMessage:
    """A reply as the contract's message: plain text and every button."""
    shown = [] if reply.emergency else reply.all_buttons()
    return ChatMessage(
        text=plain_text(reply, audience="buttons"),
        buttons=[ChatButton(label=b.label, data=b.data) for b in shown],
        asks_location=reply.asks_location,
    )


@router.post("/api/chat", response_model=ChatResponse)
def api_chat(body: ChatRequest, request: Request, residents: ResidentsDep) -> Response:
    """Talk to Doorstep: send what the person typed, pressed or shared; get the messages to show.

    `session` null (and no chat cookie) starts a conversation; send the returned `session` back
    with the next request. Coordinates are WGS-84. Rate-limited per session and per address
    (429 with a message saying so).
    """
    session = _session(body.session) or _session(request.cookies.get(SESSION_COOKIE))
    events = events_of(text=_cut(body.text), lat=body.lat, lon=body.lon, button=body.button)
    exchange = converse(residents, request, session, body.lang, events)
    if not events and not exchange.replies:
        exchange.replies.append(residents.conversation.greeting(exchange.lang))
    answer = None
    if exchange.answer is not None:
        answer = exchange.answer.to_json()
        answer["reply"] = strip_disallowed_links(
            answer["reply"], residents.live.finder.catalog.allowlist.domains
        )
    payload = ChatResponse(
        session=exchange.session, messages=[message_of(r) for r in exchange.replies], answer=answer
    )
    response = JSONResponse(payload.model_dump(), status_code=429 if exchange.limited else 200)
    response.headers["Access-Control-Allow-Origin"] = "*"  # embeddable: the session is in the body
    _set_session(response, request, exchange.session)
    return response


@router.options("/api/chat", include_in_schema=False)
def api_chat_preflight() -> Response:
    """Let a page on another site (a 随申办 page, a kiosk) post JSON here, without cookies."""
    return Response(
        status_code=204,
        headers={
            "Access-Control-Allow-Origin": "*",
            "Access-Control-Allow-Methods": "POST",
            "Access-Control-Allow-Headers": "Content-Type",
            "Access-Control-Max-Age": "86400",
        },
    )


# ------------------------------------------------------------------------------------ the page


def geo_link(reply: Reply) -> str | None:
    """A geo: URI for the phone's map app (RFC 5870; WGS-84), for a reply carrying a map point."""
    venue = reply.venue
    if venue is None:
        return None
    return f"geo:{venue.lat:.6f},{venue.lon:.6f}?q={venue.lat:.6f},{venue.lon:.6f}({quote(venue.title)})"


def _page(
    residents: Residents,
    request: Request,
    *,
    lang: Lang,
    said: list[str],
    replies: list[Reply],
    status_code: int = 200,
    fragment: bool = False,
) -> HTMLResponse:
    locales = residents.locales
    catalog = residents.live.finder.catalog

    def t(key: str, **values: object) -> str:
        return locales.t(lang, f"webchat.{key}", **values)

    template = _templates.get_template("chat_messages.html" if fragment else "chat.html")
    html = template.render(
        tr=t,
        lang=lang,
        said=said,
        replies=replies,
        geo_link=geo_link,
        link_domains=tuple(catalog.allowlist.domains),
        emergency_numbers="120 / 110 / 119",
        hours=residents.conversation.location_hours,
    )
    return HTMLResponse(html, status_code=status_code)


def _page_lang(request: Request, residents: Residents, session: str | None, chosen: str | None) -> Lang:
    if chosen in ("zh", "en"):
        return "en" if chosen == "en" else "zh"
    if session is not None:
        return residents.conversation.language(CHANNEL, session)
    return "en" if request.query_params.get("lang") == "en" else "zh"


@router.get("/chat", response_class=HTMLResponse)
def chat_page(request: Request, residents: ResidentsDep, lang: Literal["zh", "en"] | None = None) -> Response:
    """The chat page: a greeting, the common needs, and a box to ask in (nothing is kept yet)."""
    session = _session(request.cookies.get(SESSION_COOKIE))
    page_lang = _page_lang(request, residents, session, lang)
    return _page(
        residents, request, lang=page_lang, said=[], replies=[residents.conversation.greeting(page_lang)]
    )


@router.post("/chat", response_class=HTMLResponse)
def chat_post(
    request: Request,
    residents: ResidentsDep,
    text: Annotated[str, Form(max_length=100_000)] = "",
    place: Annotated[str, Form(max_length=100_000)] = "",
    button: Annotated[str, Form(max_length=100_000)] = "",
    lat: Annotated[str, Form(max_length=64)] = "",
    lon: Annotated[str, Form(max_length=64)] = "",
    lang: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """One exchange from the page's forms; the page (or, for chat.js, the new messages) in reply."""
    session = _session(request.cookies.get(SESSION_COOKIE))
    position = _position(lat, lon)
    events = events_of(
        text=_cut(text), lat=position[0], lon=position[1], place=_cut(place), button=button or None
    )
    exchange = converse(residents, request, session, lang or None, events)
    said = [s for s in (_cut(text) or "", _cut(place) or "") if s.strip()]
    if button:
        said.append(_button_label(button, residents, exchange.lang))
    if not exchange.replies:
        exchange.replies.append(residents.conversation.greeting(exchange.lang))
    response = _page(
        residents,
        request,
        lang=exchange.lang,
        said=[s for s in said if s],
        replies=exchange.replies,
        status_code=429 if exchange.limited else 200,
        fragment=request.headers.get("x-doorstep-fragment") == "1",
    )
    _set_session(response, request, exchange.session)
    return response


def _position(lat: str, lon: str) -> tuple[float | None, float | None]:
    """The browser's coordinates from the form; anything unreadable is a position nobody can use."""
    if not lat.strip() and not lon.strip():
        return None, None
    try:
        return float(lat), float(lon)
    except ValueError:
        return math.nan, math.nan


def _button_label(data: str, residents: Residents, lang: Lang) -> str:
    """What a pressed button stood for, to show as the person's own message (never the raw data)."""
    words = Words(lang, residents.live.finder.catalog, residents.locales)
    match buttons.parse(data):
        case buttons.ChooseTown(town):
            return words.town(town)
        case buttons.QuickKind(kind) | buttons.Choose(kind):
            return words.option(kind)
        case buttons.MoreResults():
            return residents.locales.t(lang, "core.buttons.more")
        case buttons.ShowVenue(facility_id) if facility_id in words.catalog.facilities:
            return "🗺 " + words.short_name(words.catalog.facilities[facility_id])
        case buttons.ChooseLanguage(code):
            return residents.locales.t(lang, f"conversation.lang.{code}")
    return ""
