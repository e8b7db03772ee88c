"""Positions pasted from a map's coordinate picker: longitude first, in GCJ-02, WGS-84 or BD-09."""

from __future__ import annotations

import pytest

from services_catalog.coords import gcj02_to_wgs84, haversine_m
from services_catalog.positions import PositionError, bd09_to_gcj02, parse_pasted, to_wgs84


def test_amaps_picker_text_is_read_longitude_first() -> None:
    pasted = parse_pasted("121.058,31.109", "gcj02")
    assert (pasted.lon, pasted.lat, pasted.crs, pasted.swapped) == (121.058, 31.109, "gcj02", False)


@pytest.mark.parametrize("text", ["121.058, 31.109", "121.058，31.109", "121.058 31.109", "(121.058,31.109)"])
def test_the_usual_separators_are_understood(text: str) -> None:
    assert (parse_pasted(text, "wgs84").lon, parse_pasted(text, "wgs84").lat) == (121.058, 31.109)


def test_latitude_first_is_turned_round_and_said() -> None:
    pasted = parse_pasted("31.109,121.058", "gcj02")
    assert (pasted.lon, pasted.lat, pasted.swapped) == (121.058, 31.109, True)


def test_baidu_positions_are_stored_as_gcj02_within_a_few_metres() -> None:
    """Baidu's published offset: BD-09 lies about 0.0065° east and 0.006° north of GCJ-02."""
    pasted = parse_pasted("121.0645,31.1150", "bd09")
    assert pasted.crs == "gcj02" and pasted.converted_from_bd09
    assert haversine_m(pasted.lat, pasted.lon, 31.109, 121.058) < 60
    lat, lon = bd09_to_gcj02(31.1150, 121.0645)
    assert to_wgs84(31.1150, 121.0645, "bd09") == gcj02_to_wgs84(lat, lon)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("121.058", "format"),
        ("abc,def", "format"),
        ("0,0", "outside_china"),
        ("116.40,39.90", "outside_qingpu"),
    ],
)
def test_unusable_text_is_refused_with_a_reason(text: str, code: str) -> None:
    with pytest.raises(PositionError) as refused:
        parse_pasted(text, "gcj02")
    assert refused.value.code == code
