"""The JSON API for hotline tools: bearer tokens, the contract's answer shape, facility filters."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from bot.web import accounts
from services_catalog.answer import Question
from services_catalog.live import LiveFinder
from tests.contract_shapes import ANSWER_KEYS, RESULT_KEYS


@pytest.fixture
def token(engine: Engine) -> str:
    accounts.add_user(engine=engine, name="tool", role="operator", password="tool-password")
    return accounts.issue_token(engine=engine, name="tool")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("path", ["/api/ask?q=看病", "/api/ask", "/api/facilities", "/openapi.json"])
@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic b3A6cGFzc3dvcmQ="}]
)
def test_the_api_refuses_requests_without_a_valid_token(
    client: TestClient, token: str, path: str, headers: dict[str, str]
) -> None:
    response = client.get(path, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["detail"]


def test_a_session_cookie_is_not_an_api_token(operator: TestClient) -> None:
    """The API is for tools: a browser session alone does not open it (no CSRF-able JSON)."""
    assert operator.get("/api/ask", params={"q": "看病"}).status_code == 401


def test_ask_answers_in_the_contract_shape(client: TestClient, token: str) -> None:
    response = client.get("/api/ask", params={"q": "朱家角 看病"}, headers=bearer(token))
    assert response.status_code == 200
    body = response.json()
    assert body.keys() >= ANSWER_KEYS
    assert body["intent"] == "find_facility" and body["kind"] == "clinic" and body["town"] == "朱家角镇"
    assert set(body["location"]) == {"lat", "lon", "source"}
    assert body["results"] and body["results"][0].keys() >= RESULT_KEYS
    assert body["results"][0]["id"] == "clinic-zhujiajiao"
    assert isinstance(body["reply"], str) and body["reply"]


def test_ask_is_the_same_answer_as_the_finder(
    client: TestClient, token: str, bundled_live: LiveFinder
) -> None:
    """No second implementation: the API returns `Answer.to_json()` of the same question."""
    params = {"q": "华新镇 图书馆", "at": "2025-06-07T10:00"}
    body = client.get("/api/ask", params=params, headers=bearer(token)).json()
    expected = bundled_live.finder.answer(
        Question(text="华新镇 图书馆", at=dt.datetime(2025, 6, 7, 10))
    ).to_json()
    assert body == expected


def test_ask_takes_a_place_and_a_moment_with_an_offset(client: TestClient, token: str) -> None:
    """An ISO moment with an offset is read in Asia/Shanghai time (01:30Z is 09:30 in Qingpu)."""
    body = client.get(
        "/api/ask",
        params={"q": "看病", "place": "朱家角镇", "at": "2025-06-04T01:30:00+00:00"},
        headers=bearer(token),
    ).json()
    assert body["results"][0]["id"] == "clinic-zhujiajiao"
    assert body["results"][0]["open_now"] is True
    assert body["location"]["source"] != "none"


@pytest.mark.parametrize("params", [{"q": ""}, {"q": "看病", "at": "tomorrow"}, {"q": "看病", "limit": "0"}])
def test_ask_refuses_bad_parameters(client: TestClient, token: str, params: dict[str, str]) -> None:
    assert client.get("/api/ask", params=params, headers=bearer(token)).status_code == 422


def test_facilities_filter_by_kind_and_town(client: TestClient, token: str) -> None:
    body = client.get(
        "/api/facilities", params={"kind": "clinic", "town": "朱家角镇"}, headers=bearer(token)
    ).json()
    assert body and all(r["kind"] == "clinic" and r["town"] == "朱家角镇" for r in body)
    assert body[0].keys() >= RESULT_KEYS
    everything = client.get("/api/facilities", headers=bearer(token)).json()
    assert len(everything) > len(body)
    libraries = client.get("/api/facilities", params={"kind": "library"}, headers=bearer(token)).json()
    assert libraries and {r["kind"] for r in libraries} == {"library"}


def test_facilities_open_at_keeps_only_what_is_open_then(client: TestClient, token: str) -> None:
    morning = client.get(
        "/api/facilities", params={"kind": "clinic", "open_at": "2025-06-04T09:30"}, headers=bearer(token)
    ).json()
    night = client.get(
        "/api/facilities", params={"kind": "clinic", "open_at": "2025-06-04T23:30"}, headers=bearer(token)
    ).json()
    assert morning and all(r["open_now"] is True for r in morning)
    assert night == []


@pytest.mark.parametrize("params", [{"kind": "casino"}, {"town": "浦东新区"}, {"open_at": "soon"}])
def test_facilities_refuse_unknown_filters(client: TestClient, token: str, params: dict[str, str]) -> None:
    response = client.get("/api/facilities", params=params, headers=bearer(token))
    assert response.status_code == 422
    assert response.json()["detail"]


def test_the_openapi_schema_and_a_local_docs_page_are_served(
    client: TestClient, token: str, engine: Engine
) -> None:
    """FastAPI's CDN-based Swagger and ReDoc are off; /docs is a local page."""
    schema = client.get("/openapi.json", headers=bearer(token)).json()
    assert {"/api/ask", "/api/facilities"} <= set(schema["paths"])
    assert "/" not in schema["paths"] and "/staff/reload" not in schema["paths"]
    assert client.get("/redoc", follow_redirects=False).status_code in (303, 404)
    accounts.add_user(engine=engine, name="reader", role="operator", password="reader-password")
    client.post("/login", data={"username": "reader", "password": "reader-password"})
    docs = client.get("/docs").text
    assert "/api/ask" in docs and "cdn" not in docs.lower()


def test_the_schema_describes_the_contracts_answer_shape(client: TestClient, token: str) -> None:
    """Tools read the shapes from /openapi.json: the answer with its `why`, results with WGS-84 lat/lon."""
    schema = client.get("/openapi.json", headers=bearer(token)).json()
    ask = schema["paths"]["/api/ask"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    answer = schema["components"]["schemas"][ask["$ref"].rsplit("/", 1)[-1]]
    assert set(answer["properties"]) >= ANSWER_KEYS
    result = schema["components"]["schemas"]["ResultJSON"]
    assert set(result["properties"]) >= RESULT_KEYS
    listed = schema["paths"]["/api/facilities"]["get"]["responses"]["200"]["content"]["application/json"]
    assert listed["schema"]["items"]["$ref"].endswith("/ResultJSON")
