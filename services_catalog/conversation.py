"""`Conversation.handle(channel, user, event) -> Turn`: a resident's conversation, for every channel.

A channel (Telegram, the web chat, WeChat, the terminal) turns what arrives into one of the
events below and the `Reply`s of the turn into its own markup; nothing else. The conversation
owns what is remembered between messages (`services_catalog.memory`, keyed by channel and user):
the language, where the person is and until when, the question waiting for a location, the last
answer's places and paging, and a clarifying question's options. It asks `Finder.answer()` with
that knowledge and builds every reply with the reply model.

Follow-ups refer to the last answer, as people talk:

    "更多", "还有别的吗", "more"          the next places of the last question
    "第二个呢", "2", "the second one"   the place numbered so in the last answer
    "那里周六开门吗", "电话多少"          the place just given (the Finder reads these words)
    "怎么走", "how do I get there"       that place's details, and its position for the map
    "1", "养老院" after "您要找的是…？"     the option chosen
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Literal, Protocol

from sqlalchemy import Engine
from sqlmodel import Session

from locales import Locales, default_locales, normalise_lang
from services_catalog import buttons as btn
from services_catalog import feedback
from services_catalog.answer import Answer, Known, Lang, Question, Where
from services_catalog.catalog import Catalog
from services_catalog.coords import gcj02_to_wgs84
from services_catalog.memory import (
    LastAnswer,
    Memory,
    MemoryStore,
    StoredMemory,
    purge_expired,
    utcnow,
)
from services_catalog.ordinals import ordinal
from services_catalog.reply import (
    Block,
    Line,
    Reply,
    Words,
    block,
    build_reply,
    buttons_for,
    hotlines_reply,
    menu_buttons,
    quick_kinds,
    venue_reply,
)

log = logging.getLogger(__name__)

# Longer messages are cut before they reach the core: nobody asks for a library in 500 characters.
MAX_QUESTION_CHARS = 500
# Places in one answer; "更多" gives the next as many.
PAGE_SIZE = 3
# How often a conversation in a process without a housekeeping task deletes expired memory.
PURGE_EVERY = dt.timedelta(minutes=10)

# A language named alone, as a choice.
_LANGUAGE_WORDS = {"english": "en", "英文": "en", "英语": "en", "中文": "zh", "chinese": "zh", "汉语": "zh"}
_PUNCTUATION = re.compile(r"[\s,.!?;:，。！？；：、~～…]+")


class HasCatalog(Protocol):
    """The part of `Finder` the conversation reads directly."""

    @property
    def catalog(self) -> Catalog: ...

    def resolve_place(self, text: str) -> Where | None: ...


class Core(Protocol):
    """What the conversation needs from `services_catalog.live.LiveFinder`."""

    @property
    def finder(self) -> HasCatalog: ...

    def answer(self, question: Question) -> Answer: ...


# ------------------------------------------------------------------------------------ events


@dataclass(frozen=True)
class Said:
    """The person typed (or spoke, recognised as) `text`."""

    text: str


@dataclass(frozen=True)
class Located:
    """The person shared a position; `crs` is how the channel gives it (WeChat: gcj02)."""

    lat: float
    lon: float
    crs: Literal["wgs84", "gcj02"] = "wgs84"


@dataclass(frozen=True)
class PlaceGiven:
    """The person named where they are apart from a question (a place box, /where)."""

    text: str


@dataclass(frozen=True)
class Pressed:
    """The person pressed a button carrying `data` (as sent; it may be stale or forged)."""

    data: str


@dataclass(frozen=True)
class LanguageAsked:
    """The person asked for a language (`code`), or for the choice (None)."""

    code: str | None = None


@dataclass(frozen=True)
class Started:
    """The person opened the conversation (/start, following the account); `name` if the channel knows it."""

    name: str = ""


@dataclass(frozen=True)
class HelpAsked:
    """The person asked how to use Doorstep."""


@dataclass(frozen=True)
class HotlinesAsked:
    """The person asked for the hotlines."""


@dataclass(frozen=True)
class Unreadable:
    """Something Doorstep cannot read arrived (a sticker, a photo, a voice message without text)."""


Event = (
    Said | Located | PlaceGiven | Pressed | LanguageAsked | Started | HelpAsked | HotlinesAsked | Unreadable
)


@dataclass
class Turn:
    """What one event brings: the replies to send, in order, and the Finder's answer if one was asked."""

    lang: Lang
    replies: list[Reply] = field(default_factory=list)
    answer: Answer | None = None


# ------------------------------------------------------------------------------------ the conversation


class Conversation:
    """Every resident channel's conversation over one core, with memory in `memory`."""

    def __init__(
        self,
        core: Core,
        memory: MemoryStore,
        *,
        engine: Engine | None = None,
        locales: Locales | None = None,
        location_ttl: dt.timedelta = dt.timedelta(hours=2),
        page_size: int = PAGE_SIZE,
        clock: Callable[[], dt.datetime] = utcnow,
        purges: bool = True,
    ) -> None:
        """`engine` keeps "信息有误" reports (and lets the conversation purge expired memory, unless
        `purges` is False: a process whose housekeeping purges for every process, one at a time)."""
        self.core = core
        self.memory = memory
        self.engine = engine
        self.locales = locales or default_locales()
        self.location_ttl = location_ttl
        self.page_size = page_size
        self.clock = clock
        self.purges = purges
        self._last_purge: dt.datetime | None = None

    @classmethod
    def in_store(
        cls,
        core: Core,
        engine: Engine,
        *,
        location_ttl: dt.timedelta,
        locales: Locales | None = None,
        purges: bool = True,
    ) -> Conversation:
        """A conversation remembering in `engine`'s store, shared by every process using it; what it
        keeps and what it purges there expire after the same `location_ttl`."""
        memory = StoredMemory(engine, location_ttl)
        return cls(core, memory, engine=engine, locales=locales, location_ttl=location_ttl, purges=purges)

    @property
    def catalog(self) -> Catalog:
        """The catalogue answering right now."""
        return self.core.finder.catalog

    @property
    def more_words(self) -> frozenset[str]:
        """Words that, as the whole message, ask for the next places ("更多", "还有别的吗", "more")."""
        more = self.catalog.vocabulary.more
        return frozenset(w.lower() for w in [*more.zh, *more.en])

    @property
    def directions_words(self) -> frozenset[str]:
        """Words asking the way to the place just given ("怎么走", "how do I get")."""
        way = self.catalog.vocabulary.directions
        return frozenset(w.lower() for w in [*way.zh, *way.en])

    @property
    def location_hours(self) -> int:
        """How long a shared location is kept, in whole hours, as residents are told (at least 1)."""
        return max(1, round(self.location_ttl.total_seconds() / 3600))

    def language(self, channel: str, user: str, hint: str | None = None) -> Lang:
        """The language to answer in: the one chosen, else the channel's hint, else Chinese."""
        return _lang(self.memory.load(channel, user, self.clock()).lang or hint)

    def handle(
        self,
        channel: str,
        user: str,
        event: Event,
        *,
        lang_hint: str | None = None,
        at: dt.datetime | None = None,
    ) -> Turn:
        """The replies to `event` from `user` on `channel`, remembering what matters."""
        now = self.clock()
        memory = self.memory.load(channel, user, now)
        before = replace(memory)
        turn = _Handling(self, channel, memory, _lang(memory.lang or lang_hint), now, at).run(event)
        if memory != before:
            self.memory.save(channel, user, memory, now)
        self._purge_if_due(now)
        return turn

    def shown(self, channel: str, user: str, count: int) -> None:
        """A channel that had to cut its reply showed only the first `count` places: page on from there."""
        now = self.clock()
        memory = self.memory.load(channel, user, now)
        last = memory.last
        if last is None or count >= len(last.ids):
            return
        memory.answered(replace(last, ids=last.ids[:count]), now)
        self.memory.save(channel, user, memory, now)

    def notice(self, lang: Lang, key: str) -> Reply:
        """One of the conversation's sentences (`conversation.<key>`) as a reply."""
        return Reply(lang, (block(self.locales.t(lang, f"conversation.{key}")),))

    def greeting(self, lang: Lang, name: str = "") -> Reply:
        """The greeting, without touching the store (a page shows it before anyone wrote)."""
        return _Handling(self, "", Memory(), lang, self.clock(), None).greeting(name)

    def _purge_if_due(self, now: dt.datetime) -> None:
        """Delete expired memory of every user, at most every `PURGE_EVERY`."""
        if self.engine is None or not self.purges:
            return
        if self._last_purge is not None and now - self._last_purge < PURGE_EVERY:
            return
        self._last_purge = now
        try:
            with Session(self.engine) as session:
                purge_expired(session=session, location_ttl=self.location_ttl, now=now)
        except Exception as err:  # the resident's answer matters more than the purge; it runs again
            log.warning("could not delete expired conversation memory: %s", type(err).__name__)


def _lang(code: str | None) -> Lang:
    """English when `code` names it, else Chinese."""
    return "en" if normalise_lang(code) == "en" else "zh"


class _Handling:
    """One event being handled: the memory it changes and the replies it makes."""

    def __init__(
        self,
        conversation: Conversation,
        channel: str,
        memory: Memory,
        lang: Lang,
        now: dt.datetime,
        at: dt.datetime | None,
    ) -> None:
        self.c = conversation
        self.channel = channel
        self.memory = memory
        self.lang: Lang = lang
        self.now = now
        self.at = at
        self.turn = Turn(lang)

    # Words

    @property
    def words(self) -> Words:
        """The reply model's words, in the language of this turn."""
        return Words(self.lang, self.c.catalog, self.c.locales)

    def t(self, key: str, /, **values: object) -> str:
        """The sentence `conversation.<key>`."""
        return self.c.locales.t(self.lang, f"conversation.{key}", **values)

    def say(self, *lines: Line | str | None, brief: bool = False, menu: bool = False) -> Reply:
        """A reply of `lines`; `brief`: a pressed button's acknowledgement; `menu`: the common needs."""
        menu_row = menu_buttons(self.words) if menu else ()
        return Reply(self.lang, (block(*lines),), brief=brief, menu=menu_row)

    def send(self, reply: Reply) -> Turn:
        """Add `reply` to the turn, in the language it is in now."""
        self.turn.replies.append(reply)
        self.turn.lang = self.lang
        return self.turn

    # Events

    def run(self, event: Event) -> Turn:
        """The turn for `event`."""
        match event:
            case Said(text):
                return self.said(text)
            case Located(lat, lon, crs):
                return self.located(lat, lon, crs)
            case PlaceGiven(text):
                return self.place_given(text)
            case Pressed(data):
                return self.pressed(data)
            case LanguageAsked(code):
                return self.language_asked(code)
            case Started(name):
                return self.send(self.greeting(name))
            case HelpAsked():
                return self.send(self.help())
            case HotlinesAsked():
                return self.send(hotlines_reply(self.lang, self.c.catalog, self.c.locales))
            case Unreadable():
                return self.send(self.say(self.t("media_hint")))
        raise AssertionError(event)

    def greeting(self, name: str) -> Reply:
        """Hello (by name when the channel knows it), what Doorstep does, and the common needs."""
        name = " ".join(name.split())[:64]
        hello = self.t("start.greeting", name=name) if name else self.t("start.greeting_anonymous")
        lines = [Line(hello, "title"), Line(self.t("start.what")), Line(self.t("start.next"))]
        return Reply(self.lang, (Block(tuple(lines)),), menu=menu_buttons(self.words))

    def help(self) -> Reply:
        """How to ask, what a shared location is kept for, and this channel's commands."""
        hours = self.c.location_hours
        commands = f"conversation.help.commands.{self.channel}"
        blocks = [
            block(Line(self.t("help.title"), "title")),
            block(self.t("help.ask"), *(Line(x, "item") for x in self.t("help.examples").split("\n"))),
            block(self.t("help.location"), self.t("help.privacy", hours=hours)),
        ]
        if self.c.locales.has("zh", commands):
            blocks.append(block(self.c.locales.t(self.lang, commands)))
        blocks.append(block(self.t("help.fallback")))
        return Reply(self.lang, tuple(blocks), menu=menu_buttons(self.words))

    def language_asked(self, code: str | None) -> Turn:
        """Switch to the language `code` names; else offer the languages there are."""
        chosen = (code or "").strip().lower()
        if chosen in ("zh", "en"):
            self.memory.lang = chosen
            self.lang = _lang(chosen)
            return self.send(self.say(self.t("lang.set"), menu=True))
        lines = [self.t("lang.prompt")]
        if chosen:
            lines.insert(0, self.t("lang.unsupported", code=chosen[:16]))
        choices = buttons_for((self.t(f"lang.{lang}"), btn.ChooseLanguage(lang)) for lang in ("zh", "en"))
        typed = block(self.t("lang.type"), audience="text")  # where there are no buttons
        return self.send(Reply(self.lang, (block(*lines), typed), buttons=(choices,)))

    def located(self, lat: float, lon: float, crs: str) -> Turn:
        """Keep a shared position (in WGS-84), and answer the question that was waiting for it."""
        if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
            return self.send(self.say(self.t("location_invalid")))
        if crs == "gcj02":
            lat, lon = gcj02_to_wgs84(lat, lon)
        self.memory.locate(lat, lon, self.now)
        hours = self.c.location_hours
        return self.answer_waiting_or(self.say(self.t("location_saved", hours=hours), menu=True))

    def in_town(self, town: str) -> Turn:
        """Keep the town the person is in, and answer the question that was waiting for a place."""
        self.memory.settle_in(town, self.now, replaces_location=True)
        return self.answer_waiting_or(self.say(self.t("town_saved", town=self.words.town(town)), menu=True))

    def place_given(self, text: str) -> Turn:
        """Keep where a named place puts the person (a position, a town), as a shared location is kept."""
        text = " ".join(text.split())[:200]
        try:
            where = self.c.core.finder.resolve_place(text) if text else None
        except (ValueError, ArithmeticError):
            where = None
        if where is None or where.lat is None or where.lon is None:
            return self.send(self.say(self.t("place_unknown")))
        if where.source == "coordinates":
            return self.located(where.lat, where.lon, "wgs84")
        if where.source == "town" and where.town:
            return self.in_town(where.town)
        self.memory.locate(where.lat, where.lon, self.now)
        if where.town:
            self.memory.settle_in(where.town, self.now, replaces_location=False)
        return self.answer_waiting_or(self.say(self.t("place_saved", place=where.label or text), menu=True))

    def answer_waiting_or(self, saved: Reply) -> Turn:
        """Answer the question that was waiting for where the person is, now that it is known; when
        none was waiting, send `saved` (what was kept, and the common needs)."""
        pending = self.memory.take_pending()
        if pending is None:
            return self.send(saved)
        return self.ask(pending.text, kind=pending.kind)

    def pressed(self, data: str) -> Turn:
        """Do what the button that carried `data` means (the data may be stale or forged)."""
        return self.chose(btn.parse(data))

    def chose(self, button: btn.Button | None) -> Turn:
        """Do what `button` means while it still fits the catalogue and the conversation; else say
        it is out of date."""
        catalog = self.c.catalog
        last = self.memory.last
        match button:
            case btn.ShowVenue(facility_id) if facility_id in catalog.facilities:
                return self.send(
                    venue_reply(catalog.facilities[facility_id], self.lang, catalog, self.c.locales)
                )
            case btn.MoreResults(offset, kind) if last is not None or kind is not None:
                return self.ask(last.text if last else "", kind=kind, offset=offset, more=True)
            case btn.ReportWrong(facility_id) if facility_id in catalog.facilities:
                self.report(facility_id, last.text if last else "")
                return self.send(self.say(self.t("reported"), brief=True))
            case btn.Choose(option) if option in catalog.services:
                self.memory.offer((), self.now)
                service = catalog.services[option]
                return self.ask(service.name_en if self.lang == "en" else service.name)
            case btn.Choose(option) if option in self.c.catalog.kinds:
                self.memory.offer((), self.now)
                return self.ask(last.text if last else self.words.kind(option), kind=option)
            case btn.ChooseLanguage(lang):
                return self.language_asked(lang)
            case btn.ChooseTown(town) if town in catalog.towns:
                return self.in_town(town)
            case btn.QuickKind(kind) if kind in self.c.catalog.kinds:
                return self.ask(self.words.kind(kind), kind=kind)
        return self.send(self.say(self.t("stale"), brief=True))

    def report(self, facility_id: str, text: str) -> None:
        """Keep a "信息有误" report on the facility for staff, with the question it answered."""
        if self.c.engine is None:
            return
        with Session(self.c.engine) as session:
            feedback.add_report(session=session, facility_id=facility_id, text=text)

    def said(self, text: str) -> Turn:
        """What a message means: a town, a common need, a language, "更多", the choice asked for,
        a numbered place of the last answer; else a question for the core."""
        text = " ".join(text.split())[:MAX_QUESTION_CHARS]
        if not text:
            return self.send(self.help())
        catalog = self.c.catalog
        town = _town_named(text, catalog)
        if town is not None:
            return self.in_town(town)
        quick = self._quick_kind(text)
        if quick is not None:
            return self.ask(text, kind=quick)
        bare = _PUNCTUATION.sub(" ", text.lower()).strip()
        if bare in _LANGUAGE_WORDS:  # "English" typed where there is no language button (WeChat)
            return self.language_asked(_LANGUAGE_WORDS[bare])
        if bare in self.c.more_words:
            return self.more()
        if self.memory.choices:
            chosen = self._choice(text)
            if chosen is not None:
                return self.chose(btn.Choose(chosen))  # as if its button was pressed
        last = self.memory.last
        if last is not None and last.ids:
            number, rest = ordinal(text)
            if number is not None:
                facility_id = _numbered(last, number)
                if facility_id is None:
                    return self.send(self.say(self.t("no_such_number", count=len(last.ids))))
                return self.ask(rest or text, about=facility_id)
        return self.ask(text)

    def more(self) -> Turn:
        """The next places of the last question, or why there are none."""
        last = self.memory.last
        if last is None:
            return self.send(self.say(self.t("nothing_before")))
        shown = last.offset + len(last.ids)
        if not last.ids or shown >= last.total:
            return self.send(self.say(self.t("no_more")))
        return self.ask(last.text, kind=last.kind, offset=shown, more=True)

    def _quick_kind(self, text: str) -> str | None:
        """The kind whose common-need label (看病, 养老 …) is the whole message, in either language."""
        for kind in quick_kinds(self.c.catalog):
            key = f"conversation.quick.{kind}"
            if any(text == self.c.locales.t(lang, key) for lang in ("zh", "en")):
                return kind
        return None

    def _choice(self, text: str) -> str | None:
        """The option of the open clarifying question that `text` names ("1", "第二个", its name)."""
        choices = self.memory.choices
        number, rest = ordinal(text)
        if number is not None and not rest and 1 <= number <= len(choices):
            return choices[number - 1]
        wanted = _PUNCTUATION.sub("", text.lower())
        for option in choices:
            if wanted in (_PUNCTUATION.sub("", self.words.option(option).lower()), option):
                return option
        return None

    # Asking the core

    def ask(
        self,
        text: str,
        *,
        kind: str | None = None,
        offset: int = 0,
        about: str | None = None,
        more: bool = False,
    ) -> Turn:
        """Ask the core with what is remembered, keep what matters of the answer, and reply."""
        catalog = self.c.catalog
        memory = self.memory
        last = memory.last
        # The place a follow-up ("那里周六开门吗") is about: the one asked about, else the last one
        # given, else the first of the last answer.
        focus = about
        if focus is None and last is not None:
            focus = last.focus or (last.ids[0] if last.ids else None)
        last_kind = last.kind if last else None
        if about is not None and about in catalog.facilities:
            last_kind = catalog.facilities[about].kind
        question = Question(
            text=text,
            lang=self.lang,
            at=self.at,
            kind=kind,
            offset=offset,
            limit=self.c.page_size,
            about=about,
            known=Known(
                town=memory.town,
                lat=memory.lat,
                lon=memory.lon,
                last_kind=last_kind,
                last_service=last.service if last else None,
                last_facility_id=focus,
            ),
        )
        answer = self.c.core.answer(question)
        self.turn.answer = answer
        if more and not answer.results:  # an old "更多" pressed again, past the last place
            return self.send(self.say(self.t("no_more")))
        ids = tuple(r.facility.id for r in answer.results)
        if answer.needs_location:
            memory.wait_for_location(text, kind or answer.kind, self.now)
        elif answer.follow_up and last is not None:
            # About one of the places given: "第二个呢" still means the same list, and the next
            # "怎么走" means this place.
            memory.answered(replace(last, focus=ids[0] if ids else last.focus), self.now)
        elif answer.intent in ("find_facility", "service_info", "plan_indicator") or more:
            memory.answered(
                LastAnswer(text, answer.kind, answer.service, ids, answer.offset, answer.total_results),
                self.now,
            )
        if answer.town and answer.town != memory.town and answer.where.source != "coordinates":
            memory.settle_in(answer.town, self.now, replaces_location=False)
        memory.offer(tuple(answer.clarify), self.now)
        if answer.follow_up and last is not None and ids and ids[0] in last.ids:
            answer.offset = last.offset + last.ids.index(ids[0])  # numbered as it was shown
        reply = build_reply(answer, catalog, self.c.locales)
        self.send(reply)
        if answer.follow_up and ids and _asks_the_way(text, self.c.directions_words):
            self.send(venue_reply(catalog.facilities[ids[0]], self.lang, catalog, self.c.locales))
        return self.turn


def _town_named(text: str, catalog: Catalog) -> str | None:
    """The official town when the whole message is a town's name (a tapped town button)."""
    wanted = text.strip().casefold()
    for town in catalog.towns.values():
        if wanted in (town.name.casefold(), town.name_en.casefold(), *(a.casefold() for a in town.aliases)):
            return town.name
    return None


def _numbered(last: LastAnswer, number: int) -> str | None:
    """The facility shown as `number` in the last answer (as numbered on screen, or on the page)."""
    if last.offset < number <= last.offset + len(last.ids):
        return last.ids[number - last.offset - 1]
    if 1 <= number <= len(last.ids):
        return last.ids[number - 1]
    return None


def _asks_the_way(text: str, words: frozenset[str]) -> bool:
    """Whether `text` asks the way there ("怎么走"), by the vocabulary's `words`."""
    lowered = text.lower()
    return any(word in lowered for word in words)
