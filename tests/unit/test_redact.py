"""What a resident typed is kept with its coordinates rounded like a shared location, and always storable."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.settings import BUNDLED_CATALOG
from services_catalog import feedback
from services_catalog.conversation import Conversation, Pressed, Said
from services_catalog.live import LiveFinder
from services_catalog.memory import ConversationRow, StoredMemory, create_memory_tables
from services_catalog.notes import Notes
from services_catalog.redact import fit_to_keep, round_coordinates

TTL = dt.timedelta(hours=2)


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("我在31.15234,121.12345附近", "我在31.152,121.123附近"),
        ("121.058123, 31.109876 图书馆", "121.058, 31.110 图书馆"),
        ("３１．１５２３４，１２１．１２３４５", "31.152，121.123"),
        ("北纬31度9分5秒 东经121度7分20秒", "北纬31.151 东经121.122"),
        ("31°9'5.5\"N 121°7'20\"E", "31.152N 121.122E"),
        ("31°9.1234' N", "31.152 N"),
        ("-33.86882, 151.20929", "-33.869, 151.209"),
    ],
)
def test_typed_coordinates_are_rounded_to_about_100_m(typed: str, kept: str) -> None:
    assert round_coordinates(typed) == kept


@pytest.mark.parametrize(
    "text",
    ["电话 021-59201234", "版本 1.2.3456", "31.152,121.123", "3.14", "朱家角有没有图书馆", "999.12345"],
)
def test_text_without_precise_coordinates_is_kept_as_it_is(text: str) -> None:
    assert fit_to_keep(text) == text


def test_lone_surrogates_become_replacement_characters_and_pairs_their_character() -> None:
    assert fit_to_keep("图书馆\ud800在哪") == "图书馆\ufffd在哪"
    assert fit_to_keep("\ud83d\ude00 图书馆") == "😀 图书馆"
    fit_to_keep("图书馆\udfff").encode("utf-8")  # storable


@pytest.fixture
def conversation(any_engine: Engine) -> Conversation:
    create_memory_tables(any_engine)
    live = LiveFinder(BUNDLED_CATALOG, engine=None)
    live.notes = Notes(any_engine)  # unanswered questions are noted in this store
    return Conversation(live, StoredMemory(any_engine, TTL), engine=any_engine)


def test_a_question_with_coordinates_is_remembered_rounded(
    conversation: Conversation, any_engine: Engine
) -> None:
    """The waiting question and the last question keep the coordinates as a shared location would be kept."""
    conversation.handle("web", "s1", Said("我在 31.1523456,121.1234567 附近的图书馆"))
    with Session(any_engine) as session:
        row = session.get(ConversationRow, ("web", "s1"))
    assert row is not None
    kept = " ".join(filter(None, (row.pending_text, row.last_text)))
    assert "31.152" in kept and "121.123" in kept
    assert "1523456" not in kept and "1234567" not in kept


def test_unanswered_questions_and_reports_keep_no_precise_position(
    conversation: Conversation, any_engine: Engine
) -> None:
    """The unanswered log (kept 90 days, promised to hold no location) gets the rounded text only."""
    conversation.handle("web", "s2", Said("31.1523456,121.1234567 这里能不能放风筝 abcdefg"))
    with Session(any_engine) as session:
        texts = [q.text for q in session.exec(select(feedback.UnansweredQuestion))]
    assert texts and all("1523456" not in t and "1234567" not in t for t in texts)
    with Session(any_engine) as session:
        feedback.add_report(
            session=session, facility_id="lib-zhujiajiao", text="门口在31.1523456,121.1234567"
        )
        reports = [r.text for r in session.exec(select(feedback.Report))]
    assert reports == ["门口在31.152,121.123"]


def test_a_question_with_a_lone_surrogate_is_answered_and_stored(
    conversation: Conversation, any_engine: Engine
) -> None:
    """Text a client sent with a broken UTF-16 pair never fails the store write."""
    turn = conversation.handle("web", "s3", Said("朱家角\ud800有没有图书馆"))
    assert turn.replies
    turn = conversation.handle("web", "s3", Pressed("m:"))
    with Session(any_engine) as session:
        row = session.get(ConversationRow, ("web", "s3"))
    assert row is not None and row.last_text is not None and "\ufffd" in row.last_text
