"""The place a resident means, and in what order places come, from the words they use."""

from __future__ import annotations

from services_catalog.coords import haversine_m
from services_catalog.finder import Finder
from tests.understanding.conftest import ask

XUJING_EAST = (31.193, 121.259)  # near 徐泾东站, WGS-84


def test_the_nearest_hospital_is_a_general_one_unless_the_need_is_a_specialty(finder: Finder) -> None:
    """A specialist hospital (妇产科) leads only when the question names what it is for."""
    a = ask(finder, "最近的医院", lat=XUJING_EAST[0], lon=XUJING_EAST[1])
    assert not a.results[0].facility.specialties
    b = ask(finder, "附近哪个医院可以产检", lat=XUJING_EAST[0], lon=XUJING_EAST[1])
    assert "产检" in b.results[0].facility.specialties


def test_a_place_named_by_its_town_lists_the_rest_nearest_to_that_town(finder: Finder) -> None:
    """'朱家角 图书馆' (read as the 朱家角 branch's name) then the branches nearest to 朱家角."""
    a = ask(finder, "朱家角 图书馆")
    centre = finder.catalog.towns["朱家角镇"].centre
    assert a.results[0].facility.town == "朱家角镇"
    far = [haversine_m(centre.lat, centre.lon, r.facility.point.lat, r.facility.point.lon) for r in a.results]
    assert far == sorted(far)


def test_a_place_asked_by_its_name_is_the_place_not_the_guide(finder: Finder) -> None:
    assert ask(finder, "退役军人服务站在什么地方").kind == "veterans"
    a = ask(finder, "要办敬老卡，附近的办事大厅在哪")
    assert (a.intent, a.kind) == ("find_facility", "affairs_centre")


def test_a_neighbourhood_residents_name_is_placed_in_its_town(finder: Finder) -> None:
    assert ask(finder, "蟠龙附近有图书馆吗").town == "徐泾镇"


def test_a_fee_is_not_a_plan_figure_but_the_target_is(finder: Finder) -> None:
    fee = ask(finder, "养老机构床位一个月多少钱")
    assert fee.intent != "plan_indicator"
    target = ask(finder, "到2025年养老机构床位要达到多少张")
    assert (target.intent, target.indicator) == ("plan_indicator", "elderly_care_beds")


def test_a_pet_hospital_is_not_a_clinic(finder: Finder) -> None:
    a = ask(finder, "附近有宠物医院吗")
    assert a.intent == "out_of_scope" and not a.results
    assert ask(finder, "狗生病了去哪个医院").intent == "out_of_scope"
