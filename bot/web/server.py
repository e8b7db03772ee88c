"""`doorstep web`: serve the operator console with uvicorn."""

from __future__ import annotations

import asyncio
import ipaddress
import sys
from typing import Any

import uvicorn
from fastapi import FastAPI
from sqlalchemy import Engine

from bot.logs import configure_logging
from bot.serving import Server, freeze_loaded, serve_until_signalled
from bot.settings import Settings
from bot.web.access_log import ACCESS_LOG_OFF
from bot.web.accounts import has_accounts
from bot.web.app import create_app
from bot.web.public import create_public_app, public_listener
from services_catalog.answer import Question
from services_catalog.db import create_tables, make_engine
from services_catalog.live import LiveFinder


def is_loopback(host: str) -> bool:
    """Whether listening on `host` keeps the console on this machine."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may well resolve to an outside address


def trusted_proxies(settings: Settings) -> list[str]:
    """The addresses and networks of `DOORSTEP_TRUSTED_PROXIES`; ValueError for one that is neither."""
    found = []
    for item in settings.doorstep_trusted_proxies.split(","):
        item = item.strip()
        if not item:
            continue
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise ValueError(
                "DOORSTEP_TRUSTED_PROXIES must list addresses or networks "
                f"(e.g. 127.0.0.1,10.0.0.0/8), not {item!r}"
            ) from None
        found.append(item)
    return found


def proxy_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's proxy settings: forwarded headers believed only from `DOORSTEP_TRUSTED_PROXIES`."""
    proxies = trusted_proxies(settings)
    if not proxies:  # no proxy is assumed; the client address is the peer's
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": proxies}


def _preflight(settings: Settings, engine: Engine, host: str) -> dict[str, Any] | None:
    """uvicorn's proxy options when the console may start; None (having said why) when it must not:
    a bad DOORSTEP_TRUSTED_PROXIES, or no accounts and a host beyond localhost."""
    try:
        proxy = proxy_options(settings)
    except ValueError as err:
        print(f"doorstep web: {err}", file=sys.stderr)
        return None
    accounts_exist = has_accounts(engine=engine)
    if not accounts_exist and not is_loopback(host):
        print(
            f"doorstep web: no console accounts exist, so it will not listen on {host}; "
            "create one with `doorstep users add NAME --role staff --password-stdin` "
            "or listen on 127.0.0.1.",
            file=sys.stderr,
        )
        return None
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
    return proxy


def serve(settings: Settings, live: LiveFinder, engine: Engine, *, host: str, port: int) -> int:
    """Serve the console until interrupted; refuses (2) to listen beyond localhost with no accounts."""
    proxy = _preflight(settings, engine, host)
    if proxy is None:
        return 2
    app = create_app(settings, live, engine, background=True)
    # Warm the Finder (word segmentation loads its dictionary on first use) so the first caller
    # waits no longer than the next; `finder.answer` directly, so nothing is recorded as unanswered.
    live.finder.answer(Question(text="朱家角 看病"))
    freeze_loaded()
    print(f"doorstep web: the console is at http://{_url_host(host)}:{port}/", file=sys.stderr)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="info",
        access_log=ACCESS_LOG_OFF,  # bot.web.access_log writes the lines, without query strings
        **proxy,
        server_header=False,
    )
    servers: list[uvicorn.Server] = [Server(config)]
    try:
        public = public_listener(settings)
    except ValueError as err:
        print(f"doorstep web: {err}", file=sys.stderr)
        return 2
    if public is not None:  # the residents' routes only, to expose publicly (bot/web/public.py)
        public_app = create_public_app(settings, live, engine)
        servers.append(
            Server(
                uvicorn.Config(
                    public_app,
                    host=public[0],
                    port=public[1],
                    access_log=ACCESS_LOG_OFF,
                    server_header=False,
                    **proxy,
                )
            )
        )
        print(
            f"doorstep web: residents' chat and WeChat only at http://{_url_host(public[0])}:{public[1]}/chat",
            file=sys.stderr,
        )
    configure_logging()
    # The console's app runs the housekeeping while it serves (its lifespan); SIGINT/SIGTERM stop
    # every listener, then the housekeeping writes what it kept.
    asyncio.run(serve_until_signalled(servers))
    return 0


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def serve_workers(settings: Settings, *, host: str, port: int, workers: int) -> int:
    """Serve the console with `workers` processes on one port (uvicorn's workers, each calling
    `worker_app`); the residents' listener (DOORSTEP_PUBLIC_LISTEN) needs a process of its own."""
    if not 1 <= workers <= 64:
        print("doorstep web: --workers must be from 1 to 64", file=sys.stderr)
        return 2
    if settings.doorstep_public_listen:
        print(
            "doorstep web: DOORSTEP_PUBLIC_LISTEN is served by a single process; run it as a "
            "`doorstep web` of its own without --workers",
            file=sys.stderr,
        )
        return 2
    if settings.doorstep_secret_key is None:
        print(
            "doorstep web: --workers needs DOORSTEP_SECRET_KEY (every worker signs sessions with it)",
            file=sys.stderr,
        )
        return 2
    engine = make_engine(settings.database_url)
    create_tables(engine)
    # The catalogue is checked (and imported when new) once here, before the workers load it.
    LiveFinder(settings.doorstep_catalog, engine=engine)
    proxy = _preflight(settings, engine, host)
    engine.dispose()
    if proxy is None:
        return 2
    configure_logging()
    print(
        f"doorstep web: the console is at http://{_url_host(host)}:{port}/ ({workers} workers)",
        file=sys.stderr,
    )
    uvicorn.run(
        "bot.web.server:worker_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        access_log=ACCESS_LOG_OFF,
        server_header=False,
        **proxy,
    )
    return 0


def worker_app() -> FastAPI:
    """One worker of `doorstep web --workers N`: uvicorn calls this in each worker process, which
    reads the same environment `cli.main()` read, loads the catalogue, and serves the console."""
    _end_with_parent()
    settings = Settings()
    configure_logging()
    engine = make_engine(settings.database_url)
    create_tables(engine)
    live = LiveFinder(settings.doorstep_catalog, engine=engine)
    live.finder.answer(Question(text="朱家角 看病"))  # warm the word segmenter
    app = create_app(settings, live, engine, background=True)
    freeze_loaded()
    return app


def _end_with_parent() -> None:
    """Ask Linux to stop this worker when the `doorstep web` that started it dies, even by SIGKILL
    (uvicorn's workers would otherwise live on, orphaned; systemd kills them with the unit anyway)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    pr_set_pdeathsig = 1  # <linux/prctl.h>
    try:
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
    except (OSError, AttributeError):  # not glibc: the unit's cgroup still ends it
        return
