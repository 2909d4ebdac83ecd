"""The fault x phase matrix of each built-in scenario: which phases, which device each fault hits there,
how long to watch after injecting, and what "lost vehicle" means against plant truth.

Every phase also gets the vehicle-independent faults (a slow step, a crashing component, loss
of ground link, a processor reset). `quick` marks the subset the default test run flies.
"""
from __future__ import annotations

import math

from dataclasses import dataclass, field
from typing import Any, Callable

from .spec import FaultSpec


@dataclass(frozen=True)
class ScenarioCases:
    scenario: str
    phases: tuple[str, ...]                                  # "component:MODE"
    device_faults: dict[str, tuple[dict[str, Any], ...]]     # phase -> spec fields (kind, target, ...)
    crash_target: str
    settle_s: float                                          # watch this long after injecting
    link_outage_s: float
    fault_s: float = 5.0                                     # duration of transient faults
    quick: tuple[str, ...] = ()                              # phases of the quick subset
    quick_all_kinds: bool = False                            # quick keeps noise/stuck (a short scenario)
    overrides: dict[str, Any] = field(default_factory=dict)
    lost: Callable[[Any], str | None] | None = None          # plant, flight topology -> why lost
    extra_reset_delays_s: tuple[float, ...] = ()             # more resets, later in the phase
    # phase -> {"kind(target)" or "kind": why that fault there may lose the vehicle}; a lost
    # vehicle anywhere else is an unexplained loss and fails the matrix
    may_lose: dict[str, dict[str, str]] = field(default_factory=dict)
    # ledger ("component.attribute") -> the locations its owner physically holds; a tube is
    # duplicated when two ledgers place it where each holds it (a ledger not named holds
    # every location: then any disagreement between ledgers counts)
    holds: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def loss_explained(self, phase: str | None, kind: str, target: str) -> str | None:
        rules = self.may_lose.get(phase or "", {})
        return rules.get(f"{kind}({target})") or rules.get(kind)

    def specs(self, phase: str) -> list[FaultSpec]:
        out = [FaultSpec(when=phase, **({"delay_s": 0.2, "duration_s": self.fault_s} | d))
               for d in self.device_faults.get(phase, ())]
        out += [FaultSpec("reset", when=phase, delay_s=d) for d in self.extra_reset_delays_s]
        out += [FaultSpec("overrun", when=phase, delay_s=0.2, duration_s=0.5),
                FaultSpec("crash", self.crash_target, when=phase, delay_s=0.2, duration_s=self.fault_s),
                FaultSpec("link_loss", when=phase, delay_s=0.2, duration_s=self.link_outage_s),
                FaultSpec("reset", when=phase, delay_s=0.2)]
        return out


def _ascent_lost(run: Any) -> str | None:
    """Plant truth: the MAV hit the ground, or it is suborbital once it can no longer make
    orbit (stage 2 burnt out, aborted, safed, OS released): a suborbital MAV is lost."""
    from sim.plants import AscentPlant
    part = next((p for p in getattr(run.plant, "parts", ()) if isinstance(p, AscentPlant)), None)
    if part is None:
        return None
    truth = part.truth()
    if not truth["stowed"] and truth["altitude_m"] < part.params.site_elevation_m:
        return "MAV impacted the surface"
    el = truth["elements"]
    mode = run.topology["flight"].mode
    if mode in ("ABORT", "SAFE", "ORBIT_INSERTION", "OS_RELEASE", "PASSIVE") and el is not None \
            and el["periapsis_alt_m"] < 0:
        return f"MAV short of orbit (suborbital) in {mode}"
    return None


ZONE = ScenarioCases(
    "zone", phases=("zone:WARMING", "zone:SWEEP"),
    device_faults={
        "zone:WARMING": ({"kind": "dropout", "target": "temp0"}, {"kind": "stuck", "target": "temp0"},
                         {"kind": "bias", "target": "temp0", "magnitude": 80.0},
                         {"kind": "noise", "target": "imu0", "field": "rate_radps", "magnitude": 0.2},
                         {"kind": "actuator_failed", "target": "heater0"}),
        "zone:SWEEP": ({"kind": "bias", "target": "imu0", "field": "accel_mps2", "magnitude": 1.0},
                       {"kind": "actuator_stuck", "target": "gimbal0"},
                       {"kind": "dropout", "target": "imu0"}),
    },
    crash_target="zone", settle_s=4.0, link_outage_s=4.0, fault_s=2.0, quick=("zone:WARMING", "zone:SWEEP"),
    quick_all_kinds=True, overrides={"duration_s": 12.0})

# Every ascent run flies to its end (settle_s covers the ~700 s ascent, ~1.5 s of wall time
# each): the outcome is the orbit reached, not a snapshot 40 s after the fault.
ASCENT = ScenarioCases(
    "ascent", phases=("flight:COUNTDOWN", "flight:STAGE1_BURN", "flight:COAST", "flight:SPIN_UP",
                      "flight:STAGE2_BURN", "flight:ORBIT_INSERTION"),
    device_faults={
        "flight:COUNTDOWN": ({"kind": "dropout", "target": "t_grain"},
                             {"kind": "bias", "target": "t_grain", "magnitude": 80.0},
                             {"kind": "bias", "target": "t_rcs", "magnitude": -40.0}),
        "flight:STAGE1_BURN": ({"kind": "dropout", "target": "imu0"}, {"kind": "stuck", "target": "imu0"},
                               {"kind": "noise", "target": "imu0", "field": "accel_mps2", "magnitude": 200.0},
                               {"kind": "actuator_failed", "target": "tvc"},
                               {"kind": "actuator_stuck", "target": "tvc"}),
        "flight:COAST": ({"kind": "dropout", "target": "imu0"}, {"kind": "actuator_failed", "target": "rcs"},
                         {"kind": "bias", "target": "imu0", "field": "accel_mps2", "magnitude": 300.0}),
        "flight:SPIN_UP": ({"kind": "dropout", "target": "imu0"}, {"kind": "actuator_failed", "target": "rcs"}),
        "flight:STAGE2_BURN": ({"kind": "stuck", "target": "imu0"}, {"kind": "dropout", "target": "imu0"}),
        "flight:ORBIT_INSERTION": ({"kind": "dropout", "target": "imu0"},
                                   {"kind": "actuator_failed", "target": "rcs"}),
    },
    crash_target="nav", settle_s=720.0, link_outage_s=8.0, fault_s=5.0, quick=("flight:STAGE1_BURN",),
    lost=_ascent_lost,
    may_lose={"flight:STAGE1_BURN": {
        "dropout(imu0)": "no rates for the TVC loop for 5 s during the uncuttable, steered stage-1 burn",
        "stuck(imu0)": "frozen rates and specific force for the TVC loop during the steered stage-1 burn",
        "noise(imu0)": "a 200 m/s^2 accelerometer noise blinds navigation during the steered stage-1 burn",
        "actuator_failed(tvc)": "no thrust vector control for 5 s of the stage-1 burn",
        "actuator_stuck(tvc)": "a gimbal stuck for 5 s of the stage-1 burn",
        "crash(nav)": "no navigation for the TVC loop for 5 s of the stage-1 burn",
    }})

CAROUSEL = ScenarioCases(
    "carousel", phases=("picker:PICKING",),
    device_faults={"picker:PICKING": ({"kind": "dropout", "target": "slot1"},
                                      {"kind": "actuator_failed", "target": "gripper0"})},
    crash_target="picker", settle_s=3.0, link_outage_s=4.0, fault_s=1.0, quick=("picker:PICKING",),
    extra_reset_delays_s=(0.9, 1.6, 2.3))

# Fetch: driving off the deck, a traverse, and stowing the first depot tube (~22 s from the
# grasp to the slot sensor's confirmation: resets while the arm carries the tube, just after
# the jaws open over the slot, and in the confirmation window, so custody is reconciled
# against the slot sensors).
FETCH = ScenarioCases(
    "fetch", phases=("rover:EGRESS", "rover:TRAVERSE", "rover:STOW_TUBE"),
    device_faults={
        "rover:EGRESS": ({"kind": "actuator_failed", "target": "wheels"}, {"kind": "dropout", "target": "imu0"}),
        "rover:TRAVERSE": ({"kind": "dropout", "target": "imu0"}, {"kind": "actuator_failed", "target": "wheels"},
                           {"kind": "actuator_stuck", "target": "wheels"}, {"kind": "dropout", "target": "navcam"}),
        "rover:STOW_TUBE": ({"kind": "dropout", "target": "slot0"}, {"kind": "actuator_failed", "target": "gripper"}),
    },
    crash_target="rover", settle_s=40.0, link_outage_s=620.0, fault_s=5.0, quick=("rover:TRAVERSE",),
    extra_reset_delays_s=(10.0, 21.95, 22.15),
    # the rover's ledger keeps "sta" for a tube it handed over; the lander's then says "os"
    holds={"rover.ledger": ("rover",), "sta.ledger": ("sta", "os")})

CAPTURE = ScenarioCases(
    # 100 km behind (not 3200): the same phases an hour after the search instead of a day, so
    # every capture phase fits the matrix's time. Faults last 35 s (fault_s): in the 1 Hz
    # quiet rate set the capture manager runs every 30 s, and a shorter crash or dropout can
    # fall between two of its cycles and hit nothing.
    # CONTAIN is left to tests/vehicles (test_ero_faults, test_ero_restart: the same step
    # machinery as BREAK_THE_CHAIN and EEV_TRANSFER) to keep the matrix near two minutes.
    "capture", phases=("ccrs:FAR_RANGE", "ccrs:CLOSE_RANGE", "ccrs:FINAL_APPROACH", "ccrs:BREAK_THE_CHAIN",
                       "ccrs:EEV_TRANSFER"),
    device_faults={
        "ccrs:FAR_RANGE": ({"kind": "dropout", "target": "nac", "duration_s": 400.0},
                           {"kind": "actuator_failed", "target": "rcs"}),
        "ccrs:CLOSE_RANGE": ({"kind": "dropout", "target": "lidar0"},
                             {"kind": "bias", "target": "lidar0", "field": "range_m", "magnitude": 25.0},
                             {"kind": "dropout", "target": "nac"},
                             {"kind": "actuator_failed", "target": "rcs"}),
        "ccrs:FINAL_APPROACH": ({"kind": "dropout", "target": "nac"}, {"kind": "dropout", "target": "lidar0"},
                                {"kind": "actuator_failed", "target": "rcs"}),
        "ccrs:BREAK_THE_CHAIN": ({"kind": "dropout", "target": "secondary_check"},
                                 {"kind": "dropout", "target": "btc_temp"}),
        "ccrs:EEV_TRANSFER": ({"kind": "dropout", "target": "eev_slot"},
                              {"kind": "actuator_failed", "target": "transfer_arm"}),
    },
    crash_target="ccrs", settle_s=60.0, link_outage_s=3610.0, fault_s=35.0, quick=("ccrs:FAR_RANGE",),
    overrides={"start_behind_km": 100.0})

def _landing_lost(run: Any) -> str | None:
    """Plant truth: the lander never touched down, hit harder than its legs take, slid or came
    down on a slope or rock it tips on, or landed off its 60 m safe disc."""
    from sim.plants.descent import DescentPlant
    from sim.plants.edl import EdlPlant
    from sim.scenarios.landing import LIMITS
    plant = run.plant
    if not isinstance(plant, (DescentPlant, EdlPlant)):
        return None
    truth = plant.truth()
    td = truth["touchdown"]
    if td is None:
        left = truth.get("propellant_kg")
        return (f"no touchdown ({truth['height_above_ground_m']:.1f} m up"
                + (f", {left:.0f} kg left)" if left is not None else f", {truth.get('phase')})"))
    if td["vertical_speed_mps"] > LIMITS["vertical_speed_mps"]:
        return f"impact at {td['vertical_speed_mps']:.2f} m/s vertical (legs: {LIMITS['vertical_speed_mps']})"
    if td["horizontal_speed_mps"] > LIMITS["horizontal_speed_mps"]:
        return f"tipped: {td['horizontal_speed_mps']:.2f} m/s sideways at touchdown"
    if td["slope_deg"] > 12.0 or td["max_rock_m"] > 0.19:
        return f"tipped: slope {td['slope_deg']:.1f} deg, rock {td['max_rock_m']:.2f} m under the footprint"
    site = run.topology["descent"].site if run.topology is not None else None
    if site is not None and math.dist(td["position_m"][:2], (site.x_m, site.y_m)) > 60.0:
        return "landed off the 60 m safe disc"
    return None


# Landing: the whole EDL from the entry interface (~365 s to touchdown, ~3 s of wall time:
# every run flies to touchdown) and the lander on the surface. Transient faults last 5 s
# where they hurt most (delay_s: the drag pulse ~75 s into entry, the heatshield's firing
# ~20 s after the deploy, the camera's images ~60 s into TERRAIN_NAV); the lander rides
# them through. The IMU out from late in the entry
# to after the deploy window leaves the parachute to the backup timer. The camera out for the
# whole of TRN leaves the lander on inertial navigation, kilometres off the map: it may land
# off its safe disc (may_lose says so). The crash is descent navigation's 50 Hz step (the
# lander's control loop: its gap is propagated, NAV_GAP); the mode manager has none at 50 Hz.
LANDING = ScenarioCases(
    "landing", phases=("lander:ENTRY", "lander:PARACHUTE", "lander:TERRAIN_NAV", "lander:POWERED_DESCENT",
                       "lander:SURFACE_IDLE"),
    device_faults={
        "lander:ENTRY": ({"kind": "dropout", "target": "imu0", "delay_s": 75.0},
                         {"kind": "stuck", "target": "imu0", "delay_s": 75.0},
                         {"kind": "actuator_failed", "target": "rcs", "delay_s": 60.0},
                         {"kind": "dropout", "target": "imu0", "delay_s": 180.0, "duration_s": 60.0}),
        "lander:PARACHUTE": ({"kind": "dropout", "target": "imu0"},
                             {"kind": "actuator_failed", "target": "heatshield_pyro", "delay_s": 18.0}),
        # TERRAIN_NAV starts with the radar lock (~7 km up), the camera at 4.3 km (~60 s later)
        "lander:TERRAIN_NAV": ({"kind": "dropout", "target": "camera0", "delay_s": 60.0},
                               {"kind": "noise", "target": "camera0", "field": "look_rad", "magnitude": 0.05,
                                "delay_s": 62.0},
                               {"kind": "dropout", "target": "altimeter0"},
                               {"kind": "dropout", "target": "tds2"},
                               {"kind": "dropout", "target": "imu0"},
                               {"kind": "dropout", "target": "camera0", "duration_s": 120.0}),
        "lander:POWERED_DESCENT": ({"kind": "dropout", "target": "altimeter0"},
                                   {"kind": "bias", "target": "altimeter0", "magnitude": 40.0},
                                   {"kind": "dropout", "target": "imu0"}, {"kind": "stuck", "target": "imu0"},
                                   {"kind": "actuator_failed", "target": "engine"},
                                   {"kind": "actuator_stuck", "target": "engine"}),
        "lander:SURFACE_IDLE": ({"kind": "dropout", "target": "imu0"}, {"kind": "dropout", "target": "altimeter0"}),
    },
    crash_target="descent_nav", settle_s=420.0, link_outage_s=62.0, fault_s=5.0, quick=("lander:POWERED_DESCENT",),
    lost=_landing_lost,
    may_lose={"lander:TERRAIN_NAV": {
        "dropout(camera0)": "no map-relative fix at all (camera out through TRN): inertial navigation is "
                            "hundreds of metres to kilometres off, beyond the 60 m disc it steers for"}})

# Each scenario declares its cases (`sim.registry.Scenario.fault_cases`): `msr faults NAME`
# flies those of any registered scenario.
__all__ = ["ASCENT", "CAPTURE", "CAROUSEL", "FETCH", "LANDING", "ScenarioCases", "ZONE"]
