"""Every sentence a resident or operator reads, per language.

Sentences live in `<area>.<lang>.yaml` files beside this module (`core.zh.yaml`,
`bot.en.yaml`, ...), merged per language at start-up. `Locales.t(lang, key, **values)` fills
`{placeholders}`; a key missing in English falls back to Chinese, and a key missing everywhere
is a programming error caught by the tests.

What each kind of place is called comes from the catalogue's kinds.yaml (one entry per kind), not
from these files: `core.kind.<id>` is its official name, `bot.kind.<id>` and `web.kind.<id>` what
residents call it, `bot.quick.<id>` and `conversation.quick.<id>` its button label.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from services_catalog.models import Kind, bundled_kinds

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"
_HERE = Path(__file__).resolve().parent
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Locales:
    """All sentences, loaded once."""

    def __init__(self, folder: Path = _HERE, kinds: Mapping[str, Kind] | None = None) -> None:
        self._text: dict[str, dict[str, str]] = {lang: {} for lang in LANGS}
        for path in sorted(folder.glob("*.yaml")):
            stem = path.name.removesuffix(".yaml")
            lang = stem.rsplit(".", 1)[-1]
            if lang not in self._text:
                continue
            # libyaml's loader when PyYAML has it: the pure-Python one costs a tenth of a second here.
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER) or {}
            for key, value in _flatten(data):
                self._text[lang][key] = str(value)
        for kind in (bundled_kinds() if kinds is None else kinds).values():
            for lang, en in (("zh", False), ("en", True)):
                table = self._text[lang]
                table[f"core.kind.{kind.id}"] = kind.name_en if en else kind.name
                for area in ("bot", "web"):
                    table[f"{area}.kind.{kind.id}"] = kind.common_en if en else kind.common
                for area in ("bot", "conversation"):
                    table[f"{area}.quick.{kind.id}"] = kind.button_en if en else kind.button

    def t(self, lang: str, key: str, /, **values: Any) -> str:
        """The sentence `key` in `lang`, with `{placeholders}` filled."""
        table = self._text.get(lang) or self._text[DEFAULT_LANG]
        template = table.get(key) or self._text[DEFAULT_LANG][key]
        return template.format(**values) if values else template

    def has(self, lang: str, key: str) -> bool:
        """Whether `key` exists in `lang` itself (without falling back)."""
        return key in self._text.get(lang, {})

    def keys(self, lang: str) -> set[str]:
        """Every key defined for `lang`."""
        return set(self._text.get(lang, {}))


def _flatten(data: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for key, value in data.items():
        full = f"{prefix}{key}"
        if isinstance(value, dict):
            out.extend(_flatten(value, full + "."))
        else:
            out.append((full, value))
    return out


@lru_cache(maxsize=1)
def default_locales() -> Locales:
    """The bundled sentences (loaded on first use, then shared)."""
    return Locales()


def normalise_lang(code: str | None) -> str:
    """Map a Telegram `language_code` or a user's choice to one of LANGS (zh by default)."""
    if code and code.lower().startswith("en"):
        return "en"
    return DEFAULT_LANG
