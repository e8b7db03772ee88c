"""Typed messages, and messages the bot cannot read (stickers, photos, voice, documents)."""

from __future__ import annotations

from telegram import Update

from handlers.context import BotContext
from handlers.gate import without_mention
from handlers.replies import converse
from services_catalog.conversation import Said, Unreadable


async def on_text(update: Update, context: BotContext) -> None:
    """Hand the typed words (without the bot's @name) to the conversation."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    await converse(update, context, Said(without_mention(message.text, context.bot.username)))


async def on_media(update: Update, context: BotContext) -> None:
    """Say that only text and locations are understood."""
    await converse(update, context, Unreadable())
