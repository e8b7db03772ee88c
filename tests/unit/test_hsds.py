"""`doorstep catalog export --format hsds` passes the HSDS 3.0 schema (vendored in tests/hsds_3_0)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from bot import cli
from bot.settings import BUNDLED_CATALOG
from services_catalog.catalog import Catalog
from services_catalog.hsds import export_hsds
from services_catalog.loader import load_catalog
from services_catalog.models import Point, Precision

SCHEMAS = Path(__file__).resolve().parents[1] / "hsds_3_0"
BASE = "https://hsds.invalid/schema/"  # the files refer to each other by name ("phone.json")


def validator(name: str) -> jsonschema.Draft202012Validator:
    """A validator for one HSDS object, its references resolved from the vendored files only."""
    resources = [
        (BASE + path.name, Resource.from_contents(json.loads(path.read_text("utf-8")), DRAFT202012))
        for path in SCHEMAS.glob("*.json")
    ]
    registry: Registry[Any] = Registry().with_resources(resources)
    schema = {"$ref": BASE + name}
    return jsonschema.Draft202012Validator(
        schema, registry=registry, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


FILES = {"organizations": "organization.json", "services": "service.json", "locations": "location.json"}


def problems(exported: dict[str, list[dict[str, Any]]]) -> list[str]:
    found = []
    for key, schema in FILES.items():
        check = validator(schema)
        for item in exported[key]:
            found += [f"{key}/{item.get('id')}: {e.json_path}: {e.message}" for e in check.iter_errors(item)]
    return found


@pytest.fixture(scope="module")
def bundled() -> Catalog:
    return load_catalog(BUNDLED_CATALOG)


def test_the_bundled_catalogue_passes_the_hsds_3_schema(bundled: Catalog) -> None:
    exported = export_hsds(bundled)
    assert {k: len(v) for k, v in exported.items()} == {
        "organizations": 130,
        "services": 130,
        "locations": 130,
    }
    assert problems(exported) == []


def test_the_validator_does_catch_a_broken_service(bundled: Catalog) -> None:
    """The check can fail: a service without a status, with a non-UUID id, is two problems."""
    service = export_hsds(bundled)["services"][0]
    broken = {k: v for k, v in service.items() if k != "status"} | {"id": "not-a-uuid"}
    found = [e.message for e in validator("service.json").iter_errors(broken)]
    assert any("status" in m for m in found) and any("uuid" in m for m in found)


def test_nothing_unverified_is_exported_as_fact(bundled: Catalog) -> None:
    """No assured_date, no coordinates for an estimated position, no address or phone invented."""
    exported = export_hsds(bundled)
    assert all("assured_date" not in s for s in exported["services"])
    assert all(
        "latitude" not in loc and "addresses" not in loc and "phones" not in loc
        for loc in exported["locations"]
    )
    assert all("位置未核实" in loc["description"] for loc in exported["locations"])


def test_a_verified_record_carries_its_assured_date_position_phone_and_hours(bundled: Catalog) -> None:
    clinic = bundled.facilities["clinic-zhujiajiao"].model_copy(
        update={
            "verified": dt.date(2026, 6, 1),
            "phone": "021-59230000",
            "address": "朱家角镇某路 1 号",
            "opening_hours": "Mo-Fr 08:00-11:30,13:30-16:30; Sa 08:00-11:30",
            "hours_status": "confirmed",
            "point": Point(lat=31.11, lon=121.05, crs="wgs84", precision=Precision.exact),
        }
    )
    catalog = dataclasses.replace(bundled, facilities={"clinic-zhujiajiao": clinic})
    exported = export_hsds(catalog)
    assert problems(exported) == []
    [service] = exported["services"]
    assert service["assured_date"] == "2026-06-01"
    assert service["phones"][0]["number"] == "021-59230000"
    location = service["service_at_locations"][0]["location"]
    assert (location["latitude"], location["longitude"]) == (31.11, 121.05)
    assert location["addresses"][0]["address_1"] == "朱家角镇某路 1 号"
    spans = [(s["byday"], s["opens_at"], s["closes_at"]) for s in service["schedules"]]
    assert spans == [
        ("MO,TU,WE,TH,FR", "08:00+08:00", "11:30+08:00"),
        ("MO,TU,WE,TH,FR", "13:30+08:00", "16:30+08:00"),
        ("SA", "08:00+08:00", "11:30+08:00"),
    ]


def test_the_command_writes_the_three_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DOORSTEP_CATALOG", raising=False)
    assert cli.main(["catalog", "export", "--format", "hsds", "--out", str(tmp_path / "hsds")]) == 0
    written = sorted(p.name for p in (tmp_path / "hsds").iterdir())
    assert written == ["locations.json", "organizations.json", "services.json"]
    exported = {name: json.loads((tmp_path / "hsds" / f"{name}.json").read_text("utf-8")) for name in FILES}
    assert problems(exported) == []
    assert cli.main(["catalog", "export", "--format", "hsds"]) == 2  # --out is needed
