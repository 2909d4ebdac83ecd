"""`msr sil ascent`: the MAV from the lander deck to a 343 km, 25 deg orbit and OS release.

Deployment split (sim/deployment.py): the world is the ascent plant (6-DOF, 50 Hz grid)
and the enclosure's thermal plant (exact for any step, evaluated lazily); the flight side
is the MAV flight software (fsw.vehicles.mav) on a 50 Hz executive with a 1 Hz quiet rate
set for the settled coast and a 10 Hz one for the ground and RCS phases, touching the world only through its HAL devices. The ground's
part, conditioning, the expected tube list, OS loading (the tubes the lander reports),
sealing and checkout, is an uplinked command sequence the onboard sequencer runs, so a
lockstep HIL bench executes the very same ticks. The enclosure starts conditioned (the
months of waiting are the thermal scenario's business). The ERO's plane is set so the site
is in it at launch.

Overrides (`--set key=value`): target_alt_km, target_inc_deg, launch_time_s, tube_ids
(list of tube ids sealed in the OS, from the fetch phase), grain_initial_C (start
temperature of the enclosure), imu_noise (bool), max_time_s, quiet_stepping (the 10 Hz and
1 Hz rate sets; false: 50 Hz throughout), physics_rate_hz (the ascent plant's grid), and
the world's dispersions, which the flight software does not know (it keeps the nominal MAV
it was loaded with): stage2_inert_kg, mav.stage1_thrust_scale, mav.stage2_thrust_scale
(solid motors burning hot or cold: same impulse, burn time / scale), mav.gross_mass_kg
(the difference goes to stage-1 structure), env.density_scale; and any flight-software parameter as `flight.NAME`, `nav.NAME`, `acs.NAME`
(set after the defaults the scenario derives, so they win).

Summary: orbit reached (truth), its errors, `os_state` (the released Orbiting Sample's
inertial state: r_m, v_mps, t_s) and `os_elements`, for the capture phase of a campaign.
"""
from __future__ import annotations

import math
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from fsw.core import Executive, Topology
from fsw.core.protection import ProtectionConfig
from fsw.core.sequencer import SequenceError, parse_sequence
from fsw.gnc.kepler import plane_normal
from fsw.vehicles.mav import BASE_RATE_HZ, DEVICE_KINDS, MavDevices, MavVehicle, build_flight
from fsw.vehicles.mav.control import MavAttitudeControl
from fsw.vehicles.mav.flight import MavFlightManager
from fsw.vehicles.mav.navigation import MavNavigator
from sim.ascent import AscentParams
from fsw.vehicles.builtin import MAV
from sim.deployment import ScenarioError, SilOutcome, resolve_overrides, run_scenario, tube_id_list
from sim.faults.cases import ASCENT
from sim.registry import Scenario
from sim.scenario_params import ScenarioParam, check_flight_params, defaults, flight_param, grid_rate
from sim.mars import surface_state_inertial
from sim.orbit import KeplerError, state_to_elements
from fsw.numerics import fixed_sum

if TYPE_CHECKING:   # the world's side: the board's flight side (device_config, flight) loads none of it
    from sim.plants import AscentPlant, CompositePlant

NAME = "ascent"
FLIGHT_COMPONENTS = {"flight": MavFlightManager, "nav": MavNavigator, "acs": MavAttitudeControl}
PARAMETER_PREFIXES = tuple(f"{c}." for c in FLIGHT_COMPONENTS)
PARAMS = (
    flight_param(MavFlightManager, "target_alt_km", 343.0),
    flight_param(MavFlightManager, "target_inc_deg", 25.0),
    flight_param(MavFlightManager, "launch_time_s", 30.0),
    ScenarioParam("tube_ids", list(range(1, 11)), convert=tube_id_list, allowed="a list of integer ids in 1..65535"),
    ScenarioParam("grain_initial_C", 12.0, float, -100.0, 60.0),
    ScenarioParam("imu_noise", True, bool),
    ScenarioParam("max_time_s", 6000.0, float, 1.0, 20000.0),
    ScenarioParam("stage2_inert_kg", AscentParams().stage2.inert_kg, float, 10.0, 200.0),
    ScenarioParam("quiet_stepping", True, bool),
    ScenarioParam("physics_rate_hz", 50, convert=grid_rate(BASE_RATE_HZ, 1000),
                  allowed=f"a multiple of the {BASE_RATE_HZ} Hz base rate up to 1000 Hz with a whole-ns period"),
    # the world as it turns out to be (the flight software is loaded with the nominal MAV)
    ScenarioParam("mav.stage1_thrust_scale", 1.0, float, 0.5, 2.0, doc="a hot (> 1) or cold solid motor: "
                                                                       "same impulse, burn time / scale"),
    ScenarioParam("mav.stage2_thrust_scale", 1.0, float, 0.5, 2.0),
    ScenarioParam("mav.gross_mass_kg", AscentParams().gross_mass_kg, float, 370.0, 450.0,
                  doc="the difference is stage-1 structure"),
    ScenarioParam("env.density_scale", 1.0, float, 0.0, 10.0, doc="the whole atmosphere denser (> 1) or thinner"),
)
DEFAULTS: dict[str, Any] = defaults(PARAMS)
KEY_FIGURES = ("periapsis_error_km", "apoapsis_error_km", "inclination_error_deg",
               "delta_v_sensed_mps", "trim_delta_v_mps")
WALL_FIELDS = ("realtime_factor",)
END_MODES = ("PASSIVE", "SAFE", "HOLD")
SEQUENCE_START_S = 1.0   # one second for the thermometers to report
ACCURACY = {"altitude_km": 5.0, "inclination_deg": 0.1}
SENSOR_RATES = {"imu": 50, "star_tracker": 5, "gimbal": 50, "rcs": 50, "igniter": 10, "pyro": 10,
                "heater": 1, "thermometer": 1}


def _config(overrides: Mapping[str, Any] | None) -> tuple[dict[str, Any], dict[str, Any]]:
    return resolve_overrides(dict(overrides or {}), DEFAULTS, PARAMETER_PREFIXES, PARAMS)


def check_overrides(overrides: Mapping[str, Any] | None) -> None:
    """All that can be checked before flying (sim.deployment.validate_overrides): the settings,
    the world's dispersions, and every flight parameter they give, against its limits."""
    cfg, fsw_params = _config(overrides)
    plant_params(cfg)
    check_flight_params(FLIGHT_COMPONENTS, {**onboard_parameters(cfg), **fsw_params})


def nominal_params() -> AscentParams:
    """The MAV as the flight software knows it (sim.ascent's default vehicle)."""
    return AscentParams()


def plant_params(cfg: Mapping[str, Any]) -> AscentParams:
    """The MAV and Mars the plant flies: the nominal ones with the scenario's dispersions."""
    base = nominal_params()
    k1, k2 = float(cfg["mav.stage1_thrust_scale"]), float(cfg["mav.stage2_thrust_scale"])
    d_mass = float(cfg["mav.gross_mass_kg"]) - base.gross_mass_kg
    rho = float(cfg["env.density_scale"])
    if not (0.5 <= k1 <= 2.0 and 0.5 <= k2 <= 2.0 and 0.0 <= rho <= 10.0
            and base.stage1.inert_kg + d_mass > 1.0 and float(cfg["stage2_inert_kg"]) > 1.0):
        raise ScenarioError("dispersion out of range: thrust scales 0.5..2, density scale 0..10, "
                            "masses positive")
    return replace(base,
                   stage1=replace(base.stage1, burn_time_s=base.stage1.burn_time_s / k1,
                                  inert_kg=base.stage1.inert_kg + d_mass),
                   stage2=replace(base.stage2, burn_time_s=base.stage2.burn_time_s / k2,
                                  inert_kg=float(cfg["stage2_inert_kg"])),
                   atmosphere=replace(base.atmosphere, rho0_kgpm3=base.atmosphere.rho0_kgpm3 * rho))


# ---------------------------------------------------------------- the world
def plant(seed: int, overrides: Mapping[str, Any] | None = None) -> CompositePlant:
    from sim.plants import AscentPlant, CompositePlant, ThermalPlant
    from sim.thermal import ThermalParams
    cfg, _ = _config(overrides)
    ascent = AscentPlant(plant_params(cfg), physics_rate_hz=int(cfg["physics_rate_hz"]), seed=seed)
    thermal = ThermalPlant(ThermalParams(initial_C=float(cfg["grain_initial_C"])), physics_rate_hz=50,
                           seed=seed + 1)
    composite = CompositePlant(ascent, thermal)
    composite.wall_t0 = time.perf_counter()   # for the summary's real-time factor only
    return composite


def device_config(overrides: Mapping[str, Any] | None = None) -> dict[str, dict]:
    cfg, _ = _config(overrides)
    out: dict[str, dict] = {}
    for name, kind in DEVICE_KINDS.items():
        entry: dict[str, Any] = {"kind": kind, "rate_hz": SENSOR_RATES[kind]}
        if kind == "imu" and cfg["imu_noise"]:
            entry["noise"] = {"accel_mps2": {"sigma": 2e-3, "bias_sigma": 2e-4},
                              "rate_radps": {"sigma": 1e-4, "bias_sigma": 1e-6}}
        if kind == "star_tracker":
            entry["noise"] = {"q_body_to_inertial": {"sigma": 2e-6}}
        if kind == "thermometer":
            entry["noise"] = {"temp_C": {"sigma": 0.05}}
        out[name] = entry
    return out


# ---------------------------------------------------------------- the flight side
def ero_plane(params: AscentParams, t_launch: float, inc_deg: float) -> tuple[float, float]:
    """RAAN and inclination (deg) of an ERO orbit whose plane holds the site at launch."""
    r, _ = surface_state_inertial(params.site_lat_rad, params.site_lon_rad, params.site_elevation_m,
                                  t_launch, params.mars)
    up = [c / math.sqrt(fixed_sum(x * x for x in r)) for c in r]
    east = (-up[1], up[0], 0.0)
    en = math.hypot(east[0], east[1])
    east = (east[0] / en, east[1] / en, 0.0)
    north = (up[1] * east[2] - up[2] * east[1], up[2] * east[0] - up[0] * east[2],
             up[0] * east[1] - up[1] * east[0])
    az = params.launch_azimuth_rad
    d = tuple(math.cos(az) * north[i] + math.sin(az) * east[i] for i in range(3))
    h = (r[1] * d[2] - r[2] * d[1], r[2] * d[0] - r[0] * d[2], r[0] * d[1] - r[1] * d[0])
    n = plane_normal(r, math.radians(inc_deg), h)
    return math.degrees(math.atan2(n[0], -n[1])), inc_deg


def ground_sequence(tubes: list[int], start_s: float = SEQUENCE_START_S) -> str:
    """The uplinked pre-launch sequence: conditioning, loading the reported tubes, seal, checkout."""
    lines = [f"A{start_s:g} flight.START_CONDITIONING",
             f"R+0 flight.EXPECT_TUBES tubes={','.join(map(str, tubes))}",
             "R+0 flight.BEGIN_LOADING"]
    lines += [f"R+0 flight.OS_TUBE_LOADED tube={t}" for t in tubes]
    lines += ["R+0 flight.END_LOADING_SESSION", "R+0 flight.SEAL_OS", "R+0 flight.BEGIN_CHECKOUT"]
    return "\n".join(lines) + "\n"


def onboard_parameters(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """Parameters uplinked to the flight software before the count (component.NAME -> value)."""
    p = nominal_params()
    raan, inc = ero_plane(p, float(cfg["launch_time_s"]), float(cfg["target_inc_deg"]))
    s1, s2 = p.stage1, p.stage2
    m0 = p.gross_mass_kg
    m2 = m0 - s1.propellant_kg - s1.inert_kg
    return {
        "flight.target_alt_km": cfg["target_alt_km"], "flight.target_inc_deg": cfg["target_inc_deg"],
        "flight.launch_time_s": cfg["launch_time_s"], "flight.ero_raan_deg": raan, "flight.ero_inc_deg": inc,
        "flight.stage1_isp_s": s1.isp_s, "flight.stage1_burn_s": s1.burn_time_s,
        "flight.stage1_mass_ignition_kg": m0, "flight.stage1_mass_burnout_kg": m0 - s1.propellant_kg,
        "flight.stage2_isp_s": s2.isp_s, "flight.stage2_burn_s": s2.burn_time_s,
        "flight.stage2_mass_ignition_kg": m2, "flight.stage2_mass_burnout_kg": m2 - s2.propellant_kg,
        "nav.site_lat_deg": math.degrees(p.site_lat_rad), "nav.site_lon_deg": math.degrees(p.site_lon_rad),
        "nav.site_radius_m": p.mars.radius_eq_m + p.site_elevation_m + p.eject_height_m,
    }


def flight(devices: Mapping[str, Any], clock: Any, overrides: Mapping[str, Any] | None = None,
           protection: ProtectionConfig | None = None) -> tuple[Topology, Executive]:
    """The MAV's flight build (with its fault protection), loaded for this ascent."""
    cfg, fsw_params = _config(overrides)

    def configure(mav: MavVehicle) -> None:
        topo = mav.topology
        for key, value in list(onboard_parameters(cfg).items()) + sorted(fsw_params.items()):
            check_flight_params(FLIGHT_COMPONENTS, {key: value})
            comp, _, pname = key.partition(".")
            topo[comp].set_param(pname, value)
        try:
            mav.sequencer.load(parse_sequence(ground_sequence(cfg["tube_ids"])))
        except SequenceError as exc:   # pragma: no cover - the sequence is generated
            raise ScenarioError(f"ground sequence: {exc}") from None
    mav = build_flight(MavDevices.from_set(devices), clock, configure=configure,
                       rate_sets=bool(cfg["quiet_stepping"]), protection=protection)
    return mav.topology, mav.executive


def duration_s(overrides: Mapping[str, Any] | None = None) -> float:
    return float(_config(overrides)[0]["max_time_s"])


def done(topology: Topology) -> bool:
    """OS released (PASSIVE), safed, a held count, or an abort short of orbit."""
    f = topology["flight"]
    return f.mode in END_MODES or (f.mode == "ABORT" and not f.in_orbit())


# ---------------------------------------------------------------- the outcome
def _ascent_plant(plant_: Any) -> AscentPlant:
    from sim.plants import AscentPlant
    return next(p for p in plant_.parts if isinstance(p, AscentPlant))


def orbit_figures(state: tuple[float, ...], gm: float, re: float) -> dict[str, float] | None:
    try:
        el = state_to_elements(state, gm)
    except KeplerError:
        return None
    return {"periapsis_km": round((el.periapsis_radius_m - re) / 1e3, 3),
            "apoapsis_km": round((el.apoapsis_radius_m - re) / 1e3, 3),
            "sma_km": round(el.sma_m / 1e3, 3), "ecc": round(el.ecc, 7),
            "inclination_deg": round(math.degrees(el.inc_rad), 5),
            "raan_deg": round(math.degrees(el.raan_rad), 5),
            "argp_deg": round(math.degrees(el.argp_rad), 5),
            "true_anomaly_deg": round(math.degrees(el.true_anomaly_rad), 5)}


def summarize(outcome: SilOutcome) -> dict[str, Any]:
    cfg, _ = _config(outcome.overrides)
    topo = outcome.topology
    f, nav = topo["flight"], topo["nav"]
    ascent = _ascent_plant(outcome.plant)
    truth = ascent.truth()
    params = ascent.params
    re, gm = params.mars.radius_eq_m, params.mars.gm_m3ps2
    el = truth["elements"]
    target_alt, target_inc = float(cfg["target_alt_km"]), float(cfg["target_inc_deg"])
    events = [e for e in topo.events if e.name not in ("CMD_ACCEPTED", "PARAM_SET", "SEQ_CMD")]
    summary: dict[str, Any] = {
        "final_mode": f.mode,
        "os_released": truth["os_state"] is not None,
        "tube_ids": list(cfg["tube_ids"]),
        "tubes_in_orbit": sorted(f.custody.tubes_at("orbit")),
        "commands_rejected": [dict(e.args)["target"] for e in topo.events if e.name == "SEQ_CMD_FAILED"],
        "holds": [e.text for e in events if e.name == "LAUNCH_HOLD"],
        "target": {"altitude_km": target_alt, "inclination_deg": target_inc},
        "launch_time_s": f.launch_t_s,
    }
    if el is not None:
        rp, ra = el["periapsis_alt_m"] / 1e3, el["apoapsis_alt_m"] / 1e3
        inc_deg = math.degrees(el["inc_rad"])
        summary.update({
            "periapsis_km": round(rp, 3), "apoapsis_km": round(ra, 3), "inclination_deg": round(inc_deg, 4),
            "periapsis_error_km": round(rp - target_alt, 3), "apoapsis_error_km": round(ra - target_alt, 3),
            "inclination_error_deg": round(inc_deg - target_inc, 4),
        })
    os_state = truth["os_state"]
    summary["os_state"] = None if os_state is None else {
        "r_m": [float(x) for x in os_state[:3]], "v_mps": [float(x) for x in os_state[3:]],
        "t_s": float(truth["events"]["os_released_s"])}
    summary["os_elements"] = None if os_state is None else orbit_figures(tuple(os_state), gm, re)
    end_s = outcome.result.end_ns / 1e9
    flight_s = (end_s - f.launch_t_s) if f.launch_t_s is not None else 0.0
    wall = time.perf_counter() - getattr(outcome.plant, "wall_t0", time.perf_counter())
    summary.update({
        "delta_v_sensed_mps": round(nav.dv_sensed, 2),
        "trim_delta_v_mps": round(f.insertion.trim_used, 3),
        "stage2_plan": None if f.plan is None else {
            "ignition_s": round(f.plan.t_ignition_s, 3),
            "elevation_deg": round(math.degrees(f.plan.elevation_rad), 4),
            "predicted_periapsis_km": round(f.tlm["plan_periapsis_km"], 3),
            "predicted_apoapsis_km": round(f.tlm["plan_apoapsis_km"], 3)},
        "max_dynamic_pressure_Pa": round(truth["events"]["max_dynamic_pressure_Pa"], 1),
        "flight_time_s": round(flight_s, 3),
        "ticks_by_rate_set": ticks_by_rate_set(outcome.executive),
        "events": [f"{e.t_ns / 1e9:.2f} {e.component} {e.text}" for e in events if e.severity >= 2][:80],
        "realtime_factor": round(end_s / wall, 1) if wall > 0 else None,
    })
    ok = (el is not None and summary["os_released"]
          and abs(summary["periapsis_error_km"]) <= ACCURACY["altitude_km"]
          and abs(summary["apoapsis_error_km"]) <= ACCURACY["altitude_km"]
          and abs(summary["inclination_error_deg"]) <= ACCURACY["inclination_deg"])
    summary["success"] = bool(ok)
    return summary


def ticks_by_rate_set(executive: Executive) -> dict[str, int]:
    """Ticks run on each rate set (the first group of a set runs every tick)."""
    return {name: rs.groups[0].stats.runs for name, rs in executive.rate_sets.items() if rs.groups}


def summary_lines(summary: dict) -> list[str]:
    s = summary
    lines = [f"ascent seed {s['seed']}: {'SUCCESS' if s['success'] else 'FAILURE'} (final mode {s['final_mode']})"]
    if "periapsis_km" in s:
        lines.append(f"  orbit {s['periapsis_km']:.2f} x {s['apoapsis_km']:.2f} km, i = {s['inclination_deg']:.3f} deg"
                     f"  (errors {s['periapsis_error_km']:+.2f} / {s['apoapsis_error_km']:+.2f} km,"
                     f" {s['inclination_error_deg']:+.4f} deg)")
    lines.append(f"  delta-v sensed {s['delta_v_sensed_mps']:.1f} m/s (RCS trim {s['trim_delta_v_mps']:.2f} m/s),"
                 f" OS released: {s['os_released']} with tubes {s['tubes_in_orbit']}")
    if s.get("holds"):
        lines.append(f"  holds: {'; '.join(s['holds'])}")
    if s.get("commands_rejected"):
        lines.append(f"  sequence commands refused: {', '.join(s['commands_rejected'])}")
    lines.append(f"  {s['sim_time_s']:.0f} s simulated (flight {s['flight_time_s']:.0f} s),"
                 f" wall {s['wall_time_s']:.2f} s, real-time factor {s['realtime_factor']}x")
    return lines


def run(*, seed: int, out_dir: Path | None, overrides: Mapping[str, Any] | None = None,
        protection: bool = True) -> dict:
    return run_scenario(SCENARIO, seed=seed, out_dir=out_dir, overrides=overrides,
                        protection=protection)


SCENARIO = Scenario(NAME, MAV, summary_lines, plant=plant, device_config=device_config, flight=flight,
                    summarize=summarize, duration_s=duration_s, done=done, params=PARAMS,
                    prefixes=PARAMETER_PREFIXES, check=check_overrides, fault_cases=ASCENT, key_figures=KEY_FIGURES,
                    wall_fields=WALL_FIELDS)
