"""`PATCH /api/facilities/{id}`: a staff token changes one record, as the contract says."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from bot.web import accounts
from services_catalog import audit
from services_catalog.live import LiveFinder
from tests.web.conftest import ClientFor
from tests.web.editing_helpers import changed_lines, comment_lines, record_span

CLINIC = "clinic-zhujiajiao"


@pytest.fixture
def editable(catalog_copy: Path, engine: Engine) -> LiveFinder:
    return LiveFinder(catalog_copy, engine=engine)


@pytest.fixture
def api(client_for: ClientFor, editable: LiveFinder) -> TestClient:
    return client_for(editable)


def token_for(engine: Engine, name: str, role: str) -> dict[str, str]:
    accounts.add_user(engine=engine, name=name, role=role, password=f"{name}-password")
    return {"Authorization": f"Bearer {accounts.issue_token(engine=engine, name=name)}"}


@pytest.fixture
def staff_token(engine: Engine) -> dict[str, str]:
    return token_for(engine, "records-tool", "staff")


def clinic_text(folder: Path) -> str:
    return (folder / "facilities" / "clinic.yaml").read_text(encoding="utf-8")


def test_a_staff_token_changes_a_record_live_and_only_its_lines(
    api: TestClient, staff_token: dict[str, str], catalog_copy: Path, engine: Engine
) -> None:
    before = clinic_text(catalog_copy)
    change = {
        "phone": "021-59230000",
        "opening_hours": "Mo-Fr 08:00-11:30,13:30-16:30",
        "lat": 31.109,
        "lon": 121.058,
        "crs": "gcj02",
        "source": "电话核实",
        "verified": "2026-06-01",
    }
    response = api.patch(f"/api/facilities/{CLINIC}", json=change, headers=staff_token)
    assert response.status_code == 200, response.text
    record = response.json()
    assert record["phone"] == "021-59230000" and record["verified"] == "2026-06-01"
    assert record["approximate"] is False and record["hours_status"] == "confirmed"
    assert abs(record["lat"] - 31.109) > 1e-4  # answered in WGS-84, as every position the API gives
    assert response.headers["etag"] == f'"{record["version"]}"'

    after = clinic_text(catalog_copy)
    assert changed_lines(before, after) <= set(record_span(before, CLINIC))
    assert comment_lines(after) == comment_lines(before)

    answer = api.get(
        "/api/ask", params={"q": "朱家角 看病", "at": "2026-06-03T10:00"}, headers=staff_token
    ).json()
    first = answer["results"][0]
    assert first["id"] == CLINIC and first["phone"] == "021-59230000"
    assert first["verified"] == "2026-06-01" and first["open_now"] is True
    assert first["hours_today"] == "08:00-11:30,13:30-16:30"
    with Session(engine) as session:
        [entry] = audit.history(session=session, facility_id=CLINIC)
    assert entry.who == "records-tool" and entry.via == "api"


def test_an_operators_token_gets_403_and_nothing_changes(
    api: TestClient, engine: Engine, catalog_copy: Path
) -> None:
    before = clinic_text(catalog_copy)
    response = api.patch(
        f"/api/facilities/{CLINIC}", json={"phone": "021-1"}, headers=token_for(engine, "op", "operator")
    )
    assert response.status_code == 403
    assert clinic_text(catalog_copy) == before


def test_no_token_gets_401(api: TestClient) -> None:
    assert api.patch(f"/api/facilities/{CLINIC}", json={"phone": "021-59230000"}).status_code == 401


@pytest.mark.parametrize(
    "change",
    [
        {"phone": "call me"},
        {"opening_hours": "周一至周五 8:00-17:00"},
        {"lat": 31.1},
        {"lat": 95.0, "lon": 121.0},
        {"crs": "bd09", "lat": 31.1, "lon": 121.0},
        {"verified": "last week"},
        {"name": None},
        {"colour": "red"},
        {"source": "见 www.vip333.com"},  # refused by the whole catalogue's check, not the model
    ],
)
def test_a_bad_value_gets_422_with_its_problems_and_the_file_is_untouched(
    api: TestClient, staff_token: dict[str, str], catalog_copy: Path, change: dict[str, object]
) -> None:
    before = clinic_text(catalog_copy)
    response = api.patch(f"/api/facilities/{CLINIC}", json=change, headers=staff_token)
    assert response.status_code == 422, response.text
    assert response.json()["problems"]
    assert clinic_text(catalog_copy) == before


def test_hours_refused_say_what_they_should_have_been(api: TestClient, staff_token: dict[str, str]) -> None:
    response = api.patch(
        f"/api/facilities/{CLINIC}", json={"opening_hours": "Mo-Fr 8-17"}, headers=staff_token
    )
    assert "did you mean 'Mo-Fr 08:00-17:00'" in " ".join(response.json()["problems"])


def test_a_stale_if_match_is_refused_with_412(
    api: TestClient, staff_token: dict[str, str], catalog_copy: Path
) -> None:
    version = api.get(f"/api/facilities/{CLINIC}", headers=staff_token).json()["version"]
    first = api.patch(
        f"/api/facilities/{CLINIC}",
        json={"phone": "021-59230001"},
        headers={**staff_token, "If-Match": f'"{version}"'},
    )
    assert first.status_code == 200
    second = api.patch(
        f"/api/facilities/{CLINIC}",
        json={"phone": "021-59230002"},
        headers={**staff_token, "If-Match": f'"{version}"'},
    )
    assert second.status_code == 412 and second.json()["problems"]
    assert "021-59230001" in clinic_text(catalog_copy) and "021-59230002" not in clinic_text(catalog_copy)


def test_null_clears_an_optional_field(
    api: TestClient, staff_token: dict[str, str], editable: LiveFinder
) -> None:
    api.patch(f"/api/facilities/{CLINIC}", json={"address": "朱家角镇某路 1 号"}, headers=staff_token)
    assert editable.finder.catalog.facilities[CLINIC].address == "朱家角镇某路 1 号"
    api.patch(f"/api/facilities/{CLINIC}", json={"address": None}, headers=staff_token)
    assert editable.finder.catalog.facilities[CLINIC].address is None


def test_an_unknown_facility_is_404(api: TestClient, staff_token: dict[str, str]) -> None:
    assert (
        api.patch("/api/facilities/nowhere", json={"phone": "021-59230000"}, headers=staff_token).status_code
        == 404
    )


def test_the_schema_describes_the_edit(api: TestClient, staff_token: dict[str, str]) -> None:
    schema = api.get("/openapi.json", headers=staff_token).json()
    patch = schema["paths"]["/api/facilities/{facility_id}"]["patch"]
    body = patch["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    fields = set(schema["components"]["schemas"][body]["properties"])
    assert {"name", "address", "phone", "opening_hours", "lat", "lon", "crs", "source", "verified"} <= fields
