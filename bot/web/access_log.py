"""The access log of `doorstep web`: one line per request, saying nothing a person typed.

    GET /api/ask 200 3.1ms
    POST /login 303 41.0ms
    GET /api/facilities/{facility_id} 404 0.9ms

Each line holds the method, the route's template (never the path as sent: a facility id or
anything else in a path stays out), the status and the duration. Never the query string (the
operator's question, `place=31.15,121.12`, a WeChat OpenID), a form or JSON body, a cookie or a
header. A path that matches no route is logged as "-". uvicorn's own access log is turned off
(`ACCESS_LOG_OFF`), so this is the only line per request, for the console and the residents'
listener alike.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from starlette.routing import BaseRoute, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("doorstep.access")

# For `uvicorn.Config(..., access_log=ACCESS_LOG_OFF)`: its lines carry the path with its query.
ACCESS_LOG_OFF = False
NO_ROUTE = "-"


def route_template(scope: Scope) -> str:
    """The template of the route that served the request (`/api/facilities/{facility_id}`), or "-"."""
    route: BaseRoute | None = scope.get("route")
    if route is None:
        return NO_ROUTE
    path = getattr(route, "path", None)
    if not isinstance(path, str):
        return NO_ROUTE
    if isinstance(route, Mount):  # static files: which folder, not which file
        return path + "/{path}"
    return path or "/"


class AccessLog:
    """Logs one line per HTTP request at INFO on `doorstep.access` (pure ASGI, streaming untouched)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status: dict[str, Any] = {"code": 500}  # an exception that escapes is answered 500

        async def send_and_note(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            if log.isEnabledFor(logging.INFO):
                log.info(
                    "%s %s %d %.1fms",
                    scope.get("method", "?"),
                    route_template(scope),
                    status["code"],
                    (time.perf_counter() - started) * 1000,
                )
