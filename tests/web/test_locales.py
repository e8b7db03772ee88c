"""Every sentence the console shows exists in Chinese and English."""

from __future__ import annotations

import re
from pathlib import Path

from locales import default_locales
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
