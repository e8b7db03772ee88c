"""The service topics added for what the plan promises and residents ask most (issue 12).

Each guide must be answerable (a resident's words reach it), honest (unverified, with the source of
its rules and of any amount), and useful (a kind of place that exists, so the nearest is found;
links only to the allowlist; English too).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from services_catalog.answer import Question
from services_catalog.catalog import Catalog
from services_catalog.finder import Finder
from services_catalog.linkcheck import domain_allowed, domains_in
from services_catalog.loader import check_catalog, load_catalog
from services_catalog.models import KIND_IDS, Service

BUNDLED = Path(__file__).resolve().parents[2] / "services_catalog" / "data"

NEW_TOPICS = [
    "elderly_allowance",
    "elderly_health_check",
    "chronic_disease_care",
    "labour_arbitration",
    "work_injury",
    "unemployment_benefit",
    "temporary_assistance",
    "children_in_difficulty",
    "maternal_child_health",
    "maternity_benefit",
    "disability_allowances",
    "student_aid",
    "residence_permit",
    "retirement_pension",
]

# How a resident might ask about each topic, in words the guide's name does not use.
ASKED = {
    "elderly_allowance": "我妈刚满65岁，老年综合津贴怎么申请",
    "elderly_health_check": "老年人免费体检怎么预约",
    "chronic_disease_care": "我爸有高血压，社区的慢病管理怎么弄",
    "labour_arbitration": "老板不给钱，我想申请劳动仲裁",
    "work_injury": "干活时受伤了，单位不给报工伤怎么办",
    "unemployment_benefit": "被辞退了，失业金怎么领",
    "temporary_assistance": "家里着火了一时过不下去，临时救助怎么申请",
    "children_in_difficulty": "困境儿童的补贴怎么申请",
    "maternal_child_health": "怀孕了要去社区建小卡吗",
    "maternity_benefit": "生完孩子生育津贴怎么领",
    "disability_allowances": "重度残疾人护理补贴怎么申请",
    "student_aid": "孩子上学交不起学费，有没有助学金",
    "residence_permit": "外地人办居住证要什么材料",
    "retirement_pension": "我想办退休，去哪里",
}

# An amount of money in a guide: digits followed by 元.
AMOUNT = re.compile(r"\d[\d,.]*\s*元")
YEAR = re.compile(r"(19|20)\d\d")


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(BUNDLED)


@pytest.fixture(scope="module")
def finder(catalog: Catalog) -> Finder:
    return Finder(catalog)


def _texts(s: Service) -> list[str]:
    return [s.name, s.name_en, s.summary, s.summary_en or "", *s.eligibility, *s.materials, s.online or ""]


def test_the_catalogue_with_the_new_topics_is_clean(catalog: Catalog) -> None:
    """All 14 topics load, next to the contract's 20, without a single problem or warning."""
    assert check_catalog(BUNDLED)[1] == []
    assert set(NEW_TOPICS) <= set(catalog.services)
    assert len(catalog.services) >= 34


@pytest.mark.parametrize("sid", NEW_TOPICS)
def test_a_guide_says_where_and_the_nearest_place_exists(catalog: Catalog, sid: str) -> None:
    """Every kind of place a guide sends people to exists and has places in every town; a guide
    with no place names the online channel and a hotline instead."""
    s = catalog.services[sid]
    for kind in s.where:
        assert kind in KIND_IDS
        towns = {f.town for f in catalog.facilities.values() if f.kind == kind}
        assert towns == set(catalog.towns), f"{sid}: {kind} is missing in {set(catalog.towns) - towns}"
    if not s.where:
        assert s.online and s.hotline
    assert s.hotline in catalog.hotlines
    assert s.eligibility and s.materials


@pytest.mark.parametrize("sid", NEW_TOPICS)
def test_a_guide_is_labelled_unverified_and_names_its_sources(catalog: Catalog, sid: str) -> None:
    """No guide claims to be checked; each names the rules it rests on with their year, and any
    amount of money comes with a year in the same sentence."""
    s = catalog.services[sid]
    assert s.verified is None
    assert "未逐条核对" in s.source
    assert YEAR.search(s.source), f"{sid}: its source gives no year"
    for text in _texts(s):
        for sentence in re.split(r"[。；;]", text):
            if AMOUNT.search(sentence):
                assert YEAR.search(sentence), f"{sid}: an amount without its year: {sentence}"


@pytest.mark.parametrize("sid", NEW_TOPICS)
def test_a_guide_has_english(catalog: Catalog, sid: str) -> None:
    """Every line of the guide has its English line, in the same order, and it is English."""
    s = catalog.services[sid]
    assert len(s.eligibility_en) == len(s.eligibility) and len(s.materials_en) == len(s.materials)
    assert s.online_en or not s.online
    english = [s.name_en, s.summary_en or "", *s.eligibility_en, *s.materials_en, s.online_en or ""]
    for line in english:
        # Latin text; Chinese only for a document's own name or number quoted in brackets or （）.
        assert line and re.search(r"[A-Za-z]{3}", line), line
        assert not re.search(r"[\u4e00-\u9fff]{2,}", re.sub(r"[（(][^）)]*[）)]|〔[^〕]*〕", "", line)), line


@pytest.mark.parametrize("sid", NEW_TOPICS)
def test_a_resident_asking_in_plain_words_gets_the_guide(finder: Finder, sid: str) -> None:
    """The answer is the topic's guide: where to go, the hotline, and the unverified note."""
    a = finder.answer(Question(text=ASKED[sid]))
    s = finder.catalog.services[sid]
    assert (a.intent, a.service) == ("service_info", sid)
    assert s.summary in a.reply
    assert "未逐条核实" in a.reply  # the note every unverified guide carries
    assert s.hotline is not None and s.hotline in a.reply
    if s.where:
        assert "去哪里办" in a.reply
    for domain in domains_in(a.reply):
        assert domain_allowed(domain, finder.catalog.allowlist.domains), domain


def test_in_english_the_guide_is_in_english(finder: Finder) -> None:
    a = finder.answer(Question(text="how do I get the work injury recognised", lang="en"))
    assert a.service == "work_injury"
    assert finder.catalog.services["work_injury"].summary_en in a.reply  # type: ignore[operator]


def test_with_a_location_the_guide_gives_the_nearest_place_to_apply(finder: Finder) -> None:
    """Someone in Zhujiajiao asking about the elderly allowance is sent to Zhujiajiao's service hall."""
    zhujiajiao = finder.catalog.towns["朱家角镇"].centre
    a = finder.answer(Question(text="老年综合津贴怎么申请", lat=zhujiajiao.lat, lon=zhujiajiao.lon))
    assert a.service == "elderly_allowance"
    assert a.results and a.results[0].facility.kind == "affairs_centre"
    assert a.results[0].facility.town == "朱家角镇"
    assert a.results[0].facility.name in a.reply


def test_the_legal_hotline_answers_labour_and_work_injury_questions(catalog: Catalog) -> None:
    """12348 is the public legal services line; it takes labour disputes and work injuries too."""
    legal = catalog.hotlines["12348"]
    assert {"legal_aid", "legal_aid_application", "labour_arbitration", "work_injury"} <= set(legal.topics)
    assert not legal.emergency


def test_every_topic_is_answered_by_some_hotline(catalog: Catalog) -> None:
    """Each new topic is among the topics of the hotline its guide names."""
    for sid in NEW_TOPICS:
        s = catalog.services[sid]
        assert s.hotline is not None and sid in catalog.hotlines[s.hotline].topics, sid
