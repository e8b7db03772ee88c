"""What a resident wrote, made fit to keep: coordinates rounded like a shared location, text valid.

Whatever keeps a resident's words (the conversation's waiting and last question, the unanswered
questions staff read, a "信息有误" report) passes them through `fit_to_keep` first:

- coordinates typed as text are rounded as a shared location is (`LOCATION_DECIMALS`, about
  100 m): "31.15234,121.12345" is kept as "31.152,121.123"; degrees, minutes and seconds
  ("31°9'5.5\"", "31度9分5秒") become the same rounded decimal degrees. A number with four or
  more decimals of at most 180 is taken for a coordinate, whatever surrounds it: rounding a
  stray "3.14159" costs nothing, keeping a position to the metre would.
- lone UTF-16 surrogates (which a JSON sender may put in a string, and no database can store as
  UTF-8) become U+FFFD; a well-formed pair becomes the character it encodes.
"""

from __future__ import annotations

import re
import unicodedata

# As `memory.LOCATION_DECIMALS`: 0.001° is about 111 m north-south, 95 m east-west in Qingpu.
LOCATION_DECIMALS = 3

_DOT = r"[.．]"
# A decimal number with at least four decimals, not part of a longer dotted or digit run.
_DECIMAL = re.compile(rf"(?<![\d.．])([-+－]?\d{{1,3}}){_DOT}(\d{{4,}})(?![\d.．]*\d)")
# Degrees, minutes and (decimal) seconds; or degrees and decimal minutes.
_DMS = re.compile(
    rf"(\d{{1,3}})\s*[°º度]\s*(\d{{1,2}})\s*['′’分]\s*(\d{{1,2}}(?:{_DOT}\d+)?)\s*(?:''|[\"″”秒])?"
)
_DM = re.compile(rf"(\d{{1,3}})\s*[°º度]\s*(\d{{1,2}}{_DOT}\d+)\s*['′’分]")


def _number(text: str) -> float:
    return float(unicodedata.normalize("NFKC", text).replace("－", "-").replace("。", "."))


def _rounded(value: float) -> str:
    return f"{round(value, LOCATION_DECIMALS):.{LOCATION_DECIMALS}f}"


def _decimal(match: re.Match[str]) -> str:
    whole, fraction = match.group(1), match.group(2)
    value = _number(f"{whole}.{fraction}")
    if abs(value) > 180:
        return match.group(0)
    return _rounded(value)


def _dms(match: re.Match[str]) -> str:
    degrees, minutes, seconds = (_number(g) for g in match.groups())
    if degrees > 180 or minutes >= 60 or seconds >= 60:
        return match.group(0)
    return _rounded(degrees + minutes / 60 + seconds / 3600)


def _dm(match: re.Match[str]) -> str:
    degrees, minutes = (_number(g) for g in match.groups())
    if degrees > 180 or minutes >= 60:
        return match.group(0)
    return _rounded(degrees + minutes / 60)


def round_coordinates(text: str) -> str:
    """`text` with every coordinate in it rounded to about 100 m (as a shared location is kept)."""
    if not any(c.isdigit() for c in text):
        return text
    text = _DMS.sub(_dms, text)
    text = _DM.sub(_dm, text)
    return _DECIMAL.sub(_decimal, text)


def valid_unicode(text: str) -> str:
    """`text` without lone surrogates: a pair becomes its character, a lone one U+FFFD."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def fit_to_keep(text: str) -> str:
    """What may be stored of `text`: valid Unicode, coordinates rounded."""
    return round_coordinates(valid_unicode(text))
