"""The loaded catalogue: every record, checked, with coordinates in WGS-84."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from services_catalog.models import (
    Allowlist,
    Committee,
    Example,
    Facility,
    HolidayOverride,
    Hotline,
    Indicator,
    Landmark,
    Service,
    Station,
    Town,
    Vocabulary,
)


@dataclass(frozen=True)
class Catalog:
    """A complete, valid catalogue. Built only by `loader.load_catalog`; never half-filled.

    Every `Point` in it is WGS-84 (`crs == "wgs84"`): the loader converted GCJ-02 once.
    Dicts keep the order of the YAML files.
    """

    towns: dict[str, Town]  # by official name
    committees: dict[str, Committee]  # by code
    stations: dict[str, Station]  # by name
    landmarks: dict[str, Landmark]  # by name
    facilities: dict[str, Facility]  # by id
    services: dict[str, Service]  # by id
    indicators: dict[str, Indicator]  # by id, in the table's row order
    hotlines: dict[str, Hotline]  # by number
    holidays: tuple[HolidayOverride, ...]
    vocabulary: Vocabulary
    allowlist: Allowlist
    source: Path  # the folder it was read from
    loaded_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    warnings: tuple[str, ...] = ()  # `file:line: field: message` lines that did not stop loading
    examples: tuple[Example, ...] = ()  # example sentences with their meaning, in file order
