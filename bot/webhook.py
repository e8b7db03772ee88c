"""The bot's webhook server: an update is kept in the store before Telegram hears it arrived.

    POST /<path>   X-Telegram-Bot-Api-Secret-Token: <secret>   {"update_id": …, "message": …}
        403  without the secret
        400  not an update
        503  the store could not record it (Telegram sends it again later)
        200  recorded (and queued for answering), or known already: answered, or being answered
             by a live process, so a retry is not answered twice

python-telegram-bot's own webhook server answers 200 as soon as an update is queued in memory,
so a process killed then loses it; this one (Starlette under uvicorn, as python-telegram-bot's
"custom webhook" example does) answers only once the update is in the store. Several processes
may serve the same URL behind a load balancer: the store decides who answers.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from telegram import Update
from telegram.error import NetworkError, TelegramError
from telegram.ext import Application

from bot.serving import Server, serve_until_signalled
from bot.updates import UpdateLog

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1024 * 1024  # an update is a few kilobytes
SET_WEBHOOK_TRIES = 4


def webhook_app(
    application: Application[Any, Any, Any, Any, Any, Any], updates: UpdateLog, path: str, secret: str
) -> Starlette:
    """The ASGI app receiving Telegram's POSTs at `/path`."""

    async def receive(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            return Response(status_code=403)
        body = await request.body()
        try:
            data = json.loads(body) if len(body) <= MAX_BODY else None
        except ValueError:
            data = None
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            return Response(status_code=400)
        try:
            verdict = await asyncio.to_thread(updates.record, data["update_id"], data)
        except Exception as err:  # Telegram retries a failed delivery: nothing is lost
            log.warning("update %s: could not be recorded: %s", data["update_id"], type(err).__name__)
            return Response(status_code=503)
        if verdict == "duplicate":
            log.info("update %s: delivered again; answered already or being answered", data["update_id"])
        else:
            await application.update_queue.put(Update.de_json(data, application.bot))
        return Response(status_code=200)

    return Starlette(routes=[Route(f"/{path}", receive, methods=["POST"])])


async def serve_webhook(
    application: Application[Any, Any, Any, Any, Any, Any],
    updates: UpdateLog,
    *,
    listen: str,
    port: int,
    path: str,
    webhook_url: str,
    secret: str,
    allowed_updates: list[str],
) -> None:
    """Run the bot behind its webhook until SIGINT or SIGTERM, then answer what is queued and stop."""
    server = Server(
        uvicorn.Config(
            webhook_app(application, updates, path, secret),
            host=listen,
            port=port,
            access_log=False,  # the path holds nothing secret, but the lines add nothing either
            log_level="warning",
            server_header=False,
        )
    )
    await application.initialize()
    try:
        if application.post_init is not None:
            await application.post_init(application)
        await application.start()
        await _set_webhook(application, webhook_url, secret, allowed_updates)
        log.info("listening for Telegram's updates on %s:%s/%s", listen, port, path)
        await serve_until_signalled([server])
    finally:
        if application.running:
            await application.stop()  # answers what is queued first
        await application.shutdown()
        if application.post_shutdown is not None:
            await application.post_shutdown(application)


async def _set_webhook(
    application: Application[Any, Any, Any, Any, Any, Any], url: str, secret: str, allowed_updates: list[str]
) -> None:
    """Tell Telegram where to post updates, trying again a few times when it cannot be reached."""
    for attempt in range(SET_WEBHOOK_TRIES):
        try:
            await application.bot.set_webhook(url=url, secret_token=secret, allowed_updates=allowed_updates)
            return
        except NetworkError:
            if attempt == SET_WEBHOOK_TRIES - 1:
                raise
            await asyncio.sleep(1 + attempt)
        except TelegramError:
            raise
