"""Terrain-relative navigation (fsw.gnc.trn) on images the simulator's camera renders
(sim.descent_camera) over a small landing plain: from kilometres of prior error to metres,
refusal of an image that is not on the map, and the integer correlation's exactness."""
import math

import numpy as np
import pytest

from fsw.gnc.trn import CameraModel, OrbitalMap, TrnSettings, localise, map_boxes, ncc
from sim.descent_camera import CameraParams, render
from sim.landing_world import LandingWorld, RegionParams
from sim.terrain import TerrainParams, generate

CAM = CameraParams()
MODEL = CameraModel(CAM.pixels, CAM.fov_deg)
REGION = RegionParams(albedo_cells=512)          # an 8 km plain (the scenario's is 16 km)


@pytest.fixture(scope="module")
def world():
    tile = generate(TerrainParams(n_cells=512, resolution_m=0.5, crater_density_per_km2=25.0, depots=()), seed=4)
    w = LandingWorld(tile, seed=4, params=REGION)
    return w, OrbitalMap(w.orbital_map(), w.params.map_res_m)


@pytest.mark.parametrize("true_xy,height,nav_error,search,tol", [
    ((1800.0, -950.0), 4200.0, (-1300.0, 700.0), 3000.0, 15.0),    # first image: km of prior error
    ((-3200.0, 2500.0), 2300.0, (12.0, -9.0), 40.0, 6.0),          # tracking: metres
])
def test_an_image_is_placed_on_the_map(world, true_xy, height, nav_error, search, tol):
    w, omap = world
    rng = np.random.default_rng(7)
    look = (0.02, -0.015)                                          # the backshell swings; the IMU says how
    img = render(w, true_xy[0], true_xy[1], height, look, CAM, rng)
    nav = (true_xy[0] + nav_error[0], true_xy[1] + nav_error[1])
    fix = localise(img, look, nav, height, MODEL, omap, search)
    assert fix.ok, fix.reason
    assert math.hypot(nav[0] + fix.dx_m - true_xy[0], nav[1] + fix.dy_m - true_xy[1]) < tol
    assert fix.landmarks >= TrnSettings().min_landmarks and fix.sigma_m < tol


def test_an_image_of_somewhere_else_is_refused(world):
    w, _ = world
    other = LandingWorld(w.terrain.tile, seed=99, params=REGION)   # same relief, other albedo
    omap = OrbitalMap(other.orbital_map(), other.params.map_res_m)
    img = render(w, 500.0, 500.0, 4000.0, (0.0, 0.0), CAM, np.random.default_rng(1))
    fix = localise(img, (0.0, 0.0), (500.0, 500.0), 4000.0, MODEL, omap, 3000.0)
    assert not fix.ok and fix.reason


def test_a_blank_image_is_refused(world):
    _, omap = world
    flat = np.full((CAM.pixels, CAM.pixels), 100, dtype=np.uint8)
    assert not localise(flat, (0.0, 0.0), (0.0, 0.0), 3000.0, MODEL, omap, 2000.0).ok
    assert not localise(flat[:10], (0.0, 0.0), (0.0, 0.0), 3000.0, MODEL, omap, 2000.0).ok


def test_correlation_is_exact_and_map_boxes_are_means(world):
    rng = np.random.default_rng(3)
    t = rng.integers(0, 256, (7, 7)).astype(np.int64)
    s = rng.integers(0, 256, (15, 15)).astype(np.int64)
    c = ncc(t, s)
    for i, j in ((0, 0), (4, 5), (8, 8)):
        ref = np.corrcoef(t.ravel().astype(float), s[i:i + 7, j:j + 7].ravel().astype(float))[0, 1]
        assert c[i, j] == pytest.approx(ref, abs=1e-12)
    _, omap = world
    boxes = map_boxes(omap, 100.0, -200.0, 24.0, 3, 2)
    n, res = omap.n, omap.res_m
    j0 = int(math.floor((100.0 - 12.0 + 0.5 * n * res) / res + 0.5))
    i0 = int(math.floor((-200.0 - 12.0 + 0.5 * n * res) / res + 0.5))
    assert boxes[0, 0] == int(omap.image[i0:i0 + 3, j0:j0 + 3].astype(np.int64).sum()) // 9
