"""How Chinese characters sound, for typos made with a pinyin keyboard (长户险 for 长护险).

The table is pypinyin's character dictionary, read from its JSON file directly: importing the
pypinyin package also loads its phrase dictionaries (some 350 ms at start-up), which matching
homophones does not need.
"""

from __future__ import annotations

import importlib.util
import json
import unicodedata
from functools import lru_cache
from pathlib import Path


def _strip_tone(reading: str) -> str:
    plain = "".join(c for c in unicodedata.normalize("NFD", reading) if unicodedata.category(c) != "Mn")
    return plain.replace("ü", "v")


class PinyinTable:
    """Each character's first reading, without tone marks."""

    def __init__(self) -> None:
        spec = importlib.util.find_spec("pypinyin")
        if spec is None or spec.origin is None:
            raise RuntimeError("pypinyin is not installed")
        # Keys are code points written as text ("25252"); kept so, to spare converting 40,000 keys.
        self._raw: dict[str, str] = json.loads(
            (Path(spec.origin).parent / "pinyin_dict.json").read_text(encoding="utf-8")
        )

    @lru_cache(maxsize=8192)  # noqa: B019 - one table per process, kept for its life
    def sound(self, ch: str) -> str | None:
        """The character's first reading without tone ("护" → "hu"), None for non-Chinese."""
        raw = self._raw.get(str(ord(ch)))
        return _strip_tone(raw.split(",", 1)[0]) if raw else None

    def key(self, word: str) -> tuple[str, ...] | None:
        """How a word sounds, syllable by syllable; None when a character has no reading."""
        sounds = []
        for ch in word:
            s = self.sound(ch)
            if s is None:
                return None
            sounds.append(s)
        return tuple(sounds)

    def keys_of_grams(self, text: str) -> GramKeys:
        """How each stretch of `text` sounds, worked out once for the whole text."""
        return GramKeys([self.sound(ch) for ch in text])


class GramKeys:
    """The sound of any stretch text[pos:pos + size], from each character's reading found once."""

    def __init__(self, sounds: list[str | None]) -> None:
        self._sounds = sounds

    def at(self, pos: int, size: int) -> tuple[str, ...] | None:
        """How text[pos:pos + size] sounds; None when a character there has no reading."""
        part = self._sounds[pos : pos + size]
        return None if None in part else tuple(part)  # type: ignore[arg-type]
