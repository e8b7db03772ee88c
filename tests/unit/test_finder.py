"""How the Finder answers residents, on the bundled Qingpu catalogue."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services_catalog.answer import Known, Question
from services_catalog.coords import haversine_m, wgs84_to_gcj02
from services_catalog.finder import Finder
from services_catalog.linkcheck import domain_allowed, domains_in
from services_catalog.loader import load_catalog

BUNDLED = Path(__file__).resolve().parents[2] / "services_catalog" / "data"
VALID_INTENTS = {"find_facility", "service_info", "plan_indicator", "emergency", "help", "out_of_scope"}


@pytest.fixture(scope="module")
def finder() -> Finder:
    return Finder(load_catalog(BUNDLED))


def ask(finder: Finder, text: str, **kw: object) -> object:
    return finder.answer(Question(text=text, **kw))  # type: ignore[arg-type]


def test_an_emergency_gets_the_number_first_and_nothing_before_it(finder: Finder) -> None:
    """Someone collapsing is answered with 120 at the very start, and no facility."""
    a = finder.answer(Question(text="我爸突然倒地不省人事"))
    assert a.intent == "emergency"
    assert a.reply.split("\n", 1)[0].find("120") != -1
    assert not a.results
    fire = finder.answer(Question(text="廚房起火了"))
    assert fire.intent == "emergency" and "119" in fire.reply.split("\n", 1)[0]


def test_a_named_town_puts_its_own_facility_first(finder: Finder) -> None:
    a = finder.answer(Question(text="朱家角有没有图书馆"))
    assert (a.intent, a.kind, a.town) == ("find_facility", "library", "朱家角镇")
    assert a.results[0].facility.town == "朱家角镇"
    assert a.results[0].facility.kind == "library"
    assert a.results[0].facility.name in a.reply


def test_a_shared_location_gets_the_nearest_facility_of_the_kind(finder: Finder) -> None:
    lat, lon = 31.168, 121.109
    a = finder.answer(Question(text="附近有图书馆吗", lat=lat, lon=lon))
    libraries = [f for f in finder.catalog.facilities.values() if f.kind == "library"]
    nearest = min(libraries, key=lambda f: haversine_m(lat, lon, f.point.lat, f.point.lon))
    assert a.results[0].facility.id == nearest.id
    assert a.results[0].distance_m is not None and a.results[0].walk_minutes is not None
    assert a.where.source == "coordinates"


def test_gcj02_coordinates_are_converted_before_measuring(finder: Finder) -> None:
    lat, lon = 31.15, 121.11
    glat, glon = wgs84_to_gcj02(lat, lon)
    a = finder.answer(Question(text="附近的医院", lat=glat, lon=glon, crs="gcj02"))
    assert a.where.lat == pytest.approx(lat, abs=1e-5)
    assert a.where.lon == pytest.approx(lon, abs=1e-5)


def test_without_a_location_it_asks_for_one(finder: Finder) -> None:
    a = finder.answer(Question(text="离我最近的社区卫生服务中心在哪"))
    assert a.needs_location and a.kind == "clinic"
    assert "位置" in a.reply


def test_a_service_question_gets_the_guide(finder: Finder) -> None:
    a = finder.answer(Question(text="长护险怎么申请"))
    assert (a.intent, a.service) == ("service_info", "long_term_care")
    service = finder.catalog.services["long_term_care"]
    assert service.summary in a.reply
    for item in service.materials[:2]:
        assert item in a.reply


def test_plan_targets_are_quoted_from_the_catalogue(finder: Finder) -> None:
    a = finder.answer(Question(text="青浦到2025年养老床位要达到多少"))
    assert (a.intent, a.indicator) == ("plan_indicator", "elderly_care_beds")
    row = finder.catalog.indicators["elderly_care_beds"]
    assert row.target in a.reply and row.baseline in a.reply
    assert "vip333" not in a.reply


def test_an_office_is_closed_on_national_day(finder: Finder) -> None:
    a = finder.answer(
        Question(text="盈浦街道社区事务受理服务中心现在开门吗", at=dt.datetime(2026, 10, 1, 10, 0))
    )
    assert a.results[0].facility.town == "盈浦街道"
    assert a.results[0].open_now is False


def test_time_words_move_the_moment_and_the_reply_says_which_day(finder: Finder) -> None:
    now = dt.datetime(2026, 11, 28, 14, 0)  # a Saturday
    a = finder.answer(Question(text="华新镇社区事务受理服务中心明天上午开吗", at=now))
    assert a.moment is not None and a.moment.date() == dt.date(2026, 11, 29)
    assert "11月29日" in a.reply


def test_typos_and_shanghainese_are_understood(finder: Finder) -> None:
    a = finder.answer(Question(text="练塘有图书官伐"))
    assert (a.kind, a.town) == ("library", "练塘镇")
    b = finder.answer(Question(text="法律援住怎么申请"))
    assert b.service == "legal_aid_application"


def test_traditional_chinese_is_understood(finder: Finder) -> None:
    a = finder.answer(Question(text="朱家角的圖書館幾點開門"))
    assert (a.kind, a.town) == ("library", "朱家角镇")


def test_english_questions_get_english_replies(finder: Finder) -> None:
    a = finder.answer(Question(text="How do I apply for legal aid?", lang="en"))
    assert a.service == "legal_aid_application"
    assert "Hotline" in a.reply or "hotline" in a.reply.lower()
    b = finder.answer(Question(text="Is there a community health center in Zhujiajiao?", lang="en"))
    assert (b.kind, b.town) == ("clinic", "朱家角镇")


def test_out_of_scope_gives_no_facility_and_points_to_12345(finder: Finder) -> None:
    a = finder.answer(Question(text="推荐几只能涨的股票"))
    assert a.intent == "out_of_scope" and not a.results
    assert "12345" in a.reply


def test_greetings_get_help(finder: Finder) -> None:
    assert finder.answer(Question(text="你好")).intent == "help"


def test_unverified_records_say_so_in_the_reply(finder: Finder) -> None:
    a = finder.answer(Question(text="白鹤镇有养老院吗"))
    assert a.results and a.results[0].facility.verified is None
    assert "核实" in a.reply


def test_a_point_outside_qingpu_is_told_the_catalogue_covers_qingpu(finder: Finder) -> None:
    a = finder.answer(Question(text="附近的图书馆", lat=39.9, lon=116.4))
    assert a.where.outside_qingpu
    assert "青浦" in a.reply.split("\n", 1)[0]


def test_a_follow_up_uses_what_the_conversation_knows(finder: Finder) -> None:
    first = finder.answer(Question(text="重固镇文化活动中心地址"))
    known = Known(town=first.town, last_kind=first.kind, last_facility_id=first.results[0].facility.id)
    follow = finder.answer(Question(text="那里几点开门", known=known))
    assert follow.intent == "find_facility" and follow.kind == "culture_centre"
    assert follow.results[0].facility.town == "重固镇"


def test_more_continues_where_the_last_answer_stopped(finder: Finder) -> None:
    first = finder.answer(Question(text="附近的图书馆", lat=31.15, lon=121.11))
    more = finder.answer(Question(text="附近的图书馆", lat=31.15, lon=121.11, offset=3))
    assert {r.facility.id for r in first.results}.isdisjoint({r.facility.id for r in more.results})


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "图" * 10_000,
        "\x00\x07\x1b[31m",
        "<script>alert(1)</script>",
        "'; DROP TABLE report; --",
        "**bold** [x](http://evil.example)",
        "🙏🙏🙏😂😂",
        "？？？！！！。。。",
    ],
)
def test_odd_input_gets_a_clear_answer(finder: Finder, text: str) -> None:
    a = finder.answer(Question(text=text))
    assert a.intent in VALID_INTENTS and a.reply.strip()
    assert "evil.example" not in a.reply


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=300))
def test_any_text_gets_a_valid_answer(finder: Finder, text: str) -> None:
    a = finder.answer(Question(text=text))
    assert a.intent in VALID_INTENTS
    assert a.reply.strip()
    allowed = finder.catalog.allowlist.domains
    assert all(domain_allowed(d, allowed) for d in domains_in(a.reply))


def test_a_plan_row_asked_in_other_words_is_still_found(finder: Finder) -> None:
    """ "每千人有多少张床位" shares enough with 每千人医疗机构床位数 to quote that row."""
    a = finder.answer(Question(text="青浦每千人有多少张床位"))
    assert (a.intent, a.indicator) == ("plan_indicator", "hospital_beds_per_1000")
    assert finder.catalog.indicators["hospital_beds_per_1000"].target in a.reply


def test_a_follow_up_answers_for_the_place_just_given_only(finder: Finder) -> None:
    first = finder.answer(Question(text="朱家角有没有图书馆"))
    place = first.results[0].facility
    known = Known(town=first.town, last_kind=first.kind, last_facility_id=place.id)
    follow = finder.answer(Question(text="那里几点开门", known=known))
    assert [r.facility.id for r in follow.results] == [place.id]
    assert "更多" not in follow.reply


def test_a_near_miss_of_three_characters_must_keep_its_start(finder: Finder) -> None:
    """退押金 is not a typo of 退役金: a deposit dispute is not a veterans' benefit."""
    a = finder.answer(Question(text="房东不退押金怎么办"))
    assert a.service != "veterans_benefits" and a.kind != "veterans"


def test_asking_whether_a_town_has_a_service_finds_the_place(finder: Finder) -> None:
    a = finder.answer(Question(text="阿拉屋里厢老人要助餐，赵巷有伐"))
    assert a.intent == "find_facility"
    assert a.results[0].facility.town == "赵巷镇"
    assert "elderly_meals" in a.results[0].facility.services


def test_a_town_centre_is_not_passed_off_as_the_residents_position(finder: Finder) -> None:
    """With only a town named, no walking distance is claimed."""
    a = finder.answer(Question(text="朱家角有没有图书馆"))
    assert a.where.source == "town"
    assert all(r.distance_m is None for r in a.results)
    assert "步行" not in a.reply


def test_an_ambiguous_word_gets_one_short_question_and_the_nearest_of_each(finder: Finder) -> None:
    """养老 may mean a day centre or a nursing home: ask which, rather than guess."""
    a = finder.answer(Question(text="我妈想找个养老的地方，我们在朱家角"))
    assert a.intent == "find_facility" and a.kind is None
    assert a.clarify == ["elderly_centre", "nursing_home"]
    assert [r.facility.kind for r in a.results] == ["elderly_centre", "nursing_home"]
    assert all(r.facility.town == "朱家角镇" for r in a.results)
    assert a.reply.split("\n", 1)[0].endswith("？")


def test_the_plan_in_general_gets_its_indicators_listed(finder: Finder) -> None:
    a = finder.answer(Question(text="规划的约束性指标有哪些"))
    assert a.intent == "plan_indicator" and a.indicator is None and not a.results
    for ind in finder.catalog.indicators.values():
        assert ind.name in a.reply


def test_an_english_plan_question_in_american_spelling_finds_its_row(finder: Finder) -> None:
    a = finder.answer(Question(text="what is the preschool enrollment target", lang="en"))
    assert a.indicator == "preschool_enrollment"
    assert finder.catalog.indicators["preschool_enrollment"].target in a.reply


def test_english_names_with_extra_words_between_are_still_understood(finder: Finder) -> None:
    a = finder.answer(
        Question(text="Where is the community affairs and service center in Zhaoxiang?", lang="en")
    )
    assert (a.kind, a.town) == ("affairs_centre", "赵巷镇")


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("老伴突然半边身子动不了，说话也说不清", "120"),
        ("我老公喝醉了在打我", "110"),
        ("There's a strong gas smell in my apartment", "119"),
    ],
)
def test_emergencies_said_in_everyday_words_get_the_right_number_first(
    finder: Finder, text: str, number: str
) -> None:
    a = finder.answer(Question(text=text))
    assert a.intent == "emergency"
    assert number in a.reply.split("\n", 1)[0]


@pytest.mark.parametrize(
    ("text", "service"),
    [("长户险哪能申请", "long_term_care"), ("低宝哪能申请 屋里厢老困难额", "minimum_living_allowance")],
)
def test_words_typed_with_the_right_sound_but_wrong_character_are_understood(
    finder: Finder, text: str, service: str
) -> None:
    assert finder.answer(Question(text=text)).service == service


def test_a_homophone_is_not_guessed_in_a_question_about_something_else(finder: Finder) -> None:
    """下期 sounds like 下棋, but a lottery question is out of scope, not a culture centre."""
    a = finder.answer(Question(text="彩票下期必中号码是多少"))
    assert a.intent == "out_of_scope" and not a.results


def test_a_condition_told_with_a_service_question_gets_the_service_and_the_number_first(
    finder: Finder,
) -> None:
    a = finder.answer(Question(text="我爸中风了现在瘫在床上 长护险怎么申请"))
    assert a.service == "long_term_care"
    assert "120" in a.reply.split("\n", 1)[0]


def test_a_plan_row_can_be_asked_for_by_its_number(finder: Finder) -> None:
    a = finder.answer(Question(text="规划表第19项指标是什么"))
    assert a.indicator == finder.catalog.indicators["assistive_device_rate"].id
    assert "vip333" not in a.reply


def test_a_question_after_a_long_run_of_filler_is_still_read(finder: Finder) -> None:
    a = finder.answer(Question(text="嗯" * 800 + "白鹤镇社区卫生服务中心电话多少"))
    assert (a.kind, a.town) == ("clinic", "白鹤镇")


def test_a_year_without_a_published_schedule_still_knows_the_fixed_holidays(finder: Finder) -> None:
    """2027-10-01 is National Day by law; the answer is closed, and says the schedule is unpublished."""
    a = finder.answer(Question(text="朱家角社区事务受理服务中心开吗", at=dt.datetime(2027, 10, 1, 10, 0)))
    top = a.results[0]
    assert top.open_now is False and not top.calendar_known
    assert "2027年节假日安排尚未公布" in a.reply


def test_a_measure_word_inside_a_phrase_does_not_hide_it(finder: Finder) -> None:
    a = finder.answer(Question(text="附近哪里能测个血糖", lat=31.15, lon=121.11))
    assert (a.intent, a.kind) == ("find_facility", "clinic")


@pytest.mark.parametrize(
    ("text", "town"), [("商榻那边有敬老院吗", "金泽镇"), ("小蒸附近有没有健身中心", "练塘镇")]
)
def test_former_town_names_residents_still_use_place_them(finder: Finder, text: str, town: str) -> None:
    assert finder.answer(Question(text=text)).town == town


def test_a_town_typed_with_a_wrong_character_of_the_same_sound_is_placed(finder: Finder) -> None:
    a = finder.answer(Question(text="徐经镇社区事务受理中心在啥地方"))
    assert (a.kind, a.town) == ("affairs_centre", "徐泾镇")


def test_one_weak_word_does_not_turn_an_off_topic_request_into_a_search(finder: Finder) -> None:
    a = finder.answer(Question(text="Can you book me a taxi to Hongqiao airport?", lang="en"))
    assert a.intent == "out_of_scope" and not a.results


def test_asking_whether_a_benefit_exists_is_a_service_question(finder: Finder) -> None:
    a = finder.answer(Question(text="想自己开个小店，有没有创业补贴或者创业贷款"))
    assert (a.intent, a.service) == ("service_info", "entrepreneurship")


def test_a_town_is_never_heard_across_a_matched_word(finder: Finder) -> None:
    """小[饭店]政府 holds no 小蒸: sounds are matched only inside runs of unmatched characters."""
    a = finder.answer(Question(text="想自己开个小饭店，政府有没有创业贷款或者创业补贴"))
    assert a.town is None
    assert (a.intent, a.service) == ("service_info", "entrepreneurship")


def test_a_request_for_a_diagnosis_is_out_of_scope(finder: Finder) -> None:
    a = finder.answer(Question(text="我这个症状是什么病：咳嗽了一个礼拜，晚上咳得更厉害"))
    assert a.intent == "out_of_scope" and not a.results


def test_two_changed_characters_of_the_same_sound_are_another_word(finder: Finder) -> None:
    """户里 sounds like 护理, but a window spitting fire is an emergency, not long-term care."""
    a = finder.answer(Question(text="邻居家窗户里往外冒火"))
    assert a.intent == "emergency" and "119" in a.reply.split("\n", 1)[0]


def test_traditional_zhe_reads_as_simplified_zhe(finder: Finder) -> None:
    a = finder.answer(Question(text="有人拿著刀在街上追人"))
    assert a.intent == "emergency" and "110" in a.reply.split("\n", 1)[0]


def test_a_named_kind_of_place_outweighs_a_symptom(finder: Finder) -> None:
    a = finder.answer(Question(text="重固镇附近有医院吗，我爸眼睛不舒服想去看看"))
    assert a.kind == "hospital"


@pytest.mark.parametrize(
    ("text", "kind"), [("白鹤有图书绾伐", "library"), ("香花桥有没有老人白天托管的地方", "elderly_centre")]
)
def test_a_three_character_slip_only_to_a_character_the_catalogue_never_uses(
    finder: Finder, text: str, kind: str
) -> None:
    assert finder.answer(Question(text=text)).kind == kind


def test_a_one_character_greeting_alone_gets_help_but_means_nothing_inside_a_sentence(finder: Finder) -> None:
    assert finder.answer(Question(text="嗨")).intent == "help"
    assert finder.answer(Question(text="嗨 朱家角有没有图书馆")).kind == "library"


def test_stroke_signs_described_in_everyday_words_get_120(finder: Finder) -> None:
    a = finder.answer(Question(text="我老公说话突然含糊不清 半边脸歪了 手也抬不起来"))
    assert a.intent == "emergency" and "120" in a.reply.split("\n", 1)[0]


def test_an_event_told_as_past_background_lets_the_question_be_answered_number_first(finder: Finder) -> None:
    a = finder.answer(Question(text="奶奶中风后要长期有人照顾，练塘有敬老院能住吗"))
    assert (a.intent, a.kind, a.town) == ("find_facility", "nursing_home", "练塘镇")
    assert "120" in a.reply.split("\n", 1)[0]
    assert finder.answer(Question(text="我爸中风了")).intent == "emergency"


def test_a_long_term_joined_across_de_but_not_a_short_one(finder: Finder) -> None:
    assert (
        finder.answer(Question(text="到2025年全区养老机构的床位一共要有多少张")).indicator
        == "elderly_care_beds"
    )
    assert finder.answer(Question(text="最近有什么好看的电影")).intent == "out_of_scope"


@pytest.mark.parametrize(
    ("text", "indicator"),
    [
        ("这五年要让多少户困难家庭新住上廉租房", "new_low_rent_households"),
        ("青浦一年要新增多少个工作机会", "new_jobs_per_year"),
    ],
)
def test_a_figure_asked_about_in_service_words_is_the_plan_row(
    finder: Finder, text: str, indicator: str
) -> None:
    a = finder.answer(Question(text=text))
    assert (a.intent, a.indicator) == ("plan_indicator", indicator)
    assert finder.catalog.indicators[indicator].target in a.reply


def test_pinyin_typed_in_latin_letters_is_understood(finder: Finder) -> None:
    a = finder.answer(Question(text="xujing you weishengyuan ma"))
    assert (a.kind, a.town) == ("clinic", "徐泾镇")
    assert finder.answer(Question(text="gongzufang 怎么申请")).service == "public_rental_housing"


def test_pinyin_typed_with_spaces_between_syllables_is_understood(finder: Finder) -> None:
    """Residents without a Chinese keyboard space the syllables (or the words) as they please."""
    a = finder.answer(Question(text="lian zu fang zen me shen qing"))
    assert (a.intent, a.service) == ("service_info", "low_rent_housing"), a.why
    assert finder.answer(Question(text="shiwu shouli zhongxin dizhi")).kind == "affairs_centre"
    # ü typed as v, and a character's other reading (长: chang as well as zhang)
    assert finder.answer(Question(text="falv yuanzhu zhongxin dizhi")).kind == "legal_aid"
    assert finder.answer(Question(text="changhuxian shenqing")).service == "long_term_care"
    # English words that happen to start like pinyin are left alone
    assert finder.answer(Question(text="where can i find a library in xujing")).kind == "library"
