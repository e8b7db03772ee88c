"""What a message asks for: complaints go to 12345, a need told at length is found, and every
answer says which rule or score decided (`why`)."""

from __future__ import annotations

import pytest

from services_catalog.finder import Finder
from tests.understanding.conftest import ask

LETTER = (
    "尊敬的领导：您好！我是华新镇某小区的居民，想反映一个问题。小区旁边的工地每天晚上十一点还在施工，"
    "打桩机的声音震得窗户都在响，家里老人心脏不好，孩子第二天要上学，根本睡不着。我们找过物业，物业说"
    "管不了；打过电话给居委会，也没有下文。附近的社区卫生服务中心和图书馆晚上都安安静静的，就我们这边"
    "吵得不行。希望有关部门尽快来查一查，督促工地按规定时间施工，还居民一个安静的夜晚。"
)


def test_a_long_complaint_is_handed_to_12345_not_answered_with_places(finder: Finder) -> None:
    """A letter that names a clinic and a library in passing is a complaint, not a look-up."""
    a = ask(finder, LETTER)
    assert (a.intent, a.complaint) == ("out_of_scope", True)
    assert not a.results and a.kind is None and a.service is None
    assert "12345" in a.reply
    assert a.why.startswith("complaint")


@pytest.mark.parametrize(
    "text",
    [
        "建议在盈浦街道的公交站多设几个候车座椅，老人等车太累了",
        "举报：村口有人天天焚烧垃圾，黑烟呛人，希望管一管",
        "I want to complain about the noise from the construction site next to our building every night",
    ],
)
def test_suggestions_and_reports_go_to_12345(finder: Finder, text: str) -> None:
    a = ask(finder, text)
    assert (a.intent, a.complaint) == ("out_of_scope", True), a.why
    assert "12345" in a.reply


def test_a_labour_dispute_told_at_length_still_gets_the_help_it_asks_for(finder: Finder) -> None:
    """Unpaid wages and "what do I do" is a need Doorstep serves: arbitration or legal aid."""
    a = ask(finder, "我在工地干活被拖欠了三个月工资，老板一直拖着不给，找他也不理，我该怎么办")
    assert a.intent in ("service_info", "find_facility") and not a.complaint
    assert a.service in ("labour_arbitration", "legal_aid_application") or a.kind == "legal_aid"


def test_the_central_case_day_care_for_an_old_parent_in_her_childs_words(finder: Finder) -> None:
    """No official name at all: the classifier trained on example sentences finds the day-care place."""
    a = ask(finder, "我妈80多岁了，腿脚不好，想找个白天能照顾她的地方，我们住在赵巷")
    assert (a.intent, a.kind, a.town) == ("find_facility", "elderly_centre", "赵巷镇")
    assert a.results and a.results[0].facility.town == "赵巷镇"


def test_retiring_is_answered_with_the_pension_guide(finder: Finder) -> None:
    a = ask(finder, "我想办退休，去哪里")
    assert (a.intent, a.service) == ("service_info", "retirement_pension")


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("朱家角有没有图书馆", "kind: library"),
        ("长护险怎么申请", "service: long_term_care"),
        ("你好", "greeting"),
        ("规划表第19项是什么", "plan"),
    ],
)
def test_every_answer_says_which_rule_decided(finder: Finder, text: str, why: str) -> None:
    """Operators and staff can see why an answer came out as it did."""
    assert ask(finder, text).why.startswith(why)


def test_why_is_in_the_contract_answer_shape(finder: Finder) -> None:
    body = ask(finder, "我爸突然倒地不省人事").to_json()
    assert body["intent"] == "emergency"
    assert body["why"].startswith("emergency:") and "倒地" in body["why"]


def test_an_off_topic_question_is_not_guessed_into_a_place(finder: Finder) -> None:
    assert ask(finder, "青浦哪家奶茶店好喝").intent == "out_of_scope"


def test_a_time_asked_is_not_a_figure_of_the_plan(finder: Finder) -> None:
    """ "几点开门" asks when a place opens; "要建几个" asks the plan's figure."""
    a = ask(finder, "华新镇市民健身中心几点开门")
    assert (a.intent, a.kind) == ("find_facility", "sports_centre")
    assert ask(finder, "青浦规划里市民健身中心要建几个").intent == "plan_indicator"


def test_a_price_of_something_else_is_no_plan_figure(finder: Finder) -> None:
    """ "多少钱一个" shares only asking words with the plan's spending per pupil: not that row."""
    assert ask(finder, "比特币现在多少钱一个").intent != "plan_indicator"
    assert ask(finder, "每个小孩上学政府花多少钱").indicator == "per_student_funding"
