"""The fault x phase matrix of each scenario: which phases, which device each fault hits there,
how long to watch after injecting, and what "lost vehicle" means against plant truth.

Every phase also gets the vehicle-independent faults (a slow step, a crashing component, loss
of ground link, a processor reset). `quick` marks the subset the default test run flies.
"""
from __future__ import annotations

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
    overrides: dict[str, Any] = field(default_factory=dict)
    lost: Callable[[Any], str | None] | None = None          # plant, flight topology -> why lost
    extra_reset_delays_s: tuple[float, ...] = ()             # more resets, later in the phase
    module: str | None = None                                # scenario module (default: by name)

    def specs(self, phase: str) -> list[FaultSpec]:
        out = [FaultSpec(when=phase, delay_s=0.2, **({"duration_s": self.fault_s} | d))
               for d in self.device_faults.get(phase, ())]
        out += [FaultSpec("reset", when=phase, delay_s=d) for d in self.extra_reset_delays_s]
        out += [FaultSpec("overrun", when=phase, delay_s=0.2, duration_s=0.5),
                FaultSpec("crash", self.crash_target, when=phase, delay_s=0.2, duration_s=self.fault_s),
                FaultSpec("link_loss", when=phase, delay_s=0.2, duration_s=self.link_outage_s),
                FaultSpec("reset", when=phase, delay_s=0.2)]
        return out


def _ascent_lost(run: Any) -> str | None:
    from sim.plants import AscentPlant
    part = next((p for p in getattr(run.plant, "parts", ()) if isinstance(p, AscentPlant)), None)
    if part is None:
        return None
    truth = part.truth()
    if not truth["stowed"] and truth["altitude_m"] < part.params.site_elevation_m:
        return "MAV impacted the surface"
    el = truth["elements"]
    if run.topology["flight"].mode == "ABORT" and el is not None and el["periapsis_alt_m"] < 0:
        return "MAV aborted short of orbit (suborbital)"
    return None


DEMO = ScenarioCases(
    "demo", phases=("zone:WARMING", "zone:SWEEP"),
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
    overrides={"duration_s": 12.0})

ASCENT = ScenarioCases(
    "ascent", phases=("flight:COUNTDOWN", "flight:STAGE1_BURN", "flight:COAST", "flight:STAGE2_BURN"),
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
        "flight:STAGE2_BURN": ({"kind": "stuck", "target": "imu0"},),
    },
    crash_target="nav", settle_s=40.0, link_outage_s=8.0, fault_s=5.0, quick=("flight:STAGE1_BURN",),
    lost=_ascent_lost)

CUSTODY = ScenarioCases(
    "custody_demo", phases=("picker:PICKING",),
    device_faults={"picker:PICKING": ({"kind": "dropout", "target": "slot1"},
                                      {"kind": "actuator_failed", "target": "gripper0"})},
    crash_target="picker", settle_s=3.0, link_outage_s=4.0, fault_s=1.0, quick=("picker:PICKING",),
    extra_reset_delays_s=(0.9, 1.6, 2.3),
    module="sim.faults.custody_demo")

FETCH = ScenarioCases(
    "fetch", phases=("rover:EGRESS", "rover:TRAVERSE"),
    device_faults={
        "rover:EGRESS": ({"kind": "actuator_failed", "target": "wheels"}, {"kind": "dropout", "target": "imu0"}),
        "rover:TRAVERSE": ({"kind": "dropout", "target": "imu0"}, {"kind": "actuator_failed", "target": "wheels"},
                           {"kind": "actuator_stuck", "target": "wheels"}, {"kind": "dropout", "target": "navcam"}),
    },
    crash_target="rover", settle_s=40.0, link_outage_s=620.0, fault_s=5.0, quick=("rover:TRAVERSE",))

CAPTURE = ScenarioCases(
    "capture", phases=("ccrs:FAR_RANGE",),
    device_faults={"ccrs:FAR_RANGE": ({"kind": "dropout", "target": "nac", "duration_s": 400.0},
                                      {"kind": "actuator_failed", "target": "rcs"})},
    crash_target="ccrs", settle_s=60.0, link_outage_s=3610.0, fault_s=5.0, quick=("ccrs:FAR_RANGE",))

CASES: dict[str, ScenarioCases] = {c.scenario: c for c in (DEMO, CUSTODY, ASCENT, FETCH, CAPTURE)}

__all__ = ["CASES", "ScenarioCases"]
