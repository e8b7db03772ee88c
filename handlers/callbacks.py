"""Inline buttons: map, more, "信息有误?", a clarifying choice, a language."""

from __future__ import annotations

import logging

from telegram import CallbackQuery, Update

from bot import state
from handlers import callback_data as cb
from handlers.context import BotContext
from handlers.replies import answer_question, load_state, send, user_lang
from services_catalog import feedback
from services_catalog.models import KIND_IDS

log = logging.getLogger(__name__)


async def _stale(query: CallbackQuery, context: BotContext, lang: str) -> None:
    """Tell the user politely that the button no longer works."""
    await query.answer(context.render.t(lang, "callback.stale"), show_alert=False)


async def on_button(update: Update, context: BotContext) -> None:
    """Act on an inline button; a stale or forged one gets a polite note and nothing else."""
    query, user, chat = update.callback_query, update.effective_user, update.effective_chat
    if query is None or user is None:
        return
    user_state = load_state(update, context)
    lang = user_lang(user_state, user)
    button = cb.parse(query.data)
    catalog = context.catalog
    match button:
        case cb.ShowVenue(facility_id) if facility_id in catalog.facilities and chat is not None:
            await query.answer()
            venue = context.render.venue(lang, catalog.facilities[facility_id], catalog)
            await context.bot.send_venue(
                chat_id=chat.id,
                latitude=venue.latitude,
                longitude=venue.longitude,
                title=venue.title,
                address=venue.address,
            )
        case cb.MoreResults(offset, kind) if user_state.last_text is not None or kind is not None:
            await query.answer()
            await answer_question(update, context, user_state.last_text or "", kind=kind, offset=offset)
        case cb.ReportWrong(facility_id) if facility_id in catalog.facilities:
            with context.session() as session:
                feedback.add_report(session=session, facility_id=facility_id, text=user_state.last_text or "")
            log.info("update %s: report recorded", update.update_id)
            await query.answer(context.render.t(lang, "callback.reported"))
        case cb.Choose(option) if option in catalog.services:
            await query.answer()
            service = catalog.services[option]
            await answer_question(update, context, service.name)
        case cb.Choose(option) if option in KIND_IDS:
            await query.answer()
            await answer_question(
                update, context, user_state.last_text or context.render.kind_name(lang, option), kind=option
            )
        case cb.ChooseLanguage(chosen):
            with context.session() as session:
                state.set_language(session=session, user_id=user.id, lang=chosen)
            await query.answer()
            await send(update, context, context.render.language_set(chosen))
        case _:
            await _stale(query, context, lang)
