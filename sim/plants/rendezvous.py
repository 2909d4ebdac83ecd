"""RendezvousPlant: ERO closing on the OS and capturing it, for the ERO capture flight software.

Devices: nac (camera_tracker: narrow-angle camera on the OS), lidar0 (lidar, close range),
rcs (rcs: force in the ERO body = Hill frame; torque is accepted and ignored, attitude is
ideal), imu0 (imu), capture (capture_mechanism). Camera detection is drawn from the plant
Generator on each camera sample (`sim.sensors.detection_probability`: range and brightness;
none while Mars hides the OS);
the truth range of the first detection is kept. A thrust-free coast far from the cone is
advanced in large steps (`OrbitPair.advance`).
"""
from __future__ import annotations

import math
from dataclasses import asdict
from typing import Any, Mapping

import numpy as np

from hal.catalog import DeviceKind
from sim.plants.base import FixedStepPlant
from sim.relative import inertial_to_lvlh_arrays
from sim.rendezvous import OrbitPair, RendezvousParams, cone_coordinates_arrays
from sim.sensors import CameraParams, LidarParams, detection_probability, lidar_measure, off_axis_angle, target_brightness
from sim.truth import MAX_LIST, number, short_list, short_list_values
from fsw.numerics import fixed_sum

RENDEZVOUS_DEVICES = {"nac": "camera_tracker", "lidar0": "lidar", "rcs": "rcs", "imu0": "imu",
                      "capture": "capture_mechanism"}

# Recorded each truth sample (sim.truth): the state as it is. The relative state, range and
# cone coordinates follow from it and are derived for all samples at once (`truth_derived`).
TRUTH_FIELDS = (
    "t_s", *short_list("ero_state", 6), *short_list("os_state", 6),
    "ero_mass_kg", "delta_v_used_mps", *short_list("force_body_N", 3),
    *(f"capture.{n}" for n in ("triggered", "lid_closing_since_s", "lid_closed", "captured")),
    *short_list("capture.held_rel_m", 3), *short_list("capture.impacts", MAX_LIST, 2),
    "capture.trigger_closing_mps", "capture.trigger_lateral_m",
    "detections", "first_detection_range_m", "first_detection_t_s", "quiet_steps")
_NO_HELD = (math.nan,) * 3
_NO_IMPACTS = (math.nan,) * (2 * MAX_LIST)


def closest_approach2(ero, os_state) -> float:
    """Squared distance from Mars's centre to the closest point of the segment ERO -> OS. The
    camera asks every frame: fixed_sum's sums from 0.0 and min/max's choices, written out."""
    e0, e1, e2 = ero[0], ero[1], ero[2]
    d0, d1, d2 = os_state[0] - e0, os_state[1] - e1, os_state[2] - e2
    dd = 0.0 + d0 * d0 + d1 * d1 + d2 * d2
    t = 0.0
    if dd != 0.0:
        t = -(0.0 + e0 * d0 + e1 * d1 + e2 * d2) / dd
        t = t if t < 1.0 else 1.0           # min(1.0, t): 1.0 unless t < 1.0
        t = t if t > 0.0 else 0.0           # max(0.0, t): 0.0 unless t > 0.0
    return 0.0 + (e0 + t * d0) ** 2 + (e1 + t * d1) ** 2 + (e2 + t * d2) ** 2


class RendezvousPlant(FixedStepPlant):
    def __init__(self, params: RendezvousParams = RendezvousParams(), physics_rate_hz: int = 50,
                 seed: int | np.random.Generator = 0, camera: CameraParams = CameraParams(),
                 lidar: LidarParams = LidarParams(), ideal_pointing: bool = True,
                 limb_margin_m: float = 50e3):
        super().__init__(physics_rate_hz, RENDEZVOUS_DEVICES, seed)
        self.pair = OrbitPair(params)
        self.params = params
        self.camera = camera
        self.lidar = lidar
        self.ideal_pointing = ideal_pointing   # sensors slewed onto the target: no FOV limit
        self.limb_margin_m = limb_margin_m
        self.detections = 0
        self.first_detection_range_m: float | None = None
        self.first_detection_t_s: float | None = None

    def _step(self, dt: float) -> None:
        self.pair.step(dt)

    def occulted(self) -> bool:
        """Mars (with `limb_margin_m` of atmosphere and haze) between the ERO and the OS: at
        phasing ranges of a few thousand km the OS sets behind the limb."""
        closest2 = closest_approach2(self.pair.ero, self.pair.os)
        return closest2 < (self.params.mars.radius_eq_m + self.limb_margin_m) ** 2

    def _advance_steps(self, n: int) -> None:
        self.pair.advance(n, self.dt)
        self.steps += n

    def _sense(self, device: str, kind: DeviceKind) -> dict[str, Any]:
        pr = self.pair
        n = kind.name
        if n == "imu":
            m = pr.ero_mass
            return {"accel_mps2": tuple(c / m for c in pr.force_body), "rate_radps": (0.0, 0.0, 0.0)}
        if n == "rcs":
            mask = 0
            for i, c in enumerate(pr.force_body):
                if c:
                    mask |= 1 << (2 * i + (0 if c > 0 else 1))
            return {"valves_open": mask}
        if n == "capture_mechanism":
            return {"triggered": int(pr.capture.triggered), "lid_closed": int(pr.capture.lid_closed)}
        rel = pr.relative()
        pos = rel[:3]
        rng = math.sqrt(0.0 + pos[0] * pos[0] + pos[1] * pos[1] + pos[2] * pos[2])   # fixed_sum written out
        axis = self.params.cone_axis_body
        if n == "lidar":
            lp = self.lidar if not self.ideal_pointing else LidarParams(self.lidar.max_range_m, self.lidar.min_range_m, math.pi)
            r, rate, ok = lidar_measure(pos, rel[3:], axis, lp)
            return {"range_m": r, "range_rate_mps": rate, "valid": ok}
        # camera_tracker
        in_fov = self.ideal_pointing or off_axis_angle(pos, axis) <= self.camera.half_fov_rad
        p_det = detection_probability(rng, self.camera) if in_fov and not self.occulted() else 0.0
        detected = p_det > 0.0 and float(self.rng.random()) < p_det
        if not detected:
            return {"los_unit": (0.0, 0.0, 0.0), "detected": 0, "brightness": 0.0}
        self.detections += 1
        if self.first_detection_range_m is None:
            self.first_detection_range_m, self.first_detection_t_s = rng, self.t_s
        return {"los_unit": tuple(c / rng for c in pos), "detected": 1,
                "brightness": target_brightness(rng, self.camera)}

    def _actuate(self, device: str, kind: DeviceKind, command: dict[str, Any]) -> None:
        if kind.name == "rcs" and "force_N" in command:
            self.pair.command_force(command["force_N"])
        elif kind.name == "capture_mechanism" and command.get("close_lid"):
            self.pair.close_lid()

    def truth_fields(self) -> tuple[str, ...]:
        """The names of `truth_values` (sim.truth): what `truth()` flattens to."""
        return TRUTH_FIELDS

    def truth_values(self) -> list[float]:
        """The TRUTH_FIELDS of `truth()` as one row of numbers, without building it."""
        pr = self.pair
        c = pr.capture
        held = c.held_rel_m
        return [self.t_s, *pr.ero, *pr.os, pr.ero_mass, pr.delta_v_used, *pr.force_body,
                float(c.triggered), number(c.lid_closing_since_s), float(c.lid_closed), float(c.captured),
                *(_NO_HELD if held is None else held),
                *(_NO_IMPACTS if not c.impacts else short_list_values(c.impacts, MAX_LIST, 2)),
                number(c.trigger_closing_mps), number(c.trigger_lateral_m),
                self.detections, number(self.first_detection_range_m), number(self.first_detection_t_s),
                pr.quiet_steps]

    def truth_derived(self, columns: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """The rest of `truth()` for every sample at once, from the recorded states: what
        `truth()` computes per sample, the same operations elementwise (the same bits)."""
        rel = inertial_to_lvlh_arrays([columns[f"ero_state.{i}"] for i in range(6)],
                                      [columns[f"os_state.{i}"] for i in range(6)])
        x, y, z = rel[:3]
        along, lat, closing = cone_coordinates_arrays(rel, self.params.cone_axis_body)
        out = {f"relative_lvlh.{i}": rel[i] for i in range(6)}
        out.update({"range_m": np.sqrt(0.0 + x * x + y * y + z * z), "cone_depth_m": along,
                    "cone_lateral_m": lat, "closing_speed_mps": closing})
        return out

    def truth(self) -> dict[str, Any]:
        pr = self.pair
        rel = pr.relative()
        along, lat, closing = pr.cone_coordinates(rel)
        return {
            "t_s": self.t_s, "ero_state": pr.ero, "os_state": pr.os, "relative_lvlh": rel,
            "range_m": math.sqrt(fixed_sum(c * c for c in rel[:3])), "cone_depth_m": along, "cone_lateral_m": lat,
            "closing_speed_mps": closing, "ero_mass_kg": pr.ero_mass, "delta_v_used_mps": pr.delta_v_used,
            "force_body_N": pr.force_body, "capture": asdict(pr.capture), "detections": self.detections,
            "first_detection_range_m": self.first_detection_range_m,
            "first_detection_t_s": self.first_detection_t_s, "quiet_steps": pr.quiet_steps,
        }
