"""A shared location: remembered (rounded), and used for the question that waited for it."""

from __future__ import annotations

from telegram import Update

from bot import state
from handlers.context import BotContext
from handlers.replies import answer_question, load_state, send, user_lang


async def on_location(update: Update, context: BotContext) -> None:
    """Remember the location (to about 100 m) and answer the question waiting for it, if any."""
    message, user = update.effective_message, update.effective_user
    if message is None or message.location is None or user is None:
        return
    with context.session() as session:
        state.remember_location(
            session=session, user_id=user.id, lat=message.location.latitude, lon=message.location.longitude
        )
        pending = state.take_pending(session=session, user_id=user.id)
    if pending is not None:
        await answer_question(update, context, pending.text, kind=pending.kind)
        return
    lang = user_lang(load_state(update, context), user)
    await send(update, context, context.render.location_saved(lang))
