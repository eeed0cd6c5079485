"""runlab.geo: haversine distances against closed-form values on the sphere; local east/north
metres and the distance from a point to a path."""

from __future__ import annotations

import math

import numpy as np
import pytest

from runlab.geo import (
    EARTH_RADIUS_M,
    distance_to_path_m,
    haversine_m,
    local_xy_m,
    step_distances_m,
)


def test_one_degree_of_latitude_is_r_times_radian():
    assert haversine_m(0.0, 0.0, 1.0, 0.0) == pytest.approx(EARTH_RADIUS_M * math.pi / 180, rel=1e-12)


def test_longitude_shrinks_with_cos_latitude():
    # a short east-west step at 60° N is half as long as at the equator
    eq = haversine_m(0.0, 10.0, 0.0, 10.001)
    north = haversine_m(60.0, 10.0, 60.0, 10.001)
    assert north / eq == pytest.approx(0.5, rel=1e-6)


def test_matches_spherical_law_of_cosines_and_is_symmetric():
    rng = np.random.default_rng(1)
    lat1, lat2 = rng.uniform(-80, 80, (2, 200))
    lon1, lon2 = rng.uniform(-180, 180, (2, 200))
    p1, p2 = np.radians(lat1), np.radians(lat2)
    cos_c = np.sin(p1) * np.sin(p2) + np.cos(p1) * np.cos(p2) * np.cos(np.radians(lon2 - lon1))
    ref = EARTH_RADIUS_M * np.arccos(np.clip(cos_c, -1, 1))
    got = haversine_m(lat1, lon1, lat2, lon2)
    np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-3)
    np.testing.assert_array_equal(got, haversine_m(lat2, lon2, lat1, lon1))


def test_antipodes_and_dateline():
    assert haversine_m(0, 0, 0, 180) == pytest.approx(math.pi * EARTH_RADIUS_M)
    assert haversine_m(0, 179.9999, 0, -179.9999) == pytest.approx(
        EARTH_RADIUS_M * math.radians(0.0002), rel=1e-9)


def test_step_distances_first_zero_nan_safe():
    lat = np.array([50.0, 50.0001, np.nan, 50.0003, 50.0004])
    lon = np.zeros(5)
    d = step_distances_m(lat, lon)
    step = EARTH_RADIUS_M * math.radians(0.0001)
    assert d[0] == 0.0
    assert d[1] == pytest.approx(step, rel=1e-9)
    assert np.isnan(d[2]) and np.isnan(d[3])
    assert d[4] == pytest.approx(step, rel=1e-6)
    assert np.nancumsum(d)[-1] == pytest.approx(2 * step, rel=1e-6)


def test_step_distances_accepts_lists_none_and_short_input():
    assert step_distances_m([], []).shape == (0,)
    np.testing.assert_array_equal(step_distances_m([1.0], [2.0]), [0.0])
    d = step_distances_m([1.0, None, 1.0], [2.0, 2.0, 2.0])
    assert d[0] == 0 and np.isnan(d[1]) and np.isnan(d[2])
    with pytest.raises(ValueError, match="lon_deg"):
        step_distances_m([1.0, 2.0], [1.0])


def test_local_metres_match_haversine_over_a_few_kilometres():
    lat = np.array([np.nan, 47.37, 47.38, 47.36])
    lon = np.array([np.nan, 8.54, 8.55, 8.52])
    xy = local_xy_m(lat, lon)
    assert np.isnan(xy[0]).all() and (xy[1] == 0).all()  # from the first fix
    d = np.hypot(*(xy[2:] - xy[1]).T)
    np.testing.assert_allclose(d, haversine_m(lat[1], lon[1], lat[2:], lon[2:]), rtol=2e-3)
    assert local_xy_m(np.full(2, np.nan), np.full(2, np.nan)).shape == (2, 2)


def test_distance_to_path_is_to_the_nearest_segment():
    path = np.array([[0.0, 0.0], [10.0, 0.0], [np.nan, np.nan], [10.0, 10.0]])
    assert distance_to_path_m(np.array([5.0, 3.0]), path) == pytest.approx(3.0)  # beside
    assert distance_to_path_m(np.array([-4.0, 3.0]), path) == pytest.approx(5.0)  # past an end
    assert distance_to_path_m(np.array([12.0, 6.0]), path) == pytest.approx(2.0)  # 2nd segment
    assert distance_to_path_m(np.array([1.0, 1.0]), path[:1]) == pytest.approx(math.sqrt(2))
    assert np.isnan(distance_to_path_m(np.array([np.nan, 0.0]), path))
    assert np.isnan(distance_to_path_m(np.array([0.0, 0.0]), path[2:3]))
