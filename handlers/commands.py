"""/start, /help, /lang and /hotline."""

from __future__ import annotations

from telegram import Update

from handlers.context import BotContext
from handlers.replies import converse
from services_catalog.conversation import HelpAsked, HotlinesAsked, LanguageAsked, Started


async def cmd_start(update: Update, context: BotContext) -> None:
    """Greet the user in their language and show the keyboard with the location button."""
    user = update.effective_user
    await converse(update, context, Started(user.first_name if user else ""))


async def cmd_help(update: Update, context: BotContext) -> None:
    """Say what to type, with examples, and what is remembered for how long."""
    await converse(update, context, HelpAsked())


async def cmd_lang(update: Update, context: BotContext) -> None:
    """Switch to the language given (/lang en), say so when it is not supported, or offer both."""
    await converse(update, context, LanguageAsked(context.args[0] if context.args else None))


async def cmd_hotline(update: Update, context: BotContext) -> None:
    """List the catalogue's hotlines."""
    await converse(update, context, HotlinesAsked())
