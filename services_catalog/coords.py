"""Coordinate systems and Qingpu's area.

Staff copy positions from Chinese map apps, which show GCJ-02 ("Mars coordinates"): WGS-84 shifted
by a published, deliberately obscure offset of a few hundred metres. Phones and Telegram send
WGS-84. The loader converts GCJ-02 once with `gcj02_to_wgs84`; nothing after it sees GCJ-02.
"""

from __future__ import annotations

import math

# Krasovsky 1940 ellipsoid, which the GCJ-02 offset formula is defined on.
_A = 6378245.0
_EE = 0.00669342162296594323

# Mean Earth radius (IUGG) for great-circle distances.
EARTH_RADIUS_M = 6371008.8

# China's rough extent: generous on purpose; it only catches swapped or wildly wrong coordinates.
CHINA_BBOX = (18.0, 73.0, 54.0, 135.0)  # min lat, min lon, max lat, max lon

# Qingpu District in WGS-84, padded by about 2 km (0.02° lat, 0.021° lon at 31°N).
# Derived once from ../shared/data/raw/vonng-adcode/fence_310118.json (the district polygon,
# GCJ-02, Vonng/adcode, CC BY 4.0): every vertex converted with `gcj02_to_wgs84`, then the min/max
# taken (30.9420..31.2939 N, 120.8526..121.3194 E) and padded.
QINGPU_BBOX = (30.9220, 120.8316, 31.3139, 121.3404)  # min lat, min lon, max lat, max lon


def _out_of_china(lat: float, lon: float) -> bool:
    """The standard algorithm's own test: outside this box GCJ-02 equals WGS-84."""
    return not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _transform_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lon(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def _offset(lat: float, lon: float) -> tuple[float, float]:
    """The GCJ-02 shift (dlat, dlon) in degrees at a WGS-84 point."""
    dlat = _transform_lat(lon - 105.0, lat - 35.0)
    dlon = _transform_lon(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(radlat) ** 2
    sqrtmagic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * math.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * math.cos(radlat) * math.pi)
    return dlat, dlon


def wgs84_to_gcj02(lat: float, lon: float) -> tuple[float, float]:
    """Shift a WGS-84 point to GCJ-02 (unchanged outside China, as the standard algorithm does)."""
    if _out_of_china(lat, lon):
        return lat, lon
    dlat, dlon = _offset(lat, lon)
    return lat + dlat, lon + dlon


def gcj02_to_wgs84(lat: float, lon: float) -> tuple[float, float]:
    """Undo the GCJ-02 shift by fixed-point iteration (converges to well under a millimetre)."""
    if _out_of_china(lat, lon):
        return lat, lon
    wlat, wlon = lat, lon
    for _ in range(30):
        glat, glon = wgs84_to_gcj02(wlat, wlon)
        dlat, dlon = glat - lat, glon - lon
        wlat, wlon = wlat - dlat, wlon - dlon
        if abs(dlat) < 1e-10 and abs(dlon) < 1e-10:
            break
    return wlat, wlon


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two WGS-84 points."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def in_qingpu(lat: float, lon: float) -> bool:
    """Whether a WGS-84 point lies in Qingpu's (padded) bounding box."""
    min_lat, min_lon, max_lat, max_lon = QINGPU_BBOX
    return min_lat <= lat <= max_lat and min_lon <= lon <= max_lon


def in_china(lat: float, lon: float) -> bool:
    """Whether a point lies roughly in China (a generous box; catches swapped or absurd values)."""
    min_lat, min_lon, max_lat, max_lon = CHINA_BBOX
    return min_lat <= lat <= max_lat and min_lon <= lon <= max_lon
