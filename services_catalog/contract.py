"""The contract's JSON shapes (../shared/contract/README.md) as pydantic models, defined once.

`doorstep ask --json`, `--batch`, the console's `/api/ask` and `/api/facilities` all answer
through these models, so the shape cannot drift between them; the API's OpenAPI schema is
generated from them. Fields beyond the contract's (`verified`, `approximate`,
`hours_confirmed`) say what is unconfirmed; the contract allows adding, never removing.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from services_catalog.answer import Answer, Result
    from services_catalog.models import Facility

IntentName = Literal["find_facility", "service_info", "plan_indicator", "emergency", "help", "out_of_scope"]


class _Shape(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LocationJSON(_Shape):
    """Where the answer takes the person to be (WGS-84), and how it knows."""

    lat: float | None
    lon: float | None
    source: Literal["coordinates", "town", "landmark", "none"]


class ResultJSON(_Shape):
    """One facility in an answer or a facility list."""

    id: str
    name: str
    kind: str
    town: str
    address: str | None
    phone: str | None
    lat: float = Field(description="WGS-84")
    lon: float = Field(description="WGS-84")
    distance_m: int | None = Field(description="from the location; null when no location is known")
    open_now: bool | None = Field(description="at the moment asked about; null when the hours are unknown")
    hours_today: str | None
    next_open: str | None = Field(description="ISO 8601, Asia/Shanghai; when closed")
    verified: str | None = Field(description="ISO date the record was checked; null: unverified")
    approximate: bool = Field(description="true: the position is an estimate (e.g. the town centre)")
    hours_confirmed: bool = Field(description="false: typical hours for the kind, not the site's")

    @classmethod
    def of(cls, result: Result) -> ResultJSON:
        """The contract's shape of one `Result`."""
        f = result.facility
        return cls(
            id=f.id,
            name=f.name,
            kind=f.kind,
            town=f.town,
            address=f.address,
            phone=f.phone,
            lat=f.point.lat,
            lon=f.point.lon,
            distance_m=result.distance_m,
            open_now=result.open_now,
            hours_today=result.hours_today,
            next_open=_iso(result.next_open),
            verified=_iso(f.verified),
            approximate=f.point.precision == "approximate",
            hours_confirmed=result.hours_confirmed,
        )


class AnswerJSON(_Shape):
    """The `doorstep ask --json` answer."""

    intent: IntentName
    kind: str | None
    service: str | None
    indicator: str | None
    town: str | None
    needs_location: bool
    location: LocationJSON
    results: list[ResultJSON]
    reply: str = Field(description="the text the bot would send")
    why: str = Field(description="a short reason: which rule or score decided")

    @classmethod
    def of(cls, answer: Answer) -> AnswerJSON:
        """The contract's shape of an `Answer`."""
        return cls(
            intent=answer.intent,
            kind=answer.kind,
            service=answer.service,
            indicator=answer.indicator,
            town=answer.town,
            needs_location=answer.needs_location,
            location=LocationJSON(lat=answer.where.lat, lon=answer.where.lon, source=answer.where.source),
            results=[ResultJSON.of(r) for r in answer.results],
            reply=answer.reply,
            why=answer.why,
        )

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON data, keys in the contract's order."""
        return self.model_dump(mode="json")


class FacilityJSON(_Shape):
    """A facility record in the shape of `catalog export --format json`, with its edit version."""

    id: str
    name: str
    kind: str
    town: str
    lat: float = Field(description="WGS-84")
    lon: float = Field(description="WGS-84")
    address: str | None
    phone: str | None
    opening_hours: str | None
    source: str
    verified: str | None
    approximate: bool
    hours_status: str
    version: str = Field(description="changes with every change; send it as If-Match to refuse stale edits")

    @classmethod
    def of(cls, facility: Facility, version: str) -> FacilityJSON:
        """The record as loaded (position in WGS-84) and its current version."""
        return cls(
            id=facility.id,
            name=facility.name,
            kind=facility.kind,
            town=facility.town,
            lat=round(facility.point.lat, 7),
            lon=round(facility.point.lon, 7),
            address=facility.address,
            phone=facility.phone,
            opening_hours=facility.opening_hours,
            source=facility.source,
            verified=_iso(facility.verified),
            approximate=facility.point.precision == "approximate",
            hours_status=facility.hours_status.value,
            version=version,
        )


def _iso(moment: dt.date | None) -> str | None:
    return moment.isoformat() if moment is not None else None
