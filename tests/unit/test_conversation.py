"""The conversation core over the real Finder: follow-ups as people talk, memory per channel and user."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.settings import BUNDLED_CATALOG
from services_catalog import feedback
from services_catalog.conversation import (
    Conversation,
    LanguageAsked,
    Located,
    PlaceGiven,
    Pressed,
    Said,
    Started,
    Turn,
)
from services_catalog.coords import wgs84_to_gcj02
from services_catalog.live import LiveFinder
from services_catalog.memory import ConversationRow, ProcessMemory, StoredMemory, create_memory_tables
from services_catalog.reply import Reply
from services_catalog.reply_text import plain_text

TTL = dt.timedelta(hours=2)


@pytest.fixture(scope="module")
def live() -> LiveFinder:
    return LiveFinder(BUNDLED_CATALOG)


@pytest.fixture
def chat(live: LiveFinder) -> Conversation:
    return Conversation(live, ProcessMemory())


class Talk:
    """One person talking to a conversation, as a channel would pass their messages on."""

    def __init__(self, conversation: Conversation, channel: str = "test", user: str = "u1") -> None:
        self.conversation, self.channel, self.user = conversation, channel, user
        self.turn: Turn | None = None

    def __call__(self, event: object) -> str:
        event = Said(event) if isinstance(event, str) else event
        self.turn = self.conversation.handle(self.channel, self.user, event)  # type: ignore[arg-type]
        return "\n\n".join(plain_text(r) for r in self.turn.replies)

    @property
    def replies(self) -> list[Reply]:
        assert self.turn is not None
        return self.turn.replies

    def places(self) -> list[str]:
        assert self.turn is not None and self.turn.answer is not None
        return [r.facility.id for r in self.turn.answer.results]


def test_follow_ups_refer_to_the_last_answer_as_people_talk(chat: Conversation) -> None:
    """After a list of day-care centres: 那里周六开门吗, 电话多少, 第二个呢, 怎么走, 还有别的吗."""
    say = Talk(chat)
    say("朱家角有没有日间照料中心")
    first, second, third = say.places()

    saturday = say("那里周六开门吗")
    assert say.places() == [first] and "周六" in saturday and "帮不上忙" not in saturday

    phone = say("电话多少")
    assert say.places() == [first] and "电话" in phone

    number_two = say("第二个呢")
    assert say.places() == [second] and "2. " in number_two

    say("第二个周六开吗")
    assert say.places() == [second]

    say("怎么走")  # the way to the place just talked about: number 2
    assert [r.venue is not None for r in say.replies] == [False, True]
    assert say.places() == [second]

    more = say("还有别的吗")
    assert third not in say.places() and first not in say.places()
    assert "4. " in more


def test_english_follow_ups(chat: Conversation) -> None:
    """ "is it open on Sunday?" after an English list answers in English for the first place."""
    say = Talk(chat, user="en")
    say(LanguageAsked("en"))
    say("Is there a library in Zhujiajiao?")
    first = say.places()[0]
    text = say("is it open on Sunday?")
    assert say.places() == [first] and "Sunday" in text and "Sorry" not in text
    say("the second one")
    assert len(say.places()) == 1 and say.places()[0] != first


def test_more_past_the_end_says_there_is_no_more(chat: Conversation) -> None:
    """Paging stops politely after the last place."""
    say = Talk(chat, user="pager")
    say("朱家角有没有图书馆")
    texts = [say("更多") for _ in range(6)]
    assert "没有更多了" in texts[-1]


def test_a_waiting_question_is_answered_when_the_location_arrives(chat: Conversation) -> None:
    """ "附近的图书馆" asks where; a shared location then brings the nearest library without asking again."""
    say = Talk(chat, user="walker")
    asked = say("附近的图书馆")
    assert say.replies[0].asks_location and len(say.replies[0].towns) == 11 and "位置" in asked
    answer = say(Located(31.1075, 121.0555))
    assert answer.startswith("离您发送的位置最近的图书馆")
    assert say.turn and say.turn.answer and say.turn.answer.results[0].facility.town == "朱家角镇"


def test_a_town_button_answers_the_waiting_question(chat: Conversation) -> None:
    """A resident who cannot share a location presses 朱家角镇 and gets the answer."""
    say = Talk(chat, user="elder")
    say("附近的图书馆")
    text = say(Pressed(say.replies[0].towns[3].data))
    assert text.startswith("朱家角镇的图书馆")


def test_a_gcj02_location_is_converted_before_it_is_used(chat: Conversation) -> None:
    """WeChat's Location_X/Y are GCJ-02: the same spot sent in GCJ-02 gives the WGS-84 answer."""
    wgs = (31.1075, 121.0555)
    gcj = wgs84_to_gcj02(*wgs)
    one, other = Talk(chat, user="wgs"), Talk(chat, user="gcj")
    one("附近的图书馆")
    other("附近的图书馆")
    one(Located(*wgs))
    other(Located(gcj[0], gcj[1], crs="gcj02"))
    assert one.turn and other.turn and one.turn.answer and other.turn.answer
    ones, others = one.turn.answer.results, other.turn.answer.results
    assert [r.facility.id for r in ones] == [r.facility.id for r in others]
    # Both are kept rounded to about 100 m; unconverted, GCJ-02 would be some 500 m off here.
    assert all(
        abs((a.distance_m or 0) - (b.distance_m or 0)) < 150 for a, b in zip(ones, others, strict=True)
    )


def test_a_clarifying_question_is_answered_by_number_or_name(chat: Conversation) -> None:
    """ "我妈想找个养老的地方" asks which; "2" then lists nursing homes."""
    say = Talk(chat, user="carer")
    asked = say("我妈想找个养老的地方，我们在朱家角")
    assert "？" in asked.split("\n", 1)[0]
    say("2")
    assert say.turn and say.turn.answer and say.turn.answer.kind == "nursing_home"


def test_language_choice_and_an_unsupported_language(chat: Conversation) -> None:
    """/lang fr says it is not supported and offers the two; en switches, and answers follow in English."""
    say = Talk(chat, user="lang")
    text = say(LanguageAsked("fr"))
    assert "fr" in text and [b.data for b in say.replies[0].all_buttons()] == ["l:zh", "l:en"]
    say(LanguageAsked("en"))
    assert say("library in Zhujiajiao").startswith("library in Zhujiajiao Town")


def test_forged_and_stale_buttons_get_a_brief_polite_note(chat: Conversation) -> None:
    """Made-up data, a vanished place and a town that is not one get "按钮已经失效" and nothing else."""
    say = Talk(chat, user="forger")
    for data in ("v:no-such-place", "x:1", "t:北京", "m:abc:library", "k:../../etc", "", "r:" + "a" * 70):
        text = say(Pressed(data))
        assert len(say.replies) == 1 and say.replies[0].brief and "失效" in text


def test_a_place_given_apart_from_a_question_is_remembered(chat: Conversation) -> None:
    """/where 徐泾东 (a metro station) puts the person there for the next question."""
    say = Talk(chat, user="commuter")
    assert "徐泾东" in say(PlaceGiven("徐泾东"))
    assert say("附近的图书馆").startswith("离您发送的位置最近的图书馆")
    assert "没找到这个地方" in say(PlaceGiven("火星基地"))


def test_the_greeting_offers_the_common_needs(chat: Conversation) -> None:
    """/start greets by name, and the menu's buttons stand for facility kinds."""
    say = Talk(chat, user="new")
    assert "阿姨" in say(Started("阿姨"))
    assert [b.data for b in say.replies[0].menu][:2] == ["k:clinic", "k:elderly_centre"]
    say(Pressed("k:library"))
    assert say.turn and say.turn.answer and say.turn.answer.kind == "library"


@pytest.fixture
def stored(any_engine: Engine, live: LiveFinder) -> Iterator[tuple[Conversation, Conversation, Engine]]:
    """Two conversations over one store, as two processes (or a restart) would be."""
    create_memory_tables(any_engine)
    one = Conversation(live, StoredMemory(any_engine, TTL), engine=any_engine)
    two = Conversation(live, StoredMemory(any_engine, TTL), engine=any_engine)
    yield one, two, any_engine


def test_memory_is_shared_through_the_store_and_kept_apart_by_channel(
    stored: tuple[Conversation, Conversation, Engine],
) -> None:
    """What one process remembers, the other reads; the same user key on another channel is someone else."""
    one, two, engine = stored
    Talk(one, "web", "s1")("附近的图书馆")
    Talk(two, "web", "s1")(Located(31.123456, 121.054321))
    with Session(engine) as session:
        row = session.get(ConversationRow, ("web", "s1"))
        assert row is not None and (row.lat, row.lon) == (31.123, 121.054) and row.pending_text is None
        assert row.last_ids and row.last_text == "附近的图书馆"
    assert Talk(two, "web", "s1")("第二个呢").count("\n1. ") == 0
    other = Talk(one, "wechat", "s1")
    other("第二个呢")
    assert other.turn and other.turn.answer and other.turn.answer.intent == "out_of_scope"


def test_a_report_keeps_the_place_and_question_but_no_user(
    stored: tuple[Conversation, Conversation, Engine],
) -> None:
    """ "信息有误" records the facility and what was asked, never who or where."""
    one, _, engine = stored
    say = Talk(one, "web", "reporter")
    say("朱家角有没有图书馆")
    report = next(b for row in say.replies[0].buttons for b in row if b.data.startswith("r:"))
    assert "谢谢" in say(Pressed(report.data)) and say.replies[0].brief
    with Session(engine) as session:
        reports = list(session.exec(select(feedback.Report)))
    assert [(r.facility_id, r.text) for r in reports] == [(report.data[2:], "朱家角有没有图书馆")]
