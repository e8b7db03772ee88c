"""The plain-text reply of an `Answer`, in the resident's language, every sentence from locales/.

This is the reply the terminal chat prints and `ask --json` carries; the Telegram and web
renderers build their own markup from the same `Answer` and the same sentences.
"""

from __future__ import annotations

import datetime as dt

from locales import Locales, default_locales
from services_catalog.answer import Answer, Result
from services_catalog.catalog import Catalog
from services_catalog.linkcheck import strip_disallowed_links


def format_distance(metres: int, lang: str, loc: Locales | None = None) -> str:
    """420米 / 1.2公里 (or 420 m / 1.2 km)."""
    loc = loc or default_locales()
    if metres < 1000:
        return loc.t(lang, "core.find.distance_m", metres=metres)
    return loc.t(lang, "core.find.distance_km", km=f"{metres / 1000:.1f}")


def format_when(moment: dt.datetime, lang: str, loc: Locales | None = None) -> str:
    """A date and time a resident reads: 11月29日（周日）08:00."""
    loc = loc or default_locales()
    weekdays = loc.t(lang, "core.weekdays").split()
    return loc.t(
        lang,
        "core.when_format",
        month=moment.month,
        day=moment.day,
        weekday=weekdays[moment.weekday()],
        time=moment.strftime("%H:%M"),
    )


def kind_name(kind: str, lang: str, loc: Locales | None = None, catalog: Catalog | None = None) -> str:
    """What a facility kind is called: from the catalogue's kinds.yaml when given the catalogue (a
    catalogue may bring kinds of its own), else the bundled names; the id for a kind neither knows."""
    if catalog is not None and kind in catalog.kinds:
        return catalog.kind_name(kind, lang)
    loc = loc or default_locales()
    key = f"core.kind.{kind}"
    return loc.t(lang, key) if loc.has("zh", key) else kind


def hours_line(r: Result, lang: str, label: str | None, loc: Locales | None = None) -> str:
    """Today's hours (or those of the day asked about) and whether it is open."""
    loc = loc or default_locales()
    if r.open_now is None or r.hours_today is None:
        return loc.t(lang, "core.find.hours_unknown")
    if label:
        if r.hours_today == "closed":
            return loc.t(lang, "core.find.hours_closed_day_at", label=label)
        key = "core.find.hours_open_at" if r.open_now else "core.find.hours_closed_at"
        return loc.t(lang, key, label=label, hours=r.hours_today)
    if r.hours_today == "closed":
        line = loc.t(lang, "core.find.hours_closed_day")
    else:
        key = "core.find.hours_open" if r.open_now else "core.find.hours_closed_now"
        line = loc.t(lang, key, hours=r.hours_today)
    if not r.open_now and r.next_open is not None:
        line += "；" if lang == "zh" else "; "
        line += loc.t(lang, "core.find.next_open", when=format_when(r.next_open, lang, loc))
    return line


def result_notes(r: Result, lang: str, moment: dt.datetime | None, loc: Locales | None = None) -> list[str]:
    """The honesty notes for one result: unverified, approximate, typical hours, unknown calendar."""
    loc = loc or default_locales()
    notes = []
    if r.facility.verified is None:
        notes.append(loc.t(lang, "core.find.note_unverified"))
    if r.facility.point.precision == "approximate":
        notes.append(loc.t(lang, "core.find.note_approximate"))
    if r.open_now is not None and not r.hours_confirmed:
        notes.append(loc.t(lang, "core.find.note_typical_hours"))
    if not r.calendar_known and moment is not None:
        notes.append(loc.t(lang, "core.find.note_calendar_unknown", year=moment.year))
    return notes


def compose_reply(answer: Answer, catalog: Catalog, loc: Locales | None = None) -> str:
    """The whole plain-text reply; never empty."""
    loc = loc or default_locales()
    lang = answer.lang
    lines = _compose(answer, catalog, loc, lang)
    text = "\n".join(line for line in lines if line is not None)
    text = strip_disallowed_links(text, catalog.allowlist.domains)
    return text or loc.t(lang, "core.out_of_scope.can_do")


def _hotline_number(answer: Answer) -> str:
    return answer.hotline.number if answer.hotline else "12345"


def _compose(a: Answer, catalog: Catalog, loc: Locales, lang: str) -> list[str]:
    t = loc.t
    if a.intent == "emergency":
        if not a.emergency:  # cannot happen with a valid catalogue; the numbers come first anyway
            return [t(lang, "core.emergency.fallback"), t(lang, "core.emergency.say_where")]
        first, *others = a.emergency
        name = first.name_en if lang == "en" else first.name
        lines = [t(lang, "core.emergency.first", number=first.number, name=name)]
        if others:
            sep = "，" if lang == "zh" else ", "
            nums = sep.join(f"{h.number} {h.name_en if lang == 'en' else h.name}" for h in others)
            lines.append(t(lang, "core.emergency.others", numbers=nums))
        lines.append(t(lang, "core.emergency.say_where"))
        return lines
    if a.intent == "plan_indicator" and a.indicator_info is None:
        return _plan_overview(catalog, loc, lang)
    if a.intent == "plan_indicator" and a.indicator_info is not None:
        ind = a.indicator_info
        name = ind.name_en if lang == "en" else ind.name
        lines = [t(lang, "core.plan.title", name=name)]
        lines.append(
            t(lang, "core.plan.baseline", value=ind.baseline)
            + (t(lang, "core.plan.none") if ind.baseline == "-" else "")
        )
        lines.append(
            t(lang, "core.plan.target", value=ind.target)
            + (t(lang, "core.plan.none") if ind.target == "-" else "")
        )
        lines.append(t(lang, "core.plan.unit", unit=ind.unit, nature=ind.nature))
        if ind.note:
            lines.append(t(lang, "core.plan.note", note=ind.note))
        return lines
    urgent: list[str] = []
    if a.emergency:  # a condition mentioned with the question: the number still comes first
        line = a.emergency[0]
        label = line.name_en if lang == "en" else line.name
        urgent = [t(lang, "core.emergency.if_now", number=line.number, name=label)]
    if a.intent == "service_info" and a.service_info is not None:
        return urgent + _service_lines(a, catalog, loc, lang)
    if a.intent == "find_facility":
        return urgent + _find_lines(a, catalog, loc, lang)
    if a.intent == "help":
        return [t(lang, "core.help.intro"), t(lang, "core.help.examples")]
    return [t(lang, "core.out_of_scope.sorry"), t(lang, "core.out_of_scope.can_do")]


def _plan_overview(catalog: Catalog, loc: Locales, lang: str) -> list[str]:
    """The plan's indicators by category, for a question about the plan in general."""
    lines = [loc.t(lang, "core.plan.overview", count=len(catalog.indicators))]
    by_category: dict[str, list[str]] = {}
    for ind in catalog.indicators.values():
        by_category.setdefault(ind.category, []).append(ind.name_en if lang == "en" else ind.name)
    sep = loc.t(lang, "core.service.list_sep")
    lines += [f"{category}: {sep.join(names)}" for category, names in by_category.items()]
    lines.append(loc.t(lang, "core.plan.ask_one"))
    return lines


def _service_lines(a: Answer, catalog: Catalog, loc: Locales, lang: str) -> list[str]:
    t = loc.t
    s = a.service_info
    assert s is not None
    sep = t(lang, "core.service.list_sep")
    en = lang == "en"
    lines = [t(lang, "core.service.title", name=s.name_en if en else s.name)]
    lines.append((s.summary_en or s.summary) if en else s.summary)
    if s.eligibility:
        lines.append(t(lang, "core.service.eligibility", items=sep.join(s.eligibility)))
    if s.materials:
        lines.append(t(lang, "core.service.materials", items=sep.join(s.materials)))
    if s.where:
        places = sep.join(kind_name(k, lang, loc, catalog) for k in s.where)
        lines.append(t(lang, "core.service.where", places=places))
    if s.online:
        lines.append(t(lang, "core.service.online", online=s.online))
    if a.hotline is not None:
        name = a.hotline.name_en if en else a.hotline.name
        lines.append(t(lang, "core.service.hotline", number=a.hotline.number, name=name))
    if a.results:
        lines.append(t(lang, "core.service.nearest"))
        lines.extend(_result_lines(1, a.results[0], a, loc, lang))
    if s.verified is None:
        lines.append(t(lang, "core.service.general_note", hotline=_hotline_number(a)))
    return lines


def _find_lines(a: Answer, catalog: Catalog, loc: Locales, lang: str) -> list[str]:
    t = loc.t
    if a.clarify:
        sep = t(lang, "core.find.clarify_sep")
        options = sep.join(kind_name(k, lang, loc, catalog) for k in a.clarify)
        question = [t(lang, "core.find.clarify", options=options)]
        for i, r in enumerate(a.results, start=1):
            question.extend(_result_lines(i, r, a, loc, lang))
        return question
    assert a.kind is not None
    kind = kind_name(a.kind, lang, loc, catalog)
    lines: list[str] = []
    if a.where.outside_qingpu:
        lines.append(t(lang, "core.find.outside_qingpu"))
    if a.needs_location:
        lines.append(t(lang, "core.find.needs_location"))
        if a.results:
            lines.append(t(lang, "core.find.district_hint"))
    elif a.town:
        known = catalog.towns.get(a.town)
        town = known.name_en if lang == "en" and known is not None else a.town
        lines.append(t(lang, "core.find.header_town", town=town, kind=kind))
    elif a.where.source == "landmark" and a.where.label:
        lines.append(t(lang, "core.find.header_place", place=a.where.label, kind=kind))
    elif a.where.source == "coordinates":
        lines.append(t(lang, "core.find.header_near", kind=kind))
    else:
        lines.append(t(lang, "core.find.header_any", kind=kind))
    if a.moment_label and a.results:
        lines.append(t(lang, "core.find.at_moment", label=a.moment_label))
    if not a.results and not a.needs_location:
        lines.append(t(lang, "core.find.none", hotline=_hotline_number(a)))
    for i, r in enumerate(a.results, start=a.offset + 1):
        lines.extend(_result_lines(i, r, a, loc, lang))
    remaining = a.total_results - a.offset - len(a.results)
    if remaining > 0 and a.results:
        lines.append(t(lang, "core.find.more", count=remaining))
    return lines


def _result_lines(i: int, r: Result, a: Answer, loc: Locales, lang: str) -> list[str]:
    t = loc.t
    f = r.facility
    name = f"{f.name} ({f.name_en})" if lang == "en" and f.name_en else f.name
    lines = [f"{i}. {name}"]
    if r.distance_m is not None and r.walk_minutes is None:
        lines.append(
            "   " + t(lang, "core.find.distance_only", distance=format_distance(r.distance_m, lang, loc))
        )
    if r.distance_m is not None and r.walk_minutes is not None:
        line = t(
            lang,
            "core.find.distance_line",
            distance=format_distance(r.distance_m, lang, loc),
            minutes=r.walk_minutes,
        )
        if r.within_15_min:
            line += t(lang, "core.find.within_15")
        lines.append("   " + line)
    lines.append(
        "   "
        + (
            t(lang, "core.find.address", address=f.address)
            if f.address
            else t(lang, "core.find.address_unknown")
        )
    )
    lines.append("   " + hours_line(r, lang, a.moment_label, loc))
    if f.phone:
        lines.append("   " + t(lang, "core.find.phone", phone=f.phone))
    else:
        lines.append("   " + t(lang, "core.find.phone_unknown", hotline=_hotline_number(a)))
    notes = result_notes(r, lang, a.moment, loc)
    if notes:
        sep = t(lang, "core.find.note_sep")
        lines.append(
            "   " + sep.join(notes) + (". " if lang == "en" else "。") + t(lang, "core.find.note_call_ahead")
        )
    return lines
