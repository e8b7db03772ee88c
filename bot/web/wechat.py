"""WeChat Official Account (公众号) callback at `/wechat`, with wechatpy, on the conversation core.

    GET  /wechat?signature&timestamp&nonce&echostr     the URL check: echostr back when signed
    POST /wechat?signature&timestamp&nonce[&encrypt_type=aes&msg_signature]   a message

Only requests signed with `WECHAT_TOKEN` and no more than `MAX_SKEW` old are answered (403
otherwise); in safe mode (`WECHAT_ENCODING_AES_KEY` and `WECHAT_APP_ID` set, `encrypt_type=aes`)
the message is decrypted and the reply encrypted. Without `WECHAT_TOKEN` the route is 404.

What arrives becomes a conversation event, keyed by the sender's OpenID:

    text ─► Said     voice with Recognition ─► Said     location (GCJ-02) ─► Located(crs="gcj02")
    subscribe ─► Started     menu click with button data as EventKey ─► Pressed
    image, video, link, voice without text ─► Unreadable     unsubscribe, reported location ─► nothing

The reply is a passive text reply, answered well within WeChat's 5 seconds (`WINDOW`) and within
its length limit (`MAX_REPLY_BYTES`), cut between facilities with how to see the rest. WeChat
sends a message again when it had no answer in time: the store (`memory.Delivery`) makes sure a
MsgId is answered once, across processes; a repeat gets the first answer only when that answer
came too late for WeChat to have shown it, else the empty "success".
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool
from wechatpy import create_reply, parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.events import ClickEvent, SubscribeEvent
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.messages import BaseMessage, LocationMessage, TextMessage, VoiceMessage
from wechatpy.utils import check_signature

from bot.ratelimit import Verdict
from bot.web.residents import Residents, ResidentsDep
from services_catalog.answer import Lang
from services_catalog.conversation import Event, Located, Pressed, Said, Started, Unreadable
from services_catalog.memory import claim_delivery, find_delivery, finish_delivery
from services_catalog.reply import Reply
from services_catalog.reply_text import fit_text, utf8_bytes

log = logging.getLogger(__name__)

CHANNEL = "wechat"
# WeChat gives up on a reply after 5 seconds and asks again; ours leaves in well under that.
WINDOW = 4.0
WECHAT_TIMEOUT = dt.timedelta(seconds=5)
# A passive text reply may hold 2048 bytes; keep room for the XML around it.
MAX_REPLY_BYTES = 2000
MAX_BODY_BYTES = 64 * 1024
MAX_SKEW = 300  # seconds a signed request's timestamp may be off (older: a replay)
SUCCESS = "success"  # WeChat's "nothing to say, do not ask again"

router = APIRouter(tags=["residents"])


@dataclass(frozen=True)
class Account:
    """The Official Account's server settings."""

    token: str
    crypto: WeChatCrypto | None  # safe mode, when the AES key and AppID are set


def account_of(residents: Residents) -> Account:
    """The configured account; 404 when WeChat is not set up."""
    settings = residents.settings
    token = settings.wechat_token.get_secret_value().strip() if settings.wechat_token else ""
    if not token:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "WeChat is not configured")
    key = (
        settings.wechat_encoding_aes_key.get_secret_value().strip()
        if settings.wechat_encoding_aes_key
        else ""
    )
    crypto = None
    if key and settings.wechat_app_id:
        try:
            crypto = WeChatCrypto(token, key, settings.wechat_app_id)
        except (ValueError, AssertionError):  # not a 43-character EncodingAESKey
            log.error("WECHAT_ENCODING_AES_KEY is not a valid EncodingAESKey (43 characters)")
            raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "WeChat is misconfigured") from None
    return Account(token, crypto)


def _verify(account: Account, signature: str, timestamp: str, nonce: str) -> None:
    """403 unless the request is signed with the token and recent."""
    try:
        check_signature(account.token, signature, timestamp, nonce)
    except InvalidSignatureException:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "bad signature") from None
    try:
        age = abs(time.time() - int(timestamp))
    except ValueError:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "bad timestamp") from None
    if age > MAX_SKEW:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "stale request")


Signed = Annotated[str, Query(max_length=128)]


async def signed_account(
    residents: ResidentsDep, signature: Signed = "", timestamp: Signed = "", nonce: Signed = ""
) -> Account:
    """The configured account, for a request signed with its token and recent (404, 403 otherwise)."""
    # async: checking a signature is quick work that needs no worker thread
    account = account_of(residents)
    _verify(account, signature, timestamp, nonce)
    return account


SignedAccount = Annotated[Account, Depends(signed_account)]


@router.get(
    "/wechat",
    response_class=PlainTextResponse,
    include_in_schema=False,
    dependencies=[Depends(signed_account)],
)
def url_check(echostr: Signed = "") -> Response:
    """WeChat's check of the server URL: `echostr` back when the request is signed with the token."""
    return PlainTextResponse(echostr)


@router.post("/wechat", include_in_schema=False)
async def on_message(
    request: Request,
    residents: ResidentsDep,
    account: SignedAccount,
    timestamp: Signed = "",
    nonce: Signed = "",
    encrypt_type: Signed = "",
    msg_signature: Signed = "",
) -> Response:
    """Answer one signed message with a passive text reply, once per message."""
    started = time.monotonic()
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, "message too large")
    aes = encrypt_type.lower() == "aes"
    if aes:
        if account.crypto is None:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, "safe mode is not configured")
        try:
            xml = account.crypto.decrypt_message(body, msg_signature, timestamp, nonce)
        except (InvalidSignatureException, InvalidAppIdException):
            raise HTTPException(status.HTTP_403_FORBIDDEN, "bad message signature") from None
        except Exception:  # not the XML WeChat sends, or not decryptable
            raise HTTPException(status.HTTP_400_BAD_REQUEST, "unreadable message") from None
    else:
        xml = body.decode("utf-8", errors="replace")
    try:
        message = parse_message(xml)
    except Exception:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "unreadable message") from None
    if message is None or not message.source:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "unreadable message")

    text = await _answer_once(residents, message, started)
    if not text:
        return PlainTextResponse(SUCCESS)
    reply_xml = create_reply(text, message).render()
    if aes and account.crypto is not None:
        reply_xml = account.crypto.encrypt_message(reply_xml, nonce, timestamp)
    return Response(reply_xml, media_type="application/xml")


def message_key(message: BaseMessage) -> str:
    """What identifies a message across WeChat's retries: its MsgId, or for an event sender + time."""
    if message.id:
        return f"msg:{message.id}"
    return f"event:{message.source}:{message.time}:{getattr(message, 'event', '')}"


async def _answer_once(residents: Residents, message: BaseMessage, started: float) -> str:
    """The reply text for `message`, made once however often WeChat sends it."""
    engine = residents.engine
    key = message_key(message)
    first = await run_in_threadpool(claim_delivery, engine, CHANNEL, key)
    if not first:
        return await _repeat(residents, message, key, started)
    budget = max(0.5, WINDOW - (time.monotonic() - started))
    work = asyncio.ensure_future(run_in_threadpool(_reply_text, residents, message))
    try:
        text = await asyncio.wait_for(asyncio.shield(work), timeout=budget)
    except TimeoutError:
        # Too slow for WeChat's window: say so now; the answer is kept for WeChat's retry.
        work.add_done_callback(lambda done: _keep(residents, key, done))
        lang = residents.conversation.language(CHANNEL, message.source)
        return residents.locales.t(lang, "wechat.still_working")
    await run_in_threadpool(finish_delivery, engine, CHANNEL, key, text)
    return text


def _keep(residents: Residents, key: str, done: asyncio.Future[str]) -> None:
    if not done.cancelled() and done.exception() is None:
        finish_delivery(residents.engine, CHANNEL, key, done.result())


async def _repeat(residents: Residents, message: BaseMessage, key: str, started: float) -> str:
    """A message seen before: its first answer if WeChat cannot have shown it in time, else nothing."""
    sent = dt.datetime.fromtimestamp(message.time or time.time(), dt.UTC)
    while time.monotonic() - started < WINDOW:
        record = await run_in_threadpool(find_delivery, residents.engine, CHANNEL, key)
        if record is None or record.answered is None:
            await asyncio.sleep(0.2)  # the first arrival is still being answered
            continue
        answered = record.answered if record.answered.tzinfo else record.answered.replace(tzinfo=dt.UTC)
        if answered - sent > WECHAT_TIMEOUT:
            return record.reply or ""  # WeChat gave up on the first answer: this is its retry
        return ""  # answered in time: WeChat had it; a replay gets nothing
    return ""


def event_of(message: BaseMessage) -> Event | None:
    """The conversation event a WeChat message stands for; None for those that need no answer."""
    if isinstance(message, TextMessage):
        return Said(message.content or "")
    if isinstance(message, LocationMessage):
        try:
            lat, lon = float(message.location_x), float(message.location_y)
        except (TypeError, ValueError):
            return Located(float("nan"), float("nan"))
        return Located(lat, lon, crs="gcj02")  # WeChat's Location_X/Y are GCJ-02
    if isinstance(message, VoiceMessage):
        return Said(message.recognition) if message.recognition else Unreadable()
    if isinstance(message, SubscribeEvent):
        return Started()
    if isinstance(message, ClickEvent):
        return Pressed(message.key or "")
    if message.type == "event":
        return None  # unsubscribe, reported locations, views: nothing to say
    return Unreadable()


def _reply_text(residents: Residents, message: BaseMessage) -> str:
    """Run the conversation for one message and write its replies as one WeChat text."""
    event = event_of(message)
    if event is None:
        return ""
    user = message.source[:64]
    conversation = residents.conversation
    lang = conversation.language(CHANNEL, user)
    if residents.per_session.check((CHANNEL, user)) is not Verdict.ALLOW:
        return residents.locales.t(lang, "conversation.rate_limited")
    turn = conversation.handle(CHANNEL, user, event)
    text, shown = wechat_text(turn.replies, residents, turn.lang, welcome=isinstance(event, Started))
    if shown is not None:
        conversation.shown(CHANNEL, user, shown)
    return text


def wechat_text(
    replies: list[Reply], residents: Residents, lang: Lang, *, welcome: bool = False
) -> tuple[str, int | None]:
    """The replies as one text within WeChat's limit; and how many places of the answer it shows,
    when it had to leave some out."""
    t = residents.locales.t
    parts: list[str] = []
    shown: int | None = None
    for reply in replies:
        budget = MAX_REPLY_BYTES - utf8_bytes("\n\n".join(parts)) - 2
        fitted = fit_text(
            reply,
            budget,
            measure=utf8_bytes,
            gap="\n\n" if any(b.facility for b in reply.blocks) else "\n",
            more_note=lambda n, lang=reply.lang: t(lang, "wechat.more", count=n),  # type: ignore[misc]
            cut_note=t(reply.lang, "wechat.cut"),
        )
        text = fitted.text
        if fitted.facilities_cut:
            shown = fitted.facilities_shown
        if reply.asks_location:
            text += "\n" + t(reply.lang, "wechat.ask_location")
        if text:
            parts.append(text)
    if welcome:
        parts.append(t(lang, "conversation.help.commands.wechat"))
    text = "\n\n".join(parts)
    while utf8_bytes(text) > MAX_REPLY_BYTES:  # the notes added last: never past the limit
        text = text[: len(text) - 16]
    return text, shown
