"""`doorstep web`: serve the operator console with uvicorn."""

from __future__ import annotations

import asyncio
import ipaddress
import sys

import uvicorn
from sqlalchemy import Engine

from bot.settings import Settings
from bot.web.accounts import has_accounts
from bot.web.app import create_app
from bot.web.public import create_public_app, public_listener, quiet_access_log
from services_catalog.answer import Question
from services_catalog.live import LiveFinder


def is_loopback(host: str) -> bool:
    """Whether listening on `host` keeps the console on this machine."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may well resolve to an outside address


def serve(settings: Settings, live: LiveFinder, engine: Engine, *, host: str, port: int) -> int:
    """Serve the console until interrupted; refuses (2) to listen beyond localhost with no accounts."""
    accounts_exist = has_accounts(engine=engine)
    if not accounts_exist and not is_loopback(host):
        print(
            f"doorstep web: no console accounts exist, so it will not listen on {host}; "
            "create one with `doorstep users add NAME --role staff --password-stdin` "
            "or listen on 127.0.0.1.",
            file=sys.stderr,
        )
        return 2
    if not accounts_exist:
        print(
            "doorstep web: no console accounts yet; nobody can sign in until one is created with "
            "`doorstep users add NAME --role staff --password-stdin`.",
            file=sys.stderr,
        )
    if settings.doorstep_secret_key is None:
        print(
            "doorstep web: DOORSTEP_SECRET_KEY is not set; sessions end when the console restarts.",
            file=sys.stderr,
        )
    app = create_app(settings, live, engine)
    # Warm the Finder (word segmentation loads its dictionary on first use) so the first caller
    # waits no longer than the next; `finder.answer` directly, so nothing is recorded as unanswered.
    live.finder.answer(Question(text="朱家角 看病"))
    print(f"doorstep web: the console is at http://{_url_host(host)}:{port}/", file=sys.stderr)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="info",
        proxy_headers=False,  # no proxy is assumed; the client address is the peer's
        server_header=False,
    )
    servers = [uvicorn.Server(config)]
    try:
        public = public_listener(settings)
    except ValueError as err:
        print(f"doorstep web: {err}", file=sys.stderr)
        return 2
    if public is not None:  # the residents' routes only, to expose publicly (bot/web/public.py)
        public_app = create_public_app(settings, live, engine)
        servers.append(
            uvicorn.Server(uvicorn.Config(public_app, host=public[0], port=public[1], server_header=False))
        )
        print(
            f"doorstep web: residents' chat and WeChat only at http://{_url_host(public[0])}:{public[1]}/chat",
            file=sys.stderr,
        )
    quiet_access_log()
    asyncio.run(_serve_all(servers))
    return 0


async def _serve_all(servers: list[uvicorn.Server]) -> None:
    """Run the listeners together; a signal stops them all (uvicorn passes it on, last first)."""
    await asyncio.gather(*(server.serve() for server in servers))


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host
