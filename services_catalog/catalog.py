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
    Kind,
    Landmark,
    Service,
    Station,
    Town,
    Vocabulary,
    bundled_kinds,
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
    kinds: dict[str, Kind] = field(default_factory=bundled_kinds)  # by id, in kinds.yaml's order
    content_hash: str = ""  # SHA-256 of the folder's YAML files (names and bytes), "" when not read
    changed_at: dt.datetime | None = None  # when the newest of those files was last changed (UTC)

    def kind_name(self, kind: str, lang: str, *, common: bool = False) -> str:
        """What a kind of place is called in `lang`: its official name, or with `common` what
        residents call it; the id itself for a kind the catalogue does not know."""
        found = self.kinds.get(kind)
        if found is None:
            return kind
        if common:
            return found.common_en if lang == "en" else found.common
        return found.name_en if lang == "en" else found.name
