"""`doorstep catalog import FILE`: the spreadsheets a district office keeps, into the catalogue.

CSV (UTF-8, or GB18030 as Excel writes it on a Chinese Windows) and XLSX. Columns are found by
their header, in Chinese or English (名称/name, 地址/address, 电话/phone, 开放时间/opening_hours,
经度/lon, 纬度/lat, 坐标系/crs, 类别/kind, 镇/街道/town, 来源/source, 核实日期/verified, 备注/note).

Each row is matched to an existing record by name within its town (rapidfuzz, after the
"上海市青浦区" prefixes; the match and its score are shown), so it updates that record instead of
adding a second one; an unmatched row is a new record. A row that cannot be used is refused with
its line number and the reason; nothing is guessed. An empty cell changes nothing.

Planning writes nothing. `apply_plan` writes the YAML the same way the console does
(`editing.Draft`: only the records' lines, the whole catalogue checked first), with the file and
line recorded in each record's `source`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz

from services_catalog.catalog import Catalog
from services_catalog.editing import HOURS_EXAMPLE, PHONE_PATTERN, Draft, Saved
from services_catalog.hours_text import hours_issue
from services_catalog.models import KIND_IDS, Facility, Town
from services_catalog.positions import PASTED_CRS, PastedCrs, PositionError, parse_pasted, to_wgs84

MATCH_SCORE = 85  # a name this similar (0-100) within the same town is the same place
MAX_ROWS = 10_000

# Header (lower case, without spaces) -> field.
HEADERS: dict[str, str] = {
    **dict.fromkeys(["名称", "机构名称", "场所名称", "单位名称", "name"], "name"),
    **dict.fromkeys(["地址", "详细地址", "address"], "address"),
    **dict.fromkeys(["电话", "联系电话", "咨询电话", "phone", "tel", "telephone"], "phone"),
    **dict.fromkeys(
        ["开放时间", "办公时间", "服务时间", "营业时间", "opening_hours", "hours"], "opening_hours"
    ),
    **dict.fromkeys(["经度", "lng", "lon", "longitude"], "lon"),
    **dict.fromkeys(["纬度", "lat", "latitude"], "lat"),
    **dict.fromkeys(["坐标系", "坐标系统", "crs", "coordinatesystem"], "crs"),
    **dict.fromkeys(["精度", "位置精度", "precision"], "precision"),
    **dict.fromkeys(["类别", "类型", "kind", "type", "category"], "kind"),
    **dict.fromkeys(["镇/街道", "镇街", "街镇", "镇", "街道", "所属街镇", "town"], "town"),
    **dict.fromkeys(["来源", "信息来源", "source"], "source"),
    **dict.fromkeys(["核实日期", "核实时间", "verified"], "verified"),
    **dict.fromkeys(["备注", "note", "notes"], "note"),
}
CRS_WORDS: dict[str, PastedCrs] = {
    **dict.fromkeys(["gcj02", "gcj-02", "gcj", "高德", "火星", "腾讯"], "gcj02"),
    **dict.fromkeys(["wgs84", "wgs-84", "wgs", "gps"], "wgs84"),
    **dict.fromkeys(["bd09", "bd-09", "百度", "baidu"], "bd09"),
}
PRECISION_WORDS = {
    **dict.fromkeys(["exact", "门址", "准确", "精确"], "exact"),
    **dict.fromkeys(["approximate", "大致", "估计"], "approximate"),
}
_PREFIX = re.compile(r"^(上海市)?(青浦区)?")
FIELD_NAMES_ZH = {
    "address": "地址",
    "phone": "电话",
    "opening_hours": "开放时间",
    "point": "位置",
    "verified": "核实日期",
    "note": "备注",
}


class ImportFileError(Exception):
    """The file cannot be read as a table at all."""


@dataclass
class Row:
    """One data row: its line in the file and its cells by field."""

    line: int
    cells: dict[str, str]


@dataclass
class Planned:
    """What one row does."""

    line: int
    action: str  # "changed" | "added" | "unchanged" | "refused"
    facility_id: str | None = None
    name: str = ""
    values: dict[str, Any] = field(default_factory=dict)  # the YAML fields it sets
    before: dict[str, Any] = field(default_factory=dict)
    matched: str | None = None  # the record's name a row matched, and how well
    score: float | None = None
    reason: str = ""
    kind: str | None = None
    town: str | None = None


@dataclass
class ImportPlan:
    """Every row of a file and what it does; `ignored` columns had headers nobody reads."""

    file: Path
    rows: list[Planned]
    ignored: list[str]

    def count(self, action: str) -> int:
        """How many rows do `action`."""
        return sum(p.action == action for p in self.rows)


# ---------------------------------------------------------------------------------------------
# Reading


def read_rows(path: Path) -> tuple[list[Row], list[str]]:
    """The data rows of a CSV or XLSX file and the headers no field reads.

    Raises `ImportFileError` when the file cannot be read or has no header Doorstep knows.
    """
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        table = list(_xlsx_rows(path))
    elif suffix in (".csv", ".txt"):
        table = list(_csv_rows(path))
    else:
        raise ImportFileError(f"{path.name}: only .csv and .xlsx files can be imported")
    for index, (_line, cells) in enumerate(table):
        fields = [_field(c) for c in cells]
        if "name" in fields:
            header = fields
            ignored = [
                str(c).strip() for c, f in zip(cells, fields, strict=True) if f is None and str(c).strip()
            ]
            rows = []
            for data_line, values in table[index + 1 :]:
                if not any(str(v).strip() for v in values):
                    continue
                picked = {
                    f: _text(v) for f, v in zip(header, values, strict=False) if f is not None and _text(v)
                }
                rows.append(Row(data_line, picked))
            if len(rows) > MAX_ROWS:
                raise ImportFileError(f"{path.name}: more than {MAX_ROWS} rows; split the file")
            return rows, ignored
        if index >= 10:
            break
    raise ImportFileError(f"{path.name}: no header row with a 名称 (name) column in the first rows")


def _field(header: object) -> str | None:
    return HEADERS.get(re.sub(r"\s+", "", str(header or "")).lower())


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _csv_rows(path: Path) -> Iterator[tuple[int, list[object]]]:
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise ImportFileError(f"{path}: cannot be read ({err.strerror})") from err
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ImportFileError(f"{path.name}: neither UTF-8 nor GB18030 text")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for cells in reader:
            yield reader.line_num, list(cells)
    except csv.Error as err:
        raise ImportFileError(f"{path.name}:{reader.line_num}: not CSV ({err})") from err


def _xlsx_rows(path: Path) -> Iterator[tuple[int, list[object]]]:
    from openpyxl import load_workbook  # imported when needed: only imports read XLSX

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as err:  # openpyxl raises zipfile, KeyError, InvalidFileException...
        raise ImportFileError(f"{path.name}: not a readable XLSX file ({type(err).__name__})") from err
    try:
        sheet = book.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, list(values)
    finally:
        book.close()


# ---------------------------------------------------------------------------------------------
# Planning


def plan_import(catalog: Catalog, path: Path, *, default_kind: str | None = None) -> ImportPlan:
    """What importing `path` into `catalog` would do, row by row. Writes nothing."""
    rows, ignored = read_rows(path)
    kinds = _kind_words(catalog)
    planned: list[Planned] = []
    taken: dict[str, int] = {}  # facility id -> the line that already changes it
    new_names: dict[tuple[str, str], int] = {}
    new_ids: set[str] = set()
    for row in rows:
        plan = _plan_row(catalog, row, path, kinds, default_kind)
        if plan.action in ("changed", "unchanged") and plan.facility_id in taken:
            plan = Planned(
                row.line,
                "refused",
                name=plan.name,
                reason=f"the same record as line {taken[plan.facility_id or '']}",
            )
        elif plan.action == "added":
            key = (_normal(plan.name), plan.town or "")
            if key in new_names:
                plan = Planned(
                    row.line, "refused", name=plan.name, reason=f"the same new place as line {new_names[key]}"
                )
            else:
                new_names[key] = row.line
                plan.facility_id = _new_id(catalog, plan.kind or "", catalog.towns[plan.town or ""], new_ids)
                plan.values["id"] = plan.facility_id
                new_ids.add(plan.facility_id)
        if plan.facility_id and plan.action in ("changed", "unchanged"):
            taken[plan.facility_id] = row.line
        planned.append(plan)
    return ImportPlan(path, planned, ignored)


def _plan_row(
    catalog: Catalog, row: Row, path: Path, kinds: dict[str, str], default_kind: str | None
) -> Planned:
    cells = row.cells
    name = cells.get("name", "")

    def refuse(reason: str) -> Planned:
        return Planned(row.line, "refused", name=name, reason=reason)

    if not name:
        return refuse("no name (名称 is empty)")
    town = _town(catalog, cells.get("town", ""), name)
    if town is None:
        given = cells.get("town")
        return refuse(f"unknown town {given!r}" if given else "no town (镇/街道), and the name names none")
    kind = None
    if cells.get("kind"):
        kind = kinds.get(_normal(cells["kind"]))
        if kind is None:
            return refuse(f"unknown kind {cells['kind']!r} (use an id such as clinic, or 社区卫生服务中心)")
    values: dict[str, Any] = {}
    source = f"{path.name} 第{row.line}行"
    if cells.get("phone"):
        phone = cells["phone"].replace("（", "(").replace("）", ")")
        if not re.fullmatch(PHONE_PATTERN, phone):
            return refuse(f"phone {cells['phone']!r}: only digits, spaces, + and - (like 021-59231234)")
        values["phone"] = phone
    if cells.get("opening_hours"):
        issue = hours_issue(cells["opening_hours"])
        if issue is not None:
            fix = f"; did you mean {issue.suggestion!r}?" if issue.suggestion else ""
            slips = ", ".join(issue.codes)
            return refuse(
                f"opening hours {cells['opening_hours']!r} are not OpenStreetMap syntax ({slips}){fix}"
                f" like {HOURS_EXAMPLE}"
            )
        values["opening_hours"] = cells["opening_hours"]
        values["hours_status"] = "confirmed"  # the hours the office gives for this place
    if cells.get("address"):
        values["address"] = cells["address"][:500]
    if cells.get("note"):
        values["note"] = cells["note"][:500]
    if cells.get("verified"):
        try:
            day = dt.date.fromisoformat(cells["verified"].replace("/", "-")[:10])
        except ValueError:
            return refuse(f"verified {cells['verified']!r} is not a date like 2026-06-01")
        if day > dt.date.today():
            return refuse(f"verified {cells['verified']!r} is in the future")
        values["verified"] = day
    if cells.get("lat") or cells.get("lon"):
        crs_text = re.sub(r"\s+", "", cells.get("crs", "")).lower()
        crs = CRS_WORDS.get(crs_text) if crs_text else None
        if crs is None:
            named = (
                f"unknown coordinate system {cells['crs']!r}" if crs_text else "no coordinate system (坐标系)"
            )
            return refuse(f"{named}: say gcj02 (Amap), wgs84 (GPS) or bd09 (Baidu)")
        if crs not in PASTED_CRS:
            return refuse(f"unknown coordinate system {crs!r}")
        try:
            pasted = parse_pasted(f"{cells.get('lon', '')},{cells.get('lat', '')}", crs)
        except PositionError as err:
            why = {
                "format": "give both 经度 and 纬度 as numbers",
                "outside_china": "outside China (longitude and latitude swapped?)",
                "outside_qingpu": "outside Qingpu",
            }[err.code]
            return refuse(f"position {cells.get('lon', '')},{cells.get('lat', '')}: {why}")
        precision = PRECISION_WORDS.get(cells.get("precision", "").lower(), "approximate")
        note = "，由百度坐标换算" if pasted.converted_from_bd09 else ""
        values["point"] = {
            "lat": pasted.lat,
            "lon": pasted.lon,
            "crs": pasted.crs,
            "precision": precision,
            "source": f"{source}（{crs.upper()}{note}）",
        }
    row_source = cells.get("source", "")
    existing, score = _match(catalog, name, town, kind)
    if existing is not None:
        if kind is not None and kind != existing.kind:
            return refuse(
                f"matches {existing.id} ({existing.name}), a {existing.kind}, but the row says {kind}"
            )
        changed = _differences(catalog, existing, values)
        plan = Planned(
            row.line,
            "changed" if changed else "unchanged",
            facility_id=existing.id,
            name=name,
            matched=existing.name,
            score=score,
            kind=existing.kind,
            town=town.name,
        )
        if changed:
            fields = "、".join(FIELD_NAMES_ZH.get(k, k) for k in changed if k != "hours_status")
            prefix = row_source or existing.source
            changed["source"] = f"{prefix}；{fields}取自 {source}"[:500]
            plan.values = changed
            plan.before = _current(catalog, existing, changed)
        return plan
    kind = kind or default_kind
    if kind is None:
        return refuse("a new place, and its kind is not given (类别 column, or --kind)")
    if kind not in KIND_IDS:
        return refuse(f"unknown kind {kind!r}")
    if "point" not in values:
        values["point"] = {
            "lat": round(town.centre.lat, 6),
            "lon": round(town.centre.lon, 6),
            "crs": "wgs84",
            "precision": "approximate",
            "source": f"估计：{town.name}中心点（towns.yaml），不是门址位置",
        }
    values = {
        "name": name[:500],
        "kind": kind,
        "town": town.name,
        "level": "town",
        **values,
        "source": f"{row_source}（导入：{source}）" if row_source else f"导入：{source}",
    }
    if "opening_hours" not in values:
        values.pop("hours_status", None)
    return Planned(row.line, "added", name=name, values=values, kind=kind, town=town.name)


def _differences(catalog: Catalog, facility: Facility, values: dict[str, Any]) -> dict[str, Any]:
    """The values that would change the record (a point counts when it moves or its system differs)."""
    changed: dict[str, Any] = {}
    for key, value in values.items():
        if key == "point":
            current = facility.point  # WGS-84 as loaded: compare in the same system
            lat, lon = to_wgs84(value["lat"], value["lon"], value["crs"])
            if (
                abs(lat - current.lat) > 1e-6
                or abs(lon - current.lon) > 1e-6
                or value["precision"] != current.precision
            ):
                changed[key] = value
        elif key == "hours_status":
            if "opening_hours" in values and value != facility.hours_status.value:
                changed[key] = value
        elif getattr(facility, key) != value:
            changed[key] = value
    if list(changed) == ["hours_status"]:
        return {}
    return changed


def _current(catalog: Catalog, facility: Facility, changed: dict[str, Any]) -> dict[str, Any]:
    before: dict[str, Any] = {}
    for key in changed:
        if key == "point":
            before[key] = {
                "lat": round(facility.point.lat, 6),
                "lon": round(facility.point.lon, 6),
                "crs": "wgs84",
            }
        else:
            value = getattr(facility, key)
            before[key] = value.value if hasattr(value, "value") else value
    return before


def _match(catalog: Catalog, name: str, town: Town, kind: str | None) -> tuple[Facility | None, float | None]:
    """The record of the same town whose name (or an alias) is most like `name`, when like enough."""
    wanted = _normal(name)
    best, best_score = None, 0.0
    for facility in catalog.facilities.values():
        if facility.town != town.name or (kind is not None and facility.kind != kind):
            continue
        score = max(fuzz.ratio(wanted, _normal(n)) for n in (facility.name, *facility.aliases))
        if score > best_score:
            best, best_score = facility, score
    if best is not None and best_score >= MATCH_SCORE:
        return best, round(best_score, 1)
    return None, None


def _town(catalog: Catalog, text: str, name: str) -> Town | None:
    """The town a cell names, or (when the cell is empty) the one the place's name begins with."""
    wanted = _normal(text)
    for town in catalog.towns.values():
        names = {town.name, town.name_en.lower(), *(a.lower() for a in town.aliases)}
        if wanted and (wanted in names or wanted.lower() in names):
            return town
    if text:
        return None
    stripped = _normal(name)
    for town in catalog.towns.values():
        if any(stripped.startswith(n) for n in (town.name, *town.aliases) if len(n) >= 2):
            return town
    return None


def _kind_words(catalog: Catalog) -> dict[str, str]:
    """Every word that names one kind only (ids, and the vocabulary's words)."""
    owners: dict[str, set[str]] = {}
    for kind, words in catalog.vocabulary.kinds.items():
        for word in [*words.zh, *words.en]:
            owners.setdefault(_normal(word), set()).add(kind)
    found = {word: next(iter(kinds)) for word, kinds in owners.items() if len(kinds) == 1}
    found.update({kind: kind for kind in KIND_IDS})
    return found


def _normal(text: str) -> str:
    return _PREFIX.sub("", re.sub(r"\s+", "", text)).lower()


def _new_id(catalog: Catalog, kind: str, town: Town, taken: set[str]) -> str:
    """kind-town-2, -3, ... : the next free id for a new place."""
    slug = re.sub(r"[^a-z0-9]+", "-", town.name_en.split()[0].lower()).strip("-") or "qingpu"
    base = f"{kind.replace('_', '-')}-{slug}"
    n = 2
    while f"{base}-{n}" in catalog.facilities or f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


# ---------------------------------------------------------------------------------------------
# Applying


def apply_plan(plan: ImportPlan, folder: Path) -> Saved:
    """Write the plan's changed and added rows into the catalogue in `folder`, checked as a whole.

    New records go to `facilities/<kind>.yaml`. Raises `editing.EditRefused` (nothing written)
    when the catalogue would have errors.
    """
    draft = Draft(folder)
    for row in plan.rows:
        if row.action == "changed" and row.facility_id:
            draft.change(row.facility_id, row.values)
        elif row.action == "added":
            draft.add(folder / "facilities" / f"{row.kind}.yaml", row.values)
    return draft.save()


def plan_text(plan: ImportPlan, *, applied: bool) -> str:
    """The plan as the command prints it: a summary, then one line per row."""
    counts = ", ".join(f"{plan.count(a)} {a}" for a in ("changed", "added", "refused", "unchanged"))
    lines = [f"{plan.file.name}: {len(plan.rows)} rows — {counts}"]
    if plan.ignored:
        lines.append(f"columns ignored (no such field): {', '.join(plan.ignored)}")
    for row in plan.rows:
        head = f"{row.action:<9} line {row.line}"
        if row.action == "refused":
            lines.append(f"{head}: {row.name or '(no name)'}: {row.reason}")
        elif row.action == "added":
            lines.append(f"{head}: {row.facility_id} {row.name} ({row.kind}, {row.town})")
        else:
            match = f"matched {row.matched!r} ({row.score:.0f}%)" if row.score is not None else ""
            lines.append(f"{head}: {row.facility_id} {row.name} — {match}")
            for key, value in row.values.items():
                if key in ("source", "hours_status"):
                    continue
                lines.append(f"    {key}: {_shown(row.before.get(key))} -> {_shown(value)}")
    if applied:
        lines.append("Written to the catalogue.")
    else:
        lines.append(
            "Dry run: nothing was written. Run again with --apply to write the changed and added rows."
        )
    return "\n".join(lines)


def _shown(value: Any) -> str:
    if value is None:
        return "(empty)"
    if isinstance(value, dict) and "lat" in value:
        return f"{value['lon']},{value['lat']} {value.get('crs', '')}".strip()
    return str(value)
