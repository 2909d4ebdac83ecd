"""Landmark looks: when the rover stops to look for a known depot tube, where a navcam frame
puts the tube, which known tube a sighting is and the fix it gives (ROV-PICK-004). Pure
functions of the estimate and the parameters; the pickup (`pickup.py`) takes the frames."""
from __future__ import annotations

import math
from typing import Any, Callable, Mapping

from fsw.gnc.dead_reckoning import associate_landmark

from .drive_planning import landmark_in_view
from .pickup_geometry import tube_in_body, world_of_body
from .topics import NavState, PositionFix

Landmarks = Mapping[int, tuple[float, float]]
HeightAt = Callable[[float, float], float]


def look_due(nav: NavState, last_look_m: float, landmarks: Landmarks, p: Mapping[str, Any]) -> bool:
    """Unsure (bound above `look_uncertainty_m`), `look_every_m` driven since the last look, and a
    known tube may be in view: stop and look."""
    return not (not p["relocalise_on_tubes"] or nav.bound_m <= p["look_uncertainty_m"]
                or nav.distance_m - last_look_m < p["look_every_m"]
                or not landmark_in_view(nav, landmarks, p["landmark_max_range_m"]))


def tube_from_frame(frame: Any, nav: NavState, p: Mapping[str, Any], height_at: HeightAt):
    """The tube's body position from a navcam frame (`pickup_geometry.tube_in_body`), or None."""
    if frame is None or not frame.detected:
        return None
    return tube_in_body(frame.los_unit, (p["cam_x_m"], p["cam_y_m"], p["cam_z_m"]), p["tube_z_m"], nav, height_at)


def sighting(body, nav: NavState, landmarks: Landmarks, p: Mapping[str, Any],
             height_at: HeightAt) -> tuple[int | None, PositionFix | None]:
    """The known tube seen at body position `body` (None: none within range and the bound's gate)
    and the position fix it gives (None unless `relocalise_on_tubes`)."""
    if body is None or not landmarks:
        return None, None
    rng = math.hypot(body[0], body[1])
    if rng > p["landmark_max_range_m"]:
        return None, None
    wx, wy, _ = world_of_body(body, nav, height_at)
    tid = associate_landmark((wx, wy), landmarks, nav.bound_m + 0.5)
    if tid is None or not p["relocalise_on_tubes"]:
        return tid, None
    lx, ly = landmarks[tid]
    bound = p["landmark_fix_bound_m"] + p["landmark_fix_bound_per_m"] * rng
    return tid, PositionFix(nav.x_m + lx - wx, nav.y_m + ly - wy, bound, f"tube {tid}", "landmark")


__all__ = ["look_due", "sighting", "tube_from_frame"]
