"""Hazard-aware rover path planning: grid A* over a cost map built from the terrain hazards.

The cost map comes from the same per-pixel layers as the landing safety map (slope, rocks,
dunes; `fsw.gnc.hazard`) with the rover's own limits, inflated by the rover's half-width plus
a margin with the same exact disc test, then coarsened to the planning cell (a planning cell
is blocked if any map pixel in it is). A* runs 8-connected with an octile heuristic; slope
adds a soft cost so the path prefers flat ground. The result is shortened by line-of-sight
pruning (a straight segment is kept only if every cell it crosses is free).

A rover that is unsure where it is plans with its position uncertainty: `CostMap.inflated`
grows every hazard by a fixed extra radius, and `plan_bounded` by the error bound the rover
will have when it gets there (the bound now plus its growth per metre driven, so a long drive
needs wide clearance only far from its start). The true rover then stays clear of every mapped
hazard as long as its error is inside the bound. Both work from the per-pixel hazards kept in
the cost map: inflated maps per 0.25 m step, and a clearance map (distance to the nearest
hazard, 0.25 m steps) computed once.
"""
from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field

import numpy as np

from . import hazard
from fsw.numerics import fixed_sum


@dataclass(frozen=True)
class RoverHazardLimits:
    """What a ~130 kg four-wheel rover must not drive over (estimates)."""

    slope_limit_deg: float = 20.0
    rock_limit_m: float = 0.20
    dunes_are_hazards: bool = True
    half_width_m: float = 0.6
    margin_m: float = 0.5
    slope_baseline_m: float = 1.0
    slope_cost: float = 2.0          # extra cost per unit of slope/limit on a free cell


INFLATION_STEP_M = 0.25
CLEARANCE_CAP_M = 8.0


@dataclass
class CostMap:
    """Planning grid: blocked cells and a soft cost, with its geometry.

    `hazard_px` (the per-pixel hazards before inflation, at `pixel_m`) and `radius_m` (the
    inflation already applied) let `inflated` grow the blocked area; a map built without them
    cannot be inflated further.
    """

    blocked: np.ndarray        # bool (n, n)
    cost: np.ndarray           # float32 (n, n), >= 1 on free cells
    cell_m: float
    half_extent_m: float
    centre_m: tuple[float, float] = (0.0, 0.0)
    hazard_px: np.ndarray | None = None
    pixel_m: float = 0.0
    radius_m: float = 0.0
    _inflated: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def n(self) -> int:
        return self.blocked.shape[0]

    def cell_of(self, x: float, y: float) -> tuple[int, int]:
        i = int(math.floor((y - self.centre_m[1] + self.half_extent_m) / self.cell_m))
        j = int(math.floor((x - self.centre_m[0] + self.half_extent_m) / self.cell_m))
        return i, j

    def inside(self, i: int, j: int) -> bool:
        return 0 <= i < self.n and 0 <= j < self.n

    def xy_of(self, i: int, j: int) -> tuple[float, float]:
        return ((j + 0.5) * self.cell_m - self.half_extent_m + self.centre_m[0],
                (i + 0.5) * self.cell_m - self.half_extent_m + self.centre_m[1])

    def free_at(self, x: float, y: float) -> bool:
        i, j = self.cell_of(x, y)
        return self.inside(i, j) and not self.blocked[i, j]

    def inflated(self, extra_m: float) -> "CostMap":
        """This map with every hazard grown by `extra_m` more (rounded up to 0.25 m steps);
        itself for extra_m <= 0. Cached per step. ValueError without the pixel hazards."""
        if not extra_m > 0.0:
            return self
        if self.hazard_px is None:
            raise ValueError("this cost map has no pixel hazards to inflate")
        step = int(math.ceil(extra_m / INFLATION_STEP_M - 1e-9))
        cm = self._inflated.get(step)
        if cm is None:
            blocked = _coarse_blocked(self.hazard_px, (self.radius_m + step * INFLATION_STEP_M) / self.pixel_m,
                                      int(round(self.cell_m / self.pixel_m)))
            cm = CostMap(blocked, self.cost, self.cell_m, self.half_extent_m, self.centre_m, None,
                         self.pixel_m, self.radius_m + step * INFLATION_STEP_M)
            self._inflated[step] = cm
        return cm

    @property
    def clearance(self) -> np.ndarray:
        """Per planning cell, a lower bound (0.25 m steps, at most 8 m; -1 on a hazard) on the
        distance from any of its pixels to the nearest hazard pixel. Computed once."""
        q = self._inflated.get("clearance")
        if q is None:
            if self.hazard_px is None:
                raise ValueError("this cost map has no pixel hazards")
            q = clearance_cells(self.hazard_px, self.pixel_m, int(round(self.cell_m / self.pixel_m)))
            self._inflated["clearance"] = q
        return q


def clearance_cells(hazard_px: np.ndarray, pixel_m: float, f: int, cap_m: float = CLEARANCE_CAP_M) -> np.ndarray:
    """Quantised distance to the nearest hazard pixel, as the minimum over each f x f cell.

    Per pixel: -1 on a hazard, else the largest radius r = k * 0.25 m (k <= cap) whose
    `hazard.within_radius` disc holds no hazard pixel, 0 when none; found for all radii at
    once (`_first_covering`: 0.33 s -> 0.03 s on the delivery's 800 x 800 map) instead of
    one `within_radius` per radius (tests/gnc: the very array the per-radius loop gives)."""
    ks = range(1, int(round(cap_m / INFLATION_STEP_M)) + 1)
    first = _first_covering(hazard_px, [k * INFLATION_STEP_M / pixel_m for k in ks])
    # not covered until radius k + 1 (0-based index k): clear to the k-th radius
    clear_m = np.array([0.0] + [np.float32(k * INFLATION_STEP_M) for k in ks], dtype=np.float32)
    q = np.where(hazard_px, np.float32(-1.0), clear_m[first])
    n = hazard_px.shape[0] // f
    return q[: n * f, : n * f].reshape(n, f, n, f).min(axis=(1, 3))


def _first_covering(mask: np.ndarray, radii_cells: list[float]) -> np.ndarray:
    """Per pixel, the index of the first of the increasing `radii_cells` whose
    `hazard.within_radius(mask, radius)` covers it (len(radii_cells) if none does).

    `within_radius` covers pixel (i, j) when a pixel (i, j') lies within the half-width its
    column distance g (to the nearest True pixel in column j') gives at that radius:
    |j - j'| <= floor(sqrt(r^2 - g^2) + 1e-9), for g <= floor(r). That test grows with r, so
    the radii covering a pixel from one (g, |j - j'|) start at one index, tabulated here with
    `within_radius`'s own half-width arithmetic; a pixel's first index is the least over the
    pixels of its row within the largest half-width."""
    n_r = len(radii_cells)
    rad_max = int(math.floor(radii_cells[-1])) if n_r else -1
    first = np.full(mask.shape, n_r, dtype=np.int16)
    if rad_max < 0:
        return first
    # table[g, d]: the first radius index at which column distance g covers row offset d
    table = np.full((rad_max + 2, rad_max + 1), n_r, dtype=np.int16)
    for k in range(n_r - 1, -1, -1):
        radius = radii_cells[k]
        rad = int(math.floor(radius))
        if rad < 0:
            continue
        d = np.arange(rad + 1)
        half = np.floor(np.sqrt(np.maximum(radius * radius - d * d, 0.0)) + 1e-9).astype(np.int32)
        for g in range(rad + 1):
            table[g, : half[g] + 1] = k      # covered from radius k on (radii increase)
    g = np.minimum(hazard.column_distances(mask), rad_max + 1)
    m = mask.shape[1]
    for d in range(min(rad_max, m - 1) + 1):
        col = table[:, d]
        if d == 0:
            np.minimum(first, col[g], out=first)
            continue
        np.minimum(first[:, : m - d], col[g[:, d:]], out=first[:, : m - d])    # from j + d
        np.minimum(first[:, d:], col[g[:, : m - d]], out=first[:, d:])         # from j - d
    return first


def _coarse_blocked(hazard_px: np.ndarray, radius_px: float, f: int) -> np.ndarray:
    """Pixel hazards grown by a radius, then a planning cell blocked if any pixel in it is."""
    inflated = hazard.within_radius(hazard_px, radius_px)
    n = hazard_px.shape[0] // f
    return inflated[: n * f, : n * f].reshape(n, f, n, f).any(axis=(1, 3))


def rover_hazard_mask(m: hazard.OnboardMap, lim: RoverHazardLimits) -> tuple[np.ndarray, np.ndarray]:
    """(per-pixel hazard, slope in degrees) for the rover's limits, before inflation."""
    slope = hazard.slope_deg(m.height_m, m.resolution_m, lim.slope_baseline_m)
    hz = slope > np.float32(lim.slope_limit_deg)
    hz |= np.asarray(m.max_rock_m) > np.float32(lim.rock_limit_m)
    if lim.dunes_are_hazards:
        hz |= np.asarray(m.dune_mask, dtype=bool)
    hz |= ~np.isfinite(m.height_m)
    return hz, slope


def keep_out_mask(m: hazard.OnboardMap, discs) -> np.ndarray:
    """Pixels inside any (x, y, radius) disc: things on the ground the map does not show (the lander)."""
    out = np.zeros((m.n, m.n), dtype=bool)
    x0, y0 = m.corner_m
    c = (np.arange(m.n) + 0.5) * m.resolution_m
    for x, y, r in discs:
        out |= ((c[None, :] + x0 - x) ** 2 + (c[:, None] + y0 - y) ** 2) <= r * r
    return out


def build_cost_map(m: hazard.OnboardMap, lim: RoverHazardLimits = RoverHazardLimits(),
                   cell_m: float = 1.0, keep_out=()) -> CostMap:
    """The planning grid for `m`; `keep_out` discs (x, y, radius m) are hazards too."""
    hz, slope = rover_hazard_mask(m, lim)
    if keep_out:
        hz |= keep_out_mask(m, keep_out)
    radius = lim.half_width_m + lim.margin_m
    f = max(1, int(round(cell_m / m.resolution_m)))
    n = m.n // f
    blocked = _coarse_blocked(hz, radius / m.resolution_m, f)
    s = slope[: n * f, : n * f].reshape(n, f, n, f).max(axis=(1, 3))
    cost = (1.0 + lim.slope_cost * np.clip(s / lim.slope_limit_deg, 0.0, 1.0)).astype(np.float32)
    # The planning grid covers n f pixels: its centre moves when m.n is not a multiple of f.
    x0, y0 = m.corner_m
    half = 0.5 * n * f * m.resolution_m
    return CostMap(blocked, cost, f * m.resolution_m, half, (x0 + half, y0 + half), hz, m.resolution_m, radius)


_MOVES = ((-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1))


def nearest_free(cm: CostMap, i: int, j: int, max_cells: int = 20) -> tuple[int, int] | None:
    """The free cell nearest to (i, j) within a square window (row-major tie-break)."""
    best, best_d = None, math.inf
    for di in range(-max_cells, max_cells + 1):
        for dj in range(-max_cells, max_cells + 1):
            a, b = i + di, j + dj
            if cm.inside(a, b) and not cm.blocked[a, b]:
                d = di * di + dj * dj
                if d < best_d:
                    best, best_d = (a, b), d
    return best


def astar(cm: CostMap, start: tuple[int, int], goal: tuple[int, int], max_expansions: int = 400_000
          ) -> list[tuple[int, int]] | None:
    """Cheapest 8-connected cell path, or None. Deterministic (ties broken by insertion order)."""
    if not (cm.inside(*start) and cm.inside(*goal)) or cm.blocked[start] or cm.blocked[goal]:
        return None
    blocked, cost = cm.blocked, cm.cost
    n = cm.n
    gi, gj = goal
    g = {start: 0.0}
    parent: dict[tuple[int, int], tuple[int, int]] = {}
    counter = 0
    heap = [(0.0, 0, start)]
    closed = set()
    sq2 = math.sqrt(2.0)
    while heap:
        _, _, cur = heapq.heappop(heap)
        if cur in closed:
            continue
        if cur == goal:
            path = [cur]
            while cur in parent:
                cur = parent[cur]
                path.append(cur)
            return path[::-1]
        closed.add(cur)
        if len(closed) > max_expansions:
            return None
        ci, cj = cur
        gc = g[cur]
        for di, dj in _MOVES:
            a, b = ci + di, cj + dj
            if not (0 <= a < n and 0 <= b < n) or blocked[a, b]:
                continue
            if di and dj and (blocked[ci, b] or blocked[a, cj]):
                continue  # no corner cutting past a blocked cell
            step = (sq2 if di and dj else 1.0) * 0.5 * (float(cost[ci, cj]) + float(cost[a, b]))
            ng = gc + step
            if ng < g.get((a, b), math.inf):
                g[(a, b)] = ng
                parent[(a, b)] = cur
                dx, dy = abs(a - gi), abs(b - gj)
                h = (dx + dy) + (sq2 - 2.0) * min(dx, dy)
                counter += 1
                heapq.heappush(heap, (ng + h, counter, (a, b)))
    return None


def line_free(cm: CostMap, a: tuple[int, int], b: tuple[int, int]) -> bool:
    """Every cell the centre-to-centre segment from a to b passes through is free (dense sampling)."""
    (i0, j0), (i1, j1) = a, b
    steps = 4 * max(abs(i1 - i0), abs(j1 - j0), 1)
    t = np.linspace(0.0, 1.0, steps + 1)
    ii = np.floor(i0 + 0.5 + (i1 - i0) * t).astype(int)
    jj = np.floor(j0 + 0.5 + (j1 - j0) * t).astype(int)
    return not cm.blocked[ii, jj].any()


def prune(cm: CostMap, cells: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Keep only the corners needed for straight, free segments."""
    if len(cells) <= 2:
        return list(cells)
    out = [cells[0]]
    k = 0
    while k < len(cells) - 1:
        nxt = k + 1
        for m in range(len(cells) - 1, k + 1, -1):
            if line_free(cm, cells[k], cells[m]):
                nxt = m
                break
        out.append(cells[nxt])
        k = nxt
    return out


def escape_cell(cm: CostMap, start: tuple[int, int], escape: CostMap, max_cells: int = 4) -> tuple[int, int] | None:
    """The nearest free cell of `cm` that a straight line free on `escape` reaches from `start`.

    A rover inside its uncertainty inflation (next to a hazard it has safely reached) leaves
    it on a line that at least clears the nominally inflated hazards."""
    cands = sorted(((di * di + dj * dj, di, dj) for di in range(-max_cells, max_cells + 1)
                    for dj in range(-max_cells, max_cells + 1)))
    for _, di, dj in cands:
        c = (start[0] + di, start[1] + dj)
        if cm.inside(*c) and not cm.blocked[c] and line_free(escape, start, c):
            return c
    return None


def path_length(path) -> float:
    return fixed_sum(math.dist(path[k], path[k + 1]) for k in range(len(path) - 1))


def plan(cm: CostMap, start_xy: tuple[float, float], goal_xy: tuple[float, float],
         goal_tolerance_cells: int = 6, escape: CostMap | None = None) -> list[tuple[float, float]] | None:
    """Waypoints (local metres) from start to goal avoiding blocked cells; None if impossible.

    A start inside a blocked cell (e.g. after a slip) plans from the nearest free cell, or, with
    `escape` (a less inflated map of the same grid), from the nearest free cell a straight line
    free on `escape` reaches; a blocked goal is replaced by the nearest free cell within
    `goal_tolerance_cells`.
    """
    s = cm.cell_of(*start_xy)
    gcell = cm.cell_of(*goal_xy)
    if not cm.inside(*s) or not cm.inside(*gcell):
        return None
    start_blocked = bool(cm.blocked[s])
    if start_blocked:
        s = nearest_free(cm, *s, max_cells=4) if escape is None else escape_cell(cm, s, escape)
    if cm.blocked[gcell]:
        gcell = nearest_free(cm, *gcell, max_cells=goal_tolerance_cells)
    if s is None or gcell is None:
        return None
    cells = astar(cm, s, gcell)
    if cells is None:
        return None
    pts = [cm.xy_of(i, j) for i, j in prune(cm, cells)]
    start = (float(start_xy[0]), float(start_xy[1]))
    if start_blocked and escape is not None:
        pts.insert(0, start)          # keep the escape cell: the line to it was checked
    else:
        pts[0] = start
    if not cm.blocked[cm.cell_of(*goal_xy)]:
        pts[-1] = (float(goal_xy[0]), float(goal_xy[1]))
    return pts


# ---------------------------------------------------------------- planning with a growing error bound

@dataclass(frozen=True)
class ErrorBound:
    """The rover's position-error bound now, and how much it grows per metre driven."""

    now_m: float
    growth_per_m: float

    def after(self, distance_m: float) -> float:
        return self.now_m + self.growth_per_m * max(0.0, distance_m)


def astar_bounded(cm: CostMap, start: tuple[int, int], goal: tuple[int, int], bound: ErrorBound,
                  start_length: float = 0.0, goal_tolerance_cells: int = 6, max_expansions: int = 400_000
                  ) -> tuple[list[tuple[int, int]], list[float]] | None:
    """Cheapest 8-connected path whose every cell keeps the rover's half-width margin plus the
    error bound it will have there (bound after the path length so far) from every hazard.

    Returns the cells and the path length (m) at each, or None. The goal cell counts as reached
    when the search stands on it or, if the goal itself is too close to a hazard for the bound
    there, on a cell within `goal_tolerance_cells` of it. Deterministic (ties by insertion)."""
    clear = cm.clearance
    base = cm.radius_m + bound.now_m
    k = bound.growth_per_m
    n = cm.n

    def ok(c: tuple[int, int], length: float) -> bool:
        return float(clear[c]) >= base + k * length

    if not (cm.inside(*start) and cm.inside(*goal)) or not ok(start, start_length):
        return None
    gi, gj = goal
    g = {start: 0.0}
    length = {start: start_length}
    parent: dict[tuple[int, int], tuple[int, int]] = {}
    heap = [(0.0, 0, start)]
    closed = set()
    counter = 0
    sq2 = math.sqrt(2.0)
    cost, cell = cm.cost, cm.cell_m
    while heap:
        _, _, cur = heapq.heappop(heap)
        if cur in closed:
            continue
        near = max(abs(cur[0] - gi), abs(cur[1] - gj)) <= goal_tolerance_cells
        if cur == goal or (near and not ok(goal, length[cur])):
            path = [cur]
            while cur in parent:
                cur = parent[cur]
                path.append(cur)
            path.reverse()
            return path, [length[c] for c in path]
        closed.add(cur)
        if len(closed) > max_expansions:
            return None
        ci, cj = cur
        gc, lc = g[cur], length[cur]
        for di, dj in _MOVES:
            a, b = ci + di, cj + dj
            if not (0 <= a < n and 0 <= b < n):
                continue
            diag = bool(di and dj)
            ln = lc + (sq2 if diag else 1.0) * cell
            if not ok((a, b), ln) or (diag and not (ok((ci, b), ln) and ok((a, cj), ln))):
                continue
            ng = gc + (sq2 if diag else 1.0) * 0.5 * (float(cost[ci, cj]) + float(cost[a, b]))
            if ng < g.get((a, b), math.inf):
                g[(a, b)] = ng
                length[(a, b)] = ln
                parent[(a, b)] = cur
                dx, dy = abs(a - gi), abs(b - gj)
                counter += 1
                heapq.heappush(heap, (ng + (dx + dy) + (sq2 - 2.0) * min(dx, dy), counter, (a, b)))
    return None


def _line_cells(a: tuple[int, int], b: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    (i0, j0), (i1, j1) = a, b
    steps = 4 * max(abs(i1 - i0), abs(j1 - j0), 1)
    t = np.linspace(0.0, 1.0, steps + 1)
    return np.floor(i0 + 0.5 + (i1 - i0) * t).astype(int), np.floor(j0 + 0.5 + (j1 - j0) * t).astype(int)


def prune_bounded(cm: CostMap, cells: list[tuple[int, int]], lengths: list[float], bound: ErrorBound
                  ) -> list[tuple[int, int]]:
    """Corners needed for straight segments that keep the clearance the far end's bound needs
    (a shortcut is never longer, so the bound there is no larger)."""
    clear = cm.clearance
    base = cm.radius_m + bound.now_m
    out = [cells[0]]
    k = 0
    while k < len(cells) - 1:
        nxt = k + 1
        for m in range(len(cells) - 1, k + 1, -1):
            ii, jj = _line_cells(cells[k], cells[m])
            if float(clear[ii, jj].min()) >= base + bound.growth_per_m * lengths[m]:
                nxt = m
                break
        out.append(cells[nxt])
        k = nxt
    return out


def _leaves_freely(cm: CostMap, s: tuple[int, int], c: tuple[int, int]) -> bool:
    """The line from s to c crosses no blocked cell other than s itself (where the rover is)."""
    ii, jj = _line_cells(s, c)
    away = (ii != s[0]) | (jj != s[1])
    return not cm.blocked[ii[away], jj[away]].any()


def plan_bounded(cm: CostMap, start_xy: tuple[float, float], goal_xy: tuple[float, float], bound: ErrorBound,
                 goal_tolerance_cells: int = 6) -> tuple[list[tuple[float, float]], float] | None:
    """Waypoints from start to goal that keep clear of every hazard by the half-width margin
    plus the error bound at each point, and the bound at the end; None if there is none.

    A start too close to a hazard for its bound (a rover that has safely reached a tube next to
    one) leaves by the nearest good cell that a straight line free on the nominal map reaches."""
    s = cm.cell_of(*start_xy)
    gcell = cm.cell_of(*goal_xy)
    if not cm.inside(*s) or not cm.inside(*gcell):
        return None
    clear = cm.clearance
    start0 = (float(start_xy[0]), float(start_xy[1]))
    escape = 0.0
    lead: list[tuple[float, float]] = []
    if float(clear[s]) < cm.radius_m + bound.now_m:
        best = None
        for d2, di, dj in sorted((di * di + dj * dj, di, dj) for di in range(-4, 5) for dj in range(-4, 5)):
            c = (s[0] + di, s[1] + dj)
            dist = math.sqrt(d2) * cm.cell_m
            if cm.inside(*c) and float(clear[c]) >= cm.radius_m + bound.after(dist) and _leaves_freely(cm, s, c):
                best, escape = c, dist
                break
        if best is None:
            return None
        lead, s = [start0], best
    found = astar_bounded(cm, s, gcell, bound, escape, goal_tolerance_cells)
    if found is None:
        return None
    cells, lengths = found
    keep = prune_bounded(cm, cells, lengths, bound)
    pts = lead + [cm.xy_of(i, j) for i, j in keep]
    if not lead:
        pts[0] = start0
    if cells[-1] == gcell:
        pts[-1] = (float(goal_xy[0]), float(goal_xy[1]))
    if len(pts) < 2:
        pts = [start0, pts[-1]]
    return pts, bound.after(path_length(pts))
