"""Distances, walking times and a grid index for "the nearest one".

Distances shown to residents are great-circle distances from geopy. Walking time assumes
4.5 km/h (75 m a minute) along a route 1.3 times the straight line, so the plan's
"15-minute walk" (15分钟生活圈) means about 865 m as the crow flies.
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

WALK_METRES_PER_MINUTE = 75.0  # 4.5 km/h, a comfortable pace for older residents too
ROUTE_FACTOR = 1.3  # streets are longer than the straight line
FIFTEEN_MINUTES = 15
MAX_WALK_METRES = 10_000  # past this a walking time is not shown (over two hours on foot)

_EARTH_RADIUS_M = 6371008.8
_POINTS_PER_CELL = 6  # grid cells are sized so that each holds about this many points


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (geopy)."""
    from geopy.distance import great_circle  # imported when first needed: it costs 80 ms at start

    return float(great_circle((lat1, lon1), (lat2, lon2)).meters)


def walk_minutes(metres: float) -> int:
    """Minutes on foot for a straight-line distance, at least 1."""
    return max(1, math.ceil(metres * ROUTE_FACTOR / WALK_METRES_PER_MINUTE))


def _fast_m(lat1: float, lon1: float, lat2: float, lon2: float, coslat: float) -> float:
    """Equirectangular approximation, good to well under 0.1% at city scale; ranks candidates."""
    dx = math.radians(lon2 - lon1) * coslat
    dy = math.radians(lat2 - lat1)
    return _EARTH_RADIUS_M * math.hypot(dx, dy)


@dataclass(frozen=True)
class _Entry:
    lat: float
    lon: float
    key: str


class GridIndex:
    """Points bucketed in a lat/lon grid: the nearest few cost a few cells, not a full scan.

    Built once per catalogue; read-only afterwards, so safe to share between threads.
    """

    def __init__(self, points: Iterable[tuple[str, float, float]]) -> None:
        entries = [_Entry(lat, lon, key) for key, lat, lon in points]
        self._size = len(entries)
        if entries:
            lat_span = max(e.lat for e in entries) - min(e.lat for e in entries)
            lon_span = max(e.lon for e in entries) - min(e.lon for e in entries)
            area = max(lat_span, 0.01) * max(lon_span, 0.01)
            self._cell_deg = min(0.05, max(0.001, math.sqrt(area / len(entries) * _POINTS_PER_CELL)))
        else:
            self._cell_deg = 0.05
        self._cells: dict[tuple[int, int], list[_Entry]] = defaultdict(list)
        for e in entries:
            self._cells[self._cell(e.lat, e.lon)].append(e)
        rows = [c[0] for c in self._cells] or [0]
        cols = [c[1] for c in self._cells] or [0]
        self._bounds = (min(rows), max(rows), min(cols), max(cols))
        self._all = [e for cell in self._cells.values() for e in cell]

    def __len__(self) -> int:
        return self._size

    def _cell(self, lat: float, lon: float) -> tuple[int, int]:
        return (math.floor(lat / self._cell_deg), math.floor(lon / self._cell_deg))

    def nearest(
        self, lat: float, lon: float, k: int, *, exclude: Sequence[str] = ()
    ) -> list[tuple[float, str]]:
        """The `k` nearest points as (approximate metres, key), nearest first."""
        if k <= 0 or not self._size:
            return []
        coslat = math.cos(math.radians(lat))
        row, col = self._cell(lat, lon)
        cell_m = math.radians(self._cell_deg) * _EARTH_RADIUS_M * min(1.0, coslat)
        skip = set(exclude)
        best: list[tuple[float, str]] = []  # a max-heap through negated distances

        def consider(entries: Iterable[_Entry]) -> None:
            for e in entries:
                if e.key in skip:
                    continue
                d = _fast_m(lat, lon, e.lat, e.lon, coslat)
                if len(best) < k:
                    heapq.heappush(best, (-d, e.key))
                elif d < -best[0][0]:
                    heapq.heapreplace(best, (-d, e.key))

        r0, r1, c0, c1 = self._bounds
        outside = max(r0 - row, row - r1, c0 - col, col - c1, 0)
        if outside > 8:
            consider(self._all)  # far from every point (outside Qingpu): a plain scan is simpler
            return sorted((-d, key) for d, key in best)
        max_ring = max(abs(row - r0), abs(row - r1), abs(col - c0), abs(col - c1))
        ring = 0
        while ring <= max_ring:
            for cell in _ring_cells(row, col, ring):
                consider(self._cells.get(cell, ()))
            # Whatever lies beyond this ring is at least ring * cell_m away.
            if len(best) >= k and -best[0][0] <= ring * cell_m:
                break
            ring += 1
        return sorted((-d, key) for d, key in best)


def _ring_cells(row: int, col: int, ring: int) -> Iterable[tuple[int, int]]:
    if ring == 0:
        yield (row, col)
        return
    for c in range(col - ring, col + ring + 1):
        yield (row - ring, c)
        yield (row + ring, c)
    for r in range(row - ring + 1, row + ring):
        yield (r, col - ring)
        yield (r, col + ring)
