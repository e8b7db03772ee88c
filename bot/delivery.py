"""Each Telegram update answered once: recorded before it is answered, sends retried in transit.

    getUpdates / webhook ─► UpdateLog.record (store)  ─► Telegram is told it arrived
    ExactlyOnceApplication.process_update ─► UpdateLog.begin: this process's to answer?
        ─► the handlers (gate, commands, text …) ─► handlers.replies plans the messages
        ─► send_planned: each message kept, then sent (retried in transit), then marked sent
        ─► UpdateLog.finish

`TransientRetries` is the Bot API rate limiter (python-telegram-bot's `AIORateLimiter`: flood
limits and `retry_after`) plus retries, with growing pauses, of a request that failed in transit:
a connection refused or dropped before an answer, a proxy's 502/503/504. A request that timed out
waiting for Telegram's answer is NOT sent again: Telegram may well have delivered it (the resident
then gets the message once, never twice), and `may_have_arrived` tells the error handler so,
which then does not apologise for a reply the resident probably has.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

import httpx
from telegram import Bot, Update
from telegram.error import NetworkError, TelegramError, TimedOut
from telegram.ext import AIORateLimiter, Application, ExtBot

from bot.updates import Claim, Outgoing, UpdateLog

log = logging.getLogger(__name__)

ANSWER_BUTTON = "answerCallbackQuery"
# A request that failed in transit is tried this many more times, after 0.5, 1, 2, 4 s.
TRANSIENT_RETRIES = 4
FIRST_PAUSE = 0.5
_NOT_SENT = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.WriteError,
    httpx.WriteTimeout,
)
# The connection ended without an answer: most often a kept-alive connection the other side had
# already closed, so the request never arrived.
_DROPPED = (httpx.RemoteProtocolError, httpx.ReadError)


def in_transit(error: BaseException) -> bool:
    """Whether a Bot API request failed before Telegram could have acted on it (so: send it again)."""
    if not isinstance(error, NetworkError):
        return False
    cause = error.__cause__
    if isinstance(error, TimedOut):
        return isinstance(cause, _NOT_SENT)  # a read timeout: it may have arrived
    if isinstance(cause, httpx.HTTPError):
        return isinstance(cause, _NOT_SENT + _DROPPED)
    # No transport error behind it: the server (or the proxy in front of it) answered with an
    # error status such as 502 Bad Gateway, whose body may not even be JSON.
    return True


def may_have_arrived(error: BaseException) -> bool:
    """Whether a failed request may nonetheless have been delivered (its answer timed out)."""
    return isinstance(error, TimedOut) and not in_transit(error)


class TransientRetries(AIORateLimiter):
    """`AIORateLimiter`, and requests that failed in transit tried again with growing pauses."""

    def __init__(
        self, *args: Any, retries: int = TRANSIENT_RETRIES, first_pause: float = FIRST_PAUSE, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.retries = retries
        self.first_pause = first_pause

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """Make the request; on an error in transit wait and try again, at most `retries` times."""
        pause = self.first_pause
        for attempt in range(self.retries + 1):
            try:
                return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
            except NetworkError as err:
                if attempt == self.retries or not in_transit(err):
                    raise
                log.warning(
                    "%s failed in transit (%s); trying again in %.1f s", endpoint, type(err).__name__, pause
                )
                await asyncio.sleep(pause)
                pause *= 2
        raise AssertionError("unreachable")


async def send_planned(bot: Bot, updates: UpdateLog | None, update_id: int, messages: list[Outgoing]) -> None:
    """Send `messages` for an update in order: each kept as planned, then sent, then marked sent.

    Without a log (no store) they are simply sent. When the store cannot keep the bookkeeping the
    messages are sent all the same (an answer now beats an answer exactly once), and it is logged.
    """
    first = 0
    if updates is not None:
        first = await _keep(updates.plan, update_id, messages) or 0
    for number, message in enumerate(messages, start=first + 1):
        if updates is not None:
            updates.attempt(update_id)
            await _keep(updates.sending, update_id, number)
        try:
            await _perform(bot, message)
        except TelegramError as err:
            if message.method != ANSWER_BUTTON:
                raise
            # Only the phone's spinner (the query may be too old to answer): the replies go on.
            log.info("update %s: could not answer the button: %s", update_id, type(err).__name__)
        if updates is not None:
            await _keep(updates.sent, update_id, number)


async def _keep(step: Callable[..., Any], *args: Any) -> Any:
    """Run one bookkeeping step in a thread; a failing store is logged, not raised."""
    try:
        return await asyncio.to_thread(step, *args)
    except Exception as err:
        log.warning("update %s: could not keep its sending in the store: %s", args[0], type(err).__name__)
        return None


async def _perform(bot: Bot, message: Outgoing) -> Any:
    """Make one planned Bot API call (nested objects travel as the JSON they were planned as)."""
    params = dict(message.params)
    chat_id = params.pop("chat_id", None)
    match message.method:
        case "sendMessage":
            return await bot.send_message(chat_id=chat_id, text=params.pop("text"), api_kwargs=params)
        case "sendVenue":
            return await bot.send_venue(
                chat_id=chat_id,
                latitude=params.pop("latitude"),
                longitude=params.pop("longitude"),
                title=params.pop("title"),
                address=params.pop("address"),
                api_kwargs=params,
            )
        case "answerCallbackQuery":
            return await bot.answer_callback_query(params.pop("callback_query_id"), api_kwargs=params)
    raise ValueError(f"no such planned call: {message.method}")


class ExactlyOnceApplication(Application):  # type: ignore[type-arg]  # parametrised where it is built
    """An `Application` that answers an update only when the store says it is this process's to answer.

    An update answered before, or being answered by a live process, is skipped. One taken over
    from a dead process continues where that one stopped: planned messages not yet sent are sent,
    and the conversation is not asked again (it already took its turn).
    """

    _answering: set[int]

    async def process_update(self, update: object) -> None:
        """Process `update` once across processes (other objects, such as errors, as usual)."""
        updates = self._update_log()
        if not isinstance(update, Update) or updates is None:
            await super().process_update(update)
            return
        answering = self.__dict__.setdefault("_answering", set())
        update_id = update.update_id
        if update_id in answering:  # the same update queued twice in this process
            return
        answering.add(update_id)
        try:
            try:
                claim = await asyncio.to_thread(updates.begin, update_id, update.to_dict())
            except Exception as err:  # the store is unreachable: answer anyway, once as far as we know
                log.warning(
                    "update %s: the store could not record it (%s); answering it",
                    update_id,
                    type(err).__name__,
                )
                await super().process_update(update)
                return
            if claim is None:
                log.info("update %s: answered already, or being answered elsewhere", update_id)
                return
            try:
                if claim.planned:
                    await self._continue(updates, claim)
                else:
                    await super().process_update(update)
            finally:
                await _keep(updates.finish, update_id)
        finally:
            answering.discard(update_id)

    async def _continue(self, updates: UpdateLog, claim: Claim) -> None:
        """Send what a dead process planned and had not sent; one it was sending is left out."""
        remaining = list(claim.outgoing[claim.sending :])
        skipped = claim.sending - claim.sent
        log.info(
            "update %s: taken over; %d message(s) to send, %d left out (perhaps sent)",
            claim.update_id,
            len(remaining),
            skipped,
        )
        for number, message in enumerate(remaining, start=claim.sending + 1):
            await _keep(updates.sending, claim.update_id, number)
            try:
                await _perform(self.bot, message)
            except TelegramError as err:  # given up on (retried in transit already): on to the next
                log.warning(
                    "update %s: could not send a planned message: %s", claim.update_id, type(err).__name__
                )
            await _keep(updates.sent, claim.update_id, number)

    def _update_log(self) -> UpdateLog | None:
        services = getattr(self.bot_data, "services", None)
        return getattr(services, "updates", None)


class RecordingBot(ExtBot[None]):
    """An `ExtBot` whose getUpdates keeps every update in the store before handing it on.

    python-telegram-bot confirms fetched updates to Telegram with the next getUpdates; by then
    they are in the store, so a process killed with updates still queued loses none of them
    (another process, or this one restarted, takes them over). When the store cannot record them
    they are not handed on, and so not confirmed: Telegram sends them again.
    """

    def __init__(self, *args: Any, updates: UpdateLog | None = None, **kwargs: Any) -> None:
        self._doorstep_updates = updates  # set before the bot freezes its attributes
        super().__init__(*args, **kwargs)

    async def get_updates(self, *args: Any, **kwargs: Any) -> tuple[Update, ...]:
        """Fetch updates, and record them (all or none) before returning them."""
        found = await super().get_updates(*args, **kwargs)
        updates = self._doorstep_updates
        if found and updates is not None:
            try:
                for update in found:
                    await asyncio.to_thread(updates.record, update.update_id, update.to_dict())
            except Exception as err:
                log.warning("could not record fetched updates in the store: %s", type(err).__name__)
                raise NetworkError("the store could not record the fetched updates") from err
        return found
