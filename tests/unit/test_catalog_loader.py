"""The catalogue loader: every kind of mistake staff can make is reported at its file and line.

Each test copies the valid mini catalogue (tests/unit/fixtures/catalog/valid), breaks exactly one
thing in it, and asserts the exact `file:line: field` that `doorstep catalog validate` would print.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from services_catalog.catalog import Catalog
from services_catalog.errors import CatalogFileError, CatalogValidationError, Problem
from services_catalog.loader import catalog_schema, check_catalog, load_catalog, text_problem
from services_catalog.models import Crs

VALID_CATALOG = Path(__file__).parent / "fixtures" / "catalog" / "valid"
CLINICS = "facilities/clinic.yaml"
LIBRARIES = "facilities/library.yaml"
SEED_SPAM = "大佬们都在玩{精选官网网址: www.vip333.Co }值得信任的品牌平台!"


def edit(folder: Path, file: str, old: str, new: str) -> None:
    """Replace the one occurrence of `old` in a catalogue file (fails loudly if it is not there once)."""
    path = folder / file
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} should occur once in {file}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def errors(folder: Path) -> list[Problem]:
    """The errors (not warnings) the loader reports for `folder`."""
    catalog, problems = check_catalog(folder)
    found = [p for p in problems if p.severity == "error"]
    assert (catalog is None) == bool(found), "a catalogue is returned exactly when there is no error"
    return found


def located(problems: list[Problem]) -> list[str]:
    """The `file:line: field` part of each problem, as `doorstep catalog validate` prints it."""
    return [f"{p.file}:{p.line}: {p.field}" for p in problems]


def only_error(folder: Path) -> Problem:
    """The single error reported for `folder`."""
    found = errors(folder)
    assert len(found) == 1, "\n".join(map(str, found))
    return found[0]


# --- the valid catalogue ----------------------------------------------------------------------


def test_the_valid_mini_catalogue_loads_with_every_record() -> None:
    """The fixture catalogue has no errors and every record ends up in the Catalog."""
    catalog = load_catalog(VALID_CATALOG)
    assert list(catalog.towns) == ["朱家角镇", "金泽镇"]
    assert list(catalog.facilities) == ["clinic-zhujiajiao", "clinic-jinze", "library-zhujiajiao"]
    assert list(catalog.services) == ["family_doctor", "library_card"]
    assert set(catalog.hotlines) == {"12345", "12320", "120", "119", "110"}
    assert catalog.allowlist.domains == ["gov.cn", "sh.gov.cn"]
    assert catalog.source == VALID_CATALOG


def test_every_point_in_the_catalogue_is_wgs84_after_loading() -> None:
    """GCJ-02 points copied from map apps are converted once; WGS-84 points are kept as written."""
    catalog = load_catalog(VALID_CATALOG)
    points = [t.centre for t in catalog.towns.values()] + [f.point for f in catalog.facilities.values()]
    assert all(p.crs == Crs.wgs84 for p in points)
    clinic = catalog.facilities["clinic-zhujiajiao"].point
    # Written as GCJ-02 (31.107227, 121.054934); WGS-84 lies a few hundred metres south-west.
    assert clinic.lat == pytest.approx(31.10922, abs=1e-4)
    assert clinic.lon == pytest.approx(121.05039, abs=1e-4)
    library = catalog.facilities["library-zhujiajiao"].point
    assert (library.lat, library.lon) == (31.109, 121.050)


def test_a_missing_folder_is_a_file_error() -> None:
    """A folder that does not exist cannot be checked at all."""
    with pytest.raises(CatalogFileError, match="no such catalogue folder"):
        load_catalog(Path("/nonexistent/catalogue"))


def test_load_catalog_raises_with_every_problem_of_every_file(mini_catalog: Path) -> None:
    """Two mistakes in two files are both reported in one run, sorted by file and line."""
    edit(
        mini_catalog,
        CLINICS,
        '    kind: clinic\n    town: "朱家角镇"',
        '    kind: clinc\n    town: "朱家角镇"',
    )
    edit(mini_catalog, LIBRARIES, "services: [library_card]", "services: [library_cards]")
    with pytest.raises(CatalogValidationError) as raised:
        load_catalog(mini_catalog)
    problems = [p for p in raised.value.problems if p.severity == "error"]
    assert located(problems) == [
        f"{CLINICS}:5: facilities[0].kind",
        f"{LIBRARIES}:14: facilities[0].services[0]",
    ]
    assert "the catalogue has 2 problem(s)" in str(raised.value)


# --- one malformed variant per kind of problem -----------------------------------------------


def test_a_yaml_syntax_error_is_reported_at_its_line(mini_catalog: Path) -> None:
    """A badly indented line stops that file, at that line; the other files are still checked."""
    edit(
        mini_catalog,
        CLINICS,
        '    kind: clinic\n    town: "朱家角镇"',
        '   kind: clinic\n    town: "朱家角镇"',
    )
    problem = only_error(mini_catalog)
    assert str(problem).startswith(f"{CLINICS}:5: yaml: YAML syntax error: ")


def test_an_unknown_field_is_reported_with_a_suggestion(mini_catalog: Path) -> None:
    """A misspelt field name is an error (not silently ignored), and the right name is suggested."""
    edit(
        mini_catalog, CLINICS, 'opening_hours: "Mo-Fr 08:00-16:30; Sa', 'opening_hour: "Mo-Fr 08:00-16:30; Sa'
    )
    problem = only_error(mini_catalog)
    assert str(problem) == (
        f"{CLINICS}:11: facilities[0].opening_hour: unknown field (did you mean 'opening_hours'?)"
    )


def test_a_missing_required_field_points_at_the_record(mini_catalog: Path) -> None:
    """A facility without `source` is reported at the record's first line."""
    edit(
        mini_catalog,
        CLINICS,
        '    services: [family_doctor]\n    source: "test fixture"\n',
        "    services: [family_doctor]\n",
    )
    problem = only_error(mini_catalog)
    assert str(problem) == f"{CLINICS}:3: facilities[0].source: required field is missing"


def test_a_wrong_type_is_reported_at_the_field(mini_catalog: Path) -> None:
    """A latitude written as text cannot be read as a number."""
    edit(mini_catalog, CLINICS, "      lat: 31.107227", "      lat: north")
    problem = only_error(mini_catalog)
    assert located([problem]) == [f"{CLINICS}:8: facilities[0].point.lat"]
    assert "valid number" in problem.message and "'north'" in problem.message


def test_a_wrong_pattern_is_reported_at_the_field(mini_catalog: Path) -> None:
    """A facility id with capitals and spaces breaks the id pattern."""
    edit(mini_catalog, LIBRARIES, "id: library-zhujiajiao", "id: Library Zhujiajiao")
    assert located(errors(mini_catalog)) == [f"{LIBRARIES}:3: facilities[0].id"]


def test_a_duplicate_id_in_one_file_names_the_first(mini_catalog: Path) -> None:
    """The second facility with the same id is reported, pointing back to the first."""
    edit(mini_catalog, CLINICS, "id: clinic-jinze", "id: clinic-zhujiajiao")
    problem = only_error(mini_catalog)
    assert str(problem) == (
        f"{CLINICS}:14: facilities[1].id: duplicate facility id 'clinic-zhujiajiao' (first at {CLINICS}:3)"
    )


def test_a_duplicate_id_across_files_names_the_first_file(mini_catalog: Path) -> None:
    """Ids are unique across every facilities file, not just within one."""
    edit(mini_catalog, LIBRARIES, "id: library-zhujiajiao", "id: clinic-jinze")
    problem = only_error(mini_catalog)
    assert str(problem) == (
        f"{LIBRARIES}:3: facilities[0].id: duplicate facility id 'clinic-jinze' (first at {CLINICS}:14)"
    )


def test_a_duplicate_town_name_is_reported(mini_catalog: Path) -> None:
    """Town names are the towns' ids: two towns cannot share one (and 金泽镇 is then unknown)."""
    edit(mini_catalog, "towns.yaml", 'name: "金泽镇"', 'name: "朱家角镇"')
    assert located(errors(mini_catalog)) == [
        f"{CLINICS}:17: facilities[1].town",
        "towns.yaml:11: towns[1].name",
    ]


def test_a_duplicate_yaml_key_is_reported(mini_catalog: Path) -> None:
    """PyYAML would keep the last of two equal keys silently; the loader reports the second."""
    edit(mini_catalog, LIBRARIES, "    holidays: open\n", "    holidays: open\n    holidays: open\n")
    assert [str(p) for p in errors(mini_catalog)] == [
        f"{LIBRARIES}:14: facilities[0].holidays: duplicate key (first at line 13)"
    ]


def test_an_unknown_kind_is_reported_with_a_suggestion(mini_catalog: Path) -> None:
    """Kinds are the contract's ids; a typo is caught and the right one suggested."""
    edit(
        mini_catalog,
        CLINICS,
        '    kind: clinic\n    town: "朱家角镇"',
        '    kind: clinc\n    town: "朱家角镇"',
    )
    problem = only_error(mini_catalog)
    assert str(problem) == f"{CLINICS}:5: facilities[0].kind: unknown kind 'clinc' (did you mean 'clinic'?)"


def test_an_unknown_town_is_reported(mini_catalog: Path) -> None:
    """A facility must name a town of the towns file by its official name (朱家角镇, not 朱家角)."""
    edit(mini_catalog, LIBRARIES, 'town: "朱家角镇"', 'town: "朱家角"')
    problem = only_error(mini_catalog)
    assert located([problem]) == [f"{LIBRARIES}:6: facilities[0].town"]
    assert problem.message == "unknown town '朱家角' (did you mean '朱家角镇'?)"


def test_an_unknown_service_in_a_facility_is_reported(mini_catalog: Path) -> None:
    """Services offered by a facility must be ids of the services file."""
    edit(mini_catalog, LIBRARIES, "services: [library_card]", "services: [library_cards]")
    assert [str(p) for p in errors(mini_catalog)] == [
        f"{LIBRARIES}:14: facilities[0].services[0]: "
        "unknown service 'library_cards' (did you mean 'library_card'?)"
    ]


def test_an_unknown_service_in_the_vocabulary_is_reported(mini_catalog: Path) -> None:
    """Words for a service that does not exist would lead residents nowhere."""
    edit(mini_catalog, "vocabulary.yaml", "    family_doctor:", "    family_docter:")
    assert located(errors(mini_catalog)) == ["vocabulary.yaml:6: vocabulary.services.family_docter"]


def test_an_unknown_kind_in_service_where_is_reported(mini_catalog: Path) -> None:
    """Where to apply is given as facility kinds."""
    edit(mini_catalog, "services.yaml", "where: [library]", "where: [libary]")
    assert located(errors(mini_catalog)) == ["services.yaml:15: services[1].where[0]"]


def test_a_service_hotline_must_be_in_the_hotlines_file(mini_catalog: Path) -> None:
    """A service's hotline number must be one of the catalogue's hotlines."""
    edit(mini_catalog, "services.yaml", 'hotline: "12320"', 'hotline: "12321"')
    assert [str(p) for p in errors(mini_catalog)] == [
        "services.yaml:9: services[0].hotline: '12321' is not in the hotlines file"
    ]


def test_coordinates_outside_china_are_an_error(mini_catalog: Path) -> None:
    """A point in London (or with latitude and longitude swapped) cannot be in Qingpu."""
    edit(mini_catalog, LIBRARIES, "lat: 31.109\n      lon: 121.050", "lat: 51.5\n      lon: -0.12")
    problem = only_error(mini_catalog)
    assert located([problem]) == [f"{LIBRARIES}:7: facilities[0].point"]
    assert "outside China" in problem.message


def test_coordinates_outside_qingpu_are_an_error(mini_catalog: Path) -> None:
    """A place in central Shanghai would be offered as "离您最近" to a resident in Qingpu: refused."""
    edit(mini_catalog, LIBRARIES, "lat: 31.109\n      lon: 121.050", "lat: 31.2304\n      lon: 121.4737")
    problem = only_error(mini_catalog)
    assert str(problem) == (
        f"{LIBRARIES}:7: facilities[0].point: (31.2304, 121.4737) is outside Qingpu (39 km from its centre)"
    )


def test_a_place_a_thousand_kilometres_away_is_refused(mini_catalog: Path) -> None:
    """Beijing (GCJ-02, as a map app gives it) is in China but not in Qingpu."""
    edit(mini_catalog, LIBRARIES, "lat: 31.109\n      lon: 121.050", "lat: 39.9087\n      lon: 116.3975")
    problem = only_error(mini_catalog)
    assert problem.field == "facilities[0].point" and "outside Qingpu (1,0" in problem.message


def test_invalid_opening_hours_are_reported(mini_catalog: Path) -> None:
    """Opening hours must be OpenStreetMap opening_hours syntax ("Mo-Fr", not "Mo-Fx")."""
    edit(mini_catalog, CLINICS, '"Mo-Fr 08:00-16:30; Sa 08:00-11:30"', '"Mo-Fx 08:00-16:30"')
    problem = only_error(mini_catalog)
    assert located([problem]) == [f"{CLINICS}:11: facilities[0].opening_hours"]
    assert problem.message.startswith("invalid opening_hours 'Mo-Fx 08:00-16:30'")


def test_a_website_off_the_allowlist_is_reported(mini_catalog: Path) -> None:
    """Only links to the catalogue's allowlisted domains may reach a resident."""
    edit(mini_catalog, CLINICS, "https://www.shqp.gov.cn/health/", "https://www.example.com/health/")
    assert [str(p) for p in errors(mini_catalog)] == [
        f"{CLINICS}:23: facilities[1].website: the domain www.example.com is not on the catalogue's allowlist"
    ]


def test_a_url_in_free_text_off_the_allowlist_is_reported(mini_catalog: Path) -> None:
    """A link inside a summary is checked like a website."""
    edit(mini_catalog, "services.yaml", "慢病管理等服务。", "慢病管理等服务，详见 qp-health.com/sign。")
    assert located(errors(mini_catalog)) == ["services.yaml:6: services[0].summary"]


def test_a_url_in_a_name_is_spam(mini_catalog: Path) -> None:
    """Names never carry a web address, even an allowlisted one."""
    edit(mini_catalog, LIBRARIES, "青浦区图书馆朱家角分馆", "青浦区图书馆朱家角分馆 www.shqp.gov.cn")
    assert [str(p) for p in errors(mini_catalog)] == [
        f"{LIBRARIES}:4: facilities[0].name: a name must not contain a web address (www.shqp.gov.cn)"
    ]


def test_the_seeds_injected_spam_line_in_a_summary_is_reported(mini_catalog: Path) -> None:
    """The spam injected after row 19 of the plan's table must never enter the catalogue."""
    edit(mini_catalog, "services.yaml", "阅览室免费开放。", f"阅览室免费开放。{SEED_SPAM}")
    problem = only_error(mini_catalog)
    assert located([problem]) == ["services.yaml:14: services[1].summary"]
    assert problem.message.startswith("spam-like text: ")


def test_an_unknown_top_level_key_is_reported(mini_catalog: Path) -> None:
    """A file is recognised by its top-level key; a misspelt one is reported with a suggestion."""
    (mini_catalog / "facilities" / "extra.yaml").write_text("faciltiies: []\n", encoding="utf-8")
    assert [str(p) for p in errors(mini_catalog)] == [
        "facilities/extra.yaml:1: faciltiies: unknown top-level key (did you mean 'facilities'?)"
    ]


def test_a_yml_file_is_read_like_a_yaml_file(mini_catalog: Path) -> None:
    """library.yaml renamed to .yml is still part of the catalogue (it used to be skipped, with only
    a warning, and every library question then failed)."""
    (mini_catalog / LIBRARIES).rename(mini_catalog / "facilities" / "library.yml")
    catalog, problems = check_catalog(mini_catalog)
    assert catalog is not None, problems
    assert "library-zhujiajiao" in catalog.facilities


def test_an_empty_catalogue_is_reported(mini_catalog: Path) -> None:
    """A catalogue without a single facility cannot answer anyone."""
    shutil.rmtree(mini_catalog / "facilities")
    assert [str(p) for p in errors(mini_catalog)] == [
        f"{mini_catalog}:0: facilities: the catalogue has no facilities"
    ]


def test_a_missing_allowlist_file_is_reported(mini_catalog: Path) -> None:
    """The allowlist, towns and vocabulary files are required."""
    (mini_catalog / "allowlist.yaml").unlink()
    assert located(errors(mini_catalog)) == [f"{mini_catalog}:0: allowlist"]


def test_a_town_outside_qingpus_eleven_is_reported(mini_catalog: Path) -> None:
    """Towns are the contract's 11 official names."""
    edit(mini_catalog, "towns.yaml", 'name: "金泽镇"', 'name: "金泽乡"')
    edit(mini_catalog, CLINICS, 'town: "金泽镇"', 'town: "金泽乡"')
    assert located(errors(mini_catalog)) == ["towns.yaml:11: towns[1].name"]


def test_fewer_than_twenty_indicators_is_a_warning(mini_catalog: Path) -> None:
    """Missing plan indicator rows are flagged, without stopping the catalogue."""
    (mini_catalog / "indicators.yaml").write_text(
        "indicators:\n"
        "  - id: life_expectancy\n    row: 4\n    category: 医疗卫生\n    name: 人均预期寿命\n"
        "    name_en: Life expectancy\n    unit: 岁\n    nature: 预期性\n    baseline: '84.1'\n"
        "    target: '84.5'\n    source: test\n",
        encoding="utf-8",
    )
    catalog, problems = check_catalog(mini_catalog)
    assert catalog is not None and list(catalog.indicators) == ["life_expectancy"]
    (warning,) = [p for p in problems if p.field == "indicators"]
    assert located([warning]) == ["indicators.yaml:1: indicators"]
    assert warning.severity == "warning" and "missing rows 1, 2, 3," in warning.message


# --- text checks on their own -----------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "凭身份证在区图书馆办理读者证，棋牌室、阅览室免费开放。",
        "可通过随申办App或一网通办（zwdt.sh.gov.cn）在线申请。",
        "Mon-Fri 9 a.m. to 5 p.m., e.g. for No.5 forms.",
        "拨打12345市民服务热线咨询；彩票站不在此列。",
        "在一网通办平台（zwdt.sh.gov.cn）注册后在线申请。",
        "社区文化活动中心设棋牌室，活动安排见 www.shqp.gov.cn。",
    ],
)
def test_ordinary_service_text_is_not_taken_for_spam(text: str) -> None:
    """Everyday words (棋牌室, 彩票站) and allowlisted government links pass."""
    assert text_problem(text, ["gov.cn"]) is None


@pytest.mark.parametrize(
    "text",
    [SEED_SPAM, "澳门博彩 顶级娱乐城", "棋牌游戏注册就送 www.qp888.vip", "http://bet365.example/彩票"],
)
def test_gambling_and_advertising_text_is_spam(text: str) -> None:
    """The seed's injected line and its like are caught."""
    message = text_problem(text, ["gov.cn"])
    assert message is not None and message.startswith("spam-like text")


def test_a_subdomain_of_an_allowlisted_domain_is_allowed() -> None:
    """gov.cn allows www.shqp.gov.cn; a look-alike domain is not a subdomain."""
    assert text_problem("https://www.shqp.gov.cn/x", ["gov.cn"], website=True) is None
    assert text_problem("https://fakegov.cn/x", ["gov.cn"], website=True) is not None


# --- the JSON Schema --------------------------------------------------------------------------


def test_the_schema_describes_every_file_shape() -> None:
    """Editors get one schema whose alternatives are the file shapes, each with its top-level key."""
    schema = catalog_schema()
    assert schema["$schema"].startswith("https://json-schema.org/")
    defs = schema["$defs"]
    keys = set()
    for option in schema["anyOf"]:
        ref = option["$ref"].rsplit("/", 1)[-1]
        keys |= set(defs[ref]["properties"])
    assert keys == {
        "towns", "committees", "stations", "landmarks", "facilities", "services",
        "indicators", "hotlines", "overrides", "vocabulary", "allowlist", "examples", "kinds",
    }  # fmt: skip
    assert defs["Facility"]["additionalProperties"] is False
    json.dumps(schema)  # editors read it as JSON


def test_nothing_is_read_at_import_time() -> None:
    """Loading is explicit: importing the loader builds no catalogue."""
    import services_catalog.loader as loader

    assert not any(isinstance(v, Catalog) for v in vars(loader).values())
