"""A shared location: remembered (rounded), and used for the question that waited for it."""

from __future__ import annotations

from telegram import Update

from handlers.context import BotContext
from handlers.replies import converse
from services_catalog.conversation import Located


async def on_location(update: Update, context: BotContext) -> None:
    """Hand the position (WGS-84, as Telegram sends it) to the conversation."""
    message = update.effective_message
    if message is None or message.location is None:
        return
    await converse(update, context, Located(message.location.latitude, message.location.longitude))
