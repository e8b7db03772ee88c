"""The catalogue as JSON, in the shape of the contract's `doorstep catalog export --format json`.

Coordinates are WGS-84 (the loaded catalogue holds nothing else), rounded to 7 decimals (~1 cm).
Beyond the contract's fields, facilities carry `verified`, `approximate` and `hours_status`, and
indicators `row`, `category`, `nature` and `note`, so that readers can tell what is unconfirmed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from services_catalog.catalog import Catalog
from services_catalog.models import Facility, Indicator, Precision, Service

COORD_DECIMALS = 7


def export_catalog(catalog: Catalog) -> dict[str, Any]:
    """The whole catalogue as the contract's export dict: facilities, services, indicators."""
    return {
        "facilities": [facility_entry(f) for f in catalog.facilities.values()],
        "services": [service_entry(s) for s in catalog.services.values()],
        "indicators": [indicator_entry(i) for i in catalog.indicators.values()],
    }


def facility_entry(facility: Facility) -> dict[str, Any]:
    """One facility in the export shape (its point must already be WGS-84)."""
    return {
        "id": facility.id,
        "name": facility.name,
        "kind": facility.kind,
        "town": facility.town,
        "lat": round(facility.point.lat, COORD_DECIMALS),
        "lon": round(facility.point.lon, COORD_DECIMALS),
        "address": facility.address,
        "phone": facility.phone,
        "opening_hours": facility.opening_hours,
        "source": facility.source,
        "verified": date_text(facility.verified),
        "approximate": facility.point.precision == Precision.approximate,
        "hours_status": facility.hours_status.value,
    }


def service_entry(service: Service) -> dict[str, Any]:
    """One service topic in the export shape."""
    return {"id": service.id, "name": service.name}


def indicator_entry(indicator: Indicator) -> dict[str, Any]:
    """One plan indicator in the export shape, its numbers exactly as printed."""
    return {
        "id": indicator.id,
        "name": indicator.name,
        "unit": indicator.unit,
        "baseline": indicator.baseline,
        "target": indicator.target,
        "row": indicator.row,
        "category": indicator.category,
        "nature": indicator.nature,
        "note": indicator.note,
    }


def date_text(day: dt.date | None) -> str | None:
    """An ISO date, or None."""
    return day.isoformat() if day is not None else None
