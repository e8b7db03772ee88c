"""The one place that builds Telegram HTML and keyboards.

Pure: an `Answer` (or a sentence key) and a language in, a `Reply` out; no network, no store.
Every catalogue and user string goes through `html.escape`; the only tags produced are
<b>, <i> and <a href> (for allowlisted websites). Every message fits Telegram's 4096 characters.
Every message leaves through `Renderer.final` (called by `handlers.replies.send`), which takes out
any link whose domain is not on the catalogue's allowlist, from the text and the buttons alike,
whatever string it came in with.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)
from telegram.constants import MessageLimit

from handlers import callback_data as cb
from locales import Locales
from services_catalog.answer import Answer, Result
from services_catalog.catalog import Catalog
from services_catalog.linkcheck import domain_allowed, strip_disallowed_links
from services_catalog.models import TOWN_NAMES, Facility, Hotline, Precision

MAX_TEXT = MessageLimit.MAX_TEXT_LENGTH  # 4096
BUTTON_NAME_CHARS = 22
# The quick buttons on the main keyboard, each standing for a facility kind.
QUICK_KINDS: tuple[str, ...] = ("clinic", "elderly_centre", "library", "legal_aid", "affairs_centre")
_TAG = re.compile(r"<[^>]*>")

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup


@dataclass(frozen=True)
class Reply:
    """One message to send: Telegram HTML and an optional keyboard."""

    text: str
    markup: Markup | None = None


@dataclass(frozen=True)
class Venue:
    """A facility as a Telegram venue, so the phone's map app can navigate to it."""

    latitude: float
    longitude: float
    title: str
    address: str


def esc(text: str) -> str:
    """Escape a catalogue or user string for Telegram HTML."""
    return html.escape(text, quote=True)


def escape_within(text: str, budget: int) -> str:
    """Escape `text`, cutting it (never inside an entity) so the result has at most `budget` chars."""
    out: list[str] = []
    used = 0
    for char in text:
        piece = esc(char)
        if used + len(piece) > budget:
            break
        out.append(piece)
        used += len(piece)
    return "".join(out)


def fit(blocks: Sequence[str], t_truncated: str, limit: int = MAX_TEXT) -> str:
    """Join HTML blocks with blank lines, dropping the tail (with a note) to stay within `limit`."""
    text = "\n\n".join(b for b in blocks if b)
    if len(text) <= limit:
        return text
    note = esc(t_truncated)
    budget = limit - len(note) - 2
    kept: list[str] = []
    used = 0
    for block in blocks:
        if not block:
            continue
        extra = len(block) + (2 if kept else 0)
        if used + extra > budget:
            if not kept:  # one block alone is too long: keep its beginning as plain text
                kept.append(escape_within(html.unescape(_TAG.sub("", block)), budget))
            break
        kept.append(block)
        used += extra
    return "\n\n".join([*kept, note])


def _without_links(text: str, domains: Sequence[str]) -> str:
    """A button label or venue field without foreign links; never empty (Telegram refuses that)."""
    kept = strip_disallowed_links(text, domains)
    return kept if kept == text or kept.strip() else "…"


def _relabelled(
    rows: Sequence[Sequence[InlineKeyboardButton | KeyboardButton]], domains: Sequence[str]
) -> list[list[dict[str, object]]] | None:
    """The buttons as Bot API dicts with foreign links out of their labels; None when none had one."""
    changed = False
    out: list[list[dict[str, object]]] = []
    for row in rows:
        out.append([])
        for button in row:
            label = _without_links(button.text, domains)
            changed = changed or label != button.text
            out[-1].append({**button.to_dict(), "text": label})
    return out if changed else None


def _markup_without_links(markup: Markup | None, domains: Sequence[str]) -> Markup | None:
    if isinstance(markup, InlineKeyboardMarkup):
        rows = _relabelled(markup.inline_keyboard, domains)
        if rows is not None:
            return InlineKeyboardMarkup([[InlineKeyboardButton.de_json(b) for b in row] for row in rows])
    elif isinstance(markup, ReplyKeyboardMarkup):
        rows = _relabelled(markup.keyboard, domains)
        if rows is not None:
            return ReplyKeyboardMarkup(
                [[KeyboardButton.de_json(b) for b in row] for row in rows],
                resize_keyboard=markup.resize_keyboard,
                one_time_keyboard=markup.one_time_keyboard,
                selective=markup.selective,
                input_field_placeholder=markup.input_field_placeholder,
                is_persistent=markup.is_persistent,
            )
    return markup


def link_allowed(url: str, domains: Iterable[str]) -> bool:
    """Whether `url` is http(s) on an allowlisted domain or one of its subdomains."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    host = (parts.hostname or "").lower().rstrip(".")
    if parts.scheme not in ("http", "https") or not host:
        return False
    return domain_allowed(host, domains)


class Renderer:
    """Builds every message the bot sends from one set of sentences."""

    def __init__(self, locales: Locales, *, location_ttl_minutes: int = 120) -> None:
        self.locales = locales
        self.location_ttl_minutes = location_ttl_minutes

    def t(self, lang: str, key: str, /, **values: object) -> str:
        """A bot sentence, as plain text."""
        return self.locales.t(lang, f"bot.{key}", **values)

    def h(self, lang: str, key: str, /, **values: object) -> str:
        """A bot sentence with its placeholders escaped, as HTML."""
        return esc(self.locales.t(lang, f"bot.{key}", **values))

    def plain(self, lang: str, key: str, /, **values: object) -> Reply:
        """A message made of one sentence."""
        return Reply(self.h(lang, key, **values))

    @staticmethod
    def final(reply: Reply, catalog: Catalog) -> Reply:
        """`reply` as it may be sent: no link outside the catalogue's allowlist in its text or buttons.

        Defence in depth: a link in a facility name, a service text or a user's own words (quoted
        back, or as the name in a greeting) never reaches a chat, whatever let it in.
        """
        domains = tuple(catalog.allowlist.domains)
        text = strip_disallowed_links(reply.text, domains)
        markup = _markup_without_links(reply.markup, domains)
        if text == reply.text and markup is reply.markup:
            return reply
        return Reply(text if text.strip() else "…", markup)

    # Commands

    def main_keyboard(self, lang: str) -> ReplyKeyboardMarkup:
        """The keyboard under the chat: share a location, and the common needs."""
        quick = [self.t(lang, f"quick.{kind}") for kind in QUICK_KINDS]
        return ReplyKeyboardMarkup(
            [
                [KeyboardButton(self.t(lang, "keyboard.location"), request_location=True)],
                quick[:3],
                quick[3:],
            ],
            resize_keyboard=True,
            is_persistent=True,
            input_field_placeholder=self.t(lang, "keyboard.placeholder")[:64],
        )

    def start(self, lang: str, first_name: str) -> Reply:
        """The greeting for /start."""
        blocks = [
            f"<b>{self.h(lang, 'start.greeting', name=first_name[:64])}</b>",
            self.h(lang, "start.what"),
            self.h(lang, "start.next"),
        ]
        return Reply("\n".join(blocks), self.main_keyboard(lang))

    def help(self, lang: str) -> Reply:
        """What to type, with examples, and what is kept about the user."""
        hours = max(1, round(self.location_ttl_minutes / 60))
        blocks = [
            f"<b>{self.h(lang, 'help.title')}</b>",
            self.h(lang, "help.ask") + "\n" + self.h(lang, "help.examples"),
            self.h(lang, "help.location"),
            self.h(lang, "help.privacy", hours=hours),
            self.h(lang, "help.commands"),
            self.h(lang, "help.fallback"),
        ]
        return Reply(fit(blocks, self.t(lang, "truncated")), self.main_keyboard(lang))

    def language_choice(self, lang: str) -> Reply:
        """The two language buttons for /lang."""
        buttons = [
            InlineKeyboardButton(
                self.t(lang, f"lang.{code}"), callback_data=cb.encode(cb.ChooseLanguage(code))
            )
            for code in ("zh", "en")
        ]
        return Reply(self.h(lang, "lang.prompt"), InlineKeyboardMarkup([buttons]))

    def language_set(self, lang: str) -> Reply:
        """The confirmation of a language change, with the keyboard in that language."""
        return Reply(self.h(lang, "lang.set"), self.main_keyboard(lang))

    def hotlines(self, lang: str, catalog: Catalog) -> Reply:
        """The catalogue's hotlines, emergency numbers first."""
        ordered = sorted(catalog.hotlines.values(), key=lambda h: not h.emergency)
        lines = [f"<b>{self.h(lang, 'hotline.title')}</b>"]
        lines += [self._hotline_line(lang, hotline) for hotline in ordered]
        return Reply(fit(["\n".join(lines)], self.t(lang, "truncated")))

    def _hotline_line(self, lang: str, hotline: Hotline) -> str:
        name = hotline.name_en if lang == "en" else hotline.name
        mark = f" ({self.h(lang, 'hotline.emergency')})" if hotline.emergency else ""
        return f"☎️ <b>{esc(hotline.number)}</b> {esc(name)}{mark}"

    # Answers

    def ask_location(self, answer: Answer, catalog: Catalog) -> Reply:
        """Ask where the user is: the location button, and the 11 towns for those who cannot share one."""
        lang = answer.lang
        what = self._subject(answer, catalog) or self.t(lang, "ask_location.anything")
        towns = [self.town_label(lang, name, catalog) for name in TOWN_NAMES]
        rows: list[list[KeyboardButton | str]] = [
            [KeyboardButton(self.t(lang, "keyboard.location"), request_location=True)]
        ]
        rows += [list(towns[i : i + 3]) for i in range(0, len(towns), 3)]
        markup = ReplyKeyboardMarkup(rows, resize_keyboard=True, one_time_keyboard=True)
        return Reply(self.h(lang, "ask_location.text", what=what), markup)

    @staticmethod
    def town_label(lang: str, name: str, catalog: Catalog) -> str:
        """How a town is written on a button in `lang`."""
        town = catalog.towns.get(name)
        return town.name_en if lang == "en" and town is not None else name

    def answer(self, answer: Answer, catalog: Catalog) -> Reply:
        """The message for an answer of any intent."""
        lang = answer.lang
        if answer.intent == "emergency":
            return self._emergency(answer)
        blocks: list[str] = []
        if answer.emergency:  # a condition told with the question ("中风后…"): the number comes first
            h = answer.emergency[0]
            first = self.locales.t(
                lang, "core.emergency.if_now", number=h.number, name=h.name_en if lang == "en" else h.name
            )
            blocks.append(f"🚨 <b>{esc(first)}</b>")
        if answer.needs_location:
            ask = self.ask_location(answer, catalog)
            return Reply("\n\n".join([*blocks, ask.text]), ask.markup) if blocks else ask
        if answer.intent == "service_info" and answer.service_info is not None:
            blocks.append(self._service(answer, catalog))
        elif answer.intent == "plan_indicator" and answer.indicator_info is not None:
            blocks.append(self._indicator(answer))
        elif answer.intent == "find_facility" or answer.results:
            pass
        elif answer.reply:
            blocks.append(esc(answer.reply[:MAX_TEXT]))
        if answer.clarify and answer.results:
            blocks.append(f"<b>{esc(answer.reply.split(chr(10), 1)[0])}</b>")  # which one is meant
        elif answer.results:
            blocks.append(self._results_header(answer, catalog))
        if answer.results:
            blocks += [self._result(lang, i, r, catalog, answer) for i, r in enumerate(answer.results)]
            blocks.append(self._page(answer))
        elif answer.intent == "find_facility":
            blocks.append(esc(answer.reply[:MAX_TEXT]) if answer.reply else self.h(lang, "results.none"))
        fallback = self._hotline_fallback(answer)
        if fallback:
            blocks.append(fallback)
        text = fit(blocks, self.t(lang, "truncated"))
        return Reply(text, self._answer_keyboard(answer, catalog))

    def _emergency(self, answer: Answer) -> Reply:
        """The number to call on the very first line, then the others; nothing else comes first."""
        lang = answer.lang
        if not answer.emergency:  # the numbers themselves, whatever went wrong on the way here
            lines = [f"🚨 <b>{esc(self.locales.t(lang, 'core.emergency.fallback'))}</b>"]
            lines.append(esc(self.locales.t(lang, "core.emergency.say_where")))
            return Reply(fit(["\n".join(lines)], self.t(lang, "truncated")))
        first, *others = answer.emergency
        name = first.name_en if lang == "en" else first.name
        lines = [
            f"🚨 <b>{esc(self.locales.t(lang, 'core.emergency.first', number=first.number, name=name))}</b>"
        ]
        for hotline in others:
            other = hotline.name_en if lang == "en" else hotline.name
            lines.append(f"☎️ <b>{esc(hotline.number)}</b> {esc(other)}")
        lines.append(esc(self.locales.t(lang, "core.emergency.say_where")))
        return Reply(fit(["\n".join(lines)], self.t(lang, "truncated")))

    def _subject(self, answer: Answer, catalog: Catalog) -> str | None:
        """What the answer is about, in words: the kind, else the service."""
        lang = answer.lang
        if answer.kind:
            return self.kind_name(lang, answer.kind)
        if answer.service and answer.service in catalog.services:
            service = catalog.services[answer.service]
            return service.name_en if lang == "en" else service.name
        return None

    def kind_name(self, lang: str, kind: str) -> str:
        """A facility kind in words."""
        key = f"bot.kind.{kind}"
        return self.locales.t(lang, key) if self.locales.has("zh", key) else kind

    def _results_header(self, answer: Answer, catalog: Catalog) -> str:
        lang = answer.lang
        subject = self._subject(answer, catalog) or self.t(lang, "results.places")
        where = answer.where
        if where.source == "coordinates":
            header = self.h(lang, "results.header_near", kind=subject)
        elif where.label or answer.town:
            place = where.label or answer.town or ""
            label = self.town_label(lang, place, catalog)
            header = self.h(lang, "results.header_town", kind=subject, town=label)
        else:
            header = self.h(lang, "results.header_any", kind=subject)
        text = f"<b>{header}</b>"
        if answer.moment_label:
            text += self.h(lang, "results.moment", label=answer.moment_label[:40])
        if where.outside_qingpu:
            text += "\n" + self.h(lang, "results.outside")
        return text

    def _result(self, lang: str, index: int, result: Result, catalog: Catalog, answer: Answer) -> str:
        facility = result.facility
        n = answer.offset + index + 1
        name = facility.name_en if lang == "en" and facility.name_en else facility.name
        lines = [f"<b>{n}. {esc(name)}</b>"]
        distance = self._distance(lang, result)
        if distance:
            lines.append("📏 " + distance)
        if facility.address:
            lines.append("🏠 " + self.h(lang, "result.address", address=facility.address))
        else:
            lines.append("🏠 " + self.h(lang, "result.address_missing"))
        lines.append("🕘 " + self._hours(lang, result, answer.moment_label))
        if facility.phone:
            lines.append("☎️ " + self.h(lang, "result.phone", phone=facility.phone))
        else:
            lines.append("☎️ " + self.h(lang, "result.phone_unknown"))
        if facility.website and link_allowed(facility.website, catalog.allowlist.domains):
            host = urlsplit(facility.website).hostname or facility.website
            link = f'<a href="{esc(facility.website)}">{esc(host)}</a>'
            lines.append("🔗 " + self.h(lang, "result.website", url="\x00").replace("\x00", link))
        notes = self._notes(lang, result)
        if notes:
            lines.append(f"<i>{notes}</i>")
        return "\n".join(lines)

    def _distance(self, lang: str, result: Result) -> str:
        if result.distance_m is None:
            return ""
        if result.distance_m < 1000:
            parts = [self.h(lang, "result.distance_m", meters=result.distance_m)]
        else:
            parts = [self.h(lang, "result.distance_km", km=f"{result.distance_m / 1000:.1f}")]
        if result.walk_minutes is not None and result.walk_minutes <= 90:
            parts.append(self.h(lang, "result.walk", minutes=result.walk_minutes))
        if result.within_15_min:
            parts.append(self.h(lang, "result.within_15"))
        return " · ".join(parts)

    def _hours(self, lang: str, result: Result, moment_label: str | None) -> str:
        if result.hours_today is None and result.open_now is None:
            return self.h(lang, "result.hours_unknown")
        parts: list[str] = []
        if result.hours_today == "closed":
            parts.append(self.h(lang, "result.hours_closed_today"))
        elif result.hours_today is not None and moment_label:
            parts.append(self.h(lang, "result.hours_at", label=moment_label[:40], hours=result.hours_today))
        elif result.hours_today is not None:
            parts.append(self.h(lang, "result.hours_today", hours=result.hours_today))
        if result.open_now is None:
            parts.append(self.h(lang, "result.hours_unknown"))
        elif result.open_now:
            parts.append(self.h(lang, "result.open_then" if moment_label else "result.open_now"))
        else:
            if result.hours_today != "closed":  # "closed today" already says it
                parts.append(self.h(lang, "result.closed_then" if moment_label else "result.closed_now"))
            if result.next_open is not None:
                when = result.next_open.strftime("%m-%d %H:%M")
                parts.append(self.h(lang, "result.next_open", when=when))
        return " · ".join(parts)

    def _notes(self, lang: str, result: Result) -> str:
        facility = result.facility
        notes: list[str] = []
        if facility.verified is None:
            notes.append(self.h(lang, "result.note_unverified"))
        if facility.point.precision == Precision.approximate:
            notes.append(self.h(lang, "result.note_approximate"))
        if result.hours_today is not None and not result.hours_confirmed:
            notes.append(self.h(lang, "result.note_typical_hours"))
        if not result.calendar_known:
            notes.append(self.h(lang, "result.note_calendar"))
        return " ".join(notes)

    def _page(self, answer: Answer) -> str:
        shown = len(answer.results)
        total = max(answer.total_results, answer.offset + shown)  # total_results counts from the first
        if total <= shown and answer.offset == 0:
            return ""
        first, last = answer.offset + 1, answer.offset + shown
        return "<i>" + self.h(answer.lang, "results.page", first=first, last=last, total=total) + "</i>"

    def _service(self, answer: Answer, catalog: Catalog) -> str:
        lang = answer.lang
        service = answer.service_info
        assert service is not None
        colon = self.h(lang, "colon")
        name = service.name_en if lang == "en" else service.name
        summary = service.summary_en if lang == "en" and service.summary_en else service.summary
        lines = [f"<b>{esc(name)}</b>", esc(summary)]
        if service.eligibility:
            lines.append(f"\n<b>{self.h(lang, 'service.eligibility')}</b>")
            lines += [f"• {esc(item)}" for item in service.eligibility]
        if service.materials:
            lines.append(f"\n<b>{self.h(lang, 'service.materials')}</b>")
            lines += [f"• {esc(item)}" for item in service.materials]
        if service.where:
            places = "、" if lang == "zh" else ", "
            lines.append(
                f"\n<b>{self.h(lang, 'service.where')}</b>{colon}"
                + esc(places.join(self.kind_name(lang, kind) for kind in service.where))
            )
        if service.online:
            lines.append(f"<b>{self.h(lang, 'service.online')}</b>{colon}{esc(service.online)}")
        if service.hotline:
            hotline = catalog.hotlines.get(service.hotline)
            label = f" ({esc(hotline.name_en if lang == 'en' else hotline.name)})" if hotline else ""
            lines.append(f"<b>{self.h(lang, 'service.hotline')}</b>{colon}{esc(service.hotline)}{label}")
        if service.verified is None:
            note = self.locales.t(lang, "core.service.general_note", hotline=service.hotline or "12345")
            lines.append(f"\n<i>{esc(note)}</i>")
        return "\n".join(lines)

    def _indicator(self, answer: Answer) -> str:
        lang = answer.lang
        indicator = answer.indicator_info
        assert indicator is not None
        colon = self.h(lang, "colon")
        name = indicator.name_en if lang == "en" else indicator.name
        rows = [
            ("indicator.category", indicator.category),
            ("indicator.baseline", indicator.baseline),
            ("indicator.target", indicator.target),
            ("indicator.unit", indicator.unit),
            ("indicator.nature", indicator.nature),
        ]
        lines = [f"📊 <b>{esc(name)}</b>"]
        lines += [f"{self.h(lang, key)}{colon}{esc(value)}" for key, value in rows]
        if indicator.note:
            lines.append(f"<i>{self.h(lang, 'indicator.note')}{colon}{esc(indicator.note)}</i>")
        return "\n".join(lines)

    def _hotline_fallback(self, answer: Answer) -> str:
        hotline = answer.hotline
        if hotline is None or answer.intent in ("emergency", "plan_indicator"):
            return ""
        if hotline.number in answer.reply or answer.results:
            return ""
        name = hotline.name_en if answer.lang == "en" else hotline.name
        return self.h(answer.lang, "hotline_fallback", number=hotline.number, name=name)

    def _answer_keyboard(self, answer: Answer, catalog: Catalog) -> InlineKeyboardMarkup | None:
        lang = answer.lang
        rows: list[list[InlineKeyboardButton]] = []
        for i, result in enumerate(answer.results):
            facility = result.facility
            row: list[InlineKeyboardButton] = []
            name = facility.name_en if lang == "en" and facility.name_en else facility.name
            if len(name) > BUTTON_NAME_CHARS:
                name = name[: BUTTON_NAME_CHARS - 1] + "…"
            venue = cb.encode(cb.ShowVenue(facility.id))
            if venue:
                label = self.t(lang, "buttons.map", n=answer.offset + i + 1, name=name)
                row.append(InlineKeyboardButton(label, callback_data=venue))
            report = cb.encode(cb.ReportWrong(facility.id))
            if report:
                row.append(InlineKeyboardButton(self.t(lang, "buttons.report"), callback_data=report))
            if row:
                rows.append(row)
        if answer.results and answer.total_results > answer.offset + len(answer.results):
            more = cb.encode(cb.MoreResults(answer.offset + len(answer.results), answer.kind))
            if more:
                rows.append([InlineKeyboardButton(self.t(lang, "buttons.more"), callback_data=more)])
        for option in answer.clarify[:8]:
            data = cb.encode(cb.Choose(option))
            if data:
                rows.append(
                    [InlineKeyboardButton(self._option_label(lang, option, catalog), callback_data=data)]
                )
        return InlineKeyboardMarkup(rows) if rows else None

    def _option_label(self, lang: str, option: str, catalog: Catalog) -> str:
        service = catalog.services.get(option)
        if service is not None:
            return service.name_en if lang == "en" else service.name
        return self.kind_name(lang, option)

    # Other replies

    def venue(self, lang: str, facility: Facility, catalog: Catalog) -> Venue:
        """A facility as a venue: WGS-84 position, name, and the address (or the town); no foreign links."""
        domains = tuple(catalog.allowlist.domains)
        title = facility.name_en if lang == "en" and facility.name_en else facility.name
        address = facility.address or self.t(lang, "venue_address_unknown", town=facility.town)
        return Venue(
            facility.point.lat,
            facility.point.lon,
            _without_links(title[:256], domains),
            _without_links(address[:256], domains),
        )

    def location_saved(self, lang: str) -> Reply:
        """The confirmation that a location was kept, with how long."""
        hours = max(1, round(self.location_ttl_minutes / 60))
        return Reply(self.h(lang, "location_saved", hours=hours), self.main_keyboard(lang))

    def town_saved(self, lang: str, town: str, catalog: Catalog) -> Reply:
        """The confirmation that a town was kept."""
        return Reply(
            self.h(lang, "town_saved", town=self.town_label(lang, town, catalog)), self.main_keyboard(lang)
        )
