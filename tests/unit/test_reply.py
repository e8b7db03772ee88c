"""The reply model: one set of words for every channel, from the real Finder's answers."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from bot.settings import BUNDLED_CATALOG
from handlers.render import Renderer
from locales import default_locales
from services_catalog.answer import Answer, Question
from services_catalog.finder import Finder
from services_catalog.loader import load_catalog
from services_catalog.reply import build_reply
from services_catalog.reply_text import fit_text, plain_text, short_text, utf8_bytes

SATURDAY = dt.datetime(2026, 11, 28, 14, 0)  # a Saturday afternoon in Qingpu
CJK = re.compile(r"[\u3400-\u9fff]")


@pytest.fixture(scope="module")
def finder() -> Finder:
    return Finder(load_catalog(BUNDLED_CATALOG))


def ask(finder: Finder, text: str, **kwargs: object) -> Answer:
    return finder.answer(Question(text=text, **kwargs))  # type: ignore[arg-type]


def test_telegram_and_text_channels_say_the_same_facts(finder: Finder) -> None:
    """The hours, the phone line and the notes of a place read the same in Telegram and in text."""
    answer = ask(finder, "朱家角有没有图书馆", at=SATURDAY)
    reply = build_reply(answer, finder.catalog)
    telegram = Renderer(default_locales()).message(reply).text
    text = plain_text(reply)
    for line in reply.lines("text"):
        if line.style in ("hours", "phone", "address"):
            assert line.text in text and line.text in telegram


def test_the_next_opening_is_unambiguous_in_english(finder: Finder) -> None:
    """A library closed on Monday says when it opens next as "Tue 1 Dec 09:00", never 12/01."""
    monday = dt.datetime(2026, 11, 30, 10, 0)
    answer = ask(finder, "library in Zhujiajiao", lang="en", at=monday)
    text = plain_text(build_reply(answer, finder.catalog))
    assert "opens next Tue 1 Dec 09:00" in text
    assert not re.search(r"\b\d{1,2}/\d{1,2}\b", text)


def test_a_moment_chosen_apart_from_the_words_is_named_instead_of_today(finder: Finder) -> None:
    """With --at and no time word, the reply names that day rather than saying today/now."""
    answer = ask(finder, "朱家角有没有图书馆", at=SATURDAY)
    text = plain_text(build_reply(answer, finder.catalog))
    assert "11月28日（周六）14:00" in text and "今天" not in text and "现在" not in text
    english = plain_text(
        build_reply(ask(finder, "library in Zhujiajiao", lang="en", at=SATURDAY), finder.catalog)
    )
    assert "Sat 28 Nov 14:00" in english and "Today" not in english and "now" not in english


def test_the_heading_names_where_distances_are_measured_from(finder: Finder) -> None:
    """A shared location, a metro station and a town each appear in the heading."""
    near = plain_text(build_reply(ask(finder, "附近的图书馆", lat=31.15, lon=121.11), finder.catalog))
    assert near.startswith("离您发送的位置最近的图书馆")
    station = plain_text(build_reply(ask(finder, "徐泾东附近的图书馆"), finder.catalog))
    assert station.startswith("离徐泾东站最近的图书馆")
    town = plain_text(build_reply(ask(finder, "朱家角的图书馆"), finder.catalog))
    assert town.startswith("朱家角镇的图书馆")


def test_an_unknown_phone_points_to_the_topics_own_hotline(finder: Finder) -> None:
    """A health centre without a phone sends people to 12320 (health), in every channel's text."""
    answer = ask(finder, "朱家角的社区卫生服务中心")
    assert answer.results and answer.results[0].facility.phone is None
    reply = build_reply(answer, finder.catalog)
    phones = [line.text for line in reply.lines() if line.style == "phone"]
    assert phones and all("12320" in p for p in phones)
    assert "12320" in Renderer(default_locales()).message(reply).text


def test_every_place_carries_its_honesty_notes(finder: Finder) -> None:
    """An unverified, estimated record says so under its own name."""
    reply = build_reply(ask(finder, "白鹤镇有养老院吗"), finder.catalog)
    places = [b for b in reply.blocks if b.facility]
    assert places and all(any("信息未核实" in line.text for line in b.lines) for b in places)


def test_english_guides_are_in_english(finder: Finder) -> None:
    """An English guide has no Chinese in who can apply and what to bring, and says it is a translation."""
    answer = ask(finder, "How do I apply for legal aid?", lang="en")
    reply = build_reply(answer, finder.catalog)
    items = [line.text for line in reply.lines() if line.style == "item"]
    assert items and not any(CJK.search(item) for item in items)
    assert "Translated from the Chinese" in plain_text(reply)


def test_an_emergency_gives_the_number_first_and_nothing_before_it(finder: Finder) -> None:
    """ "我爸晕倒了叫不醒" starts with 120 in text and in Telegram, with no buttons."""
    reply = build_reply(ask(finder, "我爸晕倒了叫不醒"), finder.catalog)
    assert plain_text(reply).split("\n", 1)[0].count("120") == 1
    message = Renderer(default_locales()).message(reply)
    assert message.text.startswith("🚨 <b>请立即拨打 120") and message.markup is None


def test_a_complaint_is_handed_to_12345_by_phone_and_online(finder: Finder) -> None:
    """A complaint answer says Doorstep finds services, and complaints go to 12345 by phone and online."""
    answer = Answer(intent="out_of_scope", complaint=True)
    text = plain_text(build_reply(answer, finder.catalog))
    assert "12345" in text.split("\n", 1)[0] and "随申办" in text and "不受理投诉" in text


def test_the_operator_short_text_is_one_facility_in_an_sms(finder: Finder) -> None:
    """Name, that day's hours and a phone (or hotline) in at most 70 characters; never "更多"."""
    for text in ("朱家角有没有图书馆", "附近的社区卫生服务中心", "白鹤镇有养老院吗"):
        answer = ask(finder, text, lat=31.107, lon=121.054, at=SATURDAY)
        short = short_text(answer, finder.catalog)
        first = answer.results[0].facility
        assert first.name in short and len(short) <= 70, short
        assert ("12345" in short or "12320" in short) and "更多" not in short
        assert answer.results[1].facility.name not in short
    emergency = short_text(ask(finder, "着火了"), finder.catalog)
    assert emergency.startswith("请立即拨打 119")


def test_a_length_limit_cuts_between_facilities_and_says_how_to_see_the_rest(finder: Finder) -> None:
    """Cut to 1,000 UTF-8 bytes, a list keeps whole places and tells how many more there are."""
    reply = build_reply(ask(finder, "朱家角有没有图书馆"), finder.catalog)
    fitted = fit_text(
        reply, 1000, measure=utf8_bytes, more_note=lambda n: f"还有 {n} 个", cut_note="（未完）"
    )
    assert utf8_bytes(fitted.text) <= 1000
    assert fitted.facilities_shown >= 1 and fitted.facilities_cut >= 1
    assert fitted.text.endswith(f"还有 {fitted.facilities_cut} 个")
    names = [b.lines[0].text for b in reply.blocks if b.facility]
    shown = names[: fitted.facilities_shown]
    assert all(name in fitted.text for name in shown)
    assert names[fitted.facilities_shown] not in fitted.text
