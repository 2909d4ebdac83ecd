"""Seeded synthetic Jezero-like terrain: heights, slopes, dunes, craters, rocks and tube depots.

Local frame: x east, y north, z up (m), origin at the map centre; cell (i, j) is row i (north)
and column j (east), its height sampled at the cell centre. Everything is vectorised so a
4096 x 4096 map at 0.5 m generates in seconds: spectral (FFT) synthesis for the fractal relief
and the dune-field mask, one bounding-box stamp per crater (there are few), and the rock
raster by `np.maximum.at` over millions of rocks at once. The maps reach the landing and fetch
telemetry, so they use numpy's elementwise IEEE arithmetic and sorting, the project's own FFT
(`fsw.numerics.fft`: numpy's pocketfft gave another height map on aarch64) and the C
library's exp/pow/sin/atan through `fsw.numerics.elementwise`, never numpy's SIMD
transcendental loops (docs/determinism.md).

Depots: `layout_depot` lays a depot the way Perseverance would, a zig-zag of tubes 5-15 m
apart on drivable ground that a rover can reach from the lander (the caller says what is
drivable: that is the rover's business, not the terrain's).

Rocks follow the Golombek & Rapp (1997) model used for Mars landing-site certification: the
cumulative fractional area covered by rocks of diameter >= D is F(D) = k exp(-q D),
q = 1.79 + 0.152 / k, so the number density is n(D) = (4 k q / pi) exp(-q D) / D^2.
"""
from __future__ import annotations

import functools
import hashlib
import math
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

import numpy as np

from fsw.numerics import elementwise
from fsw.numerics.fft import irfft2
from sim.scenario_params import ScenarioParam, defaults

LANDING_ROCK_LIMIT_M = 0.19  # MSR_FACTS.md: no rocks larger than 19 cm in the landing disc


@dataclass(frozen=True)
class DepotParams:
    """A tube depot: tubes laid in a zig-zag with a given spacing (MSR_FACTS.md example)."""

    origin_m: tuple[float, float] = (40.0, -30.0)
    heading_rad: float = 0.3
    n_tubes: int = 10
    spacing_m: float = 8.0          # 5-15 m apart in the published example
    zigzag_offset_m: float = 3.0
    first_tube_id: int = 1


@dataclass(frozen=True)
class TerrainParams:
    """Everything that shapes a synthetic map; defaults give a campaign-size Jezero-like plain."""

    n_cells: int = 1024
    resolution_m: float = 0.5
    relief_rms_10m_m: float = 0.35          # RMS height difference of points 10 m apart
    hurst: float = 0.8                      # fractal roughness exponent (0.5-0.9 typical)
    crater_density_per_km2: float = 60.0
    crater_diameter_range_m: tuple[float, float] = (3.0, 60.0)
    crater_sfd_exponent: float = 2.0        # cumulative N(>D) ~ D^-exponent
    dune_fraction: float = 0.08
    dune_wavelength_m: float = 15.0
    dune_height_m: float = 1.2
    dune_azimuth_rad: float = 0.6
    rock_k: float = 0.05                    # Golombek cumulative fractional area, rocky patches
    rock_diameter_range_m: tuple[float, float] = (0.10, 1.0)
    # Rocks cluster: full abundance on rocky patches, a thin background elsewhere, so that
    # 60 m landing discs free of 19 cm rocks exist (about 1 in 10 disc centres at 4096^2).
    rocky_fraction: float = 0.25            # share of the map that is rocky at full abundance
    rock_background_keep: float = 5e-5      # share of rocks kept on the smooth plains
    rock_patch_scale_m: float = 250.0
    keep_clear_radius_m: float = 0.0        # optional rock-free disc at the origin (tests)
    # The same map re-centred on (x, y) of itself, wrapping round (whole cells): the landing
    # plain repeats the site map (sim.landing_world), and the next phase wants the map around
    # wherever the lander came down.
    shift_m: tuple[float, float] = (0.0, 0.0)
    depots: tuple[DepotParams, ...] = field(default_factory=lambda: (DepotParams(),))


class TerrainError(ValueError):
    """Bad terrain parameters."""


# The landing site's map, shared by the campaign's surface phases (landing, fetch) so both fly
# the very same terrain: 1 km x 1 km at 0.5 m around the targeted landing point. A certified
# landing region is benign: fewer craters, rock patches and dunes than the campaign-wide
# TerrainParams defaults (with those, a 60 m disc is safe on ~1% of the map). Scenario
# overrides of these names, plus `terrain_seed`, select the map.
SITE_TERRAIN_PARAMS = (
    ScenarioParam("n_cells", 2048, int, 1024, 4096, doc="map side in cells (the lander's 300 m approach "
                                                         "and the rover's 400 m window must fit)"),
    ScenarioParam("resolution_m", 0.5, float, 0.25, 1.0, doc="cell size; hazard maps are built for 0.5 m"),
    ScenarioParam("crater_density_per_km2", 25.0, float, 0.0, 500.0),
    ScenarioParam("rocky_fraction", 0.2, float, 0.0, 1.0),
    ScenarioParam("dune_fraction", 0.05, float, 0.0, 0.9),
    ScenarioParam("shift_x_m", 0.0, float, -1e6, 1e6, doc="re-centre the map (wrapping round) on this point: "
                                                           "the fetch phase's map centred on the lander"),
    ScenarioParam("shift_y_m", 0.0, float, -1e6, 1e6),
)
SITE_TERRAIN: dict[str, float | int] = defaults(SITE_TERRAIN_PARAMS)


def site_terrain_params(settings: dict) -> TerrainParams:
    """TerrainParams from the SITE_TERRAIN keys of `settings` (scenario overrides), no depot."""
    try:
        return TerrainParams(n_cells=int(settings["n_cells"]), resolution_m=float(settings["resolution_m"]),
                             crater_density_per_km2=float(settings["crater_density_per_km2"]),
                             rocky_fraction=float(settings["rocky_fraction"]),
                             dune_fraction=float(settings["dune_fraction"]), depots=(),
                             shift_m=(float(settings.get("shift_x_m", 0.0)), float(settings.get("shift_y_m", 0.0))))
    except (KeyError, TypeError, ValueError) as exc:
        raise TerrainError(f"bad terrain settings: {exc}") from None


@dataclass(frozen=True)
class Tube:
    tube_id: int
    x_m: float
    y_m: float
    witness: bool = False


class Terrain:
    """A generated map. Arrays are float32 and (n_cells, n_cells); queries accept metres."""

    def __init__(self, params: TerrainParams, height_m: np.ndarray, dune_mask: np.ndarray,
                 rocks_xy_m: np.ndarray, rocks_d_m: np.ndarray, craters: np.ndarray, tubes: tuple[Tube, ...]):
        # `tubes` is a plain attribute: a depot laid after generation (layout_depot) replaces it.
        self.params = params
        self.height_m = height_m
        self.dune_mask = dune_mask
        self.rocks_xy_m = rocks_xy_m
        self.rocks_d_m = rocks_d_m
        self.craters = craters          # (N, 3): x, y, diameter (m)
        self.tubes = tubes
        self.res = params.resolution_m
        self.n = params.n_cells
        self.half_extent_m = 0.5 * self.n * self.res

    # --- derived rasters ---------------------------------------------------------------------
    @cached_property
    def slope_deg(self) -> np.ndarray:
        gy, gx = np.gradient(self.height_m, self.res)
        g = np.sqrt(gx * gx + gy * gy, dtype=np.float64)
        return (elementwise(math.atan, g) * (180.0 / math.pi)).astype(np.float32)

    @cached_property
    def max_rock_m(self) -> np.ndarray:
        """Largest rock diameter touching each cell (0 where none), float32."""
        return rasterise_rocks(self.rocks_xy_m, self.rocks_d_m, self.n, self.res)

    # --- coordinate helpers ------------------------------------------------------------------
    def cell_of(self, x_m: float, y_m: float) -> tuple[int, int]:
        j = int(math.floor((x_m + self.half_extent_m) / self.res))
        i = int(math.floor((y_m + self.half_extent_m) / self.res))
        return min(max(i, 0), self.n - 1), min(max(j, 0), self.n - 1)

    def dune_at(self, x_m: float, y_m: float) -> bool:
        """Whether the cell under (x, y) is dune sand (`dune_mask[cell_of(x, y)]`), asked
        every physics step of a rover: `cell_of` written out, its clamps as conditionals."""
        top = self.n - 1
        j = int(math.floor((x_m + self.half_extent_m) / self.res))
        i = int(math.floor((y_m + self.half_extent_m) / self.res))
        i = 0 if 0 > i else i
        i = top if top < i else i
        j = 0 if 0 > j else j
        j = top if top < j else j
        rows = self._dune_rows
        row = rows.get(i)
        if row is None:
            if len(rows) >= 1024:
                rows.clear()
            row = rows[i] = self.dune_mask[i].tolist()
        return row[j]

    @cached_property
    def _dune_rows(self) -> dict[int, list[bool]]:
        return {}

    def contains(self, x_m: float, y_m: float) -> bool:
        h = self.half_extent_m
        return -h <= x_m < h and -h <= y_m < h

    def height_at(self, x_m: float, y_m: float) -> float:
        """Bilinear height between cell centres (clamped at the map edge)."""
        fx = (x_m + self.half_extent_m) / self.res - 0.5
        fy = (y_m + self.half_extent_m) / self.res - 0.5
        top = self.n - 1 - 1e-9
        # min(max(f, 0.0), top) written as conditionals (the same choices, NaN and -0.0
        # included: max keeps f unless 0.0 > f, min keeps it unless top < it)
        fx = 0.0 if 0.0 > fx else fx
        fx = top if top < fx else fx
        fy = 0.0 if 0.0 > fy else fy
        fy = top if top < fy else fy
        j, i = int(fx), int(fy)
        tx, ty = fx - j, fy - i
        rows = self._height_rows
        r0 = rows.get(i)
        if r0 is None:
            r0 = self._height_row(i)
        r1 = rows.get(i + 1)
        if r1 is None:
            r1 = self._height_row(i + 1)
        h00, h01 = r0[j], r0[j + 1]
        h10, h11 = r1[j], r1[j + 1]
        return (h00 * (1 - tx) + h01 * tx) * (1 - ty) + (h10 * (1 - tx) + h11 * tx) * ty

    @cached_property
    def _height_rows(self) -> dict[int, list[float]]:
        return {}

    def _height_row(self, i: int) -> list[float]:
        """Row i of the height map as Python floats (the values `float(height_m[i, j])`
        gives), kept for the next queries: a rover or an altimeter beam keeps to a few rows,
        and a list index costs a fraction of a numpy element access. The map is read-only
        once built."""
        rows = self._height_rows
        if len(rows) >= 1024:
            rows.clear()
        row = rows[i] = self.height_m[i].tolist()
        return row

    _last_gradient: tuple[float, float, tuple[float, float]] = (math.nan, math.nan, (math.nan, math.nan))

    def gradient_at(self, x_m: float, y_m: float) -> tuple[float, float]:
        """(dh/dx, dh/dy) by central difference of the bilinear surface over one cell. The
        last one is kept: a rover's IMU, camera and next physics step ask at the same point.

        The four `height_at` calls written out (a rover asks every physics step): the two
        points beside (x, y) in x share its y, so their row coordinate, rows and weight are
        computed once, and likewise the column of the two in y; every height is the same
        expression as `height_at`'s on the same operands (tests/numerics/test_same_bits.py)."""
        lx, ly, g = self._last_gradient
        if x_m == lx and y_m == ly:         # equal floats give the very same result
            return g
        d = self.res
        half = self.half_extent_m
        top = self.n - 1 - 1e-9
        rows = self._height_rows
        # the columns of x - d, x, x + d and the rows of y - d, y, y + d
        fxl = (x_m - d + half) / d - 0.5
        fx = (x_m + half) / d - 0.5
        fxr = (x_m + d + half) / d - 0.5
        fyb = (y_m - d + half) / d - 0.5
        fy = (y_m + half) / d - 0.5
        fyt = (y_m + d + half) / d - 0.5
        if not (0.0 <= fxl and fxr <= top and 0.0 <= fyb and fyt <= top):
            # near the map's edge (or NaN): height_at's clamps, one by one. Inside they change
            # nothing: an axis's three coordinates are in order (IEEE arithmetic is monotonic).
            fxl, fx, fxr, fyb, fy, fyt = (_clamped(f, top) for f in (fxl, fx, fxr, fyb, fy, fyt))
        # along x, on row fy: heights at x + d and x - d (each weight's complement made once:
        # the same operation on the same operands as height_at's repeated `1 - t`)
        i = int(fy)
        ty = fy - i
        uy = 1 - ty
        r0 = rows.get(i) or self._height_row(i)            # a row is never empty
        r1 = rows.get(i + 1) or self._height_row(i + 1)
        j = int(fxr)
        tx = fxr - j
        ux = 1 - tx
        h_r = (r0[j] * ux + r0[j + 1] * tx) * uy + (r1[j] * ux + r1[j + 1] * tx) * ty
        j = int(fxl)
        tx = fxl - j
        ux = 1 - tx
        h_l = (r0[j] * ux + r0[j + 1] * tx) * uy + (r1[j] * ux + r1[j + 1] * tx) * ty
        # along y, on column fx: heights at y + d and y - d
        j = int(fx)
        tx = fx - j
        ux = 1 - tx
        k = j + 1
        i = int(fyt)
        ty = fyt - i
        r0 = rows.get(i) or self._height_row(i)            # a row is never empty
        r1 = rows.get(i + 1) or self._height_row(i + 1)
        h_t = (r0[j] * ux + r0[k] * tx) * (1 - ty) + (r1[j] * ux + r1[k] * tx) * ty
        i = int(fyb)
        ty = fyb - i
        r0 = rows.get(i) or self._height_row(i)            # a row is never empty
        r1 = rows.get(i + 1) or self._height_row(i + 1)
        h_b = (r0[j] * ux + r0[k] * tx) * (1 - ty) + (r1[j] * ux + r1[k] * tx) * ty
        g = ((h_r - h_l) / (2 * d), (h_t - h_b) / (2 * d))
        self._last_gradient = (x_m, y_m, g)
        return g


def _clamped(f: float, top: float) -> float:
    """min(max(f, 0.0), top) as `height_at` writes it (the same choices, NaN and -0.0 included)."""
    f = 0.0 if 0.0 > f else f
    return top if top < f else f


# --- generation --------------------------------------------------------------------------------

@functools.lru_cache(maxsize=8)
def _spectral_amplitude(n: int, res: float, beta: float) -> np.ndarray:
    """|k|^(-beta/2) on the half spectrum (n, n // 2 + 1), float32, 0 at k = 0; read-only,
    computed once per grid (the same for every map of this size).

    |k|^2 is kx^2 + ky^2 in float32 with kx, ky as `np.fft.rfftfreq`/`fftfreq` give them;
    it depends on |ky| and is symmetric in (|kx|, |ky|), so the C library's pow runs on one
    triangle of the first n // 2 + 1 rows (an eighth of the cells), the rest is copied."""
    h = n // 2
    f = (np.arange(h + 1) * (1.0 / (n * res))).astype(np.float32)
    sq = f * f
    i, j = np.triu_indices(h + 1)
    k2 = sq[j] + sq[i]                                  # kx^2 + ky^2, as the full grid sums it
    k2[0] = np.inf                                      # k = 0: no mean
    tri = elementwise(lambda k: k ** (-beta / 4.0), k2, dtype=np.float32)   # not numpy's SIMD power
    block = np.empty((h + 1, h + 1), dtype=np.float32)
    block[i, j] = tri
    block[j, i] = tri
    rows = np.arange(n)
    amp = block[np.minimum(rows, n - rows)]            # row i and row n - i: the same |ky|
    amp.flags.writeable = False
    return amp


def _spectral_field(rng: np.random.Generator, n: int, res: float, beta: float) -> np.ndarray:
    """Gaussian random field with power spectrum ~ k^-beta, zero mean, unit RMS (float32).

    The inverse transform is `fsw.numerics.fft.irfft2` (numpy's pocketfft gave another field
    on aarch64); the mean and RMS are numpy's float64 sums, a fixed pairwise order of adds."""
    amp = _spectral_amplitude(n, res, beta)
    re = rng.standard_normal(amp.shape, dtype=np.float32) * amp    # real products, no complex loop
    im = rng.standard_normal(amp.shape, dtype=np.float32) * amp
    f = irfft2(re, im, (n, n), np.float32)
    del re, im
    f -= f.mean(dtype=np.float64)
    rms = float(np.sqrt(np.mean(f * f, dtype=np.float64)))
    return f / np.float32(rms) if rms > 0 else f


def _smooth_field(rng: np.random.Generator, n: int, res: float, feature_m: float) -> np.ndarray:
    """Smooth unit-RMS field with features of about `feature_m`, synthesised coarse and upsampled.

    Large-scale masks (dune fields, rocky patches) need no metre detail, so they are built on
    a grid about 8 cells per feature and bilinearly interpolated: far cheaper at 4096^2.
    """
    step = max(1, int(feature_m / (8.0 * res)))
    nc = max(8, -(-n // step) + 1)
    coarse = _spectral_field(rng, nc, res * step, 4.0)
    pos = np.minimum((np.arange(n, dtype=np.float32) + 0.5) / step, nc - 1.001)
    i0 = pos.astype(np.int64)
    t = (pos - i0).astype(np.float32)
    rows = coarse[i0] * (1 - t)[:, None] + coarse[i0 + 1] * t[:, None]
    return rows[:, i0] * (1 - t)[None, :] + rows[:, i0 + 1] * t[None, :]


def _craters(rng: np.random.Generator, p: TerrainParams, height: np.ndarray) -> np.ndarray:
    n, res = p.n_cells, p.resolution_m
    area_km2 = (n * res / 1000.0) ** 2
    count = int(rng.poisson(p.crater_density_per_km2 * area_km2))
    dmin, dmax = p.crater_diameter_range_m
    a = p.crater_sfd_exponent
    u = rng.random(count)
    # Inverse CDF of a truncated power law N(>D) ~ D^-a.
    d = elementwise(lambda v: v ** (-1.0 / a), dmin ** -a - u * (dmin ** -a - dmax ** -a))
    half = 0.5 * n * res
    xy = rng.uniform(-half, half, size=(count, 2))
    for (cx, cy), dia in zip(xy, d):
        radius = 0.5 * dia
        reach = 1.6 * radius
        j0 = max(int((cx - reach + half) / res), 0); j1 = min(int((cx + reach + half) / res) + 1, n)
        i0 = max(int((cy - reach + half) / res), 0); i1 = min(int((cy + reach + half) / res) + 1, n)
        if j0 >= j1 or i0 >= i1:
            continue
        xs = (np.arange(j0, j1) + 0.5) * res - half - cx
        ys = (np.arange(i0, i1) + 0.5) * res - half - cy
        r = np.sqrt(xs[None, :] * xs[None, :] + ys[:, None] * ys[:, None]) / radius
        depth = 0.2 * dia
        rim = 0.04 * dia
        q = (r - 1.0) / 0.25
        bowl = np.where(r < 1.0, depth * (r * r - 1.0) + rim, rim * elementwise(math.exp, -(q * q)))
        height[i0:i1, j0:j1] += bowl.astype(height.dtype)
    return np.column_stack((xy, d)) if count else np.zeros((0, 3))


def rock_number_density(d_m: np.ndarray, k: float) -> np.ndarray:
    """Golombek-Rapp differential number density n(D) per m^2 per m of diameter."""
    q = 1.79 + 0.152 / k
    return (4.0 * k * q / math.pi) * elementwise(math.exp, -q * np.asarray(d_m, dtype=np.float64)) / (d_m * d_m)


def _rock_diameters(rng: np.random.Generator, p: TerrainParams, count: int) -> np.ndarray:
    """Diameters drawn from n(D) on [dmin, dmax] by inverse CDF on a fine table."""
    dmin, dmax = p.rock_diameter_range_m
    grid = np.linspace(dmin, dmax, 4097)
    dens = rock_number_density(grid, p.rock_k)
    cum = np.concatenate(([0.0], np.cumsum(0.5 * (dens[1:] + dens[:-1]) * np.diff(grid))))
    x = rng.random(count) * cum[-1]
    # np.interp by hand: its compiled a + s (x - xp) may fuse into an FMA on some CPUs
    k = np.clip(np.searchsorted(cum, x, side="right") - 1, 0, len(cum) - 2)
    t = (x - cum[k]) / (cum[k + 1] - cum[k])
    return (grid[k] + t * (grid[k + 1] - grid[k])).astype(np.float32)


def rocks_per_m2(p: TerrainParams) -> float:
    """Rocks per square metre at full abundance, over the configured diameter range."""
    dmin, dmax = p.rock_diameter_range_m
    grid = np.linspace(dmin, dmax, 4097)
    dens = rock_number_density(grid, p.rock_k)
    return float(np.sum(0.5 * (dens[1:] + dens[:-1]) * np.diff(grid)))


def _rocks(rng: np.random.Generator, p: TerrainParams, rocky: np.ndarray,
           dune_mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rocks at full abundance on rocky non-dune cells, thinned to a background elsewhere.

    Only the rocks that survive are drawn (a Poisson count per region), so a 4096^2 map
    costs a million draws rather than four.
    """
    n, res = p.n_cells, p.resolution_m
    half = 0.5 * n * res
    rho = rocks_per_m2(p)
    cells = np.flatnonzero(rocky & ~dune_mask)
    n_rocky = int(rng.poisson(rho * res * res * len(cells))) if len(cells) else 0
    pick = cells[rng.integers(0, len(cells), n_rocky)] if n_rocky else np.zeros(0, np.int64)
    i, j = np.divmod(pick, n)
    x = (j + rng.random(n_rocky)) * res - half
    y = (i + rng.random(n_rocky)) * res - half
    # Background: uniform over the map at the thinned density, kept off rocks and sand.
    n_bg = int(rng.poisson(rho * p.rock_background_keep * (n * res) ** 2))
    bx = rng.uniform(-half, half, n_bg)
    by = rng.uniform(-half, half, n_bg)
    bi = np.clip(((by + half) / res).astype(np.int64), 0, n - 1)
    bj = np.clip(((bx + half) / res).astype(np.int64), 0, n - 1)
    ok = ~rocky[bi, bj] & ~dune_mask[bi, bj]
    xy = np.column_stack((np.concatenate((x, bx[ok])), np.concatenate((y, by[ok])))).astype(np.float32)
    return xy, _rock_diameters(rng, p, len(xy))


def rasterise_rocks(xy: np.ndarray, d: np.ndarray, n: int, res: float) -> np.ndarray:
    """Max rock diameter per cell; a rock marks every cell its disc overlaps (vectorised)."""
    out = np.zeros((n, n), dtype=np.float32)
    if len(d) == 0:
        return out
    half = 0.5 * n * res
    fx = (xy[:, 0].astype(np.float64) + half) / res
    fy = (xy[:, 1].astype(np.float64) + half) / res
    j = np.floor(fx).astype(np.int64)
    i = np.floor(fy).astype(np.int64)
    reach = int(math.ceil(float(d.max()) / 2.0 / res))
    for di in range(-reach, reach + 1):
        for dj in range(-reach, reach + 1):
            if di == 0 and dj == 0:
                sel = np.ones(len(d), dtype=bool)
            else:
                # Distance from the rock centre to the nearest point of the neighbour cell.
                ex = np.clip(fx, j + dj, j + dj + 1) - fx
                ey = np.clip(fy, i + di, i + di + 1) - fy
                sel = (ex * ex + ey * ey) * res * res < (0.5 * d.astype(np.float64)) ** 2
            ii, jj = i[sel] + di, j[sel] + dj
            ok = (ii >= 0) & (ii < n) & (jj >= 0) & (jj < n)
            np.maximum.at(out, (ii[ok], jj[ok]), d[sel][ok])
    return out


def _depot_tubes(depots: tuple[DepotParams, ...]) -> tuple[Tube, ...]:
    tubes: list[Tube] = []
    for dp in depots:
        c, s = math.cos(dp.heading_rad), math.sin(dp.heading_rad)
        for k in range(dp.n_tubes):
            along = k * dp.spacing_m
            side = dp.zigzag_offset_m * (1 if k % 2 else -1)
            tubes.append(Tube(dp.first_tube_id + k, dp.origin_m[0] + along * c - side * s,
                              dp.origin_m[1] + along * s + side * c, witness=(k == dp.n_tubes - 1)))
    return tuple(tubes)


def validate_params(p: TerrainParams) -> None:
    if not isinstance(p.n_cells, int) or p.n_cells < 8:
        raise TerrainError(f"n_cells must be an integer >= 8, got {p.n_cells!r}")
    if not p.resolution_m > 0:
        raise TerrainError(f"resolution must be positive, got {p.resolution_m}")
    if not 0.0 < p.rock_k < 1.0:
        raise TerrainError(f"rock_k must be in (0, 1), got {p.rock_k}")
    dmin, dmax = p.rock_diameter_range_m
    if not 0.0 < dmin < dmax:
        raise TerrainError(f"bad rock diameter range {p.rock_diameter_range_m}")
    if not (0.0 <= p.rocky_fraction <= 1.0 and 0.0 <= p.rock_background_keep <= 1.0):
        raise TerrainError("rocky_fraction and rock_background_keep must be in [0, 1]")
    if not 0.0 <= p.dune_fraction < 1.0:
        raise TerrainError(f"dune_fraction must be in [0, 1), got {p.dune_fraction}")


def _threshold(field: np.ndarray, fraction: float) -> float:
    """Value above which `fraction` of a field lies (estimated on a subsample for speed)."""
    step = max(1, field.shape[0] // 512)
    return float(np.quantile(field[::step, ::step], 1.0 - fraction))


_LAST_GENERATED: dict[tuple, Terrain] = {}


def generate(params: TerrainParams = TerrainParams(), seed: int | np.random.Generator = 0) -> Terrain:
    """Build a terrain; the same parameters and seed give byte-identical arrays.

    The last map built from an integer seed is kept (its arrays read-only) and handed out
    again as a fresh `Terrain` over the same arrays: a campaign's landing and tube delivery
    stand on the same map (the delivery's re-centred: the shift is applied to the kept map),
    and building a 2048^2 map takes a second."""
    unshifted = replace(params, shift_m=(0.0, 0.0))
    try:
        key = (unshifted, int(seed)) if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) else None
        hash(key)
    except TypeError:                      # parameters that cannot be a key are built afresh
        key = None
    if key is None:
        return _generate(params, seed)
    kept = _LAST_GENERATED.get(key)
    if kept is None:
        kept = _kept_on_disk(unshifted, int(seed))
        for a in (kept.height_m, kept.dune_mask, kept.rocks_xy_m, kept.rocks_d_m, kept.craters,
                  *([kept.__dict__["max_rock_m"]] if "max_rock_m" in kept.__dict__ else [])):
            a.flags.writeable = False
        _LAST_GENERATED.clear()
        _LAST_GENERATED[key] = kept
    t = Terrain(params, kept.height_m, kept.dune_mask, kept.rocks_xy_m, kept.rocks_d_m, kept.craters, kept.tubes)
    if "max_rock_m" in kept.__dict__:       # the raster read from the cache: the same rocks, n and res
        t.__dict__["max_rock_m"] = kept.__dict__["max_rock_m"]
    return _shifted(t) if any(params.shift_m) else t


CACHE_MIN_CELLS = 1024     # maps this large (a second to build) are kept in the product cache
_CACHED_LAYERS = ("height_m", "dune_mask", "rocks_xy_m", "rocks_d_m", "craters", "max_rock_m")


def _kept_on_disk(params: TerrainParams, seed: int) -> Terrain:
    """The unshifted map of `params` and `seed`: from the product cache (sim/product_cache.py:
    the arrays this code generated, and the rock raster drawn from them, CRC-checked), or
    generated (and kept there). The tubes come from the parameters, as generation gives them."""
    from sim import product_cache
    from fsw.gnc import map_product
    if params.n_cells < CACHE_MIN_CELLS:
        return _generate(params, np.random.default_rng(seed))
    what = repr((params, seed))
    name = f"terrain-{hashlib.sha256(what.encode()).hexdigest()[:16]}{map_product.SUFFIX}"
    made: list[Terrain] = []

    def make(path: Path) -> None:
        made.append(_generate(params, np.random.default_rng(seed)))
        map_product.write(path, {k: getattr(made[0], k) for k in _CACHED_LAYERS}, {"terrain": what})
    path = product_cache.entry(name, make)
    if made or path is None:
        return made[0] if made else _generate(params, np.random.default_rng(seed))
    try:
        product = map_product.read(path)
        if product.meta.get("terrain") != what:
            raise map_product.MapProductError(f"{path}: another terrain")
        a = {k: product.array(k) for k in _CACHED_LAYERS}
    except (map_product.MapProductError, OSError):
        return _generate(params, np.random.default_rng(seed))
    t = Terrain(params, a["height_m"], a["dune_mask"], a["rocks_xy_m"], a["rocks_d_m"], a["craters"],
                _depot_tubes(params.depots))
    t.__dict__["max_rock_m"] = a["max_rock_m"]
    return t


def _generate(params: TerrainParams, seed: int | np.random.Generator) -> Terrain:
    validate_params(params)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    n, res = params.n_cells, params.resolution_m
    height = _spectral_field(rng, n, res, 2.0 * params.hurst + 2.0)
    # Scale so the RMS height difference at a 10 m lag is the requested one, whatever the size.
    lag = min(max(1, int(round(10.0 / res))), n - 1)
    rows = height[:: max(1, n // 512)]                 # a subsample of rows is plenty for an RMS
    d10 = float(np.sqrt(np.mean((rows[:, lag:] - rows[:, :-lag]) ** 2, dtype=np.float64)))
    d10 *= (10.0 / (lag * res)) ** params.hurst
    height *= np.float32(params.relief_rms_10m_m / d10)
    # Dune fields: a smooth field thresholded at the requested area fraction, ridges inside
    # (computed only on the dune cells).
    mask_field = _smooth_field(rng, n, res, 80.0)
    if params.dune_fraction > 0.0:
        thresh = _threshold(mask_field, params.dune_fraction)
        dune_mask = mask_field > thresh
        ii, jj = np.nonzero(dune_mask)
        c = ((np.arange(n, dtype=np.float64) + 0.5) * res - 0.5 * n * res) * (2 * math.pi / params.dune_wavelength_m)
        phase = math.cos(params.dune_azimuth_rad) * c[jj] + math.sin(params.dune_azimuth_rad) * c[ii]
        ramp = np.minimum((mask_field[ii, jj] - np.float32(thresh)) * np.float32(1 / 0.3), np.float32(1.0))
        height[ii, jj] += (np.float32(params.dune_height_m) * ramp
                           * (np.float32(0.5) + np.float32(0.5) * elementwise(math.sin, phase, dtype=np.float32)))
    else:
        dune_mask = np.zeros((n, n), dtype=bool)
    craters = _craters(rng, params, height)
    patch = _smooth_field(rng, n, res, params.rock_patch_scale_m)
    rocky = patch > _threshold(patch, params.rocky_fraction)
    xy, d = _rocks(rng, params, rocky, dune_mask)
    keep = np.ones(len(d), dtype=bool)
    if params.keep_clear_radius_m > 0.0:   # a rock-free disc at the origin (tests, demos)
        keep = np.sqrt(xy[:, 0] * xy[:, 0] + xy[:, 1] * xy[:, 1]) > params.keep_clear_radius_m + 0.5 * d
    t = Terrain(params, height, dune_mask, xy[keep], d[keep], craters, _depot_tubes(params.depots))
    return _shifted(t) if any(params.shift_m) else t


def _shifted(t: Terrain) -> Terrain:
    """`t` re-centred on its params.shift_m (rounded to whole cells), wrapping round: the same
    heights, dunes and rock raster, relabelled (no value changes), rocks and craters moved."""
    n, res = t.n, t.res
    sj, si = (int(round(c / res)) for c in t.params.shift_m)
    roll = ((-si, -sj), (0, 1))
    period = n * res

    def move(xy: np.ndarray) -> np.ndarray:
        out = np.array(xy, dtype=float, copy=True)
        if len(out):
            out[:, 0] -= sj * res
            out[:, 1] -= si * res
            out[:, :2] -= period * np.floor(out[:, :2] / period + 0.5)
        return out

    raster = np.roll(t.max_rock_m, *roll)
    moved = Terrain(t.params, np.roll(t.height_m, *roll), np.roll(t.dune_mask, *roll),
                    move(t.rocks_xy_m).astype(t.rocks_xy_m.dtype), t.rocks_d_m, move(t.craters), t.tubes)
    moved.__dict__["max_rock_m"] = raster     # the raster as rolled, not re-drawn from moved rocks
    return moved


# --- depot layout --------------------------------------------------------------------------------

@dataclass(frozen=True)
class DepotLayout:
    """How a depot is laid (MSR_FACTS.md: 10 tubes in a zig-zag 5-15 m apart, one a witness tube).

    Each tube is placed 5-15 m from the previous one, alternately left and right of the
    depot's general direction (which wanders a little, following good ground), on a cell
    whose whole `clearance_m` disc is drivable and reachable from the lander.
    """

    n_tubes: int = 10
    spacing_range_m: tuple[float, float] = (5.0, 15.0)
    zigzag_angle_rad: float = 0.5             # each leg turns this much left, then right
    heading_wander_rad: float = 0.35          # the depot's direction may drift by this per leg
    distance_range_m: tuple[float, float] = (20.0, 50.0)   # lander to the first tube
    min_lander_distance_m: float = 12.0       # keep the lander's hand-off area clear
    clearance_m: float = 2.0                  # drivable disc around every tube
    first_tube_id: int = 1
    max_tries: int = 400


def reachable_from(drivable: np.ndarray, start: tuple[int, int]) -> np.ndarray:
    """Cells of `drivable` connected (8-neighbour) to `start`; all False if start is not drivable.

    A flood fill over the rows' runs of drivable cells rather than over cells (a 400 m map
    at 0.5 m is mostly drivable: a few runs a row against 640,000 cells): two runs on
    neighbouring rows touch when their columns overlap or meet at a corner; the runs reached
    from the start's are painted back into the grid."""
    n0, n1 = drivable.shape
    i, j = start
    if not (0 <= i < n0 and 0 <= j < n1) or not drivable[i, j]:
        return np.zeros(drivable.shape, dtype=bool)
    w = n1 + 1                                      # a row of `edge`: +1 where a run starts, -1 one past its end
    padded = np.zeros((n0, n1 + 2), dtype=np.int8)
    padded[:, 1:-1] = drivable
    edge = np.diff(padded, axis=1).ravel()
    starts, ends = np.flatnonzero(edge == 1), np.flatnonzero(edge == -1)   # in row-major order
    row = starts // w
    s, e = starts - row * w, ends - row * w         # each run's columns [s, e)
    # The runs of row r - 1 touching run (r, s, e) are those with e' >= s and s' <= e: one
    # contiguous slice of the runs (sorted by row, then column), found by keys row * (w + 1) + column.
    key_s, key_e = row * (w + 1) + s, row * (w + 1) + e
    below_lo = np.searchsorted(key_e, (row - 1) * (w + 1) + s, "left").tolist()
    below_hi = np.searchsorted(key_s, (row - 1) * (w + 1) + e, "right").tolist()
    above: list[list[int]] = [[] for _ in below_lo]
    for b, (lo, hi) in enumerate(zip(below_lo, below_hi)):
        for a in range(lo, hi):
            above[a].append(b)
    first = int(np.searchsorted(key_s, i * (w + 1) + j, "right")) - 1    # the start's run
    seen = [False] * len(above)
    seen[first] = True
    todo = [first]
    while todo:
        b = todo.pop()
        for a in (*range(below_lo[b], below_hi[b]), *above[b]):
            if not seen[a]:
                seen[a] = True
                todo.append(a)
    reached = np.array(seen, dtype=bool)
    paint = np.zeros(n0 * w + 1, dtype=np.int8)     # +1 at a reached run's start, -1 past its end
    paint[starts[reached]] = 1
    paint[ends[reached]] = -1
    return np.cumsum(paint[:-1], dtype=np.int8).reshape(n0, w)[:, :n1].astype(bool)


def layout_depot(drivable: np.ndarray, resolution_m: float, corner_m: tuple[float, float],
                 lander_xy_m: tuple[float, float], rng: np.random.Generator,
                 layout: DepotLayout = DepotLayout()) -> tuple[Tube, ...]:
    """Tubes of a depot on drivable ground reachable from the lander; the last one is the witness tube.

    `drivable` is a boolean grid (row i north, column j east) of cells the rover may occupy
    (its hazards already inflated by its half-width), `corner_m` the local (x, y) of the grid's
    south-west corner. Raises TerrainError when no layout fits in `layout.max_tries`.
    """
    from fsw.gnc.hazard import within_radius   # the exact disc test; sim may use flight code

    res = float(resolution_m)
    x0, y0 = corner_m
    n0, n1 = drivable.shape

    def cell(x: float, y: float) -> tuple[int, int]:
        return int(math.floor((y - y0) / res)), int(math.floor((x - x0) / res))

    # Start the fill from the drivable cell nearest the lander (the lander itself is no hazard).
    li, lj = cell(*lander_xy_m)
    reach = int(math.ceil(6.0 / res))
    win = drivable[max(li - reach, 0):li + reach + 1, max(lj - reach, 0):lj + reach + 1]
    ii, jj = np.nonzero(win)
    if not len(ii):
        raise TerrainError(f"no drivable ground within 6 m of the lander at {lander_xy_m}")
    ii, jj = ii + max(li - reach, 0), jj + max(lj - reach, 0)
    k = int(np.argmin((ii - li) ** 2 + (jj - lj) ** 2))
    reachable = reachable_from(drivable, (int(ii[k]), int(jj[k])))
    ok = ~within_radius(~reachable, layout.clearance_m / res)

    def good(x: float, y: float, placed: list[tuple[float, float]]) -> bool:
        i, j = cell(x, y)
        if not (0 <= i < n0 and 0 <= j < n1 and ok[i, j]):
            return False
        if math.hypot(x - lander_xy_m[0], y - lander_xy_m[1]) < layout.min_lander_distance_m:
            return False
        return all(math.hypot(x - px, y - py) >= layout.spacing_range_m[0] for px, py in placed)

    lo, hi = layout.spacing_range_m
    for _ in range(layout.max_tries):
        bearing = float(rng.uniform(-math.pi, math.pi))
        dist = float(rng.uniform(*layout.distance_range_m))
        first = (lander_xy_m[0] + dist * math.cos(bearing), lander_xy_m[1] + dist * math.sin(bearing))
        if not good(*first, []):
            continue
        placed = [first]
        heading = float(rng.uniform(-math.pi, math.pi))
        while len(placed) < layout.n_tubes:
            for _attempt in range(20):
                h = heading + float(rng.uniform(-layout.heading_wander_rad, layout.heading_wander_rad))
                side = layout.zigzag_angle_rad * (1 if len(placed) % 2 else -1)
                d = float(rng.uniform(lo, hi))
                x, y = placed[-1]
                cand = (x + d * math.cos(h + side), y + d * math.sin(h + side))
                if good(*cand, placed):
                    placed.append(cand)
                    heading = h
                    break
            else:
                break
        if len(placed) == layout.n_tubes:
            last = layout.n_tubes - 1
            return tuple(Tube(layout.first_tube_id + k, round(x, 3), round(y, 3), witness=(k == last))
                         for k, (x, y) in enumerate(placed))
    raise TerrainError(f"no depot of {layout.n_tubes} tubes fits on reachable drivable ground "
                       f"in {layout.max_tries} tries")
