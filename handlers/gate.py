"""The first look at every update: what the bot ignores, and who has to slow down."""

from __future__ import annotations

import logging
import re

from telegram import Message, Update
from telegram.constants import ChatType, MessageEntityType
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop

from bot.ratelimit import Verdict
from handlers.context import BotContext
from handlers.replies import send_notice, user_lang

log = logging.getLogger(__name__)


def addressed_to_bot(message: Message, username: str | None, bot_id: int) -> bool:
    """Whether a group message is meant for the bot: a command, a mention, or a reply to it."""
    if message.chat.type == ChatType.PRIVATE:
        return True
    replied = message.reply_to_message
    if replied is not None and replied.from_user is not None and replied.from_user.id == bot_id:
        return True
    for entity, text in message.parse_entities().items():
        if entity.type == MessageEntityType.BOT_COMMAND and entity.offset == 0:
            return True
        if entity.type == MessageEntityType.MENTION and username and text.lower() == f"@{username.lower()}":
            return True
        if entity.type == MessageEntityType.TEXT_MENTION and entity.user and entity.user.id == bot_id:
            return True
    return False


def without_mention(text: str, username: str | None) -> str:
    """The message text with the bot's @username taken out."""
    if username:
        text = re.sub(rf"@{re.escape(username)}\b", " ", text, flags=re.IGNORECASE)
    return " ".join(text.split())


async def gate(update: Update, context: BotContext) -> None:
    """Stop edited messages, group chatter not meant for the bot, and users over the message limit."""
    if update.message is None and update.callback_query is None:
        raise ApplicationHandlerStop  # edited messages, channel posts, ...: not answered
    message = update.message
    if message is not None and not addressed_to_bot(message, context.bot.username, context.bot.id):
        raise ApplicationHandlerStop
    user = update.effective_user
    if user is None:
        raise ApplicationHandlerStop
    verdict = context.services.limit.check(user.id)
    if verdict is Verdict.ALLOW:
        return
    query = update.callback_query
    if query is not None:
        # Every pressed button is answered, or the phone keeps spinning: the note once, then nothing.
        note = None
        if verdict is Verdict.NOTE:
            note = context.conversation.notice(user_lang(update, context), "rate_limited").lines()[0].text
        try:
            await query.answer(note)
        except TelegramError as err:  # e.g. the query is too old: nothing more to do for this user
            log.info("update %s: could not answer a button: %s", update.update_id, type(err).__name__)
    elif verdict is Verdict.NOTE:
        await send_notice(update, context, "rate_limited")
    raise ApplicationHandlerStop
