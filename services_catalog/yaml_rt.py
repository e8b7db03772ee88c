"""Writing a facility record back into its YAML file without touching anything else.

The catalogue files are written by people: comments, key order, quoting and line breaks are theirs.
A record is changed by loading the file with ruamel.yaml's round-trip loader, changing the record's
mapping in place, dumping, and then splicing only that record's lines of the dump into the
original text. Every other line stays byte for byte as it was, whatever ruamel would have made of
it. New records are appended after the last one.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from services_catalog.models import Facility, Point

# The order fields are written in when a record gains one (the model's order, as the files use).
FACILITY_FIELDS: tuple[str, ...] = tuple(Facility.model_fields)
POINT_FIELDS: tuple[str, ...] = tuple(Point.model_fields)
# Written plain, as the files write ids and enum values; every other string double-quoted.
PLAIN_KEYS = frozenset({"id", "kind", "level", "crs", "precision", "hours_status", "holidays"})


def _yaml() -> YAML:
    rt = YAML(typ="rt")
    rt.preserve_quotes = True
    rt.width = 4096  # never fold a long line: the files keep theirs on one line
    rt.indent(mapping=2, sequence=4, offset=2)
    rt.allow_unicode = True
    return rt


class RecordNotFound(LookupError):
    """No facility with that id in the file."""


class FacilitiesText:
    """One facilities file's text and its round-trip parse."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.data = _yaml().load(text)
        records = self.data.get("facilities") if isinstance(self.data, CommentedMap) else None
        if not isinstance(records, CommentedSeq):
            raise ValueError("not a facilities file (no top-level `facilities:` list)")
        self.records: CommentedSeq = self.data["facilities"]

    @classmethod
    def read(cls, path: Path) -> FacilitiesText:
        """The file at `path`."""
        return cls(path.read_text(encoding="utf-8"))

    def index_of(self, facility_id: str) -> int:
        """The position of the record `facility_id`; raises `RecordNotFound`."""
        for i, record in enumerate(self.records):
            if isinstance(record, Mapping) and str(record.get("id")) == facility_id:
                return i
        raise RecordNotFound(facility_id)

    def record(self, facility_id: str) -> CommentedMap:
        """The record's round-trip mapping (changes to it are written by `with_changed`)."""
        found: CommentedMap = self.records[self.index_of(facility_id)]
        return found

    def record_text(self, facility_id: str) -> str:
        """The record's own lines as written (without the blank lines and comments after it)."""
        lines = self.text.splitlines(keepends=True)
        start, end = self._span(self.index_of(facility_id), len(lines))
        body, _ = _split_tail(lines[start:end])
        return "".join(body)

    def with_changed(self, facility_id: str) -> str:
        """The original text with only the record `facility_id`'s lines replaced by its current state."""
        index = self.index_of(facility_id)
        dumped = _dump(self.data)
        new = FacilitiesText(dumped)
        old_lines = self.text.splitlines(keepends=True)
        new_lines = dumped.splitlines(keepends=True)
        old_start, old_end = self._span(index, len(old_lines))
        new_start, new_end = new._span(index, len(new_lines))
        # The blank lines and comments after the record stay as they were, even when ruamel hung
        # them on a key the change removed.
        old_body, tail = _split_tail(old_lines[old_start:old_end])
        new_body, _ = _split_tail(new_lines[new_start:new_end])
        if new_body == old_body:
            return self.text
        return "".join(old_lines[:old_start] + new_body + tail + old_lines[old_end:])

    def with_appended(self, record: Mapping[str, Any]) -> str:
        """The original text with `record` written after the last record."""
        block = _dump({"facilities": [record]})
        lines = block.splitlines(keepends=True)[1:]  # without the "facilities:" line
        body = self.text if self.text.endswith("\n") else self.text + "\n"
        if not self.records:  # `facilities: []`: the list becomes a block list
            body = body.replace("facilities: []", "facilities:", 1)
        return body + "\n" + "".join(lines)

    def _span(self, index: int, total: int) -> tuple[int, int]:
        """The lines [start, end) of record `index`: from its "- " line to the next record's."""
        start = _first_line(self.records, index)
        end = _first_line(self.records, index + 1) if index + 1 < len(self.records) else total
        return start, end


def _split_tail(lines: list[str]) -> tuple[list[str], list[str]]:
    """A record's lines and the blank or comment lines that close it."""
    end = len(lines)
    while end > 1 and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")):
        end -= 1
    return lines[:end], lines[end:]


def _first_line(records: CommentedSeq, index: int) -> int:
    line: int = records.lc.item(index)[0]
    return line


def _dump(data: Any) -> str:
    out = io.StringIO()
    _yaml().dump(data, out)
    return out.getvalue()


def set_field(
    record: CommentedMap, key: str, value: Any, *, order: tuple[str, ...] = FACILITY_FIELDS
) -> None:
    """Set `key` in `record`, inserting a new key where the model's field order puts it.

    Strings are written double-quoted, as the catalogue files write them (a phone such as
    "59729668" must stay a string); dates plain (`verified: 2026-06-01`). None removes the key.
    """
    if value is None:
        if key in record:
            del record[key]
        return
    value = str(value) if key in PLAIN_KEYS and isinstance(value, str) else _styled(value)
    if key in record:
        record[key] = value
        return
    rank = order.index(key) if key in order else len(order)
    position = len(record)
    for i, existing in enumerate(record):
        if (order.index(existing) if existing in order else len(order)) > rank:
            position = i
            break
    record.insert(position, key, value)


def new_point(values: Mapping[str, Any]) -> CommentedMap:
    """A point mapping in the field order the files use."""
    point = CommentedMap()
    for key in POINT_FIELDS:
        if values.get(key) is not None:
            set_field(point, key, values[key], order=POINT_FIELDS)
    return point


def new_record(values: Mapping[str, Any]) -> CommentedMap:
    """A facility mapping in the field order the files use."""
    record = CommentedMap()
    for key in FACILITY_FIELDS:
        value = values.get(key)
        if value is None:
            continue
        set_field(record, key, new_point(value) if key == "point" else value)
    return record


def plain(value: Any) -> Any:
    """A round-trip value as plain Python data (dicts, lists, str, numbers, dates)."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.date(value.year, value.month, value.day)
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return value


def _styled(value: Any) -> Any:
    if isinstance(value, CommentedMap | CommentedSeq):
        return value
    if isinstance(value, str):
        return DoubleQuotedScalarString(value)
    if isinstance(value, list):
        seq = CommentedSeq(_styled(v) for v in value)
        seq.fa.set_flow_style()  # aliases: ["…", "…"] on one line, as the files write lists
        return seq
    if isinstance(value, Mapping):
        return new_point(value)
    return value
