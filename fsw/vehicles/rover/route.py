"""The manager's drive: the path the rover is on, the bound it was planned with, what the
wheels are told this step, and the order that tells mobility (`rover.drive`).

Part of the manager (`rover.py`), kept apart so its class is the mode decisions only: the
manager asks `to_tube`, `to_lander`, `creep_to` or `follow` for a path (the next mode depends
on the answer within the same step, so planning stays with the manager), `stop` or `pursue`
for the wheels, and sends `order` once per tick, after the pickup's wish (DESIGN.md).
Requirements: ROV-PLAN-* (the planning functions it calls are `drive_planning.py`).
"""
from __future__ import annotations

import math
from typing import Any, Callable, Mapping

from fsw.gnc.path_planner import CostMap
from fsw.gnc.pure_pursuit import PurePursuit
from fsw.numerics import fixed_sum, hypot2

from .drive_planning import PlanBound, return_path, tube_path
from .topics import DriveOrder, NavState

Point = tuple[float, float]


class Route:
    def __init__(self, params: Mapping[str, Any], emit: Callable[..., None], cost_map: CostMap | None,
                 handoff_pose: tuple[float, float, float]) -> None:
        self.params, self.emit, self.cost_map, self.handoff_pose = params, emit, cost_map, handoff_pose
        self.plan = PlanBound()            # the bound the current path was planned with (drive_planning.py)
        self.path: list | None = None      # the path mobility pursues, None: none
        self._new: tuple | None = None     # planned this step: goes out with the drive order
        self.action = "none"               # what the wheels are told this step: "none", "stop", "pursue"

    # ------------------------------------------------------------ the wheels
    def stop(self) -> None:
        self.action = "stop"

    def pursue(self) -> None:
        """Drive on along the path (mobility: pursuit, replan and hazard checks)."""
        self.action = "pursue" if self.path is not None else "stop"

    def at_goal(self, nav: NavState) -> bool:
        if self.path is None:
            return False
        gx, gy = self.path[-1]
        return hypot2(gx - nav.x_m, gy - nav.y_m) <= PurePursuit.goal_tolerance_m

    def drive_on(self, nav: NavState) -> bool:
        """At the path's end: stop (True); else pursue it."""
        if self.at_goal(nav):
            self.stop()
            return True
        self.pursue()
        return False

    def order(self, mode: str, nav: NavState, egressed: bool, poll_mode: str, stopping: bool,
              navcam_seen: tuple[bool, bool], progress: bool) -> DriveOrder:
        """This tick's order for mobility (and a path planned in it); the step's wheels start afresh."""
        o = DriveOrder(self.action, mode, self.params["drive_speed_mps"], self._new,
                       None if self.plan.start is None else self.plan.start[0], self.on_run_in(mode, nav), egressed,
                       poll_mode, stopping, *navcam_seen, progress)
        self.action, self._new = "none", None
        return o

    # ------------------------------------------------------------ paths
    def follow(self, path, purpose: str, nav: NavState) -> bool:
        if len(path) < 2:
            path = [(nav.x_m, nav.y_m)] + list(path)
        self.path = list(path)
        self._new = tuple((float(x), float(y)) for x, y in path)
        length = fixed_sum(math.dist(path[k], path[k + 1]) for k in range(len(path) - 1))
        self.emit("PATH_PLANNED", purpose=purpose, waypoints=len(path), length_m=round(length, 2))
        return True

    def straight(self, nav: NavState, goal: Point, purpose: str) -> None:
        """A short straight drive on clear ground (off the ramp, a creep): no bound to check."""
        self.plan.start = None
        self.follow([(nav.x_m, nav.y_m), goal], purpose, nav)

    def to_tube(self, nav: NavState, tube: int, xy: Point) -> list | None:
        """A safe path to a tube's standoff point (`drive_planning.tube_path`), or None (NO_PATH)."""
        path = tube_path(self.plan, self.cost_map, nav, xy, self.params)
        if path is None:
            self.emit("NO_PATH", purpose=f"tube {tube} (bound {nav.bound_m:.2f} m)")
        return path

    def to_lander(self, nav: NavState) -> bool:
        """Path to the hand-off point ending in a straight run-in, so the rover parks facing the lander."""
        path = return_path(self.plan, self.cost_map, nav, self.handoff_pose, self.params)
        if path is None:
            self.emit("NO_PATH", purpose=f"return to lander (bound {nav.bound_m:.2f} m)")
            self.path = None
            return False
        return self.follow(path, "return to lander", nav)

    def creep_to(self, nav: NavState, wx: float, wy: float) -> bool:
        """Straight to the standoff point in front of a tube seen at (wx, wy); False: too close already."""
        x, y = nav.x_m, nav.y_m
        back = self.params["standoff_m"]
        dist = math.hypot(wx - x, wy - y)
        if dist <= back + 0.05:
            return False
        f = (dist - back) / dist
        self.straight(nav, (x + (wx - x) * f, y + (wy - y) * f), "creep")
        return True

    def on_run_in(self, mode: str, nav: NavState) -> bool:
        """On the straight final approach to the hand-off point (it ends next to the lander)."""
        hx, hy, _ = self.handoff_pose
        return mode == "RETURN" and math.hypot(nav.x_m - hx, nav.y_m - hy) <= self.params["handoff_run_in_m"] + 0.5


__all__ = ["Route"]
