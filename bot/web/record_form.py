"""The record page's edit form: what it shows, and what a posted form changes.

The form shows the record as written in its YAML file (the position in the system it was copied
in), so that fields nobody touched come back unchanged and change nothing. Every problem is said
per field, in the page's language, with an example; the whole catalogue is checked again when
the change is saved (`services_catalog.editing`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData

from bot.web.render import Words
from services_catalog.editing import PHONE_PATTERN
from services_catalog.hours_text import HoursIssue, clock, hours_issue, weekly_groups
from services_catalog.models import HolidayPolicy
from services_catalog.positions import PASTED_CRS, PastedCrs, PositionError, parse_pasted

HOLIDAY_POLICIES = tuple(p.value for p in HolidayPolicy)
TEXT_CHARS = 500


@dataclass
class RecordForm:
    """The form's fields as text, as the page shows them and as they were posted."""

    name: str = ""
    name_en: str = ""
    aliases: str = ""  # one per line
    address: str = ""
    phone: str = ""
    opening_hours: str = ""
    hours_confirmed: bool = False
    holidays: str = HolidayPolicy.closed_on_holidays.value
    position: str = ""  # "lng,lat"
    position_crs: str = "gcj02"
    precision: str = "approximate"
    source: str = ""
    note: str = ""
    verify: bool = False
    verified_on: str = ""
    verified_by: str = ""
    version: str = ""
    close_reports: list[int] = field(default_factory=list)

    @classmethod
    def of_record(cls, record: dict[str, Any], *, version: str, who: str, today: dt.date) -> RecordForm:
        """The form for a record as written in YAML."""
        point = record.get("point") or {}
        position = f"{point['lon']},{point['lat']}" if "lat" in point and "lon" in point else ""
        return cls(
            name=str(record.get("name") or ""),
            name_en=str(record.get("name_en") or ""),
            aliases="\n".join(str(a) for a in record.get("aliases") or []),
            address=str(record.get("address") or ""),
            phone=str(record.get("phone") or ""),
            opening_hours=str(record.get("opening_hours") or ""),
            hours_confirmed=record.get("hours_status") == "confirmed",
            holidays=str(record.get("holidays") or HolidayPolicy.closed_on_holidays.value),
            position=position,
            position_crs=str(point.get("crs") or "gcj02"),
            precision=str(point.get("precision") or "approximate"),
            source=str(record.get("source") or ""),
            note=str(record.get("note") or ""),
            verify=False,
            verified_on=today.isoformat(),
            verified_by=who,
            version=version,
        )

    @classmethod
    def of_post(cls, form: FormData) -> RecordForm:
        """The form as posted (missing fields are empty)."""

        def text(key: str, limit: int = TEXT_CHARS) -> str:
            value = form.get(key)
            return value.strip()[: limit * 4] if isinstance(value, str) else ""

        reports = []
        for value in form.getlist("close_report"):
            if isinstance(value, str) and value.isdigit():
                reports.append(int(value))
        return cls(
            name=text("name"),
            name_en=text("name_en"),
            aliases=text("aliases", 5000),
            address=text("address"),
            phone=text("phone"),
            opening_hours=text("opening_hours"),
            hours_confirmed=form.get("hours_confirmed") == "1",
            holidays=text("holidays"),
            position=text("position"),
            position_crs=text("position_crs"),
            precision=text("precision"),
            source=text("source"),
            note=text("note"),
            verify=form.get("verify") == "1",
            verified_on=text("verified_on"),
            verified_by=text("verified_by", 64),
            version=text("version", 64),
            close_reports=reports,
        )


@dataclass
class FormResult:
    """What a posted form changes, and what is wrong with it (field -> message)."""

    values: dict[str, Any]
    problems: dict[str, str]
    notes: list[str]
    verified_by: str | None


def read_form(posted: RecordForm, shown: RecordForm, words: Words, *, who: str, today: dt.date) -> FormResult:
    """The record fields `posted` changes compared with the form as it was `shown` (None clears)."""
    values: dict[str, Any] = {}
    problems: dict[str, str] = {}
    notes: list[str] = []

    def changed(name: str) -> bool:
        return bool(getattr(posted, name) != getattr(shown, name))

    for key in ("name", "source"):
        if not getattr(posted, key):
            problems[key] = words.t(f"problem.{key}_missing")
        elif changed(key):
            values[key] = getattr(posted, key)[:TEXT_CHARS]
    for key in ("name_en", "address", "note"):
        if changed(key):
            values[key] = getattr(posted, key)[:TEXT_CHARS] or None
    aliases = list(dict.fromkeys(line.strip() for line in posted.aliases.splitlines() if line.strip()))
    if aliases != [line.strip() for line in shown.aliases.splitlines() if line.strip()]:
        values["aliases"] = [a[:TEXT_CHARS] for a in aliases]
    if changed("phone"):
        if posted.phone and not re.fullmatch(PHONE_PATTERN, posted.phone):
            problems["phone"] = words.t("problem.phone", value=posted.phone)
        else:
            values["phone"] = posted.phone or None
    if changed("opening_hours") or changed("hours_confirmed"):
        if posted.opening_hours:
            issue = hours_issue(posted.opening_hours)
            if issue is not None:
                problems["opening_hours"] = "\n".join(issue_lines(words, issue))
            else:
                values["opening_hours"] = posted.opening_hours
                values["hours_status"] = "confirmed" if posted.hours_confirmed else "typical"
        else:
            values["opening_hours"] = None
    if changed("holidays") and posted.holidays in HOLIDAY_POLICIES:
        values["holidays"] = posted.holidays
    point_changed = changed("position") or changed("position_crs")
    if point_changed and posted.position:
        crs: PastedCrs = next((c for c in PASTED_CRS if c == posted.position_crs), "gcj02")
        try:
            pasted = parse_pasted(posted.position, crs)
        except PositionError as err:
            problems["position"] = words.t(f"problem.position_{err.code}", value=posted.position)
        else:
            if pasted.swapped:
                notes.append(words.t("problem.position_swapped"))
            values["point"] = {
                "lat": pasted.lat,
                "lon": pasted.lon,
                "crs": pasted.crs,
                "precision": posted.precision if posted.precision in ("exact", "approximate") else "exact",
                "source": point_source(posted, shown, who=who, today=today, crs=pasted.crs),
            }
    elif changed("precision") and posted.precision in ("exact", "approximate"):
        values["point"] = {"precision": posted.precision}
    verified_by = None
    if posted.verify:
        try:
            day = dt.date.fromisoformat(posted.verified_on)
        except ValueError:
            problems["verified_on"] = words.t("problem.verified_date", value=posted.verified_on)
        else:
            if day > today:
                problems["verified_on"] = words.t("problem.verified_future")
            else:
                values["verified"] = day
                verified_by = posted.verified_by or who
    return FormResult(values, problems, notes, verified_by)


def point_source(posted: RecordForm, shown: RecordForm, *, who: str, today: dt.date, crs: str) -> str:
    """Where a pasted position came from, as the catalogue's files write it (in Chinese)."""
    text = f"由 {posted.verified_by or who} 于 {today.isoformat()} 在控制台录入（{crs.upper()}）"
    if posted.source and posted.source != shown.source:
        text += f"；来源：{posted.source}"
    return text[:TEXT_CHARS]


def issue_lines(words: Words, issue: HoursIssue) -> list[str]:
    """Why hours were refused, each slip with its example, then a fix when one was found."""
    lines = []
    for code in issue.codes:
        if code == "syntax":
            lines.append(
                words.t("hours.issue.syntax", column=issue.column)
                if issue.column
                else words.t("hours.issue.syntax_nowhere")
            )
        else:
            lines.append(words.t(f"hours.issue.{code}", found=issue.found.get(code, "")))
    if issue.suggestion:
        lines.append(words.t("hours.suggestion", spec=issue.suggestion))
    else:
        lines.append(words.t("hours.example"))
    return lines


def hours_preview(words: Words, spec: str, holidays: str) -> str:
    """A valid spec in plain words: "周一至周五 08:00–11:30、13:30–16:30；周六 08:00–11:30；周日休息；…"."""
    week = weekly_groups(spec)
    parts = []
    for group in week.groups:
        if len(group.days) == 7:
            days = words.t("hours.every_day")
        elif len(group.days) == 1:
            days = words.t(f"weekday.{group.days[0]}")
        else:
            days = words.t(
                "hours.day_range",
                first=words.t(f"weekday.{group.days[0]}"),
                last=words.t(f"weekday.{group.days[-1]}"),
            )
        if not group.spans:
            times = words.t("hours.closed")
        elif group.spans == ((0, 24 * 60),):
            times = words.t("hours.all_day")
        else:
            times = words.t("hours.span_sep").join(f"{clock(a)}–{clock(b)}" for a, b in group.spans)
        parts.append(f"{days}{'' if words.lang == 'zh' and not group.spans else ' '}{times}")
    if holidays in HOLIDAY_POLICIES:
        parts.append(words.t(f"hours.holiday.{holidays}"))
    text = words.t("hours.group_sep").join(parts)
    if week.dated:
        text += " " + words.t("hours.dated")
    if week.ph_rule:
        text += " " + words.t("hours.ph_ignored")
    return text
