"""The WeChat callback with real signed XML built the way WeChat's servers send it.

Signatures and the safe-mode (AES) envelope are made here from WeChat's published algorithm
(SHA-1 of the sorted token, timestamp, nonce [and Encrypt]; AES-256-CBC with the EncodingAESKey,
IV its first 16 bytes, PKCS#7 to 32 bytes, random(16) + length(4, big-endian) + XML + AppID),
independently of wechatpy, which the server uses.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import struct
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.settings import Settings
from bot.web.app import create_app
from services_catalog.coords import wgs84_to_gcj02
from services_catalog.live import LiveFinder
from services_catalog.memory import ConversationRow, Delivery

TOKEN = "doorstep-wechat-token"
APP_ID = "wx1234567890abcdef"
AES_KEY = base64.b64encode(bytes(range(32))).decode().rstrip("=")  # 43 characters, as WeChat shows it
ACCOUNT = "gh_0123456789ab"
OPENID = "oAbCdEfGhIjKlMnOpQrStUvWxYz0"


def sign(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def message_xml(
    msg_type: str, fields: dict[str, str], *, msg_id: int | None = None, sender: str = OPENID, sent: float = 0
) -> str:
    """A message as WeChat posts it to the server."""
    body = "".join(
        f"<{k}>{v}</{k}>" if re.fullmatch(r"-?[\d.]+", v) else f"<{k}><![CDATA[{v}]]></{k}>"
        for k, v in fields.items()
    )
    id_part = f"<MsgId>{msg_id}</MsgId>" if msg_id is not None else ""
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{sender}]]></FromUserName>"
        f"<CreateTime>{int(sent or time.time())}</CreateTime><MsgType><![CDATA[{msg_type}]]></MsgType>"
        f"{body}{id_part}</xml>"
    )


def _aes(key: bytes) -> Cipher[modes.CBC]:
    return Cipher(algorithms.AES(key), modes.CBC(key[:16]))


def encrypt(xml: str) -> str:
    key = base64.b64decode(AES_KEY + "=")
    raw = os.urandom(16) + struct.pack(">I", len(xml.encode())) + xml.encode() + APP_ID.encode()
    pad = 32 - len(raw) % 32
    raw += bytes([pad]) * pad
    encryptor = _aes(key).encryptor()
    return base64.b64encode(encryptor.update(raw) + encryptor.finalize()).decode()


def decrypt(encrypted: str) -> str:
    key = base64.b64decode(AES_KEY + "=")
    decryptor = _aes(key).decryptor()
    raw = decryptor.update(base64.b64decode(encrypted)) + decryptor.finalize()
    raw = raw[: -raw[-1]]
    length = struct.unpack(">I", raw[16:20])[0]
    assert raw[20 + length :].decode() == APP_ID
    return raw[20 : 20 + length].decode()


class WeChat:
    """WeChat's servers, posting to our callback."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def query(self, timestamp: int | None = None, token: str = TOKEN) -> dict[str, str]:
        stamp, nonce = str(timestamp or int(time.time())), str(int.from_bytes(os.urandom(4), "big"))
        return {"signature": sign(token, stamp, nonce), "timestamp": stamp, "nonce": nonce, "openid": OPENID}

    def post(self, xml: str, *, safe: bool = False, **query_kwargs: object) -> tuple[int, str]:
        query = self.query(**query_kwargs)  # type: ignore[arg-type]
        body = xml
        if safe:
            encrypted = encrypt(xml)
            query |= {
                "encrypt_type": "aes",
                "msg_signature": sign(TOKEN, query["timestamp"], query["nonce"], encrypted),
            }
            body = (
                f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
                f"<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
            )
        response = self.client.post(
            "/wechat", params=query, content=body.encode(), headers={"Content-Type": "text/xml"}
        )
        text = response.text
        if safe and response.status_code == 200 and text.startswith("<xml>"):
            envelope = ET.fromstring(text)
            encrypted_reply = envelope.findtext("Encrypt") or ""
            assert envelope.findtext("MsgSignature") == sign(
                TOKEN, envelope.findtext("TimeStamp") or "", envelope.findtext("Nonce") or "", encrypted_reply
            )
            text = decrypt(encrypted_reply)
        return response.status_code, text


def reply_of(xml: str) -> dict[str, str]:
    root = ET.fromstring(xml)
    return {child.tag: child.text or "" for child in root}


@pytest.fixture
def wechat(engine: Engine, bundled_live: LiveFinder) -> Iterator[WeChat]:
    settings = Settings(
        doorstep_secret_key=SecretStr("test"),
        wechat_token=SecretStr(TOKEN),
        wechat_app_id=APP_ID,
        wechat_encoding_aes_key=SecretStr(AES_KEY),
    )
    with TestClient(create_app(settings, bundled_live, engine)) as client:
        yield WeChat(client)


def test_the_url_check_echoes_only_when_signed(wechat: WeChat) -> None:
    """GET with WeChat's signature gets echostr back; a forged one gets 403."""
    query = wechat.query() | {"echostr": "8472651039"}
    assert wechat.client.get("/wechat", params=query).text == "8472651039"
    forged = wechat.query(token="guessed") | {"echostr": "1"}
    assert wechat.client.get("/wechat", params=forged).status_code == 403


def test_a_text_message_is_answered_with_a_library_in_zhujiajiao(wechat: WeChat) -> None:
    """ "朱家角有没有图书馆" gets a well-formed XML text reply, addressed back to the sender."""
    status, xml = wechat.post(message_xml("text", {"Content": "朱家角有没有图书馆"}, msg_id=1001))
    assert status == 200
    reply = reply_of(xml)
    assert (reply["ToUserName"], reply["FromUserName"], reply["MsgType"]) == (OPENID, ACCOUNT, "text")
    assert "朱家角镇" in reply["Content"] and "图书馆" in reply["Content"]
    assert len(reply["Content"].encode()) <= 2048


def test_safe_mode_decrypts_the_message_and_encrypts_the_reply(wechat: WeChat) -> None:
    """In safe mode the same question comes AES-encrypted and the reply goes back encrypted and signed."""
    status, xml = wechat.post(message_xml("text", {"Content": "朱家角有没有图书馆"}, msg_id=1002), safe=True)
    assert status == 200
    reply = reply_of(xml)
    assert reply["ToUserName"] == OPENID and "朱家角镇" in reply["Content"]


def test_forged_and_stale_signatures_get_403_and_no_reply(wechat: WeChat, engine: Engine) -> None:
    """A wrong token, a ten-minute-old timestamp, or a tampered safe-mode body is refused, unanswered."""
    xml = message_xml("text", {"Content": "朱家角有没有图书馆"}, msg_id=1003)
    assert wechat.post(xml, token="guessed")[0] == 403
    assert wechat.post(xml, timestamp=int(time.time()) - 600)[0] == 403
    query = wechat.query() | {"encrypt_type": "aes", "msg_signature": "0" * 40}
    body = f"<xml><Encrypt><![CDATA[{encrypt(xml)}]]></Encrypt></xml>"
    assert wechat.client.post("/wechat", params=query, content=body.encode()).status_code == 403
    with Session(engine) as session:
        assert not list(session.exec(select(Delivery))) and not list(session.exec(select(ConversationRow)))


def test_the_same_msgid_twice_gets_one_answer(wechat: WeChat, engine: Engine) -> None:
    """WeChat's resend of a message it had an answer to gets "success"; the conversation moved once."""
    xml = message_xml("text", {"Content": "朱家角有没有图书馆"}, msg_id=1004)
    first = wechat.post(xml)
    again = wechat.post(xml)
    assert reply_of(first[1])["Content"] and again == (200, "success")
    more = wechat.post(message_xml("text", {"Content": "更多"}, msg_id=1005))
    assert "4. " in reply_of(more[1])["Content"]  # paged from the first answer: it ran once
    with Session(engine) as session:
        assert len(list(session.exec(select(Delivery)))) == 2


def test_a_location_message_in_gcj02_gets_the_nearest(wechat: WeChat) -> None:
    """A question needing a place, then WeChat's location (GCJ-02): the nearest library, from there."""
    _, asked = wechat.post(message_xml("text", {"Content": "附近有图书馆吗"}, msg_id=1006))
    assert "发送位置" in reply_of(asked)["Content"]
    lat, lon = wgs84_to_gcj02(31.1075, 121.0555)  # a point in 朱家角, as WeChat reports it
    fields = {"Location_X": f"{lat:.6f}", "Location_Y": f"{lon:.6f}", "Scale": "15", "Label": "朱家角镇"}
    _, xml = wechat.post(message_xml("location", fields, msg_id=1007))
    content = reply_of(xml)["Content"]
    assert content.startswith("离您发送的位置最近的图书馆") and "1. 青浦区图书馆朱家角分馆" in content
    assert re.search(r"距离1\.[0-9]公里", content)  # ~1.3 km from the town centre point, not 0.6 or 1.9


def test_subscribe_voice_and_images(wechat: WeChat) -> None:
    """Following gets a welcome saying what Doorstep does; recognised speech is read; a photo gets a note."""
    _, welcome = wechat.post(message_xml("event", {"Event": "subscribe", "EventKey": ""}))
    assert "家门口" in reply_of(welcome)["Content"] and "位置" in reply_of(welcome)["Content"]
    voice = {"MediaId": "m1", "Format": "amr", "Recognition": "朱家角有没有图书馆"}
    _, spoken = wechat.post(message_xml("voice", voice, msg_id=1008))
    assert "朱家角镇" in reply_of(spoken)["Content"]
    photo = {"PicUrl": "http://mmbiz.qpic.cn/x", "MediaId": "m2"}
    _, note = wechat.post(message_xml("image", photo, msg_id=1009))
    assert "只看得懂文字和位置" in reply_of(note)["Content"]
    assert wechat.post(message_xml("event", {"Event": "unsubscribe", "EventKey": ""})) == (200, "success")


def test_a_long_answer_is_cut_between_places_within_the_limit(wechat: WeChat) -> None:
    """Eight places do not fit 2048 bytes: whole places are shown, then how many more; "更多" goes on
    from the first one left out."""
    wechat.post(message_xml("text", {"Content": "你好"}, msg_id=1010))
    residents = wechat.client.app.state.residents  # type: ignore[attr-defined]
    residents.conversation.page_size = 8  # a longer page than WeChat's text can hold
    _, xml = wechat.post(message_xml("text", {"Content": "朱家角有没有图书馆"}, msg_id=1011))
    content = reply_of(xml)["Content"]
    numbers = [int(n) for n in re.findall(r"^(\d+)\. ", content, re.M)]
    assert len(content.encode()) <= 2048 and numbers == list(range(1, len(numbers) + 1)) and len(numbers) < 8
    assert re.search(r"还有 \d+ 个没显示，回复“更多”查看", content)
    _, xml = wechat.post(message_xml("text", {"Content": "更多"}, msg_id=1012))
    assert re.findall(r"^(\d+)\. ", reply_of(xml)["Content"], re.M)[0] == str(len(numbers) + 1)


class SlowCore:
    """The real core, taking longer than WeChat waits (a store under load, say)."""

    def __init__(self, live: LiveFinder, seconds: float) -> None:
        self.live, self.seconds = live, seconds

    @property
    def finder(self) -> object:
        return self.live.finder

    def answer(self, question: object) -> object:
        time.sleep(self.seconds)
        return self.live.answer(question)  # type: ignore[arg-type]


def test_a_slow_answer_is_not_lost_to_the_five_second_window(
    wechat: WeChat, bundled_live: LiveFinder
) -> None:
    """Too slow for WeChat's 5 s: a short note goes out in time, and WeChat's retry gets the answer."""
    wechat.post(message_xml("text", {"Content": "你好"}, msg_id=1020))
    conversation = wechat.client.app.state.residents.conversation  # type: ignore[attr-defined]
    conversation.core = SlowCore(bundled_live, 4.5)
    xml = message_xml("text", {"Content": "朱家角有没有图书馆"}, msg_id=1021, sent=time.time() - 1)
    _, first = wechat.post(xml)
    assert "请过几秒再发一次" in reply_of(first)["Content"]
    time.sleep(1.0)  # the answer is ready now, later than WeChat waited for it
    _, retry = wechat.post(xml)
    assert "朱家角镇" in reply_of(retry)["Content"]


def test_without_a_token_the_callback_is_not_there(client: TestClient) -> None:
    """A deployment without WECHAT_TOKEN has no /wechat."""
    assert client.get("/wechat", params={"echostr": "1"}).status_code == 404
    assert client.post("/wechat", content=b"<xml/>").status_code == 404
