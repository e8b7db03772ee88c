"""Reloading the catalogue while Doorstep runs."""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import Engine

from services_catalog import store
from services_catalog.answer import Question
from services_catalog.live import LiveFinder
from services_catalog.loader import load_catalog

BUNDLED = Path(__file__).resolve().parents[2] / "services_catalog" / "data"


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "catalog"
    shutil.copytree(BUNDLED, folder)
    return folder


def _rename_zhujiajiao_library(folder: Path, new_name: str) -> None:
    path = folder / "facilities" / "library.yaml"
    text = path.read_text(encoding="utf-8")
    old = 'name: "青浦区图书馆朱家角分馆"'
    assert old in text
    path.write_text(text.replace(old, f'name: "{new_name}"', 1), encoding="utf-8")


def test_a_bad_edit_keeps_the_running_catalogue_and_lists_its_problems(
    tmp_path: Path, any_engine: Engine
) -> None:
    folder = _copy(tmp_path)
    live = LiveFinder(folder, engine=any_engine)
    version = live.version
    (folder / "facilities" / "clinic.yaml").write_text("facilities:\n  - id: [broken\n", encoding="utf-8")
    problems = live.reload()
    assert any(p.file == "facilities/clinic.yaml" and p.severity == "error" for p in problems)
    assert live.version == version
    answer = live.answer(Question(text="朱家角有没有社区卫生服务中心"))
    assert answer.results and answer.results[0].facility.kind == "clinic"


def test_a_reload_from_another_process_is_picked_up(tmp_path: Path, any_engine: Engine) -> None:
    """`doorstep catalog reload` imports into the store; a running LiveFinder notices the new version."""
    folder = _copy(tmp_path)
    live = LiveFinder(folder, engine=any_engine)
    assert not live.reload_if_changed()
    _rename_zhujiajiao_library(folder, "朱家角镇图书馆（新馆）")
    store.import_catalog(load_catalog(folder), engine=any_engine)  # what the command does
    assert live.reload_if_changed()
    answer = live.answer(Question(text="朱家角有没有图书馆"))
    assert answer.results[0].facility.name == "朱家角镇图书馆（新馆）"


def test_a_reload_of_another_folder_is_served_from_that_folder(tmp_path: Path, any_engine: Engine) -> None:
    """What the store says is live is what every running process serves."""
    folder = _copy(tmp_path)
    live = LiveFinder(folder, engine=any_engine)
    other = tmp_path / "other"
    shutil.copytree(folder, other)
    _rename_zhujiajiao_library(other, "朱家角图书馆（另一目录）")
    store.import_catalog(load_catalog(other), engine=any_engine)
    assert live.reload_if_changed()
    assert live.folder == other
    assert (
        live.answer(Question(text="朱家角有没有图书馆")).results[0].facility.name
        == "朱家角图书馆（另一目录）"
    )
