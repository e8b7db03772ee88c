"""/start, /help, /lang and /hotline."""

from __future__ import annotations

from telegram import Update

from bot import state
from handlers.context import BotContext
from handlers.replies import load_state, send, user_lang


async def cmd_start(update: Update, context: BotContext) -> None:
    """Greet the user in their language and show the keyboard with the location button."""
    user = update.effective_user
    lang = user_lang(load_state(update, context), user)
    await send(update, context, context.render.start(lang, user.first_name if user else ""))


async def cmd_help(update: Update, context: BotContext) -> None:
    """Say what to type, with examples, and what is remembered for how long."""
    lang = user_lang(load_state(update, context), update.effective_user)
    await send(update, context, context.render.help(lang))


async def cmd_lang(update: Update, context: BotContext) -> None:
    """Switch to the language given (/lang en), or offer both."""
    user = update.effective_user
    if user is None:
        return
    choice = (context.args or [""])[0].lower()
    if choice in ("zh", "en"):
        with context.session() as session:
            state.set_language(session=session, user_id=user.id, lang=choice)
        await send(update, context, context.render.language_set(choice))
        return
    lang = user_lang(load_state(update, context), user)
    await send(update, context, context.render.language_choice(lang))


async def cmd_hotline(update: Update, context: BotContext) -> None:
    """List the catalogue's hotlines."""
    lang = user_lang(load_state(update, context), update.effective_user)
    await send(update, context, context.render.hotlines(lang, context.catalog))
