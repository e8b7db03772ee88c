"""What route handlers ask FastAPI for: the console's services, the live catalogue, the store.

Who is asking (the signed-in account, a bearer token, staff or not) is `bot.web.auth`'s
business, in one place; this module holds everything else a handler depends on.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine
from sqlmodel import Session

from bot.settings import Settings
from locales import Locales
from services_catalog.finder import Finder
from services_catalog.live import LiveFinder


@dataclass(frozen=True)
class Console:
    """What every request handler needs, built once in `create_app`."""

    settings: Settings
    live: LiveFinder
    engine: Engine
    locales: Locales
    templates: Jinja2Templates


async def get_console(request: Request) -> Console:  # async: no thread for a lookup
    """The console's services, put on the app's state by `create_app`."""
    console: Console = request.app.state.console
    return console


ConsoleDep = Annotated[Console, Depends(get_console)]


async def live_finder(console: ConsoleDep) -> Finder:
    """The Finder answering right now: one catalogue for the whole request, even during a reload."""
    return console.live.finder


LiveCatalogue = Annotated[Finder, Depends(live_finder)]


def store_session(console: ConsoleDep) -> Iterator[Session]:
    """A session on the store for one request."""
    with Session(console.engine) as session:
        yield session


StoreSession = Annotated[Session, Depends(store_session)]
