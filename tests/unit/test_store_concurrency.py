"""The store under several processes at once, and at start-up.

Real processes, real databases: SQLite files and PostgreSQL (in a schema of its own).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from services_catalog import store
from services_catalog.db import make_engine
from services_catalog.errors import StoreError
from services_catalog.live import LiveFinder
from services_catalog.loader import load_catalog
from tests.unit.conftest import VALID_CATALOG

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = ROOT / "services_catalog" / "data"

# One process: import the mini catalogue `n` times and print the versions it was given.
IMPORTER = """
import json, sys
from pathlib import Path
from services_catalog import store
from services_catalog.db import make_engine
from services_catalog.loader import load_catalog
url, schema, folder, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
engine = make_engine(url)
if schema:
    engine = engine.execution_options(schema_translate_map={None: schema})
catalog = load_catalog(Path(folder))
print(json.dumps([store.import_catalog(catalog, engine=engine) for _ in range(n)]))
"""


def _url_and_schema(engine: Engine) -> tuple[str, str]:
    url = engine.url.render_as_string(hide_password=False)
    schema = (engine.get_execution_options().get("schema_translate_map") or {}).get(None) or ""
    return url, schema


def test_concurrent_imports_in_separate_processes_get_one_version_each(any_engine: Engine) -> None:
    """Four processes importing five times each, all at once: versions 1..20, each given once, and
    the version row describes the rows that are stored (two SQLite reloads once got the same one)."""
    url, schema = _url_and_schema(any_engine)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", IMPORTER, url, schema, str(VALID_CATALOG), "5"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    versions: list[int] = []
    for proc in procs:
        out, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
        mine = json.loads(out)
        assert mine == sorted(mine)  # increasing within each process
        versions += mine
    assert sorted(versions) == list(range(1, 21))
    meta = store.stored_meta(engine=any_engine)
    assert meta is not None and meta.version == 20
    with Session(any_engine) as session:
        stored = session.exec(select(func.count()).select_from(store.FacilityRow)).one()
    assert stored == meta.facilities == 3


def _copy(folder: Path, tmp_path: Path, name: str) -> Path:
    target = tmp_path / name
    shutil.copytree(folder, target)
    return target


def _rename_library(folder: Path, new_name: str) -> None:
    path = folder / "facilities" / "library.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace('name: "青浦区图书馆朱家角分馆"', f'name: "{new_name}"', 1)
    path.write_text(text, encoding="utf-8")


def test_starting_never_replaces_a_newer_staff_reload_with_the_bundled_catalogue(
    tmp_path: Path, any_engine: Engine
) -> None:
    """The console started on the bundled folder after staff reloaded their own folder serves the
    staff's catalogue, and the store keeps it (it used to be overwritten on every start)."""
    bundled = _copy(BUNDLED, tmp_path, "bundled")
    LiveFinder(bundled, engine=any_engine)
    staff = _copy(BUNDLED, tmp_path, "staff")
    _rename_library(staff, "朱家角图书馆（员工改过）")
    version = store.import_catalog(load_catalog(staff), engine=any_engine)  # doorstep catalog reload

    restarted = LiveFinder(bundled, engine=any_engine)
    assert restarted.version == version
    assert restarted.folder == staff
    assert restarted.finder.catalog.facilities["library-zhujiajiao"].name == "朱家角图书馆（员工改过）"
    meta = store.stored_meta(engine=any_engine)
    assert meta is not None and meta.version == version and meta.source == str(staff)


def test_a_restart_on_the_same_catalogue_imports_nothing(tmp_path: Path, any_engine: Engine) -> None:
    folder = _copy(VALID_CATALOG, tmp_path, "catalog")
    first = LiveFinder(folder, engine=any_engine)
    again = LiveFinder(folder, engine=any_engine)
    assert first.version == again.version == 1


def test_a_folder_edited_after_the_last_import_is_imported_at_start_up(
    tmp_path: Path, any_engine: Engine
) -> None:
    folder = _copy(BUNDLED, tmp_path, "catalog")
    LiveFinder(folder, engine=any_engine)
    time.sleep(0.01)
    _rename_library(folder, "朱家角图书馆（新版本）")
    path = folder / "facilities" / "library.yaml"
    later = time.time() + 1
    os.utime(path, (later, later))
    restarted = LiveFinder(folder, engine=any_engine)
    assert restarted.version == 2
    assert restarted.finder.catalog.facilities["library-zhujiajiao"].name == "朱家角图书馆（新版本）"


@pytest.mark.parametrize(
    "url", ["mysql://user:secret@localhost/doorstep", "oracle://x@y/z", "not a url", "mssql+pyodbc://x"]
)
def test_an_unsupported_database_url_is_a_clear_error(url: str) -> None:
    with pytest.raises(StoreError, match=r"SQLite .* or PostgreSQL"):
        make_engine(url)


def test_the_command_line_says_so_instead_of_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli import main

    monkeypatch.setenv("DATABASE_URL", "mysql://user:secret@localhost/doorstep")
    assert main(["catalog", "reload", str(VALID_CATALOG)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "'mysql'" in err and "secret" not in err
