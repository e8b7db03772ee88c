"""Changing facility records in the YAML catalogue: the console's edit form, the PATCH API, imports.

A `Draft` collects changes to records (and new records) in memory; `Draft.save()` checks the
whole catalogue with them on a temporary copy (`loader.check_catalog`, every problem), and only
when it has no errors writes each changed file in place: only the changed records' lines differ,
comments and formatting stay (`yaml_rt`). Files are replaced atomically, one edit at a time per
catalogue folder (a lock shared by the processes of this machine).

A record's `version` is a hash of its own lines. An edit made from a form opened on an older
version is refused (`StaleRecord`) rather than silently overwriting what someone else saved.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import fcntl
import hashlib
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services_catalog.catalog import Catalog
from services_catalog.errors import Problem
from services_catalog.hours_text import hours_issue
from services_catalog.loader import check_catalog
from services_catalog.models import Crs, HolidayPolicy, HoursStatus, Precision, Text
from services_catalog.yaml_rt import (
    POINT_FIELDS,
    FacilitiesText,
    RecordNotFound,
    new_record,
    plain,
    set_field,
)

__all__ = [
    "Draft",
    "EditRefused",
    "FacilityChange",
    "RecordNotFound",
    "Saved",
    "StaleRecord",
    "edit_lock",
    "record_version",
]

PHONE_PATTERN = r"^[0-9+\- ]{3,20}$"  # as the catalogue's model has it
HOURS_EXAMPLE = "Mo-Fr 08:00-11:30,13:30-16:30; Sa 08:00-11:30"


class FacilityChange(BaseModel):
    """What one edit sets on a facility. A field left out is kept; null clears an optional one.

    `lat`/`lon` come together, in `crs` (WGS-84 unless said); the point is then marked `exact`
    unless `precision` says otherwise, with `point_source` (else `source`) as its source. Hours
    given without `hours_status` count as confirmed for the site.
    """

    model_config = ConfigDict(extra="forbid")

    name: Text | None = None
    name_en: Text | None = None
    aliases: list[Text] | None = None
    address: Text | None = None
    phone: str | None = Field(default=None, pattern=PHONE_PATTERN)
    opening_hours: Text | None = None
    hours_status: HoursStatus | None = None
    holidays: HolidayPolicy | None = None
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    crs: Crs = Crs.wgs84
    precision: Precision | None = None
    point_source: Text | None = None
    source: Text | None = None
    verified: dt.date | None = None
    verified_by: str | None = Field(default=None, max_length=64, description="kept in the audit entry")
    note: Text | None = None

    @model_validator(mode="after")
    def _complete(self) -> FacilityChange:
        given = self.model_fields_set
        both = self.lat is not None and self.lon is not None
        if ("lat" in given) != ("lon" in given) or ("lat" in given and not both):
            raise ValueError("give lat and lon together, both numbers")
        for required in ("name", "source"):
            if required in given and getattr(self, required) is None:
                raise ValueError(f"{required} cannot be cleared: every record needs one")
        if "opening_hours" in given and self.opening_hours is not None:
            issue = hours_issue(self.opening_hours)
            if issue is not None:
                hint = f"; did you mean {issue.suggestion!r}?" if issue.suggestion else ""
                raise ValueError(
                    f"opening_hours {self.opening_hours!r} is not OpenStreetMap opening_hours syntax "
                    f"({', '.join(issue.codes)}){hint} For example: {HOURS_EXAMPLE}"
                )
        return self

    def yaml_values(self, *, today: dt.date) -> dict[str, Any]:
        """The record fields this change writes (None: remove the field), in the files' terms."""
        given = self.model_fields_set
        values: dict[str, Any] = {}
        for key in ("name", "name_en", "aliases", "address", "phone", "opening_hours", "source", "note"):
            if key in given:
                values[key] = getattr(self, key)
        if "opening_hours" in given and self.opening_hours is not None:
            values["hours_status"] = (self.hours_status or HoursStatus.confirmed).value
        elif "hours_status" in given and self.hours_status is not None:
            values["hours_status"] = self.hours_status.value
        if "holidays" in given and self.holidays is not None:
            values["holidays"] = self.holidays.value
        if "verified" in given:
            values["verified"] = self.verified
        if "lat" in given:
            values["point"] = {
                "lat": self.lat,
                "lon": self.lon,
                "crs": self.crs.value,
                "precision": (self.precision or Precision.exact).value,
                "source": self.point_source or self.source or f"entered on {today.isoformat()}",
            }
        elif "precision" in given and self.precision is not None:
            values["point"] = {"precision": self.precision.value}
        return values


class StaleRecord(Exception):
    """The record changed since the edit's form was opened."""

    def __init__(self, facility_id: str, current: str) -> None:
        super().__init__(f"{facility_id} was changed by someone else (now version {current})")
        self.facility_id = facility_id
        self.current = current


class EditRefused(Exception):
    """The catalogue would have errors with this edit; nothing was written."""

    def __init__(self, problems: list[Problem]) -> None:
        errors = [p for p in problems if p.severity == "error"]
        super().__init__("; ".join(str(p) for p in errors[:5]))
        self.problems = problems
        self.errors = errors


@dataclass(frozen=True)
class Change:
    """One record changed or added by a draft: the fields before and after (plain data)."""

    facility_id: str
    file: str  # relative to the catalogue folder
    before: dict[str, Any]
    after: dict[str, Any]
    added: bool = False


@dataclass
class Saved:
    """What `Draft.save` wrote, and the checked catalogue it makes."""

    changes: list[Change]
    catalog: Catalog
    versions: dict[str, str]  # facility id -> its new version
    warnings: list[Problem] = field(default_factory=list)


def record_version(record_text: str) -> str:
    """A short hash of a record's lines: changes whenever anyone changes the record."""
    return hashlib.sha256(record_text.encode("utf-8")).hexdigest()[:16]


_THREAD_LOCK = threading.Lock()


@contextlib.contextmanager
def edit_lock(folder: Path) -> Iterator[None]:
    """One edit at a time per catalogue folder, across the threads and processes of this machine."""
    digest = hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:16]
    lock_path = Path(tempfile.gettempdir()) / f"doorstep-catalog-{digest}.lock"
    with _THREAD_LOCK, open(lock_path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class Draft:
    """Changes to a catalogue folder's facility files, checked together and written at once.

    Use under `edit_lock(folder)` so that what was read is still what is on disk when written.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder.resolve()
        self._texts: dict[Path, FacilitiesText] = {}
        self._original: dict[Path, str] = {}
        self.changes: list[Change] = []

    # -- reading --

    def facility_files(self) -> list[Path]:
        """Every catalogue file holding a `facilities:` list."""
        found = []
        for path in sorted(self.folder.rglob("*.yaml")):
            if any(part.startswith(".") for part in path.relative_to(self.folder).parts):
                continue
            if path in self._texts or "facilities:" in path.read_text(encoding="utf-8"):
                found.append(path)
        return found

    def text_of(self, path: Path) -> FacilitiesText:
        """The file's current (drafted) text."""
        if path not in self._texts:
            original = path.read_text(encoding="utf-8")
            self._original[path] = original
            self._texts[path] = FacilitiesText(original)
        return self._texts[path]

    def file_of(self, facility_id: str) -> Path:
        """The file holding `facility_id`; raises `RecordNotFound`."""
        for path in self.facility_files():
            text = self._texts[path].text if path in self._texts else path.read_text(encoding="utf-8")
            if facility_id not in text:
                continue
            with contextlib.suppress(RecordNotFound, ValueError):
                self.text_of(path).index_of(facility_id)
                return path
        raise RecordNotFound(facility_id)

    def version(self, facility_id: str) -> str:
        """The record's current version."""
        return record_version(self.record_text(facility_id))

    def record_text(self, facility_id: str) -> str:
        """The record's own lines, as written."""
        return self.text_of(self.file_of(facility_id)).record_text(facility_id)

    def record(self, facility_id: str) -> dict[str, Any]:
        """The record as plain data."""
        found: dict[str, Any] = plain(self.text_of(self.file_of(facility_id)).record(facility_id))
        return found

    # -- changing --

    def change(
        self, facility_id: str, values: Mapping[str, Any], *, expected_version: str | None = None
    ) -> Change | None:
        """Set `values` on the record (a `point` mapping merges into its point); None when nothing differs."""
        path = self.file_of(facility_id)
        document = self.text_of(path)
        if expected_version is not None:
            current = record_version(document.record_text(facility_id))
            if current != expected_version:
                raise StaleRecord(facility_id, current)
        record = document.record(facility_id)
        before_all = plain(record)
        for key, value in values.items():
            if key == "point" and isinstance(value, Mapping) and "point" in record:
                for sub, sub_value in value.items():
                    set_field(record["point"], sub, sub_value, order=POINT_FIELDS)
            else:
                set_field(record, key, value)
        after_all = plain(record)
        keys = [k for k in dict.fromkeys([*before_all, *after_all]) if before_all.get(k) != after_all.get(k)]
        if not keys:
            return None
        new_text = document.with_changed(facility_id)
        self._texts[path] = FacilitiesText(new_text)
        change = Change(
            facility_id=facility_id,
            file=path.relative_to(self.folder).as_posix(),
            before={k: before_all.get(k) for k in keys},
            after={k: after_all.get(k) for k in keys},
        )
        self.changes.append(change)
        return change

    def add(self, path: Path, values: Mapping[str, Any]) -> Change:
        """Append a new record to the facilities file `path` (created when missing)."""
        if not path.exists() and path not in self._texts:
            self._original[path] = ""
            self._texts[path] = FacilitiesText("facilities: []\n")
        document = self.text_of(path)
        record = new_record(values)
        self._texts[path] = FacilitiesText(document.with_appended(record))
        change = Change(
            facility_id=str(values["id"]),
            file=path.relative_to(self.folder).as_posix(),
            before={},
            after=plain(record),
            added=True,
        )
        self.changes.append(change)
        return change

    # -- saving --

    def check(self) -> tuple[Catalog | None, list[Problem]]:
        """The whole catalogue with this draft, checked on a temporary copy of the folder."""
        with tempfile.TemporaryDirectory(prefix="doorstep-draft-") as scratch:
            copy = Path(scratch) / "catalog"
            shutil.copytree(self.folder, copy, ignore=shutil.ignore_patterns(".*"))
            for path, document in self._texts.items():
                target = copy / path.relative_to(self.folder)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(document.text, encoding="utf-8")
            catalog, problems = check_catalog(copy)
        return catalog, problems

    def save(self) -> Saved:
        """Check the catalogue with the draft; write the changed files when it has no errors.

        Raises `EditRefused` (nothing written) when the catalogue would have errors, and
        `StaleRecord` when a file changed on disk since the draft read it.
        """
        catalog, problems = self.check()
        if catalog is None:
            raise EditRefused(problems)
        for path, original in self._original.items():
            on_disk = path.read_text(encoding="utf-8") if path.exists() else ""
            if on_disk != original:
                raise StaleRecord(path.name, "changed on disk")
        for path, document in self._texts.items():
            if document.text != self._original.get(path):
                _replace(path, document.text)
        versions = {
            c.facility_id: record_version(self._texts[self.folder / c.file].record_text(c.facility_id))
            for c in self.changes
        }
        warnings = [p for p in problems if p.severity == "warning"]
        return Saved(self.changes, _with_source(catalog, self.folder), versions, warnings)


def _with_source(catalog: Catalog, folder: Path) -> Catalog:
    """The checked catalogue as read from the real folder (it was checked on a copy)."""
    return dataclasses.replace(catalog, source=folder)


def _replace(path: Path, text: str) -> None:
    """Write `text` to `path` atomically, keeping the file's permissions."""
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
