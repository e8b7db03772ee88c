"""The bundled Qingpu catalogue (services_catalog/data): clean, complete, exported as the contract says."""

from __future__ import annotations

from pathlib import Path

import pytest

from services_catalog.catalog import Catalog
from services_catalog.export import export_catalog
from services_catalog.loader import check_catalog, load_catalog
from services_catalog.models import KIND_IDS, TOWN_NAMES
from services_catalog.stats import catalog_stats

BUNDLED_CATALOG = Path(__file__).parents[2] / "services_catalog" / "data"
VALID_CATALOG = Path(__file__).parent / "fixtures" / "catalog" / "valid"

CONTRACT_SERVICES = [
    "family_doctor",
    "vaccination",
    "long_term_care",
    "home_care",
    "elderly_meals",
    "nursing_home_admission",
    "legal_aid_application",
    "low_rent_housing",
    "public_rental_housing",
    "shared_ownership_housing",
    "employment_registration",
    "entrepreneurship",
    "social_insurance",
    "minimum_living_allowance",
    "disability_assistive_devices",
    "disability_rehab",
    "library_card",
    "school_enrollment",
    "childcare",
    "veterans_benefits",
]
CONTRACT_INDICATORS = [
    "preschool_enrollment",
    "compulsory_education_retention",
    "per_student_funding",
    "life_expectancy",
    "hospital_beds_per_1000",
    "doctors_per_1000",
    "elderly_care_beds",
    "nursing_bed_institution_share",
    "community_elderly_facility_area",
    "culture_facility_area_per_capita",
    "sports_area_per_capita",
    "community_fitness_centres",
    "new_rental_housing",
    "new_low_rent_households",
    "new_shared_ownership_households",
    "social_insurance_coverage",
    "new_jobs_per_year",
    "disability_rehab_rate",
    "assistive_device_rate",
    "disability_employment_bases",
]
TEXT_CHECKS = ("spam-like text", "a name must not contain", "is not on the catalogue's allowlist")


@pytest.fixture(scope="module")
def bundled() -> Catalog:
    """The bundled catalogue, loaded once."""
    return load_catalog(BUNDLED_CATALOG)


def test_the_bundled_catalogue_has_no_errors() -> None:
    """`doorstep catalog validate` is clean on what ships."""
    catalog, problems = check_catalog(BUNDLED_CATALOG)
    assert [str(p) for p in problems if p.severity == "error"] == []
    assert catalog is not None


def test_ordinary_service_text_in_the_bundled_catalogue_is_never_taken_for_spam() -> None:
    """The spam and link checks raise nothing, not even a warning, on the real text staff wrote."""
    _, problems = check_catalog(BUNDLED_CATALOG)
    assert [str(p) for p in problems if p.message.startswith(TEXT_CHECKS) or "allowlist" in p.message] == []


def test_the_export_has_every_town_facility_service_and_indicator(bundled: Catalog) -> None:
    """At least 11 x 6 town facilities, every contract service id, and the 20 indicators in order."""
    exported = export_catalog(bundled)
    facilities = exported["facilities"]
    assert {f["town"] for f in facilities} == set(TOWN_NAMES)
    assert {f["kind"] for f in facilities} <= set(KIND_IDS)
    town_level = [f for f in facilities if bundled.facilities[f["id"]].level == "town"]
    assert len(town_level) >= 11 * 6
    assert set(CONTRACT_SERVICES) <= {s["id"] for s in exported["services"]}
    assert [i["id"] for i in exported["indicators"]] == CONTRACT_INDICATORS


def test_exported_coordinates_are_wgs84_inside_qingpu(bundled: Catalog) -> None:
    """Every exported point was converted from GCJ-02 and lies in the district."""
    from services_catalog.coords import in_qingpu

    assert all(p.point.crs == "wgs84" for p in bundled.facilities.values())
    assert all(in_qingpu(f["lat"], f["lon"]) for f in export_catalog(bundled)["facilities"])


def test_the_export_has_exactly_the_contract_fields_and_a_few_more() -> None:
    """Each facility, service and indicator carries the contract's fields (plus the documented extras)."""
    exported = export_catalog(load_catalog(VALID_CATALOG))
    assert set(exported) == {"facilities", "services", "indicators"}
    clinic = exported["facilities"][1]
    assert clinic == {
        "id": "clinic-jinze",
        "name": "金泽镇社区卫生服务中心",
        "kind": "clinic",
        "town": "金泽镇",
        "lat": clinic["lat"],
        "lon": clinic["lon"],
        "address": "金泽镇某路1号",
        "phone": "021-59290000",
        "opening_hours": "Mo-Fr 08:00-16:30",
        "source": "test fixture",
        "verified": "2024-05-01",
        "approximate": True,
        "hours_status": "confirmed",
    }
    assert (round(clinic["lat"], 4), round(clinic["lon"], 4)) == (31.0428, 120.9178)
    assert exported["services"][0] == {"id": "family_doctor", "name": "家庭医生签约"}


def test_stats_say_how_much_is_unverified() -> None:
    """The summary counts towns, facilities per kind and town, and what is unconfirmed."""
    text = catalog_stats(load_catalog(VALID_CATALOG))
    assert "Towns: 2" in text
    assert "Facilities: 3" in text
    assert "    clinic          2" in text
    assert "    朱家角镇  2" in text
    assert "verified: 1, unverified: 2" in text
    assert "approximate position: 2" in text
    assert "typical (unconfirmed) hours: 2" in text
    assert "without phone: 2, without address: 2" in text
