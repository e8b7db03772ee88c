"""Inline buttons: map, more, "信息有误?", a clarifying choice, a language."""

from __future__ import annotations

from telegram import Update

from handlers.context import BotContext
from handlers.replies import converse
from services_catalog.conversation import Pressed


async def on_button(update: Update, context: BotContext) -> None:
    """Hand the button's data to the conversation; a stale or forged one gets a polite note."""
    query = update.callback_query
    if query is None:
        return
    await converse(update, context, Pressed(query.data or ""))
