"""The error handler: log what failed without what the user said, and apologise with 12345."""

from __future__ import annotations

import logging
import traceback

from telegram import Update
from telegram.error import Forbidden, TelegramError

from handlers.context import BotContext
from handlers.replies import send_notice, user_lang
from services_catalog.answer import Lang

log = logging.getLogger(__name__)


def where_it_failed(error: BaseException) -> str:
    """`file:line` of the innermost frame: enough to find the bug, with nothing the user wrote."""
    frames = traceback.extract_tb(error.__traceback__)
    return f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "?"


async def on_error(update: object, context: BotContext) -> None:
    """Log the exception with the update id only, and send the user an apology with the 12345 hotline."""
    error = context.error
    update_id = update.update_id if isinstance(update, Update) else None
    if error is None:
        return
    if isinstance(error, Forbidden):  # the user blocked the bot: nothing to apologise to
        log.info("update %s: %s", update_id, type(error).__name__)
        return
    if update is None and isinstance(error, TelegramError):  # polling trouble; the library retries
        log.warning("Bot API trouble while polling (%s); retrying", type(error).__name__)
        return
    # The exception's message may quote the user's text or coordinates: keep it out of INFO and above.
    log.error("update %s failed: %s at %s", update_id, type(error).__name__, where_it_failed(error))
    log.debug("update %s traceback", update_id, exc_info=error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    lang: Lang = "zh"
    try:
        lang = user_lang(update, context)
    except Exception:  # the store may be what failed
        log.debug("update %s: language unknown", update_id)
    try:
        await send_notice(update, context, "error", lang=lang)
    except TelegramError as err:
        log.warning("update %s: could not apologise: %s", update_id, type(err).__name__)
