"""The Telegram bot: `build_application` wires the handlers, `run_bot` runs them until stopped.

getUpdates or the webhook ─► the store (bot.updates): recorded before Telegram hears it arrived
updates ─► ExactlyOnceApplication (bot.delivery): answered only if this process's to answer
        ─► gate (group -1: edited, group chatter, per-user limit shared through the store)
        ─► commands / text / location / media / buttons (handlers/): the update as an event
        ─► Conversation.handle("telegram", user id, event) ─► Finder.answer() ─► reply model
        ─► handlers/render.py (HTML and keyboards) ─► planned, kept, then sent (retried in transit)
        ─► Bot API

From start to shutdown a background task (handlers/housekeeping.py) beats the process's heart,
takes over updates of processes that died, picks up a newly imported catalogue, and deletes
what is kept no longer (one instance at a time), in worker threads.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import secrets
import sys
from typing import Any, cast
from urllib.parse import urlsplit

from sqlalchemy import Engine
from telegram import BotCommand, Update
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ExtBot,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest, HTTPXRequest

from bot.delivery import ExactlyOnceApplication, RecordingBot, TransientRetries
from bot.limits import make_limit
from bot.logs import configure_logging as base_logging
from bot.serving import freeze_loaded
from bot.settings import Settings
from bot.updates import UpdateLog, bot_id_of
from bot.webhook import serve_webhook
from handlers import housekeeping
from handlers.callbacks import on_button
from handlers.commands import cmd_help, cmd_hotline, cmd_lang, cmd_start
from handlers.context import BotContext, BotData, Core, Services
from handlers.errors import on_error
from handlers.gate import gate
from handlers.location import on_location
from handlers.render import Renderer
from handlers.text import on_media, on_text
from locales import default_locales
from services_catalog.conversation import Conversation
from services_catalog.memory import create_memory_tables

log = logging.getLogger(__name__)

DoorstepApplication = Application[ExtBot[Any], BotContext, dict[Any, Any], dict[Any, Any], BotData, Any]

# Edited messages are not answered, so they are not even asked for.
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]
# Outgoing requests Telegram refused with "retry after" are tried this many more times.
SEND_RETRIES = 3
_MESSAGE = filters.UpdateType.MESSAGE
_UNREADABLE = (
    filters.Sticker.ALL
    | filters.PHOTO
    | filters.VOICE
    | filters.AUDIO
    | filters.VIDEO
    | filters.VIDEO_NOTE
    | filters.ANIMATION
    | filters.Document.ALL
    | filters.CONTACT
    | filters.POLL
    | filters.Dice.ALL
)


class _ShortTelegramErrors(logging.Filter):
    """Shorten the Telegram library's tracebacks for Bot API trouble (502 pages, 429s) to one line.

    The library logs them with a full traceback although it retries them, or `run_bot` reports
    them in one line itself; errors in Doorstep's own code keep their tracebacks.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        about_the_api = record.name.startswith("telegram.request") or isinstance(error, TelegramError)
        if error is not None and record.name.startswith("telegram") and about_the_api:
            record.msg = f"{record.msg} [{type(error).__name__}]"  # a class name holds no "%"
            record.exc_info = None
            record.exc_text = None
        return True


def configure_logging() -> None:
    """INFO to stderr (`bot.logs`), with short lines for Bot API trouble."""
    base_logging()
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, _ShortTelegramErrors) for f in handler.filters):
            handler.addFilter(_ShortTelegramErrors())


def _token(settings: Settings) -> str:
    return settings.telegram_bot_token.get_secret_value().strip() if settings.telegram_bot_token else ""


def build_application(
    settings: Settings,
    live: Core,
    engine: Engine,
    *,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
) -> DoorstepApplication:
    """The bot's `Application` with every handler registered (not yet started)."""
    token = _token(settings)
    if not token:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    create_memory_tables(engine)
    updates = UpdateLog(engine, bot_id_of(token))
    bot = RecordingBot(
        token,
        base_url=settings.telegram_api_base_url,
        request=request or HTTPXRequest(connection_pool_size=256),
        get_updates_request=get_updates_request or HTTPXRequest(connection_pool_size=1),
        rate_limiter=TransientRetries(max_retries=SEND_RETRIES),
        updates=updates,
    )
    builder = (
        ApplicationBuilder()
        .application_class(ExactlyOnceApplication)
        .bot(bot)
        .context_types(ContextTypes(context=BotContext, bot_data=BotData))
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
    )
    application = cast(DoorstepApplication, builder.build())
    locales = default_locales()
    ttl = dt.timedelta(minutes=settings.doorstep_location_ttl_minutes)
    application.bot_data.services = Services(
        settings=settings,
        live=live,
        engine=engine,
        # The housekeeping purges for every process, one at a time (bot.upkeep): not each conversation.
        conversation=Conversation.in_store(live, engine, locales=locales, location_ttl=ttl, purges=False),
        render=Renderer(locales),
        limit=make_limit(engine, "telegram", settings.doorstep_user_rate_per_minute),
        updates=updates,
    )
    application.add_handler(TypeHandler(Update, gate), group=-1)
    application.add_handlers(
        [
            CommandHandler("start", cmd_start, filters=_MESSAGE),
            CommandHandler("help", cmd_help, filters=_MESSAGE),
            CommandHandler("lang", cmd_lang, filters=_MESSAGE),
            CommandHandler("hotline", cmd_hotline, filters=_MESSAGE),
            MessageHandler(_MESSAGE & filters.COMMAND & filters.ChatType.PRIVATE, cmd_help),
            MessageHandler(_MESSAGE & filters.LOCATION, on_location),
            MessageHandler(_MESSAGE & filters.TEXT & ~filters.COMMAND, on_text),
            MessageHandler(_MESSAGE & _UNREADABLE, on_media),
            CallbackQueryHandler(on_button),
        ]
    )
    application.add_error_handler(on_error)
    return application


async def _post_init(application: DoorstepApplication) -> None:
    """Start the housekeeping task, and publish the command menu (a failure there must not stop the bot)."""
    services = BotContext.services_of(application)

    async def enqueue(payload: dict[str, Any]) -> None:  # an update taken over from a dead process
        await application.update_queue.put(Update.de_json(payload, application.bot))

    housekeeping.start(services, enqueue)
    render = services.render
    try:
        for lang, code in (("zh", None), ("en", "en")):
            commands = [
                BotCommand(name, render.t(lang, f"commands.{name}"))
                for name in ("start", "help", "lang", "hotline")
            ]
            await application.bot.set_my_commands(commands, language_code=code)
    except TelegramError as err:
        log.warning("could not set the command menu: %s", type(err).__name__)


async def _post_shutdown(application: DoorstepApplication) -> None:
    """Stop the housekeeping task."""
    await housekeeping.stop(BotContext.services_of(application))


async def _check_token(settings: Settings) -> str | None:
    """None when the Bot API accepts the token, else one line saying what is wrong."""
    from telegram import Bot

    try:
        async with Bot(_token(settings), base_url=settings.telegram_api_base_url) as bot:
            log.info("signed in as @%s", bot.username)
    except InvalidToken:
        return "Telegram rejected TELEGRAM_BOT_TOKEN; get a valid token from @BotFather"
    except NetworkError as err:
        return f"cannot reach the Telegram Bot API at {settings.telegram_api_base_url}: {err}"
    except TelegramError as err:
        return f"the Telegram Bot API refused to start the bot: {err}"
    return None


def run_bot(
    settings: Settings,
    live: Core,
    engine: Engine,
    *,
    webhook_url: str | None,
    listen: str,
    port: int,
    secret_token: str | None,
) -> int:
    """Run the bot until SIGINT/SIGTERM: long polling, or a webhook server when `webhook_url` is given.

    The webhook server accepts only requests carrying `secret_token` (Telegram sends it with each
    update); without one a random secret is made for this run.
    """
    if not _token(settings):
        print("doorstep bot: TELEGRAM_BOT_TOKEN is not set (get one from @BotFather)", file=sys.stderr)
        return 2
    configure_logging()
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    problem = loop.run_until_complete(_check_token(settings))
    if problem is not None:
        loop.close()
        print(f"doorstep bot: {problem}", file=sys.stderr)
        return 1
    application = build_application(settings, live, engine)
    # Notes for staff are written every few seconds by the housekeeping, not while a resident waits.
    notes = getattr(live, "notes", None)
    if notes is not None:
        notes.deferred = True
    freeze_loaded()
    if webhook_url and not secret_token:
        # Without a secret anyone who finds the URL could post updates in any user's name.
        secret_token = secrets.token_urlsafe(32)
        log.info(
            "no --secret-token given: using a random webhook secret for this run "
            "(give every instance behind one webhook the same --secret-token)"
        )
    try:
        if webhook_url:
            services = BotContext.services_of(application)
            assert services.updates is not None
            loop.run_until_complete(
                serve_webhook(
                    application,
                    services.updates,
                    listen=listen,
                    port=port,
                    path=urlsplit(webhook_url).path.lstrip("/"),
                    webhook_url=webhook_url,
                    secret=secret_token or "",
                    allowed_updates=ALLOWED_UPDATES,
                )
            )
        else:
            application.run_polling(allowed_updates=ALLOWED_UPDATES, bootstrap_retries=3)
    except InvalidToken:
        print(
            "doorstep bot: Telegram rejected TELEGRAM_BOT_TOKEN; get a valid token from @BotFather",
            file=sys.stderr,
        )
        return 1
    return 0
