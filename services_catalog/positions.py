"""Positions as staff paste them: "lng,lat" from Amap's coordinate picker (坐标拾取器), in GCJ-02,
WGS-84 or Baidu's BD-09.

The catalogue stores a point as copied, with its `crs` (`gcj02` or `wgs84`); the loader converts
once to WGS-84. BD-09 is not a catalogue system: it is turned into GCJ-02 here, before writing.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

from services_catalog.coords import gcj02_to_wgs84, in_china, in_qingpu

PastedCrs = Literal["gcj02", "wgs84", "bd09"]
PASTED_CRS: tuple[PastedCrs, ...] = ("gcj02", "wgs84", "bd09")

_NUMBER = r"([+-]?\d{1,3}(?:\.\d+)?)"
_PAIR = re.compile(rf"^\s*[(\[]?\s*{_NUMBER}\s*(?:[,，;；]\s*|\s+){_NUMBER}\s*[)\]]?\s*$")

# Baidu's published BD-09 <-> GCJ-02 constants.
_X_PI = math.pi * 3000.0 / 180.0


class PositionError(ValueError):
    """A pasted position that cannot be used; `code` names why (a locale key)."""

    def __init__(self, code: Literal["format", "outside_china", "outside_qingpu"], text: str) -> None:
        super().__init__(f"{code}: {text!r}")
        self.code = code
        self.text = text


@dataclass(frozen=True)
class Pasted:
    """A position as the catalogue will store it (`crs` is gcj02 or wgs84), and what was done."""

    lat: float
    lon: float
    crs: Literal["gcj02", "wgs84"]
    swapped: bool  # the text gave latitude first; it was read the other way round
    converted_from_bd09: bool


def bd09_to_gcj02(lat: float, lon: float) -> tuple[float, float]:
    """Baidu's BD-09 to GCJ-02 (the inverse transform Baidu publishes; error well under a metre)."""
    x, y = lon - 0.0065, lat - 0.006
    z = math.sqrt(x * x + y * y) - 0.00002 * math.sin(y * _X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * _X_PI)
    return z * math.sin(theta), z * math.cos(theta)


def to_wgs84(lat: float, lon: float, crs: PastedCrs) -> tuple[float, float]:
    """A point in any of the pasted systems as WGS-84."""
    if crs == "bd09":
        lat, lon = bd09_to_gcj02(lat, lon)
        crs = "gcj02"
    return gcj02_to_wgs84(lat, lon) if crs == "gcj02" else (lat, lon)


def parse_pasted(text: str, crs: PastedCrs) -> Pasted:
    """Read "121.058,31.109" (longitude first, as Amap's picker gives it) in `crs`.

    Latitude first is recognised (in China longitude is always above 73, latitude below 54) and
    read the other way round. Raises `PositionError` for text that is not two numbers, and for a
    point outside China or outside Qingpu.
    """
    match = _PAIR.match(text)
    if match is None:
        raise PositionError("format", text)
    first, second = float(match.group(1)), float(match.group(2))
    lon, lat, swapped = first, second, False
    if abs(first) <= 90 < abs(second):
        lon, lat, swapped = second, first, True
    if not (math.isfinite(lat) and math.isfinite(lon) and abs(lat) <= 90 and abs(lon) <= 180):
        raise PositionError("format", text)
    wlat, wlon = to_wgs84(lat, lon, crs)
    if not in_china(wlat, wlon):
        raise PositionError("outside_china", text)
    if not in_qingpu(wlat, wlon):
        raise PositionError("outside_qingpu", text)
    if crs == "bd09":
        glat, glon = bd09_to_gcj02(lat, lon)
        return Pasted(round(glat, 6), round(glon, 6), "gcj02", swapped, True)
    return Pasted(lat, lon, crs, swapped, False)
