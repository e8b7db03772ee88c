"""Every sentence the console shows exists in Chinese and English."""

from __future__ import annotations

import re
from pathlib import Path

from bot.settings import BUNDLED_CATALOG
from locales import default_locales
from services_catalog.linkcheck import strip_disallowed_links
from services_catalog.loader import load_catalog
from services_catalog.models import KIND_IDS

WEB = Path(__file__).resolve().parents[2] / "bot" / "web"


def test_chinese_and_english_have_the_same_sentences() -> None:
    locales = default_locales()
    zh = {k for k in locales.keys("zh") if k.startswith("web.")}
    en = {k for k in locales.keys("en") if k.startswith("web.")}
    assert zh == en


def test_every_sentence_the_code_asks_for_exists() -> None:
    """Keys written literally in the templates and in the Python code, and the ones built from ids."""
    locales = default_locales()
    used: set[str] = set()
    for template in (WEB / "templates").glob("*.html"):
        used |= set(re.findall(r"\bt\('([a-z_.]*[a-z_])'", template.read_text(encoding="utf-8")))
    for module in WEB.glob("*.py"):
        used |= set(re.findall(r'\bt\("([a-z_.]+)"', module.read_text(encoding="utf-8")))
        used |= set(re.findall(r'title_key="([a-z_.]+)"', module.read_text(encoding="utf-8")))
        used |= set(re.findall(r'"(error\.(?!html)[a-z_]+)"', module.read_text(encoding="utf-8")))
    used |= {f"state.{s}" for s in ("open", "closed", "unknown")}
    used |= {f"role.{r}" for r in ("operator", "staff")}
    used |= {f"weekday.{d}" for d in range(7)} | {f"kind.{k}" for k in KIND_IDS}
    assert len(used) > 100
    missing = sorted(k for k in used if not (locales.has("zh", f"web.{k}") and locales.has("en", f"web.{k}")))
    assert missing == []


def test_no_sentence_loses_words_to_the_link_filter() -> None:
    """Every string a page outputs passes `strip_disallowed_links`: the console's own sentences
    must come through it whole (an "e.g." or a file name taken for a domain would be cut)."""
    locales = default_locales()
    domains = load_catalog(BUNDLED_CATALOG).allowlist.domains
    for lang in ("zh", "en"):
        for key in locales.keys(lang):
            if key.startswith("web."):
                text = locales.t(lang, key)
                assert strip_disallowed_links(text, domains) == text, (lang, key)
