"""DescentPlant: the lander's powered descent over the terrain, for the lander flight software.

Devices (instance -> catalog kind): imu0 (imu), altimeter0 (altimeter), lidar0 (lidar),
engine (descent_engine). Body frame = local frame (x east, y north, z up): see sim.descent.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from hal.catalog import DeviceKind
from sim.descent import DescentParams, DescentVehicle
from sim.plants.base import FixedStepPlant
from sim.sensors import ray_terrain_range, unit
from sim.terrain import Terrain
from fsw.numerics import fixed_sum

DESCENT_DEVICES = {"imu0": "imu", "altimeter0": "altimeter", "lidar0": "lidar", "engine": "descent_engine"}


@dataclass(frozen=True)
class BeamParams:
    boresight: tuple[float, float, float] = (0.0, 0.0, -1.0)
    max_range_m: float = 8000.0


class DescentPlant(FixedStepPlant):
    def __init__(self, terrain: Terrain, params: DescentParams = DescentParams(), physics_rate_hz: int = 200,
                 seed: int | np.random.Generator = 0, altimeter: BeamParams = BeamParams(),
                 lidar: BeamParams = BeamParams(max_range_m=3000.0), devices: dict[str, str] = DESCENT_DEVICES):
        super().__init__(physics_rate_hz, devices, seed)
        self.vehicle = DescentVehicle(params, terrain)
        self.terrain = terrain
        self.altimeter = altimeter
        self.lidar = lidar

    def _step(self, dt: float) -> None:
        self.vehicle.step(dt)

    def _beam_range(self, beam: BeamParams, pos) -> float | None:
        return ray_terrain_range(self.terrain.height_at, pos, beam.boresight, beam.max_range_m,
                                 step_m=max(1.0, self.terrain.res))

    def _sense(self, device: str, kind: DeviceKind) -> dict[str, Any]:
        v = self.vehicle
        if kind.name == "imu":
            return {"accel_mps2": tuple(v.specific_force), "rate_radps": (0.0, 0.0, 0.0)}
        if kind.name == "descent_engine":
            return {"thrust_N": v.thrust_N()}
        beam = self.altimeter if kind.name == "altimeter" else self.lidar
        r = self._beam_range(beam, v.pos)
        if kind.name == "altimeter":
            return {"range_m": r if r is not None else 0.0, "valid": int(r is not None)}
        # lidar: range and its rate along the beam (finite difference over 10 ms of motion)
        h = 0.01
        r2 = self._beam_range(beam, tuple(v.pos[i] + h * v.vel[i] for i in range(3)))
        if r is None or r2 is None:
            return {"range_m": 0.0, "range_rate_mps": 0.0, "valid": 0}
        return {"range_m": r, "range_rate_mps": (r2 - r) / h, "valid": 1}

    def _actuate(self, device: str, kind: DeviceKind, command: dict[str, Any]) -> None:
        if kind.name == "descent_engine":
            self.vehicle.command(command.get("throttle"), command.get("thrust_dir_unit"))

    def truth(self) -> dict[str, Any]:
        v = self.vehicle
        td = asdict(v.touchdown) if v.touchdown else None
        return {
            "t_s": self.t_s, "position_m": v.pos, "velocity_mps": v.vel, "mass_kg": v.mass,
            "propellant_kg": v.propellant_kg, "throttle": v.throttle, "thrust_N": v.thrust_N(),
            "thrust_dir_unit": unit(v.thrust_dir), "landed": v.landed, "touchdown": td,
            "height_above_ground_m": v.pos[2] - v.terrain.height_at(v.pos[0], v.pos[1]),
            "speed_mps": math.sqrt(fixed_sum(c * c for c in v.vel)),
        }
