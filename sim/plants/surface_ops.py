"""SurfaceOpsPlant: the rover on the terrain beside the landed lander, its Sample Transfer Arm,
the Orbiting Sample (OS), and the lander's cameras that watch the rover.

Devices, on top of RoverPlant's (wheels, imu0, navcam, arm, gripper, slot<k>):

    sta_arm (arm)            STA end effector, Cartesian, in the STA base frame (local axes)
    sta_gripper (gripper)    STA gripper with a tube id reader
    os_tube_sensor (tube_sensor)   last tube seated in the OS
    os_seal (pyro)           the OS lid seal
    lander_cam_l, lander_cam_r (camera_tracker)   stereo pair on the lander deck: line of
                             sight to the rover's mast target, in camera frames aligned with the
                             local axes (calibrated; the landed lander is level enough)

Hand-over physics: the rover's gripper closing at its stowage point takes the last stowed
tube out of its slot; the STA gripper closing near the rover's held tube takes it (within
`capture_tol_m`: it stands for the arm's camera-guided final alignment, not modelled); the
rover opening its gripper while the STA holds the tube lets go of it; the STA opening at the
OS port seats the tube in the OS, anywhere else drops it.

Truth monitors for the run summary (not visible to the flight software): every entry of the
rover centre into a mapped rover hazard pixel, and the rover's true position at every 100 ms.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from hal.catalog import DeviceKind
from sim.plants.rover import NavcamParams, RoverPlant
from sim.rover import RoverParams
from sim.terrain import Terrain
from sim.truth import MAX_LIST, short_list, short_list_values

STA_DEVICES = {"sta_arm": "arm", "sta_gripper": "gripper", "os_tube_sensor": "tube_sensor", "os_seal": "pyro"}
LANDER_CAMERAS = {"lander_cam_l": "camera_tracker", "lander_cam_r": "camera_tracker"}
TRACK_PERIOD_NS = 100_000_000


@dataclass(frozen=True)
class StaParams:
    """The STA (2.5 m reach, MSR_FACTS.md) and the OS port, in the STA base frame (estimates)."""

    base_height_m: float = 1.4                      # shoulder above the ground
    os_port_m: tuple[float, float, float] = (0.2, 0.6, 0.9)
    speed_mps: float = 0.1
    capture_tol_m: float = 0.15
    port_tol_m: float = 0.03
    stow_m: tuple[float, float, float] = (0.0, 0.0, 0.5)


@dataclass(frozen=True)
class LanderCameraParams:
    """Stereo cameras on the lander deck watching the rover's mast target (estimates)."""

    offsets_m: tuple[tuple[float, float, float], ...] = ((0.0, 1.0, 2.5), (0.0, -1.0, 2.5))  # from the lander
    target_height_m: float = 1.5                    # rover mast target above the ground
    max_range_m: float = 30.0


class SampleTransferModel:
    """The STA, its gripper, the OS tube port and the OS seal (STA base frame, local axes)."""

    def __init__(self, base_xyz: tuple[float, float, float], params: StaParams = StaParams()) -> None:
        self.base = base_xyz
        self.params = params
        self.ee = params.stow_m
        self.target = self.ee
        self.closed = False
        self.held = 0
        self.os: list[int] = []
        self.sealed = False
        self.dropped: list[int] = []

    def ee_world(self) -> tuple[float, float, float]:
        return tuple(self.base[i] + self.ee[i] for i in range(3))

    def step(self, dt: float) -> None:
        ee, target = self.ee, self.target
        d0, d1, d2 = target[0] - ee[0], target[1] - ee[1], target[2] - ee[2]
        n = math.sqrt(0.0 + d0 * d0 + d1 * d1 + d2 * d2)        # sum() from 0.0, written out
        lim = self.params.speed_mps * dt
        self.ee = target if n <= lim else (ee[0] + d0 * lim / n, ee[1] + d1 * lim / n, ee[2] + d2 * lim / n)

    def at_port(self) -> bool:
        return math.dist(self.ee, self.params.os_port_m) <= self.params.port_tol_m


class SurfaceOpsPlant(RoverPlant):
    """RoverPlant plus the lander's sample-transfer hardware and cameras (hal.plant.Plant)."""

    def __init__(self, terrain: Terrain, lander_xy_m: tuple[float, float], params: RoverParams = RoverParams(),
                 physics_rate_hz: int = 50, seed: int | np.random.Generator = 0,
                 navcam: NavcamParams = NavcamParams(), sta: StaParams = StaParams(),
                 cameras: LanderCameraParams = LanderCameraParams(), imu_sample_hz: int = 10,
                 hazard_px: np.ndarray | None = None, hazard_corner_m: tuple[float, float] = (0.0, 0.0),
                 hazard_pixel_m: float = 0.5) -> None:
        super().__init__(terrain, params, physics_rate_hz, seed, navcam, imu_sample_hz=imu_sample_hz)
        self.devices.update(STA_DEVICES)
        self.devices.update(LANDER_CAMERAS)
        self._readers.update({"sta_arm": self._read_sta_arm, "sta_gripper": self._read_sta_gripper,
                              "os_tube_sensor": self._read_os_tube_sensor, "os_seal": self._read_os_seal,
                              **{name: functools.partial(self._camera, name) for name in LANDER_CAMERAS}})
        lx, ly = float(lander_xy_m[0]), float(lander_xy_m[1])
        self.lander_xy = (lx, ly)
        ground = terrain.height_at(lx, ly)
        self.sta = SampleTransferModel((lx, ly, ground + sta.base_height_m), sta)
        self.cameras = cameras
        self.camera_xyz = {name: (lx + o[0], ly + o[1], ground + o[2])
                           for name, o in zip(LANDER_CAMERAS, cameras.offsets_m)}
        self.hazard_px = hazard_px
        self.hazard_corner = hazard_corner_m
        self.hazard_pixel = hazard_pixel_m
        self.hazards_entered = 0
        self._hazard_rows: dict[int, list[bool]] = {}
        self.hazard_entries: list[tuple[float, float, float]] = []   # (t_s, x, y) of each entry
        self._in_hazard = self._on_hazard()
        self._hazard_xy = (None, None)      # the rover's (x, y) objects `_in_hazard` was found at
        self.track: dict[int, tuple[float, float]] = {}             # t_ns -> true (x, y), every 100 ms
        self._record(0)

    # --- physics and truth monitors -------------------------------------------------------
    def _step(self, dt: float) -> None:
        super()._step(dt)
        self.sta.step(dt)
        inside = self._on_hazard()
        if inside and not self._in_hazard:
            self.hazards_entered += 1
            self.hazard_entries.append((round((self.steps + 1) * self.dt, 3), self.rover.x, self.rover.y))
        self._in_hazard = inside

    def _advance_steps(self, n: int) -> None:
        """`_step` then `_record` per physics step, written out with the per-step state in
        locals (this loop is the delivery's physics): the same calls and assignments in the
        same order; the STA and the rover's arm at their targets stay there, and a rover that
        did not move is where it was on the hazard map (skipped)."""
        rover, sta, dpsi = self.rover, self.sta, self._dpsi
        dt, step_ns, start_ns, track = self.dt, self.step_ns, self._start_ns, self.track
        sta_lim = sta.params.speed_mps * dt
        steps = self.steps
        hazard = self.hazard_px
        if hazard is not None:              # _on_hazard's constants
            x0, y0 = self.hazard_corner
            pixel = self.hazard_pixel
            n0, n1 = hazard.shape
            rows = self._hazard_rows
        floor = math.floor
        hx, hy = self._hazard_xy                # where `_in_hazard` was last found
        for _ in range(n):
            rover.step(dt)
            dpsi.append(rover.yaw_rate * dt)
            if sta.ee is not sta.target or sta_lim < 0.0:
                sta.step(dt)
            x, y = rover.x, rover.y
            if x is not hx or y is not hy:   # moved (a parked rover keeps its very floats): look
                hx, hy = x, y
                inside = False              # _on_hazard() written out
                if hazard is not None:
                    i = int(floor((y - y0) / pixel))
                    j = int(floor((x - x0) / pixel))
                    if 0 <= i < n0 and 0 <= j < n1:
                        row = rows.get(i)
                        if row is None:
                            row = rows[i] = [bool(v) for v in hazard[i].tolist()]
                        inside = row[j]
                if inside and not self._in_hazard:
                    self.hazards_entered += 1
                    self.hazard_entries.append((round((steps + 1) * dt, 3), x, y))
                self._in_hazard = inside
            steps += 1
            self.steps = steps
            t_ns = start_ns + steps * step_ns
            if t_ns % TRACK_PERIOD_NS == 0:
                track[t_ns] = (rover.x, rover.y)
        self._hazard_xy = (hx, hy)

    def _record(self, t_ns: int) -> None:
        if t_ns % TRACK_PERIOD_NS == 0:
            self.track[t_ns] = (self.rover.x, self.rover.y)

    def _on_hazard(self) -> bool:
        if self.hazard_px is None:
            return False
        x0, y0 = self.hazard_corner
        i = int(math.floor((self.rover.y - y0) / self.hazard_pixel))
        j = int(math.floor((self.rover.x - x0) / self.hazard_pixel))
        n0, n1 = self.hazard_px.shape
        if not (0 <= i < n0 and 0 <= j < n1):
            return False
        row = self._hazard_rows.get(i)        # rows as Python bools: checked every physics step
        if row is None:
            row = self._hazard_rows[i] = [bool(v) for v in self.hazard_px[i].tolist()]
        return row[j]

    # --- devices ------------------------------------------------------------------------------
    def _read_sta_arm(self) -> dict[str, Any]:
        sta = self.sta
        return {"position_m": tuple(sta.ee), "at_target": int(math.dist(sta.ee, sta.target) < 0.005)}

    def _read_sta_gripper(self) -> dict[str, Any]:
        sta = self.sta
        return {"closed": int(sta.closed), "holding": int(sta.held != 0), "tube_id": sta.held}

    def _read_os_tube_sensor(self) -> dict[str, Any]:
        os_ = self.sta.os
        return {"present": int(bool(os_)), "tube_id": os_[-1] if os_ else 0}

    def _read_os_seal(self) -> dict[str, Any]:
        return {"fired": int(self.sta.sealed)}

    def _camera(self, device: str) -> dict[str, Any]:
        rv = self.rover
        c0, c1, c2 = self.camera_xyz[device]
        # the line of sight to the mast target and its length, fixed_sum's order written out
        d0, d1, d2 = rv.x - c0, rv.y - c1, (rv.ground_z() + self.cameras.target_height_m) - c2
        rng = math.sqrt(0.0 + d0 * d0 + d1 * d1 + d2 * d2)
        if rng > self.cameras.max_range_m or rng == 0.0:
            return {"los_unit": (0.0, 0.0, 0.0), "detected": 0, "brightness": 0.0}
        return {"los_unit": (d0 / rng, d1 / rng, d2 / rng), "detected": 1, "brightness": 1.0}

    def _actuate(self, device: str, kind: DeviceKind, command: dict[str, Any]) -> None:
        sta, rv = self.sta, self.rover
        if device == "sta_arm":
            sta.target = tuple(float(c) for c in command["target_m"])
        elif device == "sta_gripper":
            self._sta_grip(bool(command["close"]))
        elif device == "os_seal":
            if int(command.get("fire", 0)):
                sta.sealed = True
        elif device == "gripper" and "close" in command:
            close = bool(command["close"])
            at_stow = math.dist(rv.ee_m, rv.params.stow_point_m) <= rv.params.stow_tol_m
            if close and not rv.gripper_closed and at_stow and any(rv.slots):
                k = max(i for i, t in enumerate(rv.slots) if t)     # take the last stowed tube out
                rv.gripper_closed, rv.held = True, rv.slots[k]
                rv.slots[k] = 0
                rv.tubes[rv.held].where = "gripper"
            elif not close and rv.gripper_closed and rv.held and sta.held == rv.held:
                rv.tubes[rv.held].where = "sta"                     # let go: the STA has it
                rv.gripper_closed, rv.held = False, 0
            else:
                super()._actuate(device, kind, command)
        else:
            super()._actuate(device, kind, command)

    def _sta_grip(self, close: bool) -> None:
        sta, rv = self.sta, self.rover
        if close and not sta.closed:
            sta.closed = True
            if rv.held and math.dist(rv.ee_world(), sta.ee_world()) <= sta.params.capture_tol_m:
                sta.held = rv.held
        elif not close and sta.closed:
            sta.closed = False
            if sta.held and rv.held != sta.held:      # while the rover still holds it nothing changes hands
                if sta.at_port():
                    sta.os.append(sta.held)
                    rv.tubes[sta.held].where = "os"
                else:
                    sta.dropped.append(sta.held)
                    rv.tubes[sta.held].where = "dropped_at_lander"
                sta.held = 0
            elif sta.held:
                sta.held = 0

    def truth(self) -> dict[str, Any]:
        t = super().truth()
        t.update({"os_tubes": list(self.sta.os), "os_sealed": self.sta.sealed, "sta_held": self.sta.held,
                  "dropped_at_lander": list(self.sta.dropped), "hazards_entered": self.hazards_entered,
                  "lander_xy_m": self.lander_xy})
        return t

    def truth_fields(self) -> tuple[str, ...]:
        return (*super().truth_fields(), *short_list("os_tubes", MAX_LIST), "os_sealed", "sta_held",
                *short_list("dropped_at_lander", MAX_LIST), "hazards_entered", "lander_xy_m.0", "lander_xy_m.1")

    def truth_values(self) -> list[float]:
        sta = self.sta
        return [*super().truth_values(), *short_list_values(sta.os, MAX_LIST), float(sta.sealed), float(sta.held),
                *short_list_values(sta.dropped, MAX_LIST), float(self.hazards_entered), *self.lander_xy]
