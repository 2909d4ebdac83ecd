"""The lander's topics: what its components tell each other over the bus (wired in vehicle.py).

Each component publishes its state when it changes (a mode change, the end of its step), so
a reader in a later rate group sees what it would have seen reading the publisher directly.
`LANDER_TOPICS` are the surface topics (the fetch flight wires them with the rover's);
`DESCENT_TOPICS` join them in a lander built with its descent components (DESIGN.md).
"""
from __future__ import annotations

from dataclasses import dataclass

from fsw.core.ports import Topic


@dataclass(frozen=True)
class StaStatus:
    """The Sample Transfer Arm as the lander's surface phases need it."""

    mode: str
    busy: bool       # work to do or under way: the lander stays in SAMPLE_TRANSFER
    sealed: bool     # the Orbiting Sample container is sealed


@dataclass(frozen=True)
class DescentNav:
    """The lander's own navigation from backshell separation on (local frame)."""

    r: tuple[float, float, float]
    v: tuple[float, float, float]
    mass_kg: float
    range_m: float         # the last accepted altimeter range (inf before the first)
    range_valid: bool      # this cycle's range was read, valid and inside the gate
    contact: bool          # valid and within touchdown_range_m: the legs are down
    arrested: bool         # in contact and slower than arrested_speed_mps for arrested_cycles


@dataclass(frozen=True)
class Thrust:
    """The engines' last command (what they hold until the next one)."""

    thrust_N: float
    direction: tuple[float, float, float]


@dataclass(frozen=True)
class DescentPlan:
    """Powered-descent guidance as the mode manager needs it."""

    site_chosen: bool      # a safe site was found (else the target)
    divert: bool           # the site is off the target: HAZARD_DIVERT wanted
    engines_off: bool      # the last engine command was zero thrust


LANDER_MODE = Topic("lander.mode", str, "the lander's mode, published on every change")
STA_STATUS = Topic("sta.status", StaStatus, "the arm's mode and work, on every change and step")
DESCENT_NAV = Topic("descent.nav", DescentNav, "descent navigation, at the end of every control step")
DESCENT_THRUST = Topic("descent.thrust", Thrust, "every engine command of powered-descent guidance")
DESCENT_PLAN = Topic("descent.plan", DescentPlan, "the site and engine state, on every change")

LANDER_TOPICS = (LANDER_MODE, STA_STATUS)
DESCENT_TOPICS = (DESCENT_NAV, DESCENT_THRUST, DESCENT_PLAN)

__all__ = ["DESCENT_NAV", "DESCENT_PLAN", "DESCENT_THRUST", "DESCENT_TOPICS", "DescentNav", "DescentPlan",
           "LANDER_MODE", "LANDER_TOPICS", "STA_STATUS", "StaStatus", "Thrust"]
