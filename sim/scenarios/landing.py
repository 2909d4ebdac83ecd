"""`msr sil landing`: the Sample Retrieval Lander from the entry interface to surface idle.

A deployment split (sim/deployment.py). The world (`plant`) is the EdlPlant (sim.plants.edl, 50 Hz):
the capsule from the entry interface (~125 km, 5.8 km/s, -15.5 deg; MSR_FACTS.md) over
rotating Mars, the parachute, the heatshield and backshell, then powered descent and
touchdown, over the landing plain the site map tiles (sim.landing_world; the site map is
sim.terrain.SITE_TERRAIN with `terrain_seed`, shared with fetch). The flight side (`flight`)
is the lander's flight software with its EDL components (fsw.vehicles.lander) in the
fixed-step executive at 50 Hz, with HAL simulated devices with seeded noise. The ground's
part before the entry interface is a sequence: cruise-stage separation, the entry state (as
orbit determination knows it), the entry trigger. The onboard maps are the site map's height,
rock and dune layers (a map product as the flight code would receive it) and the orbital map
image of the region (sim.landing_world.LandingWorld.orbital_map) for terrain-relative
navigation. Both are ground products (`products`, `make_product`): the ground assesses the
site map with the lander's hazard limits (fsw.gnc.safety_product) and renders the orbital map
(fsw.gnc.orbital_product), and writes the files (in SIL just before the flight side is built;
`msr hil deploy` into a board's bundle); the flight side loads them as data, CRC-checked,
reading only the cells it needs, and never generates terrain (`onboard_map`, `orbital_map`
name the files).

The entry state the flight software is given is the nominal one (the overrides below); the
true state is dispersed from it by the knowledge error (`nav_pos_sigma_m`, `nav_vel_sigma_mps`,
drawn from the run seed in the plant), so navigation starts kilometres off and TRN must bring
it to metres. Atmosphere, winds and the capsule's mass and aerodynamics are truth-only
overrides (the flight software keeps its nominal model).

Success: touchdown within 10 m of the chosen site, vertical speed <= 2.5 m/s, horizontal
<= 1 m/s, chosen site safe, lander in SURFACE_IDLE with the engines off. The summary gives
the EDL figures (`edl`) and what the next phase needs: `lander_xy_m` (the touchdown point on
the site map as `terrain` re-centres it) and `terrain` (the map's settings with
`terrain_seed` and the shift), both accepted as fetch overrides as they are.
"""
from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from fsw.core import Executive, Topology
from fsw.core.protection import ProtectionConfig
from fsw.core.sequencer import parse_sequence
from fsw.gnc import hazard, orbital_product, safety_product, site_select
from fsw.gnc.descent_guidance import EngineLimits
from fsw.gnc.entry_guidance import EntryGuidanceSettings, EntryModel
from fsw.gnc.map_product import FORMAT as MAP_FORMAT, SUFFIX as MAP_SUFFIX, MapProductError
from fsw.gnc.site_frame import SiteFrame, state_from_entry
from fsw.gnc.site_select import PeriodicMap
from fsw.gnc.trn import CameraModel, OrbitalMap
from fsw.vehicles.lander import DescentGuidance, DescentNavigator, Lander, LanderFsw, build_flight
from fsw.vehicles.lander.edl_nav import EdlNavigator
from fsw.vehicles.lander.edl_sequencer import EdlSequencer
from fsw.vehicles.lander.entry import EntryGuidance
from fsw.vehicles.lander.trn import TerrainRelativeNav
from fsw.vehicles.lander.vehicle import BASE_RATE_HZ, EdlConfig
from sim.atmosphere import MarsAtmosphere
from fsw.vehicles.builtin import LANDER
from sim.deployment import ScenarioError, SilOutcome, resolve_overrides, run_scenario
from sim.faults.cases import LANDING
from sim.registry import Scenario
from sim.scenario_params import ScenarioParam, check_flight_params, defaults, flight_param, seed_param
from sim.descent import DescentParams
from sim.descent_camera import CameraParams
from sim.edl_report import campaign_figures, edl_figures, trn_fix_rows
from sim.entry import CapsuleParams, ParachuteParams
from sim.landing_world import LandingWorld, RegionParams, fetch_shift_m, wrap_coord
from sim.mars import MARS
from sim.plants.edl import EdlPlant, RadarParams
from sim.terrain import SITE_TERRAIN, SITE_TERRAIN_PARAMS, Terrain, TerrainError, generate, site_terrain_params

NAME = "landing"

# The site (Jezero) and the entry interface (MSR_FACTS.md: ~125 km, 5.3-5.9 km/s, about -15.5 deg;
# -15.8 puts the peak deceleration in the published 10-12 g; inertial speed and flight-path
# angle, heading from north), `entry_range_km` uprange of the target along that heading.
# Atmosphere, winds and the capsule are truth only: the flight software keeps its nominal model.
PARAMS = (
    *SITE_TERRAIN_PARAMS,            # the landing site's map, shared with fetch (sim.terrain)
    seed_param("terrain_seed", 1, "`run` (msr sil, Monte Carlo) sets it to the run's seed unless given"),
    ScenarioParam("target_x_m", 0.0, float, -400.0, 400.0), ScenarioParam("target_y_m", 0.0, float, -400.0, 400.0),
    ScenarioParam("site_lat_deg", 18.4446, float, -80.0, 80.0),
    ScenarioParam("site_lon_deg", 77.4509, float, -360.0, 360.0),
    ScenarioParam("site_datum_m", -2500.0, float, -8000.0, 20000.0, doc="site height above the equatorial radius"),
    ScenarioParam("entry_alt_km", 125.0, float, 80.0, 200.0),
    ScenarioParam("entry_speed_mps", 5900.0, float, 3000.0, 8000.0, doc="inertial speed at the entry interface"),
    ScenarioParam("entry_fpa_deg", -15.8, float, -25.0, -8.0, doc="inertial flight-path angle"),
    ScenarioParam("entry_azimuth_deg", 90.0, float, -360.0, 360.0, doc="heading from north"),
    ScenarioParam("entry_range_km", 565.0, float, 100.0, 2000.0, doc="uprange of the target"),
    ScenarioParam("entry_crossrange_km", 0.0, float, -100.0, 100.0),
    # what orbit determination does not know at the entry interface (1 sigma, per axis)
    ScenarioParam("nav_pos_sigma_m", 1000.0, float, 0.0, 10000.0),
    ScenarioParam("nav_vel_sigma_mps", 0.5, float, 0.0, 10.0),
    # truth only: the capsule (beta ~140 kg/m^2, L/D ~0.24; SRL mass an estimate), the parachute, the air
    ScenarioParam("entry_mass_kg", 3500.0, float, 2000.0, 6000.0),
    ScenarioParam("capsule_cd_scale", 1.0, float, 0.5, 2.0),
    ScenarioParam("lift_to_drag", 0.24, float, 0.0, 0.5),
    ScenarioParam("chute_cd_scale", 1.0, float, 0.5, 2.0),
    ScenarioParam("density_scale", 1.0, float, 0.2, 5.0),
    ScenarioParam("scale_height_scale", 1.0, float, 0.5, 2.0),
    ScenarioParam("density_wave_amplitude", 0.0, float, 0.0, 0.5),
    ScenarioParam("density_wave_phase_rad", 0.0, float, -10.0, 10.0),
    ScenarioParam("temperature_offset_K", 0.0, float, -60.0, 60.0),
    ScenarioParam("wind_east_low_mps", 0.0, float, -100.0, 100.0),
    ScenarioParam("wind_north_low_mps", 0.0, float, -100.0, 100.0),
    ScenarioParam("wind_east_high_mps", 0.0, float, -200.0, 200.0),
    ScenarioParam("wind_north_high_mps", 0.0, float, -200.0, 200.0),
    flight_param(DescentGuidance, "divert_budget_m", 300.0),
    ScenarioParam("max_time_s", 600.0, float, 1.0, 3600.0),
    ScenarioParam("slope_limit_deg", 12.0, float, 1.0, 45.0),
    ScenarioParam("roughness_limit_m", 0.10, float, 0.01, 1.0),
    ScenarioParam("onboard_map", None, str, optional=True,
                  doc="the onboard site map product's file; null: the ground's (see `products`)"),
    ScenarioParam("orbital_map", None, str, optional=True,
                  doc="the orbital map product's file (TRN); null: the ground's (see `products`)"),
)
DEFAULTS: dict[str, Any] = defaults(PARAMS)
FLIGHT_COMPONENTS = {"lander": Lander, "edlnav": EdlNavigator, "entry": EntryGuidance, "edl": EdlSequencer,
                     "trn": TerrainRelativeNav, "descent_nav": DescentNavigator, "descent": DescentGuidance}
PARAMETER_PREFIXES = tuple(f"{c}." for c in FLIGHT_COMPONENTS)   # e.g. "trn.image_period_s"
KEY_FIGURES = ("edl.peak_decel_g", "edl.parachute_deploy_alt_km", "edl.parachute_deploy_mach", "edl.trn_error_m",
               "edl.entry_to_touchdown_s", "touchdown.error_from_site_m", "edl.miss_from_target_m")
TRUTH_PERIOD_S = 0.5

LIMITS = {"touchdown_error_m": 10.0, "vertical_speed_mps": 2.5, "horizontal_speed_mps": 1.0}


def settings(overrides: Mapping[str, Any] | None) -> tuple[dict[str, Any], dict[str, Any]]:
    return resolve_overrides(dict(overrides or {}), DEFAULTS, PARAMETER_PREFIXES, PARAMS)


def flight_parameters(cfg: Mapping[str, Any], fsw_params: Mapping[str, Any]) -> dict[str, Any]:
    """Every flight parameter the scenario sets (component.NAME -> value), in order."""
    return {"descent.divert_budget_m": cfg["divert_budget_m"], **fsw_params}


def check_overrides(overrides: Mapping[str, Any] | None) -> None:
    """All that can be checked before flying (sim.deployment.validate_overrides)."""
    check_flight_params(FLIGHT_COMPONENTS, flight_parameters(*settings(overrides)))


_TERRAIN: dict[tuple, Terrain] = {}
_WORLD: dict[tuple, tuple[LandingWorld, PeriodicMap]] = {}
_ORBITAL: dict[tuple, OrbitalMap] = {}
_SAFETY: dict[tuple, hazard.SafetyMap] = {}


def _terrain_key(cfg: Mapping[str, Any]) -> tuple:
    return tuple((k, repr(cfg[k])) for k in sorted(SITE_TERRAIN)) + (("terrain_seed", cfg["terrain_seed"]),)


def site_terrain(cfg: Mapping[str, Any]) -> Terrain:
    """The landing site's map from the settings alone, so the plant and the flight side agree
    (the last one is cached: SIL builds both sides in one process)."""
    key = _terrain_key(cfg)
    if key not in _TERRAIN:
        try:
            t = generate(site_terrain_params(cfg), seed=int(cfg["terrain_seed"]))
        except TerrainError as exc:
            raise ScenarioError(str(exc)) from None
        _TERRAIN.clear()
        _TERRAIN[key] = t
    return _TERRAIN[key]


def site_world(cfg: Mapping[str, Any]) -> tuple[LandingWorld, PeriodicMap]:
    """The tiled plain with its albedo and the onboard site map (cached)."""
    key = _terrain_key(cfg)
    if key not in _WORLD:
        t = site_terrain(cfg)
        world = LandingWorld(t, int(cfg["terrain_seed"]))
        onboard = PeriodicMap(t.height_m, t.max_rock_m, t.dune_mask, t.res)
        _WORLD.clear()
        _WORLD[key] = (world, onboard)
    return _WORLD[key]


def orbital_map(cfg: Mapping[str, Any]) -> OrbitalMap:
    """The orbital map product's content (cached), made only when the product is: a product
    kept in the cache (sim/product_cache.py) spares the plant its half second."""
    key = _terrain_key(cfg)
    if key not in _ORBITAL:
        world = site_world(cfg)[0]
        _ORBITAL.clear()
        _ORBITAL[key] = OrbitalMap(world.orbital_map(), world.params.map_res_m)
    return _ORBITAL[key]


def landing_world(cfg: Mapping[str, Any]) -> tuple[LandingWorld, OrbitalMap, PeriodicMap]:
    """The tiled plain with its albedo, the orbital map product and the onboard site map (cached)."""
    world, onboard = site_world(cfg)
    return world, orbital_map(cfg), onboard


def hazard_limits(cfg: Mapping[str, Any]) -> hazard.HazardLimits:
    return hazard.HazardLimits(slope_limit_deg=float(cfg["slope_limit_deg"]),
                               roughness_limit_m=float(cfg["roughness_limit_m"]))


def site_safety(cfg: Mapping[str, Any]) -> hazard.SafetyMap:
    """The ground's assessment of the map it uplinks as the onboard map product (cached:
    Monte Carlo runs)."""
    limits = hazard_limits(cfg)
    key = _terrain_key(cfg) + (("limits", repr(limits)),)
    if key not in _SAFETY:
        _SAFETY.clear()
        _SAFETY[key] = site_select.assess(site_world(cfg)[1], limits)
    return _SAFETY[key]


def map_source(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """What the onboard site map is made from: the site terrain's settings and its seed."""
    return {"terrain_seed": int(cfg["terrain_seed"]), **{k: cfg[k] for k in sorted(SITE_TERRAIN)}}


def orbital_source(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """What the orbital map is made from: the site map (its shading) and the region's albedo."""
    return {**map_source(cfg), "region": asdict(RegionParams())}


# ---------------------------------------------------------------- the ground's products
def products(overrides: Mapping[str, Any] | None = None) -> dict[str, str]:
    """The products' file names: a digest of what makes each (settings and seed, hazard limits,
    format), so the ground and a board name the same files."""
    cfg, _ = settings(overrides)

    def name(stem: str, what: dict[str, Any]) -> str:
        key = hashlib.sha256(json.dumps({"format": MAP_FORMAT, **what}, sort_keys=True).encode()).hexdigest()[:16]
        return f"{stem}-{key}{MAP_SUFFIX}"
    return {"onboard_map": name("landing-site", {"kind": safety_product.KIND, "periodic": True,
                                                 "source": map_source(cfg), "limits": asdict(hazard_limits(cfg))}),
            "orbital_map": name("landing-orbital", {"kind": orbital_product.KIND, "source": orbital_source(cfg)})}


def make_product(setting: str, overrides: Mapping[str, Any] | None, path: Path) -> None:
    """The ground's side: the site map assessed with the lander's limits, or the orbital map."""
    cfg, _ = settings(overrides)
    if setting == "onboard_map":
        safety_product.write_assessed(path, site_safety(cfg), map_source(cfg))
    elif setting == "orbital_map":
        orbital_product.write(path, orbital_map(cfg), orbital_source(cfg))
    else:
        raise ScenarioError(f"landing has no ground product {setting!r}")


def load_products(cfg: Mapping[str, Any]) -> tuple[hazard.SafetyMap, OrbitalMap]:
    """The flight side's: the site map and the orbital map from their files, checked."""
    missing = [k for k in ("onboard_map", "orbital_map") if cfg[k] is None]
    if missing:
        raise ScenarioError(f"landing: no {' or '.join(missing)} product given (the deployment's ground makes them)")
    try:
        safety = safety_product.load(cfg["onboard_map"], hazard_limits(cfg), map_source(cfg))
        omap = orbital_product.load(cfg["orbital_map"], orbital_source(cfg))
    except MapProductError as exc:
        raise ScenarioError(f"landing map product: {exc}") from None
    if not isinstance(safety.map, PeriodicMap):
        raise ScenarioError(f"landing: {cfg['onboard_map']} is not a periodic site map")
    return safety, omap


def site_frame(cfg: Mapping[str, Any]) -> SiteFrame:
    return SiteFrame.from_deg(float(cfg["site_lat_deg"]), float(cfg["site_lon_deg"]),
                              MARS.radius_eq_m + float(cfg["site_datum_m"]))


def entry_state(cfg: Mapping[str, Any]) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
    """The nominal entry state: Mars-fixed position and Mars-relative velocity."""
    site = site_frame(cfg)
    try:
        r, vi = state_from_entry(site, 1e3 * float(cfg["entry_range_km"]), math.radians(float(cfg["entry_azimuth_deg"])),
                                 MARS.radius_eq_m + 1e3 * float(cfg["entry_alt_km"]), float(cfg["entry_speed_mps"]),
                                 math.radians(float(cfg["entry_fpa_deg"])), 1e3 * float(cfg["entry_crossrange_km"]))
    except (TypeError, ValueError) as exc:
        raise ScenarioError(f"bad entry state: {exc}") from None
    w = MARS.omega_radps
    return r, (vi[0] + w * r[1], vi[1] - w * r[0], vi[2])      # inertial -> Mars-relative


def atmosphere(cfg: Mapping[str, Any]) -> MarsAtmosphere:
    try:
        return MarsAtmosphere(density_scale=float(cfg["density_scale"]), scale_height_scale=float(cfg["scale_height_scale"]),
                              wave_amplitude=float(cfg["density_wave_amplitude"]),
                              wave_phase_rad=float(cfg["density_wave_phase_rad"]),
                              temperature_offset_K=float(cfg["temperature_offset_K"]),
                              wind_east_low_mps=float(cfg["wind_east_low_mps"]),
                              wind_north_low_mps=float(cfg["wind_north_low_mps"]),
                              wind_east_high_mps=float(cfg["wind_east_high_mps"]),
                              wind_north_high_mps=float(cfg["wind_north_high_mps"]))
    except (TypeError, ValueError) as exc:
        raise ScenarioError(f"bad atmosphere: {exc}") from None


def capsule(cfg: Mapping[str, Any]) -> CapsuleParams:
    """Truth: a mass error sits in the backshell (the lander below it is weighed)."""
    nominal = CapsuleParams()
    mass = float(cfg["entry_mass_kg"])
    if not 2000.0 <= mass <= 6000.0:
        raise ScenarioError(f"entry_mass_kg must be in [2000, 6000], got {mass}")
    return CapsuleParams(entry_mass_kg=mass, cd=nominal.cd * float(cfg["capsule_cd_scale"]),
                         lift_to_drag=float(cfg["lift_to_drag"]),
                         backshell_mass_kg=nominal.backshell_mass_kg + mass - nominal.entry_mass_kg)


# ---------------------------------------------------------------- the deployment split
def plant(seed: int, overrides: Mapping[str, Any] | None = None) -> EdlPlant:
    cfg, _ = settings(overrides)
    rng = np.random.default_rng([int(seed), 2])
    r, v = entry_state(cfg)
    dr = rng.normal(0.0, float(cfg["nav_pos_sigma_m"]), 3)
    dv = rng.normal(0.0, float(cfg["nav_vel_sigma_mps"]), 3)
    r_true = tuple(float(r[i] + dr[i]) for i in range(3))
    v_true = tuple(float(v[i] + dv[i]) for i in range(3))
    world, _ = site_world(cfg)
    nominal_chute = ParachuteParams()
    chute = ParachuteParams(cd_supersonic=nominal_chute.cd_supersonic * float(cfg["chute_cd_scale"]),
                            cd_subsonic=nominal_chute.cd_subsonic * float(cfg["chute_cd_scale"]))
    p = EdlPlant(world, site_frame(cfg), r_true, v_true, capsule=capsule(cfg), chute=chute,
                 atmosphere=atmosphere(cfg), descent=DescentParams(), physics_rate_hz=50, seed=rng)
    p.check_base_rate(BASE_RATE_HZ)
    return p


def device_config(overrides: Mapping[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """The lander's sensors and actuators as HAL simulated devices (noise figures are estimates)."""
    settings(overrides)
    return {
        "imu0": {"kind": "imu", "rate_hz": 50,
                 "noise": {"accel_mps2": {"sigma": 0.003, "bias_sigma": 0.0005},
                           "rate_radps": {"sigma": 1e-4, "bias_sigma": 2e-5}}},
        "rcs": {"kind": "rcs", "rate_hz": 50},
        "chute_pyro": {"kind": "pyro", "rate_hz": 10},
        "heatshield_pyro": {"kind": "pyro", "rate_hz": 10},
        "backshell_pyro": {"kind": "pyro", "rate_hz": 10},
        "altimeter0": {"kind": "altimeter", "rate_hz": 50, "noise": {"range_m": {"sigma": 0.05}}},
        **{f"tds{k}": {"kind": "lidar", "rate_hz": 10,
                       "noise": {"range_m": {"sigma": 1.0}, "range_rate_mps": {"sigma": 0.05}}} for k in (1, 2, 3)},
        # the boresight lean the IMU measured: attitude knowledge, ~0.03 deg per image, 0.02 deg bias
        "camera0": {"kind": "terrain_camera", "rate_hz": 1, "noise": {"look_rad": {"sigma": 5e-4, "bias_sigma": 3e-4}}},
        "engine": {"kind": "descent_engine", "rate_hz": 50},
    }


def edl_sequence(cfg: Mapping[str, Any]) -> str:
    """The ground's part: cruise stage off, the entry state as orbit determination knows it, entry."""
    (x, y, z), (vx, vy, vz) = entry_state(cfg)
    return "\n".join([
        "# before the entry interface: cruise-stage separation, the entry state, then entry",
        "R+0 lander.SEPARATE_CRUISE_STAGE",
        f"R+0 edlnav.ENTRY_STATE x_m={x!r} y_m={y!r} z_m={z!r} vx_mps={vx!r} vy_mps={vy!r} vz_mps={vz!r} bank_deg=0.0",
        "R+0 lander.MODE trigger=entry_interface",
    ]) + "\n"


def edl_config(cfg: Mapping[str, Any], omap: OrbitalMap, onboard: hazard.OnboardMap) -> EdlConfig:
    """What the flight software knows: the site, the nominal capsule, the maps, the sensors."""
    nominal, chute = CapsuleParams(), ParachuteParams()
    cam = CameraParams()
    model = EntryModel(mass_kg=nominal.entry_mass_kg, cd_area_m2=nominal.cd * nominal.area_m2,
                       lift_to_drag=nominal.lift_to_drag, chute_cd_area_m2=chute.cd_supersonic * chute.area_m2,
                       chute_cd_area_subsonic_m2=chute.cd_subsonic * chute.area_m2,
                       heatshield_mass_kg=nominal.heatshield_mass_kg)
    return EdlConfig(site=site_frame(cfg), model=model, guidance=EntryGuidanceSettings(), orbital_map=omap,
                     camera=CameraModel(cam.pixels, cam.fov_deg), beam_dirs=RadarParams().beams(),
                     ground_height=onboard.height_at)


def flight(devices: Mapping[str, Any], clock: Any, overrides: Mapping[str, Any] | None = None,
           protection: ProtectionConfig | None = None) -> tuple[Topology, Executive]:
    """The lander's flight build with its EDL components and its fault protection, loaded for
    this entry."""
    cfg, fsw_params = settings(overrides)
    safety, omap = load_products(cfg)      # ground products: the flight side never makes terrain
    dp = DescentParams()
    limits = hazard_limits(cfg)
    engine = EngineLimits(max_thrust_N=dp.max_thrust_N, min_throttle=dp.min_throttle)

    def configure(fsw: LanderFsw) -> None:
        fsw.load_map(safety.map, safety)
        fsw.descent_nav.set_param("mass_kg", dp.dry_mass_kg + dp.propellant_kg)
        params = flight_parameters(cfg, fsw_params)
        check_flight_params(FLIGHT_COMPONENTS, params)
        for key, value in params.items():
            comp, _, name = key.partition(".")
            fsw.topology[comp].set_param(name, value)
        try:
            fsw.sequencer.load(parse_sequence(edl_sequence(cfg)))
        except ValueError as exc:
            raise ScenarioError(f"EDL sequence: {exc}") from None
    fsw = build_flight(devices, clock, configure=configure, protection=protection, limits=limits,
                       edl=edl_config(cfg, omap, safety.map), target_xy=(float(cfg["target_x_m"]), float(cfg["target_y_m"])),
                       engine_limits=engine)
    return fsw.topology, fsw.executive


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
    guidance: DescentGuidance = topo["descent"]
    dp = DescentParams()
    seq_failed = int(topo["seq"].tlm["commands_failed"])
    sequence_ok = seq_failed == 0 and topo["seq"].mode == "DONE"
    modes_seen = [Lander.MODES.initial] + [dict(e.args)["dest"] for e in topo.events
                                           if e.component == "lander" and e.name == "MODE_CHANGED"]
    truth = sim.truth()
    td = truth["touchdown"]
    site = guidance.site
    summary: dict[str, Any] = {
        "modes": modes_seen, "final_mode": lander.mode, "edl_sequence_ok": sequence_ok,
        "target_m": [_r(cfg["target_x_m"], 2), _r(cfg["target_y_m"], 2)],
        "map": {"cells": int(cfg["n_cells"]), "resolution_m": float(cfg["resolution_m"]),
                "safe_fraction": _r(guidance.safety.safe_fraction, 4)},
        "terrain_seed": int(cfg["terrain_seed"]),
        "propellant_used_kg": _r(dp.propellant_kg - truth.get("propellant_kg", dp.propellant_kg), 1),
        "lander_xy_m": None,
        "edl": edl_figures(outcome.plant, outcome.topology, (float(cfg["target_x_m"]), float(cfg["target_y_m"]))),
    }
    if site is not None:
        summary["chosen_site"] = {"x_m": _r(site.x_m, 2), "y_m": _r(site.y_m, 2),
                                  "miss_from_target_m": _r(site.miss_from_target_m, 2),
                                  "divert_m": _r(site.divert_m, 2),
                                  "diverted": "HAZARD_DIVERT" in modes_seen}
        summary["site_safety"] = {k: _r(v, 3) for k, v in guidance.site_metrics.items()}
        summary["site_safe_on_map"] = bool(guidance.safety.safe[site.i, site.j])
    shift = (0.0, 0.0)
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
        summary["touchdown_xy_m"] = [_r(td["position_m"][0], 2), _r(td["position_m"][1], 2)]
        # The next phase's map: the site map re-centred on the touchdown point.
        period, res = int(cfg["n_cells"]) * float(cfg["resolution_m"]), float(cfg["resolution_m"])
        shift = fetch_shift_m((td["position_m"][0], td["position_m"][1]), period, res)
        summary["lander_xy_m"] = [_r(wrap_coord(td["position_m"][i], period) - shift[i], 2) for i in (0, 1)]
    summary["terrain"] = {"terrain_seed": int(cfg["terrain_seed"]), **{k: cfg[k] for k in SITE_TERRAIN},
                          "shift_x_m": float(cfg["shift_x_m"]) + shift[0], "shift_y_m": float(cfg["shift_y_m"]) + shift[1]}
    summary["limits"] = LIMITS
    t = summary.get("touchdown")
    summary["success"] = bool(
        sequence_ok and t is not None and site is not None and summary["site_safe_on_map"]
        and lander.mode == "SURFACE_IDLE"
        and t["error_from_site_m"] <= LIMITS["touchdown_error_m"]
        and t["vertical_speed_mps"] <= LIMITS["vertical_speed_mps"]
        and t["horizontal_speed_mps"] <= LIMITS["horizontal_speed_mps"])
    summary["events"] = [e.text for e in topo.events if e.name not in ("CMD_ACCEPTED", "SEQ_CMD")][:80]
    return summary


def summary_lines(s: dict) -> list[str]:
    lines = [f"landing seed {s['seed']}: {'SUCCESS' if s['success'] else 'FAILURE'} "
             f"after {s['sim_time_s']} s, final mode {s['final_mode']}"]
    e = s.get("edl", {})
    if e.get("parachute_deploy_mach") is not None:
        lines.append(f"  entry {e['entry_alt_km']} km at {e['entry_speed_mps']} m/s, peak {e['peak_decel_g']} g; "
                     f"parachute ({e.get('deploy_reason')}) {e['parachute_deploy_alt_km']} km up at Mach "
                     f"{e['parachute_deploy_mach']}, t+{e['parachute_deploy_time_s']} s")
    if e.get("backshell_sep_alt_km") is not None:
        lines.append(f"  backshell off {e['backshell_sep_alt_km']} km up at {e['backshell_sep_speed_mps']} m/s; "
                     f"TRN {e['trn_fixes']} fixes, navigation {e['nav_error_before_trn_m']} m off before, "
                     f"{e['trn_error_m']} m after the last")
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
                     f"horizontal {t['horizontal_speed_mps']} m/s, propellant used {s['propellant_used_kg']} kg, "
                     f"entry to touchdown {e.get('entry_to_touchdown_s')} s")
    else:
        lines.append("  no touchdown")
    return lines


WALL_FIELDS = ()


def run(*, seed: int, out_dir, overrides: Mapping[str, Any] | None = None,
        protection: bool = True) -> dict[str, Any]:
    """`msr sil landing` and Monte Carlo: the map is the run seed's unless `terrain_seed` is given."""
    return run_scenario(SCENARIO, seed=seed, out_dir=out_dir,
                        overrides={"terrain_seed": int(seed), **dict(overrides or {})}, protection=protection)


def artifacts(outcome: SilOutcome) -> dict[str, Any]:
    """Report data (artifacts.npz): the lander's own safety map and the height map, every
    4th cell, around the touchdown point (map metres), and the TRN fixes with their truth."""
    guidance = outcome.topology["descent"]
    sm = guidance.safety
    step = 4
    n, res = sm.map.n, sm.map.resolution_m
    site = guidance.site
    cx, cy = (site.x_m, site.y_m) if site is not None else (0.0, 0.0)
    ci, cj = math.floor((cy + 0.5 * n * res) / res), math.floor((cx + 0.5 * n * res) / res)
    rows = np.arange(ci - n // 2, ci + n // 2, step)
    cols = np.arange(cj - n // 2, cj + n // 2, step)
    ix = np.ix_(rows % n, cols % n)
    x0, y0 = (cols[0] - n / 2) * res, (rows[0] - n / 2) * res
    trn = np.array(trn_fix_rows(outcome.plant, outcome.topology)).reshape(-1, 7)
    return {"safe": sm.safe[ix], "height_m": sm.map.height_m[ix].astype("float32"),
            "resolution_m": res * step, "extent_m": [x0, x0 + len(cols) * step * res, y0, y0 + len(rows) * step * res],
            "trn_fixes": trn}


SCENARIO = Scenario(NAME, LANDER, summary_lines, plant=plant, device_config=device_config, flight=flight,
                    summarize=summarize, duration_s=duration_s, done=done, run=run, params=PARAMS,
                    prefixes=PARAMETER_PREFIXES, check=check_overrides, fault_cases=LANDING, key_figures=KEY_FIGURES,
                    truth_period_s=TRUTH_PERIOD_S, artifacts=artifacts, campaign_figures=campaign_figures,
                    products=products, make_product=make_product)
