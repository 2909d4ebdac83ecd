"""EdlPlant: the Sample Retrieval Lander from the entry interface to touchdown.

Phases: "entry" (sim.entry: lifting capsule over rotating Mars), "parachute" (mortar fired;
the heatshield may go), then "descent" from backshell separation (sim.descent: the lander's
powered descent in the site's local frame, over the tiled site terrain). Pyro commands move
it on: `chute_pyro` deploys the parachute, `heatshield_pyro` drops the heatshield (radar and
camera see the ground from then), `backshell_pyro` (parachute out, heatshield off) releases
the lander, whose state is the capsule's in the site frame (fsw.gnc.site_frame).

Devices (instance: kind): imu0: imu (specific force on the site frame's east/north/up axes,
the 3-DOF attitude being known; rate_radps[0] the bank rate about the velocity), rcs: rcs
(torque_Nm[0]: bank torque), chute_pyro / heatshield_pyro / backshell_pyro: pyro,
altimeter0: altimeter (vertical radar range), tds1..3: lidar (terminal descent sensor beams
20 deg off nadir: slant range and Doppler range rate), camera0: terrain_camera
(sim.descent_camera), engine: descent_engine. The physics grid is 50 Hz: entry and the
parachute take one RK4 step of 20 ms, powered descent four of 5 ms (sim.descent's own rate),
so any sequence of advances gives the same floats as one.

`truth()` holds the state in the site frame and the EDL record (`edl`): entry state, peak
deceleration, parachute deploy (altitude above the site, Mach, dynamic pressure), heatshield
and backshell separation, camera images (truth position at each image time: the TRN check).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

from fsw.gnc.site_frame import SiteFrame
from hal.catalog import DeviceKind
from sim.atmosphere import MarsAtmosphere
from sim.descent import DescentParams, DescentVehicle
from sim.descent_camera import CameraParams, render
from sim.entry import CapsuleParams, EntryVehicle, G0, ParachuteParams
from sim.landing_world import LandingWorld
from sim.mars import MARS, MarsParams
from sim.plants.base import FixedStepPlant
from fsw.numerics import fixed_sum

EDL_DEVICES = {"imu0": "imu", "rcs": "rcs", "chute_pyro": "pyro", "heatshield_pyro": "pyro",
               "backshell_pyro": "pyro", "altimeter0": "altimeter", "tds1": "lidar", "tds2": "lidar",
               "tds3": "lidar", "camera0": "terrain_camera", "engine": "descent_engine"}
DESCENT_SUBSTEPS = 4     # sim.descent steps (5 ms) per physics step (20 ms)


@dataclass(frozen=True)
class RadarParams:
    """Terminal descent sensor (estimates): an altimeter and three Doppler beams."""

    max_range_m: float = 10_000.0
    beam_tilt_deg: float = 20.0
    beam_azimuths_deg: tuple[float, float, float] = (0.0, 120.0, 240.0)

    def beams(self) -> tuple[tuple[float, float, float], ...]:
        t = math.radians(self.beam_tilt_deg)
        return tuple((math.sin(t) * math.sin(math.radians(a)), math.sin(t) * math.cos(math.radians(a)), -math.cos(t))
                     for a in self.beam_azimuths_deg)


class _TiledDescent(DescentVehicle):
    """Powered descent over the tiled site terrain (rocks under the feet wrap with it)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self._top = float(self.terrain.tile.height_m.max())     # no ground above this

    def clearance(self, pos=None) -> float:
        """The feet's height above the ground; high above every hill a lower bound is enough
        (contact is `clearance <= 0`), and four terrain lookups per 5 ms step are saved."""
        z = (self.pos if pos is None else pos)[2] - self.params.leg_height_m
        if z - self._top > 1.0:
            return z - self._top
        return super().clearance(pos)

    def max_rock_under(self, x: float, y: float) -> float:
        return self.terrain.max_rock_under(x, y, self.params.leg_radius_m)


class EdlPlant(FixedStepPlant):
    def __init__(self, world: LandingWorld, site: SiteFrame, entry_r, entry_v, *,
                 capsule: CapsuleParams = CapsuleParams(), chute: ParachuteParams = ParachuteParams(),
                 atmosphere: MarsAtmosphere = MarsAtmosphere(), descent: DescentParams = DescentParams(),
                 camera: CameraParams = CameraParams(), radar: RadarParams = RadarParams(),
                 mars: MarsParams = MARS, physics_rate_hz: int = 50, seed: int | np.random.Generator = 0,
                 devices: dict[str, str] = EDL_DEVICES) -> None:
        super().__init__(physics_rate_hz, devices, seed)
        self.world, self.site = world, site
        self.ground = world.terrain
        self.entry = EntryVehicle(entry_r, entry_v, capsule, chute, atmosphere, mars)
        self.descent_params = descent
        self.camera, self.radar = camera, radar
        self.beams = radar.beams()
        self.mars = mars
        self.phase = "entry"
        self.descent: _TiledDescent | None = None
        self.fired = {"chute_pyro": 0, "heatshield_pyro": 0, "backshell_pyro": 0}
        self.cam_rng = np.random.default_rng(self.rng.integers(1 << 62))
        r_loc = site.to_local(self.entry.r)
        self.record: dict[str, Any] = {
            "entry": {"t_s": 0.0, "altitude_km": self.entry.altitude_m / 1e3,
                      "speed_mps": math.sqrt(fixed_sum(c * c for c in self.entry.v)),
                      "inertial_speed_mps": self._inertial_speed(), "position_m": r_loc},
            "chute_deploy": None, "heatshield_sep": None, "backshell_sep": None, "images": []}
        self._look = (0.0, 0.0)

    # ------------------------------------------------------------------ helpers
    def _inertial_speed(self) -> float:
        (x, y, _), (vx, vy, vz) = self.entry.r, self.entry.v
        w = self.mars.omega_radps
        return math.sqrt((vx - w * y) ** 2 + (vy + w * x) ** 2 + vz * vz)

    def local_state(self) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
        """Position and velocity in the site frame (Mars-relative)."""
        if self.descent is not None:
            return self.descent.pos, self.descent.vel
        return self.site.to_local(self.entry.r), self.site.vec_to_local(self.entry.v)

    def height_agl(self) -> float:
        (x, y, z), _ = self.local_state()
        return z - self.ground.height_at(x, y)

    def _event(self, key: str, **extra: Any) -> None:
        (x, y, z), v = self.local_state()
        self.record[key] = {"t_s": round(self.t_s, 6), "position_m": (x, y, z), "height_agl_m": self.height_agl(),
                            "speed_mps": math.sqrt(fixed_sum(c * c for c in v)), **extra}

    # ------------------------------------------------------------------ physics
    def _step(self, dt: float) -> None:
        if self.descent is not None:
            h = dt / DESCENT_SUBSTEPS
            for _ in range(DESCENT_SUBSTEPS):
                self.descent.step(h)
        else:
            self.entry.step(dt)

    def _separate_backshell(self) -> None:
        e = self.entry
        p, v = self.local_state()
        lander = replace(self.descent_params, initial_position_m=tuple(p), initial_velocity_mps=tuple(v))
        self.descent = _TiledDescent(lander, self.ground)
        self.descent.t = self.t_s
        self.phase = "descent"
        self._event("backshell_sep", mass_kg=e.mass)

    # ------------------------------------------------------------------ devices
    def _sense(self, device: str, kind: DeviceKind) -> dict[str, Any]:
        name = kind.name
        if name == "imu":
            if self.descent is not None:
                return {"accel_mps2": tuple(self.descent.specific_force), "rate_radps": (0.0, 0.0, 0.0)}
            return {"accel_mps2": self.site.vec_to_local(self.entry.specific_force),
                    "rate_radps": (self.entry.bank_rate, 0.0, 0.0)}
        if name == "pyro":
            return {"fired": self.fired[device]}
        if name == "rcs":                       # bit 0: rolling right, bit 1: rolling left
            tau = self.entry.torque_cmd if self.descent is None and self.entry.chute_deploy_t is None else 0.0
            return {"valves_open": (1 if tau > 0.0 else 0) | (2 if tau < 0.0 else 0)}
        if name == "descent_engine":
            return {"thrust_N": self.descent.thrust_N() if self.descent is not None else 0.0}
        covered = self.entry.heatshield_on
        if name == "altimeter":
            h = self.height_agl()
            ok = not covered and 0.0 <= h <= self.radar.max_range_m
            return {"range_m": h if ok else 0.0, "valid": int(ok)}
        if name == "lidar":
            return self._beam(int(device[-1]) - 1, covered)
        if name == "terrain_camera":
            return self._image(covered)
        raise KeyError(name)

    def _beam(self, k: int, covered: bool) -> dict[str, Any]:
        (x, y, z), v = self.local_state()
        b = self.beams[k]
        h = z - self.ground.height_at(x, y)
        rng = h / -b[2]
        for _ in range(2):             # slant range to the ground (fixed point on the heights)
            rng = (z - self.ground.height_at(x + rng * b[0], y + rng * b[1])) / -b[2]
        ok = not covered and 0.0 < rng <= self.radar.max_range_m / -b[2]
        doppler = -(v[0] * b[0] + v[1] * b[1] + v[2] * b[2])
        return {"range_m": rng if ok else 0.0, "range_rate_mps": doppler if ok else 0.0, "valid": int(ok)}

    def _image(self, covered: bool) -> dict[str, Any]:
        n = self.camera.pixels
        if covered:
            return {"look_rad": (0.0, 0.0), "valid": 0, "width": 0, "height": 0, "image": b""}
        (x, y, z), _ = self.local_state()
        s = self.camera.swing_sigma_rad
        look = (float(s * self.cam_rng.standard_normal()), float(s * self.cam_rng.standard_normal()))
        img = render(self.world, x, y, z, look, self.camera, self.cam_rng)
        self.record["images"].append({"t_ns": self.now_ns(), "position_m": (x, y, z)})
        return {"look_rad": look, "valid": 1, "width": n, "height": n, "image": img.tobytes()}

    def _actuate(self, device: str, kind: DeviceKind, command: dict[str, Any]) -> None:
        name = kind.name
        if name == "rcs":
            if self.descent is None and "torque_Nm" in command:
                self.entry.torque_cmd = float(command["torque_Nm"][0])
        elif name == "pyro":
            if not command.get("fire") or self.fired[device]:
                return
            if device == "chute_pyro":
                self.fired[device] = 1
                self.entry.deploy_chute()
                self.phase = "parachute"
                self._event("chute_deploy", mach=self.entry.mach, dynamic_pressure_Pa=self.entry.dynamic_pressure)
            elif device == "heatshield_pyro":
                self.fired[device] = 1
                self.entry.separate_heatshield()
                self._event("heatshield_sep", mach=self.entry.mach)
            elif device == "backshell_pyro" and self.phase == "parachute" and not self.entry.heatshield_on:
                self.fired[device] = 1
                self._separate_backshell()
        elif name == "descent_engine" and self.descent is not None:
            self.descent.command(command.get("throttle"), command.get("thrust_dir_unit"))

    # ------------------------------------------------------------------ truth
    def truth(self) -> dict[str, Any]:
        (x, y, z), v = self.local_state()
        e = self.entry
        d = self.descent
        td = asdict(d.touchdown) if d is not None and d.touchdown else None
        out = {
            "t_s": self.t_s, "phase": self.phase, "position_m": (x, y, z), "velocity_mps": v,
            "speed_mps": math.sqrt(fixed_sum(c * c for c in v)), "height_above_ground_m": self.height_agl(),
            "altitude_m": e.altitude_m if d is None else z + self.site.radius_m - self.mars.radius_eq_m,
            "touchdown": td, "landed": d is not None and d.landed,
            "edl": {"peak_decel_g": e.peak_decel_g, "peak_decel_t_s": e.peak_decel_t},
        }
        if d is None:
            out.update({"mach": e.mach, "decel_g": e.decel_g, "dynamic_pressure_Pa": e.dynamic_pressure,
                        "bank_deg": math.degrees(e.bank), "mass_kg": e.mass})
        else:
            out.update({"mach": 0.0, "decel_g": math.sqrt(fixed_sum(c * c for c in d.specific_force)) / G0,
                        "mass_kg": d.mass, "propellant_kg": d.propellant_kg, "throttle": d.throttle,
                        "thrust_N": d.thrust_N()})
        return out


__all__ = ["EDL_DEVICES", "EdlPlant", "RadarParams"]
