"""The ground an entry lands on: the site map tiled over the landing ellipse, and what a camera sees.

A guided entry lands anywhere in a ~7 x 7 km ellipse (Mars 2020: 7.7 x 6.6 km), and the lander
must then find a 60 m "pancake" within its divert reach wherever it came down, while the site
map (sim.terrain.SITE_TERRAIN: 1 km at 0.5 m, shared with fetch) is all the fine relief we can
afford to generate. So the landing plain is that map *repeated* (its relief is a periodic FFT
field; craters, dune ripples and rocks cut at the map's edges make small seams, which the
hazard map sees like any other feature): the heights, rocks and dunes under any point are the
site map's at that point modulo the period, for the plant's touchdown physics and the flight's
hazard map alike. `fetch_shift_m` re-centres the map on a touchdown point for the next phase.

What makes places distinguishable from the sky is a regional albedo field (dark sand, bright
dust, ejecta), not periodic on the scale of the ellipse (16 km period): together with the
relief's shading it is what the descent camera renders (sim.descent_camera) and what the
orbital map product holds (`orbital_map`: the same albedo and relief, under the sun of the
orbital images, at 8 m). Everything here is elementwise numpy or `math`: the same bytes on
any machine.
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import numpy as np

from fsw.gnc.site_select import periodic_height
from sim.terrain import Terrain, _spectral_field

ALBEDO_MEAN = 0.22


@dataclass(frozen=True)
class RegionParams:
    """The regional albedo: a k^-beta random field around a mean, at `albedo_res_m`."""

    albedo_cells: int = 1024
    albedo_res_m: float = 16.0          # 16.4 km period
    albedo_contrast: float = 0.28       # RMS fractional variation
    albedo_beta: float = 2.6            # spectral slope: features from ~50 m to km
    map_res_m: float = 8.0              # orbital map product (Mars 2020's LVS map: ~6 m, CTX)
    orbital_sun_elevation_deg: float = 45.0
    orbital_sun_azimuth_deg: float = 225.0   # from north towards east


def wrap_coord(v: np.ndarray | float, period: float) -> np.ndarray | float:
    """Into [-period/2, period/2)."""
    return v - period * np.floor(v / period + 0.5) if isinstance(v, np.ndarray) else \
        v - period * math.floor(v / period + 0.5)


def bilinear_periodic(grid: np.ndarray, res: float, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Bilinear samples of a periodic grid (row i north, column j east, cell centres at
    (j + 0.5) res - n res / 2): float64 arrays of any shape."""
    n0, n1 = grid.shape
    fx = x / res + (0.5 * n1 - 0.5)
    fy = y / res + (0.5 * n0 - 0.5)
    j0 = np.floor(fx)
    i0 = np.floor(fy)
    tx, ty = fx - j0, fy - i0
    j0 = j0.astype(np.int64) % n1
    i0 = i0.astype(np.int64) % n0
    j1, i1 = (j0 + 1) % n1, (i0 + 1) % n0
    g = grid
    top = g[i0, j0] * (1.0 - tx) + g[i0, j1] * tx
    bottom = g[i1, j0] * (1.0 - tx) + g[i1, j1] * tx
    return top * (1.0 - ty) + bottom * ty


def bilinear_periodic_grid(grid: np.ndarray, res: float, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """`bilinear_periodic(grid, res, *np.meshgrid(xs, ys))`, the very floats, for the points of
    a lattice (xs east, ys north: 1-D float64): the cells and weights of a column (a row) are
    worked out once for all of it, not once a point (a camera image, the orbital map)."""
    n0, n1 = grid.shape
    fx = xs / res + (0.5 * n1 - 0.5)
    fy = ys / res + (0.5 * n0 - 0.5)
    j0 = np.floor(fx)
    i0 = np.floor(fy)
    tx, ty = (fx - j0)[None, :], (fy - i0)[:, None]
    j0 = j0.astype(np.int64) % n1
    i0 = i0.astype(np.int64) % n0
    j1, i1 = (j0 + 1) % n1, (i0 + 1) % n0
    r0, r1 = grid[i0], grid[i1]
    top = r0[:, j0] * (1.0 - tx) + r0[:, j1] * tx
    bottom = r1[:, j0] * (1.0 - tx) + r1[:, j1] * tx
    return top * (1.0 - ty) + bottom * ty


class TiledTerrain:
    """The site map repeated with its own period: height, rocks and dunes at any point."""

    def __init__(self, tile: Terrain) -> None:
        self.tile = tile
        self.res = tile.res
        self.n = tile.n
        self.period_m = tile.n * tile.res
        self.half_extent_m = 0.5 * self.period_m
        self._h = tile.height_m

    def height_at(self, x_m: float, y_m: float) -> float:
        """Bilinear between cell centres, wrapping across the map's edges."""
        h = -self.half_extent_m
        return periodic_height(self._h, self.res, h, h, x_m, y_m)

    def cell_of(self, x_m: float, y_m: float) -> tuple[int, int]:
        j = math.floor((x_m + self.half_extent_m) / self.res)
        i = math.floor((y_m + self.half_extent_m) / self.res)
        return i % self.n, j % self.n

    def max_rock_under(self, x_m: float, y_m: float, radius_m: float) -> float:
        """Largest rock in the cells covering the square around a footprint of `radius_m`."""
        res, n = self.res, self.n
        j0 = math.floor((x_m - radius_m + self.half_extent_m) / res)
        j1 = math.floor((x_m + radius_m + self.half_extent_m) / res)
        i0 = math.floor((y_m - radius_m + self.half_extent_m) / res)
        i1 = math.floor((y_m + radius_m + self.half_extent_m) / res)
        rows = np.arange(i0, i1 + 1) % n
        cols = np.arange(j0, j1 + 1) % n
        return float(self.tile.max_rock_m[np.ix_(rows, cols)].max())

    def wrap_xy(self, x_m: float, y_m: float) -> tuple[float, float]:
        """The same point in the site map's own coordinates ([-half, half))."""
        return wrap_coord(x_m, self.period_m), wrap_coord(y_m, self.period_m)

    def coarse_heights(self, res_m: float) -> np.ndarray:
        """The tile's heights averaged over blocks of `res_m` (float64; periodic like the tile)."""
        f = int(round(res_m / self.res))
        if f < 1 or self.n % f:
            raise ValueError(f"{res_m} m is not a whole divisor of the {self.period_m} m map")
        m = self.n // f
        h = self._h.reshape(m, f, m, f)
        out = np.zeros((m, m))
        for a in range(f):          # fixed-order sums (no pairwise reduction), each cell made
            for b in range(f):      # float64 as it is added (not a float64 copy of the map first)
                out += h[:, a, :, b]
        return out / (f * f)


def shading(heights: np.ndarray, res: float, sun_elevation_deg: float, sun_azimuth_deg: float) -> np.ndarray:
    """Lambertian shading of a periodic height grid, 1 on flat ground (float64)."""
    gx = (np.roll(heights, -1, axis=1) - np.roll(heights, 1, axis=1)) / (2.0 * res)
    gy = (np.roll(heights, -1, axis=0) - np.roll(heights, 1, axis=0)) / (2.0 * res)
    el, az = math.radians(sun_elevation_deg), math.radians(sun_azimuth_deg)
    sx, sy, sz = math.cos(el) * math.sin(az), math.cos(el) * math.cos(az), math.sin(el)
    ndots = (-gx * sx - gy * sy + sz) / np.sqrt(gx * gx + gy * gy + 1.0)
    return np.maximum(ndots, 0.0) / sz


def _make_albedo(seed: int, params: RegionParams) -> np.ndarray:
    rng = np.random.default_rng([seed, 0xA1BE])
    field = _spectral_field(rng, params.albedo_cells, params.albedo_res_m, params.albedo_beta).astype(np.float64)
    return np.clip(ALBEDO_MEAN * (1.0 + params.albedo_contrast * field), 0.05, 0.5)


ALBEDO_CACHE_MIN_CELLS = 1024      # fields this large (a tenth of a second to make) are kept on disk


def regional_albedo(seed: int, params: RegionParams = RegionParams()) -> np.ndarray:
    """The albedo field of `seed` (float64, albedo_cells square): from the product cache
    (sim/product_cache.py: the array this code made, CRC-checked) or made (and kept there).
    Every landing process would otherwise make it again (~0.1 s of a ~2 s landing)."""
    from fsw.gnc import map_product
    from sim import product_cache
    if params.albedo_cells < ALBEDO_CACHE_MIN_CELLS:
        return _make_albedo(seed, params)
    what = repr((seed, params.albedo_cells, params.albedo_res_m, params.albedo_beta, params.albedo_contrast,
                 ALBEDO_MEAN))
    name = f"albedo-{hashlib.sha256(what.encode()).hexdigest()[:16]}{map_product.SUFFIX}"
    made: list[np.ndarray] = []

    def make(path) -> None:
        made.append(_make_albedo(seed, params))
        map_product.write(path, {"albedo": made[0]}, {"albedo": what})
    path = product_cache.entry(name, make)
    if made or path is None:
        return made[0] if made else _make_albedo(seed, params)
    try:
        product = map_product.read(path)
        if product.meta.get("albedo") != what:
            raise map_product.MapProductError(f"{path}: another albedo")
        return product.array("albedo")
    except (map_product.MapProductError, OSError):
        return _make_albedo(seed, params)


class LandingWorld:
    """The tiled site terrain and the regional albedo over it (one per site seed)."""

    def __init__(self, tile: Terrain, seed: int, params: RegionParams = RegionParams()) -> None:
        self.terrain = TiledTerrain(tile)
        self.params = params
        self.albedo = regional_albedo(int(seed), params)
        self.albedo_period_m = params.albedo_cells * params.albedo_res_m
        if abs(self.albedo_period_m / self.terrain.period_m - round(self.albedo_period_m / self.terrain.period_m)) > 1e-9:
            raise ValueError("the albedo period must be a whole number of site-map periods")
        self.shade_res_m = params.map_res_m
        self.coarse_h = self.terrain.coarse_heights(self.shade_res_m)
        self._shade_cache: dict[tuple[float, float], np.ndarray] = {}

    def shade(self, sun_elevation_deg: float, sun_azimuth_deg: float) -> np.ndarray:
        key = (float(sun_elevation_deg), float(sun_azimuth_deg))
        if key not in self._shade_cache:
            self._shade_cache[key] = shading(self.coarse_h, self.shade_res_m, *key)
        return self._shade_cache[key]

    def radiance(self, x: np.ndarray, y: np.ndarray, sun_elevation_deg: float, sun_azimuth_deg: float) -> np.ndarray:
        """Albedo times shading at ground points (local metres; both fields wrap)."""
        a = bilinear_periodic(self.albedo, self.params.albedo_res_m, x, y)
        s = bilinear_periodic(self.shade(sun_elevation_deg, sun_azimuth_deg), self.shade_res_m, x, y)
        return a * s

    def radiance_grid(self, xs: np.ndarray, ys: np.ndarray, sun_elevation_deg: float,
                      sun_azimuth_deg: float) -> np.ndarray:
        """`radiance` at the lattice of xs (east) and ys (north), rows north: the same floats."""
        a = bilinear_periodic_grid(self.albedo, self.params.albedo_res_m, xs, ys)
        s = bilinear_periodic_grid(self.shade(sun_elevation_deg, sun_azimuth_deg), self.shade_res_m, xs, ys)
        return a * s

    def orbital_map(self) -> np.ndarray:
        """The orbital map product: radiance under the orbital sun at `map_res_m` over one albedo
        period, 8-bit (row i north, column j east, centred on the site)."""
        p = self.params
        n = int(round(self.albedo_period_m / p.map_res_m))
        c = (np.arange(n, dtype=np.float64) + 0.5) * p.map_res_m - 0.5 * n * p.map_res_m
        out = np.empty((n, n), dtype=np.uint8)
        rows = 256
        for i0 in range(0, n, rows):     # in bands of rows: a 2048^2 float64 temporary is 32 MB each
            rad = self.radiance_grid(c, c[i0:i0 + rows], p.orbital_sun_elevation_deg, p.orbital_sun_azimuth_deg)
            out[i0:i0 + rows] = np.clip(np.rint(rad * (110.0 / ALBEDO_MEAN)), 0, 255)
        return out


def fetch_shift_m(touchdown_xy: tuple[float, float], period_m: float, res_m: float) -> tuple[float, float]:
    """The shift (whole cells) that brings a touchdown point near the middle of the site map."""
    def one(v: float) -> float:
        w = wrap_coord(v, period_m)
        return float(math.floor(w / res_m + 0.5) * res_m)
    return one(touchdown_xy[0]), one(touchdown_xy[1])


__all__ = ["ALBEDO_MEAN", "LandingWorld", "RegionParams", "TiledTerrain", "bilinear_periodic",
           "bilinear_periodic_grid", "fetch_shift_m", "shading", "wrap_coord"]
