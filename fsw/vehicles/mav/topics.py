"""The MAV's topics: what its components tell each other over the bus (wired in vehicle.py).

Delivery is the core's (same tick, in executive order): navigation and attitude control run
first in every rate set, so the flight manager sees this tick's navigated state and control
status; what the flight manager publishes (a control-law command, the thrust model, its
phase) is delivered when its step returns, before control and navigation run again. A
component publishes on every change (or every step), so a reader sees what it saw when it
read the publisher's attributes (MAV-BUS-001 in DESIGN.md).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

from fsw.core.ports import Topic
from fsw.core.time import NS_PER_S
from fsw.gnc.ascent_guidance import StageModel

UNREAD_C = -50.0   # a thermometer not read yet (power-on value): cold, no launch


@dataclass(frozen=True)
class NavModel:
    """Mars and the launch site as the navigator knows them (its parameters)."""

    gm: float
    radius_eq_m: float
    omega_radps: float
    site_lat_deg: float
    site_lon_deg: float
    site_radius_m: float

    def site_state(self, t_ns: int) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
        """Inertial position and velocity of the launch site at onboard time t_ns."""
        lat = math.radians(self.site_lat_deg)
        lon = math.radians(self.site_lon_deg) + self.omega_radps * t_ns / NS_PER_S
        rs = self.site_radius_m
        r = (rs * math.cos(lat) * math.cos(lon), rs * math.cos(lat) * math.sin(lon), rs * math.sin(lat))
        w = self.omega_radps
        return r, (-w * r[1], w * r[0], 0.0)


class NavState(NamedTuple):
    """The navigated state after a navigator step (or a start, or a restore). A named tuple,
    not a dataclass: it is made 50 times a second and a tuple is the cheapest immutable."""

    t_ns: int | None                     # time of the last update (None: never navigated)
    active: bool
    r: tuple[float, float, float]
    v: tuple[float, float, float]
    q: tuple[float, float, float, float]
    rate: tuple[float, float, float]
    accel_mag: float
    accel_valid: bool
    imu_valid: bool
    restored_ns: int | None              # sample time of a state a warm restart brought back

    def updated_at(self, t_ns: int) -> bool:
        """True if the navigator ran at t_ns (a step that raised publishes nothing)."""
        return self.active and self.t_ns == t_ns


@dataclass(frozen=True)
class ThrustModel:
    """Nominal specific force of the burning stage (None: no motor burns), scaled by the
    motor-scale estimate; the navigator bridges a missing accelerometer with it."""

    stage: StageModel | None = None
    t_ignition_s: float | None = None
    scale: float = 1.0

    def accel(self, t_s: float) -> float:
        t0 = self.t_ignition_s
        return 0.0 if t0 is None else self.stage.accel(t_s - t0, self.scale)


@dataclass(frozen=True)
class AcsCommand:
    """The control law the flight manager wants; `stop` first nulls both actuators now."""

    law: str
    target: tuple[float, float, float]
    spin_rate: float
    trim_force: tuple[float, float, float]
    stop: bool = False


class AcsStatus(NamedTuple):
    """What the flight manager needs of attitude control (a named tuple: it changes with
    every controlled step)."""

    error_rad: float   # pointing error of the last controlled step
    rcs_ok: bool       # the RCS acknowledged its last command


@dataclass(frozen=True)
class ThermalStatus:
    grain_min_C: float
    rcs_min_C: float
    sensor_faults: int


@dataclass(frozen=True)
class FlightPhase:
    """The flight manager's mode and whether the lander has thrown the MAV (and when)."""

    mode: str                   # THERMAL_CONDITIONING: the heaters' launch set point from now on
    launch_ns: int | None       # onboard time of the throw, None on the ground


NAV_MODEL = Topic("mav.nav.model", NavModel, "site and gravity, on every parameter change")
NAV_STATE = Topic("mav.nav.state", NavState, "navigated state, every navigator step")
THRUST_MODEL = Topic("mav.thrust", ThrustModel, "the burning stage's model, on every change")
ACS_COMMAND = Topic("mav.acs.command", AcsCommand, "control law and set points, on every change")
ACS_STATUS = Topic("mav.acs.status", AcsStatus, "pointing error and RCS health, on change")
THERMAL_STATUS = Topic("mav.thermal.status", ThermalStatus, "interlock temperatures, every read")
FLIGHT_PHASE = Topic("mav.flight.phase", FlightPhase, "mode and launch, on every change")

MAV_TOPICS = (NAV_MODEL, NAV_STATE, THRUST_MODEL, ACS_COMMAND, ACS_STATUS, THERMAL_STATUS, FLIGHT_PHASE)

__all__ = ["ACS_COMMAND", "ACS_STATUS", "AcsCommand", "AcsStatus", "FLIGHT_PHASE", "FlightPhase", "MAV_TOPICS",
           "NAV_MODEL", "NAV_STATE", "NavModel", "NavState", "THERMAL_STATUS", "THRUST_MODEL", "ThermalStatus",
           "ThrustModel", "UNREAD_C"]
