"""`msr sil landing`: the Sample Retrieval Lander from backshell separation to surface idle.

A deployment split (sim/deployment.py). The world (`plant`) is the DescentPlant (200 Hz
physics) over the landing site's terrain (sim.terrain.SITE_TERRAIN, `terrain_seed`); the
flight side (`flight`) is the lander's flight software (fsw.vehicles.lander) in the
fixed-step executive at 50 Hz, with HAL simulated devices with seeded noise. The onboard map
is a ground product (fsw.gnc.safety_product): the ground assesses the site's terrain with the
lander's hazard limits and writes the file (`make_product`: in SIL just before the flight
side is built; `msr hil deploy` into a board's bundle); the flight side loads it as data,
reading only the cells it needs, and never generates terrain (`onboard_map` names the file).
EDL before backshell separation is not simulated: the EDL sequence (an onboard
Sequencer) walks the entry and parachute modes and gives the navigation hand-over, then
powered descent starts.

The hand-over is the nominal state at backshell separation (the overrides); the true state
is dispersed from it by the hand-over's error (`nav_pos_sigma_m`, `nav_vel_sigma_mps`, drawn
from the run seed in the plant), so the lander starts with a realistic navigation error.

Success: touchdown within 10 m of the chosen site, vertical speed <= 2.5 m/s, horizontal
<= 1 m/s, chosen site safe, lander in SURFACE_IDLE with the engines off. The summary gives
what the next phase needs: `lander_xy_m` (= `touchdown_xy_m`, map metres) and `terrain` (the
map's settings with `terrain_seed`), both accepted as fetch overrides as they are.
"""
from __future__ import annotations

import hashlib
import json
import math
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from fsw.core import Executive, Topology
from fsw.core.sequencer import Sequencer, parse_sequence
from fsw.gnc import hazard, safety_product
from fsw.gnc.descent_guidance import EngineLimits
from fsw.gnc.map_product import FORMAT as MAP_FORMAT, SUFFIX as MAP_SUFFIX, MapProductError
from fsw.vehicles.lander import Lander, build_lander
from fsw.vehicles.lander.vehicle import BASE_RATE_HZ
from sim.deployment import ScenarioError, SilOutcome, resolve_overrides, run_scenario
from sim.descent import DescentParams
from sim.plants.descent import DescentPlant
from sim.terrain import SITE_TERRAIN, Terrain, TerrainError, generate, site_terrain_params

NAME = "landing"
vehicle = "lander"

DEFAULTS: dict[str, Any] = {
    **SITE_TERRAIN,                  # the landing site's map, shared with fetch (sim.terrain)
    "terrain_seed": 1,               # `run` (msr sil, Monte Carlo) sets it to the run's seed unless given
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
    "onboard_map": None,             # the onboard map product's file; None: the ground's (see products)
}
PASSTHROUGH = ("lander.",)           # flight parameters, e.g. "lander.low_gate_alt_m"

LIMITS = {"touchdown_error_m": 10.0, "vertical_speed_mps": 2.5, "horizontal_speed_mps": 1.0}


def settings(overrides: Mapping[str, Any] | None) -> tuple[dict[str, Any], dict[str, Any]]:
    return resolve_overrides(dict(overrides or {}), DEFAULTS, PASSTHROUGH)


_TERRAIN: dict[tuple, Terrain] = {}


def site_terrain(cfg: Mapping[str, Any]) -> Terrain:
    """The landing site's map from the settings alone, so the plant and the flight side agree
    (the last one is cached: SIL builds both sides in one process)."""
    key = tuple((k, repr(cfg[k])) for k in sorted(SITE_TERRAIN)) + (("terrain_seed", cfg["terrain_seed"]),)
    if key not in _TERRAIN:
        try:
            t = generate(site_terrain_params(cfg), seed=int(cfg["terrain_seed"]))
        except TerrainError as exc:
            raise ScenarioError(str(exc)) from None
        _TERRAIN.clear()
        _TERRAIN[key] = t
    return _TERRAIN[key]


def hazard_limits(cfg: Mapping[str, Any]) -> hazard.HazardLimits:
    return hazard.HazardLimits(slope_limit_deg=float(cfg["slope_limit_deg"]),
                               roughness_limit_m=float(cfg["roughness_limit_m"]))


def map_source(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """What the onboard map is made from: the site terrain's settings, typed, and its seed."""
    try:
        p = site_terrain_params(cfg)
        return {"terrain_seed": int(cfg["terrain_seed"]), **{k: getattr(p, k) for k in sorted(SITE_TERRAIN)}}
    except (TerrainError, TypeError, ValueError) as exc:
        raise ScenarioError(str(exc)) from None


# ---------------------------------------------------------------- the ground's product
def products(overrides: Mapping[str, Any] | None = None) -> dict[str, str]:
    """The onboard map product's file name: a digest of what makes it (terrain settings and
    seed, hazard limits, format), so the ground and a board name the same file."""
    cfg, _ = settings(overrides)
    what = {"format": MAP_FORMAT, "source": map_source(cfg), "limits": asdict(hazard_limits(cfg))}
    key = hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()[:16]
    return {"onboard_map": f"landing-site-{key}{MAP_SUFFIX}"}


def make_product(setting: str, overrides: Mapping[str, Any] | None, path: Path) -> None:
    """The ground's side: the site's terrain, assessed with the lander's limits, as a product."""
    if setting != "onboard_map":
        raise ScenarioError(f"landing has no ground product {setting!r}")
    cfg, _ = settings(overrides)
    t = site_terrain(cfg)
    onboard = hazard.OnboardMap(t.height_m, t.max_rock_m, t.dune_mask, t.res)
    safety_product.write(path, onboard, hazard_limits(cfg), map_source(cfg))


def descent_params(cfg: Mapping[str, Any]) -> DescentParams:
    return DescentParams(initial_position_m=(cfg["start_x_m"], cfg["start_y_m"], cfg["start_z_m"]),
                         initial_velocity_mps=(cfg["start_vx_mps"], cfg["start_vy_mps"], cfg["start_vz_mps"]))


# ---------------------------------------------------------------- the deployment split
def plant(seed: int, overrides: Mapping[str, Any] | None = None) -> DescentPlant:
    cfg, _ = settings(overrides)
    rng = np.random.default_rng([int(seed), 2])
    nominal = descent_params(cfg)
    r0 = np.array(nominal.initial_position_m) + rng.normal(0.0, float(cfg["nav_pos_sigma_m"]), 3)
    v0 = np.array(nominal.initial_velocity_mps) + rng.normal(0.0, float(cfg["nav_vel_sigma_mps"]), 3)
    truth = DescentParams(initial_position_m=tuple(float(c) for c in r0),
                          initial_velocity_mps=tuple(float(c) for c in v0))
    p = DescentPlant(site_terrain(cfg), truth, physics_rate_hz=200, seed=rng)
    p.check_base_rate(BASE_RATE_HZ)
    return p


def device_config(overrides: Mapping[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """The lander's sensors as HAL simulated devices (noise figures are estimates)."""
    settings(overrides)
    return {
        "imu0": {"kind": "imu", "rate_hz": 50,
                 "noise": {"accel_mps2": {"sigma": 0.003, "bias_sigma": 0.0005}}},
        "altimeter0": {"kind": "altimeter", "rate_hz": 50, "noise": {"range_m": {"sigma": 0.05}}},
        "engine": {"kind": "descent_engine", "rate_hz": 50},
    }


def edl_sequence(cfg: Mapping[str, Any]) -> str:
    """The EDL sequence up to backshell separation, with the navigation hand-over."""
    dp = descent_params(cfg)
    (x, y, z), (vx, vy, vz) = dp.initial_position_m, dp.initial_velocity_mps
    mass = dp.dry_mass_kg + dp.propellant_kg
    return "\n".join([
        "# EDL: cruise stage off, entry, chute, nav hand-over, backshell separation",
        "R+0 lander.SEPARATE_CRUISE_STAGE",
        "R+0 lander.MODE trigger=entry_interface",
        f"R+0 lander.NAV_HANDOVER x_m={x!r} y_m={y!r} z_m={z!r} vx_mps={vx!r} vy_mps={vy!r} vz_mps={vz!r} "
        f"mass_kg={mass!r}",
        "R+0 lander.MODE trigger=deploy_chute",
        "R+0 lander.SEPARATE_BACKSHELL",
    ]) + "\n"


def flight(devices: Mapping[str, Any], clock: Any, overrides: Mapping[str, Any] | None = None
           ) -> tuple[Topology, Executive]:
    cfg, fsw_params = settings(overrides)
    dp = descent_params(cfg)
    limits = hazard_limits(cfg)
    if cfg["onboard_map"] is None:
        raise ScenarioError("landing: no onboard map product given (`onboard_map`; the deployment's ground makes one)")
    try:
        safety = safety_product.load(cfg["onboard_map"], limits, map_source(cfg))
    except MapProductError as exc:
        raise ScenarioError(f"landing onboard map: {exc}") from None
    engine = EngineLimits(max_thrust_N=dp.max_thrust_N, min_throttle=dp.min_throttle)
    fsw = build_lander(devices, safety_map=safety, limits=limits,
                       target_xy=(float(cfg["target_x_m"]), float(cfg["target_y_m"])), engine_limits=engine)
    fsw.lander.set_param("divert_budget_m", float(cfg["divert_budget_m"]))
    seq = Sequencer("seq", fsw.topology.dispatch)
    fsw.topology.add(seq)
    for key, value in fsw_params.items():
        if not fsw.lander.set_param(key.partition(".")[2], value):
            raise ScenarioError(f"flight parameter {key}={value!r} refused (unknown or out of limits)")
    ex = Executive(clock, BASE_RATE_HZ, start_ns=clock.now_ns())
    ex.add_group("sequence", 1, [seq])
    fsw.install(ex)
    try:
        seq.load(parse_sequence(edl_sequence(cfg)))
    except ValueError as exc:
        raise ScenarioError(f"EDL sequence: {exc}") from None
    seq.start_sequence(ex.start_ns)
    return fsw.topology, ex


def duration_s(overrides: Mapping[str, Any] | None = None) -> float:
    return float(settings(overrides)[0]["max_time_s"])


def done(topology: Topology) -> bool:
    return topology["lander"].mode == "SURFACE_IDLE"


def _r(x: float, nd: int = 3) -> float:
    return round(float(x), nd)


def summarize(outcome: SilOutcome) -> dict[str, Any]:
    cfg, _ = settings(outcome.overrides)
    topo, sim = outcome.topology, outcome.plant
    lander: Lander = topo["lander"]
    dp = descent_params(cfg)
    seq_failed = int(topo["seq"].tlm["commands_failed"])
    sequence_ok = seq_failed == 0 and topo["seq"].mode == "DONE"
    modes_seen = [Lander.MODES.initial] + [dict(e.args)["dest"] for e in topo.events
                                           if e.component == "lander" and e.name == "MODE_CHANGED"]
    truth = sim.truth()
    td = truth["touchdown"]
    site = lander.site
    summary: dict[str, Any] = {
        "modes": modes_seen, "final_mode": lander.mode, "edl_sequence_ok": sequence_ok,
        "target_m": [_r(cfg["target_x_m"], 2), _r(cfg["target_y_m"], 2)],
        "map": {"cells": int(cfg["n_cells"]), "resolution_m": float(cfg["resolution_m"]),
                "safe_fraction": _r(lander.safety.safe_fraction, 4)},
        "terrain": {"terrain_seed": int(cfg["terrain_seed"]), **{k: cfg[k] for k in SITE_TERRAIN}},
        "terrain_seed": int(cfg["terrain_seed"]),
        "propellant_used_kg": _r(dp.propellant_kg - truth["propellant_kg"], 1),
        "lander_xy_m": None,
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
        summary["lander_xy_m"] = [_r(td["position_m"][0], 2), _r(td["position_m"][1], 2)]
        summary["touchdown_xy_m"] = summary["lander_xy_m"]
    summary["limits"] = LIMITS
    t = summary.get("touchdown")
    summary["success"] = bool(
        sequence_ok and t is not None and site is not None and summary["site_safe_on_map"]
        and lander.mode == "SURFACE_IDLE"
        and t["error_from_site_m"] <= LIMITS["touchdown_error_m"]
        and t["vertical_speed_mps"] <= LIMITS["vertical_speed_mps"]
        and t["horizontal_speed_mps"] <= LIMITS["horizontal_speed_mps"])
    summary["events"] = [e.text for e in topo.events if e.name not in ("CMD_ACCEPTED", "SEQ_CMD")][:60]
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


WALL_FIELDS = ()


def run(*, seed: int, out_dir, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """`msr sil landing` and Monte Carlo: the map is the run seed's unless `terrain_seed` is given."""
    return run_scenario(sys.modules[__name__], seed=seed, out_dir=out_dir,
                        overrides={"terrain_seed": int(seed), **dict(overrides or {})})


def artifacts(outcome: SilOutcome) -> dict[str, Any]:
    """Report data (artifacts.npz): the lander's own safety map and the height map, every
    4th cell so a campaign run directory stays small; extent in map metres."""
    lander = next(c for c in outcome.topology.components.values() if getattr(c, "safety", None) is not None)
    sm = lander.safety
    step = 4
    half = 0.5 * sm.map.n * sm.map.resolution_m
    return {"safe": sm.safe[::step, ::step], "height_m": sm.map.height_m[::step, ::step].astype("float32"),
            "resolution_m": sm.map.resolution_m * step, "extent_m": [-half, half, -half, half]}
