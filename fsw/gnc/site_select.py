"""Landing-site choice on a plain the site map repeats over, once TRN has placed the lander on it.

The onboard hazard map (fsw.gnc.hazard) covers one period of the landing plain (the site
map; the simulator tiles it over the ellipse), so the safety map is computed with the map
wrapped round its edges (`assess`) and searched with wrapped indices: a site near an edge
is judged with its whole disc, and a lander that came down kilometres from the target
finds sites where it is. `choose_site` takes, among the safe cells within the divert budget
of the predicted landing point, those closest to the target first and returns the first one
`reachable` accepts (the powered-descent guidance's envelope); `margin_m` > 0 (no map fix:
the position is known only to `margin_m`) keeps only cells whose whole `margin_m` disc is
safe too, widening the search to `wide_budget_m` and shrinking the margin until a cell fits.
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np

from . import hazard
from .map_product import Layer

MAX_CANDIDATES = 24


def periodic_height(h: np.ndarray, res: float, corner_x: float, corner_y: float, x_m: float, y_m: float) -> float:
    """Bilinear height between cell centres of a grid that repeats itself (cell (0, 0)'s south-west
    corner at (corner_x, corner_y)): the flight's map and the simulator's plain share it."""
    n0, n1 = h.shape
    fx = (x_m - corner_x) / res - 0.5
    fy = (y_m - corner_y) / res - 0.5
    j, i = math.floor(fx), math.floor(fy)
    tx, ty = fx - j, fy - i
    j0, i0 = j % n1, i % n0
    j1, i1 = (j0 + 1) % n1, (i0 + 1) % n0
    # The cells by `item` (the stored value as a Python float, as float() gives): a product's
    # layer's from the two rows of its row cache (`Layer.row`), an array's its own
    if type(h) is Layer:
        r0, r1 = h.row(i0), h.row(i1)
        h00, h01, h10, h11 = r0.item(j0), r0.item(j1), r1.item(j0), r1.item(j1)
    else:
        c = h.item
        h00, h01, h10, h11 = c(i0, j0), c(i0, j1), c(i1, j0), c(i1, j1)
    top = h00 * (1 - tx) + h01 * tx
    bottom = h10 * (1 - tx) + h11 * tx
    return top * (1 - ty) + bottom * ty


class PeriodicMap(hazard.OnboardMap):
    """An onboard map whose plain repeats it: heights and cells wrap round."""

    def cell_of(self, x_m: float, y_m: float) -> tuple[int, int]:
        x0, y0 = self.corner_m
        return (math.floor((y_m - y0) / self.resolution_m) % self.n,
                math.floor((x_m - x0) / self.resolution_m) % self.n)

    def contains(self, x_m: float, y_m: float) -> bool:
        return True

    def height_at(self, x_m: float, y_m: float) -> float:
        x0, y0 = self.corner_m
        return periodic_height(self.height_m, self.resolution_m, x0, y0, x_m, y_m)


def assess(m: hazard.OnboardMap, limits: hazard.HazardLimits = hazard.HazardLimits()) -> hazard.SafetyMap:
    """The safety map; a PeriodicMap is assessed wrapped round (no edge band)."""
    if not isinstance(m, PeriodicMap):
        return hazard.assess(m, limits)
    pad = int(math.ceil(limits.safe_radius_m / m.resolution_m)) + 4
    wide = hazard.OnboardMap(np.pad(m.height_m, pad, mode="wrap"), np.pad(m.max_rock_m, pad, mode="wrap"),
                             np.pad(m.dune_mask, pad, mode="wrap"), m.resolution_m, m.centre_m)
    sm = hazard.assess(wide, limits)
    crop = (slice(pad, pad + m.n), slice(pad, pad + m.n))
    L = sm.layers
    layers = hazard.HazardLayers(L.slope_deg[crop], L.roughness_m[crop], L.rock_m[crop], L.dune[crop], L.hazard[crop])
    return hazard.SafetyMap(m, limits, layers, sm.safe[crop].copy())


def _window(sm: hazard.SafetyMap, cx: float, cy: float, reach_m: float):
    """Plain coordinates and wrapped cell indices of the square of half-side `reach_m`."""
    m = sm.map
    res = m.resolution_m
    x0, y0 = m.corner_m
    k = int(math.ceil(reach_m / res)) + 1
    ci, cj = math.floor((cy - y0) / res), math.floor((cx - x0) / res)
    ii = np.arange(ci - k, ci + k + 1)
    jj = np.arange(cj - k, cj + k + 1)
    ys = (y0 + (ii + 0.5) * res)[:, None]
    xs = (x0 + (jj + 0.5) * res)[None, :]
    return xs, ys, ii % m.n, jj % m.n


_ROWS = 64      # rows of the search window per block: whole-window float64 temporaries were 20+ MB


def choose_site(sm: hazard.SafetyMap, target_xy: tuple[float, float], predicted_xy: tuple[float, float],
                budget_m: float, *, reachable: Callable[[float, float], bool] | None = None,
                margin_m: float = 0.0, wide_budget_m: float | None = None) -> hazard.SiteChoice | None:
    """The safe site closest to the target within the budget (and reachable); None if none.

    The window is taken in blocks of rows (a 300 m budget is 1200^2 cells): each block's
    MAX_CANDIDATES closest, merged in (distance, cell order), are the whole window's."""
    budget = budget_m if margin_m <= 0.0 else max(budget_m, wide_budget_m or budget_m)
    px, py = predicted_xy
    xs, ys, ii, jj = _window(sm, px, py, budget)
    h, w = len(ii), len(jj)
    ok = np.empty((h, w), dtype=bool)
    dx2 = (xs - px) ** 2
    for b0 in range(0, h, _ROWS):
        rows = slice(b0, b0 + _ROWS)
        ok[rows] = sm.safe[np.ix_(ii[rows], jj)] & (dx2 + (ys[rows] - py) ** 2 <= budget * budget)
    res = sm.map.resolution_m
    margin = margin_m
    while margin > res:
        inner = ok & ~hazard.within_radius(~ok, margin / res)
        if inner.any():
            ok = inner
            break
        margin *= 0.5
    if not ok.any():
        return None
    tx, ty = target_xy
    tx2 = (xs - tx) ** 2
    flat, dist = [], []
    for b0 in range(0, h, _ROWS):
        rows = slice(b0, b0 + _ROWS)
        d2 = np.where(ok[rows], tx2 + (ys[rows] - ty) ** 2, np.inf).ravel()
        best = np.argsort(d2, kind="stable")[:MAX_CANDIDATES]
        flat.append(best + b0 * w)
        dist.append(d2[best])
    flat_all, d2_all = np.concatenate(flat), np.concatenate(dist)
    for k in np.argsort(d2_all, kind="stable")[:MAX_CANDIDATES]:
        if not math.isfinite(float(d2_all[k])):
            break
        a, b = divmod(int(flat_all[k]), w)
        x, y = float(xs[0, b]), float(ys[a, 0])
        if reachable is None or reachable(x, y):
            return hazard.SiteChoice(int(ii[a]), int(jj[b]), x, y, math.hypot(x - tx, y - ty), math.hypot(x - px, y - py))
    return None


def site_metrics(sm: hazard.SafetyMap, i: int, j: int) -> dict[str, float]:
    """hazard.site_metrics of a PeriodicMap's site on the wrapped window around (i, j) that it
    reads (the disc, and twice its radius for the clearance): the same cells, so the same
    values as on the whole map rolled, and only that window read of a map product's layers."""
    if not isinstance(sm.map, PeriodicMap):
        return hazard.site_metrics(sm, i, j)
    m = sm.map
    cap = max(2 * int(math.floor(sm.limits.safe_radius_m / m.resolution_m)), 2)
    ix = ((np.arange(i - cap, i + cap + 1) % m.n)[:, None], (np.arange(j - cap, j + cap + 1) % m.n)[None, :])
    L = sm.layers
    rock, dune = L.rock_m[ix], L.dune[ix]
    win = hazard.OnboardMap(np.zeros(rock.shape, dtype=np.float32), rock, dune, m.resolution_m)
    layers = hazard.HazardLayers(L.slope_deg[ix], L.roughness_m[ix], rock, dune, L.hazard[ix])
    return hazard.site_metrics(hazard.SafetyMap(win, sm.limits, layers, sm.safe[ix]), cap, cap)


__all__ = ["MAX_CANDIDATES", "PeriodicMap", "assess", "choose_site", "periodic_height", "site_metrics"]
