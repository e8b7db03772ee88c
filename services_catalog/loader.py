"""Reading and checking the YAML catalogue that district staff keep.

`load_catalog(folder)` returns a complete `Catalog` or raises `CatalogValidationError` listing every
problem found (never half a catalogue). `check_catalog(folder)` does the same work and returns the
problems instead, for `doorstep catalog validate`.

Every problem of a catalogue is found in one run: a record with a misspelt field or a missing
`source` is still checked, as far as its other fields go, for duplicate ids, unknown kinds and
towns, bad hours, positions and text. Every problem points at a line: each file is read by
`yamlfile` (libyaml's events, without keeping lines), and the lines of a file with a problem are
worked out when its first problem is reported; pydantic's error locations are mapped onto them.

At 100,000 facilities (`make bench`) the files are parsed by forked worker processes, positions
are converted to WGS-84 before any record is made, and each distinct text is checked once.
"""

from __future__ import annotations

import collections
import datetime as dt
import difflib
import functools
import gc
import hashlib
import multiprocessing
import os
import re
import threading
import types
import typing
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, TypeAdapter, ValidationError

from services_catalog import yamlfile
from services_catalog.catalog import Catalog
from services_catalog.coords import QINGPU_BBOX, gcj02_to_wgs84, haversine_m, in_china, in_qingpu
from services_catalog.errors import CatalogFileError, CatalogValidationError, Problem
from services_catalog.hours import validate_opening_hours
from services_catalog.linkcheck import canonical_url, domain_allowed, links_in, readable, readable_many
from services_catalog.models import (
    TOWN_NAMES,
    Allowlist,
    AllowlistFile,
    Committee,
    CommitteesFile,
    Crs,
    Example,
    ExamplesFile,
    FacilitiesFile,
    Facility,
    HolidayOverride,
    HolidaysFile,
    Hotline,
    HotlinesFile,
    Indicator,
    IndicatorsFile,
    Kind,
    KindsFile,
    Landmark,
    PlacesFile,
    Point,
    Service,
    ServicesFile,
    Station,
    Strict,
    Town,
    TownsFile,
    Vocabulary,
    VocabularyFile,
    bundled_kinds,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
QINGPU_CENTRE = ((QINGPU_BBOX[0] + QINGPU_BBOX[2]) / 2, (QINGPU_BBOX[1] + QINGPU_BBOX[3]) / 2)


# Which top-level key makes a file which kind of file.
FILE_MODELS: dict[str, type[Strict]] = {
    "towns": TownsFile,
    "committees": CommitteesFile,
    "stations": PlacesFile,
    "landmarks": PlacesFile,
    "facilities": FacilitiesFile,
    "services": ServicesFile,
    "indicators": IndicatorsFile,
    "hotlines": HotlinesFile,
    "overrides": HolidaysFile,
    "vocabulary": VocabularyFile,
    "allowlist": AllowlistFile,
    "kinds": KindsFile,
    "examples": ExamplesFile,
}

# The record model of each list-valued top-level key.
RECORD_MODELS: dict[str, type[Strict]] = {
    "towns": Town,
    "committees": Committee,
    "stations": Station,
    "landmarks": Landmark,
    "facilities": Facility,
    "services": Service,
    "indicators": Indicator,
    "hotlines": Hotline,
    "overrides": HolidayOverride,
    "kinds": Kind,
    "examples": Example,
}

# Files the catalogue cannot work without.
EMERGENCY_NUMBERS: tuple[str, ...] = ("120", "119", "110")
# The number the law gives each emergency topic of the vocabulary (an ambulance, a fire, the police).
EMERGENCY_BY_LAW: dict[str, str] = {"medical": "120", "fire": "119", "police": "110"}
REQUIRED_KEYS: tuple[str, ...] = ("towns", "services", "hotlines", "vocabulary", "allowlist")

INDICATOR_ROWS = 20  # the plan's indicator table has 20 rows

# Spam as it was injected into the seed, e.g.
#   大佬们都在玩{精选官网网址: www.vip333.Co }值得信任的品牌平台!
# Kept small on purpose: these phrases never occur in ordinary public-service text.
# Text is checked as a reader would see it: full-width letters, Traditional characters, invisible
# characters and "[.]" spellings are undone first (see `linkcheck.readable`).
SPAM_PHRASES = re.compile(
    r"官网网址|大佬们都在玩|值得信任的品牌平台|博彩|网赌|赌场|赌博网|在线赌|娱乐城|真人荷官|百家乐|彩金"
)
# Words that are innocent on their own (an elderly centre's 棋牌室) but spam next to a link that
# is not on the allowlist.
SPAM_NEAR_LINK = re.compile(r"赌|棋牌|彩票|投注|下注|返水|充值|注册")

# Top-level domains worth recognising in bare text ("www.vip333.Co", "zwdt.sh.gov.cn").

# The position field of each kind of record that has one.
_POINT_FIELDS = {"towns": "centre", "committees": "centre"} | dict.fromkeys(
    ("stations", "landmarks", "facilities"), "point"
)

# Fields whose text names a thing: a link there is always spam.
_NAME_FIELDS = frozenset({"name", "name_en", "aliases"})

Path_ = tuple[str | int, ...]


# ---------------------------------------------------------------------------------------------
# Public face


def load_catalog(folder: Path) -> Catalog:
    """Read and check every *.yaml under `folder`; the complete catalogue, or every problem raised.

    Raises `CatalogFileError` when the folder cannot be read and `CatalogValidationError` (listing
    every error and warning) when any error is found. Warnings alone are kept in `Catalog.warnings`.
    """
    catalog, problems = check_catalog(folder)
    if catalog is None:
        raise CatalogValidationError(problems)
    return catalog


def check_catalog(folder: Path) -> tuple[Catalog | None, list[Problem]]:
    """Check the catalogue in `folder`: the catalogue (None when any error) and every problem found.

    Raises `CatalogFileError` only when the folder (or a file in it) cannot be read at all.
    """
    # Reading makes millions of objects that live on (a large catalogue's records) and no cycles
    # worth collecting meanwhile: the cyclic collector, run again and again over all of them,
    # would cost a quarter of the time. It runs again as usual when the catalogue is made.
    collecting = gc.isenabled()
    gc.disable()
    reader = _Reader(Path(folder))
    try:
        reader.read_all()
        reader.cross_check()
        problems = sorted(reader.problems)
        if any(p.severity == "error" for p in problems):
            return None, problems
        return reader.build(problems), problems
    finally:
        if reader.size >= PARALLEL_BYTES:
            # A large catalogue's objects live as long as it is served: kept out of the collector's
            # scans for good (the first full scan of them would cost a second, and then again).
            gc.freeze()
        if collecting:
            gc.enable()


def catalog_schema() -> dict[str, Any]:
    """One JSON Schema that matches every catalogue file shape (for editors' YAML language server)."""
    file_models = tuple(dict.fromkeys(FILE_MODELS.values()))
    union = typing.Union[file_models]  # type: ignore[valid-type]  # noqa: UP007 - built at runtime
    schema: dict[str, Any] = TypeAdapter(union).json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Doorstep catalogue file",
        "description": "One YAML file of the Doorstep (家门口) catalogue: one top-level key per file.",
        **schema,
    }


# ---------------------------------------------------------------------------------------------
# Reading


class _Lines:
    """The line of every key and list item of one file, worked out only when a problem needs one."""

    def __init__(self, path: Path, top: dict[str, int]) -> None:
        self.path = path
        self.top = top  # top-level keys' lines, known from the first read
        self._map: dict[Path_, int] | None = None

    def get(self, loc: Path_) -> int:
        if len(loc) <= 1:
            return self.top.get(str(loc[0]), 1) if loc else 1
        if self._map is None:
            try:
                self._map = yamlfile.line_map(_decode(self.path.read_bytes()))
            except (OSError, UnicodeDecodeError):
                self._map = {}
        return _line_for(self._map, loc)

    def release(self) -> None:
        """Let the map go (worked out again if a later check needs it): at 100,000 records with
        a problem each, keeping every file's map would cost hundreds of megabytes."""
        self._map = None


@dataclass(slots=True)
class _Record:
    """One record (validated, or partial when some of its fields were not) and where it came from."""

    file: str
    path: Path_  # e.g. ("facilities", 3)
    lines: _Lines
    model: Any
    partial: bool = False  # some fields failed validation: checked, never built into a catalogue

    def line(self, *sub: str | int) -> int:
        return self.lines.get(self.path + sub)

    def field(self, *sub: str | int) -> str:
        return _dotted(self.path + sub)

    def where(self, *sub: str | int) -> str:
        return f"{self.file}:{self.line(*sub)}"

    def get(self, name: str) -> Any:
        """A field's value; None when a partial record lacks it."""
        return getattr(self.model, name, None)


@dataclass
class _Reader:
    folder: Path
    problems: list[Problem] = field(default_factory=list)
    records: dict[str, list[_Record]] = field(default_factory=dict)  # by top-level key
    singles: dict[str, _Record] = field(default_factory=dict)  # vocabulary, allowlist
    key_lines: dict[str, list[tuple[str, int]]] = field(default_factory=dict)  # key -> [(file, line)]
    today: dt.date = field(default_factory=lambda: dt.datetime.now(SHANGHAI).date())
    unread: list[str] = field(default_factory=list)  # files that could not be read as YAML at all
    size: int = 0  # bytes of YAML read
    digest: Any = field(default_factory=hashlib.sha256)  # of every file's name and bytes, in order
    changed_at: dt.datetime | None = None  # the newest file's modification time

    # -- helpers --

    def error(self, file: str, line: int, fld: str, message: str) -> None:
        self.problems.append(Problem(file, line, fld, message))

    def warn(self, file: str, line: int, fld: str, message: str) -> None:
        self.problems.append(Problem(file, line, fld, message, severity="warning"))

    def at(self, rec: _Record, sub: tuple[str | int, ...], message: str, *, warning: bool = False) -> None:
        severity: Literal["error", "warning"] = "warning" if warning else "error"
        self.problems.append(Problem(rec.file, rec.line(*sub), rec.field(*sub), message, severity))

    def folder_problem(self, fld: str, message: str, *, warning: bool = False) -> None:
        severity: Literal["error", "warning"] = "warning" if warning else "error"
        self.problems.append(Problem(str(self.folder), 0, fld, message, severity))

    # -- files --

    def catalogue_files(self) -> list[Path]:
        """Every .yaml and .yml file under the folder (hidden ones aside), none from outside it.

        A symbolic link whose target lies outside the folder is refused: what the catalogue says
        must be what is in its folder. A link inside it is skipped (its target is read anyway).
        """
        root = self.folder.resolve()
        found: list[Path] = []
        for here, dirs, files in os.walk(self.folder, onerror=_raise):
            base = Path(here)
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in [*dirs, *sorted(files)]:
                path = base / name
                is_dir = name in dirs
                if (not is_dir and not name.endswith((".yaml", ".yml"))) or name.startswith("."):
                    continue
                rel = path.relative_to(self.folder).as_posix()
                if path.is_symlink():
                    target = path.resolve()
                    if not target.is_relative_to(root):
                        self.error(
                            rel,
                            0,
                            "file",
                            f"links to {target}, outside the catalogue folder: copy the file in instead",
                        )
                    else:
                        self.warn(
                            rel, 0, "file", "a link inside the catalogue folder: skipped (its target is read)"
                        )
                    continue
                if not is_dir:
                    found.append(path)
        return found

    def read_all(self) -> None:
        if not self.folder.is_dir():
            raise CatalogFileError(f"{self.folder}: no such catalogue folder")
        try:
            files = self.catalogue_files()
        except OSError as exc:
            raise CatalogFileError(f"{self.folder}: cannot be read ({exc.strerror})") from exc
        readable: list[tuple[str, Path]] = []  # for the worker processes
        try:
            self.size = sum(path.stat().st_size for path in files)
            parallel = _parallel(self.size)
        except OSError as exc:
            raise CatalogFileError(f"{self.folder}: cannot be read ({exc.strerror})") from exc
        for path in files:
            rel = path.relative_to(self.folder).as_posix()
            try:
                raw = path.read_bytes()
                changed = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
            except OSError as exc:
                raise CatalogFileError(f"{path}: cannot be read ({exc.strerror})") from exc
            self.digest.update(rel.encode() + b"\0" + raw + b"\0")
            self.changed_at = max(changed, self.changed_at or changed)
            try:
                text = _decode(raw)
            except UnicodeDecodeError as exc:
                line = raw[: exc.start].count(b"\n") + 1
                column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
                self.error(
                    rel,
                    line,
                    "yaml",
                    f"the file is not UTF-8 text: byte 0x{raw[exc.start]:02x} at column {column}",
                )
                self.unread.append(rel)
                continue
            if parallel:
                readable.append((rel, path))
            else:  # parsed at once: no file's text is kept longer than needed
                self.read_file(rel, path, *_read_positions(yamlfile.parse_text(text)))
        if readable:
            for (rel, path), (parsed, written) in zip(readable, _parse_in_workers(readable), strict=True):
                self.read_file(rel, path, parsed, written)

    def read_file(self, rel: str, path: Path, parsed: yamlfile.Parsed, written: _Written) -> None:
        if isinstance(parsed, yamlfile.YamlSyntaxError):
            prefix = "" if isinstance(parsed, yamlfile.YamlRefused) else "YAML syntax error: "
            self.error(rel, parsed.line, "yaml", prefix + parsed.message)
            self.unread.append(rel)
            return
        doc = parsed
        data = doc.data
        lines = _Lines(path, doc.top_lines)
        for issue in doc.issues:
            message = issue.message
            if message == "duplicate key":
                message += f" (first at line {lines.get(issue.path)})"
            self.error(rel, issue.line, _dotted(issue.path) or "yaml", message)
        if data is None:
            self.warn(rel, 1, "yaml", "the file is empty")
            return
        if not isinstance(data, dict):
            self.error(rel, 1, "yaml", "a catalogue file must start with a top-level key")
            return

        file_kind: type[Strict] | None = None
        for key, value in data.items():
            key_line = lines.get((key,))
            model = FILE_MODELS.get(str(key))
            if model is None:
                hint = _did_you_mean(str(key), FILE_MODELS)
                self.error(rel, key_line, str(key), f"unknown top-level key{hint}")
                continue
            if file_kind is not None and model is not file_kind:
                self.error(rel, key_line, str(key), "one concern per file: move this list to its own file")
                continue
            file_kind = model
            self.key_lines.setdefault(key, []).append((rel, key_line))
            if key in RECORD_MODELS:
                self.read_records(rel, key, value, lines, written.get(key, {}))
            else:
                self.read_single(rel, key, value, lines)
        lines.release()

    def read_records(
        self, rel: str, key: str, value: object, lines: _Lines, written: dict[int, tuple[float, float]]
    ) -> None:
        """Validate one list of records; `written` holds the positions as staff wrote them, of the
        records whose position was converted to WGS-84 when the file was read (`_read_positions`)."""
        if not isinstance(value, list):
            self.error(rel, lines.get((key,)), key, "expected a list of records (write [] for none)")
            return
        model = RECORD_MODELS[key]
        bucket = self.records.setdefault(key, [])
        first = len(bucket)
        attr = _POINT_FIELDS.get(key)
        self.validate_records(rel, key, value, lines, model, bucket)
        if attr is not None:
            for rec in bucket[first:]:
                self.place(rec, attr, written.get(int(rec.path[1])))

    def validate_records(
        self, rel: str, key: str, value: list[Any], lines: _Lines, model: type[Strict], bucket: list[_Record]
    ) -> None:
        try:  # one call for the whole list: several times faster than record by record
            models = _list_adapter(model).validate_python(value)
        except ValidationError:
            models = None
        if models is not None:
            bucket.extend(_Record(rel, (key, i), lines, m) for i, m in enumerate(models))
            return
        for i, item in enumerate(value):
            rec_path: Path_ = (key, i)
            try:
                record = model.model_validate(item)
            except ValidationError as exc:
                self.pydantic_problems(rel, rec_path, lines, model, exc)
                partial = _partial(model, item, exc)
                if partial is not None:
                    bucket.append(_Record(rel, rec_path, lines, partial, partial=True))
                continue
            bucket.append(_Record(rel, rec_path, lines, record))

    def read_single(self, rel: str, key: str, value: object, lines: _Lines) -> None:
        model: type[BaseModel] = Vocabulary if key == "vocabulary" else Allowlist
        try:
            record = model.model_validate(value)
        except ValidationError as exc:
            self.pydantic_problems(rel, (key,), lines, model, exc)
            partial = _partial(model, value, exc)
            if partial is not None and key not in self.singles:
                self.singles[key] = _Record(rel, (key,), lines, partial, partial=True)
            return
        if key in self.singles:
            first = self.singles[key]
            self.error(rel, lines.get((key,)), key, f"the catalogue already has a {key} ({first.where()})")
            return
        self.singles[key] = _Record(rel, (key,), lines, record)

    def pydantic_problems(
        self, rel: str, base: Path_, lines: _Lines, model: type[BaseModel], exc: ValidationError
    ) -> None:
        for err in exc.errors():
            loc = base + tuple(err["loc"])
            line = lines.get(loc)
            kind = err["type"]
            if kind == "missing":
                message = "required field is missing"
            elif kind == "extra_forbidden":
                allowed = _fields_at(model, tuple(err["loc"])[:-1])
                message = "unknown field" + _did_you_mean(str(loc[-1]), allowed)
            else:
                message = f"{err['msg']} (got {_short(err.get('input'))})"
            self.error(rel, line, _dotted(loc), message)

    # -- checks across records and files --

    def cross_check(self) -> None:
        for key in REQUIRED_KEYS:
            if key not in self.key_lines:
                self.folder_problem(key, f"the catalogue has no {key} (a file with a top-level `{key}:`)")
        if not self.records.get("facilities"):
            self.folder_problem("facilities", "the catalogue has no facilities")

        towns = self.unique("towns", "name", "town")
        services = self.unique("services", "id", "service id")
        hotlines = self.unique("hotlines", "number", "hotline")
        self.unique("facilities", "id", "facility id")
        self.unique("indicators", "id", "indicator id")
        self.unique("indicators", "row", "indicator row")
        self.unique("committees", "code", "committee code")
        self.unique("stations", "name", "station name")
        self.unique("landmarks", "name", "landmark name")
        self.unique("overrides", "date", "holiday override date")
        kinds = self.kinds()
        # A reference into a file that is missing altogether is reported once, as the missing file.
        has_towns, has_services, has_hotlines = (
            k in self.key_lines for k in ("towns", "services", "hotlines")
        )

        for rec in self.records.get("towns", []):
            name = rec.get("name")
            if name is not None and name not in TOWN_NAMES:
                self.at(rec, ("name",), f"'{name}' is not one of Qingpu's 11 towns")
        for key in ("committees", "stations", "landmarks", "facilities"):
            for rec in self.records.get(key, []):
                town = rec.get("town")
                if has_towns and town is not None and town not in towns:
                    self.at(rec, ("town",), f"unknown town '{town}'{_did_you_mean(town, towns)}")
        served: dict[str, int] = {}
        for rec in self.records.get("facilities", []):
            kind = rec.get("kind")
            if kind is not None and kind not in kinds:
                self.at(rec, ("kind",), f"unknown kind '{kind}'{_did_you_mean(kind, kinds)}")
            elif kind is not None:
                served[kind] = served.get(kind, 0) + 1
            for i, sid in enumerate(rec.get("services") or ()):
                if has_services and sid not in services:
                    self.at(rec, ("services", i), f"unknown service '{sid}'{_did_you_mean(sid, services)}")
            hours = rec.get("opening_hours")
            if hours is not None:
                hours_error = opening_hours_error(hours)
                if hours_error:
                    self.at(rec, ("opening_hours",), hours_error)
        for key in ("facilities", "services"):
            for rec in self.records.get(key, []):
                verified = rec.get("verified")
                if isinstance(verified, dt.date) and verified > self.today:
                    self.at(
                        rec,
                        ("verified",),
                        f"{verified.isoformat()} is in the future: write the day the record was checked",
                    )
        for rec in self.records.get("services", []):
            for i, kind in enumerate(rec.get("where") or ()):
                if kind not in kinds:
                    self.at(rec, ("where", i), f"unknown kind '{kind}'{_did_you_mean(kind, kinds)}")
                elif kind not in served and self.records.get("facilities") and not self.unread:
                    self.at(
                        rec, ("where", i), f"no facility of kind '{kind}': residents would be sent nowhere"
                    )
            hotline = rec.get("hotline")
            if has_hotlines and hotline is not None and hotline not in hotlines:
                self.at(rec, ("hotline",), f"'{hotline}' is not in the hotlines file")
        for rec in self.records.get("hotlines", []):
            for i, topic in enumerate(rec.get("topics") or ()):
                if kinds.get(topic) is not None and kinds[topic].get("hotline") not in (
                    None,
                    rec.get("number"),
                ):
                    self.at(
                        rec,
                        ("topics", i),
                        f"kinds.yaml gives {kinds[topic].get('hotline')} for '{topic}'; that is the one used",
                        warning=True,
                    )
                elif has_services and topic not in kinds and topic not in services:
                    self.at(
                        rec,
                        ("topics", i),
                        f"'{topic}' is neither a facility kind nor a service id",
                        warning=True,
                    )
        for rec in kinds.values():
            hotline = rec.get("hotline")
            if rec.file and has_hotlines and hotline is not None and hotline not in hotlines:
                self.at(rec, ("hotline",), f"'{hotline}' is not in the hotlines file")
        self.check_emergency_numbers(hotlines if has_hotlines else None)
        if vocab := self.singles.get("vocabulary"):
            for kind in vocab.get("kinds") or {}:
                if kind not in kinds:
                    self.at(vocab, ("kinds", kind), f"unknown kind '{kind}'{_did_you_mean(kind, kinds)}")
                elif kind not in served and self.records.get("facilities") and not self.unread:
                    self.at(
                        vocab,
                        ("kinds", kind),
                        f"no facility of kind '{kind}': questions about it would find nothing",
                    )
            if not vocab.partial:
                self.check_vocabulary_rules(vocab)
            for sid in vocab.get("services") or {}:
                if has_services and sid not in services:
                    self.at(
                        vocab, ("services", sid), f"unknown service '{sid}'{_did_you_mean(sid, services)}"
                    )
        self.check_examples(services, kinds)
        self.check_indicators()
        self.check_texts()

    def kinds(self) -> dict[str, _Record]:
        """The catalogue's kinds by id: its kinds file, or the bundled one when it has none."""
        if "kinds" in self.key_lines:
            return self.unique("kinds", "id", "kind id")
        bundled = _Lines(Path(), {})
        return {k.id: _Record("", ("kinds", i), bundled, k) for i, k in enumerate(bundled_kinds().values())}

    def check_emergency_numbers(self, hotlines: dict[Any, _Record] | None) -> None:
        """120, 119 and 110 are there, marked as emergencies, and each topic leads to the one the law
        gives it: an ambulance is 120, a fire 119, the police 110."""
        if hotlines is not None:
            for number in EMERGENCY_NUMBERS:
                rec = hotlines.get(number)
                if rec is None:
                    self.folder_problem(
                        "hotlines", f"the emergency number {number} is missing from the hotlines"
                    )
                elif rec.get("emergency") is False:
                    self.at(rec, ("emergency",), f"{number} is an emergency number: write emergency: true")
        vocab = self.singles.get("vocabulary")
        if vocab is None:
            return
        for topic, em in (vocab.get("emergency") or {}).items():
            lawful = EMERGENCY_BY_LAW.get(topic)
            if lawful is not None and em.number != lawful:
                self.at(
                    vocab,
                    ("emergency", topic, "number"),
                    f"the number for '{topic}' is {lawful} by law, not {em.number}",
                )
            elif hotlines is not None and em.number not in hotlines:
                self.at(vocab, ("emergency", topic, "number"), f"'{em.number}' is not in the hotlines file")
            for i, number in enumerate(em.also):
                if hotlines is not None and number not in hotlines:
                    where = ("emergency", topic, "also", i)
                    self.at(vocab, where, f"'{number}' is not in the hotlines file")

    def unique(self, key: str, fld: str, what: str) -> dict[Any, _Record]:
        """Report every repeated value of `fld` among `key` records; the first of each, by value."""
        seen: dict[Any, _Record] = {}
        for rec in self.records.get(key, []):
            value = rec.get(fld)
            if value is None:
                continue
            if value in seen:
                self.at(rec, (fld,), f"duplicate {what} '{value}' (first at {seen[value].where(fld)})")
            else:
                seen[value] = rec
        return seen

    def check_vocabulary_rules(self, vocab: _Record) -> None:
        """The rules vocabulary.yaml states: one kind and one service at most per word (but the
        words listed as ambiguous), no word that excuses a danger ("过去了") hidden inside a
        danger word ("晕过去了"), which would make that danger never an alarm, and every critical
        word one of its topic's danger words."""
        v = vocab.model
        allowed = {w.lower() for w in [*v.ambiguous.zh, *v.ambiguous.en]}
        services_words = {sid: [*w.zh, *w.en] for sid, w in v.services.items()}
        for rec in self.records.get("services", []):
            if rec.get("id") is not None:
                services_words.setdefault(rec.get("id"), []).extend(rec.get("aliases") or [])
        kinds_words = {k: [*w.zh, *w.en] for k, w in v.kinds.items()}
        for key, table in (("kinds", kinds_words), ("services", services_words)):
            owners: dict[str, list[str]] = {}
            for ident, words in table.items():
                for word in dict.fromkeys(w.lower() for w in words):
                    owners.setdefault(word, []).append(ident)
            for word, ids in owners.items():
                if len(ids) > 1 and not (key == "kinds" and word in allowed):
                    where = (key, ids[-1])
                    message = f"'{word}' is under {' and '.join(ids)}: a word means one {key[:-1]}"
                    self.at(vocab, where, message)
        nn = v.not_now
        excuses = [
            (group, w)
            for group in ("past", "hypothetical", "hazard", "about_services", "story", "pet", "claim", "over",
                          "figure_of_speech")
            for w in [*getattr(nn, group).zh, *getattr(nn, group).en]
        ]  # fmt: skip
        for topic, em in v.emergency.items():
            danger = [*em.zh, *em.en, *em.conditions.zh, *em.conditions.en]
            said = {w.lower() for w in [*em.zh, *em.en]}
            for word in [*em.critical.zh, *em.critical.en]:
                if word.lower() not in said:
                    message = f"critical word '{word}' is not one of {topic}'s danger words"
                    self.at(vocab, ("emergency", topic, "critical"), message + ": it would do nothing")
            for group, excuse in excuses:
                inside = next((d for d in danger if excuse in d and excuse != d), None)
                if inside is not None:
                    self.at(
                        vocab,
                        ("not_now", group),
                        f"'{excuse}' is inside the danger word '{inside}' ({topic}): it would never alarm",
                    )

    def check_examples(self, services: Mapping[str, object], kinds: Mapping[str, object]) -> None:
        """Every example's meaning names things the catalogue has, and fits its intent."""
        vocab = self.singles.get("vocabulary")
        topics = (vocab.get("emergency") or {}) if vocab else {}
        indicators = {rec.get("id") for rec in self.records.get("indicators", [])}
        for rec in self.records.get("examples", []):
            intent, kind, service = rec.get("intent"), rec.get("kind"), rec.get("service")
            indicator, emergency, complaint = rec.get("indicator"), rec.get("emergency"), rec.get("complaint")
            if kind is not None and kind not in kinds:
                self.at(rec, ("kind",), f"unknown kind '{kind}'{_did_you_mean(kind, kinds)}")
            if service is not None and service not in services:
                self.at(rec, ("service",), f"unknown service '{service}'{_did_you_mean(service, services)}")
            if indicator is not None and indicator not in indicators:
                hint = _did_you_mean(indicator, indicators)
                self.at(rec, ("indicator",), f"unknown indicator '{indicator}'{hint}")
            if emergency is not None and vocab and emergency not in topics:
                hint = _did_you_mean(emergency, topics)
                self.at(rec, ("emergency",), f"unknown emergency topic '{emergency}'{hint}")
            needs = {"emergency": "emergency", "service_info": "service"}
            wanted = needs.get(intent or "")
            if wanted is not None and rec.get(wanted) is None:
                self.at(rec, ("intent",), f"an example of {intent} names its {wanted}")
            if intent == "emergency" and (kind or service or complaint):
                self.at(rec, ("intent",), "an emergency example names only its emergency topic")
            if complaint and intent is not None and intent != "out_of_scope":
                self.at(rec, ("complaint",), "a complaint is handed to 12345: its intent is out_of_scope")

    def check_indicators(self) -> None:
        rows = {rec.get("row") for rec in self.records.get("indicators", [])}
        missing = [r for r in range(1, INDICATOR_ROWS + 1) if r not in rows]
        if not missing:
            return
        if rows:
            message = f"the plan's indicator table has {INDICATOR_ROWS} rows; missing rows "
            message += ", ".join(map(str, missing))
        else:
            message = f"the catalogue has no plan indicators (the plan's table has {INDICATOR_ROWS} rows)"
        if places := self.key_lines.get("indicators"):
            file, line = places[0]
            self.warn(file, line, "indicators", message)
        else:
            self.folder_problem("indicators", message, warning=True)

    def place(self, rec: _Record, attr: str, written: tuple[float, float] | None) -> None:
        """Check a record's position: in China, and in Qingpu (a place elsewhere would be offered
        as the nearest). `written` is the position as staff wrote it, when it was converted already;
        any other point still in GCJ-02 is converted here."""
        point = rec.get(attr)
        if not isinstance(point, Point):
            return
        lat, lon = point.lat, point.lon
        if written is None and point.crs != Crs.wgs84:
            written, (lat, lon) = (point.lat, point.lon), _to_wgs84(point)
        shown = "({}, {})".format(*(written or (lat, lon)))
        if not in_china(lat, lon):
            self.at(rec, (attr,), f"{shown} is outside China (latitude and longitude swapped?)")
        elif not in_qingpu(lat, lon):
            km = haversine_m(lat, lon, *QINGPU_CENTRE) / 1000
            self.at(rec, (attr,), f"{shown} is outside Qingpu ({km:,.0f} km from its centre)")
        if point.crs != Crs.wgs84:
            # model_construct: the values were validated already, and a validated copy costs more
            wgs = Point.model_construct(**{**point.__dict__, "lat": lat, "lon": lon, "crs": Crs.wgs84})
            rec.model = type(rec.model).model_construct(**{**rec.model.__dict__, attr: wgs})

    def check_texts(self) -> None:
        allow = self.singles.get("allowlist")
        domains = [d.lower().strip(".") for d in allow.get("domains") or []] if allow else []
        every = [rec for recs in self.records.values() for rec in recs] + list(self.singles.values())
        # The same source note or hours string recurs on thousands of records: each text is read
        # (`readable`, all in one go) and checked once. Two walks over the records rather than a
        # list of every text: at 100,000 facilities that list alone would hold a hundred megabytes.
        texts = list(dict.fromkeys(text for rec in every for _, text in _texts(rec.model, ())))
        as_read = dict(zip(texts, readable_many(texts), strict=True))
        del texts
        checked: dict[tuple[str, bool, bool], str | None] = {}
        for rec in every:
            in_vocabulary = rec.path[0] == "vocabulary"
            for sub, text in _texts(rec.model, ()):
                name_like = in_vocabulary or bool(_NAME_FIELDS.intersection(map(str, sub)))
                key = (text, name_like, sub == ("website",))
                if key not in checked:
                    checked[key] = text_problem(
                        text,
                        domains,
                        name_like=name_like,
                        website=key[2],
                        check_links=bool(allow),
                        seen=as_read[text],
                    )
                if message := checked[key]:
                    self.at(rec, sub, message)

    # -- building --

    def build(self, problems: Sequence[Problem]) -> Catalog:
        def by(key: str, get: typing.Callable[[Any], str]) -> dict[str, Any]:
            return {get(rec.model): rec.model for rec in self.records.get(key, [])}

        towns = by("towns", _name)
        committees = by("committees", _code)
        stations = by("stations", _name)
        landmarks = by("landmarks", _name)
        facilities = {k: _canonical_website(v) for k, v in by("facilities", _id).items()}
        indicators = dict(sorted(by("indicators", _id).items(), key=lambda kv: kv[1].row))
        kinds = {k: rec.model for k, rec in self.kinds().items()}
        return Catalog(
            towns=towns,
            committees=committees,
            stations=stations,
            landmarks=landmarks,
            facilities=facilities,
            services=by("services", _id),
            indicators=indicators,
            hotlines=_hotlines_with_kinds(by("hotlines", lambda h: h.number), kinds),
            holidays=tuple(rec.model for rec in self.records.get("overrides", [])),
            vocabulary=self.singles["vocabulary"].model,
            allowlist=self.singles["allowlist"].model,
            source=self.folder,
            warnings=tuple(str(p) for p in problems if p.severity == "warning"),
            kinds=kinds,
            content_hash=self.digest.hexdigest(),
            changed_at=self.changed_at,
            examples=tuple(rec.model for rec in self.records.get("examples", [])),
        )


# ---------------------------------------------------------------------------------------------
# Single-value checks, usable on their own


@functools.lru_cache(maxsize=1024)  # a few hours strings recur on thousands of records
def opening_hours_error(spec: str) -> str | None:
    """Why `spec` is not valid OpenStreetMap opening_hours syntax, or None when it is."""
    problem = validate_opening_hours(spec)
    if problem is None:
        return None
    return f"invalid opening_hours '{spec}': {problem.removeprefix('invalid opening_hours syntax ')}"


def text_problem(
    text: str,
    allowlist: Sequence[str],
    *,
    name_like: bool = False,
    website: bool = False,
    check_links: bool = True,
    seen: str | None = None,
) -> str | None:
    """What is wrong with a piece of catalogue text (spam, a link where none belongs), or None.

    The text is read as a resident would see it (`linkcheck.readable`): 大佬們 in Traditional
    characters, ｗｗｗ．ｖｉｐ３３３．Ｃｏ in full-width letters, a domain split by zero-width
    spaces or written vip333[.]co are all caught (`seen`: the text so read, when done already).
    Links are read the way browsers read them.
    """
    seen = readable(text) if seen is None else seen
    links = links_in(seen) if "." in seen or ":" in seen else []  # a link has a dot or a scheme
    hosts = [link.host or link.text for link in links]
    foreign = [
        link.host or link.text for link in links if not (check_links and domain_allowed(link.host, allowlist))
    ]
    if SPAM_PHRASES.search(seen) or (foreign and SPAM_NEAR_LINK.search(seen)):
        return f"spam-like text: {_short(text)}"
    if name_like and hosts:
        return f"a name must not contain a web address ({hosts[0]})"
    if website:
        if canonical_url(text) is None:
            return f"not a web address a browser opens safely (http or https, no user name): {_short(text)}"
        if seen != text.strip() and seen != unicodedata.normalize("NFKC", text.strip()):
            return (
                f"a web address must be written plainly (no hidden or Traditional characters): {_short(text)}"
            )
    if check_links and foreign:
        return f"the domain {foreign[0]} is not on the catalogue's allowlist"
    return None


# ---------------------------------------------------------------------------------------------
# Helpers


# Above this many bytes of YAML the files are parsed by worker processes, one file each, while this
# process validates those already parsed (libyaml's events cost most of a large catalogue's time).
PARALLEL_BYTES = 16_000_000


def _workers() -> int:
    return min(os.cpu_count() or 1, 4)


def _parallel(size: int) -> bool:
    """Whether a catalogue of `size` bytes is parsed by worker processes: when it is large, and
    this process runs one thread (the command line), so that forking it is safe. A server reloading
    in a thread of its own parses here."""
    return size >= PARALLEL_BYTES and _workers() > 1 and threading.active_count() == 1


# Per top-level key, per record index: the position as written, for records converted to WGS-84.
_Written = dict[str, dict[int, tuple[float, float]]]


def _read_positions(parsed: yamlfile.Parsed) -> tuple[yamlfile.Parsed, _Written]:
    """Convert the positions in a parsed file to WGS-84 before its records are made, so that no
    record is made twice (at 100,000 facilities a second copy costs seconds and a hundred MB);
    done where the file was parsed (a worker process, for a large catalogue)."""
    written: _Written = {}
    if isinstance(parsed, yamlfile.Document) and isinstance(parsed.data, dict):
        for key, value in parsed.data.items():
            attr = _POINT_FIELDS.get(key)
            if attr is not None and isinstance(value, list):
                converted = {i: w for i, item in enumerate(value) if (w := _wgs84_in_place(item, attr))}
                written[key] = converted
    return parsed, written


def _parse_path(path: str) -> tuple[yamlfile.Parsed, _Written]:
    """A worker process's job: one file parsed, its positions converted."""
    return _read_positions(yamlfile.parse_path(path))


def _parse_in_workers(files: Sequence[tuple[str, Path]]) -> Iterator[tuple[yamlfile.Parsed, _Written]]:
    """Each file parsed by worker processes, in order (for a large catalogue)."""
    # fork: the workers start at once with everything imported (this process has one thread).
    context = multiprocessing.get_context("fork")
    workers = _workers()
    paths = [str(path) for _, path in files]
    done = 0
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            # A few files ahead, not all: a parsed file waiting here holds tens of megabytes.
            ahead: collections.deque[Future[tuple[yamlfile.Parsed, _Written]]] = collections.deque()
            for path in paths:
                ahead.append(pool.submit(_parse_path, path))
                if len(ahead) > workers:
                    yield ahead.popleft().result()
                    done += 1
            while ahead:
                yield ahead.popleft().result()
                done += 1
    except (BrokenProcessPool, OSError):  # a worker killed (out of memory?): carry on here
        for path in paths[done:]:
            yield _parse_path(path)


def _raise(error: OSError) -> None:
    raise error


def _decode(raw: bytes) -> str:
    """UTF-8 text (a byte order mark at the start is dropped); raises UnicodeDecodeError."""
    return raw.decode("utf-8-sig")


@functools.cache
def _list_adapter(model: type[Strict]) -> TypeAdapter[list[Any]]:
    return TypeAdapter(list[model])  # type: ignore[valid-type]  # a model class chosen at runtime


@functools.cache
def _field_adapter(model: type[BaseModel], name: str) -> TypeAdapter[Any]:
    info = model.model_fields[name]
    annotation: Any = info.annotation
    return TypeAdapter(Annotated[annotation, *info.metadata] if info.metadata else annotation)


def _partial(model: type[BaseModel], item: object, exc: ValidationError) -> BaseModel | None:
    """The fields of a record that are valid on their own, so that a record with a misspelt field
    or a missing source is still checked for duplicate ids, unknown kinds, towns and hours."""
    if not isinstance(item, dict):
        return None
    bad = {err["loc"][0] for err in exc.errors() if err["loc"]}
    values: dict[str, Any] = {}
    for name in model.model_fields:
        if name in item and name not in bad:
            try:
                values[name] = _field_adapter(model, name).validate_python(item[name])
            except ValidationError:
                continue
    return model.model_construct(**values)


def _line_for(lines: Mapping[Path_, int], loc: Path_) -> int:
    """The line of the longest known prefix of `loc` (a missing field points at its record)."""
    # pydantic may add union tags to a location; they are not in the YAML, so skip unknown keys.
    known: Path_ = ()
    for part in loc:
        if (*known, part) in lines:
            known = (*known, part)
    return lines.get(known, 1)


def _dotted(loc: Path_) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _short(value: object, limit: int = 60) -> str:
    text = repr(value) if not isinstance(value, str) else f"'{value}'"
    return text if len(text) <= limit else text[: limit - 1] + "…'"


def _did_you_mean(word: str, choices: typing.Iterable[object]) -> str:
    options = [str(c) for c in choices]
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _fields_at(model: type[BaseModel], loc: tuple[object, ...]) -> list[str]:
    """The field names allowed at `loc` inside `model` (to suggest a fix for a misspelt field)."""
    current: object = model
    for part in loc:
        if isinstance(current, type) and issubclass(current, BaseModel):
            if isinstance(part, str) and part in current.model_fields:
                current = _inner_model(current.model_fields[part].annotation)
                continue
        elif isinstance(part, str | int):
            continue  # a list index or a dict key: the inner model was already unwrapped
        break
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _inner_model(annotation: object) -> object:
    """The pydantic model inside Optional[...], list[...], dict[str, ...] (or the annotation itself)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (list, dict, typing.Union, types.UnionType, typing.Annotated):
        for arg in reversed(typing.get_args(annotation)):
            inner = _inner_model(arg)
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                return inner
    return annotation


def _texts(value: object, path: tuple[str | int, ...]) -> list[tuple[tuple[str | int, ...], str]]:
    """Every free-text string inside a record, with its path (enum values are not text)."""
    out: list[tuple[tuple[str | int, ...], str]] = []
    _collect_texts(value, path, out)
    return out


def _collect_texts(value: object, path: Path_, out: list[tuple[Path_, str]]) -> None:
    # The hot loop of the text checks (a million texts at 100,000 facilities): strings and lists
    # of strings, by far the most common, are taken without a further call.
    cls = value.__class__
    if cls is str:
        out.append((path, value))  # type: ignore[arg-type]  # checked: a str
    elif isinstance(value, BaseModel):
        fields = value.__dict__  # the fields a (partial) record has
        for name in _text_fields(type(value)):
            item = fields.get(name)
            if item is None:
                continue
            kind = item.__class__
            if kind is str:
                out.append(((*path, name), item))
            elif kind is list and all(x.__class__ is str for x in item):
                out += [((*path, name, i), x) for i, x in enumerate(item)]
            else:
                _collect_texts(item, (*path, name), out)
    elif cls is list or cls is tuple:
        for i, item in enumerate(value):  # type: ignore[arg-type]  # checked: a list or tuple
            _collect_texts(item, (*path, i), out)
    elif cls is dict:
        for key, item in value.items():  # type: ignore[attr-defined]  # checked: a dict
            _collect_texts(item, (*path, str(key)), out)


@functools.cache
def _text_fields(model: type[BaseModel]) -> tuple[str, ...]:
    """The fields of `model` that can hold free text (not numbers, dates, enums or checked ids)."""
    return tuple(
        name
        for name, info in model.model_fields.items()
        if name not in _NOT_FREE_TEXT and not _never_text(info.annotation)
    )


def _never_text(annotation: object) -> bool:
    """Whether a field of this type can hold no text: a number, a date, an enum, a flag."""
    if isinstance(annotation, type):
        return annotation in _NOT_TEXT or issubclass(annotation, Enum)
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, typing.Annotated) and args:
        return all(_never_text(a) for a in (args[:1] if origin is typing.Annotated else args))
    return False


_NOT_TEXT = frozenset({int, float, bool, dt.date, dt.datetime})
# Fields whose value is checked against a pattern or a list of what exists (ids, kinds, towns,
# hotline numbers, phones): no link or spam can pass those checks, so their text is not read again.
_NOT_FREE_TEXT = frozenset({"id", "kind", "town", "level", "services", "where", "hotline", "number", "phone"})


def _wgs84_in_place(item: object, attr: str | None) -> tuple[float, float] | None:
    """Convert the position of one record as read from YAML to WGS-84, in place; the position as
    written when it was converted, else None (no position, or one the model will refuse)."""
    if attr is None or item.__class__ is not dict:
        return None
    point = item.get(attr)
    if point.__class__ is not dict:
        return None
    lat, lon, crs = point.get("lat"), point.get("lon"), point.get("crs", Crs.gcj02.value)
    if lat.__class__ not in (int, float) or lon.__class__ not in (int, float) or crs not in _CRS_NAMES:
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    if crs == Crs.gcj02.value:
        item[attr] = {**point, "crs": Crs.wgs84.value}
        item[attr]["lat"], item[attr]["lon"] = _gcj02_to_wgs84(lat, lon)
    return lat, lon


_CRS_NAMES = frozenset(c.value for c in Crs)


def _to_wgs84(point: Point) -> tuple[float, float]:
    if point.crs == Crs.gcj02:
        return _gcj02_to_wgs84(point.lat, point.lon)
    return point.lat, point.lon


@functools.lru_cache(maxsize=4096)
def _gcj02_to_wgs84(lat: float, lon: float) -> tuple[float, float]:
    """Many records share a position (a town's centre, until each is placed): converted once."""
    return gcj02_to_wgs84(lat, lon)


def _canonical_website(facility: Facility) -> Facility:
    """The facility with its website as browsers serialise it (what the validator checked)."""
    if facility.website is None:
        return facility
    canonical = canonical_url(facility.website)
    if canonical is None or canonical == facility.website:
        return facility
    return facility.model_copy(update={"website": canonical})


def _hotlines_with_kinds(hotlines: dict[str, Hotline], kinds: Mapping[str, Kind]) -> dict[str, Hotline]:
    """The hotlines with each kind among the topics of the one kinds.yaml gives it, and no other."""
    out: dict[str, Hotline] = {}
    for number, hotline in hotlines.items():
        if hotline.emergency:
            out[number] = hotline
            continue
        topics = [t for t in hotline.topics if t not in kinds]
        topics += [k for k, kind in kinds.items() if kind.hotline == number]
        out[number] = hotline if topics == hotline.topics else hotline.model_copy(update={"topics": topics})
    return out


def _name(record: Any) -> str:
    return str(record.name)


def _code(record: Any) -> str:
    return str(record.code)


def _id(record: Any) -> str:
    return str(record.id)
