"""Sending, and the one path every question takes: state → `Question` → core → `Answer` → message."""

from __future__ import annotations

import logging

from telegram import LinkPreviewOptions, Message, ReplyParameters, Update, User
from telegram.constants import ChatType, ParseMode

from bot import state
from handlers.context import BotContext
from handlers.render import Reply
from locales import normalise_lang
from services_catalog.answer import Known, Lang, Question

log = logging.getLogger(__name__)

# Longer questions are cut before they reach the core: nobody asks for a library in 500 characters.
MAX_QUESTION_CHARS = 500
_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def user_lang(user_state: state.UserState, user: User | None) -> Lang:
    """The language to answer in: the one chosen with /lang, else Telegram's, else Chinese."""
    code = user_state.lang or (user.language_code if user else None)
    return "en" if normalise_lang(code) == "en" else "zh"


async def send(update: Update, context: BotContext, reply: Reply) -> Message | None:
    """Send `reply` to the chat of `update` (in groups, as a reply to the user's message).

    Every message the bot sends goes through here, and so through `Renderer.final`: no link
    outside the catalogue's allowlist leaves.
    """
    chat = update.effective_chat
    if chat is None:
        return None
    reply = context.render.final(reply, context.catalog)
    reply_to = None
    if update.message is not None and chat.type != ChatType.PRIVATE:
        reply_to = ReplyParameters(update.message.message_id, allow_sending_without_reply=True)
    return await context.bot.send_message(
        chat_id=chat.id,
        text=reply.text,
        parse_mode=ParseMode.HTML,
        reply_markup=reply.markup,
        link_preview_options=_NO_PREVIEW,
        reply_parameters=reply_to,
    )


def load_state(update: Update, context: BotContext) -> state.UserState:
    """The stored state of the user behind `update` (expired parts forgotten)."""
    user = update.effective_user
    user_id = user.id if user else 0
    with context.session() as session:
        return state.load_user(session=session, user_id=user_id, location_ttl=context.location_ttl)


async def answer_question(
    update: Update, context: BotContext, text: str, *, kind: str | None = None, offset: int = 0
) -> None:
    """Ask the core with what is known about the user, remember what matters, and send the answer."""
    user = update.effective_user
    if user is None:
        return
    text = text[:MAX_QUESTION_CHARS]
    known_state = load_state(update, context)
    lang = user_lang(known_state, user)
    question = Question(
        text=text,
        lang=lang,
        kind=kind,
        offset=offset,
        known=Known(
            town=known_state.town,
            lat=known_state.lat,
            lon=known_state.lon,
            last_kind=known_state.last_kind,
            last_service=known_state.last_service,
            last_facility_id=known_state.last_facility_id,
        ),
    )
    answer = context.live.answer(question)
    with context.session() as session:
        if answer.needs_location:
            state.set_pending(session=session, user_id=user.id, text=text, kind=kind or answer.kind)
        else:
            first = answer.results[0].facility.id if answer.results else None
            state.remember_answer(
                session=session,
                user_id=user.id,
                text=text,
                kind=answer.kind,
                service=answer.service,
                facility_id=first,
            )
        if answer.town and answer.town != known_state.town:
            state.remember_town(session=session, user_id=user.id, town=answer.town)
    log.debug(
        "update %s answered: intent=%s results=%d", update.update_id, answer.intent, len(answer.results)
    )
    await send(update, context, context.render.answer(answer, context.catalog))
