"""The bot, driven with real updates through a real Application, offline."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlmodel import Session, select

from services_catalog import memory as state
from services_catalog.answer import Answer, Question, Result, Where
from services_catalog.feedback import Report
from services_catalog.memory import ConversationRow
from services_catalog.models import TOWN_NAMES, Facility, Point, Service
from tests.handlers.conftest import BotHarness, assert_telegram_html, make_catalog, message, user


async def test_start_greets_in_chinese_with_a_location_button(bot: BotHarness) -> None:
    """/start greets in Chinese; the keyboard has "📍 发送我的位置" (request_location) and quick needs."""
    await bot.text("/start")
    sent = bot.sent()[-1]
    assert "家门口" in sent["text"] and sent["parse_mode"] == "HTML"
    rows = sent["reply_markup"]["keyboard"]
    assert rows[0][0] == {"text": "📍 发送我的位置", "request_location": True}
    labels = {b if isinstance(b, str) else b["text"] for row in rows[1:] for b in row}
    assert labels == {"看病", "养老", "图书馆", "法律援助", "办事"}
    assert_telegram_html(sent["text"])


async def test_start_in_english_for_an_english_telegram(bot: BotHarness) -> None:
    """An English-speaking Telegram user is greeted and answered in English."""
    await bot.text("/start", lang="en-GB")
    sent = bot.sent()[-1]
    assert "Hello" in sent["text"]
    assert sent["reply_markup"]["keyboard"][0][0]["text"] == "📍 Send my location"
    await bot.text("library", lang="en-GB", user_id=1)
    assert bot.core.questions[-1].lang == "en"
    assert "Send my location" in str(bot.sent()[-1]["reply_markup"])


async def test_help_states_rounding_and_how_long_a_location_is_kept(bot: BotHarness) -> None:
    """/help gives examples and says a location is rounded to ~100 m and kept 2 hours."""
    await bot.text("/help")
    text = bot.last_text()
    assert "附近的图书馆" in text and "100" in text and "2小时" in text


async def test_lang_switch_is_remembered_in_the_store(bot: BotHarness) -> None:
    """/lang en switches to English for later messages although Telegram says Chinese."""
    await bot.text("/lang en")
    assert "English" in bot.last_text()
    await bot.text("图书馆")
    assert bot.core.questions[-1].lang == "en"
    with Session(bot.engine) as session:
        assert session.get(ConversationRow, ("telegram", "1")).lang == "en"  # type: ignore[union-attr]


async def test_lang_without_argument_offers_buttons(bot: BotHarness) -> None:
    """/lang alone offers 中文 / English buttons, and pressing one switches."""
    await bot.text("/lang")
    assert [b["callback_data"] for b in bot.buttons(bot.sent()[-1])] == ["l:zh", "l:en"]
    await bot.press("l:en")
    assert bot.sent("answerCallbackQuery")
    assert "English" in bot.last_text()


async def test_hotline_lists_the_catalogue_hotlines(bot: BotHarness) -> None:
    """/hotline lists every hotline of the catalogue, emergency numbers first."""
    await bot.text("/hotline")
    text = bot.last_text()
    assert text.index("120") < text.index("12345") and "市民服务热线" in text


async def test_a_question_needing_a_location_asks_and_offers_the_towns(bot: BotHarness) -> None:
    """Asking "附近的图书馆" without a location gets the location button and the 11 towns."""
    await bot.text("附近的图书馆")
    sent = bot.sent()[-1]
    rows = sent["reply_markup"]["keyboard"]
    assert rows[0][0]["request_location"] is True
    towns = [b if isinstance(b, str) else b["text"] for row in rows[1:] for b in row]
    assert towns == list(TOWN_NAMES)
    assert "图书馆" in sent["text"]


async def test_sharing_a_location_answers_the_waiting_question(bot: BotHarness) -> None:
    """After "附近的图书馆", sharing a location brings the library answer without asking again."""
    await bot.text("附近的图书馆")
    await bot.location(31.15049, 121.11072)
    question = bot.core.questions[-1]
    assert question.text == "附近的图书馆"
    assert (question.known.lat, question.known.lon) == (31.150, 121.111)  # rounded to ~100 m
    sent = bot.sent()[-1]
    assert "青浦区图书馆" in sent["text"] and "离您发送的位置最近的图书馆" in sent["text"]
    data = [b["callback_data"] for b in bot.buttons(sent)]
    assert data[:2] == ["v:lib-district", "r:lib-district"] and "m:3:library" in data
    with Session(bot.engine) as session:
        row = session.get(ConversationRow, ("telegram", "1"))
        assert row is not None and row.pending_text is None and row.lat == 31.150


async def test_tapping_a_town_answers_the_waiting_question(bot: BotHarness) -> None:
    """An older resident who cannot share a location taps "朱家角镇" and gets the answer."""
    await bot.text("附近的图书馆")
    await bot.text("朱家角镇")
    question = bot.core.questions[-1]
    assert question.text == "附近的图书馆" and question.known.town == "朱家角镇"
    assert "朱家角镇的图书馆" in bot.last_text()


async def test_a_later_question_uses_the_remembered_location(bot: BotHarness) -> None:
    """A location shared once is used for the next question too, until it expires."""
    await bot.location(31.15, 121.11)
    assert "100" in bot.last_text()  # "kept to about 100 m"
    await bot.text("图书馆")
    assert bot.core.questions[-1].known.lat == 31.15
    assert bot.core.questions[-1].kind == "library"  # the quick button stands for its kind


def test_an_expired_location_is_deleted_when_read(tmp_path: Path) -> None:
    """A location older than the TTL is treated as absent and removed from the store."""
    from services_catalog.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 's.sqlite3'}")
    state.create_memory_tables(engine)
    store = state.StoredMemory(engine, dt.timedelta(hours=2))
    then = state.utcnow() - dt.timedelta(hours=3)
    remembered = state.Memory()
    remembered.locate(31.12345, 121.98765, then)
    store.save("telegram", "7", remembered, then)
    with Session(engine) as session:
        assert session.get(ConversationRow, ("telegram", "7")).lat == 31.123  # type: ignore[union-attr]
    loaded = store.load("telegram", "7", state.utcnow())
    assert loaded.lat is None and loaded.lon is None
    store.save("telegram", "7", loaded, state.utcnow())
    with Session(engine) as session:
        assert session.get(ConversationRow, ("telegram", "7")) is None  # nothing left: the row goes


async def test_map_button_sends_the_facility_as_a_venue(bot: BotHarness) -> None:
    """The map button sends a venue with the facility's WGS-84 position, name and address."""
    await bot.press("v:lib-district")
    venue = bot.sent("sendVenue")[-1]
    assert (venue["latitude"], venue["longitude"]) == (31.150, 121.110)
    assert venue["title"] == "青浦区图书馆" and venue["address"] == "青浦区华青路1000号"
    await bot.press("v:lib-zhujiajiao")
    assert bot.sent("sendVenue")[-1]["address"] == "朱家角镇（地址待核实）"


async def test_more_asks_for_the_next_results(bot: BotHarness) -> None:
    """The "更多" button asks the same question from the next offset."""
    await bot.location(31.15, 121.11)
    await bot.text("附近的图书馆")
    await bot.press("m:3:library")
    question = bot.core.questions[-1]
    assert (question.text, question.offset, question.kind) == ("附近的图书馆", 3, "library")
    assert "4. 华新镇图书馆" in bot.last_text()


async def test_report_is_recorded_without_location_or_user(bot: BotHarness) -> None:
    """The "信息有误?" button records the facility and the question text for staff, and thanks the user."""
    await bot.location(31.15, 121.11)
    await bot.text("附近的图书馆")
    await bot.press("r:lib-xujing")
    with Session(bot.engine) as session:
        reports = list(session.exec(select(Report)))
    assert [(r.facility_id, r.text) for r in reports] == [("lib-xujing", "附近的图书馆")]
    assert not {"lat", "lon", "user_id"} & set(Report.model_fields)
    assert "谢谢" in bot.sent("answerCallbackQuery")[-1]["text"]


async def test_forged_or_stale_buttons_get_a_polite_answer(bot: BotHarness) -> None:
    """Unknown, forged or stale callback data gets a polite answerCallbackQuery and nothing else."""
    for data in ("v:no-such-place", "x:1", "m:abc:library", "r:../../etc", "v:" + "a" * 80, "", "m:3:"):
        await bot.press(data, user_id=55)
    answers = bot.sent("answerCallbackQuery")
    assert len(answers) == 7 and all("失效" in a["text"] for a in answers)
    assert not bot.sent("sendVenue") and not bot.sent("sendMessage")


async def test_stickers_photos_and_voice_get_a_short_hint(bot: BotHarness) -> None:
    """A sticker, a photo or a voice message gets the hint that only text and locations are read."""
    sticker = {
        "file_id": "s",
        "file_unique_id": "s",
        "type": "regular",
        "width": 1,
        "height": 1,
        "is_animated": False,
        "is_video": False,
    }
    await bot.feed({"message": message(sticker=sticker)})
    await bot.feed(
        {"message": message(photo=[{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}])}
    )
    await bot.feed({"message": message(voice={"file_id": "v", "file_unique_id": "v", "duration": 2})})
    assert [m["text"].startswith("我只看得懂文字和位置") for m in bot.sent()] == [True, True, True]


async def test_edited_messages_are_ignored(bot: BotHarness) -> None:
    """An edited message is not answered again."""
    await bot.feed({"edited_message": {**message("附近的图书馆"), "edit_date": 1}})
    assert not bot.sent() and not bot.core.questions


async def test_groups_only_get_answers_to_commands_and_mentions(bot: BotHarness) -> None:
    """In a group the bot ignores chatter, and answers commands and @mentions."""
    await bot.text("附近的图书馆", chat_type="supergroup")
    assert not bot.sent()
    mention = "@doorstep_test_bot 附近的图书馆"
    await bot.text(
        mention,
        chat_type="supergroup",
        entities=[{"type": "mention", "offset": 0, "length": len("@doorstep_test_bot")}],
    )
    assert bot.core.questions[-1].text == "附近的图书馆"
    assert bot.sent()[-1]["reply_parameters"]["message_id"] == 10
    await bot.text("/start@doorstep_test_bot", chat_type="group")
    assert "家门口" in bot.last_text()


async def test_emergency_comes_first_and_alone(bot: BotHarness) -> None:
    """An emergency answer is one message with the numbers: no results, no buttons."""
    await bot.text("救命 我爸晕倒了")
    assert len(bot.sent()) == 1
    sent = bot.sent()[0]
    assert sent["text"].startswith("🚨") and "120" in sent["text"]
    assert "reply_markup" not in sent and "图书馆" not in sent["text"]


async def test_rate_limit_sends_one_note_then_stays_silent(bot: BotHarness) -> None:
    """Past 20 messages a minute the user gets one polite note, then silence."""
    for _ in range(24):
        await bot.text("救命", user_id=9)
    texts = [m["text"] for m in bot.sent()]
    assert len(texts) == 21 and "稍等" in texts[-1]
    assert len(bot.core.questions) == 20
    await bot.text("救命", user_id=10)  # other users are not held back
    assert len(bot.core.questions) == 21


async def test_html_in_names_and_user_text_is_escaped(bot: BotHarness) -> None:
    """`<b>`, `&` and `<script>` in facility names, addresses and the user's text arrive escaped."""
    evil = Facility(
        id="lib-evil",
        name="<b>Fake</b> & <script>alert(1)</script>",
        kind="library",
        town="<i>夏阳街道",
        address="A & B <a href='x'>",
        point=Point(lat=31.1, lon=121.1, crs="wgs84"),
        phone="021-1",
        website='https://qplib.sh.cn/"><script>',
        source="test",
    )
    bot.core.catalog = make_catalog(facilities=[evil])
    await bot.location(31.1, 121.1)
    await bot.text("附近的图书馆 <script>&")
    text = bot.last_text()
    assert_telegram_html(text)
    assert "&lt;b&gt;Fake&lt;/b&gt; &amp; &lt;script&gt;" in text and "<script>" not in text
    await bot.feed(
        {"message": {**message("/start"), "from": {**user(), "first_name": "<b>hi</b> & <script>"}}}
    )
    assert_telegram_html(bot.last_text())  # the greeting names the user as Telegram gives the name
    assert "&lt;b&gt;hi&lt;/b&gt; &amp; &lt;script&gt;" in bot.last_text()


async def test_links_outside_the_allowlist_are_never_shown(bot: BotHarness) -> None:
    """A facility website is linked only when its domain is on the catalogue's allowlist."""
    await bot.location(31.15, 121.11)
    await bot.text("附近的图书馆")
    text = bot.last_text()
    assert '<a href="https://www.qplib.sh.cn/">' in text
    assert "evil.example.com" not in text


async def test_a_5000_character_question_gets_an_answer_within_4096(bot: BotHarness) -> None:
    """A very long text is cut before the core, and every message stays within 4096 characters."""
    await bot.text("&" * 5000)
    assert len(bot.core.questions[-1].text) == 500
    assert 0 < len(bot.last_text()) <= 4096
    assert_telegram_html(bot.last_text())


async def test_a_huge_answer_is_cut_to_4096_characters(bot: BotHarness) -> None:
    """An answer longer than Telegram allows is cut at a block boundary, with a note."""
    guide = Service(
        id="long_term_care",
        name="长期护理保险",
        name_en="Long-term care insurance",
        summary="<&>" * 150,
        eligibility=["<&>" * 150] * 40,
        source="test",
    )

    def huge(question: Question) -> Answer:
        return Answer(intent="service_info", lang="zh", service=guide.id, service_info=guide)

    bot.core.override = huge
    await bot.text("长护险")
    text = bot.last_text()
    assert len(text) <= 4096 and text.endswith("只显示了前面一部分）")
    assert_telegram_html(text)


async def test_result_details_are_shown_with_honest_notes(bot: BotHarness) -> None:
    """Each result shows distance, walk, address or "地址待核实", hours, phone or 12345, and caveats."""
    await bot.location(31.15, 121.11)
    await bot.text("附近的图书馆")
    text = bot.last_text()
    first, second, third = text.split("\n\n")[1:4]
    assert "距离400米，步行约5分钟" in first and "今天 09:00-20:30" in first
    assert "现在开放" in first and "021-59728018" in first and "未核实" not in first
    assert "地址：暂未收录" in second and "开放时间：暂未收录" in second and "12345" in second
    assert "信息未核实" in second and "位置为估计" in second
    assert "今天不开放" in third and "下次开放：6月3日（周二）09:00" in third and "一般时间" in third


async def test_service_and_indicator_answers_are_rendered(bot: BotHarness) -> None:
    """A service answer lists who, what to bring and where; an indicator gives baseline and target."""
    await bot.text("长期护理保险怎么申请")
    text = bot.last_text()
    assert "<b>【长期护理保险】</b>" in text and "• 身份证" in text and "社区事务受理服务中心" in text
    await bot.text("每千人口医生数")
    text = bot.last_text()
    assert "2.8" in text and "3.2" in text and "预期性" in text


async def test_clarify_offers_buttons_that_answer(bot: BotHarness) -> None:
    """A clarifying answer offers its options as buttons; choosing one answers with that kind."""
    await bot.text("找个地方")
    data = [b["callback_data"] for b in bot.buttons(bot.sent()[-1])]
    assert data == ["c:library", "c:long_term_care"]
    await bot.location(31.15, 121.11)
    await bot.press("c:library")
    assert bot.core.questions[-1].kind == "library"


async def test_an_error_is_logged_by_update_id_and_the_user_gets_12345(bot: BotHarness, caplog) -> None:  # type: ignore[no-untyped-def]
    """A failure in the core logs the update id (not the text) and apologises with 12345."""

    def broken(question: Question) -> Answer:
        raise ValueError(f"cannot parse {question.text}")

    bot.core.override = broken
    with caplog.at_level("INFO"):
        await bot.text("我的秘密问题 31.15,121.11")
    assert "12345" in bot.last_text()
    logged = " ".join(r.getMessage() for r in caplog.records if r.levelno >= 20)
    assert "update 1 failed: ValueError" in logged and "秘密" not in logged and "31.15" not in logged


async def test_messages_never_check_for_a_newer_catalogue(bot: BotHarness) -> None:
    """Answering a message never asks the store about the catalogue: the background task does."""
    for _ in range(5):
        await bot.text("图书馆")
    await bot.press("v:lib-district")
    assert bot.core.reload_checks == 0 and len(bot.sent()) == 5


async def test_results_without_location_use_the_town_header(bot: BotHarness) -> None:
    """A town named in the question is remembered and used in the header."""
    await bot.text("朱家角的图书馆")
    assert "朱家角镇的图书馆" in bot.last_text()
    with Session(bot.engine) as session:
        assert session.get(ConversationRow, ("telegram", "1")).town == "朱家角镇"  # type: ignore[union-attr]


def test_render_is_pure_and_keeps_button_data_short() -> None:
    """Rendering needs no bot: results give map/report buttons of at most 64 bytes each."""
    from handlers.render import Renderer
    from locales import default_locales
    from services_catalog.reply import build_reply

    catalog = make_catalog()
    facility = catalog.facilities["lib-district"]
    answer = Answer(
        intent="find_facility",
        lang="en",
        kind="library",
        where=Where(source="coordinates"),
        results=[Result(facility=facility, distance_m=1500, walk_minutes=19)],
        total_results=1,
    )
    reply = Renderer(default_locales()).message(build_reply(answer, catalog))
    assert "Nearest library" in reply.text and "1.5 km away" in reply.text and "Qingpu Library" in reply.text
    assert reply.markup is not None
    for row in reply.markup.to_dict()["inline_keyboard"]:
        for button in row:
            assert len(button["callback_data"].encode()) <= 64
