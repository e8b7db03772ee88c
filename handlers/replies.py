"""The one path every update takes: Telegram update → event → `Conversation` → replies → Bot API.

`converse` hands an event to the conversation core for the user behind the update and sends the
turn's replies: a map point as a venue, everything else as an HTML message. A pressed button is
answered once (with the reply's text as a short note when the reply is a brief acknowledgement).
"""

from __future__ import annotations

import logging

from telegram import LinkPreviewOptions, Message, ReplyParameters, Update, User
from telegram.constants import ChatType, ParseMode

from handlers.context import BotContext
from handlers.render import TelegramMessage
from services_catalog.answer import Lang
from services_catalog.conversation import Event, Turn
from services_catalog.reply import Reply

log = logging.getLogger(__name__)

CHANNEL = "telegram"
_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def user_key(user: User) -> str:
    """The key a Telegram user's conversation is kept under."""
    return str(user.id)


def user_lang(update: Update, context: BotContext) -> Lang:
    """The language to answer in: the one chosen, else Telegram's, else Chinese."""
    user = update.effective_user
    if user is None:
        return "zh"
    return context.conversation.language(CHANNEL, user_key(user), user.language_code)


async def converse(update: Update, context: BotContext, event: Event) -> Turn | None:
    """Hand `event` to the conversation for the user behind `update`, and send what it replies."""
    user = update.effective_user
    if user is None:
        return None
    turn = context.conversation.handle(CHANNEL, user_key(user), event, lang_hint=user.language_code)
    answer = turn.answer
    if answer is not None:
        log.debug(
            "update %s answered: intent=%s results=%d", update.update_id, answer.intent, len(answer.results)
        )
    await deliver(update, context, turn.replies)
    return turn


async def deliver(update: Update, context: BotContext, replies: list[Reply]) -> None:
    """Send `replies` in order; a pressed button gets its answer first (or the brief note as it)."""
    query = update.callback_query
    if query is not None:
        brief = replies[0] if replies and replies[0].brief else None
        note = " ".join(line.text for line in brief.lines("buttons")) if brief else None
        await query.answer(note[:200] if note else None)
        if brief is not None:
            replies = replies[1:]
    for reply in replies:
        await send_reply(update, context, reply)


async def send_reply(update: Update, context: BotContext, reply: Reply) -> Message | None:
    """One reply: a venue for a map point, else a message."""
    chat = update.effective_chat
    if chat is None:
        return None
    if reply.venue is not None:
        venue = reply.venue
        message = context.render.final(TelegramMessage(venue.title), context.catalog)
        address = context.render.final(TelegramMessage(venue.address), context.catalog)
        return await context.bot.send_venue(
            chat_id=chat.id,
            latitude=venue.lat,
            longitude=venue.lon,
            title=message.text[:256],
            address=address.text[:256],
        )
    return await send(update, context, context.render.message(reply))


async def send(update: Update, context: BotContext, message: TelegramMessage) -> Message | None:
    """Send `message` to the chat of `update` (in groups, as a reply to the user's message).

    Every message the bot sends goes through here, and so through `Renderer.final`: no link
    outside the catalogue's allowlist leaves.
    """
    chat = update.effective_chat
    if chat is None:
        return None
    message = context.render.final(message, context.catalog)
    reply_to = None
    if update.message is not None and chat.type != ChatType.PRIVATE:
        reply_to = ReplyParameters(update.message.message_id, allow_sending_without_reply=True)
    return await context.bot.send_message(
        chat_id=chat.id,
        text=message.text,
        parse_mode=ParseMode.HTML,
        reply_markup=message.markup,
        link_preview_options=_NO_PREVIEW,
        reply_parameters=reply_to,
    )


async def send_notice(update: Update, context: BotContext, key: str, *, lang: Lang | None = None) -> None:
    """Send one of the conversation's notices (`conversation.<key>`) in the user's language."""
    reply = context.conversation.notice(lang or user_lang(update, context), key)
    await send(update, context, context.render.message(reply))
