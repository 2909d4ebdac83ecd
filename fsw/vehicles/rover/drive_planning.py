"""The rover's drive planning: safe paths over the onboard cost map, functions of the estimate.

The manager plans (`rover.py`) because its next mode depends, within the same step, on
whether a safe path exists; mobility (`mobility.py`) then pursues what it planned. Safety does
not rest on the dead reckoning being good: hazards are inflated by the position-error bound
the rover will have at each point of the path (`plan_bounded`), with `bound_slack_m` on top;
mobility stops for a replan once the real bound eats that slack. `PlanBound` is what the
manager keeps of its last plan (the bound it was planned with, its inflation telemetry).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping

from fsw.gnc.path_planner import CostMap, ErrorBound, line_free, plan, plan_bounded

from .topics import NavState

Point = tuple[float, float]
RUN_IN_DIRECTIONS = (0, 1, -1, 2, -2, 3, -3, 4, -4, 5, -5, 6)   # 30 deg steps from the rover's side


@dataclass
class PlanBound:
    """The last plan's bound: `start` (bound at the path's start, odometer; None: unbounded)
    and `inflation_m` (what hazards were inflated by, for telemetry)."""

    start: tuple[float, float] | None = None
    inflation_m: float = 0.0


def safe_path(pb: PlanBound, cost_map: CostMap | None, nav: NavState, goal: Point, p: Mapping,
              goal_tolerance_cells: int = 6, max_end_bound_m: float = math.inf) -> list | None:
    """A path to `goal` keeping every mapped hazard further than the half-width margin plus the
    bound at each point, or None (also when it would end with a bound above `max_end_bound_m`).
    Updates `pb` as the plan went (a bounded search that found nothing leaves its start)."""
    start = (nav.x_m, nav.y_m)
    if cost_map is None:
        pb.start = None
        return [start, goal]
    if not p["inflate_by_bound"]:
        pb.start = None
        path = plan(cost_map, start, goal, goal_tolerance_cells)
    else:
        bound = ErrorBound(nav.bound_m + p["bound_slack_m"], nav.growth_per_m)
        found = plan_bounded(cost_map, start, goal, bound, goal_tolerance_cells)
        path = None
        if found is not None and found[1] <= max_end_bound_m:
            path = found[0]
            pb.start = (bound.now_m, nav.distance_m)
    pb.inflation_m = nav.bound_m + p["bound_slack_m"] if path is not None and p["inflate_by_bound"] else 0.0
    return path


def tube_path(pb: PlanBound, cost_map: CostMap | None, nav: NavState, tube_xy: Point, p: Mapping) -> list | None:
    """A safe path to a tube's standoff point ending in a straight run-in at the tube, so the
    rover stops facing it with the tube in the navcam's view. The run-in comes from the rover's
    side first, else from other directions; it must be free on the nominal map, the path to its
    start free with the growing bound (`safe_path`), ending within `max_pos_bound_m`."""
    tx, ty = tube_xy
    dx, dy = tx - nav.x_m, ty - nav.y_m
    base = math.atan2(dy, dx) if math.hypot(dx, dy) > 1e-6 else nav.heading_rad
    back = p["standoff_m"] + p["tube_run_in_m"]
    for k in RUN_IN_DIRECTIONS:
        a = base + k * math.pi / 6.0
        ux, uy = math.cos(a), math.sin(a)
        pre = (tx - back * ux, ty - back * uy)
        stand = (tx - p["standoff_m"] * ux, ty - p["standoff_m"] * uy)
        if cost_map is not None and not (cost_map.free_at(*pre) and line_free(
                cost_map, cost_map.cell_of(*pre), cost_map.cell_of(*stand))):
            continue
        path = safe_path(pb, cost_map, nav, pre, p, 0, p["max_pos_bound_m"])
        if path is not None:
            return list(path) + [stand]
    return None


def return_path(pb: PlanBound, cost_map: CostMap | None, nav: NavState, handoff_pose: tuple[float, float, float],
                p: Mapping) -> list | None:
    """A safe path to the hand-off point ending in a straight run-in, so the rover parks facing the lander."""
    hx, hy, hh = handoff_pose
    run_in = p["handoff_run_in_m"]
    path = safe_path(pb, cost_map, nav, (hx - run_in * math.cos(hh), hy - run_in * math.sin(hh)), p)
    return None if path is None else list(path) + [(hx, hy)]


def landmark_in_view(nav: NavState, landmarks: Mapping[int, Point], max_range_m: float) -> bool:
    """A known tube may be in the navcam's view (ahead, within range plus the position bound)."""
    reach = max_range_m + nav.bound_m
    h = nav.heading_rad
    for x, y in landmarks.values():
        dx, dy = x - nav.x_m, y - nav.y_m
        if math.hypot(dx, dy) < reach and dx * math.cos(h) + dy * math.sin(h) > 0.0:
            return True
    return False
