"""Only the residents' routes, for exposing them publicly while the console stays internal.

With `DOORSTEP_PUBLIC_LISTEN=HOST:PORT`, `doorstep web` serves a second listener whose app has
nothing but the web chat (`/chat`, `/api/chat`, its two static files) and WeChat (`/wechat`):
no sign-in page, no console, no staff pages, no console API. Point the public reverse proxy
(TLS, the domain WeChat is told about) at that port only, and keep the console's port internal.

Neither listener writes a resident's words, position or WeChat OpenID to the access log: query
strings of the residents' routes are left out of uvicorn's access lines.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from bot.settings import Settings
from bot.web import chat, wechat
from bot.web.app import SecurityHeaders
from bot.web.residents import build_residents
from services_catalog.live import LiveFinder

STATIC = Path(__file__).resolve().parent / "static"
RESIDENT_PATHS = ("/chat", "/api/chat", "/wechat")


def public_listener(settings: Settings) -> tuple[str, int] | None:
    """The (host, port) of `DOORSTEP_PUBLIC_LISTEN`, or None; ValueError when it is not HOST:PORT."""
    value = (settings.doorstep_public_listen or "").strip()
    if not value:
        return None
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"DOORSTEP_PUBLIC_LISTEN must be HOST:PORT (e.g. 0.0.0.0:8081), not {value!r}")
    return host.strip("[]"), int(port)


def create_public_app(settings: Settings, live: LiveFinder, engine: Engine) -> FastAPI:
    """An app with the residents' routes only."""
    app = FastAPI(title="Doorstep (家门口) for residents", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.residents = build_residents(settings, live, engine)
    app.add_middleware(SecurityHeaders)

    @app.middleware("http")
    async def pick_up_catalogue_reloads(request: Request, call_next: Any) -> Any:
        """Swap in a catalogue `doorstep catalog reload` imported elsewhere (checked every 30 s)."""
        await run_in_threadpool(live.reload_if_changed, min_interval=30.0)
        return await call_next(request)

    for name in ("chat.css", "chat.js"):
        app.add_api_route(f"/static/{name}", _static(STATIC / name), include_in_schema=False)
    app.include_router(chat.router)
    app.include_router(wechat.router)
    return app


def _static(path: Path) -> Any:
    def serve_file() -> FileResponse:
        return FileResponse(path)

    return serve_file


class WithoutResidentQueries(logging.Filter):
    """Takes the query string off uvicorn's access lines for the residents' routes."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            path, _, _query = args[2].partition("?")
            if path in RESIDENT_PATHS:
                record.args = (*args[:2], path, *args[3:])
        return True


def quiet_access_log() -> None:
    """Install `WithoutResidentQueries` on uvicorn's access logger (once)."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, WithoutResidentQueries) for f in access.filters):
        access.addFilter(WithoutResidentQueries())
