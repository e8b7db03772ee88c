"""One reply model for every channel: an `Answer` and the locales in, a `Reply` out.

Every sentence comes from locales/ (the `core.*` keys); every fact (distance, hours, next
opening, phone or the right hotline, honesty notes, guide sections, emergency numbers) is put
into words here once. A channel only turns a `Reply` into its own markup:

    Reply ─► handlers/render.py          Telegram HTML and keyboards
          ─► reply_text.plain_text       the terminal chat, `ask --json`'s reply, WeChat's text
          ─► bot/web/templates (chat)    the web chat
          ─► reply_text.short_text       an operator's read-out / SMS (one facility, ~70 characters)

A `Reply` is a list of blocks (paragraphs). A block of one facility carries its id, so a channel
that has to cut a long reply cuts between facilities. Some blocks are meant only for channels
with buttons ("1–3 of 11") or only for channels without them ("say 更多 for the next"), which
`Block.audience` says. Buttons carry compact data (`services_catalog.buttons`) that comes back as
a `Pressed` event to the conversation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from locales import Locales, default_locales
from services_catalog import buttons as btn
from services_catalog.answer import Answer, Lang, Result
from services_catalog.catalog import Catalog
from services_catalog.hours import to_shanghai
from services_catalog.linkcheck import allowed as link_allowed
from services_catalog.linkcheck import strip_disallowed_links
from services_catalog.models import TOWN_NAMES, Facility, Hotline, Precision

# How a line is meant, so each channel can mark it its own way (bold, an icon, a tel: link).
LineStyle = Literal[
    "text", "title", "urgent", "item", "note", "distance", "address", "hours", "phone", "website"
]
# Who a block is for: every channel, only those with buttons, only those without.
Audience = Literal["all", "buttons", "text"]
# A facility's name on a button is cut to this many characters (`Words.short_name`).
BUTTON_NAME_CHARS = 22
# An answer for a moment this far from the present names its day instead of saying today/now.
_NOW_TOLERANCE = dt.timedelta(minutes=2)


@dataclass(frozen=True)
class Line:
    """One line of a reply, with how it is meant and, for a phone or website, where it leads."""

    text: str
    style: LineStyle = "text"
    href: str | None = None  # "tel:02159728018", or a website on the catalogue's allowlist


@dataclass(frozen=True)
class Block:
    """A paragraph: a heading, one facility, a guide section, a note."""

    lines: tuple[Line, ...]
    facility: str | None = None  # the facility this block describes (a channel may cut between them)
    audience: Audience = "all"


@dataclass(frozen=True)
class Button:
    """A choice the person can press; `data` comes back in a `Pressed` event."""

    label: str
    data: str


@dataclass(frozen=True)
class Venue:
    """A facility as a point for the phone's map app (WGS-84)."""

    lat: float
    lon: float
    title: str
    address: str
    approximate: bool


@dataclass(frozen=True)
class Reply:
    """One message to a person, before any channel's markup."""

    lang: Lang
    blocks: tuple[Block, ...] = ()
    buttons: tuple[tuple[Button, ...], ...] = ()  # rows of buttons under the message
    asks_location: bool = False  # the answer needs where the person is: offer location and towns
    towns: tuple[Button, ...] = ()  # the 11 towns, for those who cannot share a location
    menu: tuple[Button, ...] = ()  # the common needs, offered with greetings and help
    venue: Venue | None = None  # a map point to send (Telegram: a venue; web: a map link)
    brief: bool = False  # a short acknowledgement of a pressed button (a toast where there is one)
    emergency: bool = False  # the numbers to call: nothing comes before, nothing is cut from them

    def lines(self, audience: Audience = "text") -> list[Line]:
        """Every line for a channel of `audience`, blocks in order."""
        return [line for block in self.visible(audience) for line in block.lines]

    def visible(self, audience: Audience) -> list[Block]:
        """The blocks a channel with (`buttons`) or without (`text`) buttons shows."""
        return [b for b in self.blocks if b.audience in ("all", audience)]

    def all_buttons(self) -> list[Button]:
        """Every button, in order: the rows, then towns, then the menu."""
        return [b for row in self.buttons for b in row] + list(self.towns) + list(self.menu)


def block(*lines: Line | str | None, facility: str | None = None, audience: Audience = "all") -> Block:
    """A block of the lines given (plain strings are text lines; None is left out)."""
    kept = tuple(line if isinstance(line, Line) else Line(line) for line in lines if line)
    return Block(kept, facility=facility, audience=audience)


# ------------------------------------------------------------------------------------ words


class Words:
    """The reply sentences in one language, with the catalogue's names."""

    def __init__(self, lang: Lang, catalog: Catalog, loc: Locales | None = None) -> None:
        self.lang: Lang = lang
        self.catalog = catalog
        self.loc = loc or default_locales()
        self.en = lang == "en"

    def t(self, key: str, /, **values: object) -> str:
        """The sentence `core.<key>`."""
        return self.loc.t(self.lang, f"core.{key}", **values)

    def kind(self, kind: str) -> str:
        """What a facility kind is called: from the catalogue's kinds.yaml (a catalogue may bring
        kinds of its own), else the bundled names; the id for a kind neither knows."""
        if kind in self.catalog.kinds:
            return self.catalog.kind_name(kind, self.lang)
        key = f"core.kind.{kind}"
        return self.loc.t(self.lang, key) if self.loc.has("zh", key) else kind

    def town(self, name: str) -> str:
        """A town's name in this language."""
        town = self.catalog.towns.get(name)
        return town.name_en if self.en and town is not None else name

    def hotline_name(self, hotline: Hotline) -> str:
        """A hotline's name in this language."""
        return hotline.name_en if self.en else hotline.name

    def facility_name(self, facility: Facility) -> str:
        """A facility's name; in English with the Chinese name a local can read."""
        if self.en and facility.name_en:
            return f"{facility.name_en} ({facility.name})"
        return facility.name

    def short_name(self, facility: Facility) -> str:
        """A facility's name for a button, cut to fit."""
        name = facility.name_en if self.en and facility.name_en else facility.name
        return name if len(name) <= BUTTON_NAME_CHARS else name[: BUTTON_NAME_CHARS - 1] + "…"

    def option(self, option: str) -> str:
        """A kind or service offered to choose between, by its name."""
        service = self.catalog.services.get(option)
        if service is not None:
            return service.name_en if self.en else service.name
        return self.kind(option)

    def distance(self, metres: int) -> str:
        """420米 / 1.2公里 (or 420 m / 1.2 km)."""
        if metres < 1000:
            return self.t("find.distance_m", metres=metres)
        return self.t("find.distance_km", km=f"{metres / 1000:.1f}")

    def when(self, moment: dt.datetime) -> str:
        """A date and time nobody can misread: 11月29日（周日）08:00, Sun 29 Nov 08:00."""
        return self.t(
            "when_format",
            month=moment.month,
            month_name=self.t("months").split()[moment.month - 1],
            day=moment.day,
            weekday=self.t("weekdays").split()[moment.weekday()],
            time=moment.strftime("%H:%M"),
        )

    def sep(self) -> str:
        """How items of a list are joined."""
        return self.t("service.list_sep")


def moment_label(answer: Answer, words: Words, now: dt.datetime | None = None) -> str | None:
    """How the reply names the moment it answers for; None when that is simply now.

    Time words ("明天上午") give their own label. A moment set apart from the words (`--at`,
    a time chosen on a page) is named by its date and time, so the reply never says "today"
    for another day.
    """
    if answer.moment_label:
        return answer.moment_label
    if answer.moment is None:
        return None
    moment = to_shanghai(answer.moment)
    current = to_shanghai(now)
    if abs(moment - current) <= _NOW_TOLERANCE:
        return None
    return words.when(moment.replace(tzinfo=None))


# ------------------------------------------------------------------------------------ answers


def build_reply(
    answer: Answer, catalog: Catalog, loc: Locales | None = None, *, now: dt.datetime | None = None
) -> Reply:
    """The reply to `answer`, for every channel."""
    words = Words(answer.lang, catalog, loc)
    if answer.intent == "emergency":
        return _emergency(answer, words)
    urgent = _urgent_block(answer, words)
    if answer.complaint:
        return _finish(Reply(answer.lang, (*urgent, _complaint(words))), catalog)
    if answer.intent == "plan_indicator":
        blocks = _plan(answer, words)
        return _finish(Reply(answer.lang, (*urgent, *blocks)), catalog)
    if answer.intent == "service_info" and answer.service_info is not None:
        blocks = _service(answer, words, now)
        return _finish(
            Reply(answer.lang, (*urgent, *blocks), buttons=_result_buttons(answer, words)), catalog
        )
    if answer.intent == "find_facility":
        return _finish(_find(answer, words, urgent, now), catalog)
    if answer.intent == "help":
        help_block = block(words.t("help.intro"), words.t("help.examples"))
        return _finish(Reply(answer.lang, (*urgent, help_block), menu=menu_buttons(words)), catalog)
    fallback = block(words.t("out_of_scope.sorry"), words.t("out_of_scope.can_do"))
    return _finish(Reply(answer.lang, (*urgent, fallback)), catalog)


def _finish(reply: Reply, catalog: Catalog) -> Reply:
    """The reply with every link off the catalogue's allowlist taken out, wherever it came from."""
    return without_foreign_links(reply, catalog.allowlist.domains)


def without_foreign_links(reply: Reply, domains: Sequence[str]) -> Reply:
    """`reply` with links off the allowlist removed from every line, button and venue."""
    domains = tuple(domains)

    def clean(text: str) -> str:
        kept = strip_disallowed_links(text, domains)
        return kept if kept == text or kept.strip() else "…"

    def clean_line(line: Line) -> Line:
        href = line.href
        if href is not None and not href.startswith("tel:") and not link_allowed(href, domains):
            href = None
        text = clean(line.text)
        return line if text == line.text and href == line.href else replace(line, text=text, href=href)

    def clean_block(block: Block) -> Block:
        lines = tuple(clean_line(x) for x in block.lines)
        unchanged = all(a is b for a, b in zip(lines, block.lines, strict=True))
        return block if unchanged else replace(block, lines=lines)

    def clean_buttons(buttons: tuple[Button, ...]) -> tuple[Button, ...]:
        labels = [clean(b.label) for b in buttons]
        if all(label == b.label for label, b in zip(labels, buttons, strict=True)):
            return buttons
        return tuple(replace(b, label=label) for b, label in zip(buttons, labels, strict=True))

    venue = reply.venue
    if venue is not None:
        venue = replace(venue, title=clean(venue.title), address=clean(venue.address))
    return replace(  # every other field as it was, including any added later
        reply,
        blocks=tuple(clean_block(b) for b in reply.blocks),
        buttons=tuple(clean_buttons(row) for row in reply.buttons),
        towns=clean_buttons(reply.towns),
        menu=clean_buttons(reply.menu),
        venue=venue,
    )


def _emergency(answer: Answer, words: Words) -> Reply:
    """The number to call on the very first line, then the others; nothing else comes first."""
    if not answer.emergency:  # the numbers themselves, whatever went wrong on the way here
        lines = [Line(words.t("emergency.fallback"), "urgent"), Line(words.t("emergency.say_where"))]
        return Reply(answer.lang, (Block(tuple(lines)),), emergency=True)
    lines = _numbers_to_call(answer.emergency, "emergency.first", words)
    lines.append(Line(words.t("emergency.say_where")))
    return Reply(answer.lang, (Block(tuple(lines)),), emergency=True)


def _urgent_block(answer: Answer, words: Words) -> tuple[Block, ...]:
    """For a non-emergency answer with numbers to hedge with: those numbers, on the first line."""
    if not answer.emergency:
        return ()
    return (Block(tuple(_numbers_to_call(answer.emergency, "emergency.if_now", words))),)


def _numbers_to_call(hotlines: Sequence[Hotline], first_key: str, words: Words) -> list[Line]:
    """The first number as the line to tap, worded by `first_key`; then each further one ("也可以拨打"):
    the other emergency numbers, and crisis lines (962525) where they apply. `hotlines` is not empty."""
    first, *others = hotlines
    call = words.t(first_key, number=first.number, name=words.hotline_name(first))
    lines = [Line(call, "urgent", f"tel:{first.number}")]  # the number to tap, first and largest
    for hotline in others:
        also = words.t("emergency.also", number=hotline.number, name=words.hotline_name(hotline))
        lines.append(Line(also, "phone", f"tel:{hotline.number}"))
    return lines


def _complaint(words: Words) -> Block:
    """A complaint, suggestion or report: what Doorstep is for, and where such things go."""
    return block(
        Line(words.t("complaint.title"), "title"),
        words.t("complaint.phone"),
        words.t("complaint.online"),
        Line(words.t("complaint.what_we_do"), "note"),
    )


def _plan(answer: Answer, words: Words) -> list[Block]:
    """A plan figure (baseline, target, unit, category); asked in general, the figures by category."""
    ind = answer.indicator_info
    if ind is None:
        lines = [Line(words.t("plan.overview", count=len(words.catalog.indicators)), "title")]
        by_category: dict[str, list[str]] = {}
        for item in words.catalog.indicators.values():
            by_category.setdefault(item.category, []).append(item.name_en if words.en else item.name)
        lines += [
            Line(f"{category}: {words.sep().join(names)}", "item") for category, names in by_category.items()
        ]
        return [Block(tuple(lines)), block(words.t("plan.ask_one"))]
    name = ind.name_en if words.en else ind.name
    none = words.t("plan.none")
    lines = [
        Line(words.t("plan.title", name=name), "title"),
        Line(words.t("plan.baseline", value=ind.baseline) + (none if ind.baseline == "-" else "")),
        Line(words.t("plan.target", value=ind.target) + (none if ind.target == "-" else "")),
        Line(words.t("plan.unit", unit=ind.unit, nature=ind.nature)),
        Line(words.t("plan.category", category=ind.category)),
    ]
    if ind.note:
        lines.append(Line(words.t("plan.note", note=ind.note), "note"))
    return [Block(tuple(lines))]


def _hotline_number(answer: Answer, words: Words) -> str:
    """The number the answer falls back on: the topic's hotline, else 12345 (in any catalogue)."""
    hotline = answer.hotline or words.catalog.hotlines.get("12345")
    return hotline.number if hotline is not None else "12345"


def _service(answer: Answer, words: Words, now: dt.datetime | None) -> list[Block]:
    """A service guide: what it is, who qualifies, what to bring, where and how to apply, the
    nearest place for it, and how far the guide can be trusted."""
    s = answer.service_info
    assert s is not None
    en = words.en
    blocks = [
        block(
            Line(words.t("service.title", name=s.name_en if en else s.name), "title"),
            (s.summary_en or s.summary) if en else s.summary,
        )
    ]
    eligibility = s.eligibility_en if en and s.eligibility_en else s.eligibility
    materials = s.materials_en if en and s.materials_en else s.materials
    for title, items in (("service.eligibility", eligibility), ("service.materials", materials)):
        if items:
            blocks.append(block(Line(words.t(title), "title"), *(Line(x, "item") for x in items)))
    lines: list[Line] = []
    if s.where:
        places = words.sep().join(words.kind(k) for k in s.where)
        lines.append(Line(words.t("service.where", places=places)))
    online = (s.online_en or s.online) if en else s.online
    if online:
        lines.append(Line(words.t("service.online", online=online)))
    hotline = answer.hotline
    if hotline is not None:
        lines.append(
            Line(
                words.t("service.hotline", number=hotline.number, name=words.hotline_name(hotline)),
                "phone",
                f"tel:{hotline.number}",
            )
        )
    if lines:
        blocks.append(Block(tuple(lines)))
    if answer.results:
        blocks.append(block(Line(words.t("service.nearest"), "title")))
        blocks.append(_result_block(answer.offset + 1, answer.results[0], answer, words, now))
    notes: list[str] = []
    if s.verified is None:
        notes.append(words.t("service.general_note", hotline=_hotline_number(answer, words)))
    if en and (s.eligibility or s.materials) and (s.eligibility_en or s.materials_en):
        notes.append(words.t("service.translated"))
    elif en and (s.eligibility or s.materials):
        notes.append(words.t("service.chinese_only"))
    if notes:
        blocks.append(block(*(Line(n, "note") for n in notes)))
    return blocks


def heading(answer: Answer, words: Words) -> str:
    """Which places these are, and from where they were measured."""
    kind = words.kind(answer.kind) if answer.kind else words.t("find.places")
    where = answer.where
    if answer.follow_up:
        return words.t("find.header_named", kind=kind)
    if where.source == "coordinates":
        return words.t("find.header_near", kind=kind)
    if where.source == "landmark" and where.label:
        return words.t("find.header_place", place=where.label, kind=kind)
    if answer.town:
        return words.t("find.header_town", town=words.town(answer.town), kind=kind)
    return words.t("find.header_any", kind=kind)


def _find(answer: Answer, words: Words, urgent: tuple[Block, ...], now: dt.datetime | None) -> Reply:
    """Places of a kind, nearest first, and which page of them; or which kind was meant; or a
    request for where the person is."""
    lang = answer.lang
    blocks: list[Block] = list(urgent)
    if answer.clarify:
        options = words.t("find.clarify_sep").join(words.option(k) for k in answer.clarify)
        blocks.append(block(Line(words.t("find.clarify", options=options), "title")))
        blocks.append(block(words.t("find.clarify_typed"), audience="text"))  # where there are no buttons
        blocks += _result_blocks(answer, words, now, start=1)
        return Reply(lang, tuple(blocks), buttons=_result_buttons(answer, words))
    if answer.where.outside_qingpu:
        blocks.append(block(Line(words.t("find.outside_qingpu"), "note")))
    if answer.needs_location:
        what = words.kind(answer.kind) if answer.kind else words.t("find.places")
        blocks.append(block(Line(words.t("find.needs_location", what=what), "title")))
        if answer.results:
            blocks.append(block(words.t("find.district_hint")))
            blocks += _result_blocks(answer, words, now)
        return Reply(lang, tuple(blocks), asks_location=True, towns=town_buttons(words))
    label = moment_label(answer, words, now)
    head = [Line(heading(answer, words), "title")]
    if label and answer.results:
        head.append(Line(words.t("find.at_moment", label=label)))
    blocks.append(Block(tuple(head)))
    if not answer.results:
        blocks.append(block(words.t("find.none", hotline=_hotline_number(answer, words))))
    blocks += _result_blocks(answer, words, now)
    shown = len(answer.results)
    remaining = answer.total_results - answer.offset - shown
    if shown and (remaining > 0 or answer.offset > 0) and not answer.follow_up:
        total = max(answer.total_results, answer.offset + shown)
        page = words.t("find.page", first=answer.offset + 1, last=answer.offset + shown, total=total)
        blocks.append(block(Line(page, "note"), audience="buttons"))
    if shown and remaining > 0:
        blocks.append(block(words.t("find.more", count=remaining), audience="text"))
    return Reply(lang, tuple(blocks), buttons=_result_buttons(answer, words))


def hours_line(r: Result, words: Words, label: str | None) -> str:
    """The hours of the day asked about, whether it is open then, and when it opens next."""
    if r.open_now is None or r.hours_today is None:
        return words.t("find.hours_unknown")
    if label:
        if r.hours_today == "closed":
            line = words.t("find.hours_closed_day_at", label=label)
        else:
            key = "find.hours_open_at" if r.open_now else "find.hours_closed_at"
            line = words.t(key, label=label, hours=r.hours_today)
    elif r.hours_today == "closed":
        line = words.t("find.hours_closed_day")
    else:
        key = "find.hours_open" if r.open_now else "find.hours_closed_now"
        line = words.t(key, hours=r.hours_today)
    if not r.open_now and r.next_open is not None:
        next_open = to_shanghai(r.next_open).replace(tzinfo=None)
        line += words.t("find.next_open", when=words.when(next_open))
    return line


def result_notes(r: Result, words: Words, moment: dt.datetime | None) -> list[str]:
    """The honesty notes for one result: unverified, approximate, typical hours, unknown calendar."""
    notes = []
    if r.facility.verified is None:
        notes.append(words.t("find.note_unverified"))
    if r.facility.point.precision == Precision.approximate:
        notes.append(words.t("find.note_approximate"))
    if r.open_now is not None and not r.hours_confirmed:
        notes.append(words.t("find.note_typical_hours"))
    if not r.calendar_known and moment is not None:
        notes.append(words.t("find.note_calendar_unknown", year=moment.year))
    return notes


def _result_blocks(
    answer: Answer, words: Words, now: dt.datetime | None, *, start: int | None = None
) -> list[Block]:
    """A block for each place, numbered from `start` (by default on from the places before this page)."""
    first = answer.offset + 1 if start is None else start
    return [_result_block(n, r, answer, words, now) for n, r in enumerate(answer.results, start=first)]


def _result_block(n: int, r: Result, a: Answer, words: Words, now: dt.datetime | None) -> Block:
    """One facility: name, distance and walk, address, hours, phone (or the right hotline), notes."""
    f = r.facility
    lines = [Line(f"{n}. {words.facility_name(f)}", "title")]
    if r.distance_m is not None:
        distance = words.distance(r.distance_m)
        if r.walk_minutes is None:
            text = words.t("find.distance_only", distance=distance)
        else:
            text = words.t("find.distance_line", distance=distance, minutes=r.walk_minutes)
            if r.within_15_min:
                text += words.t("find.within_15")
        lines.append(Line(text, "distance"))
    if f.address:
        lines.append(Line(words.t("find.address", address=f.address), "address"))
    else:
        lines.append(Line(words.t("find.address_unknown", town=words.town(f.town)), "address"))
    lines.append(Line(hours_line(r, words, moment_label(a, words, now)), "hours"))
    if f.phone:
        lines.append(Line(words.t("find.phone", phone=f.phone), "phone", "tel:" + f.phone.replace(" ", "")))
    else:
        number = _hotline_number(a, words)
        lines.append(Line(words.t("find.phone_unknown", hotline=number), "phone", f"tel:{number}"))
    domains = words.catalog.allowlist.domains
    if f.website and link_allowed(f.website, domains):
        lines.append(Line(words.t("find.website", url=f.website), "website", f.website))
    notes = result_notes(r, words, a.moment)
    if notes:
        text = (
            words.t("find.note_sep").join(notes) + words.t("find.note_end") + words.t("find.note_call_ahead")
        )
        lines.append(Line(text, "note"))
    return Block(tuple(lines), facility=f.id)


def buttons_for(choices: Iterable[tuple[str, btn.Button]]) -> tuple[Button, ...]:
    """A button for each (label, what pressing it means) in `choices`, in order; one whose data
    cannot be sent (`buttons.encode`) is left out rather than sent broken."""
    return tuple(Button(label, data) for label, pressed in choices if (data := btn.encode(pressed)))


def _result_buttons(answer: Answer, words: Words) -> tuple[tuple[Button, ...], ...]:
    """Map and "信息有误" for each place, "更多" when there are more, and the clarifying choices."""
    rows: list[tuple[Button, ...]] = []
    for n, result in enumerate(answer.results, start=answer.offset + 1):
        facility = result.facility
        on_map = (words.t("buttons.map", n=n, name=words.short_name(facility)), btn.ShowVenue(facility.id))
        report = (words.t("buttons.report"), btn.ReportWrong(facility.id))
        rows.append(buttons_for([on_map, report]))
    shown = answer.offset + len(answer.results)
    if answer.results and answer.total_results > shown and not answer.clarify:
        rows.append(buttons_for([(words.t("buttons.more"), btn.MoreResults(shown, answer.kind))]))
    rows += [buttons_for([(words.option(option), btn.Choose(option))]) for option in answer.clarify[:8]]
    return tuple(row for row in rows if row)


def town_buttons(words: Words) -> tuple[Button, ...]:
    """The 11 towns, for a person who cannot or will not share a location."""
    return buttons_for((words.town(name), btn.ChooseTown(name)) for name in TOWN_NAMES)


def menu_buttons(words: Words) -> tuple[Button, ...]:
    """The common needs, one button each."""
    return buttons_for(
        (words.loc.t(words.lang, f"conversation.quick.{kind}"), btn.QuickKind(kind))
        for kind in quick_kinds(words.catalog)
    )


def quick_kinds(catalog: Catalog) -> list[str]:
    """The kinds offered as quick buttons with the main menu (`quick: true` in kinds.yaml)."""
    return [kind for kind, k in catalog.kinds.items() if k.quick]


# ------------------------------------------------------------------------------------ other replies


def venue_reply(facility: Facility, lang: Lang, catalog: Catalog, loc: Locales | None = None) -> Reply:
    """A facility as a point on the map, with its address or, unknown, its town."""
    words = Words(lang, catalog, loc)
    title = facility.name_en if words.en and facility.name_en else facility.name
    address = facility.address or words.t("venue.address_unknown", town=words.town(facility.town))
    approximate = facility.point.precision == Precision.approximate
    position = words.t("venue.position", lat=f"{facility.point.lat:.4f}", lon=f"{facility.point.lon:.4f}")
    lines = [Line(title, "title"), Line(address, "address"), Line(position)]
    if approximate:
        lines.append(Line(words.t("venue.approximate"), "note"))
    venue = Venue(facility.point.lat, facility.point.lon, title[:256], address[:256], approximate)
    return _finish(Reply(lang, (Block(tuple(lines), facility=facility.id),), venue=venue), catalog)


def hotlines_reply(lang: Lang, catalog: Catalog, loc: Locales | None = None) -> Reply:
    """The catalogue's hotlines, emergency numbers first."""
    words = Words(lang, catalog, loc)
    ordered = sorted(catalog.hotlines.values(), key=lambda h: not h.emergency)
    lines = [Line(words.t("hotlines.title"), "title")]
    for hotline in ordered:
        mark = words.t("hotlines.emergency") if hotline.emergency else ""
        text = f"{hotline.number} {words.hotline_name(hotline)}{mark}"
        lines.append(Line(text, "phone", f"tel:{hotline.number}"))
    return _finish(Reply(lang, (Block(tuple(lines)),)), catalog)


def compose_reply(answer: Answer, catalog: Catalog, loc: Locales | None = None) -> str:
    """The whole plain-text reply (the terminal chat's, and `ask --json`'s); never empty."""
    from services_catalog.reply_text import plain_text  # reply_text builds on this module

    text = plain_text(build_reply(answer, catalog, loc))
    words = Words(answer.lang, catalog, loc)
    return text or words.t("out_of_scope.can_do")
