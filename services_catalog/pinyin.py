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
    """ "lǜ" → "lv": ü is typed as v on a pinyin keyboard (its diaeresis is kept, the tone dropped)."""
    decomposed = unicodedata.normalize("NFD", reading).replace("u\u0308", "v")
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


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

    def readings(self, ch: str) -> list[str]:
        """Every reading of the character without tone ("长" → ["chang", "zhang"]), first one first."""
        raw = self._raw.get(str(ord(ch)))
        return list(dict.fromkeys(_strip_tone(r) for r in raw.split(","))) if raw else []

    def spellings(self, word: str, limit: int = 16) -> list[str]:
        """The ways `word` can be typed in pinyin without spaces, one per combination of its
        characters' readings (at most `limit`; none when a character has no reading)."""
        out = [""]
        for ch in word:
            options = self.readings(ch)
            if not options:
                return []
            out = [head + o for head in out for o in options][:limit]
        return out

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
