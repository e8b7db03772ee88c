"""No link outside the catalogue's allowlist reaches a resident."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from services_catalog.answer import Question
from services_catalog.finder import Finder
from services_catalog.linkcheck import domains_in, strip_disallowed_links
from services_catalog.loader import check_catalog, load_catalog
from tests.unit.test_catalog_loader import VALID_CATALOG, edit

BUNDLED = Path(__file__).resolve().parents[2] / "services_catalog" / "data"
FOREIGN = ["vip888.bet", "evil.ru/login", "bit.ly/abc", "http://x.example.com/a", "详见vip333.co"]


@pytest.mark.parametrize("link", FOREIGN)
def test_any_domain_is_recognised_as_a_link(link: str) -> None:
    assert domains_in(f"请看 {link} 了解")
    assert "." not in strip_disallowed_links(f"请看 {link} 了解", ["gov.cn"]).replace("了解", "")


def test_allowed_links_and_ordinary_text_stay() -> None:
    text = "一网通办 https://zwdt.sh.gov.cn/a?b=1 人均0.24平方米，3.72张，e.g. No.1，adcode_310118.csv"
    assert strip_disallowed_links(text, ["gov.cn"]) == text


@pytest.mark.parametrize("link", ["evil.ru", "vip888.bet", "bit.ly/abc"])
def test_the_validator_rejects_a_service_pointing_off_the_allowlist(tmp_path: Path, link: str) -> None:
    import shutil

    folder = tmp_path / "catalog"
    shutil.copytree(VALID_CATALOG, folder)
    edit(folder, "services.yaml", 'online: "随申办"', f'online: "随申办，详见 {link}"')
    catalog, problems = check_catalog(folder)
    assert catalog is None
    assert any(p.file == "services.yaml" and "online" in p.field for p in problems)


def test_a_link_that_slipped_into_a_loaded_catalogue_never_reaches_the_reply() -> None:
    """Even a catalogue object that bypassed the validator cannot send a foreign link."""
    base = load_catalog(BUNDLED)
    service = base.services["family_doctor"].model_copy(update={"online": "详见 vip888.bet 或 bit.ly/abc"})
    catalog = dataclasses.replace(base, services={**base.services, "family_doctor": service})
    answer = Finder(catalog).answer(Question(text="家庭医生怎么签约"))
    assert answer.service == "family_doctor"
    assert "vip888" not in answer.reply and "bit.ly" not in answer.reply


def test_a_catalogue_without_the_emergency_numbers_is_refused(tmp_path: Path) -> None:
    """Emergencies are answered with 120/119/110 first; a catalogue missing one cannot be loaded."""
    import shutil

    folder = tmp_path / "catalog"
    shutil.copytree(VALID_CATALOG, folder)
    edit(
        folder,
        "hotlines.yaml",
        '  - number: "119"\n    name: "火警"\n    name_en: "Fire"\n    emergency: true\n',
        "",
    )
    catalog, problems = check_catalog(folder)
    assert catalog is None
    assert [str(p).split(": ", 1)[1] for p in problems if p.severity == "error"] == [
        "hotlines: the emergency number 119 is missing from the hotlines"
    ]


def test_yaml_anchors_and_aliases_are_refused_at_their_line(tmp_path: Path) -> None:
    """Nested aliases can blow a few lines up into gigabytes; staff never need them."""
    import shutil

    folder = tmp_path / "catalog"
    shutil.copytree(VALID_CATALOG, folder)
    bomb = "".join(f"b{i}: &b{i} [*b{i - 1}, *b{i - 1}, *b{i - 1}, *b{i - 1}]\n" for i in range(1, 10))
    (folder / "bomb.yaml").write_text("a0: &b0 [x, x]\n" + bomb, encoding="utf-8")
    catalog, problems = check_catalog(folder)
    assert catalog is None
    assert [f"{p.file}:{p.line}: {p.field}" for p in problems if p.severity == "error"] == [
        "bomb.yaml:1: yaml"
    ]


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://www.shqp.gov.cn/health/", True),
        ("HTTPS://ZWDT.SH.GOV.CN", True),
        ("www.shqp.gov.cn", True),
        ("https://vip333.co\\.gov.cn/", False),  # browsers open vip333.co
        ("https://www.gov.cn@vip333.co/", False),
        ("https://user@www.gov.cn/", False),  # a user name: never a service's real address
        ("https://www.shqp.gov.cn%2Evip333.co/", False),
        ("javascript:alert(1)//www.gov.cn", False),
        ("ftp://www.gov.cn/", False),
    ],
)
def test_a_link_is_allowed_only_as_a_browser_would_open_it(url: str, ok: bool) -> None:
    """What the reply model checks before it makes a website a link (defence in depth: the
    validator refuses these already)."""
    from services_catalog.linkcheck import allowed

    assert allowed(url, ["gov.cn"]) is ok


def test_links_hidden_by_zero_width_characters_are_removed_from_what_is_sent() -> None:
    text = "详见 vip\u200b333\u200b.co 或 https://www.shqp.gov.cn/x"
    kept = strip_disallowed_links(text, ["gov.cn"])
    assert "vip333" not in kept and "https://www.shqp.gov.cn/x" in kept
