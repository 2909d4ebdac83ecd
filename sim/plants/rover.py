"""RoverPlant: the Sample Fetch Rover on the terrain, with depots of tubes to fetch.

Devices: wheels (wheel_drive), imu0 (imu), navcam (camera_tracker: nearest tube on the
ground), arm (arm), gripper (gripper), slot0..slot{n-1} (tube_sensor). Frames: sim.rover.

The IMU's yaw rate is the mean over its sample interval (the delta angle the gyro
accumulated since its previous sample, over the interval), as a real integrating gyro
reports it: integrating the samples then recovers the heading change, yaw drift included,
whatever the physics step. `imu_sample_hz` must match the imu0 device rate.
"""
from __future__ import annotations

import functools
import math
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np

from hal.catalog import DeviceKind
from sim.plants.base import FixedStepPlant, PlantDeviceError
from sim.rover import Rover, RoverParams
from sim.sensors import off_axis_angle
from sim.terrain import Terrain
from sim.truth import MAX_LIST, short_list, short_list_values


@dataclass(frozen=True)
class NavcamParams:
    mount_m: tuple[float, float, float] = (0.3, 0.0, 1.1)     # body frame
    boresight: tuple[float, float, float] = (0.8, 0.0, -0.6)  # forward and down
    half_fov_rad: float = math.radians(40.0)
    max_range_m: float = 6.0


def rover_devices(n_slots: int) -> dict[str, str]:
    d = {"wheels": "wheel_drive", "imu0": "imu", "navcam": "camera_tracker", "arm": "arm", "gripper": "gripper"}
    d.update({f"slot{k}": "tube_sensor" for k in range(n_slots)})
    return d


class RoverPlant(FixedStepPlant):
    def __init__(self, terrain: Terrain, params: RoverParams = RoverParams(), physics_rate_hz: int = 50,
                 seed: int | np.random.Generator = 0, navcam: NavcamParams = NavcamParams(),
                 gravity_mps2: float = 3.71, imu_sample_hz: int = 10):
        super().__init__(physics_rate_hz, rover_devices(params.n_slots), seed)
        self.rover = Rover(params, terrain, self.rng)
        self.navcam = navcam
        self.g = gravity_mps2
        if not isinstance(imu_sample_hz, int) or imu_sample_hz <= 0 or physics_rate_hz % imu_sample_hz:
            raise ValueError(f"imu_sample_hz must divide the physics rate {physics_rate_hz}, got {imu_sample_hz!r}")
        # Heading increments of the last physics steps of one IMU sample interval.
        self._dpsi: deque[float] = deque([0.0] * (physics_rate_hz // imu_sample_hz), maxlen=physics_rate_hz // imu_sample_hz)
        self._tube_z: dict[tuple[float, float], float] = {}       # a ground tube's z by its place
        self._readers: dict[str, Callable[[], dict[str, Any]]] = {
            "wheels": self._read_wheels, "imu0": self._read_imu, "navcam": self._read_navcam,
            "arm": self._read_arm, "gripper": self._read_gripper,
            **{f"slot{k}": functools.partial(self._read_slot, k) for k in range(params.n_slots)}}

    def _step(self, dt: float) -> None:
        self.rover.step(dt)
        self._dpsi.append(self.rover.yaw_rate * dt)

    def imu_yaw_rate(self) -> float:
        """Mean yaw rate over the last IMU sample interval (delta angle / interval)."""
        return math.fsum(self._dpsi) / (len(self._dpsi) * self.dt)

    def _nearest_tube(self):
        rv, cam = self.rover, self.navcam
        cam_w = rv.body_to_world(cam.mount_m)
        origin = (rv.x + cam_w[0], rv.y + cam_w[1], rv.ground_z() + cam_w[2])
        o0, o1, o2 = origin
        tubes, tube_z, max_range = rv.tubes, self._tube_z, cam.max_range_m
        best = None
        for tid in sorted(tubes):
            st = tubes[tid]
            if st.where != "ground":
                continue
            # rv.tube_world(tid) of a tube on the ground, its height kept per place (the
            # map is read-only); the difference and its length written out (fixed_sum's order)
            x, y = st.xy
            z = tube_z.get(st.xy)
            if z is None:
                z = tube_z[st.xy] = rv.terrain.height_at(x, y) + rv.params.tube_height_m
            d0, d1, d2 = x - o0, y - o1, z - o2
            rng = math.sqrt(0.0 + d0 * d0 + d1 * d1 + d2 * d2)
            if rng > max_range or rng == 0.0:
                continue
            d_body = rv.world_to_body((d0, d1, d2))
            if off_axis_angle(d_body, cam.boresight) > cam.half_fov_rad:
                continue
            if best is None or rng < best[0]:
                best = (rng, tid, d_body)
        return best

    # --- devices: one reading function per device (sense() dispatches by name) ----------------
    def sense(self, device: str) -> Mapping[str, Any]:
        """The device's reading function straight away when no fault hook is set (the
        devices and their kinds are fixed at construction); else the base class's checks and
        hooks, with the rover's buffered drift draws given back to the generator first."""
        fn = self._readers.get(device)
        if fn is None or self.hooks.faults:
            self.rover._drift.sync()         # a fault hook may draw from the plant's generator
            return super().sense(device)
        return fn()

    def _sense(self, device: str, kind: DeviceKind) -> dict[str, Any]:
        fn = self._readers.get(device)
        if fn is None:
            raise PlantDeviceError("no reading for this device", device)
        return fn()

    def _read_wheels(self) -> dict[str, Any]:
        rv = self.rover
        return {"odometer_m": rv.odometer_m, "speed_mps": rv.speed, "heading_rad": rv.odo_heading}

    def _read_imu(self) -> dict[str, Any]:
        return {"accel_mps2": self.rover.world_to_body((0.0, 0.0, self.g)), "rate_radps": (0.0, 0.0, self.imu_yaw_rate())}

    def _read_navcam(self) -> dict[str, Any]:
        best = self._nearest_tube()
        if best is None:
            return {"los_unit": (0.0, 0.0, 0.0), "detected": 0, "brightness": 0.0}
        rng, _, d = best
        return {"los_unit": (d[0] / rng, d[1] / rng, d[2] / rng), "detected": 1,
                "brightness": min(1.0, 1.5 / max(rng, 1e-3))}

    def _read_arm(self) -> dict[str, Any]:
        rv = self.rover
        at = math.dist(rv.ee_m, rv.ee_target_m) <= rv.params.arm_at_target_tol_m
        return {"position_m": tuple(rv.ee_m), "at_target": int(at)}

    def _read_gripper(self) -> dict[str, Any]:
        rv = self.rover
        return {"closed": int(rv.gripper_closed), "holding": int(rv.held != 0), "tube_id": rv.held}

    def _read_slot(self, k: int) -> dict[str, Any]:
        tid = self.rover.slots[k]
        return {"present": int(tid != 0), "tube_id": tid}

    def _actuate(self, device: str, kind: DeviceKind, command: dict[str, Any]) -> None:
        rv = self.rover
        if kind.name == "wheel_drive":
            rv.drive(command.get("speed_mps", rv.speed_cmd), command.get("curvature_1pm", rv.curvature_cmd))
        elif kind.name == "arm" and "target_m" in command:
            rv.arm_to(command["target_m"])
        elif kind.name == "gripper" and "close" in command:
            rv.grip(bool(command["close"]))

    def truth(self) -> dict[str, Any]:
        rv = self.rover
        pitch, roll = rv.tilt()
        return {
            "t_s": self.t_s, "x_m": rv.x, "y_m": rv.y, "z_m": rv.ground_z(), "heading_rad": rv.heading,
            "on_map": rv.terrain.contains(rv.x, rv.y),
            "pitch_rad": pitch, "roll_rad": roll, "speed_mps": rv.speed, "slip": rv.last_slip,
            "odometer_m": rv.odometer_m, "odo_heading_rad": rv.odo_heading,
            "ground_distance_m": rv.ground_distance_m, "held_tube": rv.held, "slots": tuple(rv.slots),
            "tubes": {tid: {"where": st.where, "xy_m": st.xy} for tid, st in sorted(rv.tubes.items())},
            "events": list(rv.events),
        }

    # --- truth by declared fields (sim.truth): the numbers `truth()` flattens to, as one row
    def truth_fields(self) -> tuple[str, ...]:
        """The names of `truth_values`: what `truth()` flattens to (the tubes are those aboard
        and on the map now: the set is fixed once the plant is built)."""
        return (*SCALAR_TRUTH, *short_list("slots", len(self.rover.slots)),
                *(f"tubes.{tid}.xy_m.{j}" for tid in sorted(self.rover.tubes) for j in (0, 1)),
                *(f"events.{k}.0" for k in range(MAX_LIST)))

    def truth_values(self) -> list[float]:
        """`truth()` as one row of TRUTH_FIELDS numbers, without building it (NaN = absent)."""
        rv = self.rover
        z, (pitch, roll, *_) = rv.ground_z(), rv._frame()
        x, y = rv.x, rv.y
        events = rv.events
        row = [self.t_s, x, y, z, rv.heading, float(rv.terrain.contains(x, y)), pitch, roll, rv.speed,
               rv.last_slip, rv.odometer_m, rv.odo_heading, rv.ground_distance_m, float(rv.held),
               *short_list_values(rv.slots, len(rv.slots))]
        for _, st in sorted(rv.tubes.items()):
            row += (float(st.xy[0]), float(st.xy[1]))
        # events (t, text): their times while there are at most MAX_LIST (flatten skips a longer list)
        row += short_list_values([e[0] for e in events] if len(events) <= MAX_LIST else (), MAX_LIST)
        return row


# the scalars of RoverPlant.truth(), in the order `truth_values` gives them
SCALAR_TRUTH = ("t_s", "x_m", "y_m", "z_m", "heading_rad", "on_map", "pitch_rad", "roll_rad", "speed_mps", "slip",
                "odometer_m", "odo_heading_rad", "ground_distance_m", "held_tube")
