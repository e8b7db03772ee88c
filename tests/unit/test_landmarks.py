"""Landmarks residents use to say where they are: each resolves, with its town and a sourced position."""

from __future__ import annotations

import pytest

from bot.settings import BUNDLED_CATALOG
from services_catalog.answer import Question
from services_catalog.catalog import Catalog
from services_catalog.finder import Finder
from services_catalog.loader import load_catalog


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(BUNDLED_CATALOG)


@pytest.fixture(scope="module")
def finder(catalog: Catalog) -> Finder:
    return Finder(catalog)


def test_a_health_centre_near_the_outlets_is_found_from_the_landmark(finder: Finder) -> None:
    answer = finder.answer(Question(text="奥特莱斯附近有卫生服务中心吗"))
    assert answer.intent == "find_facility" and answer.kind == "clinic"
    assert answer.where.source == "landmark" and answer.where.town == "赵巷镇"
    assert answer.results[0].facility.id == "clinic-zhaoxiang"


@pytest.mark.parametrize(
    ("said", "town"),
    [
        ("青浦万达附近的图书馆", "盈浦街道"),
        ("奥特莱斯旁边的养老院", "赵巷镇"),
        ("国展中心附近有法律援助吗", "徐泾镇"),
        ("上海市青少年校外活动营地附近看病", "朱家角镇"),
        ("朱家角古镇 图书馆", "朱家角镇"),
        ("Qingpu New City library", "夏阳街道"),
    ],
)
def test_each_landmark_places_the_question_in_its_town(finder: Finder, said: str, town: str) -> None:
    answer = finder.answer(Question(text=said))
    assert answer.where.source == "landmark" and answer.where.town == town
    assert answer.results and answer.results[0].facility.town == town


def test_every_landmark_says_where_its_town_and_position_come_from(catalog: Catalog) -> None:
    assert len(catalog.landmarks) >= 6
    for landmark in catalog.landmarks.values():
        assert landmark.source and landmark.point.source
        assert landmark.point.precision == "approximate"
        if "估计" in landmark.point.source:  # no public position: the town centre, said so
            town = catalog.towns[landmark.town]
            district_centre = landmark.name == "青浦新城地区"
            assert district_centre or (landmark.point.lat, landmark.point.lon) == (
                town.centre.lat,
                town.centre.lon,
            )


def test_no_landmark_word_is_also_a_station_or_a_town(catalog: Catalog) -> None:
    """One word, one place: a shared word would make the answer depend on set order."""
    others = {n for s in catalog.stations.values() for n in (s.name, *s.aliases)}
    others |= {n for t in catalog.towns.values() for n in (t.name, *t.aliases)}
    words = [n for lm in catalog.landmarks.values() for n in (lm.name, *lm.aliases)]
    assert not set(words) & others
    assert len(words) == len(set(words))
