"""Time words in a question move the moment asked about, and the label says which day is meant."""

from __future__ import annotations

import datetime as dt

import chinese_calendar
import pytest
from hypothesis import given
from hypothesis import strategies as st

from services_catalog.hours import SHANGHAI, ChinaCalendar
from services_catalog.models import HolidayOverride
from services_catalog.timewords import _LUNAR_FESTIVALS, parse_moment

SATURDAY = dt.datetime(2026, 11, 28, 14, 0, tzinfo=SHANGHAI)
WEDNESDAY = dt.datetime(2026, 11, 25, 14, 0, tzinfo=SHANGHAI)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def test_tomorrow_morning_is_ten_oclock_tomorrow_and_the_label_names_the_date() -> None:
    moment = parse_moment("明天上午开吗", SATURDAY)
    assert moment.at == at("2026-11-29 10:00")
    assert moment.label_key is not None
    assert "11月29日" in moment.label_values["zh"]
    assert moment.label_values["zh"] == "明天（11月29日 周日）上午"
    assert moment.label_values["en"] == "tomorrow (Sun 29 Nov) morning"
    assert moment.explicit


def test_english_tomorrow_afternoon_is_three_pm_tomorrow() -> None:
    moment = parse_moment("is the library open tomorrow afternoon", SATURDAY)
    assert moment.at == at("2026-11-29 15:00")
    assert moment.label("en") == "tomorrow (Sun 29 Nov) afternoon"


@pytest.mark.parametrize("words", ["周六", "星期六", "礼拜六", "saturday"])
def test_a_weekday_means_the_coming_one(words: str) -> None:
    moment = parse_moment(f"{words}开吗", WEDNESDAY)
    assert moment.at == at("2026-11-28 10:00")
    assert moment.label_values["zh"] == "周六（11月28日）"


@pytest.mark.parametrize("words", ["星期天", "星期日", "礼拜天", "周日"])
def test_every_way_of_saying_sunday_is_sunday(words: str) -> None:
    assert parse_moment(words, WEDNESDAY).at == at("2026-11-29 10:00")


def test_next_weeks_weekday_is_in_next_week() -> None:
    assert parse_moment("下周一", WEDNESDAY).at == at("2026-11-30 10:00")
    assert parse_moment("下周三", WEDNESDAY).at == at("2026-12-02 10:00")


def test_this_weekend_is_the_coming_saturday() -> None:
    moment = parse_moment("这周末开门吗", WEDNESDAY)
    assert moment.at == at("2026-11-28 10:00")
    assert "11月28日" in moment.label_values["zh"]


def test_this_weekend_on_a_saturday_is_now() -> None:
    moment = parse_moment("周末开吗", SATURDAY)
    assert moment.at == SATURDAY
    assert moment.label_key is None


def test_national_day_is_october_first_next_year_once_past() -> None:
    moment = parse_moment("国庆开吗", SATURDAY)
    assert moment.at == at("2027-10-01 10:00")
    assert moment.label_values["zh"] == "国庆节（2027年10月1日 周五）"
    assert parse_moment("国庆节", WEDNESDAY.replace(month=9)).at == at("2026-10-01 10:00")


def test_spring_festival_2026_is_february_17() -> None:
    moment = parse_moment("春节开门吗", at("2026-01-05 09:00"))
    assert moment.at == at("2026-02-17 10:00")
    assert "2月17日" in moment.label_values["zh"]
    assert parse_moment("过年", at("2026-01-05 09:00")).at == at("2026-02-17 10:00")


def test_spring_festival_in_a_year_without_a_published_schedule_is_not_guessed() -> None:
    moment = parse_moment("春节开吗", SATURDAY)  # 2026's has passed; 2027's schedule is unknown
    assert moment.at == SATURDAY
    assert moment.label_key is None


def test_spring_festival_follows_the_catalogues_override_for_a_new_year() -> None:
    calendar = ChinaCalendar([HolidayOverride(date=dt.date(2027, 2, 6), status="holiday", name="春节")])
    assert parse_moment("春节", SATURDAY, calendar=calendar).at == at("2027-02-06 10:00")


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("元旦", "2027-01-01 10:00"),
        ("五一", "2027-05-01 10:00"),
        ("劳动节", "2027-05-01 10:00"),
    ],
)
def test_fixed_date_festivals_are_their_next_date(words: str, expected: str) -> None:
    assert parse_moment(words, SATURDAY).at == at(expected)


@pytest.mark.parametrize(
    ("words", "expected"),
    [("清明", "2026-04-05 10:00"), ("端午", "2026-06-19 10:00"), ("中秋", "2026-09-25 10:00")],
)
def test_lunar_and_solar_term_festivals_are_found_for_a_known_year(words: str, expected: str) -> None:
    assert parse_moment(words, at("2026-03-01 09:00")).at == at(expected)


def test_lunar_festival_table_agrees_with_chinese_calendar() -> None:
    names = {
        "spring": "Spring Festival",
        "dragon_boat": "Dragon Boat Festival",
        "mid_autumn": "Mid-autumn Festival",
    }
    for festival, years in _LUNAR_FESTIVALS.items():
        for year, (month, day) in years.items():
            try:
                is_holiday, name = chinese_calendar.get_holiday_detail(dt.date(year, month, day))
            except NotImplementedError:
                continue
            assert is_holiday, (festival, year)
            assert name in (names[festival], "National Day"), (festival, year)  # 2020: 中秋 on 10-01


@pytest.mark.parametrize("words", ["now", "现在开着吗", "开吗", ""])
def test_now_or_no_time_words_leave_the_moment_alone(words: str) -> None:
    moment = parse_moment(words, SATURDAY)
    assert moment.at == SATURDAY
    assert moment.label_key is None
    assert moment.label("zh") is None


def test_today_alone_keeps_the_current_time() -> None:
    assert parse_moment("今天开吗", SATURDAY).at == SATURDAY


def test_a_day_alone_means_ten_in_the_morning() -> None:
    moment = parse_moment("后天开吗", SATURDAY)
    assert moment.at == at("2026-11-30 10:00")
    assert not moment.explicit
    assert parse_moment("大后天", SATURDAY).at == at("2026-12-01 10:00")


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("9点开吗", "2026-11-28 09:00"),
        ("九点", "2026-11-28 09:00"),
        ("10点半", "2026-11-28 10:30"),
        ("十点一刻", "2026-11-28 10:15"),
        ("14:30", "2026-11-28 14:30"),
        ("3pm", "2026-11-28 15:00"),
        ("下午3点", "2026-11-28 15:00"),
        ("晚上八点", "2026-11-28 20:00"),
        ("中午", "2026-11-28 12:00"),
        ("傍晚", "2026-11-28 19:00"),
        ("明天早上8点半", "2026-11-29 08:30"),
        ("tomorrow at 9am", "2026-11-29 09:00"),
        ("明晚", "2026-11-29 19:00"),
    ],
)
def test_clock_times_and_parts_of_the_day(words: str, expected: str) -> None:
    moment = parse_moment(words, SATURDAY)
    assert moment.at == at(expected)
    assert moment.explicit


def test_a_bit_is_not_one_oclock() -> None:
    assert parse_moment("有没有近一点的图书馆", SATURDAY).at == SATURDAY


def test_a_naive_now_is_read_as_shanghai_time() -> None:
    assert parse_moment("明天上午", dt.datetime(2026, 11, 28, 14, 0)).at == at("2026-11-29 10:00")


@given(text=st.text(max_size=200))
def test_any_text_gives_a_moment_within_a_year_and_a_bit(text: str) -> None:
    moment = parse_moment(text.lower(), SATURDAY)
    assert moment.at.tzinfo is not None
    assert abs(moment.at - SATURDAY) <= dt.timedelta(days=400)
    assert (moment.label_key is None) == (moment.label_values == {})


def test_a_festival_asked_about_during_its_holiday_means_today() -> None:
    """清明 asked on 6 April 2026 (the festival was the 5th, the holiday runs to the 6th) is today,
    not next year's 清明."""
    now = dt.datetime(2026, 4, 6, 10, 0, tzinfo=SHANGHAI)
    moment = parse_moment("清明节图书馆开门吗", now, calendar=ChinaCalendar(()))
    assert moment.at is not None and moment.at.date() == dt.date(2026, 4, 6)
    after = parse_moment("清明节图书馆开门吗", now + dt.timedelta(days=1), calendar=ChinaCalendar(()))
    assert after.at is not None and after.at.date().year == 2027
