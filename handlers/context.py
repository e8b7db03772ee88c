"""What every handler is handed: a typed `CallbackContext` with the bot's services as properties.

The services are built once in `bot.app.build_application` and kept on `bot_data`; handlers
read `context.conversation`, `context.render`, `context.catalog` instead of casting dict entries.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Engine
from telegram.ext import Application, CallbackContext, ExtBot

from bot.ratelimit import SlidingWindowLimit
from bot.settings import Settings
from handlers.render import Renderer
from services_catalog.catalog import Catalog
from services_catalog.conversation import Conversation
from services_catalog.conversation import Core as ConversationCore

# How often the store is asked whether another process imported a newer catalogue, in seconds.
RELOAD_EVERY = 30.0
# How often expired conversation memory and old unanswered questions are deleted, in seconds.
PURGE_EVERY = 600.0


class Core(ConversationCore, Protocol):
    """What the bot needs from `services_catalog.live.LiveFinder`."""

    def reload_if_changed(self) -> bool: ...


@dataclass
class Services:
    """Everything handlers use, built once at start-up."""

    settings: Settings
    live: Core
    engine: Engine
    conversation: Conversation
    render: Renderer
    limit: SlidingWindowLimit
    reload_every: float = RELOAD_EVERY
    purge_every: float = PURGE_EVERY
    housekeeping: asyncio.Task[None] | None = None  # handlers/housekeeping.py, while the bot runs


class BotData:
    """The application's `bot_data`: holds the services once `build_application` set them."""

    def __init__(self) -> None:
        self.services: Services | None = None


class BotContext(CallbackContext[ExtBot[Any], dict[Any, Any], dict[Any, Any], BotData]):
    """`CallbackContext` with Doorstep's services as typed properties."""

    @classmethod
    def services_of(cls, application: Application[Any, Any, Any, Any, BotData, Any]) -> Services:
        """The services of `application` (set by `build_application`)."""
        services = application.bot_data.services
        if services is None:
            raise RuntimeError("build_application did not set the services")
        return services

    @property
    def services(self) -> Services:
        """All services."""
        services = self.bot_data.services
        if services is None:
            raise RuntimeError("build_application did not set the services")
        return services

    @property
    def conversation(self) -> Conversation:
        """The conversation core every message goes through."""
        return self.services.conversation

    @property
    def catalog(self) -> Catalog:
        """The catalogue loaded right now."""
        return self.services.live.finder.catalog

    @property
    def render(self) -> Renderer:
        """The Telegram message builder."""
        return self.services.render

    @property
    def settings(self) -> Settings:
        """The configuration read at start-up."""
        return self.services.settings
