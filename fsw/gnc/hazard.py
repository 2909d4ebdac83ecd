"""Landing-site safety map ("a Martian pancake") and traversability masks from an onboard map.

The flight code gets the terrain as arrays (heights, largest rock per cell, dune mask), as
an uplinked map product or one built by terrain-relative navigation; it never sees the
simulator. Per-pixel hazards are slope, local roughness, rocks and dunes. A site is safe
iff no hazard pixel lies within the safe radius (60 m for SRL) and the whole disc is on the
map. The disc test is exact on the pixel lattice and O(N) whatever the radius:

1. along each column, the distance g to the nearest hazard pixel (running max/min of the
   last/next hazard row index, `np.maximum.accumulate`);
2. a hazard pixel at (i, j') with column distance g covers, in row i of the query pixel,
   the interval |j - j'| <= floor(sqrt(R^2 - g^2)); the union of those intervals along a
   row is a running maximum of the right ends (and a running minimum of the left ends).

Slope and roughness use finite differences and box filters built from cumulative sums.
Everything is float32 or smaller where the size of a 4096 x 4096 map matters.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from fsw.numerics import elementwise, hypot2


@dataclass(frozen=True)
class HazardLimits:
    """What makes a pixel hazardous; SRL defaults from MSR_FACTS.md (19 cm rocks, 60 m disc)."""

    slope_limit_deg: float = 12.0
    rock_limit_m: float = 0.19
    roughness_limit_m: float = 0.10
    safe_radius_m: float = 60.0
    slope_baseline_m: float = 2.0     # lander footprint scale for the slope estimate
    roughness_window_m: float = 2.5   # box over which the local mean height is taken
    dunes_are_hazards: bool = True


class MapError(ValueError):
    """An onboard map whose arrays do not fit together (shapes, resolution)."""


@dataclass
class OnboardMap:
    """Terrain arrays as the flight code receives them (numpy arrays, or the layers of a map
    product, `fsw.gnc.map_product.Layer`, read on demand). Cell (i, j): row i north, column j east;
    the map centre lies at `centre_m` of the local frame (x east, y north): the origin for a
    whole map, elsewhere for a window of it (a rover's local map around the lander)."""

    height_m: np.ndarray
    max_rock_m: np.ndarray
    dune_mask: np.ndarray
    resolution_m: float
    centre_m: tuple[float, float] = (0.0, 0.0)

    def __post_init__(self) -> None:
        shape = np.shape(self.height_m)     # not np.asarray: a product's layer would be read whole
        if len(shape) != 2 or shape[0] != shape[1] or shape[0] < 4:
            raise MapError(f"height map must be square and at least 4 x 4, got {shape}")
        if np.shape(self.max_rock_m) != shape or np.shape(self.dune_mask) != shape:
            raise MapError("rock and dune layers must have the height map's shape")
        if not (isinstance(self.resolution_m, (int, float)) and self.resolution_m > 0):
            raise MapError(f"resolution must be positive, got {self.resolution_m!r}")
        try:
            cx, cy = (float(c) for c in self.centre_m)
        except (TypeError, ValueError):
            raise MapError(f"centre must be two numbers, got {self.centre_m!r}") from None
        if not (math.isfinite(cx) and math.isfinite(cy)):
            raise MapError(f"centre must be finite, got {self.centre_m!r}")
        self.resolution_m = float(self.resolution_m)
        self.centre_m = (cx, cy)

    @property
    def n(self) -> int:
        return self.height_m.shape[0]

    @property
    def half_extent_m(self) -> float:
        return 0.5 * self.n * self.resolution_m

    @property
    def corner_m(self) -> tuple[float, float]:
        """Local (x, y) of the south-west corner of cell (0, 0)."""
        return self.centre_m[0] - self.half_extent_m, self.centre_m[1] - self.half_extent_m

    def cell_of(self, x_m: float, y_m: float) -> tuple[int, int]:
        """Cell containing a point (clamped to the map)."""
        x0, y0 = self.corner_m
        i = int(math.floor((y_m - y0) / self.resolution_m))
        j = int(math.floor((x_m - x0) / self.resolution_m))
        return min(max(i, 0), self.n - 1), min(max(j, 0), self.n - 1)

    def xy_of(self, i: int, j: int) -> tuple[float, float]:
        """Local coordinates of a cell centre."""
        r = self.resolution_m
        x0, y0 = self.corner_m
        return x0 + (j + 0.5) * r, y0 + (i + 0.5) * r

    def contains(self, x_m: float, y_m: float) -> bool:
        h = self.half_extent_m
        cx, cy = self.centre_m
        return -h <= x_m - cx < h and -h <= y_m - cy < h

    def height_at(self, x_m: float, y_m: float) -> float:
        """Bilinear height between cell centres (clamped at the map edge)."""
        r = self.resolution_m
        n1 = self.n - 1
        x0, y0 = self.corner_m
        fx = min(max((x_m - x0) / r - 0.5, 0.0), n1 - 1e-9)
        fy = min(max((y_m - y0) / r - 0.5, 0.0), n1 - 1e-9)
        j, i = int(fx), int(fy)
        tx, ty = fx - j, fy - i
        h = self.height_m
        top = float(h[i, j]) * (1 - tx) + float(h[i, j + 1]) * tx
        bottom = float(h[i + 1, j]) * (1 - tx) + float(h[i + 1, j + 1]) * tx
        return top * (1 - ty) + bottom * ty

    def window(self, centre_xy_m: tuple[float, float], half_cells: int) -> "OnboardMap":
        """The square sub-map of 2 half_cells cells around the cell holding `centre_xy_m`
        (clipped to stay inside this map); its arrays are views, not copies."""
        n = min(2 * int(half_cells), self.n)
        i, j = self.cell_of(*centre_xy_m)
        i0 = min(max(i - n // 2, 0), self.n - n)
        j0 = min(max(j - n // 2, 0), self.n - n)
        sl = (slice(i0, i0 + n), slice(j0, j0 + n))
        x0, y0 = self.corner_m
        r = self.resolution_m
        centre = (x0 + (j0 + 0.5 * n) * r, y0 + (i0 + 0.5 * n) * r)
        return OnboardMap(self.height_m[sl], self.max_rock_m[sl], self.dune_mask[sl], r, centre)


# ---------------------------------------------------------------- per-pixel layers

def _box_sum_axis(a: np.ndarray, half: int, axis: int) -> np.ndarray:
    """Sum over a window of 2 half + 1 along one axis, truncated at the edges."""
    n = a.shape[axis]
    if half <= 8:  # a few shifted float32 adds beat a float64 cumulative sum for small windows
        out = a.copy()
        for d in range(1, min(half, n - 1) + 1):
            lo = [slice(None)] * 2
            hi = [slice(None)] * 2
            lo[axis], hi[axis] = slice(0, n - d), slice(d, n)
            out[tuple(lo)] += a[tuple(hi)]
            out[tuple(hi)] += a[tuple(lo)]
        return out
    c = np.cumsum(a, axis=axis, dtype=np.float64)
    c = np.concatenate([np.zeros_like(c.take([0], axis=axis)), c], axis=axis)
    hi_i = np.minimum(np.arange(n) + half + 1, n)
    lo_i = np.maximum(np.arange(n) - half, 0)
    return (c.take(hi_i, axis=axis) - c.take(lo_i, axis=axis)).astype(np.float32)


def box_mean(a: np.ndarray, half: int) -> np.ndarray:
    """Mean over a (2 half + 1)^2 box, truncated at the map edge; O(N) per pass.

    A symmetric box returns a plane unchanged at its centre, so `a - box_mean(a)` is blind to
    tilt: that is what makes it a roughness measure rather than a slope measure.
    """
    out = a.astype(np.float32, copy=True)
    if half <= 0:
        return out
    for axis in (0, 1):
        n = out.shape[axis]
        idx = np.arange(n)
        count = (np.minimum(idx + half, n - 1) - np.maximum(idx - half, 0) + 1).astype(np.float32)
        shape = [1, 1]
        shape[axis] = n
        out = _box_sum_axis(out, half, axis)
        out /= count.reshape(shape)
    return out


def slope_deg(height: np.ndarray, res: float, baseline_m: float) -> np.ndarray:
    """Slope in degrees from central differences over +-baseline/2 (edge cells one-sided)."""
    b = max(1, int(round(0.5 * baseline_m / res)))
    h = height.astype(np.float32, copy=False)
    gx = np.zeros(h.shape, dtype=np.float32)
    gy = np.zeros(h.shape, dtype=np.float32)
    gx[:, b:-b] = (h[:, 2 * b:] - h[:, :-2 * b]) / np.float32(2 * b * res)
    gy[b:-b, :] = (h[2 * b:, :] - h[:-2 * b, :]) / np.float32(2 * b * res)
    gx[:, :b] = gx[:, b:b + 1]
    gx[:, -b:] = gx[:, -b - 1:-b]
    gy[:b, :] = gy[b:b + 1, :]
    gy[-b:, :] = gy[-b - 1:-b, :]
    # |grad| by IEEE products and sqrt, atan by the C library (numpy's SIMD hypot/arctan
    # differ by CPU; docs/determinism.md)
    g = np.sqrt(gx.astype(np.float64) ** 2 + gy.astype(np.float64) ** 2)
    return (elementwise(math.atan, g) * (180.0 / math.pi)).astype(np.float32)


def roughness_m(height: np.ndarray, res: float, window_m: float) -> np.ndarray:
    """Absolute departure of each height from its local (box) mean, m."""
    half = max(1, int(round(0.5 * window_m / res)))
    out = box_mean(height, half)
    np.subtract(height, out, out=out)
    np.abs(out, out=out)
    return out


@dataclass
class HazardLayers:
    """Per-pixel layers and the combined hazard mask."""

    slope_deg: np.ndarray
    roughness_m: np.ndarray
    rock_m: np.ndarray
    dune: np.ndarray
    hazard: np.ndarray


def hazard_layers(m: OnboardMap, limits: HazardLimits) -> HazardLayers:
    res = m.resolution_m
    s = slope_deg(m.height_m, res, limits.slope_baseline_m)
    r = roughness_m(m.height_m, res, limits.roughness_window_m)
    rock = np.asarray(m.max_rock_m, dtype=np.float32)
    dune = np.asarray(m.dune_mask, dtype=bool)
    hz = s > np.float32(limits.slope_limit_deg)
    hz |= r > np.float32(limits.roughness_limit_m)
    hz |= rock > np.float32(limits.rock_limit_m)
    if limits.dunes_are_hazards:
        hz |= dune
    # Unknown heights (NaN) are hazards; comparisons with NaN are False, so add them explicitly.
    hz |= ~np.isfinite(m.height_m)
    return HazardLayers(s, r, rock, dune, hz)


# ---------------------------------------------------------------- the disc test

def column_distance(hazard: np.ndarray, cap: int) -> np.ndarray:
    """Distance (cells) along each column to the nearest hazard pixel, capped at `cap`."""
    return _capped(column_distances(hazard), cap)


def _capped(full: np.ndarray, cap: int) -> np.ndarray:
    last = np.minimum(full, cap)
    return last.astype(np.int16 if cap < 32767 else np.int32)


def column_distances(hazard: np.ndarray) -> np.ndarray:
    """Distance (cells) along each column to the nearest hazard pixel, not capped (int32;
    about 2**29 in a column with none): integer work, so capping it after is the capped one
    (`within_radius(..., columns=)` for many radii over one mask)."""
    n = hazard.shape[0]
    idx = np.arange(n, dtype=np.int32)[:, None]
    big = np.int32(1 << 29)
    last = np.where(hazard, idx, -big)
    np.maximum.accumulate(last, axis=0, out=last)
    np.subtract(idx, last, out=last)                      # distance to the hazard above
    nxt = np.where(hazard, idx, big)
    nxt = np.minimum.accumulate(nxt[::-1], axis=0)[::-1]
    np.subtract(nxt, idx, out=nxt)                        # distance to the hazard below
    np.minimum(last, nxt, out=last)
    return last


def within_radius(mask: np.ndarray, radius_cells: float, columns: np.ndarray | None = None) -> np.ndarray:
    """True where some True pixel of `mask` lies within Euclidean distance <= radius (cells).

    Exact on the lattice: (di, dj) is inside when di^2 + dj^2 <= radius^2. O(N) for any radius.
    `columns`: `column_distances(mask)`, for many radii over one mask (computed once).
    """
    rad = int(math.floor(radius_cells))
    r2 = radius_cells * radius_cells
    if rad < 0:
        return np.zeros(mask.shape, dtype=bool)
    g = _capped(columns if columns is not None else column_distances(mask), rad + 1)
    # Half-width of the covered row interval for each column distance; -1 = covers nothing.
    lut = np.full(rad + 2, -1, dtype=np.int32)
    d = np.arange(rad + 1)
    lut[: rad + 1] = np.floor(np.sqrt(np.maximum(r2 - d * d, 0.0)) + 1e-9).astype(np.int32)
    half = lut[g]                      # (n, m) int32
    del g
    m = mask.shape[1]
    j = np.arange(m, dtype=np.int32)[None, :]
    none = half < 0
    right = half + j                   # right end of each source's interval
    right[none] = -1
    np.maximum.accumulate(right, axis=1, out=right)
    covered = right >= j
    del right
    left = j - half                    # left end
    left[none] = m + 1
    del half, none
    left = np.minimum.accumulate(left[:, ::-1], axis=1)[:, ::-1]
    covered |= left <= j
    return covered


def safe_map(layers: HazardLayers, res: float, limits: HazardLimits) -> np.ndarray:
    """Boolean safety map: the whole disc is on the map and holds no hazard pixel."""
    radius = limits.safe_radius_m / res
    safe = ~within_radius(layers.hazard, radius)
    edge = int(math.ceil(radius))
    n0, n1 = safe.shape
    if 2 * edge >= min(n0, n1):
        safe[:] = False
        return safe
    safe[:edge, :] = False
    safe[-edge:, :] = False
    safe[:, :edge] = False
    safe[:, -edge:] = False
    return safe


@dataclass
class SafetyMap:
    """A map with its hazard layers and safety map, ready for site selection."""

    map: OnboardMap
    limits: HazardLimits
    layers: HazardLayers
    safe: np.ndarray
    counted_safe_fraction: float | None = None   # as the ground counted it (a map product)

    @property
    def safe_fraction(self) -> float:
        """Share of safe cells; a product's own count spares reading the whole layer."""
        if self.counted_safe_fraction is not None:
            return self.counted_safe_fraction
        return float(np.count_nonzero(self.safe)) / self.safe.size


def assess(m: OnboardMap, limits: HazardLimits = HazardLimits()) -> SafetyMap:
    layers = hazard_layers(m, limits)
    return SafetyMap(m, limits, layers, safe_map(layers, m.resolution_m, limits))


# ---------------------------------------------------------------- site choice

@dataclass(frozen=True)
class SiteChoice:
    """The chosen site (cell and local metres) and its distances."""

    i: int
    j: int
    x_m: float
    y_m: float
    miss_from_target_m: float
    divert_m: float


_CHOOSE_ROWS = 64


def choose_site(sm: SafetyMap, target_xy: tuple[float, float], predicted_xy: tuple[float, float],
                divert_budget_m: float) -> SiteChoice | None:
    """The safe site closest to the target among those within the divert budget of the
    predicted landing point; None if there is none. Ties go to the first in row-major order."""
    m = sm.map
    res = m.resolution_m
    px, py = predicted_xy
    pi, pj = m.cell_of(px, py)
    reach = int(math.ceil(divert_budget_m / res)) + 1
    i0, i1 = max(pi - reach, 0), min(pi + reach + 1, m.n)
    j0, j1 = max(pj - reach, 0), min(pj + reach + 1, m.n)
    if i0 >= i1 or j0 >= j1:
        return None
    cx0, cy0 = m.corner_m
    ys = (cy0 + (np.arange(i0, i1) + 0.5) * res)[:, None]
    xs = (cx0 + (np.arange(j0, j1) + 0.5) * res)[None, :]
    dx2, dy2 = (xs - px) ** 2, (ys - py) ** 2
    tx2, ty2 = (xs - target_xy[0]) ** 2, (ys - target_xy[1]) ** 2
    best, at = np.inf, None
    # In blocks of rows: a 500 m search window is a million cells, and whole-window float64
    # temporaries were 20+ MB on a board. Strictly smaller across blocks keeps the first.
    for b0 in range(0, i1 - i0, _CHOOSE_ROWS):
        b1 = min(b0 + _CHOOSE_ROWS, i1 - i0)
        ok = sm.safe[i0 + b0:i0 + b1, j0:j1] & (dx2 + dy2[b0:b1] <= divert_budget_m ** 2)
        if not ok.any():
            continue
        d2 = np.where(ok, tx2 + ty2[b0:b1], np.inf)
        k = int(np.argmin(d2))
        if d2.flat[k] < best:
            best, at = d2.flat[k], (i0 + b0 + k // (j1 - j0), j0 + k % (j1 - j0))
    if at is None:
        return None
    tx, ty = target_xy
    i, j = at
    x, y = m.xy_of(i, j)
    return SiteChoice(i, j, x, y, hypot2(x - tx, y - ty), hypot2(x - px, y - py))


def site_metrics(sm: SafetyMap, i: int, j: int) -> dict[str, float]:
    """Worst values inside the site's disc, and the clearance to the nearest hazard pixel."""
    m = sm.map
    res = m.resolution_m
    rad = int(math.floor(sm.limits.safe_radius_m / res))
    i0, i1 = max(i - rad, 0), min(i + rad + 1, m.n)
    j0, j1 = max(j - rad, 0), min(j + rad + 1, m.n)
    di = np.arange(i0, i1)[:, None] - i
    dj = np.arange(j0, j1)[None, :] - j
    disc = di * di + dj * dj <= (sm.limits.safe_radius_m / res) ** 2
    L = sm.layers
    win = (slice(i0, i1), slice(j0, j1))
    # Clearance: nearest hazard pixel in a window twice the radius (capped there).
    cap = 2 * rad
    k0, k1 = max(i - cap, 0), min(i + cap + 1, m.n)
    l0, l1 = max(j - cap, 0), min(j + cap + 1, m.n)
    hi, hj = np.nonzero(L.hazard[k0:k1, l0:l1])
    if len(hi):
        clearance = float(np.sqrt(np.min((hi + k0 - i) ** 2 + (hj + l0 - j) ** 2))) * res
    else:
        clearance = cap * res
    return {
        "max_slope_deg": float(L.slope_deg[win][disc].max()),
        "max_roughness_m": float(L.roughness_m[win][disc].max()),
        "max_rock_m": float(L.rock_m[win][disc].max()),
        "dune_fraction": float(L.dune[win][disc].mean()),
        "hazard_clearance_m": clearance,
        "safe_radius_m": sm.limits.safe_radius_m,
    }
