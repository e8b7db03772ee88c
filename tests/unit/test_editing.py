"""Writing records back into the YAML catalogue: only the record's lines change, or nothing does."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from bot.settings import BUNDLED_CATALOG
from services_catalog.editing import Draft, EditRefused, FacilityChange, StaleRecord
from services_catalog.loader import check_catalog
from tests.web.editing_helpers import changed_lines, comment_lines, record_span


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    copy = tmp_path / "catalog"
    shutil.copytree(BUNDLED_CATALOG, copy)
    return copy


def first_and_last_records(folder: Path) -> list[tuple[Path, str]]:
    """The first and the last record of every facilities file (the last one ends the file)."""
    draft = Draft(folder)
    found = []
    for path in draft.facility_files():
        records = draft.text_of(path).records
        found += [(path, str(records[0]["id"])), (path, str(records[-1]["id"]))]
    return found


def test_changing_a_record_of_the_bundled_catalogue_touches_only_its_lines(folder: Path) -> None:
    """In every file, first and last record: a phone, a verified date, a new position, a removed note."""
    for path, facility_id in first_and_last_records(folder):
        before = path.read_text(encoding="utf-8")
        draft = Draft(folder)
        draft.change(
            facility_id,
            {
                "phone": "021-59230000",
                "verified": dt.date(2026, 6, 1),
                "note": None,
                "point": {"lat": 31.11, "lon": 121.05, "precision": "exact"},
            },
        )
        after = draft.text_of(path).text
        assert changed_lines(before, after) <= set(record_span(before, facility_id)), facility_id
        assert len(comment_lines(after)) == len(comment_lines(before))
        assert draft.record(facility_id)["phone"] == "021-59230000"


def test_a_saved_change_is_valid_and_reads_back(folder: Path) -> None:
    draft = Draft(folder)
    draft.change(
        "library-jinze",
        FacilityChange(address="金泽镇某路 8 号", verified=dt.date(2026, 5, 1)).yaml_values(
            today=dt.date(2026, 6, 1)
        ),
    )
    saved = draft.save()
    assert saved.catalog.facilities["library-jinze"].address == "金泽镇某路 8 号"
    catalog, problems = check_catalog(folder)
    assert catalog is not None, problems
    assert catalog.facilities["library-jinze"].verified == dt.date(2026, 5, 1)


def test_a_change_the_catalogue_refuses_writes_nothing(folder: Path) -> None:
    library = folder / "facilities" / "library.yaml"
    before = library.read_text(encoding="utf-8")
    draft = Draft(folder)
    draft.change("library-jinze", {"town": "浦东新区"})
    with pytest.raises(EditRefused) as refused:
        draft.save()
    assert any("unknown town" in p.message for p in refused.value.errors)
    assert library.read_text(encoding="utf-8") == before


def test_an_edit_on_an_old_version_of_the_record_is_stale(folder: Path) -> None:
    old = Draft(folder).version("library-jinze")
    first = Draft(folder)
    first.change("library-jinze", {"phone": "021-11110000"}, expected_version=old)
    first.save()
    with pytest.raises(StaleRecord):
        Draft(folder).change("library-jinze", {"phone": "021-22220000"}, expected_version=old)


def test_a_file_changed_on_disk_since_the_draft_read_it_is_not_overwritten(folder: Path) -> None:
    draft = Draft(folder)
    draft.change("library-jinze", {"phone": "021-11110000"})
    library = folder / "facilities" / "library.yaml"
    library.write_text(library.read_text(encoding="utf-8") + "# an edit by hand\n", encoding="utf-8")
    with pytest.raises(StaleRecord):
        draft.save()
    assert library.read_text(encoding="utf-8").endswith("# an edit by hand\n")


def test_a_new_record_is_appended_in_the_files_style(folder: Path) -> None:
    hospital = folder / "facilities" / "hospital.yaml"
    before = hospital.read_text(encoding="utf-8")
    draft = Draft(folder)
    draft.add(
        hospital,
        {
            "id": "hospital-test",
            "name": "测试医院",
            "kind": "hospital",
            "town": "朱家角镇",
            "point": {
                "lat": 31.10,
                "lon": 121.05,
                "crs": "gcj02",
                "precision": "approximate",
                "source": "测试",
            },
            "phone": "59230000",
            "source": "测试",
        },
    )
    saved = draft.save()
    after = hospital.read_text(encoding="utf-8")
    assert after.startswith(before)
    assert '    phone: "59230000"\n' in after and "  - id: hospital-test\n" in after
    assert saved.catalog.facilities["hospital-test"].phone == "59230000"  # a string, not a number


def test_changes_say_what_was_before_and_after(folder: Path) -> None:
    draft = Draft(folder)
    change = draft.change("clinic-baihe", {"phone": "021-1", "source": "电话核实"})
    assert change is not None
    assert change.before["phone"] is None and change.before["source"].startswith("名称见于公开来源")
    assert change.after["phone"] == "021-1" and change.after["source"] == "电话核实"
    assert draft.change("clinic-baihe", {"phone": "021-1"}) is None  # nothing differs


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"lat": 31.1}, "lat and lon together"),
        ({"name": None}, "cannot be cleared"),
        ({"opening_hours": "8点到5点"}, "For example: Mo-Fr"),
        ({"phone": "twelve"}, "pattern"),
    ],
)
def test_a_change_with_bad_values_is_refused_before_any_file_is_read(
    values: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        FacilityChange.model_validate(values)


def test_a_position_given_to_the_api_marks_the_door_unless_told_otherwise() -> None:
    values = FacilityChange(lat=31.1, lon=121.05, crs="gcj02", source="现场").yaml_values(
        today=dt.date(2026, 6, 1)
    )
    assert values["point"] == {
        "lat": 31.1,
        "lon": 121.05,
        "crs": "gcj02",
        "precision": "exact",
        "source": "现场",
    }
    rough = FacilityChange(lat=31.1, lon=121.05, precision="approximate").yaml_values(
        today=dt.date(2026, 6, 1)
    )
    assert rough["point"]["precision"] == "approximate" and rough["point"]["crs"] == "wgs84"
