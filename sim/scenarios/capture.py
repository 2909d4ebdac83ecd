"""`msr sil capture`: the ERO finds the OS from afar, closes in, captures, contains it, flies
home and releases the Earth Entry Vehicle.

Deployment split (sim/deployment.py). The world is `RendezvousPlant` (OS and ERO propagated
with J2, camera, lidar, RCS, capture cone and lid) plus `CcrsPlant` (orienting rollers and
their two cameras, primary/secondary seals with leak checks, sterilisation, transfer to the
EEV, EEV release). The ERO's flight software (fsw.vehicles.ero) runs at 10 Hz, or in its 1 Hz
quiet rate set during drifts, coasts, the sterilisation dwell and Earth cruise.

The OS orbit is `os_state` (inertial, Mars-centred, from the ascent scenario; default a
343 km, 25 deg circular orbit). The ERO starts on a circular phasing orbit in the OS's plane,
`start_behind_km` of arc behind and `start_below_km` below it, off by a seeded error of
`prior_sigma_m` / `prior_sigma_mps` per Hill axis from where the ground believes it is. The
ground's part runs onboard as an uplinked sequence: the tubes the OS carries (`tube_ids`),
the relative-state prior (the nominal geometry, with those sigmas), BEGIN_SEARCH. Earth
cruise is compressed to `earth_cruise_s`.

Overrides: os_state, tube_ids, start_behind_km, start_below_km, prior_sigma_m,
prior_sigma_mps, ero_thrust_N (RCS force per body axis; the far-range transfer's ~10 m/s
burns must stay short against the quarter orbit), containment_fault (the primary seal leaks: the OS must be held, never put in
the EEV), lateral_kick_mps (a cross-track velocity error 5 m from the OS that must end in a
back-off and retry), earth_cruise_s, quiet_stepping, max_time_s, and flight-software
parameters as `ccrs.NAME` (the capture manager), `relnav.NAME`, `containment.NAME` or
`rates.NAME` (the rate-set choice: `quiet_margin_s`).
"""
from __future__ import annotations

import functools
import math
import time
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from fsw.core import Executive, Topology
from fsw.core.protection import ProtectionConfig
from fsw.core.sequencer import SequenceError, parse_sequence
from fsw.gnc.relnav import rectilinear_to_curvilinear
from fsw.vehicles.ero import DEVICE_KINDS, EroDevices, EroVehicle, build_flight
from fsw.vehicles.ero.capture import EroCaptureManager
from fsw.vehicles.ero.containment import EroContainment
from fsw.vehicles.ero.rates import EroRateChoice
from fsw.vehicles.ero.relnav import EroRelNav
from fsw.vehicles.builtin import ERO
from sim.deployment import ScenarioError, SilOutcome, resolve_overrides, run_scenario, tube_id_list
from sim.faults.cases import CAPTURE
from sim.registry import Scenario
from sim.scenario_params import ScenarioParam, check_flight_params, defaults, flight_param
from sim.mars import MARS
from sim.orbit import Elements, elements_to_state, propagate_j2, state_to_elements
from sim.plants import CompositePlant, RendezvousPlant
from sim.plants.ccrs import CcrsParams, CcrsPlant
from sim.relative import inertial_to_lvlh, lvlh_to_inertial
from sim.rendezvous import RendezvousParams, phasing_state

NAME = "capture"
OS_ID = 1000
NOMINAL_OS_ALT_KM = 343.0
NOMINAL_OS_INC_DEG = 25.0


def nominal_os_state() -> dict[str, Any]:
    """A 343 km, 25 deg circular OS orbit (MSR_FACTS.md), as the ascent summary gives it."""
    el = Elements(MARS.radius_eq_m + NOMINAL_OS_ALT_KM * 1e3, 0.0, math.radians(NOMINAL_OS_INC_DEG), 0.0, 0.0, 0.0)
    s = elements_to_state(el, MARS.gm_m3ps2)
    return {"r_m": [float(c) for c in s[:3]], "v_mps": [float(c) for c in s[3:]], "t_s": 0.0}


def os_state_value(value: Any) -> dict[str, Any]:
    """The OS state override ({r_m: [3], v_mps: [3], t_s}, inertial, Mars-centred), checked:
    finite, a low near-circular Mars orbit; ValueError saying what is wrong."""
    try:
        r = [float(c) for c in value["r_m"]]
        v = [float(c) for c in value["v_mps"]]
        t_s = float(value.get("t_s", 0.0))
    except (TypeError, KeyError, ValueError, AttributeError):
        raise ValueError("not {r_m: [3], v_mps: [3], t_s}") from None
    if len(r) != 3 or len(v) != 3 or not all(math.isfinite(c) for c in r + v + [t_s]):
        raise ValueError("needs three finite r_m and v_mps components and a finite t_s")
    s = tuple(r + v)
    el = state_to_elements(s, MARS.gm_m3ps2)
    if not (el.ecc < 0.05 and el.periapsis_radius_m > MARS.radius_eq_m + 100e3):
        raise ValueError(f"not a low, near-circular Mars orbit (e = {el.ecc:.3g}, "
                         f"periapsis altitude {(el.periapsis_radius_m - MARS.radius_eq_m) / 1e3:.0f} km)")
    return {"r_m": r, "v_mps": v, "t_s": t_s}


PARAMS = (
    ScenarioParam("os_state", nominal_os_state(), convert=os_state_value,
                  allowed="{r_m: [3], v_mps: [3], t_s} of a low, near-circular Mars orbit"),
    ScenarioParam("tube_ids", list(range(1, 11)), convert=tube_id_list, allowed="a list of integer ids in 1..65535"),
    ScenarioParam("start_behind_km", 3200.0, float, 1.0, 4999.0),
    ScenarioParam("start_below_km", 25.0, float, -50.0, 100.0),
    ScenarioParam("prior_sigma_m", 1000.0, float, 0.0, 20000.0),
    ScenarioParam("prior_sigma_mps", 0.01, float, 0.0, 10.0),
    ScenarioParam("containment_fault", False, bool),
    ScenarioParam("lateral_kick_mps", 0.0, float, -1.0, 1.0),
    flight_param(EroContainment, "earth_cruise_s", 3600.0),
    ScenarioParam("ero_thrust_N", 200.0, float, 1.0, 1000.0, doc="RCS force per body axis"),
    ScenarioParam("quiet_stepping", True, bool),
    ScenarioParam("max_time_s", 200000.0, float, 1.0, 1e6),
)
DEFAULTS: dict[str, Any] = defaults(PARAMS)
FLIGHT_COMPONENTS = {"ccrs": EroCaptureManager, "relnav": EroRelNav, "containment": EroContainment,
                     "rates": EroRateChoice}
PARAMETER_PREFIXES = tuple(f"{c}." for c in FLIGHT_COMPONENTS)
END_MODES = ("COMPLETE", "SAFE", "CONTAINMENT_HOLD")
WALL_FIELDS = ("realtime_factor",)
SENSOR_RATES = {"camera_tracker": 2, "lidar": 10, "rcs": 10, "imu": 10, "capture_mechanism": 10,
                "gimbal": 10, "pyro": 10, "tube_sensor": 2, "heater": 1, "thermometer": 1, "arm": 10}


# ---------------------------------------------------------------- overrides
def _config(overrides: Mapping[str, Any] | None) -> tuple[dict[str, Any], dict[str, Any]]:
    cfg, fsw = resolve_overrides(dict(overrides or {}), DEFAULTS, PARAMETER_PREFIXES, PARAMS)
    state = cfg["os_state"]
    cfg["os_state"] = tuple(state["r_m"] + state["v_mps"])
    cfg["os_epoch_s"] = state["t_s"]                  # the OS's epoch (ascent timeline)
    return cfg, fsw


def check_overrides(overrides: Mapping[str, Any] | None) -> None:
    """All that can be checked before flying (sim.deployment.validate_overrides)."""
    cfg, fsw_params = _config(overrides)
    check_flight_params(FLIGHT_COMPONENTS, {**onboard_parameters(cfg), **fsw_params})


FAR_START_M = 65e3   # where the onboard far-range transfer starts (ccrs.far_start_m default)


def node_bias(cfg: Mapping[str, Any]) -> float:
    """RAAN offset (rad) the ground gives the phasing orbit so that the lower orbit's faster
    J2 nodal regression brings the two planes together when the far-range transfer starts:
    the ground propagates both orbits (J2, a minute a step) until the ERO is FAR_START_M
    behind and takes the node difference there."""
    return _node_bias(tuple(cfg["os_state"]), cfg["start_behind_km"], cfg["start_below_km"])


@functools.lru_cache(maxsize=16)
def _node_bias(os: tuple[float, ...], behind_km: float, below_km: float) -> float:
    gm = MARS.gm_m3ps2
    ero = phasing_state(os, behind_km * 1e3, below_km * 1e3, gm)
    step, t = 60.0, 0.0
    while t < 10 * 86400.0:
        rel = inertial_to_lvlh(os, ero)            # ERO relative to the OS
        if -rel[1] <= FAR_START_M or rel[1] > 0.0:
            break
        os, ero = propagate_j2(os, step, 1, MARS), propagate_j2(ero, step, 1, MARS)
        t += step
    d = state_to_elements(ero, gm).raan_rad - state_to_elements(os, gm).raan_rad
    return -math.remainder(d, 2.0 * math.pi)


def nominal_ero_state(cfg: Mapping[str, Any]) -> tuple[float, ...]:
    """Where the ground believes the ERO is at the start: on its phasing orbit."""
    return phasing_state(cfg["os_state"], cfg["start_behind_km"] * 1e3, cfg["start_below_km"] * 1e3,
                         MARS.gm_m3ps2, node_bias(cfg))


def os_orbit(cfg: Mapping[str, Any]) -> tuple[float, float]:
    """(semi-major axis, mean motion) of the OS orbit."""
    a = state_to_elements(cfg["os_state"], MARS.gm_m3ps2).sma_m
    return a, math.sqrt(MARS.gm_m3ps2 / a ** 3)


# ---------------------------------------------------------------- the world
def plant(seed: int, overrides: Mapping[str, Any] | None = None) -> CompositePlant:
    cfg, _ = _config(overrides)
    rng = np.random.default_rng([int(seed), 0xE20])
    err = [cfg["prior_sigma_m"] * float(rng.standard_normal()) for _ in range(3)] + \
          [cfg["prior_sigma_mps"] * float(rng.standard_normal()) for _ in range(3)]
    ero_true = lvlh_to_inertial(nominal_ero_state(cfg), err)
    params = RendezvousParams(os_state=cfg["os_state"], ero_state=ero_true, thrust_limit_N=cfg["ero_thrust_N"],
                              lateral_kick_mps=cfg["lateral_kick_mps"])
    rdv = RendezvousPlant(params, physics_rate_hz=10, seed=seed)
    ccrs = CcrsPlant(CcrsParams(os_id=OS_ID, containment_fault=bool(cfg["containment_fault"])),
                     physics_rate_hz=10, seed=seed + 1, captured=lambda: rdv.pair.capture.captured)
    composite = CompositePlant(rdv, ccrs)
    composite.wall_t0 = time.perf_counter()   # for the summary's real-time factor only
    return composite


def device_config(overrides: Mapping[str, Any] | None = None) -> dict[str, dict]:
    _config(overrides)
    cfg: dict[str, dict] = {}
    for name, kind in DEVICE_KINDS.items():
        entry: dict[str, Any] = {"kind": kind, "rate_hz": SENSOR_RATES[kind]}
        if name == "nac":
            entry["noise"] = {"los_unit": {"sigma": 1e-4}}
        elif name.startswith("orient_cam"):
            entry["noise"] = {"los_unit": {"sigma": 5e-3}}
        elif name == "lidar0":
            entry["noise"] = {"range_m": {"sigma": 0.05}, "range_rate_mps": {"sigma": 0.005}}
        elif name == "imu0":
            entry["noise"] = {"accel_mps2": {"sigma": 1e-6}}
        elif name == "btc_temp":
            entry["noise"] = {"temp_C": {"sigma": 0.3}}
        elif name == "orient_mech":
            entry["noise"] = {"pitch_rad": {"sigma": 1e-5}, "yaw_rad": {"sigma": 1e-5}}
        cfg[name] = entry
    return cfg


# ---------------------------------------------------------------- the flight side
def ground_prior(cfg: Mapping[str, Any]) -> tuple[float, ...]:
    """The ground's estimate of the OS relative to the ERO at the start (curvilinear Hill
    frame about the OS orbit radius), from the nominal geometry."""
    rect = inertial_to_lvlh(nominal_ero_state(cfg), cfg["os_state"])
    return rectilinear_to_curvilinear(rect, os_orbit(cfg)[0])


def ground_sequence(cfg: Mapping[str, Any]) -> str:
    """The uplinked sequence: the OS contents, the relative-state prior, start the search."""
    prior = ground_prior(cfg)
    args = " ".join(f"{k}={v!r}" for k, v in zip(("x", "y", "z", "vx", "vy", "vz"), prior))
    return "\n".join([
        f"A0 containment.EXPECT_TUBES tubes={','.join(map(str, cfg['tube_ids']))}",
        f"R+0 relnav.REL_STATE_PRIOR {args} sigma_pos_m={cfg['prior_sigma_m']!r}"
        f" sigma_vel_mps={cfg['prior_sigma_mps']!r}",
        "R+1 ccrs.BEGIN_SEARCH",
    ]) + "\n"


def onboard_parameters(cfg: Mapping[str, Any]) -> dict[str, Any]:
    a, n = os_orbit(cfg)
    rp = RendezvousParams()
    values = {"os_id": OS_ID, "mean_motion_radps": n, "orbit_radius_m": a, "mass_kg": rp.ero_mass_kg,
              "force_limit_N": cfg["ero_thrust_N"], "earth_cruise_s": cfg["earth_cruise_s"]}
    # each to every flight component that declares it (the manager and navigation share some)
    return {f"{comp}.{key}": value for key, value in values.items()
            for comp, cls in FLIGHT_COMPONENTS.items() if any(p.name == key for p in cls.PARAMS)}


def flight(devices: Mapping[str, Any], clock: Any, overrides: Mapping[str, Any] | None = None,
           protection: ProtectionConfig | None = None) -> tuple[Topology, Executive]:
    """The ERO's flight build (with its fault protection), loaded for this capture."""
    cfg, fsw_params = _config(overrides)

    def configure(ero: EroVehicle) -> None:
        for key, value in list(onboard_parameters(cfg).items()) + sorted(fsw_params.items()):
            check_flight_params(FLIGHT_COMPONENTS, {key: value})
            comp, _, name = key.partition(".")
            ero.topology[comp].set_param(name, value)
        try:
            ero.sequencer.load(parse_sequence(ground_sequence(cfg)))
        except SequenceError as exc:   # pragma: no cover - the sequence is generated
            raise ScenarioError(f"ground sequence: {exc}") from None
    ero = build_flight(EroDevices.from_set(devices), clock, configure=configure,
                       quiet=bool(cfg["quiet_stepping"]), protection=protection)
    return ero.topology, ero.executive


def duration_s(overrides: Mapping[str, Any] | None = None) -> float:
    return _config(overrides)[0]["max_time_s"]


def done(topology: Topology) -> bool:
    return topology["ccrs"].mode in END_MODES


# ---------------------------------------------------------------- the outcome
def _r(x: float | None, nd: int = 4) -> float | None:
    return None if x is None else round(float(x), nd)


def summarize(outcome: SilOutcome) -> dict[str, Any]:
    cfg, _ = _config(outcome.overrides)
    rdv, ccrs = outcome.plant.parts
    truth, ctruth = rdv.truth(), ccrs.truth()
    cap = truth["capture"]
    mgr = outcome.topology["ccrs"]
    con = outcome.topology["containment"]
    nav = outcome.topology["relnav"]
    events = [e for e in outcome.topology.events if e.name not in ("CMD_ACCEPTED", "PARAM_SET", "SEQ_CMD")]
    seq_failed = [e.text for e in events if e.name == "SEQ_CMD_FAILED"]
    held = cap["held_rel_m"]
    el = state_to_elements(cfg["os_state"], MARS.gm_m3ps2)
    modes = [dict(e.args).get("dest") for e in events if e.name == "MODE_CHANGED"]
    quiet = outcome.executive.rate_sets.get("quiet")
    summary: dict[str, Any] = {
        "final_mode": mgr.mode,
        "modes": list(dict.fromkeys(m for m in modes if m)),
        "sequence_commands_failed": seq_failed,
        "os_orbit": {"altitude_km": round((el.sma_m - MARS.radius_eq_m) / 1e3, 3), "ecc": round(el.ecc, 6),
                     "inclination_deg": round(math.degrees(el.inc_rad), 4), "epoch_s": cfg["os_epoch_s"]},
        "start_behind_km": cfg["start_behind_km"], "start_below_km": cfg["start_below_km"],
        "detection_range_m": _r(truth["first_detection_range_m"], 1),
        "detection_time_s": _r(truth["first_detection_t_s"], 1),
        "detection_range_estimated_m": _r(nav.detect_range_est, 1),
        "approach_delta_v_mps": round(truth["delta_v_used_mps"], 3),
        "approach_delta_v_onboard_mps": round(mgr.tlm["approach_dv_mps"], 3),
        "captured": bool(cap["captured"]),
        "closing_speed_mps": _r(cap["trigger_closing_mps"]),       # at the capture trigger
        "capture_offset_m": _r(cap["trigger_lateral_m"]),         # off the cone axis, at the trigger
        "held_offset_m": None if held is None else round(math.hypot(held[0], held[2]), 4),
        "bounces": len(cap["impacts"]),
        "retries": mgr.retries,
        "nav_final_sigma_m": None if nav.nav is None else round(nav.nav.position_sigma, 4),
        "nav_rejected": None if nav.nav is None else nav.nav.rejected,
        "os_axis_error_deg": round(ctruth["os_axis_error_deg"], 3),
        "orientation_verified": con.verified("orient"),
        "containment_verified": con.verified("contain"),
        "sterilisation_verified": con.verified("break_the_chain"),
        "sterilisation_max_temp_C": round(ctruth["max_temp_C"], 1),
        "eev_released": bool(con.verified("eev_release") and ctruth["eev_released"]),
        "tube_ids": cfg["tube_ids"],
        "custody": {"captured": list(con.captured_tubes), "contained": list(con.contained_tubes),
                    "in_eev": con.custody.tubes_at("eev")},
        "quiet_ticks": 0 if quiet is None else sum(g.stats.runs for g in quiet.groups if g.name == "seq_quiet"),  # integer sum
        "events": [f"{e.t_ns / 1e9:.1f} {e.component} {e.text}" for e in events
                   if e.severity >= 2 and e.name != "TUBE_MOVED"][:80],
    }
    wall = time.perf_counter() - getattr(outcome.plant, "wall_t0", time.perf_counter())
    summary["realtime_factor"] = round(outcome.result.elapsed_ns / 1e9 / wall, 1) if wall > 0 else None
    if cfg["containment_fault"]:
        summary["success"] = bool(mgr.mode == "CONTAINMENT_HOLD" and not con.verified("eev_transfer")
                                  and not ctruth["in_eev"] and not summary["custody"]["in_eev"])
    else:
        summary["success"] = bool(mgr.mode == "COMPLETE" and cap["captured"] and summary["eev_released"]
                                  and summary["custody"]["in_eev"] == cfg["tube_ids"])
    return summary


def summary_lines(summary: dict) -> list[str]:
    s = summary
    lines = [f"capture seed {s['seed']}: {'SUCCESS' if s['success'] else 'FAILURE'} (final mode {s['final_mode']})"]
    def km(m):
        return "-" if m is None else f"{m / 1e3:.1f}"
    lines.append(f"  start {s['start_behind_km']:.0f} km behind, {s['start_below_km']:.0f} km below; OS detected at"
                 f" {km(s['detection_range_m'])} km (onboard estimate {km(s['detection_range_estimated_m'])} km)")
    lines.append(f"  approach delta-v {s['approach_delta_v_mps']:.2f} m/s, retries {s['retries']},"
                 f" bounces {s['bounces']}")
    lines.append(f"  capture: closing {s['closing_speed_mps']} m/s, offset {s['capture_offset_m']} m,"
                 f" captured {s['captured']}")
    lines.append(f"  oriented {s['orientation_verified']}, contained {s['containment_verified']},"
                 f" sterilised {s['sterilisation_verified']}, EEV released {s['eev_released']}")
    c = s["custody"]
    lines.append(f"  tubes captured {c['captured']}, contained {c['contained']}, in the EEV {c['in_eev']}")
    if s.get("sequence_commands_failed"):
        lines.append(f"  sequence commands refused: {'; '.join(s['sequence_commands_failed'])}")
    lines.append(f"  {s['sim_time_s']:.0f} s simulated in {s['wall_time_s']:.2f} s wall")
    return lines


def run(*, seed: int, out_dir: Path | None, overrides: Mapping[str, Any] | None = None,
        protection: bool = True) -> dict:
    return run_scenario(SCENARIO, seed=seed, out_dir=out_dir, overrides=overrides,
                        protection=protection)


__all__ = ["NAME", "SCENARIO", "DEFAULTS", "plant", "device_config", "flight", "duration_s", "done",
           "summarize", "summary_lines", "run", "ground_sequence", "ground_prior", "nominal_os_state"]


SCENARIO = Scenario(NAME, ERO, summary_lines, plant=plant, device_config=device_config, flight=flight,
                    summarize=summarize, duration_s=duration_s, done=done, params=PARAMS,
                    prefixes=PARAMETER_PREFIXES, check=check_overrides, fault_cases=CAPTURE, wall_fields=WALL_FIELDS)
