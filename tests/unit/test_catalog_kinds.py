"""Kinds of place are data: kinds.yaml names each in both languages, with its button and hotline.

Adding a kind is one entry in kinds.yaml, one facilities file and the words residents use for it
in vocabulary.yaml: no code, no locale file, no hotlines.yaml edit.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from locales import Locales
from services_catalog.answer import Question
from services_catalog.finder import Finder
from services_catalog.loader import check_catalog, load_catalog
from services_catalog.models import KIND_IDS, bundled_kinds
from tests.unit.test_catalog_loader import edit, only_error

BUNDLED = Path(__file__).resolve().parents[2] / "services_catalog" / "data"

DENTAL_KIND = """
  - id: dental
    name: "社区口腔诊室"
    name_en: "community dental clinic"
    common: "口腔诊室"
    common_en: "dental clinic"
    button: "看牙"
    button_en: "Dentist"
    hotline: "12320"
"""

DENTAL_FACILITIES = """facilities:
  - id: dental-zhujiajiao
    name: "朱家角镇社区口腔诊室"
    kind: dental
    town: "朱家角镇"
    point: {lat: 31.107227, lon: 121.054934, crs: gcj02}
    opening_hours: "Mo-Fr 08:00-16:30"
    source: "test: a kind added by a catalogue copy"
"""


@pytest.fixture
def catalogue_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "catalog"
    shutil.copytree(BUNDLED, folder)
    return folder


def test_adding_a_kind_is_one_kinds_entry_one_facilities_file_and_its_words(catalogue_copy: Path) -> None:
    """A dental clinic kind, added as data, is validated, found, named and given its hotline."""
    with (catalogue_copy / "kinds.yaml").open("a", encoding="utf-8") as kinds:
        kinds.write(DENTAL_KIND)
    (catalogue_copy / "facilities" / "dental.yaml").write_text(DENTAL_FACILITIES, encoding="utf-8")
    edit(
        catalogue_copy,
        "vocabulary.yaml",
        "  kinds:\n",
        '  kinds:\n    dental:\n      zh: ["补牙", "口腔诊室"]\n',
    )

    catalog, problems = check_catalog(catalogue_copy)
    assert catalog is not None, [str(p) for p in problems if p.severity == "error"]
    assert "dental" in catalog.kinds and "dental" not in KIND_IDS  # the bundled ids are untouched

    answer = Finder(catalog).answer(Question(text="朱家角哪里可以补牙"))
    assert answer.intent == "find_facility" and answer.kind == "dental"
    assert [r.facility.id for r in answer.results] == ["dental-zhujiajiao"]
    assert "社区口腔诊室" in answer.reply  # named from kinds.yaml, not from a locale file
    assert answer.hotline is not None and answer.hotline.number == "12320"  # hotlines.yaml untouched


def test_a_kind_whose_hotline_is_not_in_the_hotlines_is_refused(catalogue_copy: Path) -> None:
    edit(catalogue_copy, "kinds.yaml", 'hotline: "12348"', 'hotline: "12349"')
    problem = only_error(catalogue_copy)
    assert problem.file == "kinds.yaml" and problem.field.endswith(".hotline")
    assert "'12349' is not in the hotlines file" in problem.message


def test_a_kind_with_a_misspelt_field_is_refused_at_its_line(catalogue_copy: Path) -> None:
    edit(catalogue_copy, "kinds.yaml", '    common_en: "nursing home"', '    comon_en: "nursing home"')
    problems = [p for p in check_catalog(catalogue_copy)[1] if p.severity == "error"]
    assert any(p.file == "kinds.yaml" and p.field.endswith("comon_en") for p in problems)


def test_kind_names_come_from_kinds_yaml_in_every_renderer() -> None:
    """One name per kind and use: replies, the bot's headings and the console no longer drift
    (社区综合为老服务中心 vs 为老服务中心, 养老院 vs 养老机构)."""
    locales = Locales()
    catalog = load_catalog(BUNDLED)
    for kind in bundled_kinds().values():
        for lang, name, common, button in (
            ("zh", kind.name, kind.common, kind.button),
            ("en", kind.name_en, kind.common_en, kind.button_en),
        ):
            assert locales.t(lang, f"core.kind.{kind.id}") == name == catalog.kind_name(kind.id, lang)
            assert locales.t(lang, f"bot.kind.{kind.id}") == common == locales.t(lang, f"web.kind.{kind.id}")
            assert locales.t(lang, f"bot.quick.{kind.id}") == button
    assert list(catalog.kinds) == list(KIND_IDS)


def test_each_kinds_hotline_is_the_one_answers_give(catalogue_copy: Path) -> None:
    """kinds.yaml decides a kind's hotline; hotlines.yaml's topics need not repeat it."""
    catalog = load_catalog(BUNDLED)
    finder = Finder(catalog)
    for kind in catalog.kinds.values():
        hotlines = [h.number for h in catalog.hotlines.values() if kind.id in h.topics]
        assert hotlines == [kind.hotline], kind.id
    answer = finder.answer(Question(text="附近的法律援助中心"))
    assert answer.hotline is not None and answer.hotline.number == "12348"
