"""The catalogue's records, as district staff write them in YAML.

Every model forbids unknown fields, so a typo in a field name is reported rather than ignored.
`doorstep catalog schema` prints the JSON Schema generated from `CatalogFiles` for editors.

Coordinates are written in the system they were taken in (`wgs84`, or `gcj02` copied from a
Chinese map app); the loader converts them once to WGS-84 and nothing else ever sees GCJ-02.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

# The facility kinds come from the bundled data/kinds.yaml (a catalogue may bring its own: the
# loaded `Catalog.kinds` is the truth for it); the towns are fixed by the outside contract.
_BUNDLED_KINDS = Path(__file__).resolve().parent / "data" / "kinds.yaml"


def _bundled_kind_ids() -> tuple[str, ...]:
    """The ids in the bundled kinds.yaml, in its order (a few lines: read once, on import)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    data = yaml.load(_BUNDLED_KINDS.read_text(encoding="utf-8"), Loader=loader)
    return tuple(str(k["id"]) for k in data["kinds"])


KIND_IDS: tuple[str, ...] = _bundled_kind_ids()


def bundled_kinds() -> dict[str, Kind]:
    """The bundled kinds.yaml as records, by id (for a catalogue built without its own kinds)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    data = yaml.load(_BUNDLED_KINDS.read_text(encoding="utf-8"), Loader=loader)
    return {k.id: k for k in KindsFile.model_validate(data).kinds}


TOWN_NAMES: tuple[str, ...] = (
    "夏阳街道",
    "盈浦街道",
    "香花桥街道",
    "朱家角镇",
    "练塘镇",
    "金泽镇",
    "赵巷镇",
    "徐泾镇",
    "华新镇",
    "重固镇",
    "白鹤镇",
)

Id = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)]
Text = Annotated[str, Field(min_length=1, max_length=500)]


class Strict(BaseModel):
    """Base for every catalogue record: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Crs(StrEnum):
    """The coordinate system a point was taken in."""

    wgs84 = "wgs84"
    gcj02 = "gcj02"


class Precision(StrEnum):
    """Whether a point marks the place itself or only its neighbourhood."""

    exact = "exact"
    approximate = "approximate"


class HolidayPolicy(StrEnum):
    """How a place behaves on China's public holidays and adjusted working days (调休)."""

    closed_on_holidays = "closed_on_holidays"  # closed on public holidays, weekly hours otherwise
    open = "open"  # keeps its weekly hours whatever the calendar says
    workday_calendar = "workday_calendar"  # closed on holidays, weekday hours on adjusted working days


class HoursStatus(StrEnum):
    """Where a facility's opening hours come from."""

    confirmed = "confirmed"  # confirmed for this site (by phone, notice board or official page)
    typical = "typical"  # the usual hours for this kind of place, not confirmed for the site


class Point(Strict):
    """A position as staff copied it, with its coordinate system and how exact it is."""

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    crs: Crs = Crs.gcj02
    precision: Precision = Precision.approximate
    source: Text | None = None


class Town(Strict):
    """One of Qingpu's 11 towns and sub-districts (街道/镇)."""

    name: Text  # official name, the town's id in the contract
    name_en: Text
    code: Annotated[str, Field(pattern=r"^\d{9}$")]  # NBS statistical code (9 digits)
    aliases: list[Text] = []
    centre: Point


class Committee(Strict):
    """A village (村委会) or residents' (居委会) committee."""

    code: Annotated[str, Field(pattern=r"^\d{12}$")]
    name: Text
    town: Text
    aliases: list[Text] = []
    centre: Point | None = None


class Station(Strict):
    """A metro station in Qingpu."""

    name: Text
    aliases: list[Text] = []
    lines: list[Text]
    town: Text
    point: Point | None = None
    note: Text | None = None


class Landmark(Strict):
    """A place residents use to say where they are (a park, a square, a market)."""

    name: Text
    aliases: list[Text] = []
    town: Text
    point: Point
    source: Text


class Facility(Strict):
    """A place a resident can go to."""

    id: Id
    name: Text
    name_en: Text | None = None
    aliases: list[Text] = []
    kind: Text  # one of KIND_IDS
    town: Text  # official town name
    level: Annotated[str, Field(pattern=r"^(town|district)$")] = "town"
    address: Text | None = None  # never invented: absent until known
    point: Point
    phone: Annotated[str, Field(pattern=r"^[0-9+\- ]{3,20}$")] | None = None  # never invented
    opening_hours: Text | None = None  # OpenStreetMap opening_hours syntax
    hours_status: HoursStatus = HoursStatus.typical
    holidays: HolidayPolicy = HolidayPolicy.closed_on_holidays
    services: list[Id] = []
    # A specialist place (妇产科医院): the words of the need it serves. It comes before general
    # places of its kind only when the question says one of them.
    specialties: list[Text] = []
    accessibility: Text | None = None
    website: Text | None = None  # must be on the catalogue's allowlist
    source: Text
    verified: dt.date | None = None  # when the record was last checked; absent = not yet checked
    note: Text | None = None


class Service(Strict):
    """A service topic: how to apply for something, who may, what to bring, where to go."""

    id: Id
    name: Text
    name_en: Text
    aliases: list[Text] = []
    summary: Text
    summary_en: Text | None = None
    eligibility: list[Text] = []
    eligibility_en: list[Text] = []  # the same lines in English, in the same order
    materials: list[Text] = []
    materials_en: list[Text] = []  # the same lines in English, in the same order
    where: list[Text] = []  # facility kinds where one applies in person
    online: Text | None = None  # 一网通办 / 随申办 channel, where it applies
    online_en: Text | None = None
    hotline: Text | None = None  # a hotline number from hotlines.yaml
    source: Text
    verified: dt.date | None = None


class Indicator(Strict):
    """One row of the plan's indicator table (青浦区基本公共服务指标汇总表), exactly as printed."""

    id: Id
    row: int = Field(ge=1, le=20)
    category: Text
    name: Text
    name_en: Text
    aliases: list[Text] = []
    unit: Text
    nature: Annotated[str, Field(pattern=r"^(预期性|约束性)$")]
    baseline: Text  # 2020 value as printed ("-" when the table gives none)
    target: Text  # 2025 target as printed
    note: Text | None = None
    source: Text


class Kind(Strict):
    """A kind of place residents look for, with what it is called in each language.

    `name` is the official name (社区综合为老服务中心), `common` what residents call it and what
    headings say (为老服务中心), `button` the short label of a quick button (养老).
    """

    id: Id
    name: Text
    name_en: Text
    common: Text
    common_en: Text
    button: Annotated[str, Field(min_length=1, max_length=20)]
    button_en: Annotated[str, Field(min_length=1, max_length=30)]
    quick: bool = False  # one of the quick buttons the bot offers at /start
    hotline: Annotated[str, Field(pattern=r"^\d{3,11}$")]  # the hotline for questions about this kind


class Hotline(Strict):
    """A telephone hotline."""

    number: Annotated[str, Field(pattern=r"^\d{3,11}$")]
    name: Text
    name_en: Text
    emergency: bool = False
    topics: list[Text] = []  # kinds or service ids this hotline answers for
    source: Text | None = None  # where the number was confirmed


class HolidayOverride(Strict):
    """A day whose status the catalogue fixes, overriding chinese-calendar."""

    date: dt.date
    status: Annotated[str, Field(pattern=r"^(holiday|workday)$")]
    name: Text | None = None
    note: Text | None = None


class Words(Strict):
    """The words residents use for one meaning, per language."""

    zh: list[Text] = []
    en: list[Text] = []


class EmergencySign(Strict):
    """A danger told in several words: one word of each group in one clause, in any order."""

    name: Text  # short, shown in an answer's `why` ("fell, cannot get up")
    words: list[list[Text]] = Field(min_length=2)


class EmergencyTopic(Strict):
    """What means someone needs 120, 119 or 110 now, and the numbers to give."""

    number: Annotated[str, Field(pattern=r"^(110|119|120)$")]
    also: list[Annotated[str, Field(pattern=r"^\d{3,11}$")]] = []  # given right after the number
    zh: list[Text]
    en: list[Text] = []
    signs: list[EmergencySign] = []
    # An illness named (中风, 心梗): an emergency told alone, background to a question about a
    # service or a place ("中风后瘫在床上，长护险怎么申请") unless told as happening right now.
    conditions: Words = Words()
    maybe: Words = Words()  # may mean danger: an emergency only when told as happening now
    # Of the words above, those that say a life is at stake this minute (没有呼吸, 叫不醒): said as
    # now, with nothing that puts them outside now, they alarm whatever the classifier thinks.
    critical: Words = Words()


class NotNow(Strict):
    """Words that put a danger outside now, by why (a past illness, a hazard, a story, ...)."""

    past: Words = Words()
    hypothetical: Words = Words()  # also covers the clause after it
    hazard: Words = Words()
    about_services: Words = Words()
    story: Words = Words()
    pet: Words = Words()
    claim: Words = Words()
    over: Words = Words()  # the danger is over and everyone is fine ("已经好了", "找到了")
    figure_of_speech: Words = Words()


class Vocabulary(Strict):
    """How residents say things, mapped to meanings. Staff extend this file, not the code."""

    kinds: dict[str, Words] = {}
    services: dict[str, Words] = {}
    emergency: dict[str, EmergencyTopic] = {}
    not_now: NotNow = NotNow()
    now: Words = Words()  # "刚刚", "救命": a danger happening right now
    cries: Words = Words()  # "救命！" sent alone: an emergency
    sound_alike: Words = Words()  # two-character danger words also matched by their sound (晕到)
    dialect: dict[Text, Text] = {}  # dialect words read as Mandarin when looking for danger (勿 → 不)
    negation: Words = Words()  # "没有", "不是" just before a danger word deny it
    mild: Words = Words()  # "有点", "擦破": a danger made mild
    after_event: Words = Words()  # "后", "过" right after a danger word put it in the past
    complaint: Words = Words()  # "投诉", "建议", "希望有关部门": a letter for 12345
    near_me: Words = Words()  # "附近", "离我最近", "nearest"
    how_to: Words = Words()  # "怎么申请", "要什么材料", "how do I apply"
    where: Words = Words()  # asking for a place or its details: "在哪", "地址", "几点开门", "电话", "where"
    plan: Words = Words()  # "规划", "目标", "2025", "target"
    asks_figure: Words = Words()  # "多少", "比例", "how many": a plan row may be meant
    asks_cost: Words = Words()  # "多少钱", "收费": a price, never a plan figure
    asks_time: Words = Words()  # "几点", "周几": a time asked, not a figure
    greetings: Words = Words()
    capabilities: Words = Words()  # "你能做什么", "what can you do"
    off_topic: Words = Words()  # words that mark a question Doorstep cannot answer (天气, 股票)
    stopwords: Words = Words()
    ambiguous: Words = Words()  # words under two kinds on purpose (养老): the bot asks which is meant
    fillers: Words = Words()  # measure words skipped inside a phrase ("测个血糖")
    place_suffixes: Words = Words()  # endings of a place's name ("院", "中心", "library")
    more: Words = Words()  # the whole message asks for the next places of the last answer ("更多")
    directions: Words = Words()  # asking the way to the place just given ("怎么走")


ExampleIntent = Literal[
    "find_facility", "service_info", "plan_indicator", "emergency", "help", "out_of_scope"
]


class Example(Strict):
    """Sentences residents write, with what they mean: what the understanding is trained on.

    Like Rasa's `nlu.yml`: many varied sentences per meaning, negatives included (a near-miss
    labelled with the intent it really has). `emergency` names a vocabulary emergency topic;
    `complaint` marks a complaint, suggestion or report handed to 12345.
    """

    intent: ExampleIntent
    kind: str | None = None
    service: str | None = None
    indicator: str | None = None
    emergency: str | None = None
    complaint: bool = False
    hedge: bool = False  # danger possible but unclear: answer, with the emergency numbers first
    texts: list[Annotated[str, Field(min_length=1, max_length=1200)]] = Field(min_length=1)


class Allowlist(Strict):
    """Domains whose links may reach a resident. Subdomains of a listed domain are allowed."""

    domains: list[Text]


# The top-level shape of each YAML file (one concern per file).


class TownsFile(Strict):
    towns: list[Town]


class CommitteesFile(Strict):
    committees: list[Committee]


class PlacesFile(Strict):
    stations: list[Station] = []
    landmarks: list[Landmark] = []


class FacilitiesFile(Strict):
    facilities: list[Facility]


class ServicesFile(Strict):
    services: list[Service]


class IndicatorsFile(Strict):
    indicators: list[Indicator]


class KindsFile(Strict):
    kinds: list[Kind]


class HotlinesFile(Strict):
    hotlines: list[Hotline]


class HolidaysFile(Strict):
    overrides: list[HolidayOverride] = []


class VocabularyFile(Strict):
    vocabulary: Vocabulary


class ExamplesFile(Strict):
    examples: list[Example]


class AllowlistFile(Strict):
    allowlist: Allowlist
