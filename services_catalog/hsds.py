"""The catalogue as Open Referral HSDS 3.0 JSON: organizations, services, locations, phones, schedules.

Each facility is one organization delivering one service at one location. Ids are UUIDs derived
from the facility id (the same record gets the same ids in every export). Nothing is invented to
fill the format:

- `assured_date` is the record's `verified` date, and only a verified record has one;
- a location has `latitude`/`longitude` only when its position marks the place itself
  (`precision: exact`); an estimated position (a town centre) is left out and said so;
- an address appears only when the record has one (its postal code, unknown, stays empty);
- schedules are read from the opening hours by the same code the answers use, one weekly RRULE
  per opening span, times in Shanghai time (UTC+08:00); typical, unconfirmed hours say so.

`export_hsds(catalog)` gives the three lists; `write_hsds(catalog, folder)` writes
`organizations.json`, `services.json` and `locations.json`.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from services_catalog.catalog import Catalog
from services_catalog.hours_text import clock, weekly_groups
from services_catalog.models import Facility, HolidayPolicy

# Doorstep's namespace for the UUIDs it derives from its own ids.
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/doorstep/qingpu/catalogue")
SHANGHAI_OFFSET = "+08:00"
RRULE_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
COORD_DECIMALS = 7

KIND_NAMES = {
    "elderly_centre": "社区为老服务",
    "nursing_home": "养老机构",
    "clinic": "社区卫生服务",
    "hospital": "医院",
    "library": "图书馆",
    "legal_aid": "法律援助与公共法律服务",
    "culture_centre": "社区文化活动",
    "sports_centre": "体育健身",
    "affairs_centre": "社区事务受理",
    "employment": "就业服务",
    "disability": "残疾人服务",
    "veterans": "退役军人服务",
}
HOLIDAY_WORDS = {
    HolidayPolicy.closed_on_holidays: "法定节假日休息",
    HolidayPolicy.workday_calendar: "法定节假日休息，调休上班日按工作日时间",
    HolidayPolicy.open: "节假日照常开放",
}


def hsds_id(kind: str, facility_id: str) -> str:
    """A stable UUID for one of a facility's HSDS objects."""
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{facility_id}"))


def export_hsds(catalog: Catalog) -> dict[str, list[dict[str, Any]]]:
    """{"organizations": [...], "services": [...], "locations": [...]} in HSDS 3.0 shapes."""
    organizations, services, locations = [], [], []
    for facility in catalog.facilities.values():
        organization = _organization(facility)
        location = _location(facility)
        organizations.append({**organization, "locations": [location]})
        locations.append(location)
        services.append(_service(catalog, facility, organization, location))
    return {"organizations": organizations, "services": services, "locations": locations}


def write_hsds(catalog: Catalog, folder: Path) -> list[Path]:
    """Write the three files into `folder` (created when missing); the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, items in export_hsds(catalog).items():
        path = folder / f"{name}.json"
        path.write_text(json.dumps(items, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        written.append(path)
    return written


def _organization(f: Facility) -> dict[str, Any]:
    organization: dict[str, Any] = {
        "id": hsds_id("organization", f.id),
        "name": f.name,
        "description": f"{KIND_NAMES.get(f.kind, f.kind)}（{f.town}）",
    }
    if f.name_en:
        organization["alternate_name"] = f.name_en
    if f.website:
        organization["website"] = f.website
    return organization


def _location(f: Facility) -> dict[str, Any]:
    location: dict[str, Any] = {
        "id": hsds_id("location", f.id),
        "location_type": "physical",
        "organization_id": hsds_id("organization", f.id),
        "name": f.name,
        "external_identifier": f.id,
        "external_identifier_type": "doorstep",
    }
    if f.point.precision == "exact":
        location["latitude"] = round(f.point.lat, COORD_DECIMALS)  # WGS-84, as loaded
        location["longitude"] = round(f.point.lon, COORD_DECIMALS)
    else:
        location["description"] = f"位置未核实：只知道在{f.town}，坐标未给出。"
    if f.address:
        location["addresses"] = [
            {
                "id": hsds_id("address", f.id),
                "location_id": location["id"],
                "address_1": f.address,
                "city": "上海市",
                "region": "青浦区",
                "state_province": "上海市",
                "postal_code": "",  # not known; never guessed
                "country": "CN",
                "address_type": "physical",
            }
        ]
    if f.phone:
        location["phones"] = [_phone(f, "location_id", location["id"])]
    schedules = _schedules(f, "location_id", location["id"])
    if schedules:
        location["schedules"] = schedules
    if f.accessibility:
        location["accessibility"] = [
            {
                "id": hsds_id("accessibility", f.id),
                "location_id": location["id"],
                "description": f.accessibility,
            }
        ]
    return location


def _service(
    catalog: Catalog, f: Facility, organization: dict[str, Any], location: dict[str, Any]
) -> dict[str, Any]:
    service_id = hsds_id("service", f.id)
    offered = [catalog.services[s].name for s in f.services if s in catalog.services]
    description = KIND_NAMES.get(f.kind, f.kind) + (f"：{'、'.join(offered)}" if offered else "")
    if f.verified is None:
        description += "。信息未核实，去之前请先打电话确认（可拨 12345）。"
    service: dict[str, Any] = {
        "id": service_id,
        "organization_id": organization["id"],
        "name": f.name,
        "description": description,
        "status": "active",
        "organization": organization,
        "service_at_locations": [
            {
                "id": hsds_id("service_at_location", f.id),
                "service_id": service_id,
                "location_id": location["id"],
                "location": location,
            }
        ],
    }
    if f.verified is not None:
        service["assured_date"] = f.verified.isoformat()
    if f.website:
        service["url"] = f.website
    if f.phone:
        service["phones"] = [_phone(f, "service_id", service_id)]
    schedules = _schedules(f, "service_id", service_id)
    if schedules:
        service["schedules"] = schedules
    return service


def _phone(f: Facility, link: str, link_id: str) -> dict[str, Any]:
    return {"id": hsds_id(f"phone:{link}", f.id), link: link_id, "number": f.phone, "type": "voice"}


def _schedules(f: Facility, link: str, link_id: str) -> list[dict[str, Any]]:
    """One weekly RRULE per opening span of the ordinary week."""
    if not f.opening_hours:
        return []
    week = weekly_groups(f.opening_hours)
    note = HOLIDAY_WORDS[f.holidays]
    if f.hours_status == "typical":
        note += "；为同类机构的一般时间，未经本处确认"
    if week.dated:
        note += "；部分规则随日期变化，以上为平常一周"
    schedules = []
    for n, group in enumerate(g for g in week.groups if g.spans):
        for m, (start, end) in enumerate(group.spans):
            schedules.append(
                {
                    "id": hsds_id(f"schedule:{link}:{n}:{m}", f.id),
                    link: link_id,
                    "freq": "WEEKLY",
                    "wkst": "MO",
                    "byday": ",".join(RRULE_DAYS[d] for d in group.days),
                    "opens_at": clock(start) + SHANGHAI_OFFSET,
                    "closes_at": clock(min(end, 24 * 60 - 1)) + SHANGHAI_OFFSET,  # 24:00 is 23:59
                    "timezone": 8,
                    "description": f"{f.opening_hours}（{note}）",
                }
            )
    return schedules
