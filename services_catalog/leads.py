"""Unconfirmed facts for staff to check, kept apart from the catalogue residents are answered from.

`services_catalog/leads/*.yaml` lists what public sources say about a record (an old address,
say) with the sources. The console shows them on the record's page as unconfirmed; only a staff
member who checked them puts them into the catalogue. No resident-facing code reads them.
"""

from __future__ import annotations

from collections import defaultdict
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict

from services_catalog.models import Text

LEADS_FOLDER = Path(__file__).resolve().parent / "leads"
LEAD_FIELDS = ("name", "address", "phone", "opening_hours")


class Lead(BaseModel):
    """What a public source says about one field of one record, unconfirmed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    facility: str
    field: str
    value: Text
    sources: list[Text]
    as_of: Text
    note: Text | None = None


class LeadsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    leads: list[Lead]


def read_leads(folder: Path = LEADS_FOLDER) -> dict[str, list[Lead]]:
    """Every lead, by facility id. Raises ValueError for a malformed file (a programming error)."""
    found: dict[str, list[Lead]] = defaultdict(list)
    for path in sorted(folder.glob("*.yaml")):
        for lead in LeadsFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8"))).leads:
            if lead.field not in LEAD_FIELDS:
                raise ValueError(f"{path.name}: lead for {lead.facility}: unknown field {lead.field!r}")
            found[lead.facility].append(lead)
    return dict(found)


@lru_cache(maxsize=1)
def bundled_leads() -> dict[str, list[Lead]]:
    """The leads shipped with Doorstep, read once."""
    return read_leads()
