"""`msr sil fetch`: tubes from a depot (fetch rover) or from Perseverance, into the OS on the lander.

A deployment split (sim/deployment.py). The world (`plant`) is the SurfaceOpsPlant: the rover
on the landing site's terrain beside the lander, the Sample Transfer Arm, the Orbiting Sample
and the lander's stereo cameras. The flight side (`flight`) is both vehicles' surface flight
software in one lockstep executive at 10 Hz (separate computers in reality; here one
scheduler keeps a fixed order): the rover (fsw.vehicles.rover), the lander's mode component,
its Sample Transfer Arm and its rover tracker (fsw.vehicles.lander). They talk only through
the hand-off link (fsw.vehicles.handoff): offers, takes, and the lander's position fixes.
What the ground does (telling the rover the lander is down) is an uplinked sequence run by a
Sequencer inside the executive.

The map: the landing scenario's terrain (sim.terrain.SITE_TERRAIN, `terrain_seed`), so a
campaign fetches on the very map it landed on, around `lander_xy_m` (the touchdown point;
default: the safe site the lander's site choice picks nearest the target). The rover's
onboard map is a 400 m window of it around the lander. The depot is laid the way
Perseverance would have (sim.terrain.layout_depot: 10 tubes in a zig-zag 5-15 m apart, a
witness tube last, on drivable ground reachable from the lander); its record is the rover's
task list.

`--set delivery=perseverance`: Perseverance arrives carrying `carried_tubes` tubes and only
hands them over; the default `fetch` collects the depot's tubes first.

Summary: tubes collected, skipped, delivered, the ids sealed in the OS, distance driven,
hazards entered (truth: the rover centre entering an uninflated rover-hazard pixel; must be
0), the worst dead-reckoning error against the rover's own error bound, custody records.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from fsw.core import Executive, Topology
from fsw.core.protection import ProtectionConfig
from fsw.core.sequencer import parse_sequence
from fsw.gnc import hazard
from fsw.gnc.path_planner import CostMap, RoverHazardLimits, build_cost_map
from fsw.vehicles.custody import CustodyLedger
from fsw.vehicles.handoff import loopback_pair
from fsw.vehicles.lander import build_lander
from fsw.vehicles.lander.rover_tracker import RoverTracker
from fsw.vehicles.lander.sta import SampleTransferArm
from fsw.vehicles.rover import Rover, RoverHandoff, RoverMobility, RoverNavigation, RoverPickup, SurfaceFlight, TubeTask, build_rover, build_surface_flight
from fsw.vehicles.builtin import ROVER
from sim.deployment import ScenarioError, SilOutcome, resolve_overrides, run_scenario
from sim.faults.cases import FETCH
from sim.registry import Scenario
from sim.scenario_params import (ScenarioParam, check_flight_params, defaults, flight_param, seed_param, table_of,
                                 xy_point)
from sim.plants.surface_ops import LANDER_CAMERAS, STA_DEVICES, LanderCameraParams, StaParams, SurfaceOpsPlant
from sim.plants.rover import rover_devices
from sim.rover import RoverParams, TubeState
from sim.terrain import SITE_TERRAIN, SITE_TERRAIN_PARAMS, DepotLayout, Terrain, TerrainError, Tube, generate, layout_depot, \
    site_terrain_params

NAME = "fetch"

N_SLOTS = 10
PARAMS = (
    ScenarioParam("delivery", "fetch", str, choices=("fetch", "perseverance")),
    *SITE_TERRAIN_PARAMS,
    seed_param("terrain_seed", 1, "`run` (msr sil, Monte Carlo) sets it to the run's seed unless given"),
    ScenarioParam("terrain", None, optional=True, convert=table_of(SITE_TERRAIN_PARAMS + (seed_param("terrain_seed", 1),)),
                  allowed=f"a table of some of {', '.join(sorted(SITE_TERRAIN))}, terrain_seed",
                  doc="landing's summary 'terrain' (overrides those keys)"),
    ScenarioParam("lander_xy_m", None, optional=True, convert=xy_point(2000.0), allowed="[x, y] in metres, |x|, |y| <= 2000",
                  doc="touchdown point; null: the safe site nearest the landing target"),
    ScenarioParam("target_x_m", 0.0, float, -400.0, 400.0, doc="landing target (for the default lander site)"),
    ScenarioParam("target_y_m", 0.0, float, -400.0, 400.0),
    ScenarioParam("n_tubes", 10, int, 1, N_SLOTS, doc="depot: 10 tubes, zig-zag, 5-15 m apart (MSR_FACTS.md)"),
    ScenarioParam("carried_tubes", 5, int, 1, N_SLOTS, doc="Perseverance delivery"),
    ScenarioParam("max_time_s", 20000.0, float, 1.0, 200000.0),
    # Dead-reckoning heading: "imu" (the integrated gyro, now the mean rate over each sample) or
    # "wheels" (odometry: blind to yaw drift and to slip while turning). Seeds 1-20 with "imu":
    # worst error 1.25 m, always inside the rover's bound; "wheels" loses tens of metres.
    flight_param(RoverNavigation, "heading_source", "imu"),
    flight_param(RoverNavigation, "pos_bound_per_m", 0.03, doc="rover's position-error bound growth per metre"),
    flight_param(Rover, "inflate_by_bound", True, doc="plan on hazards inflated by that bound (false: nominal margin only)"),
)
DEFAULTS: dict[str, Any] = defaults(PARAMS)
PARAMETER_PREFIXES = ("rover.", "rover_nav.", "rover_pickup.", "rover_mobility.", "rover_handoff.", "sta.", "tracker.")   # flight parameters: "rover.max_pos_bound_m"
FLIGHT_COMPONENTS = {"rover": Rover, "rover_nav": RoverNavigation, "rover_pickup": RoverPickup, "rover_mobility": RoverMobility, "rover_handoff": RoverHandoff, "sta": SampleTransferArm, "tracker": RoverTracker}

ROVER_MAP_HALF_CELLS = 400          # the rover's onboard map: 400 m x 400 m at 0.5 m around the lander
DEPOT_STREAM = 0x5EED_DE90          # the depot layout's random stream, apart from the terrain's
STA_BASE_HEIGHT_M = StaParams().base_height_m
HANDOFF_OFFSET = (3.2, 0.0, math.pi)    # rover parks east of the lander, facing it
DECK_OFFSET = (2.0, 0.0, 0.0)           # rover on its egress ramp, facing east
LANDER_RADIUS_M = 2.5               # the lander's footprint: a hazard on the rover's map (estimate)
SEQUENCE = """\
# uplinked with the surface plan: the lander is down and its deck is clear
R+1 rover.LANDER_LANDED
"""


def settings(overrides: Mapping[str, Any] | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """(scenario settings, flight parameters) with the overrides checked."""
    cfg, fsw_params = resolve_overrides(dict(overrides or {}), DEFAULTS, PARAMETER_PREFIXES, PARAMS)
    terrain = cfg.pop("terrain")
    if terrain is not None:
        cfg.update(terrain)
    return cfg, fsw_params


def flight_parameters(cfg: Mapping[str, Any], fsw_params: Mapping[str, Any]) -> dict[str, Any]:
    """The flight parameters the settings give (component.NAME -> value), then the pass-throughs."""
    return {"rover_nav.heading_source": cfg["heading_source"], "rover_nav.pos_bound_per_m": cfg["pos_bound_per_m"],
            "rover.inflate_by_bound": cfg["inflate_by_bound"], **fsw_params}


def check_overrides(overrides: Mapping[str, Any] | None) -> None:
    """All that can be checked before flying (sim.deployment.validate_overrides)."""
    check_flight_params(FLIGHT_COMPONENTS, flight_parameters(*settings(overrides)))


# ---------------------------------------------------------------- the world both sides agree on
@dataclass
class SurfaceSite:
    """The landing site's terrain, the lander's place, the rover's map and the depot record."""

    terrain: Terrain
    lander_xy: tuple[float, float]
    local_map: hazard.OnboardMap
    cost_map: CostMap
    tubes: tuple[Tube, ...]
    perseverance_start: tuple[float, float, float]

    def pose(self, offset: tuple[float, float, float]) -> tuple[float, float, float]:
        return self.lander_xy[0] + offset[0], self.lander_xy[1] + offset[1], offset[2]


def default_lander_site(terrain: Terrain, target_xy: tuple[float, float]) -> tuple[float, float]:
    """Where the lander's own site choice puts it: the safe site (60 m disc) nearest the target."""
    full = hazard.OnboardMap(terrain.height_m, terrain.max_rock_m, terrain.dune_mask, terrain.res)
    window = full.window(target_xy, int(200.0 / terrain.res))
    site = hazard.choose_site(hazard.assess(window), target_xy, target_xy, 150.0)
    if site is None:
        raise ScenarioError(f"no safe landing site within 150 m of {target_xy}; give lander_xy_m")
    return site.x_m, site.y_m


_SITE_CACHE: dict[tuple, SurfaceSite] = {}


def surface_site(cfg: Mapping[str, Any]) -> SurfaceSite:
    """Built from the settings alone (deterministic), so the plant and the flight side (a bench
    board too) agree; the last one is cached, as SIL builds both sides in one process."""
    key = tuple((k, repr(cfg[k])) for k in sorted(SITE_TERRAIN)) + (
        ("terrain_seed", cfg["terrain_seed"]), ("lander", repr(cfg["lander_xy_m"])),
        ("target", cfg["target_x_m"], cfg["target_y_m"]), ("n_tubes", cfg["n_tubes"]))
    if key in _SITE_CACHE:
        return _SITE_CACHE[key]
    try:
        terrain = generate(site_terrain_params(cfg), seed=int(cfg["terrain_seed"]))
    except TerrainError as exc:
        raise ScenarioError(str(exc)) from None
    xy = cfg["lander_xy_m"]
    lander = (float(xy[0]), float(xy[1])) if xy is not None else \
        default_lander_site(terrain, (float(cfg["target_x_m"]), float(cfg["target_y_m"])))
    full = hazard.OnboardMap(terrain.height_m, terrain.max_rock_m, terrain.dune_mask, terrain.res)
    local = full.window(lander, ROVER_MAP_HALF_CELLS)
    cost_map = build_cost_map(local, RoverHazardLimits(), cell_m=1.0,
                              keep_out=((lander[0], lander[1], LANDER_RADIUS_M),))
    drivable = ~hazard.within_radius(cost_map.hazard_px, cost_map.radius_m / local.resolution_m)
    rng = np.random.default_rng([int(cfg["terrain_seed"]), DEPOT_STREAM])
    try:
        tubes = layout_depot(drivable, local.resolution_m, local.corner_m, lander, rng,
                             DepotLayout(n_tubes=int(cfg["n_tubes"])))
        # Perseverance's delivery drive starts where a depot's first tube could lie.
        p = layout_depot(drivable, local.resolution_m, local.corner_m, lander, rng,
                         DepotLayout(n_tubes=1, distance_range_m=(35.0, 50.0)))[0]
    except TerrainError as exc:
        raise ScenarioError(f"fetch site: {exc}") from None
    terrain.tubes = tubes
    heading = math.atan2(lander[1] - p.y_m, lander[0] - p.x_m)
    site = SurfaceSite(terrain, lander, local, cost_map, tubes, (p.x_m, p.y_m, heading))
    _SITE_CACHE.clear()
    _SITE_CACHE[key] = site
    return site


# ---------------------------------------------------------------- the deployment split
def plant(seed: int, overrides: Mapping[str, Any] | None = None) -> SurfaceOpsPlant:
    cfg, _ = settings(overrides)
    site = surface_site(cfg)
    start = site.pose(DECK_OFFSET) if cfg["delivery"] == "fetch" else site.perseverance_start
    cm = site.cost_map
    sim = SurfaceOpsPlant(site.terrain, site.lander_xy, RoverParams(start_pose=start, n_slots=N_SLOTS),
                          physics_rate_hz=50, seed=np.random.default_rng([int(seed), 1]),
                          hazard_px=cm.hazard_px, hazard_corner_m=site.local_map.corner_m,
                          hazard_pixel_m=site.local_map.resolution_m)
    if cfg["delivery"] == "perseverance":
        rv = sim.rover
        for k, tid in enumerate(carried_ids(cfg)):
            rv.tubes[tid] = TubeState(Tube(tid, start[0], start[1]), f"slot{k}", (start[0], start[1]))
            rv.slots[k] = tid
    return sim


def carried_ids(cfg: Mapping[str, Any]) -> list[int]:
    return [101 + k for k in range(int(cfg["carried_tubes"]))] if cfg["delivery"] == "perseverance" else []


def device_config(overrides: Mapping[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """Rover, STA and lander-camera devices as HAL simulated backends (noise figures are estimates)."""
    settings(overrides)
    cfg: dict[str, dict[str, Any]] = {}
    noise = {"imu0": {"rate_radps": {"sigma": 1e-5}}, "navcam": {"los_unit": {"sigma": 5e-4}}}
    for name, kind in rover_devices(N_SLOTS).items():
        cfg[name] = {"kind": kind, "rate_hz": 10} | ({"noise": noise[name]} if name in noise else {})
    cfg.update({name: {"kind": kind, "rate_hz": 10} for name, kind in STA_DEVICES.items()})
    cfg.update({name: {"kind": kind, "rate_hz": 10, "noise": {"los_unit": {"sigma": 5e-4}}}
                for name, kind in LANDER_CAMERAS.items()})
    return cfg


def flight(devices: Mapping[str, Any], clock: Any, overrides: Mapping[str, Any] | None = None,
           protection: ProtectionConfig | None = None) -> tuple[Topology, Executive]:
    """The surface flight build (rover and lander, with fault protection) for this delivery."""
    cfg, fsw_params = settings(overrides)
    site = surface_site(cfg)
    delivery = cfg["delivery"]
    lx, ly = site.lander_xy
    ground = site.local_map.height_at(lx, ly)
    sta_base = (lx, ly, ground + STA_BASE_HEIGHT_M)
    cams = [(lx + o[0], ly + o[1], ground + o[2]) for o in LanderCameraParams().offsets_m]
    rover_end, lander_end = loopback_pair()
    start = site.pose(DECK_OFFSET) if delivery == "fetch" else site.perseverance_start
    tasks = [TubeTask(t.tube_id, t.x_m, t.y_m) for t in site.tubes] if delivery == "fetch" else []
    handoff_pose = site.pose(HANDOFF_OFFSET)
    rfsw = build_rover(devices, delivery=delivery, cost_map=site.cost_map, terrain=site.local_map, tasks=tasks,
                       carried=carried_ids(cfg), handoff_pose=handoff_pose, handoff=rover_end,
                       ledger=CustodyLedger(), start_pose=start, slots=N_SLOTS)
    lfsw = build_lander(devices, handoff=lander_end, ledger=CustodyLedger(), sta_base_xyz_m=sta_base,
                        tracker_camera_xyz_m=cams)
    lander, sta, nav, pickup, handing = lfsw.lander, lfsw.sta, rfsw.nav, rfsw.pickup, rfsw.handoff
    lander.force_mode("SURFACE_IDLE")      # this scenario starts after landing

    def configure(surface: SurfaceFlight) -> None:
        # The hand-off geometry: the STA reaches to where the parked rover presents a tube.
        hx, hy, hh = handoff_pose
        hp = handing.params
        reach = hp["arm_base_x_m"] + hp["present_x_m"]
        present = (hx + reach * math.cos(hh), hy + reach * math.sin(hh),
                   site.local_map.height_at(hx, hy) + hp["arm_base_z_m"] + hp["present_z_m"])
        for k, axis in enumerate("xyz"):
            sta.set_param(f"handoff_{axis}_m", present[k] - sta_base[k])
            sta.set_param(f"os_{axis}_m", StaParams().os_port_m[k])
        sta.set_param("step_timeout_cycles", 450)
        pickup.set_param("step_timeout_cycles", 1200)
        handing.set_param("step_timeout_cycles", 1200)
        topology = surface.topology
        params = flight_parameters(cfg, fsw_params)
        check_flight_params(FLIGHT_COMPONENTS, params)
        for key, value in params.items():
            comp, _, name = key.partition(".")
            if comp not in topology.components:
                raise ScenarioError(f"{key}={value!r}: no {comp} in this deployment ({delivery})")
            topology[comp].set_param(name, value)
        nav.bound.growth_per_m = nav.params["pos_bound_per_m"]
        surface.sequencer.load(parse_sequence(SEQUENCE))
    surface = build_surface_flight(rfsw, lfsw, clock, vehicle=ROVER.name, configure=configure, protection=protection)
    surface.topology.attach(EstimateTrack())
    return surface.topology, surface.executive


def duration_s(overrides: Mapping[str, Any] | None = None) -> float:
    return float(settings(overrides)[0]["max_time_s"])


def done(topology: Topology) -> bool:
    """Sealed (MAV_PREP), a vehicle in SAFE, or the rover done with nothing left to seal."""
    lander, sta, rover = topology["lander"], topology["sta"], topology["rover"]
    if lander.mode == "MAV_PREP" or rover.mode == "SAFE" or sta.mode == "SAFE":
        return True
    return (rover.done and rover.mode == "IDLE" and sta.mode == "READY" and not sta.busy
            and not sta.os_has_tubes())


class EstimateTrack:
    """A telemetry sink keeping the rover's position estimate and error bound (at the telemetry
    rate) so the summary can hold them against the plant's truth."""

    def __init__(self) -> None:
        self.samples: list[tuple[int, float, float, float]] = []

    def on_channels(self, t_ns: int, component: Any, values: Mapping[str, Any]) -> None:
        if component.name == "rover_nav":
            self.samples.append((t_ns, values["dr_x_m"], values["dr_y_m"], values["pos_bound_m"]))

    def on_event(self, event: Any, component: Any) -> None:
        pass


def _r(x: float, nd: int = 3) -> float:
    return round(float(x), nd)


def summarize(outcome: SilOutcome) -> dict[str, Any]:
    cfg, _ = settings(outcome.overrides)
    topo, sim = outcome.topology, outcome.plant
    lander, sta, rover, nav = topo["lander"], topo["sta"], topo["rover"], topo["rover_nav"]
    delivery = cfg["delivery"]
    site = surface_site(cfg)
    carried = carried_ids(cfg)
    expected = carried if delivery == "perseverance" else [t.tube_id for t in site.tubes]
    truth = sim.truth()
    rv = sim.rover
    in_os_truth = list(sim.sta.os)
    in_os_ledger = sta.ledger.tubes_at("os")
    lost = sorted(t for t in expected if rv.tubes[t].where not in ("os", "ground") and
                  not rv.tubes[t].where.startswith("slot"))
    custody_ok = (sorted(in_os_truth) == in_os_ledger and len(set(in_os_truth)) == len(in_os_truth)
                  and sorted(rover.ledger.tubes_at("sta")) == sorted(in_os_ledger)
                  and not sim.sta.dropped and not lost)
    # Dead reckoning against truth, and against the rover's own bound, at the telemetry samples.
    track = next((s for s in topo.sinks if isinstance(s, EstimateTrack)), EstimateTrack())
    max_err, worst_ratio = 0.0, 0.0
    for t_ns, x, y, bound in track.samples:
        tx, ty = sim.track.get(t_ns, (x, y))
        err = math.hypot(x - tx, y - ty)
        max_err = max(max_err, err)
        worst_ratio = max(worst_ratio, err / max(bound, 1e-3))
    skipped = int(rover.tlm["tubes_skipped"])
    collected = sorted({dict(e.args)["tube"] for e in topo.events if e.name == "TUBE_STOWED"}) \
        if delivery == "fetch" else carried
    sealed = bool(sim.sta.sealed and sta.mode == "SEALED")
    summary: dict[str, Any] = {
        "delivery": delivery,
        "lander_xy_m": [_r(c, 2) for c in site.lander_xy],
        "terrain": {"terrain_seed": int(cfg["terrain_seed"]), **{k: cfg[k] for k in SITE_TERRAIN}},
        "depot": [{"tube": t.tube_id, "x_m": _r(t.x_m, 2), "y_m": _r(t.y_m, 2), "witness": t.witness}
                  for t in site.tubes] if delivery == "fetch" else [],
        "tubes_expected": len(expected),
        "tubes_collected": len(collected),
        "tubes_skipped": skipped,
        "tubes_delivered": len(in_os_ledger),
        "tubes_in_os": in_os_ledger,
        "tube_ids": in_os_ledger if sealed else [],     # the sealed OS's contents (ascent's input)
        "sealed_tube_ids": in_os_ledger if sealed else [],
        "delivered_tube_ids": sorted(set(in_os_ledger) | set(sta.ledger.tubes_at("sta"))),
        "os_sealed": sealed,
        "distance_driven_m": _r(truth["ground_distance_m"], 2),
        "odometer_m": _r(truth["odometer_m"], 2),
        "hazards_entered": int(sim.hazards_entered),
        "hazard_entries": [[_r(v, 2) for v in e] for e in sim.hazard_entries[:20]],
        "hazard_stops": int(topo["rover_mobility"].tlm["hazard_stops"]),
        "max_dead_reckoning_error_m": _r(max_err, 3),
        "worst_error_to_bound": _r(worst_ratio, 3),
        "final_position_error_m": _r(math.hypot(nav.dr.x - rv.x, nav.dr.y - rv.y), 3),
        "lander_fixes": int(nav.tlm["lander_fixes"]),
        "landmark_fixes": int(nav.tlm["landmark_fixes"]),
        "looks": int(topo["rover_pickup"].tlm["looks"]),
        "custody_consistent": bool(custody_ok),
        "custody_refusals": sta.ledger.refusals + rover.ledger.refusals,
        "custody": {"delivered": sorted(set(in_os_ledger) | set(sta.ledger.tubes_at("sta"))),
                    "sealed": in_os_ledger if sealed else [],
                    "rover": {str(t): loc for t, loc in rover.ledger.snapshot()},
                    "lander": {str(t): loc for t, loc in sta.ledger.snapshot()},
                    "moves": [e.text for e in topo.events if e.name == "TUBE_MOVED"]},
        "modes": {"lander": lander.mode, "sta": sta.mode, "rover": rover.mode},
    }
    summary["success"] = bool(
        summary["hazards_entered"] == 0 and custody_ok and sealed
        and summary["tubes_delivered"] == len(expected) - skipped and summary["tubes_delivered"] > 0
        and skipped <= len(expected) // 5)
    summary["events"] = [f"{e.t_ns / 1e9:.1f}s {e.component} {e.text}" for e in topo.events
                         if e.name in ("TUBE_STOWED", "TUBE_SKIPPED", "HAZARD_STOP", "TUBE_INSERTED", "OS_SEALED",
                                       "CUSTODY_REFUSED", "NO_PATH", "STEP_TIMEOUT", "GRASP_FAILED", "TOO_UNSURE",
                                       "OFFER_REFUSED", "HANDOFF_RESULT", "MODE_CHANGED", "REPLAN")][:100]
    return summary


def summary_lines(s: dict) -> list[str]:
    return [
        f"fetch seed {s['seed']} ({s['delivery']}): {'SUCCESS' if s['success'] else 'FAILURE'} after "
        f"{s['sim_time_s']} s; modes {s['modes']}; lander at {s['lander_xy_m']}",
        f"  tubes: collected {s['tubes_collected']}/{s['tubes_expected']}, skipped {s['tubes_skipped']}, "
        f"delivered {s['tubes_delivered']}, OS sealed {s['os_sealed']} with {s['tube_ids']}, "
        f"custody consistent {s['custody_consistent']}",
        f"  driven {s['distance_driven_m']} m (odometer {s['odometer_m']} m), hazards entered "
        f"{s['hazards_entered']}, hazard stops {s['hazard_stops']}, max dead-reckoning error "
        f"{s['max_dead_reckoning_error_m']} m ({s['worst_error_to_bound']} of the rover's bound), "
        f"fixes: lander {s['lander_fixes']}, tubes {s['landmark_fixes']}",
    ]


WALL_FIELDS = ()


def run(*, seed: int, out_dir, overrides: Mapping[str, Any] | None = None,
        protection: bool = True) -> dict[str, Any]:
    """`msr sil fetch` and Monte Carlo: the map is the run seed's unless `terrain_seed` is given."""
    return run_scenario(SCENARIO, seed=seed, out_dir=out_dir,
                        overrides={"terrain_seed": int(seed), **dict(overrides or {})}, protection=protection)


SCENARIO = Scenario(NAME, ROVER, summary_lines, plant=plant, device_config=device_config, flight=flight,
                    summarize=summarize, duration_s=duration_s, done=done, run=run, params=PARAMS,
                    prefixes=PARAMETER_PREFIXES, check=check_overrides, fault_cases=FETCH)
