"""Which numbered place a follow-up means: "第二个呢", "2号", "the second one", "number 2" → 2.

An answer numbers its places (1. 2. 3. …), and people go on by number, in Chinese or English,
often with a question about that place in the same message ("第二个周六开吗"). `ordinal` finds
the number and hands back the rest of the message for the Finder to read; which facility the
number stands for is the conversation's business (it knows what was shown).
"""

from __future__ import annotations

import re

_CN_NUMBERS = {
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    "十": 10,
}
_EN_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4, "5th": 5,
}  # fmt: skip
# "第二个(呢)", "第2家"; a whole message "2号", "那二号呢"; "the second (one)", "second one", "number 2".
_N_ZH = rf"([{''.join(_CN_NUMBERS)}]|\d{{1,2}})"
_ORDINAL_ZH = re.compile(rf"第\s*{_N_ZH}\s*(?:个|家|处)")
_ORDINAL_ZH_ALONE = re.compile(rf"\s*(?:那|那么)?\s*第?\s*{_N_ZH}\s*(?:号|个)?\s*(?:呢|吧)?\s*[?？]?\s*")
_EN_WORDS = "|".join(_EN_ORDINALS)
_ORDINAL_EN = re.compile(
    rf"\bthe\s+({_EN_WORDS})\b(?:\s+one)?|\b({_EN_WORDS})\s+one\b|\b(?:number|no\.)\s*(\d{{1,2}})\b"
)
_LONE_NUMBER = re.compile(r"\s*(\d{1,2})\s*")
# Words around the number that ask nothing themselves ("那…呢", "what about …?"), taken off the rest.
_FILLER = re.compile(r"^(?:那么|那|and|what about|how about)\s*|\s*(?:呢|吧|啊|[?？])+$")


def ordinal(text: str) -> tuple[int | None, str]:
    """The number a message refers to ("第二个呢" → 2) and the rest of the message ("周六开吗")."""
    lowered = text.lower().strip()
    alone = _ORDINAL_ZH_ALONE.fullmatch(lowered) or _LONE_NUMBER.fullmatch(lowered)
    if alone is not None:
        return _number(alone.group(1)), ""
    for pattern in (_ORDINAL_ZH, _ORDINAL_EN):
        m = pattern.search(lowered)
        if m is None:
            continue
        word = next(g for g in m.groups() if g)
        rest = (lowered[: m.start()] + " " + lowered[m.end() :]).strip()
        rest = _FILLER.sub("", rest).strip()
        return _number(word), rest
    return None, ""


def _number(word: str) -> int | None:
    """The number in digits, an English ordinal or a Chinese numeral; None for any other word."""
    if word.isdigit():
        return int(word)
    return _EN_ORDINALS.get(word) or _CN_NUMBERS.get(word)
