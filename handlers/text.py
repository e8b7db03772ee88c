"""Typed messages, and messages the bot cannot read (stickers, photos, voice, documents)."""

from __future__ import annotations

from telegram import Update

from bot import state
from handlers.context import BotContext
from handlers.gate import without_mention
from handlers.render import QUICK_KINDS
from handlers.replies import answer_question, load_state, send, user_lang
from services_catalog.catalog import Catalog


def town_named(text: str, catalog: Catalog) -> str | None:
    """The official town when the whole message is a town's name (a tapped town button)."""
    wanted = text.strip().casefold()
    for town in catalog.towns.values():
        if wanted in (town.name.casefold(), town.name_en.casefold(), *(a.casefold() for a in town.aliases)):
            return town.name
    return None


def quick_kind(text: str, context: BotContext) -> str | None:
    """The facility kind behind one of the main keyboard's quick buttons, in either language."""
    for kind in QUICK_KINDS:
        if any(text == context.render.t(lang, f"quick.{kind}") for lang in ("zh", "en")):
            return kind
    return None


async def on_text(update: Update, context: BotContext) -> None:
    """Answer a question; a bare town name says where the user is and answers the waiting question."""
    message, user = update.effective_message, update.effective_user
    if message is None or message.text is None or user is None:
        return
    text = without_mention(message.text, context.bot.username)
    if not text:
        lang = user_lang(load_state(update, context), user)
        await send(update, context, context.render.help(lang))
        return
    town = town_named(text, context.catalog)
    if town is not None:
        with context.session() as session:
            state.remember_town(session=session, user_id=user.id, town=town, replaces_location=True)
            pending = state.take_pending(session=session, user_id=user.id)
        if pending is not None:
            await answer_question(update, context, pending.text, kind=pending.kind)
        else:
            lang = user_lang(load_state(update, context), user)
            await send(update, context, context.render.town_saved(lang, town, context.catalog))
        return
    await answer_question(update, context, text, kind=quick_kind(text, context))


async def on_media(update: Update, context: BotContext) -> None:
    """Say that only text and locations are understood."""
    lang = user_lang(load_state(update, context), update.effective_user)
    await send(update, context, context.render.plain(lang, "media_hint"))
