"""Reading and checking the YAML catalogue that district staff keep.

`load_catalog(folder)` returns a complete `Catalog` or raises `CatalogValidationError` listing every
problem found (never half a catalogue). `check_catalog(folder)` does the same work and returns the
problems instead, for `doorstep catalog validate`.

Every problem points at a line: the YAML is parsed with PyYAML's composer, whose nodes keep their
position, and pydantic's error locations are mapped back onto those nodes.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, TypeAdapter, ValidationError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from services_catalog.catalog import Catalog
from services_catalog.coords import gcj02_to_wgs84, in_china, in_qingpu
from services_catalog.errors import CatalogFileError, CatalogValidationError, Problem
from services_catalog.hours import validate_opening_hours
from services_catalog.linkcheck import domain_allowed, domains_in
from services_catalog.models import (
    KIND_IDS,
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
)

# libyaml's parser when PyYAML was built with it (keeps line marks; several times faster).
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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
    "examples": Example,
}

# Files the catalogue cannot work without.
EMERGENCY_NUMBERS: tuple[str, ...] = ("120", "119", "110")
REQUIRED_KEYS: tuple[str, ...] = ("towns", "services", "hotlines", "vocabulary", "allowlist")

INDICATOR_ROWS = 20  # the plan's indicator table has 20 rows

# Spam as it was injected into the seed, e.g.
#   大佬们都在玩{精选官网网址: www.vip333.Co }值得信任的品牌平台!
# Kept small on purpose: these phrases never occur in ordinary public-service text.
SPAM_PHRASES = re.compile(
    r"官网网址|大佬们都在玩|值得信任的品牌平台|博彩|网赌|赌场|赌博网|在线赌|娱乐城|真人荷官|百家乐|彩金"
)
# Words that are innocent on their own (an elderly centre's 棋牌室) but spam next to a link that
# is not on the allowlist.
SPAM_NEAR_LINK = re.compile(r"赌|棋牌|彩票|投注|下注|返水|充值")

# Top-level domains worth recognising in bare text ("www.vip333.Co", "zwdt.sh.gov.cn").

# Fields whose text names a thing: a link there is always spam.
_NAME_FIELDS = frozenset({"name", "name_en", "aliases"})

Path_ = tuple[str | int, ...]
T = TypeVar("T")


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
    reader = _Reader(Path(folder))
    reader.read_all()
    reader.cross_check()
    problems = sorted(reader.problems)
    if any(p.severity == "error" for p in problems):
        return None, problems
    return reader.build(problems), problems


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


@dataclass
class _Record:
    """One validated record and where it came from."""

    file: str
    path: Path_  # e.g. ("facilities", 3)
    lines: dict[Path_, int]  # the file's line map
    model: Any

    def line(self, *sub: str | int) -> int:
        return _line_for(self.lines, self.path + sub)

    def field(self, *sub: str | int) -> str:
        return _dotted(self.path + sub)

    def where(self, *sub: str | int) -> str:
        return f"{self.file}:{self.line(*sub)}"


@dataclass
class _Reader:
    folder: Path
    problems: list[Problem] = field(default_factory=list)
    records: dict[str, list[_Record]] = field(default_factory=dict)  # by top-level key
    singles: dict[str, _Record] = field(default_factory=dict)  # vocabulary, allowlist
    key_lines: dict[str, list[tuple[str, int]]] = field(default_factory=dict)  # key -> [(file, line)]

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

    def read_all(self) -> None:
        if not self.folder.is_dir():
            raise CatalogFileError(f"{self.folder}: no such catalogue folder")
        try:
            files = sorted(
                p
                for p in self.folder.rglob("*.yaml")
                if p.is_file() and not any(part.startswith(".") for part in p.relative_to(self.folder).parts)
            )
        except OSError as exc:
            raise CatalogFileError(f"{self.folder}: cannot be read ({exc.strerror})") from exc
        for stray in sorted(self.folder.rglob("*.yml")):
            rel = stray.relative_to(self.folder).as_posix()
            self.warn(rel, 0, "yaml", "ignored: catalogue files must end in .yaml")
        for path in files:
            rel = path.relative_to(self.folder).as_posix()
            try:
                text = path.read_text(encoding="utf-8")
            except UnicodeDecodeError as exc:
                self.error(rel, 1, "yaml", f"the file is not UTF-8 text ({exc.reason})")
                continue
            except OSError as exc:
                raise CatalogFileError(f"{path}: cannot be read ({exc.strerror})") from exc
            self.read_file(rel, text)

    def has_alias(self, rel: str, text: str) -> bool:
        """Refuse YAML anchors and aliases (& and *): staff never need them, and nested ones can
        expand a small file into gigabytes."""
        if "&" not in text and "*" not in text:
            return False  # neither can be there: spare the second parse
        try:
            for event in yaml.parse(text, Loader=_Loader):
                if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                    line = event.start_mark.line + 1 if event.start_mark is not None else 1
                    self.error(
                        rel, line, "yaml", "anchors and aliases (& and *) are not allowed in the catalogue"
                    )
                    return True
        except yaml.YAMLError:
            return False  # the syntax error is reported, with its line, when the file is read
        return False

    def read_file(self, rel: str, text: str) -> None:
        if self.has_alias(rel, text):
            return
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark is not None else 1
            what = exc.problem or exc.context or "cannot be parsed"
            self.error(rel, line, "yaml", f"YAML syntax error: {what}")
            return
        except yaml.YAMLError as exc:
            self.error(rel, 1, "yaml", f"YAML syntax error: {exc}")
            return
        finally:
            loader.dispose()

        if node is None or data is None:
            self.warn(rel, 1, "yaml", "the file is empty")
            return
        lines: dict[Path_, int] = {}
        for dup_path, line, first in _walk_lines(node, (), lines):
            self.error(rel, line, _dotted(dup_path), f"duplicate key (first at line {first})")
        if not isinstance(data, dict) or not isinstance(node, MappingNode):
            self.error(
                rel, node.start_mark.line + 1, "yaml", "a catalogue file must start with a top-level key"
            )
            return

        file_kind: type[Strict] | None = None
        for key, value in data.items():
            key_line = lines.get((key,), 1)
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
                self.read_records(rel, key, value, lines)
            else:
                self.read_single(rel, key, value, lines)

    def read_records(self, rel: str, key: str, value: object, lines: dict[Path_, int]) -> None:
        if not isinstance(value, list):
            self.error(rel, lines.get((key,), 1), key, "expected a list of records (write [] for none)")
            return
        model = RECORD_MODELS[key]
        bucket = self.records.setdefault(key, [])
        for i, item in enumerate(value):
            rec_path: Path_ = (key, i)
            try:
                record = model.model_validate(item)
            except ValidationError as exc:
                self.pydantic_problems(rel, rec_path, lines, model, exc)
                continue
            bucket.append(_Record(rel, rec_path, lines, record))

    def read_single(self, rel: str, key: str, value: object, lines: dict[Path_, int]) -> None:
        model: type[BaseModel] = Vocabulary if key == "vocabulary" else Allowlist
        try:
            record = model.model_validate(value)
        except ValidationError as exc:
            self.pydantic_problems(rel, (key,), lines, model, exc)
            return
        if key in self.singles:
            first = self.singles[key]
            self.error(rel, lines.get((key,), 1), key, f"the catalogue already has a {key} ({first.where()})")
            return
        self.singles[key] = _Record(rel, (key,), lines, record)

    def pydantic_problems(
        self, rel: str, base: Path_, lines: dict[Path_, int], model: type[BaseModel], exc: ValidationError
    ) -> None:
        for err in exc.errors():
            loc = base + tuple(err["loc"])
            line = _line_for(lines, loc)
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

        towns = self.unique("towns", lambda t: t.name, "name", "town")
        services = self.unique("services", lambda s: s.id, "id", "service id")
        hotlines = self.unique("hotlines", lambda h: h.number, "number", "hotline")
        self.unique("facilities", lambda f: f.id, "id", "facility id")
        self.unique("indicators", lambda i: i.id, "id", "indicator id")
        self.unique("indicators", lambda i: i.row, "row", "indicator row")
        self.unique("committees", lambda c: c.code, "code", "committee code")
        self.unique("stations", lambda s: s.name, "name", "station name")
        self.unique("landmarks", lambda s: s.name, "name", "landmark name")
        self.unique("overrides", lambda o: o.date, "date", "holiday override date")
        # A reference into a file that is missing altogether is reported once, as the missing file.
        has_towns, has_services, has_hotlines = (
            k in self.key_lines for k in ("towns", "services", "hotlines")
        )

        for rec in self.records.get("towns", []):
            if rec.model.name not in TOWN_NAMES:
                self.at(rec, ("name",), f"'{rec.model.name}' is not one of Qingpu's 11 towns")
        for key in ("committees", "stations", "landmarks", "facilities"):
            for rec in self.records.get(key, []):
                if has_towns and rec.model.town not in towns:
                    hint = _did_you_mean(rec.model.town, towns)
                    self.at(rec, ("town",), f"unknown town '{rec.model.town}'{hint}")
        for rec in self.records.get("facilities", []):
            fac: Facility = rec.model
            if fac.kind not in KIND_IDS:
                self.at(rec, ("kind",), f"unknown kind '{fac.kind}'{_did_you_mean(fac.kind, KIND_IDS)}")
            for i, sid in enumerate(fac.services):
                if has_services and sid not in services:
                    self.at(rec, ("services", i), f"unknown service '{sid}'{_did_you_mean(sid, services)}")
            if fac.opening_hours is not None:
                hours_error = opening_hours_error(fac.opening_hours)
                if hours_error:
                    self.at(rec, ("opening_hours",), hours_error)
        for rec in self.records.get("services", []):
            svc: Service = rec.model
            for i, kind in enumerate(svc.where):
                if kind not in KIND_IDS:
                    self.at(rec, ("where", i), f"unknown kind '{kind}'{_did_you_mean(kind, KIND_IDS)}")
            if has_hotlines and svc.hotline is not None and svc.hotline not in hotlines:
                self.at(rec, ("hotline",), f"'{svc.hotline}' is not in the hotlines file")
        for rec in self.records.get("hotlines", []):
            for i, topic in enumerate(rec.model.topics):
                if has_services and topic not in KIND_IDS and topic not in services:
                    self.at(
                        rec,
                        ("topics", i),
                        f"'{topic}' is neither a facility kind nor a service id",
                        warning=True,
                    )
        if has_hotlines:
            # Emergencies are answered with these numbers first: a catalogue without them is unsafe.
            for number in EMERGENCY_NUMBERS:
                if number not in hotlines:
                    self.folder_problem(
                        "hotlines", f"the emergency number {number} is missing from the hotlines"
                    )
        if vocab := self.singles.get("vocabulary"):
            for topic, em in vocab.model.emergency.items():
                if has_hotlines and em.number not in hotlines:
                    self.at(
                        vocab, ("emergency", topic, "number"), f"'{em.number}' is not in the hotlines file"
                    )
                for i, number in enumerate(em.also):
                    if has_hotlines and number not in hotlines:
                        where = ("emergency", topic, "also", i)
                        self.at(vocab, where, f"'{number}' is not in the hotlines file")
            self.check_vocabulary_rules(vocab)
            for kind in vocab.model.kinds:
                if kind not in KIND_IDS:
                    self.at(vocab, ("kinds", kind), f"unknown kind '{kind}'{_did_you_mean(kind, KIND_IDS)}")
            for sid in vocab.model.services:
                if has_services and sid not in services:
                    self.at(
                        vocab, ("services", sid), f"unknown service '{sid}'{_did_you_mean(sid, services)}"
                    )
        self.check_examples(services)
        self.check_indicators()
        self.check_points()
        self.check_texts()

    def unique(
        self, key: str, get: typing.Callable[[Any], object], fld: str, what: str
    ) -> dict[Any, _Record]:
        """Report every repeated value of `fld` among `key` records; the first of each, by value."""
        seen: dict[Any, _Record] = {}
        for rec in self.records.get(key, []):
            value = get(rec.model)
            if value in seen:
                self.at(rec, (fld,), f"duplicate {what} '{value}' (first at {seen[value].where(fld)})")
            else:
                seen[value] = rec
        return seen

    def check_vocabulary_rules(self, vocab: _Record) -> None:
        """The rules vocabulary.yaml states: one kind and one service at most per word (but the
        words listed as ambiguous), and no word that excuses a danger ("过去了") hidden inside a
        danger word ("晕过去了"), which would make that danger never an alarm."""
        v = vocab.model
        allowed = {w.lower() for w in [*v.ambiguous.zh, *v.ambiguous.en]}
        services_words = {sid: [*w.zh, *w.en] for sid, w in v.services.items()}
        for rec in self.records.get("services", []):
            services_words.setdefault(rec.model.id, []).extend(rec.model.aliases)
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
            for group, excuse in excuses:
                inside = next((d for d in danger if excuse in d and excuse != d), None)
                if inside is not None:
                    self.at(
                        vocab,
                        ("not_now", group),
                        f"'{excuse}' is inside the danger word '{inside}' ({topic}): it would never alarm",
                    )

    def check_examples(self, services: Mapping[str, object]) -> None:
        """Every example's meaning names things the catalogue has, and fits its intent."""
        vocab = self.singles.get("vocabulary")
        topics = vocab.model.emergency if vocab else {}
        indicators = {rec.model.id for rec in self.records.get("indicators", [])}
        for rec in self.records.get("examples", []):
            ex: Example = rec.model
            if ex.kind is not None and ex.kind not in KIND_IDS:
                self.at(rec, ("kind",), f"unknown kind '{ex.kind}'{_did_you_mean(ex.kind, KIND_IDS)}")
            if ex.service is not None and ex.service not in services:
                hint = _did_you_mean(ex.service, services)
                self.at(rec, ("service",), f"unknown service '{ex.service}'{hint}")
            if ex.indicator is not None and ex.indicator not in indicators:
                hint = _did_you_mean(ex.indicator, indicators)
                self.at(rec, ("indicator",), f"unknown indicator '{ex.indicator}'{hint}")
            if ex.emergency is not None and vocab and ex.emergency not in topics:
                hint = _did_you_mean(ex.emergency, topics)
                self.at(rec, ("emergency",), f"unknown emergency topic '{ex.emergency}'{hint}")
            needs = {"emergency": "emergency", "service_info": "service"}
            wanted = needs.get(ex.intent)
            if wanted is not None and getattr(ex, wanted) is None:
                self.at(rec, ("intent",), f"an example of {ex.intent} names its {wanted}")
            if ex.intent == "emergency" and (ex.kind or ex.service or ex.complaint):
                self.at(rec, ("intent",), "an emergency example names only its emergency topic")
            if ex.complaint and ex.intent != "out_of_scope":
                self.at(rec, ("complaint",), "a complaint is handed to 12345: its intent is out_of_scope")

    def check_indicators(self) -> None:
        rows = {rec.model.row for rec in self.records.get("indicators", [])}
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

    def check_points(self) -> None:
        for rec, sub, point in self.points():
            lat, lon = _to_wgs84(point)
            if not in_china(lat, lon):
                self.at(
                    rec, sub, f"({point.lat}, {point.lon}) is outside China (latitude and longitude swapped?)"
                )
            elif not in_qingpu(lat, lon):
                self.at(rec, sub, f"({point.lat}, {point.lon}) is outside Qingpu", warning=True)

    def points(self) -> Iterator[tuple[_Record, tuple[str, ...], Point]]:
        for key, attr in (
            ("towns", "centre"),
            ("committees", "centre"),
            ("stations", "point"),
            ("landmarks", "point"),
            ("facilities", "point"),
        ):
            for rec in self.records.get(key, []):
                point = getattr(rec.model, attr)
                if point is not None:
                    yield rec, (attr,), point

    def check_texts(self) -> None:
        allow = self.singles.get("allowlist")
        domains = [d.lower().strip(".") for d in allow.model.domains] if allow else []
        every = [rec for recs in self.records.values() for rec in recs] + list(self.singles.values())
        for rec in every:
            in_vocabulary = rec.path[0] == "vocabulary"
            for sub, text in _texts(rec.model, ()):
                name_like = in_vocabulary or bool(set(map(str, sub)) & _NAME_FIELDS)
                message = text_problem(
                    text, domains, name_like=name_like, website=sub == ("website",), check_links=bool(allow)
                )
                if message:
                    self.at(rec, sub, message)

    # -- building --

    def build(self, problems: Sequence[Problem]) -> Catalog:
        def by(key: str, get: typing.Callable[[Any], str]) -> dict[str, Any]:
            return {get(rec.model): rec.model for rec in self.records.get(key, [])}

        towns = {k: _moved(v, "centre") for k, v in by("towns", _name).items()}
        committees = {k: _moved(v, "centre") for k, v in by("committees", _code).items()}
        stations = {k: _moved(v, "point") for k, v in by("stations", _name).items()}
        landmarks = {k: _moved(v, "point") for k, v in by("landmarks", _name).items()}
        facilities = {k: _moved(v, "point") for k, v in by("facilities", _id).items()}
        indicators = dict(sorted(by("indicators", _id).items(), key=lambda kv: kv[1].row))
        return Catalog(
            towns=towns,
            committees=committees,
            stations=stations,
            landmarks=landmarks,
            facilities=facilities,
            services=by("services", _id),
            indicators=indicators,
            hotlines=by("hotlines", lambda h: h.number),
            holidays=tuple(rec.model for rec in self.records.get("overrides", [])),
            vocabulary=self.singles["vocabulary"].model,
            allowlist=self.singles["allowlist"].model,
            source=self.folder,
            warnings=tuple(str(p) for p in problems if p.severity == "warning"),
            examples=tuple(rec.model for rec in self.records.get("examples", [])),
        )


# ---------------------------------------------------------------------------------------------
# Single-value checks, usable on their own


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
) -> str | None:
    """What is wrong with a piece of catalogue text (spam, a link where none belongs), or None."""
    domains = domains_in(text)
    foreign = [d for d in domains if not (check_links and domain_allowed(d, allowlist))]
    if SPAM_PHRASES.search(text) or (foreign and SPAM_NEAR_LINK.search(text)):
        return f"spam-like text: {_short(text)}"
    if name_like and domains:
        return f"a name must not contain a web address ({domains[0]})"
    if website and not domains:
        return f"not a web address: {_short(text)}"
    if check_links and foreign:
        return f"the domain {foreign[0]} is not on the catalogue's allowlist"
    return None


# ---------------------------------------------------------------------------------------------
# Helpers


def _walk_lines(node: Node, path: Path_, lines: dict[Path_, int]) -> Iterator[tuple[Path_, int, int]]:
    """Fill `lines` (path -> 1-based line) for `node`; yield (path, line, first line) of duplicate keys."""
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, ScalarNode) else str(key_node.start_mark)
            sub = (*path, key)
            line = key_node.start_mark.line + 1
            if sub in lines:
                yield sub, line, lines[sub]
                continue
            lines[sub] = line
            yield from _walk_lines(value_node, sub, lines)
    elif isinstance(node, SequenceNode):
        for i, item in enumerate(node.value):
            yield from _walk_lines(item, (*path, i), lines)


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


def _texts(value: object, path: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Every free-text string inside a record, with its path (enum values are not text)."""
    if isinstance(value, Enum):
        return
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _texts(getattr(value, name), (*path, name))
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            yield from _texts(item, (*path, i))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _texts(item, (*path, str(key)))


def _to_wgs84(point: Point) -> tuple[float, float]:
    if point.crs == Crs.gcj02:
        return gcj02_to_wgs84(point.lat, point.lon)
    return point.lat, point.lon


def _wgs84_point(point: Point | None) -> Point | None:
    if point is None or point.crs == Crs.wgs84:
        return point
    lat, lon = gcj02_to_wgs84(point.lat, point.lon)
    return point.model_copy(update={"lat": lat, "lon": lon, "crs": Crs.wgs84})


def _moved(record: T, attr: str) -> T:
    """A copy of `record` whose point `attr` is in WGS-84."""
    assert isinstance(record, BaseModel)
    return record.model_copy(update={attr: _wgs84_point(getattr(record, attr))})


def _name(record: Any) -> str:
    return str(record.name)


def _code(record: Any) -> str:
    return str(record.code)


def _id(record: Any) -> str:
    return str(record.id)
