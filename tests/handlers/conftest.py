"""An offline Telegram: a real `Application` whose requests go to a recorder instead of the network.

`RecordingRequest` is a `BaseRequest` (python-telegram-bot's own pattern for offline tests): it
records every Bot API call (method + parameters) and returns canned results. Tests feed real
`Update`s through `application.process_update` and assert on what the bot sent.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import SQLModel
from telegram import Update
from telegram.request import BaseRequest, RequestData

from bot.app import DoorstepApplication, build_application
from bot.settings import Settings
from services_catalog import feedback  # noqa: F401  (registers the report table)
from services_catalog.answer import Answer, Question, Result, Where
from services_catalog.catalog import Catalog
from services_catalog.db import make_engine
from services_catalog.models import (
    TOWN_NAMES,
    Allowlist,
    Facility,
    Hotline,
    Indicator,
    Point,
    Service,
    Town,
    Vocabulary,
)
from tests.bot_api_results import bot_user, sent_message

BOT_ID = 999000
BOT_USERNAME = "doorstep_test_bot"


@dataclass
class Call:
    """One Bot API request the bot made."""

    method: str
    params: dict[str, Any]


class RecordingRequest(BaseRequest):
    """Records every request and answers like the Bot API would, without a network."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self._next_message_id = 5000

    @property
    def read_timeout(self) -> float | None:
        return 1.0

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        endpoint = url.rsplit("/", 1)[-1]
        params = dict(request_data.parameters) if request_data else {}
        self.calls.append(Call(endpoint, params))
        return 200, json.dumps({"ok": True, "result": self._result(endpoint, params)}).encode()

    def _result(self, endpoint: str, params: dict[str, Any]) -> Any:
        if endpoint == "getMe":
            return bot_user(BOT_ID, BOT_USERNAME)
        if endpoint in ("sendMessage", "sendVenue"):
            self._next_message_id += 1
            return sent_message(endpoint, params, message_id=self._next_message_id, bot_id=BOT_ID)
        if endpoint == "getUpdates":
            return []
        return True

    def sent(self, method: str) -> list[dict[str, Any]]:
        """The parameters of every call to `method`, oldest first."""
        return [c.params for c in self.calls if c.method == method]


# A small catalogue written by hand, so these tests do not depend on the bundled data.


def _point(lat: float, lon: float, precision: str = "exact") -> Point:
    return Point(lat=lat, lon=lon, crs="wgs84", precision=precision)  # type: ignore[arg-type]


def make_catalog(*, facilities: list[Facility] | None = None) -> Catalog:
    """A catalogue with the 11 towns, three libraries, a clinic, hotlines, a service and an indicator."""
    towns = {
        name: Town(
            name=name, name_en=f"Town{i}", code=f"31011800{i}"[:9].ljust(9, "0"), centre=_point(31.1, 121.1)
        )
        for i, name in enumerate(TOWN_NAMES)
    }
    towns["朱家角镇"] = Town(
        name="朱家角镇",
        name_en="Zhujiajiao Town",
        code="310118106",
        aliases=["朱家角"],
        centre=_point(31.107, 121.054),
    )
    if facilities is None:
        facilities = [
            Facility(
                id="lib-district",
                name="青浦区图书馆",
                name_en="Qingpu Library",
                kind="library",
                town="夏阳街道",
                level="district",
                address="青浦区华青路1000号",
                point=_point(31.150, 121.110),
                phone="021-59728018",
                opening_hours="Tu-Su 09:00-20:30",
                hours_status="confirmed",
                website="https://www.qplib.sh.cn/",
                source="test",
                verified=dt.date(2024, 5, 1),
            ),
            Facility(
                id="lib-zhujiajiao",
                name="朱家角镇图书馆",
                kind="library",
                town="朱家角镇",
                point=_point(31.108, 121.055, "approximate"),
                source="test",
                website="https://evil.example.com/phish",
            ),
            Facility(
                id="lib-xujing",
                name="徐泾镇图书馆",
                kind="library",
                town="徐泾镇",
                address="徐泾镇某路1号",
                point=_point(31.178, 121.264),
                phone="021-00000000",
                source="test",
            ),
            Facility(
                id="lib-huaxin",
                name="华新镇图书馆",
                kind="library",
                town="华新镇",
                point=_point(31.23, 121.22),
                source="test",
            ),
            Facility(
                id="clinic-zhujiajiao",
                name="朱家角镇社区卫生服务中心",
                kind="clinic",
                town="朱家角镇",
                point=_point(31.11, 121.05),
                source="test",
            ),
        ]
    hotlines = {
        "120": Hotline(number="120", name="急救", name_en="Ambulance", emergency=True),
        "110": Hotline(number="110", name="报警", name_en="Police", emergency=True),
        "12345": Hotline(number="12345", name="市民服务热线", name_en="Citizen hotline"),
    }
    service = Service(
        id="long_term_care",
        name="长期护理保险",
        name_en="Long-term care insurance",
        summary="为失能老人提供护理服务。",
        eligibility=["60周岁及以上"],
        materials=["身份证", "医保卡"],
        where=["affairs_centre"],
        online="随申办",
        hotline="12345",
        source="test",
    )
    indicator = Indicator(
        id="doctors_per_1000",
        row=6,
        category="医疗卫生",
        name="每千人口执业(助理)医师数",
        name_en="Doctors per 1000 residents",
        unit="人",
        nature="预期性",
        baseline="2.8",
        target="3.2",
        source="test",
    )
    return Catalog(
        towns=towns,
        committees={},
        stations={},
        landmarks={},
        facilities={f.id: f for f in facilities},
        services={service.id: service},
        indicators={indicator.id: indicator},
        hotlines=hotlines,
        holidays=(),
        vocabulary=Vocabulary(),
        allowlist=Allowlist(domains=["qplib.sh.cn", "gov.cn"]),
        source=Path("."),
    )


@dataclass
class FakeFinder:
    catalog: Catalog

    def resolve_place(self, text: str) -> Where | None:
        town = self.catalog.towns.get(text)
        return Where(town.centre.lat, town.centre.lon, "town", town.name, town.name) if town else None


@dataclass
class ScriptedCore:
    """Stands in for `LiveFinder`: rules shaped like the real Finder's answers, and a log of questions."""

    catalog: Catalog
    questions: list[Question] = field(default_factory=list)
    override: Callable[[Question], Answer | None] | None = None
    reload_checks: int = 0
    # Called (in a worker thread) on each check for a newer catalogue: the new one, or None.
    newer_catalog: Callable[[], Catalog | None] | None = None

    @property
    def finder(self) -> FakeFinder:
        return FakeFinder(self.catalog)

    def reload_if_changed(self) -> bool:
        self.reload_checks += 1
        catalog = self.newer_catalog() if self.newer_catalog is not None else None
        if catalog is None:
            return False
        self.catalog = catalog
        return True

    def answer(self, question: Question) -> Answer:
        self.questions.append(question)
        if self.override is not None:
            custom = self.override(question)
            if custom is not None:
                return custom
        text, lang = question.text, question.lang
        if "救命" in text or "heart attack" in text:
            return Answer(
                intent="emergency",
                lang=lang,
                emergency=[self.catalog.hotlines["120"]],
                reply="请立即拨打 120。",
                results=self._libraries(question)[:3],
            )
        if "护理保险" in text:
            return Answer(
                intent="service_info",
                lang=lang,
                service="long_term_care",
                service_info=self.catalog.services["long_term_care"],
                reply="长期护理保险",
            )
        if "医生" in text:
            return Answer(
                intent="plan_indicator",
                lang=lang,
                indicator="doctors_per_1000",
                indicator_info=self.catalog.indicators["doctors_per_1000"],
                reply="每千人口医生",
            )
        if "找个地方" in text:
            return Answer(
                intent="find_facility",
                lang=lang,
                clarify=["library", "long_term_care"],
                reply="您想找哪一类？",
            )
        kind = question.kind or ("library" if ("图书馆" in text or "library" in text.lower()) else None)
        if kind is None:
            return Answer(
                intent="out_of_scope",
                lang=lang,
                reply=f"不明白：{text}",
                hotline=self.catalog.hotlines["12345"],
            )
        known = question.known
        town = "朱家角镇" if "朱家角" in text else known.town
        if known.lat is None and town is None:
            return Answer(
                intent="find_facility", lang=lang, kind=kind, needs_location=True, reply="请发送位置"
            )
        where = (
            Where(lat=known.lat, lon=known.lon, source="coordinates")
            if known.lat is not None
            else Where(source="town", label=town, town=town)
        )
        everything = [r for r in self._libraries(question) if r.facility.kind == kind]
        page = everything[question.offset : question.offset + question.limit]
        return Answer(
            intent="find_facility",
            lang=lang,
            kind=kind,
            town=town if known.lat is None else None,
            where=where,
            results=page,
            total_results=len(everything),
            offset=question.offset,
            reply="图书馆",
        )

    def _libraries(self, question: Question) -> list[Result]:
        out = []
        for i, facility in enumerate(self.catalog.facilities.values()):
            out.append(
                Result(
                    facility=facility,
                    distance_m=400 + 900 * i,
                    walk_minutes=5 + 11 * i,
                    within_15_min=i == 0,
                    open_now=[True, None, False, True, True][i % 5],
                    hours_today=["09:00-20:30", None, "closed", "08:00-16:00", "08:00-16:00"][i % 5],
                    next_open=dt.datetime(2025, 6, 3, 9, 0) if i == 2 else None,
                    hours_confirmed=i == 0,
                    calendar_known=i != 3,
                )
            )
        return out


@dataclass
class BotHarness:
    """A running offline bot, with helpers to send it updates."""

    app: DoorstepApplication
    request: RecordingRequest
    core: ScriptedCore
    engine: Engine
    next_update_id: int = 1

    async def feed(self, update: dict[str, Any]) -> None:
        """Process one update given as Bot API JSON."""
        update.setdefault("update_id", self.next_update_id)
        self.next_update_id += 1
        await self.app.process_update(Update.de_json(update, self.app.bot))

    async def text(self, text: str, **kwargs: Any) -> None:
        """The user types `text`."""
        await self.feed({"message": message(text=text, **kwargs)})

    async def location(self, lat: float, lon: float, **kwargs: Any) -> None:
        """The user shares a location."""
        await self.feed({"message": message(location={"latitude": lat, "longitude": lon}, **kwargs)})

    async def press(self, data: str, *, user_id: int = 1, lang: str = "zh") -> None:
        """The user presses an inline button carrying `data`."""
        await self.feed(
            {
                "callback_query": {
                    "id": f"cq{self.next_update_id}",
                    "chat_instance": "ci",
                    "data": data,
                    "from": user(user_id, lang),
                    "message": {
                        "message_id": 77,
                        "date": 0,
                        "chat": {"id": user_id, "type": "private"},
                        "from": {"id": BOT_ID, "is_bot": True, "first_name": "家门口"},
                        "text": "…",
                    },
                }
            }
        )

    def sent(self, method: str = "sendMessage") -> list[dict[str, Any]]:
        return self.request.sent(method)

    @asynccontextmanager
    async def running(self, *, reload_every: float = 0.02, purge_every: float = 0.05) -> AsyncIterator[None]:
        """The bot's start-up and shutdown hooks around the block, as `run_polling` calls them."""
        services = self.app.bot_data.services
        assert services is not None and self.app.post_init and self.app.post_shutdown
        services.reload_every, services.purge_every = reload_every, purge_every
        await self.app.post_init(self.app)
        try:
            yield
        finally:
            await self.app.post_shutdown(self.app)

    def last_text(self) -> str:
        return str(self.sent()[-1]["text"])

    def buttons(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Every inline button of a sent message."""
        markup = params.get("reply_markup") or {}
        return [b for row in markup.get("inline_keyboard", []) for b in row]


def user(user_id: int = 1, lang: str | None = "zh") -> dict[str, Any]:
    data: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": "阿姨"}
    if lang:
        data["language_code"] = lang
    return data


def message(
    text: str | None = None,
    *,
    user_id: int = 1,
    lang: str | None = "zh",
    chat_type: str = "private",
    chat_id: int | None = None,
    entities: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A Bot API message from a user; commands get their bot_command entity automatically."""
    chat_id = chat_id if chat_id is not None else (user_id if chat_type == "private" else -100123)
    data: dict[str, Any] = {
        "message_id": 10,
        "date": int(dt.datetime.now(dt.UTC).timestamp()),
        "chat": {"id": chat_id, "type": chat_type, **({"title": "邻里群"} if chat_type != "private" else {})},
        "from": user(user_id, lang),
        **extra,
    }
    if text is not None:
        data["text"] = text
        if entities is None and text.startswith("/"):
            entities = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        if entities:
            data["entities"] = entities
    return data


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "telegram_bot_token": "123:ABC",
        "database_url": f"sqlite:///{tmp_path / 'bot.sqlite3'}",
        "doorstep_location_ttl_minutes": 120,
        "doorstep_user_rate_per_minute": 20,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def bot_settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
async def bot(bot_settings: Settings) -> AsyncIterator[BotHarness]:
    """An initialised offline bot over the hand-made catalogue."""
    engine = make_engine(bot_settings.database_url)
    SQLModel.metadata.create_all(engine)
    core = ScriptedCore(make_catalog())
    request = RecordingRequest()
    app = build_application(
        bot_settings, core, engine, request=request, get_updates_request=RecordingRequest()
    )
    async with app:
        yield BotHarness(app, request, core, engine)
    engine.dispose()


# Telegram HTML: https://core.telegram.org/bots/api#html-style
_ALLOWED_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "a",
    "code",
    "pre",
    "blockquote",
    "tg-spoiler",
    "span",
    "tg-emoji",
}
_TOKEN = re.compile(
    r"<(/?)([a-z-]+)((?:\s+[a-z-]+=\"[^\"<>]*\")*)\s*>|&(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);"
)


def assert_telegram_html(text: str) -> None:
    """Fail unless `text` parses as Telegram HTML: only its tags, properly nested, every `<>&` escaped."""
    stack: list[str] = []
    pos = 0
    for match in _TOKEN.finditer(text):
        between = text[pos : match.start()]
        assert not re.search(r"[<>&]", between), f"unescaped character in {between!r}"
        pos = match.end()
        if match.group(0).startswith("&"):
            continue
        closing, tag = match.group(1), match.group(2)
        assert tag in _ALLOWED_TAGS, f"tag <{tag}> is not Telegram HTML"
        if closing:
            assert stack and stack[-1] == tag, f"</{tag}> closes nothing"
            stack.pop()
        else:
            stack.append(tag)
    assert not re.search(r"[<>&]", text[pos:]), f"unescaped character in {text[pos:]!r}"
    assert not stack, f"unclosed tags {stack}"
