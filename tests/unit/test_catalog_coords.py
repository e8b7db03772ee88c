"""GCJ-02 and WGS-84: staff copy positions from Chinese map apps, residents' phones send WGS-84."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services_catalog.coords import (
    QINGPU_BBOX,
    gcj02_to_wgs84,
    haversine_m,
    in_china,
    in_qingpu,
    wgs84_to_gcj02,
)

# Published test vectors of eviltransform (googollee/eviltransform): (WGS-84, GCJ-02).
VECTORS = [
    ((31.1774276, 121.5272106), (31.17530398364597, 121.531541859215)),  # Shanghai
    ((22.543847, 113.912316), (22.540796131694766, 113.9171764808363)),  # Shenzhen
    ((39.911954, 116.377817), (39.91334545536069, 116.38404722455657)),  # Beijing
]
FENCE = Path("/work/shared/data/raw/vonng-adcode/fence_310118.json")


@pytest.mark.parametrize(("wgs", "gcj"), VECTORS)
def test_wgs84_to_gcj02_matches_the_published_vectors(
    wgs: tuple[float, float], gcj: tuple[float, float]
) -> None:
    """The forward offset is the standard one."""
    assert wgs84_to_gcj02(*wgs) == pytest.approx(gcj, abs=1e-9)


@pytest.mark.parametrize(("wgs", "gcj"), VECTORS)
def test_a_known_gcj02_point_converts_to_its_wgs84_position_within_a_metre(
    wgs: tuple[float, float], gcj: tuple[float, float]
) -> None:
    """The inverse lands well under a metre from the true WGS-84 point."""
    lat, lon = gcj02_to_wgs84(*gcj)
    assert haversine_m(lat, lon, *wgs) < 0.01


def test_points_outside_china_are_left_alone() -> None:
    """GCJ-02 is only defined in China; elsewhere both systems agree."""
    assert gcj02_to_wgs84(51.5, -0.12) == (51.5, -0.12)
    assert wgs84_to_gcj02(51.5, -0.12) == (51.5, -0.12)


def test_haversine_measures_a_degree_of_latitude_as_about_111_km() -> None:
    """One degree along a meridian is 111.195 km on the mean-radius sphere; a point is 0 m from itself."""
    assert haversine_m(31.0, 121.0, 32.0, 121.0) == pytest.approx(111195.1, abs=1)
    assert haversine_m(31.1, 121.1, 31.1, 121.1) == 0


def test_qingpu_box_contains_the_district_and_not_the_city_centre() -> None:
    """Zhujiajiao is in; People's Square (黄浦区) and Beijing are not."""
    assert in_qingpu(31.109, 121.050)
    assert not in_qingpu(31.2304, 121.4737)
    assert not in_qingpu(39.9, 116.4)
    assert in_china(39.9, 116.4) and not in_china(51.5, -0.12)


@pytest.mark.skipif(not FENCE.exists(), reason="the shared raw data is not on this machine")
def test_qingpu_box_covers_every_vertex_of_the_district_boundary() -> None:
    """The constants were derived from the district polygon; every vertex lies inside the padded box."""
    ring = json.loads(FENCE.read_text())["coordinates"][0]
    assert all(in_qingpu(*gcj02_to_wgs84(lat, lon)) for lon, lat in ring)
    min_lat, min_lon, max_lat, max_lon = QINGPU_BBOX
    assert max_lat - min_lat < 0.5 and max_lon - min_lon < 0.6
