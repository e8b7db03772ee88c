"""What the residents' channels served by `doorstep web` share: one `Conversation` over the store.

The web chat (`bot.web.chat`) and WeChat (`bot.web.wechat`) are routers of the same app as the
console; they ask for `Residents` as a dependency. It is built once per app, on first use, from
what the app factory already holds (`app.state.console`: settings, the live catalogue, the store),
so adding a channel needs nothing from the factory but its router.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import Engine

from bot.limits import Limit, make_limit
from bot.settings import Settings
from bot.web.auth import client_address
from locales import Locales, default_locales
from services_catalog.conversation import Conversation
from services_catalog.live import LiveFinder
from services_catalog.memory import create_memory_tables

# One address (a family, a kiosk, a mobile carrier's NAT) may send this many times what one
# session may, before it has to slow down.
ADDRESS_FACTOR = 6
_BUILDING = threading.Lock()


@dataclass
class Residents:
    """The residents' conversation and the limits on how fast one client may talk to it."""

    settings: Settings
    live: LiveFinder
    engine: Engine
    locales: Locales
    conversation: Conversation
    per_session: Limit  # shared by every process on a PostgreSQL store (bot.limits)
    per_address: Limit


def build_residents(settings: Settings, live: LiveFinder, engine: Engine) -> Residents:
    """The residents' services over `live`, remembering conversations in `engine`'s store."""
    create_memory_tables(engine)
    locales = default_locales()
    ttl = dt.timedelta(minutes=settings.doorstep_location_ttl_minutes)
    rate = settings.doorstep_user_rate_per_minute
    return Residents(
        settings=settings,
        live=live,
        engine=engine,
        locales=locales,
        # `doorstep web`'s housekeeping purges for every process, one at a time (bot.upkeep).
        conversation=Conversation.in_store(live, engine, locales=locales, location_ttl=ttl, purges=False),
        per_session=make_limit(engine, "web-session", rate),
        per_address=make_limit(engine, "web-address", rate * ADDRESS_FACTOR),
    )


def get_residents(request: Request) -> Residents:
    """The app's residents' services, built on first use from the app's settings, catalogue and store."""
    state: Any = request.app.state
    residents: Residents | None = getattr(state, "residents", None)
    if residents is None:
        with _BUILDING:
            residents = getattr(state, "residents", None)
            if residents is None:
                console = state.console
                residents = build_residents(console.settings, console.live, console.engine)
                state.residents = residents
    return residents


ResidentsDep = Annotated[Residents, Depends(get_residents)]

__all__ = ["Residents", "ResidentsDep", "build_residents", "client_address", "get_residents"]
