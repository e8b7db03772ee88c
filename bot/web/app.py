"""The console's app factory: middleware, error pages, and the routers by audience.

Routes live in `APIRouter` modules, one per audience: `operator` (sign-in and the hotline
operator's search), `staff` (the catalogue and what residents reported), `api` (JSON for hotline
tools, and its schema). Handlers get what they need as dependencies (`bot.web.deps` for the
console's services and the live catalogue, `bot.web.auth` for who is asking). Every page and API
call goes through the one `LiveFinder` the rest of Doorstep uses. Pages work without JavaScript;
nothing is loaded from outside (no CDN).
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.settings import Settings
from bot.upkeep import console_upkeep
from bot.web import accounts, accounts_page, api, chat, coverage, operator, records, staff, throttle, wechat
from bot.web.access_log import AccessLog
from bot.web.auth import LoginRequired, session_account
from bot.web.deps import Console
from bot.web.pages import HERE, make_templates, purge_unanswered, render_page
from bot.web.token_cache import TokenCache
from locales import default_locales
from services_catalog import db
from services_catalog.live import LiveFinder

SESSION_COOKIE = "doorstep_session"

# Every audience's routes. A new channel (the residents' web chat, WeChat) is one module with
# a `router` and one line here.
ROUTERS: tuple[APIRouter, ...] = (
    operator.router,
    staff.router,
    records.router,
    coverage.router,
    api.router,
    api.schema_router,
    chat.router,
    wechat.router,
    accounts_page.router,
)

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


def create_app(settings: Settings, live: LiveFinder, engine: Engine, *, background: bool = False) -> FastAPI:
    """The console's ASGI app over `live`, with accounts and feedback in `engine`'s store.

    With `background` (as `doorstep web` runs it), while the app runs: catalogues imported by
    other processes are picked up and what is kept no longer is deleted (`bot.upkeep`), notes for
    staff are written in batches, and bearer tokens are remembered until accounts change
    (`bot.web.token_cache`).
    """
    db.create_tables(engine)
    accounts.create_tables(engine)
    throttle.create_tables(engine)
    console = Console(
        settings=settings,
        live=live,
        engine=engine,
        locales=default_locales(),
        templates=make_templates(),
    )
    tokens = TokenCache(engine)
    app = FastAPI(
        title="Doorstep (家门口) console API",
        summary="Qingpu's public services, for hotline tools. Send `Authorization: Bearer TOKEN`.",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,  # served by `api.schema_router`, behind sign-in
        lifespan=_in_background(settings, live, engine, tokens) if background else None,
    )
    app.state.engine = engine
    app.state.console = console
    app.state.token_cache = tokens
    secret = settings.doorstep_secret_key.get_secret_value() if settings.doorstep_secret_key else ""
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret or secrets.token_urlsafe(32),  # random: sessions end on restart
        session_cookie=SESSION_COOKIE,
        max_age=accounts.SESSION_HOURS * 3600,  # the store's session ends then too
        same_site="lax",
        # Secure behind HTTPS (DOORSTEP_SECURE_COOKIES); the console may be plain HTTP on localhost.
        https_only=settings.doorstep_secure_cookies,
    )
    app.add_middleware(SecurityHeaders)
    app.add_middleware(AccessLog)  # outermost of ours: it sees the status the client gets

    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    # Unanswered questions past their keeping period go at start-up too, not only when staff
    # open a page: a console nobody from staff visits must not keep them longer.
    purge_unanswered(console)
    _add_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    return app


def _in_background(
    settings: Settings, live: LiveFinder, engine: Engine, tokens: TokenCache
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """The app's lifespan: housekeeping and the token listener while it runs."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        live.notes.deferred = True  # written every few seconds by the housekeeping
        tokens.start()
        upkeep = asyncio.create_task(console_upkeep(settings, live, engine), name="doorstep-upkeep")
        try:
            yield
        finally:
            upkeep.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await upkeep  # writes the notes it kept
            tokens.stop()

    return lifespan


def _add_error_handlers(app: FastAPI) -> None:
    def is_api(request: Request) -> bool:
        return request.url.path.startswith("/api/") or request.url.path == "/openapi.json"

    def error_page(request: Request, key: str, status_code: int) -> Response:
        console: Console = request.app.state.console
        return render_page(
            console,
            request,
            "error.html",
            account=session_account(request),
            title_key=key,
            status_code=status_code,
            message_key=key,
        )

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(f"/login?{urlencode({'next': exc.next_path})}", status.HTTP_303_SEE_OTHER)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if is_api(request):
            return JSONResponse({"detail": exc.detail}, exc.status_code, headers=exc.headers)
        key = {403: "error.forbidden", 404: "error.not_found"}.get(exc.status_code, "error.other")
        return error_page(request, key, exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        if not is_api(request):  # a page asked with a mangled link: say so on a page, not in JSON
            return error_page(request, "error.bad_request", status.HTTP_422_UNPROCESSABLE_CONTENT)
        detail = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", "")} for e in exc.errors()]
        body: dict[str, Any] = {"detail": detail}
        if request.method == "PATCH":  # the contract's record edit answers {"problems": [...]}
            body["problems"] = [
                f"{'.'.join(str(p) for p in d['loc'] if p != 'body') or 'body'}: {d['msg']}" for d in detail
            ]
        return JSONResponse(body, status.HTTP_422_UNPROCESSABLE_CONTENT)
