"""`doorstep catalog import FILE`: an office's spreadsheet into the catalogue, dry run first."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest
from sqlmodel import Session

from bot import cli
from bot.settings import BUNDLED_CATALOG
from services_catalog import audit
from services_catalog.db import make_engine
from services_catalog.importing import ImportFileError, plan_import, read_rows
from services_catalog.loader import load_catalog

HEADER = ["名称", "镇/街道", "地址", "电话", "开放时间", "经度", "纬度", "坐标系", "类别", "来源"]
ROWS = [
    # matches clinic-zhujiajiao (the official name with the city and district in front)
    ["上海市青浦区朱家角镇社区卫生服务中心", "朱家角镇", "朱家角镇某路1号", "021-59230000",
     "Mo-Fr 08:00-11:30,13:30-16:30", "121.058", "31.109", "GCJ-02", "", "镇卫生办台账"],
    ["朱家角镇沈巷社区卫生服务站", "朱家角镇", "沈巷某路2号", "021-59230001", "Mo-Fr 08:00-16:00",
     "", "", "", "社区卫生服务站", "镇卫生办台账"],
    ["金泽镇商榻老年助餐点", "金泽镇", "", "", "Mo-Fr 10:30-12:30", "120.9645", "31.0697", "百度",
     "elderly_centre", ""],
    ["坏行", "练塘镇", "", "打这个电话", "", "", "", "", "clinic", ""],
]  # fmt: skip


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    copy = tmp_path / "catalog"
    shutil.copytree(BUNDLED_CATALOG, copy)
    monkeypatch.setenv("DOORSTEP_CATALOG", str(copy))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'store.sqlite3'}")
    return copy


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    out = io.StringIO()
    csv.writer(out).writerows([HEADER, *rows])
    path.write_text(out.getvalue(), encoding=encoding)
    return path


def write_xlsx(path: Path, rows: list[list[str]]) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["青浦区社区卫生服务机构一览（2026年）"])  # a title row above the header, as offices write
    sheet.append(HEADER)
    for row in rows:
        sheet.append([float(c) if c.replace(".", "").isdigit() and "." in c else c for c in row])
    book.save(path)
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = cli.main(["catalog", "import", *args])
    return code, capsys.readouterr().out


def test_a_dry_run_lists_1_changed_2_added_1_refused_with_its_line_and_writes_nothing(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = {p: p.read_text("utf-8") for p in folder.rglob("*.yaml")}
    code, out = run(capsys, str(write_csv(tmp_path / "offices.csv", ROWS)))
    assert code == 0
    assert "4 rows — 1 changed, 2 added, 1 refused, 0 unchanged" in out
    assert "changed   line 2: clinic-zhujiajiao" in out and "matched '朱家角镇社区卫生服务中心' (100%)" in out
    assert "phone: (empty) -> 021-59230000" in out
    assert "added     line 3: clinic-zhujiajiao-2 朱家角镇沈巷社区卫生服务站 (clinic, 朱家角镇)" in out
    assert "added     line 4: elderly-centre-jinze-2" in out
    assert "refused   line 5: 坏行: phone '打这个电话'" in out
    assert "Dry run: nothing was written" in out
    assert {p: p.read_text("utf-8") for p in folder.rglob("*.yaml")} == before


def test_apply_makes_it_so_and_the_catalogue_validates(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clinic_before = (folder / "facilities" / "clinic.yaml").read_text("utf-8")
    code, out = run(capsys, str(write_csv(tmp_path / "offices.csv", ROWS)), "--apply")
    assert code == 0 and "Written to the catalogue." in out
    assert cli.main(["catalog", "validate", str(folder)]) == 0
    catalog = load_catalog(folder)
    clinic = catalog.facilities["clinic-zhujiajiao"]
    assert clinic.phone == "021-59230000" and clinic.address == "朱家角镇某路1号"
    assert clinic.hours_status == "confirmed" and clinic.verified is None  # an office's sheet is not a check
    assert "offices.csv 第2行" in clinic.source and "镇卫生办台账" in clinic.source
    new = catalog.facilities["clinic-zhujiajiao-2"]
    assert new.town == "朱家角镇" and new.point.precision == "approximate"  # no position: the town centre
    meals = catalog.facilities["elderly-centre-jinze-2"]
    assert "由百度坐标换算" in (meals.point.source or "")
    assert len(catalog.facilities) == 132
    clinic_after = (folder / "facilities" / "clinic.yaml").read_text("utf-8")
    assert [c for c in clinic_after.splitlines() if c.startswith("#")] == [
        c for c in clinic_before.splitlines() if c.startswith("#")
    ]
    engine = make_engine(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    with Session(engine) as session:
        entries = audit.changes_since(session=session, since=audit._now().replace(year=2000))
    assert {(e.facility_id, e.via, e.added) for e in entries} == {
        ("clinic-zhujiajiao", "import", False),
        ("clinic-zhujiajiao-2", "import", True),
        ("elderly-centre-jinze-2", "import", True),
    }
    assert any(e.note == "import offices.csv line 2" for e in entries)
    # Importing the same file again changes nothing and adds nothing.
    code, out = run(capsys, str(tmp_path / "offices.csv"))
    assert "0 changed, 0 added, 1 refused, 3 unchanged" in out


def test_an_excel_workbook_gives_the_same_plan_with_its_own_row_numbers(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run(capsys, str(write_xlsx(tmp_path / "offices.xlsx", ROWS)))
    assert code == 0 and "1 changed, 2 added, 1 refused" in out
    assert "refused   line 6: 坏行" in out  # the title row and the header come first in the sheet


def test_a_csv_saved_by_excel_in_gb18030_is_read(folder: Path, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "offices.csv", ROWS, encoding="gb18030")
    plan = plan_import(load_catalog(folder), path)
    assert [p.action for p in plan.rows] == ["changed", "added", "added", "refused"]


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (["", "朱家角镇", "", "", "", "", "", "", "clinic", ""], "no name"),
        (["某服务站", "浦东新区", "", "", "", "", "", "", "clinic", ""], "unknown town '浦东新区'"),
        (["某服务站", "", "", "", "", "", "", "", "clinic", ""], "no town"),
        (["朱家角镇某站", "", "", "", "", "", "", "", "casino", ""], "unknown kind 'casino'"),
        (["某服务站", "练塘镇", "", "", "8点到5点", "", "", "", "clinic", ""], "OpenStreetMap syntax"),
        (["某服务站", "练塘镇", "", "", "", "121.0", "", "gcj02", "clinic", ""], "give both 经度 and 纬度"),
        (["某服务站", "练塘镇", "", "", "", "116.4", "39.9", "wgs84", "clinic", ""], "outside Qingpu"),
        (["某服务站", "练塘镇", "", "", "", "121.0", "31.0", "", "clinic", ""], "no coordinate system"),
        (["某服务站", "练塘镇", "", "", "", "", "", "", "", ""], "its kind is not given"),
    ],
)
def test_rows_that_cannot_be_used_say_why(folder: Path, tmp_path: Path, row: list[str], reason: str) -> None:
    plan = plan_import(load_catalog(folder), write_csv(tmp_path / "one.csv", [row]))
    [planned] = plan.rows
    assert planned.action == "refused" and reason in planned.reason and planned.line == 2


def test_a_place_is_named_once_per_file(folder: Path, tmp_path: Path) -> None:
    rows = [ROWS[1], ROWS[1], ROWS[0], ROWS[0]]
    plan = plan_import(load_catalog(folder), write_csv(tmp_path / "twice.csv", rows))
    assert [(p.action, p.reason) for p in plan.rows] == [
        ("added", ""),
        ("refused", "the same new place as line 2"),
        ("changed", ""),
        ("refused", "the same record as line 4"),
    ]


def test_english_headers_and_the_kind_option_work(folder: Path, tmp_path: Path) -> None:
    path = tmp_path / "en.csv"
    path.write_text("name,town,phone\nShenxiang clinic station,zhujiajiao,021-59230002\n", encoding="utf-8")
    plan = plan_import(load_catalog(folder), path, default_kind="clinic")
    [planned] = plan.rows
    assert planned.action == "added" and planned.town == "朱家角镇" and planned.kind == "clinic"


def test_files_that_are_not_tables_are_refused_clearly(tmp_path: Path) -> None:
    for name, content in (
        ("a.pdf", b"%PDF"),
        ("b.csv", b"just,some\nwords,here\n"),
        ("c.xlsx", b"not a zip"),
    ):
        (tmp_path / name).write_bytes(content)
        with pytest.raises(ImportFileError):
            read_rows(tmp_path / name)


def test_the_command_says_when_a_file_cannot_be_read(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "x.xlsx").write_bytes(b"not a zip")
    assert cli.main(["catalog", "import", str(tmp_path / "x.xlsx")]) == 2
    assert "not a readable XLSX file" in capsys.readouterr().err


def test_an_import_the_catalogue_would_refuse_writes_nothing(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The whole catalogue is checked with the rows: a link off the allowlist stops them all."""
    before = {p: p.read_text("utf-8") for p in folder.rglob("*.yaml")}
    rows = [[*ROWS[1][:9], "见 www.vip333.com 公告"]]
    assert cli.main(["catalog", "import", str(write_csv(tmp_path / "spam.csv", rows)), "--apply"]) == 1
    assert "nothing was written" in capsys.readouterr().err
    assert {p: p.read_text("utf-8") for p in folder.rglob("*.yaml")} == before
