"""Someone in danger now sees the right number first; words of danger that are not about now do not
raise an alarm. Concepts, not keywords: each case below is told in words no rule spells out whole."""

from __future__ import annotations

import pytest

from services_catalog.finder import Finder
from tests.understanding.conftest import ask


def first_line(text: str) -> str:
    return text.split("\n", 1)[0]


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("我妈在卫生间摔了一跤，叫她也不应，爬不起来", "120"),
        ("有人跳河了！", "119"),
        ("河里有个人在扑腾，好像不会游泳", "119"),
        ("车祸，司机卡在车里出不来了", "119"),
        ("我爸说话突然含糊不清，嘴巴歪了", "120"),
        ("独居的老伯说胸口闷得慌，手发麻，一直出冷汗", "120"),
        ("孩子不见了，在超市门口一转眼就没了", "110"),
        ("外婆老年痴呆，早上出门到现在没回来", "110"),
        ("电梯停在两层中间，里面关着一个老人", "119"),
        ("厨房里煤气灶一直嘶嘶响，关不掉", "119"),
        ("My grandpa fell in the bathroom and can't get up", "120"),
        ("你好，我是朱家角的居民，想问图书馆开不开……我爸刚刚倒在地上了，怎么叫都不答应", "120"),
        ("阿拉姆妈刚刚跌了一跤，头浪向出血，爬勿起来", "120"),
        ("我爸晕到了叫不行了怎么办啊", "120"),  # voice input: 晕到 for 晕倒, 叫不行 for 叫不醒
        ("我家着活了快来", "119"),
        ("救命！", "120"),
        ("廚房起火了，煙好大", "119"),
        ("我婆婆在银行要把养老钱汇给冒充公安的人，柜员都拦不住", "110"),
        ("Someone collapsed at the gym, a man is doing CPR on him", "120"),
        ("救护车 朱家角 快", "120"),
        ("宿舍楼顶边上坐着一个人，喊着谁上来他就跳", "120"),
        ("过年了就我一个人，门窗都用胶带封住了，炭也点上了", "120"),  # "过年了" is no past ("好几年了")
        # a critical word said as now alarms even beside a question about the services
        ("老人在公园突然倒下，没有呼吸了，有人在按压，请问救护车电话多少", "120"),
        ("我爸正要在柜台给一个自称检察官的人汇款二十万", "110"),
    ],
)
def test_an_emergency_gets_its_number_on_the_first_line(finder: Finder, text: str, number: str) -> None:
    """The alarm comes first, with the number for what is happening, and no facility list."""
    a = ask(finder, text)
    assert a.intent == "emergency", a.why
    assert number in first_line(a.reply)
    assert not a.results
    assert a.why.startswith("emergency")


def test_someone_who_wants_to_end_their_life_gets_120_and_a_crisis_line(finder: Finder) -> None:
    """Self-harm: 120/110 first, and the psychological crisis lines (962525, 12356) right after."""
    a = ask(finder, "我不想活了，药都准备好了")
    assert a.intent == "emergency"
    assert "120" in first_line(a.reply)
    assert "962525" in a.reply and "12356" in a.reply


@pytest.mark.parametrize(
    "text",
    [
        "我爸前年脑梗过，现在想找个地方做康复训练，我们在重固",
        "120急救站在青浦哪里",
        "小区楼道里堆满了杂物，万一着火很危险，这个归谁管",
        "如果家里老人摔倒了，应该先怎么处理",
        "今天热死了，图书馆开空调吗，在夏阳街道",
        "我家狗吃了巧克力，怎么办",
        "上个月出了车祸，医保能报销多少",
        "想买个烟雾报警器装在老人房间",
        "昨晚梦见家里着火了，吓醒了",
        "甜到我要昏倒了",
        "哪里可以学急救，想学心肺复苏",
        "投诉：某工厂夜里偷排废水，存在很大的安全隐患",
        "小说里主角被人拿刀追，后来怎么样了",
        "这道题难到我想跳楼",
        "昨晚梦到我妈晕倒了，怎么叫都叫不醒，吓醒了，打电话过去她好好的",  # the dream covers what follows
        "my phone is dying, where can I charge it in Xujing",
    ],
)
def test_words_of_danger_that_are_not_about_now_raise_no_alarm(finder: Finder, text: str) -> None:
    """History, hazards, hypotheticals, questions about the services, dreams, pets, claims and
    figures of speech are answered as what they are."""
    a = ask(finder, text)
    assert a.intent != "emergency", a.why


def test_a_past_illness_told_with_a_question_is_answered_with_the_number_first(finder: Finder) -> None:
    """ "中风后要人照顾…敬老院": the question is answered; 120 is still the first line (a hedge)."""
    a = ask(finder, "奶奶中风后要长期有人照顾，练塘有敬老院能住吗")
    assert (a.intent, a.kind, a.town) == ("find_facility", "nursing_home", "练塘镇")
    assert "120" in first_line(a.reply)
    assert "hedge" in a.why


def test_an_illness_with_a_service_question_is_a_hedge_not_an_alarm(finder: Finder) -> None:
    a = ask(finder, "我爸中风了现在瘫在床上，长护险怎么申请")
    assert (a.intent, a.service) == ("service_info", "long_term_care")
    assert "120" in first_line(a.reply)


@pytest.mark.parametrize(
    "text",
    ["没有着火，就是想问消防站在哪", "过马路差点被电瓶车撞到，吓一跳", "热水器点不着火了找谁修"],
)
def test_a_denied_or_averted_danger_is_no_danger(finder: Finder, text: str) -> None:
    """Denied (没有), averted (差点) or an appliance that will not light is no emergency."""
    assert ask(finder, text).intent != "emergency"


def test_a_danger_word_is_not_heard_across_a_word_the_catalogue_knows(finder: Finder) -> None:
    """Voice input may write 想去死 with other characters, but 想去司法所 asks for a legal aid office:
    the catalogue's own word (司法所) is read as written, and the office is found."""
    a = ask(finder, "午休想去司法所问问劳动合同的条款，重固司法所在哪条路")
    assert (a.intent, a.kind) == ("find_facility", "legal_aid"), a.why
    assert ask(finder, "我爸晕到了叫不行了怎么办啊").intent == "emergency"


def test_the_number_to_call_is_the_first_thing_a_phone_can_tap(finder: Finder) -> None:
    """On every channel the first line of an emergency reply carries the number as a tel: link."""
    from services_catalog.reply import build_reply

    reply = build_reply(ask(finder, "我爸突然倒地，叫他也不答应"), finder.catalog)
    first = reply.blocks[0].lines[0]
    assert first.style == "urgent" and first.href == "tel:120"
    hedge = build_reply(ask(finder, "奶奶中风后要长期有人照顾，练塘有敬老院能住吗"), finder.catalog)
    assert hedge.blocks[0].lines[0].href == "tel:120"
