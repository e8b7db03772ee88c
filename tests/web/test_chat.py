"""The residents' web chat through the framework's test client: `/chat` without JavaScript, `/api/chat`."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from services_catalog.memory import ConversationRow
from tests.contract_shapes import ANSWER_KEYS, RESULT_KEYS
from tests.web.conftest import ClientFor

ZHUJIAJIAO = {"lat": 31.1075, "lon": 121.0555}  # WGS-84, near the town centre
MESSAGE_KEYS = {"text", "buttons", "asks_location"}


def visible_text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_page_works_without_sign_in_or_javascript(client: TestClient) -> None:
    """GET /chat greets in Chinese with the common needs as buttons of a plain form; nothing is kept yet."""
    page = client.get("/chat")
    assert page.status_code == 200 and "家门口" in page.text
    assert '<form method="post" action="/chat#latest"' in page.text
    assert 'name="button" value="k:library"' in page.text
    assert "doorstep_chat" not in page.headers.get("set-cookie", "")
    assert "http://" not in page.text and "https://" not in page.text  # no CDN, nothing remote


def test_a_question_then_a_town_button_answers_with_the_places(client: TestClient) -> None:
    """ "附近有图书馆吗" asks where (with the 11 towns as buttons); pressing 朱家角镇 answers it."""
    asked = client.post("/chat", data={"text": "附近有图书馆吗"})
    assert asked.status_code == 200
    assert "请告诉我您在哪里" in asked.text and 'value="t:朱家角镇"' in asked.text
    answered = client.post("/chat", data={"button": "t:朱家角镇"})
    text = visible_text(answered.text)
    assert "朱家角镇的图书馆" in text and "青浦区图书馆朱家角分馆" in text
    assert 'href="tel:12345"' in answered.text  # the number to call is one tap away


def test_the_session_is_a_random_id_in_an_httponly_samesite_cookie(
    client: TestClient, engine: Engine
) -> None:
    """The cookie holds only a random conversation id; the store keys the memory by it."""
    response = client.post("/chat", data={"text": "朱家角有没有图书馆"})
    cookie = response.headers["set-cookie"]
    session = re.match(r"doorstep_chat=([A-Za-z0-9_-]+);", cookie)
    assert session and len(session[1]) >= 22
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    with Session(engine) as db:
        rows = list(db.exec(select(ConversationRow)))
    assert [(r.channel, r.user) for r in rows] == [("web", session[1])]


def test_the_api_answers_in_the_contracts_shape(client: TestClient) -> None:
    """POST /api/chat: session, messages with text/buttons/asks_location, and the ask --json answer."""
    body = {"session": None, "text": "附近有图书馆吗", "lat": None, "lon": None, "button": None, "lang": None}
    first = client.post("/api/chat", json=body).json()
    assert set(first) == {"session", "messages", "answer"}
    assert all(set(m) == MESSAGE_KEYS for m in first["messages"])
    assert first["messages"][-1]["asks_location"] is True
    assert set(first["answer"]) >= ANSWER_KEYS and first["answer"]["needs_location"] is True
    client.cookies.clear()  # an embedding page keeps the session in the body, not a cookie
    second = client.post("/api/chat", json={"session": first["session"], **ZHUJIAJIAO}).json()
    assert second["session"] == first["session"]
    answer = second["answer"]
    assert answer["location"]["source"] == "coordinates" and answer["results"][0]["town"] == "朱家角镇"
    assert set(answer["results"][0]) >= RESULT_KEYS
    data = [b["data"] for b in second["messages"][-1]["buttons"]]
    assert any(d.startswith("v:") for d in data) and any(d.startswith("m:") for d in data)
    more = client.post("/api/chat", json={"session": first["session"], "button": data[-1]}).json()
    assert "4. " in more["messages"][-1]["text"]


def test_a_forged_button_and_ten_thousand_characters_get_polite_answers(client: TestClient) -> None:
    """A made-up button is "expired"; a 10,000-character text is cut and answered; nothing breaks."""
    forged = client.post("/api/chat", json={"button": "v:../../etc/passwd<script>"})
    assert forged.status_code == 200
    assert "失效" in forged.json()["messages"][0]["text"]
    huge = client.post("/api/chat", json={"text": "图书馆" * 3334})
    assert huge.status_code == 200 and huge.json()["messages"][0]["text"]
    bad = client.post("/api/chat", json={"lat": 999, "lon": "x"})
    assert bad.status_code == 422  # not numbers: the schema says what is wrong
    far = client.post("/api/chat", json={"lat": 999, "lon": 1})
    assert far.status_code == 200 and "读不出来" in far.json()["messages"][0]["text"]


def test_english_is_a_switch_away(client: TestClient) -> None:
    """ "lang": "en" switches once and answers follow in English; the page switch does the same."""
    first = client.post("/api/chat", json={"lang": "en", "text": "library in Zhujiajiao"}).json()
    assert first["messages"][0]["text"].startswith("OK, I will answer in English")
    assert first["messages"][1]["text"].startswith("library in Zhujiajiao Town")
    again = client.post("/api/chat", json={"session": first["session"], "lang": "en", "text": "more"}).json()
    assert len(again["messages"]) == 1  # no second confirmation
    page = client.post("/chat", data={"lang": "zh"})
    assert "好的，以后用中文回答您" in page.text and 'lang="zh-CN"' in page.text


def test_replies_escape_everything(client: TestClient) -> None:
    """Words typed with markup come back escaped on the page, never as markup."""
    page = client.post("/chat", data={"text": "<script>alert(1)</script> & 图书馆"})
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; 图书馆" in page.text


def test_one_client_is_slowed_down_politely(client_for: ClientFor, bundled_live: object) -> None:
    """Past 20 messages a minute a session gets 429 with a message saying to wait."""
    client = client_for(bundled_live)  # type: ignore[arg-type]
    statuses = [client.post("/api/chat", json={"text": "你好"}).status_code for _ in range(22)]
    assert statuses[:20] == [200] * 20 and statuses[20:] == [429, 429]
    limited = client.post("/api/chat", json={"text": "你好"})
    assert "稍等" in limited.json()["messages"][0]["text"]


def test_the_api_can_be_called_from_another_site_without_cookies(client: TestClient) -> None:
    """A 随申办 page or a kiosk may post JSON from its own origin (the session travels in the body)."""
    preflight = client.options("/api/chat", headers={"Origin": "https://example.org"})
    assert preflight.status_code == 204 and preflight.headers["access-control-allow-origin"] == "*"
    response = client.post("/api/chat", json={"text": "你好"}, headers={"Origin": "https://example.org"})
    assert response.headers["access-control-allow-origin"] == "*"


def test_every_sentence_of_the_chat_page_exists_in_both_languages() -> None:
    """Each `tr('…')` of the chat templates is a webchat.* sentence in Chinese and in English."""
    from pathlib import Path

    from locales import default_locales

    locales = default_locales()
    templates = Path(__file__).resolve().parents[2] / "bot" / "web" / "templates"
    used = set()
    for name in ("chat.html", "chat_messages.html"):
        used |= set(re.findall(r"\btr\('([a-z_.]+)'", (templates / name).read_text(encoding="utf-8")))
    assert len(used) > 10
    assert [
        k for k in sorted(used) if not all(locales.has(lang, f"webchat.{k}") for lang in ("zh", "en"))
    ] == []
    zh = {k for k in locales.keys("zh") if k.startswith(("webchat.", "conversation.", "core."))}
    en = {k for k in locales.keys("en") if k.startswith(("webchat.", "conversation.", "core."))}
    assert zh == en
