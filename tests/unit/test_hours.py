"""Opening hours on China's calendar: holidays close offices, adjusted working days open them."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services_catalog.hours import (
    CLOSED,
    SHANGHAI,
    ChinaCalendar,
    DayType,
    FacilityHours,
    to_shanghai,
    validate_opening_hours,
)
from services_catalog.models import HolidayOverride, HolidayPolicy

OFFICE = "Mo-Fr 09:00-17:00"
CALENDAR = ChinaCalendar()


def at(text: str) -> dt.datetime:
    """A Shanghai wall-clock moment written as 'YYYY-MM-DD HH:MM'."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def hours(
    spec: str | None = OFFICE,
    policy: HolidayPolicy = HolidayPolicy.closed_on_holidays,
    calendar: ChinaCalendar = CALENDAR,
) -> FacilityHours:
    return FacilityHours(spec, policy, calendar, confirmed=True)


# The calendar


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (dt.date(2026, 10, 1), DayType.holiday),
        (dt.date(2026, 10, 5), DayType.holiday),  # Monday, a day in lieu
        (dt.date(2026, 10, 10), DayType.adjusted_workday),  # Saturday worked for National Day
        (dt.date(2026, 2, 14), DayType.adjusted_workday),  # Saturday worked for the Spring Festival
        (dt.date(2026, 10, 8), DayType.workday),
        (dt.date(2026, 10, 11), DayType.weekend),
    ],
)
def test_calendar_follows_the_2026_state_council_schedule(day: dt.date, expected: DayType) -> None:
    assert CALENDAR.day_type(day) is expected
    assert CALENDAR.is_known(day)


def test_calendar_names_holidays_in_chinese() -> None:
    assert CALENDAR.holiday_name(dt.date(2026, 10, 1)) == "国庆节"
    assert CALENDAR.holiday_name(dt.date(2026, 2, 17)) == "春节"
    assert CALENDAR.holiday_name(dt.date(2026, 10, 10)) == "国庆节"  # the day worked for it
    assert CALENDAR.holiday_name(dt.date(2026, 10, 8)) is None


def test_calendar_falls_back_to_weekdays_for_a_year_it_does_not_know() -> None:
    assert not CALENDAR.is_known(dt.date(2027, 1, 8))
    assert CALENDAR.day_type(dt.date(2027, 1, 8)) is DayType.workday  # a Friday
    assert CALENDAR.day_type(dt.date(2027, 1, 9)) is DayType.weekend


def test_holidays_fixed_by_date_in_law_hold_in_a_year_not_yet_published() -> None:
    """New Year's Day, 1-2 May and 1-3 October are public holidays every year."""
    for day in (dt.date(2027, 1, 1), dt.date(2027, 5, 2), dt.date(2027, 10, 3)):
        assert CALENDAR.day_type(day) is DayType.holiday
        assert not CALENDAR.is_known(day)


def test_catalogue_overrides_beat_chinese_calendar() -> None:
    calendar = ChinaCalendar(
        [
            HolidayOverride(date=dt.date(2026, 3, 10), status="holiday", name="测试假日"),
            HolidayOverride(date=dt.date(2027, 2, 6), status="holiday", name="春节"),
            HolidayOverride(date=dt.date(2026, 10, 1), status="workday"),
        ]
    )
    assert calendar.day_type(dt.date(2026, 3, 10)) is DayType.holiday
    assert calendar.holiday_name(dt.date(2026, 3, 10)) == "测试假日"
    assert calendar.is_known(dt.date(2027, 2, 6))
    assert calendar.day_type(dt.date(2026, 10, 1)) is DayType.workday


# Offices and holidays (the must-hold cases)


def test_an_office_that_closes_on_holidays_is_closed_on_national_day() -> None:
    state = hours().state_at(at("2026-10-01 10:00"))
    assert state.open_now is False
    assert state.hours_today == CLOSED
    assert state.day_type is DayType.holiday
    assert state.calendar_known


def test_an_office_is_closed_on_the_monday_given_in_lieu() -> None:
    state = hours(policy=HolidayPolicy.workday_calendar).state_at(at("2026-10-05 10:00"))
    assert state.open_now is False
    assert state.hours_today == CLOSED


@pytest.mark.parametrize("saturday", ["2026-10-10", "2026-02-14"])
def test_a_workday_calendar_office_opens_with_weekday_hours_on_an_adjusted_saturday(saturday: str) -> None:
    state = hours(policy=HolidayPolicy.workday_calendar).state_at(at(f"{saturday} 10:00"))
    assert state.open_now is True
    assert state.hours_today == "09:00-17:00"
    assert state.day_type is DayType.adjusted_workday


def test_an_office_that_only_closes_on_holidays_stays_shut_on_an_adjusted_saturday() -> None:
    state = hours(policy=HolidayPolicy.closed_on_holidays).state_at(at("2026-10-10 10:00"))
    assert state.open_now is False
    assert state.hours_today == CLOSED


def test_adjusted_saturday_uses_that_weeks_monday_hours() -> None:
    spec = "Mo 08:00-12:00; Tu-Fr 09:00-17:00"
    state = hours(spec, HolidayPolicy.workday_calendar).state_at(at("2026-02-14 10:00"))
    assert state.hours_today == "08:00-12:00"


def test_next_opening_after_the_national_day_week_is_the_first_working_morning() -> None:
    # 2026: 10-01..10-07 off, Thursday 10-08 is a working day (State Council notice, chinese-calendar).
    office = hours()
    assert office.state_at(at("2026-10-03 10:00")).next_open == at("2026-10-08 09:00")
    assert office.state_at(at("2026-10-08 18:00")).next_open == at("2026-10-09 09:00")


def test_next_opening_is_later_the_same_day_before_opening_time() -> None:
    state = hours().state_at(at("2026-10-09 07:30"))
    assert state.open_now is False
    assert state.next_open == at("2026-10-09 09:00")
    assert state.hours_today == "09:00-17:00"


def test_next_opening_is_none_while_open() -> None:
    assert hours().state_at(at("2026-10-09 10:00")).next_open is None


def test_a_library_that_keeps_its_hours_is_open_on_national_day_but_not_at_night() -> None:
    library = hours("Tu-Su 09:00-17:00", HolidayPolicy.open)
    assert library.state_at(at("2026-10-01 10:00")).open_now is True
    assert library.state_at(at("2026-10-01 03:00")).open_now is False
    assert library.state_at(at("2026-10-05 10:00")).open_now is False  # Monday: its weekly closing day


def test_an_override_holiday_closes_the_office() -> None:
    calendar = ChinaCalendar([HolidayOverride(date=dt.date(2026, 3, 10), status="holiday")])
    assert hours(calendar=calendar).state_at(at("2026-03-10 10:00")).open_now is False
    assert hours().state_at(at("2026-03-10 10:00")).open_now is True


def test_a_year_without_a_published_schedule_is_flagged_but_still_answered() -> None:
    state = hours().state_at(at("2027-01-08 10:00"))
    assert state.calendar_known is False
    assert state.open_now is True  # weekly hours of a Friday, flagged as unconfirmed by the calendar


def test_next_opening_in_an_unknown_year_flags_the_calendar() -> None:
    state = hours().state_at(at("2026-12-31 18:00"))
    assert state.next_open == at("2027-01-04 09:00")  # 1 January is a holiday by law
    assert state.calendar_known is False


# Shapes of weekly hours


def test_lunch_break_is_closed_and_both_sessions_are_listed() -> None:
    clinic = hours("Mo-Fr 08:00-11:30,13:00-16:30")
    assert clinic.state_at(at("2026-10-09 12:00")).open_now is False
    assert clinic.state_at(at("2026-10-09 12:00")).next_open == at("2026-10-09 13:00")
    assert clinic.state_at(at("2026-10-09 14:00")).open_now is True
    assert clinic.state_at(at("2026-10-09 14:00")).hours_today == "08:00-11:30,13:00-16:30"


def test_a_24_7_hospital_is_always_open() -> None:
    hospital = hours("24/7", HolidayPolicy.open)
    state = hospital.state_at(at("2026-10-01 03:00"))
    assert state.open_now is True
    assert state.hours_today == "00:00-24:00"


def test_an_opening_past_midnight_belongs_to_the_day_it_starts() -> None:
    night = hours("Mo-Su 22:00-02:00", HolidayPolicy.open)
    assert night.state_at(at("2026-10-09 23:00")).hours_today == "22:00-02:00"
    after_midnight = night.state_at(at("2026-10-10 01:00"))
    assert after_midnight.open_now is True
    assert after_midnight.hours_today == "22:00-02:00"
    assert night.state_at(at("2026-10-10 03:00")).next_open == at("2026-10-10 22:00")


def test_unknown_hours_answer_nothing_but_still_give_the_calendar() -> None:
    state = hours(None).state_at(at("2026-10-01 10:00"))
    assert state.open_now is None
    assert state.hours_today is None
    assert state.next_open is None
    assert state.day_type is DayType.holiday


def test_typical_hours_are_reported_as_unconfirmed() -> None:
    state = FacilityHours(OFFICE, HolidayPolicy.open, CALENDAR, confirmed=False).state_at(
        at("2026-10-09 10:00")
    )
    assert state.confirmed is False


def test_moments_in_other_time_zones_are_read_in_shanghai() -> None:
    utc_morning = dt.datetime(2026, 10, 9, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai
    assert hours().state_at(utc_morning).open_now is True
    assert to_shanghai(dt.datetime(2026, 10, 9, 10, 0)) == at("2026-10-09 10:00")
    assert to_shanghai(None).tzinfo is SHANGHAI


# Validation


def test_valid_opening_hours_pass_validation() -> None:
    assert validate_opening_hours("Mo-Fr 08:00-11:30,13:00-16:30; Sa 09:00-12:00") is None
    assert validate_opening_hours("24/7") is None


@pytest.mark.parametrize("spec", ["Mo-Fr 9-17", "garbage", "", "   ", "Mo 25:00-26:00"])
def test_invalid_opening_hours_are_rejected_with_a_one_line_message(spec: str) -> None:
    message = validate_opening_hours(spec)
    assert message
    assert "\n" not in message


def test_an_invalid_spec_cannot_build_facility_hours() -> None:
    with pytest.raises(ValueError, match="opening_hours"):
        hours("Mo-Fr 9-17")


# Properties

SPECS = [
    OFFICE,
    "Mo-Fr 08:00-11:30,13:00-16:30",
    "Tu-Su 09:00-17:00",
    "24/7",
    "Mo-Su 22:00-02:00",
    "Mo-Fr 08:30-17:00; Sa 09:00-12:00",
    "Mo-Fr 09:00-17:00 unknown",
]
PREBUILT = {
    (spec, policy): hours(spec, policy) for spec in SPECS for policy in HolidayPolicy
}  # one parse per facility, as in production


@given(
    moment=st.datetimes(min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2026, 12, 31, 23, 59)),
    spec=st.sampled_from(SPECS),
    policy=st.sampled_from(list(HolidayPolicy)),
)
def test_state_is_always_consistent(moment: dt.datetime, spec: str, policy: HolidayPolicy) -> None:
    state = PREBUILT[(spec, policy)].state_at(moment)
    assert state.hours_today is not None
    if state.hours_today == CLOSED:
        assert state.open_now is False
    if state.open_now:
        assert state.next_open is None
    elif state.next_open is not None:
        assert state.next_open > to_shanghai(moment)
        assert state.next_open - to_shanghai(moment) <= dt.timedelta(days=15)
