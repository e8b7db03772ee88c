"""Input the console cannot use: a place it cannot find, impossible moments, mangled links.

Whatever an operator types or a stale link carries, the answer is a page that says what was
wrong (or a 422 from the API that says so), never a 500 and never a silent guess.
"""

from __future__ import annotations

import html
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from bot.web import accounts
from bot.web.render import resolve_place
from services_catalog.answer import Where
from tests.web.conftest import rows_of

UNFINDABLE = ["999,999", "火星", "nan,nan", "inf,-inf", "-91,0", "1e400,1", "31.1,121.1.1"]
BROKEN_MOMENTS = [
    "garbage",
    "9999-99-99",
    "2025-06-07T25:00",
    "0001-01-01",  # the next opening would be worked out before year 1
    "9999-12-31T23:59",  # ... or after year 9999
    "0001-01-01T00:00+14:00",  # no Shanghai time at all
    "9999-12-31T23:59-14:00",
    "1850-06-01T09:00",  # a date-time, but centuries from any opening hours
]


@pytest.fixture
def token(engine: Engine) -> dict[str, str]:
    accounts.add_user(engine=engine, name="tool", role="operator", password="tool-password")
    return {"Authorization": f"Bearer {accounts.issue_token(engine=engine, name='tool')}"}


def notice(page: str) -> str:
    return html.unescape(page)


# ------------------------------------------------------------------ a place it cannot find


@pytest.mark.parametrize("place", UNFINDABLE)
def test_a_place_box_it_cannot_place_is_said_and_the_answer_goes_on_without_it(
    operator: TestClient, place: str
) -> None:
    response = operator.get("/", params={"q": "朱家角 看病", "place": place})
    assert response.status_code == 200
    page = notice(response.text)
    assert f"没找到这个地方：{place}；请输入街镇、村居、地铁站或“纬度,经度”" in page
    assert rows_of(response.text)[0] == "clinic-zhujiajiao"  # answered from the words alone
    assert f"按“{place}”计算距离" not in page  # no distance is claimed from a place it could not find


def test_the_notice_is_in_english_too(operator: TestClient) -> None:
    page = notice(operator.get("/", params={"q": "clinic", "place": "Mars", "lang": "en"}).text)
    sentence = "Could not find this place: Mars; enter a town, residential committee, metro station"
    assert f'{sentence} or "latitude,longitude"' in page


@pytest.mark.parametrize("place", UNFINDABLE)
def test_a_filter_list_says_so_too(operator: TestClient, place: str) -> None:
    response = operator.get("/", params={"kind": "clinic", "place": place})
    assert response.status_code == 200
    assert f"没找到这个地方：{place}" in notice(response.text)
    assert rows_of(response.text)


def test_a_place_it_can_find_gives_no_notice(operator: TestClient) -> None:
    page = notice(operator.get("/", params={"q": "看病", "place": "朱家角站"}).text)
    assert "没找到这个地方" not in page


def test_coordinates_that_are_not_numbers_on_earth_are_nowhere_and_never_raise() -> None:
    """Whatever the Finder makes of "lat,lon", the console only takes finite coordinates in range."""

    class OddFinder:
        def __init__(self, where: Where | None = None, error: Exception | None = None) -> None:
            self.where, self.error = where, error

        def resolve_place(self, text: str) -> Where | None:
            if self.error is not None:
                raise self.error
            return self.where

    odd: list[Any] = [
        OddFinder(Where(float("nan"), 121.0, "coordinates")),
        OddFinder(Where(31.0, float("inf"), "coordinates")),
        OddFinder(Where(999.0, 999.0, "coordinates")),
        OddFinder(Where(31.0, -181.0, "coordinates")),
        OddFinder(error=ValueError("could not convert")),
        OddFinder(error=OverflowError("math range error")),
    ]
    assert [resolve_place(finder, "x") for finder in odd] == [None] * len(odd)
    fine = Where(31.1, 121.0, "coordinates")
    assert resolve_place(OddFinder(fine), "31.1,121.0") == fine  # type: ignore[arg-type]


@pytest.mark.parametrize("place", UNFINDABLE)
def test_the_api_refuses_a_place_it_cannot_place(
    client: TestClient, token: dict[str, str], place: str
) -> None:
    for path, params in (("/api/ask", {"q": "看病", "place": place}), ("/api/facilities", {"place": place})):
        response = client.get(path, params=params, headers=token)
        assert response.status_code == 422, (path, response.text)
        detail = response.json()["detail"]
        assert detail.startswith("place: cannot find") and repr(place) in detail


def test_the_api_documents_that_an_unknown_place_is_refused(
    client: TestClient, token: dict[str, str]
) -> None:
    schema = client.get("/openapi.json", headers=token).json()
    for path in ("/api/ask", "/api/facilities"):
        place = next(p for p in schema["paths"][path]["get"]["parameters"] if p["name"] == "place")
        assert "422" in place["description"]


# ------------------------------------------------------------------ moments


@pytest.mark.parametrize("at", BROKEN_MOMENTS)
def test_a_moment_it_cannot_use_falls_back_to_now_on_the_page(operator: TestClient, at: str) -> None:
    for params in ({"q": "朱家角 看病", "at": at}, {"kind": "clinic", "at": at}):
        response = operator.get("/", params=params)
        assert response.status_code == 200, (params, response.text[:300])
        assert "时间格式不对或不在 2000–2100 年之间" in response.text
        assert rows_of(response.text)


@pytest.mark.parametrize("at", BROKEN_MOMENTS)
def test_the_api_refuses_a_moment_it_cannot_use(client: TestClient, token: dict[str, str], at: str) -> None:
    for path, params in (("/api/ask", {"q": "看病", "at": at}), ("/api/facilities", {"open_at": at})):
        response = client.get(path, params=params, headers=token)
        assert response.status_code == 422, (path, response.text[:300])
        assert "ISO 8601" in response.json()["detail"]


def test_the_last_and_first_years_it_takes_still_answer(operator: TestClient, token: dict[str, str]) -> None:
    for at in ("2000-01-01T00:00", "2100-12-31T23:59"):
        assert rows_of(operator.get("/", params={"kind": "clinic", "at": at}).text)
        assert operator.get("/api/ask", params={"q": "看病", "at": at}, headers=token).status_code == 200


# ------------------------------------------------------------------ mangled links and odd text


@pytest.mark.parametrize(
    "params", [{"q": "看病", "open_only": "maybe"}, {"q": "看病", "open_only": "x" * 3000}]
)
def test_a_mangled_link_gets_a_page_that_says_so_not_json(
    operator: TestClient, params: dict[str, str]
) -> None:
    response = operator.get("/", params=params)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert "链接里的查询条件不对" in response.text


def test_a_mangled_staff_link_too(staff: TestClient) -> None:
    response = staff.get("/staff/reports", params={"all": "maybe"})
    assert response.status_code == 422 and "链接里的查询条件不对" in response.text


def test_control_characters_are_not_part_of_the_callers_words(
    operator: TestClient, token: dict[str, str]
) -> None:
    response = operator.get("/", params={"q": "\x00朱家角\x07 看病\x1b", "place": "\x00\x01"})
    assert response.status_code == 200
    assert rows_of(response.text)[0] == "clinic-zhujiajiao"
    assert not any(ch in response.text for ch in "\x00\x07\x1b\x01")
    body = operator.get("/api/ask", params={"q": "朱家角\x00 看病"}, headers=token).json()
    assert body["results"][0]["id"] == "clinic-zhujiajiao"
    refused = operator.get("/api/ask", params={"q": "\x00\x01"}, headers=token)
    assert refused.status_code == 422 and refused.json()["detail"].startswith("q: no words")


def test_very_long_words_are_cut_on_the_page_and_refused_by_the_api(
    operator: TestClient, token: dict[str, str]
) -> None:
    """60,000 characters: about the most a test client puts in a URL (uvicorn itself refuses a
    request line much longer than that before the console sees it)."""
    long = "看病" + "a" * 60_000
    page = operator.get("/", params={"q": long})
    assert page.status_code == 200 and len(page.text) < 100_000
    page = operator.get("/", params={"kind": "clinic", "place": long})
    assert page.status_code == 200 and len(page.text) < 100_000
    api = operator.get("/api/ask", params={"q": long}, headers=token)
    assert api.status_code == 422 and api.json()["detail"][0]["loc"] == ["query", "q"]


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/", {"kind": "casino"}),
        ("/", {"town": "浦东新区"}),
        ("/", {"lang": "fr"}),
        ("/api/ask", {"q": "看病", "limit": "99999999999999999999999"}),
        ("/api/ask", {"q": "看病", "lang": "fr"}),
        ("/api/facilities", {"kind": "casino"}),
    ],
)
def test_unknown_filters_are_ignored_on_the_page_and_refused_by_the_api(
    operator: TestClient, token: dict[str, str], path: str, params: dict[str, str]
) -> None:
    response = operator.get(path, params=params, headers=token if path.startswith("/api") else {})
    assert response.status_code == (422 if path.startswith("/api") else 200)
