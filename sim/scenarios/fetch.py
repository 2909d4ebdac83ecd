"""`msr sil fetch`: tubes from a depot (fetch rover) or from Perseverance, into the OS on the lander.

Both vehicles' flight software run in one lockstep executive at 10 Hz (they are separate
computers in reality; here one scheduler keeps them in a fixed order): the rover's
(fsw.vehicles.rover) against the sim RoverPlant, the lander's surface part (its mode
component and the Sample Transfer Arm) against a small sample-transfer model in this file.
The two talk only through the hand-off link (fsw.vehicles.handoff).

`--set delivery=perseverance`: Perseverance arrives carrying `carried_tubes` tubes and
only hands them over; the default `fetch` collects the depot's tubes first.

Summary: tubes collected, delivered, sealed in the OS, distance driven, hazards entered
(truth rover centre on a hazard pixel of the rover's limits; must be 0), custody checks.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from fsw.core import Executive, SimClock
from fsw.core.time import NS_PER_S, seconds_to_ns
from fsw.gnc import hazard
from fsw.gnc.path_planner import RoverHazardLimits, build_cost_map, rover_hazard_mask
from fsw.vehicles.custody import CustodyLedger
from fsw.vehicles.handoff import loopback_pair
from fsw.vehicles.lander import build_lander
from fsw.vehicles.rover import TubeTask, build_rover
from fsw.vehicles.rover.vehicle import BASE_RATE_HZ
from hal.catalog import KINDS
from hal.config import build_devices
from sim.plants.rover import RoverPlant
from sim.rover import RoverParams, TubeState
from sim.terrain import DepotParams, TerrainParams, Tube, generate

DEFAULTS: dict[str, Any] = {
    "delivery": "fetch",
    "n_cells": 768,                  # 384 m x 384 m at 0.5 m
    "resolution_m": 0.5,
    # The lander sits in a benign certified region (as in the landing scenario).
    "crater_density_per_km2": 25.0,
    "rocky_fraction": 0.2,
    "dune_fraction": 0.05,
    "n_tubes": 10,                   # depot: 10 tubes, zig-zag, 5-15 m apart (MSR_FACTS.md)
    "tube_spacing_m": 8.0,
    "depot_x_m": 30.0, "depot_y_m": -25.0, "depot_heading_rad": 0.3,
    "carried_tubes": 5,              # Perseverance delivery
    "perseverance_start_x_m": 40.0, "perseverance_start_y_m": 30.0,
    "max_time_s": 20000.0,
    # The lander's cameras localise the rover within this range: once on the way in, once
    # when it has parked for the hand-off.
    "lander_fix_range_m": 12.0,
    "lander_fix_sigma_m": 0.02,      # lander cameras at a few metres: centimetre-level (estimate)
    # Dead-reckoning heading (a rover flight parameter). The plant's IMU reports the yaw rate of
    # its last physics step, not the mean over the sample period, so integrating it misses
    # most of the yaw drift; the wheel heading does better here (seeds 1-5: 0.8-5.8 m worst
    # dead-reckoning error against 2.7-10 m with "imu").
    "heading_source": "wheels",
}

LANDER_XY = (0.0, 0.0)
STA_BASE_Z_M = 1.4                  # STA shoulder above the ground (estimate)
HANDOFF_POSE = (3.2, 0.0, math.pi)   # rover parks east of the lander, facing it
ROVER_DECK_POSE = (2.0, 0.0, 0.0)    # rover on its egress ramp, facing east


class SampleTransferModel:
    """The STA, its gripper, the OS tube port and the OS seal, in the lander frame (= local).

    The gripper takes a presented tube within `capture_tol_m` of the commanded point: that
    stands for the arm's camera-guided final alignment, which is not modelled (an estimate).
    """

    DEVICES = {"sta_arm": "arm", "sta_gripper": "gripper", "os_tube_sensor": "tube_sensor", "os_seal": "pyro"}

    def __init__(self, base_xyz: tuple[float, float, float], os_port_m=(0.2, 0.6, 0.9), speed_mps: float = 0.1,
                 capture_tol_m: float = 0.15, port_tol_m: float = 0.03) -> None:
        self.base = base_xyz
        self.ee = (0.0, 0.0, 0.5)
        self.target = self.ee
        self.speed = speed_mps
        self.capture_tol = capture_tol_m
        self.port = os_port_m
        self.port_tol = port_tol_m
        self.closed = False
        self.held = 0
        self.os: list[int] = []
        self.sealed = False
        self.dropped: list[int] = []

    def ee_world(self):
        return tuple(self.base[i] + self.ee[i] for i in range(3))

    def step(self, dt: float) -> None:
        d = [self.target[i] - self.ee[i] for i in range(3)]
        n = math.sqrt(sum(c * c for c in d))
        lim = self.speed * dt
        self.ee = self.target if n <= lim else tuple(self.ee[i] + d[i] * lim / n for i in range(3))

    def sense(self, kind: str) -> dict[str, Any]:
        if kind == "arm":
            return {"position_m": tuple(self.ee), "at_target": int(math.dist(self.ee, self.target) < 0.005)}
        if kind == "gripper":
            return {"closed": int(self.closed), "holding": int(self.held != 0), "tube_id": self.held}
        if kind == "tube_sensor":
            return {"present": int(bool(self.os)), "tube_id": self.os[-1] if self.os else 0}
        return {"fired": int(self.sealed)}


class SurfaceOpsPlant:
    """RoverPlant plus the lander's sample-transfer hardware, and the tube hand-over between them.

    The rover's gripper closing at its stowage point takes the last stowed tube out of its
    slot; the STA gripper closing near the rover's held tube takes it; the rover opening its
    gripper while the STA holds the tube lets go of it. Implements hal.plant.Plant.
    """

    def __init__(self, rover_plant: RoverPlant, sta: SampleTransferModel) -> None:
        self.rp = rover_plant
        self.sta = sta
        self.devices = dict(rover_plant.devices) | dict(SampleTransferModel.DEVICES)

    def now_ns(self) -> int:
        return self.rp.now_ns()

    def advance_to(self, t_ns: int) -> None:
        n = (t_ns - self.rp.now_ns()) // self.rp.step_ns
        self.rp.advance_to(t_ns)
        for _ in range(n):
            self.sta.step(self.rp.dt)

    def sense(self, device: str) -> Mapping[str, Any]:
        if device in SampleTransferModel.DEVICES:
            return self.sta.sense(SampleTransferModel.DEVICES[device])
        return self.rp.sense(device)

    def actuate(self, device: str, command: Mapping[str, Any]) -> None:
        sta, rv = self.sta, self.rp.rover
        if device == "sta_arm":
            sta.target = tuple(float(c) for c in command["target_m"])
        elif device == "sta_gripper":
            close = bool(command["close"])
            if close and not sta.closed:
                sta.closed = True
                if rv.held and math.dist(rv.ee_world(), sta.ee_world()) <= sta.capture_tol:
                    sta.held = rv.held
            elif not close and sta.closed:
                sta.closed = False
                if sta.held:
                    if rv.held == sta.held:
                        pass  # the rover still holds it: nothing changes hands
                    elif math.dist(sta.ee, sta.port) <= sta.port_tol:
                        sta.os.append(sta.held)
                        rv.tubes[sta.held].where = "os"
                    else:
                        sta.dropped.append(sta.held)
                        rv.tubes[sta.held].where = "dropped_at_lander"
                    sta.held = 0
        elif device == "os_seal":
            if int(command.get("fire", 0)):
                sta.sealed = True
        elif device == "gripper":
            close = bool(command["close"])
            at_stow = math.dist(rv.ee_m, rv.params.stow_point_m) <= rv.params.stow_tol_m
            if close and not rv.gripper_closed and at_stow and any(rv.slots):
                k = max(i for i, t in enumerate(rv.slots) if t)
                rv.gripper_closed, rv.held = True, rv.slots[k]
                rv.slots[k] = 0
                rv.tubes[rv.held].where = "gripper"
            elif not close and rv.gripper_closed and rv.held and sta.held == rv.held:
                rv.tubes[rv.held].where = "sta"
                rv.gripper_closed, rv.held = False, 0
            else:
                self.rp.actuate(device, command)
        else:
            self.rp.actuate(device, command)


def rover_device_config(n_slots: int) -> dict[str, dict]:
    cfg: dict[str, dict] = {
        "wheels": {"kind": "wheel_drive", "rate_hz": 10},
        "imu0": {"kind": "imu", "rate_hz": 10, "noise": {"rate_radps": {"sigma": 1e-5}}},
        "navcam": {"kind": "camera_tracker", "rate_hz": 10, "noise": {"los_unit": {"sigma": 5e-4}}},
        "arm": {"kind": "arm", "rate_hz": 10},
        "gripper": {"kind": "gripper", "rate_hz": 10},
    }
    cfg.update({f"slot{k}": {"kind": "tube_sensor", "rate_hz": 10} for k in range(n_slots)})
    cfg.update({name: {"kind": kind, "rate_hz": 10} for name, kind in SampleTransferModel.DEVICES.items()})
    return cfg


def _r(x: float, nd: int = 3) -> float:
    return round(float(x), nd)


def run(*, seed: int, out_dir: Path, overrides: dict) -> dict:
    cfg = dict(DEFAULTS)
    unknown = set(overrides) - set(cfg)
    if unknown:
        raise ValueError(f"unknown fetch parameters {sorted(unknown)}; known: {sorted(cfg)}")
    cfg.update(overrides)
    delivery = cfg["delivery"]
    if delivery not in ("fetch", "perseverance"):
        raise ValueError(f"delivery must be fetch or perseverance, got {delivery!r}")
    rng = np.random.default_rng(seed)
    depot = DepotParams(origin_m=(cfg["depot_x_m"], cfg["depot_y_m"]), heading_rad=cfg["depot_heading_rad"],
                        n_tubes=int(cfg["n_tubes"]), spacing_m=cfg["tube_spacing_m"])
    terrain = generate(TerrainParams(n_cells=int(cfg["n_cells"]), resolution_m=cfg["resolution_m"],
                                     crater_density_per_km2=cfg["crater_density_per_km2"],
                                     rocky_fraction=cfg["rocky_fraction"], dune_fraction=cfg["dune_fraction"],
                                     keep_clear_radius_m=12.0, depots=(depot,)), seed=rng)
    onboard = hazard.OnboardMap(terrain.height_m, terrain.max_rock_m, terrain.dune_mask, terrain.res)
    rlim = RoverHazardLimits()
    cost_map = build_cost_map(onboard, rlim, cell_m=1.0)
    truth_hazard, _ = rover_hazard_mask(onboard, rlim)

    n_slots = 10
    if delivery == "fetch":
        start = ROVER_DECK_POSE
    else:
        start = (cfg["perseverance_start_x_m"], cfg["perseverance_start_y_m"], math.pi)
    rover_plant = RoverPlant(terrain, RoverParams(start_pose=start, n_slots=n_slots), physics_rate_hz=50, seed=rng)
    carried: list[int] = []
    if delivery == "perseverance":
        rv = rover_plant.rover
        for k in range(int(cfg["carried_tubes"])):
            tid = 101 + k
            rv.tubes[tid] = TubeState(Tube(tid, start[0], start[1]), f"slot{k}", (start[0], start[1]))
            rv.slots[k] = tid
            carried.append(tid)
    sta_model = SampleTransferModel((LANDER_XY[0], LANDER_XY[1], terrain.height_at(*LANDER_XY) + STA_BASE_Z_M))
    plant = SurfaceOpsPlant(rover_plant, sta_model)
    devices = build_devices(rover_device_config(n_slots), plant=plant, seed=int(rng.integers(0, 2**31)))

    rover_end, lander_end = loopback_pair()
    lander_ledger, rover_ledger = CustodyLedger(), CustodyLedger()
    tasks = [TubeTask(t.tube_id, t.x_m, t.y_m) for t in terrain.tubes] if delivery == "fetch" else []
    rfsw = build_rover(devices, delivery=delivery, cost_map=cost_map, terrain=onboard, tasks=tasks, carried=carried,
                       handoff_pose=HANDOFF_POSE, handoff=rover_end, ledger=rover_ledger, start_pose=start,
                       slots=n_slots)
    lfsw = build_lander(devices, handoff=lander_end, ledger=lander_ledger, sta_base_xyz_m=sta_model.base)
    lander, sta, rover = lfsw.lander, lfsw.sta, rfsw.rover
    lander.force_mode("SURFACE_IDLE")      # this scenario starts after landing
    # The hand-off geometry: the STA reaches to where the parked rover presents a tube.
    hx, hy, hh = HANDOFF_POSE
    rp = rover.params
    reach = rp["arm_base_x_m"] + rp["present_x_m"]
    present_world = (hx + reach * math.cos(hh), hy + reach * math.sin(hh),
                     terrain.height_at(hx, hy) + rp["arm_base_z_m"] + rp["present_z_m"])
    for axis, v in zip("xyz", present_world):
        sta.set_param(f"handoff_{axis}_m", v - sta_model.base["xyz".index(axis)])
    for axis, v in zip("xyz", sta_model.port):
        sta.set_param(f"os_{axis}_m", v)
    sta.set_param("step_timeout_cycles", 450)
    rover.set_param("step_timeout_cycles", 1200)
    rover.set_param("heading_source", cfg["heading_source"])

    clock = SimClock()
    clock.attach(plant)
    ex = Executive(clock, BASE_RATE_HZ)
    rfsw.install(ex)
    ex.add_group("lander", 1, [lander.guidance_step, sta], offset=0)
    lander.time = ex.time
    for c in lfsw.topology.components.values():
        c.time = ex.time
    rfsw.topology.dispatch("rover.LANDER_LANDED")

    stats = {"hazards_entered": 0, "in_hazard": False, "fixes": 0, "max_dr_error_m": 0.0,
             "tubes_collected": 0, "fixed_this_return": ""}
    res, half = onboard.resolution_m, onboard.half_extent_m

    def monitor() -> bool:
        rv = rover_plant.rover
        i = int((rv.y + half) // res)
        j = int((rv.x + half) // res)
        inside = 0 <= i < onboard.n and 0 <= j < onboard.n and bool(truth_hazard[i, j])
        if inside and not stats["in_hazard"]:
            stats["hazards_entered"] += 1
        stats["in_hazard"] = inside
        err = math.hypot(rover.dr.x - rv.x, rover.dr.y - rv.y)
        stats["max_dr_error_m"] = max(stats["max_dr_error_m"], err)
        stats["tubes_collected"] = max(stats["tubes_collected"], sum(1 for t in rv.slots if t) if delivery == "fetch" else 0)
        if rover.mode in ("RETURN", "HANDOFF"):
            if stats["fixed_this_return"] != rover.mode and math.hypot(rv.x - LANDER_XY[0], rv.y - LANDER_XY[1]) < cfg["lander_fix_range_m"]:
                s = cfg["lander_fix_sigma_m"]
                rfsw.topology.dispatch("rover.FIX", {"x_m": rv.x + float(rng.normal(0, s)),
                                                     "y_m": rv.y + float(rng.normal(0, s)),
                                                     "heading_rad": rv.heading})
                stats["fixes"] += 1
                stats["fixed_this_return"] = rover.mode
        else:
            stats["fixed_this_return"] = ""
        return lander.mode == "MAV_PREP" or rover.mode == "SAFE" or sta.mode == "SAFE" or (
            rover.done and not sta.busy and rover.mode == "IDLE" and sta.mode in ("READY", "SEALED"))

    ex.run(until_ns=seconds_to_ns(cfg["max_time_s"]), stop_when=monitor)
    # Let the arm finish sealing if the rover just finished.
    ex.run(ticks=200, stop_when=lambda: lander.mode == "MAV_PREP")

    truth = rover_plant.truth()
    rv = rover_plant.rover
    expected = carried if delivery == "perseverance" else [t.tube_id for t in terrain.tubes]
    in_os_truth = list(sta_model.os)
    in_os_ledger = lander_ledger.tubes_at("os")
    lost = sorted(t for t in expected if rv.tubes[t].where not in ("os",) and not rv.tubes[t].where.startswith("slot")
                  and rv.tubes[t].where != "ground" and rover_ledger.location(t) != "depot")
    custody_ok = (sorted(in_os_truth) == in_os_ledger and len(set(in_os_truth)) == len(in_os_truth)
                  and sorted(rover_ledger.tubes_at("sta")) == sorted(in_os_ledger)
                  and not sta_model.dropped and not lost)
    skipped = rover.tlm["tubes_skipped"]
    summary: dict[str, Any] = {
        "scenario": "fetch", "seed": seed, "delivery": delivery,
        "sim_time_s": _r(ex.now_ns() / NS_PER_S, 1),
        "tubes_expected": len(expected),
        "tubes_collected": int(stats["tubes_collected"]) if delivery == "fetch" else len(carried),
        "tubes_skipped": int(skipped),
        "tubes_delivered": len(in_os_ledger),
        "tubes_in_os": in_os_ledger,
        "os_sealed": bool(sta_model.sealed and sta.mode == "SEALED"),
        "distance_driven_m": _r(truth["ground_distance_m"], 2),
        "odometer_m": _r(truth["odometer_m"], 2),
        "hazards_entered": int(stats["hazards_entered"]),
        "hazard_stops": int(rover.tlm["hazard_stops"]),
        "max_dead_reckoning_error_m": _r(stats["max_dr_error_m"], 3),
        "final_position_error_m": _r(math.hypot(rover.dr.x - rv.x, rover.dr.y - rv.y), 3),
        "custody_consistent": bool(custody_ok),
        "custody_refusals": lander_ledger.refusals + rover_ledger.refusals,
        "lander_position_fixes": int(stats["fixes"]),
        "modes": {"lander": lander.mode, "sta": sta.mode, "rover": rover.mode},
    }
    summary["success"] = bool(
        summary["hazards_entered"] == 0 and custody_ok and summary["os_sealed"]
        and summary["tubes_delivered"] == len(expected) - skipped and summary["tubes_delivered"] > 0
        and skipped <= len(expected) // 5)
    summary["events"] = [f"{e.t_ns / NS_PER_S:.1f}s {e.component} {e.text}"
                         for e in rfsw.topology.events + lfsw.topology.events
                         if e.name in ("TUBE_STOWED", "TUBE_SKIPPED", "HAZARD_STOP", "TUBE_INSERTED", "OS_SEALED",
                                       "CUSTODY_REFUSED", "NO_PATH", "STEP_TIMEOUT", "GRASP_FAILED",
                                       "OFFER_REFUSED", "HANDOFF_RESULT", "MODE_CHANGED")][:80]
    return summary


def summary_lines(s: dict) -> list[str]:
    return [
        f"fetch seed {s['seed']} ({s['delivery']}): {'SUCCESS' if s['success'] else 'FAILURE'} after "
        f"{s['sim_time_s']} s; modes {s['modes']}",
        f"  tubes: collected {s['tubes_collected']}/{s['tubes_expected']}, skipped {s['tubes_skipped']}, "
        f"delivered {s['tubes_delivered']}, OS sealed {s['os_sealed']}, custody consistent {s['custody_consistent']}",
        f"  driven {s['distance_driven_m']} m (odometer {s['odometer_m']} m), hazards entered "
        f"{s['hazards_entered']}, hazard stops {s['hazard_stops']}, max dead-reckoning error "
        f"{s['max_dead_reckoning_error_m']} m",
    ]
