"""`msr sil landing`: the Sample Retrieval Lander from backshell separation to surface idle.

The lander's flight software (fsw.vehicles.lander) runs in the fixed-step executive at 50 Hz
with a SimClock stepping the DescentPlant (200 Hz physics) in lockstep; devices are HAL
simulated backends with seeded noise. The onboard map is the generated terrain's height,
rock and dune layers (a map product as the flight code would receive it). EDL before
backshell separation is not simulated: the entry and parachute modes are walked by the
EDL sequence, then the navigation hand-over starts powered descent.

Success: touchdown within 10 m of the chosen site, vertical speed <= 2.5 m/s, horizontal
<= 1 m/s, chosen site safe, lander in SURFACE_IDLE with the engines off.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from fsw.core import Executive, SimClock
from fsw.core.time import NS_PER_S, seconds_to_ns
from fsw.gnc import hazard
from fsw.gnc.descent_guidance import EngineLimits
from fsw.vehicles.lander import Lander, build_lander
from fsw.vehicles.lander.vehicle import BASE_RATE_HZ
from hal.config import build_devices
from sim.descent import DescentParams
from sim.plants.descent import DescentPlant
from sim.terrain import TerrainParams, generate

DEFAULTS: dict[str, Any] = {
    "n_cells": 2048,                 # 1 km x 1 km at 0.5 m
    "resolution_m": 0.5,
    # A certified landing region is benign: fewer craters, rock patches and dunes than the
    # campaign-wide defaults of sim.terrain (with those a 60 m disc is safe on ~1% of the map).
    "crater_density_per_km2": 25.0,
    "rocky_fraction": 0.2,
    "dune_fraction": 0.05,
    "target_x_m": 0.0, "target_y_m": 0.0,
    "start_x_m": -300.0, "start_y_m": 150.0, "start_z_m": 2000.0,
    "start_vx_mps": 15.0, "start_vy_mps": -5.0, "start_vz_mps": -75.0,
    # EDL navigation hand-over at backshell separation: a terrain-relative-navigation position
    # fix and a radar velocity (estimates). The DescentPlant has no horizontal aiding sensor
    # after that, so horizontal navigation is IMU-only to touchdown.
    "nav_pos_sigma_m": 1.0,
    "nav_vel_sigma_mps": 0.02,
    "divert_budget_m": 250.0,
    "max_time_s": 300.0,
    "slope_limit_deg": 12.0,
    "roughness_limit_m": 0.10,
}

LIMITS = {"touchdown_error_m": 10.0, "vertical_speed_mps": 2.5, "horizontal_speed_mps": 1.0}


def device_config() -> dict[str, dict]:
    """The lander's sensors as HAL simulated devices (noise figures are estimates)."""
    return {
        "imu0": {"kind": "imu", "rate_hz": 50,
                 "noise": {"accel_mps2": {"sigma": 0.003, "bias_sigma": 0.0005}}},
        "altimeter0": {"kind": "altimeter", "rate_hz": 50, "noise": {"range_m": {"sigma": 0.05}}},
        "engine": {"kind": "descent_engine", "rate_hz": 50},
    }


def _r(x: float, nd: int = 3) -> float:
    return round(float(x), nd)


def run(*, seed: int, out_dir: Path, overrides: dict) -> dict:
    cfg = dict(DEFAULTS)
    unknown = set(overrides) - set(cfg)
    if unknown:
        raise ValueError(f"unknown landing parameters {sorted(unknown)}; known: {sorted(cfg)}")
    cfg.update(overrides)
    rng = np.random.default_rng(seed)
    terrain = generate(TerrainParams(n_cells=int(cfg["n_cells"]), resolution_m=float(cfg["resolution_m"]),
                                     crater_density_per_km2=float(cfg["crater_density_per_km2"]),
                                     rocky_fraction=float(cfg["rocky_fraction"]),
                                     dune_fraction=float(cfg["dune_fraction"])), seed=rng)
    dp = DescentParams(initial_position_m=(cfg["start_x_m"], cfg["start_y_m"], cfg["start_z_m"]),
                       initial_velocity_mps=(cfg["start_vx_mps"], cfg["start_vy_mps"], cfg["start_vz_mps"]))
    plant = DescentPlant(terrain, dp, physics_rate_hz=200, seed=rng)
    plant.check_base_rate(BASE_RATE_HZ)
    devices = build_devices(device_config(), plant=plant, seed=int(rng.integers(0, 2**31)))
    onboard = hazard.OnboardMap(terrain.height_m, terrain.max_rock_m, terrain.dune_mask, terrain.res)
    limits = hazard.HazardLimits(slope_limit_deg=cfg["slope_limit_deg"], roughness_limit_m=cfg["roughness_limit_m"])
    engine = EngineLimits(max_thrust_N=dp.max_thrust_N, min_throttle=dp.min_throttle)
    fsw = build_lander(devices, onboard_map=onboard, limits=limits,
                       target_xy=(cfg["target_x_m"], cfg["target_y_m"]), engine_limits=engine)
    lander = fsw.lander
    lander.set_param("divert_budget_m", cfg["divert_budget_m"])

    clock = SimClock()
    clock.attach(plant)
    ex = Executive(clock, BASE_RATE_HZ)
    fsw.install(ex)

    # EDL sequence up to backshell separation, then the navigation hand-over.
    topo = fsw.topology
    r0 = np.array(dp.initial_position_m) + rng.normal(0.0, cfg["nav_pos_sigma_m"], 3)
    v0 = np.array(dp.initial_velocity_mps) + rng.normal(0.0, cfg["nav_vel_sigma_mps"], 3)
    steps = [topo.dispatch("lander.SEPARATE_CRUISE_STAGE"),
             topo.dispatch("lander.MODE", {"trigger": "entry_interface"})]
    lander.init_nav(r0, v0, dp.dry_mass_kg + dp.propellant_kg)
    steps += [topo.dispatch("lander.MODE", {"trigger": "deploy_chute"}),
              topo.dispatch("lander.SEPARATE_BACKSHELL")]
    sequence_ok = all(s.ok for s in steps)

    ex.run(until_ns=seconds_to_ns(cfg["max_time_s"]), stop_when=lambda: lander.mode == "SURFACE_IDLE")
    modes_seen = [Lander.MODES.initial] + [dict(e.args)["dest"] for e in topo.events
                                           if e.component == "lander" and e.name == "MODE_CHANGED"]
    truth = plant.truth()
    td = truth["touchdown"]
    site = lander.site
    summary: dict[str, Any] = {
        "scenario": "landing", "seed": seed,
        "sim_time_s": _r(ex.now_ns() / NS_PER_S, 2),
        "modes": modes_seen, "final_mode": lander.mode, "edl_sequence_ok": sequence_ok,
        "target_m": [_r(cfg["target_x_m"], 2), _r(cfg["target_y_m"], 2)],
        "map": {"cells": int(cfg["n_cells"]), "resolution_m": float(cfg["resolution_m"]),
                "safe_fraction": _r(lander.safety.safe_fraction, 4)},
        "propellant_used_kg": _r(dp.propellant_kg - truth["propellant_kg"], 1),
    }
    if site is not None:
        summary["chosen_site"] = {"x_m": _r(site.x_m, 2), "y_m": _r(site.y_m, 2),
                                  "miss_from_target_m": _r(site.miss_from_target_m, 2),
                                  "divert_m": _r(site.divert_m, 2),
                                  "diverted": "HAZARD_DIVERT" in modes_seen}
        summary["site_safety"] = {k: _r(v, 3) for k, v in lander.site_metrics.items()}
        summary["site_safe_on_map"] = bool(lander.safety.safe[site.i, site.j])
    if td is not None:
        err = math.hypot(td["position_m"][0] - site.x_m, td["position_m"][1] - site.y_m) if site else None
        summary["touchdown"] = {
            "time_s": _r(td["time_s"], 2),
            "position_m": [_r(c, 2) for c in td["position_m"]],
            "error_from_site_m": None if err is None else _r(err, 3),
            "vertical_speed_mps": _r(td["vertical_speed_mps"], 3),
            "horizontal_speed_mps": _r(td["horizontal_speed_mps"], 3),
            "ground_slope_deg": _r(td["slope_deg"], 2),
            "max_rock_under_m": _r(td["max_rock_m"], 3),
        }
    summary["limits"] = LIMITS
    t = summary.get("touchdown")
    summary["success"] = bool(
        sequence_ok and t is not None and site is not None and summary["site_safe_on_map"]
        and lander.mode == "SURFACE_IDLE"
        and t["error_from_site_m"] <= LIMITS["touchdown_error_m"]
        and t["vertical_speed_mps"] <= LIMITS["vertical_speed_mps"]
        and t["horizontal_speed_mps"] <= LIMITS["horizontal_speed_mps"])
    summary["events"] = [e.text for e in topo.events if e.name not in ("CMD_ACCEPTED",)][:60]
    return summary


def summary_lines(s: dict) -> list[str]:
    lines = [f"landing seed {s['seed']}: {'SUCCESS' if s['success'] else 'FAILURE'} "
             f"after {s['sim_time_s']} s, final mode {s['final_mode']}"]
    if "chosen_site" in s:
        c, m = s["chosen_site"], s["site_safety"]
        lines.append(f"  site ({c['x_m']}, {c['y_m']}) m, {c['miss_from_target_m']} m from target, "
                     f"divert {c['divert_m']} m{' (hazard divert)' if c['diverted'] else ''}")
        lines.append(f"  site disc {m['safe_radius_m']:.0f} m: max slope {m['max_slope_deg']} deg, "
                     f"max rock {m['max_rock_m']} m, roughness {m['max_roughness_m']} m, "
                     f"dunes {m['dune_fraction']}, clearance {m['hazard_clearance_m']} m")
    if "touchdown" in s:
        t = s["touchdown"]
        where = "no site chosen" if t["error_from_site_m"] is None else f"{t['error_from_site_m']} m from site"
        lines.append(f"  touchdown {where}, vertical {t['vertical_speed_mps']} m/s, "
                     f"horizontal {t['horizontal_speed_mps']} m/s, propellant used {s['propellant_used_kg']} kg")
    else:
        lines.append("  no touchdown")
    return lines
