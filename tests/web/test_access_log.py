"""The console's access log: method, route template, status and duration; nothing a person typed."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from bot.web import accounts
from tests.web.conftest import PASSWORD


@pytest.fixture
def access(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO, logger="doorstep.access")
    return caplog


def lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "doorstep.access"]


def test_a_search_is_logged_without_its_words_or_place(
    operator: TestClient, access: pytest.LogCaptureFixture
) -> None:
    """`GET /?q=我在徐泾，想给我爸量血压&place=31.15,121.12` is logged as `GET / 200 …ms`."""
    access.clear()
    response = operator.get("/", params={"q": "我在徐泾，想给我爸量血压", "place": "31.15,121.12"})
    assert response.status_code == 200
    [line] = lines(access)
    method, route, status, duration = line.split(" ")
    assert (method, route, status) == ("GET", "/", "200") and duration.endswith("ms")
    text = "\n".join(r.getMessage() for r in access.records)
    assert "血压" not in text and "31.15" not in text and "121.12" not in text and "徐泾" not in text


def test_the_api_is_logged_by_its_route_template(
    client: TestClient, engine: Engine, access: pytest.LogCaptureFixture
) -> None:
    """A facility id in the path and the question in the query stay out; the route's template is logged."""
    accounts.add_user(engine=engine, name="tool", role="operator", password=PASSWORD)
    headers = {"Authorization": f"Bearer {accounts.issue_token(engine=engine, name='tool')}"}
    access.clear()
    client.get("/api/ask", params={"q": "附近的图书馆", "place": "31.151234,121.109876"}, headers=headers)
    client.get("/api/facilities/no-such-place", headers=headers)
    client.get("/no/such/page?q=31.15,121.12")
    assert [" ".join(line.split(" ")[:3]) for line in lines(access)] == [
        "GET /api/ask 200",
        "GET /api/facilities/{facility_id} 404",
        "GET - 404",
    ]
    text = "\n".join(r.getMessage() for r in access.records)
    assert "图书馆" not in text and "31.15" not in text and "no-such-place" not in text


def test_a_sign_in_is_logged_without_its_form(
    client: TestClient, engine: Engine, access: pytest.LogCaptureFixture
) -> None:
    accounts.add_user(engine=engine, name="wang", role="operator", password=PASSWORD)
    access.clear()
    client.post("/login", data={"username": "wang", "password": PASSWORD}, follow_redirects=False)
    assert [" ".join(line.split(" ")[:3]) for line in lines(access)] == ["POST /login 303"]
    text = "\n".join(r.getMessage() for r in access.records)
    assert PASSWORD not in text and "wang" not in text


def test_the_web_chat_is_logged_without_the_message(
    client: TestClient, access: pytest.LogCaptureFixture
) -> None:
    access.clear()
    client.post("/api/chat", json={"text": "我在31.1512,121.1098 附近的图书馆"})
    client.post("/chat", data={"text": "徐泾的卫生中心"})
    assert [" ".join(line.split(" ")[:3]) for line in lines(access)] == [
        "POST /api/chat 200",
        "POST /chat 200",
    ]
    text = "\n".join(r.getMessage() for r in access.records)
    assert "31.15" not in text and "徐泾" not in text and "图书馆" not in text
