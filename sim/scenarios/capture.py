"""`msr sil capture`: the ERO finds the OS, closes in, captures, contains it and returns it.

The ERO capture flight software (fsw.vehicles.ero) runs at 10 Hz in the executive against
`sim.plants.RendezvousPlant` (both spacecraft propagated with J2, camera, lidar, RCS,
capture cone) plus `CcrsStubPlant` below: a scripted stand-in for the containment
mechanisms (orienting and transfer arms, seal checks, sterilisation heater, EEV slot and
separation) that answers the flight software's commands after fixed delays, with optional
faults. The ground gives a relative-state prior with a seeded error; Earth cruise is not
flown (the scenario sends APPROACH_EARTH after a short cruise).

Overrides: start_behind_m, start_radial_m, prior_sigma_m, prior_sigma_mps, tubes,
containment_fault (bool: the primary seal check never passes), lateral_kick_mps (a
cross-track velocity error given to the ERO 5 m from the OS on its first final approach,
which must end in a back-off and a retry), max_time_s, and flight parameters as `ccrs.NAME`.
"""
from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import numpy as np

from fsw.core import Executive, SimClock
from fsw.vehicles.ero import BASE_RATE_HZ, CCRS_KINDS, DEVICE_KINDS, EroDevices, build_ero
from hal.catalog import DeviceKind
from hal.config import build_devices
from sim.plants import CompositePlant, RendezvousPlant
from sim.plants.base import FixedStepPlant
from sim.relative import lvlh_vector_to_inertial
from sim.rendezvous import RendezvousParams

DEFAULTS: dict[str, Any] = {
    "start_behind_m": 6000.0,
    "start_radial_m": 0.0,
    "prior_sigma_m": 150.0,
    "prior_sigma_mps": 0.05,
    "tubes": 10,
    "containment_fault": False,
    "lateral_kick_mps": 0.0,
    "max_time_s": 12000.0,
}
OS_ID = 1000


class CcrsStubPlant(FixedStepPlant):
    """Scripted containment mechanisms: each answers its command after a delay."""

    ARM_TIME_S = 5.0
    SEAL_CHECK_S = 3.0
    HEAT_TAU_S = 20.0

    def __init__(self, os_id: int, containment_fault: bool, physics_rate_hz: int = 10, seed: int = 0):
        super().__init__(physics_rate_hz, CCRS_KINDS, seed)
        self.os_id = os_id
        self.fault = containment_fault
        self.arm_target = {"orient_arm": None, "transfer_arm": None}
        self.arm_since = {"orient_arm": None, "transfer_arm": None}
        self.fired = {"seal_primary": None, "seal_secondary": None, "eev_sep": None}
        self.heater_W = 0.0
        self.temp_C = 20.0

    def _step(self, dt: float) -> None:
        t_inf = 20.0 + 0.5 * self.heater_W
        self.temp_C += (t_inf - self.temp_C) * (1.0 - math.exp(-dt / self.HEAT_TAU_S))

    def _arm_done(self, name: str) -> bool:
        since = self.arm_since[name]
        return since is not None and self.t_s - since >= self.ARM_TIME_S

    def _sense(self, device: str, kind: DeviceKind) -> dict[str, Any]:
        n = kind.name
        if n == "arm":
            tgt = self.arm_target[device] or (0.0, 0.0, 0.0)
            return {"position_m": tgt if self._arm_done(device) else (0.0, 0.0, 0.0),
                    "at_target": int(self._arm_done(device))}
        if n == "camera_tracker":
            ok = self._arm_done("orient_arm")
            return {"los_unit": (0.0, 0.0, 1.0) if ok else (0.0, 0.0, 0.0), "detected": int(ok),
                    "brightness": 0.8 if ok else 0.0}
        if n == "pyro":
            return {"fired": int(self.fired[device] is not None)}
        if n == "heater":
            return {"power_W": self.heater_W}
        if n == "thermometer":
            return {"temp_C": self.temp_C}
        # tube sensors
        if device == "eev_slot":
            ok = self._arm_done("transfer_arm")
        else:
            seal = "seal_primary" if device == "primary_check" else "seal_secondary"
            since = self.fired[seal]
            ok = since is not None and self.t_s - since >= self.SEAL_CHECK_S
            if device == "primary_check" and self.fault:
                ok = False
        return {"present": int(ok), "tube_id": self.os_id if ok else 0}

    def _actuate(self, device: str, kind: DeviceKind, command: dict[str, Any]) -> None:
        n = kind.name
        if n == "arm":
            self.arm_target[device] = tuple(command["target_m"])
            self.arm_since[device] = self.t_s
        elif n == "pyro" and command.get("fire") and self.fired[device] is None:
            self.fired[device] = self.t_s
        elif n == "heater":
            self.heater_W = max(0.0, float(command["power_W"]))

    def truth(self) -> dict[str, Any]:
        return {"temp_C": self.temp_C, "fired": dict(self.fired)}


def device_config() -> dict[str, dict]:
    cfg: dict[str, dict] = {}
    for name, kind in DEVICE_KINDS.items():
        entry: dict[str, Any] = {"kind": kind, "rate_hz": 10}
        if name == "nac":
            entry["rate_hz"] = 2
            entry["noise"] = {"los_unit": {"sigma": 1e-4}}
        elif name == "lidar0":
            entry["noise"] = {"range_m": {"sigma": 0.05}, "range_rate_mps": {"sigma": 0.005}}
        elif name == "imu0":
            entry["noise"] = {"accel_mps2": {"sigma": 1e-6}}
        cfg[name] = entry
    return cfg


def run(*, seed: int, out_dir: Path, overrides: dict) -> dict:
    fsw_params = {k: v for k, v in overrides.items() if k.startswith("ccrs.")}
    overrides = {k: v for k, v in overrides.items() if k not in fsw_params}
    unknown = set(overrides) - set(DEFAULTS)
    if unknown:
        raise ValueError(f"unknown capture overrides {sorted(unknown)}; known: {sorted(DEFAULTS)}")
    cfg = {**DEFAULTS, **overrides}
    wall0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    start = (float(cfg["start_radial_m"]), -float(cfg["start_behind_m"]), 0.0, 0.0, 0.0, 0.0)
    rparams = RendezvousParams(ero_rel_to_os_lvlh=start)
    rdv = RendezvousPlant(rparams, physics_rate_hz=10, seed=seed)
    stub = CcrsStubPlant(OS_ID, bool(cfg["containment_fault"]), physics_rate_hz=10, seed=seed + 1)
    plant = CompositePlant(rdv, stub)
    devices = build_devices(device_config(), plant=plant, seed=seed)
    ero = build_ero(EroDevices.from_set(devices))
    mgr = ero.capture
    clock = SimClock()
    clock.attach(plant)
    ex = Executive(clock, BASE_RATE_HZ)
    ero.install(ex)
    mgr.set_param("os_id", OS_ID)
    gm = rparams.mars.gm_m3ps2
    a = rparams.os_elements.sma_m
    mgr.set_param("mean_motion_radps", math.sqrt(gm / a ** 3))
    mgr.set_param("mass_kg", rparams.ero_mass_kg)
    mgr.set_param("force_limit_N", rparams.thrust_limit_N)
    for key, value in sorted(fsw_params.items()):
        if not mgr.set_param(key.partition(".")[2], value):
            raise ValueError(f"override {key}={value!r} refused")
    topo = ero.topology
    truth_rel = rdv.truth()["relative_lvlh"]
    sp, sv = float(cfg["prior_sigma_m"]), float(cfg["prior_sigma_mps"])
    prior = [truth_rel[i] + (sp if i < 3 else sv) * float(rng.standard_normal()) for i in range(6)]
    script = [("ccrs.EXPECT_TUBES", {"tubes": ",".join(str(t) for t in range(1, int(cfg["tubes"]) + 1))}),
              ("ccrs.REL_STATE_PRIOR", dict(zip(("x", "y", "z", "vx", "vy", "vz"), prior),
                                            sigma_pos_m=sp, sigma_vel_mps=sv)),
              ("ccrs.BEGIN_SEARCH", {})]
    rejected = [name for name, args in script if not topo.dispatch(name, args).ok]

    detect_range = None
    kicked = False
    final_log: dict[str, float] = {}
    pair = rdv.pair

    def watch() -> bool:
        if mgr.mode == "FINAL_APPROACH" or mgr.mode == "CAPTURE":
            along, lat, closing = pair.cone_coordinates()
            if not pair.capture.triggered:
                final_log.update(closing=closing, lateral=lat, along=along)
        return mgr.mode in ("COMPLETE", "SAFE", "CONTAINMENT_HOLD", "EARTH_CRUISE")

    max_ns = int(float(cfg["max_time_s"]) * 1e9)
    while ex.now_ns() < max_ns:
        ex.run(ticks=BASE_RATE_HZ, stop_when=watch)
        if detect_range is None and mgr.detections > 0:
            detect_range = rdv.truth()["range_m"]
        if mgr.mode == "FINAL_APPROACH" and not kicked and float(cfg["lateral_kick_mps"]) \
                and rdv.truth()["range_m"] < 5.0:
            kicked = True
            kick = lvlh_vector_to_inertial(pair.ero, (0.0, 0.0, float(cfg["lateral_kick_mps"])))
            pair.ero = tuple(pair.ero[:3]) + tuple(pair.ero[3 + i] + kick[i] for i in range(3))
        if mgr.mode == "EARTH_CRUISE":
            ex.run(ticks=10 * BASE_RATE_HZ)
            topo.dispatch("ccrs.APPROACH_EARTH")
        if mgr.mode in ("COMPLETE", "SAFE", "CONTAINMENT_HOLD"):
            break
    truth = rdv.truth()
    cap = truth["capture"]
    held = cap["held_rel_m"]
    events = [e for e in topo.events if e.severity >= 2 and e.name != "CMD_ACCEPTED"]
    summary: dict[str, Any] = {
        "scenario": "capture", "seed": seed, "final_mode": mgr.mode,
        "commands_rejected": rejected,
        "start_range_m": round(float(cfg["start_behind_m"]), 1),
        "detection_range_m": None if detect_range is None else round(detect_range, 1),
        "approach_delta_v_mps": round(truth["delta_v_used_mps"], 4),
        "approach_delta_v_onboard_mps": round(mgr.approach_dv, 4),
        "captured": bool(cap["captured"]),
        "closing_speed_at_capture_mps": round(final_log["closing"], 4) if "closing" in final_log and cap["triggered"] else None,
        "offset_at_capture_m": round(math.hypot(held[0], held[2]), 4) if held is not None else None,
        "bounces": len(cap["impacts"]),
        "retries": mgr.retries,
        "containment_verified": mgr.containment_verified(),
        "sterilisation_verified": mgr.sterilisation_verified(),
        "eev_released": mgr.eev_separated(),
        "tubes_in_eev": len(mgr.custody.tubes_at("eev")),
        "nav_final_sigma_m": None if mgr.nav is None else round(mgr.nav.position_sigma, 4),
        "sim_time_s": round(ex.now_ns() / 1e9, 1),
        "events": [f"{e.t_ns / 1e9:.1f} {e.text}" for e in events][:80],
        "wall_time_s": round(time.perf_counter() - wall0, 3),
    }
    expect_hold = bool(cfg["containment_fault"])
    if expect_hold:
        summary["success"] = mgr.mode == "CONTAINMENT_HOLD" and not mgr.eev_loaded()
    else:
        summary["success"] = bool(mgr.mode == "COMPLETE" and cap["captured"]
                                  and summary["tubes_in_eev"] == int(cfg["tubes"]))
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    return summary


WALL_FIELDS = ("wall_time_s",)


def summary_lines(summary: dict) -> list[str]:
    s = summary
    lines = [f"capture seed {s['seed']}: {'SUCCESS' if s['success'] else 'FAILURE'} (final mode {s['final_mode']})"]
    lines.append(f"  detected at {s['detection_range_m']} m, approach delta-v {s['approach_delta_v_mps']:.3f} m/s,"
                 f" retries {s['retries']}")
    lines.append(f"  capture: closing {s['closing_speed_at_capture_mps']} m/s, offset {s['offset_at_capture_m']} m,"
                 f" captured {s['captured']}")
    lines.append(f"  containment {s['containment_verified']}, sterilised {s['sterilisation_verified']},"
                 f" EEV released {s['eev_released']} with {s['tubes_in_eev']} tubes")
    lines.append(f"  {s['sim_time_s']:.0f} s simulated in {s['wall_time_s']:.1f} s")
    return lines
