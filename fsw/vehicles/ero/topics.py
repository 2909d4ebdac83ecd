"""The ERO's topics: what its components tell each other over the bus (wired in vehicle.py).

Every publisher publishes on change (a mode change, the end of its step, a message it
handled), so a reader sees what it would have seen reading the publisher directly. The
executive order (vehicle.py) is containment, relative navigation ("relnav"), the capture
manager ("ccrs"), the RCS, then the rate-set choice ("rates"): a containment request or a
navigation estimate reaches the manager in the same tick, a thrust command reaches the RCS in
the same tick, and the rate choice sees the end of the tick.
"""
from __future__ import annotations

from dataclasses import dataclass

from fsw.core.ports import Topic


@dataclass(frozen=True)
class ContainmentStatus:
    """What the manager's guards and rate choice need from containment."""

    verified: tuple[str, ...]          # containment steps verified (sorted step names)
    cruise_until: float | None         # end of the Earth cruise (onboard s), None before it


@dataclass(frozen=True)
class RelNavEstimate:
    """The relative-navigation estimate: the OS relative to the ERO."""

    x: tuple[float, ...]               # filter state (curvilinear Hill frame)
    rect: tuple[float, ...]            # the same, rectilinear (what the sensors see)
    sigma_m: float                     # position sigma
    detections: int                    # detections since the last (re)acquisition


@dataclass(frozen=True)
class BurnOutlook:
    """The manager's burns as a warm restart needs them: one under way, or the next due."""

    burning: bool
    event_in_s: float                  # seconds to the next guidance event (inf: none)


@dataclass(frozen=True)
class ApproachOutlook:
    """What the rate-set choice needs from the manager (published on every change of it)."""

    t: float                           # the manager's onboard time (s, its last step)
    burning: bool                      # a burn under way (or due now)
    event_in_s: float                  # seconds to the next guidance event (inf: none)
    far_planned: bool                  # the far-range legs are planned
    far_start_m: float                 # the manager's far-range start parameters
    far_transfer_s: float


ERO_MODE = Topic("ccrs.mode", str, "the capture manager's mode, on every change")
CONTAINMENT_STATUS = Topic("containment.status", ContainmentStatus, "verified steps, cruise end; on change")
CONTAINMENT_REQUEST = Topic("containment.request", str, "a mode trigger containment asks the manager for")
RCS_FORCE = Topic("rcs.force", tuple, "thrust command (N per Hill axis) for the RCS")
RELNAV_ESTIMATE = Topic("relnav.estimate", RelNavEstimate, "the relative-navigation estimate, on every change")
RELNAV_IMPULSE = Topic("relnav.impulse", tuple, "a velocity change of the ERO measured by the IMU (m/s, Hill)")
TARGET_LOST = Topic("relnav.lost", float, "no detection for lost_after_s: seconds since the last one")
BURN_OUTLOOK = Topic("relnav.outlook", BurnOutlook, "the manager's burn state, each step (for a restart)")
APPROACH_OUTLOOK = Topic("ccrs.outlook", ApproachOutlook, "the manager's burns, legs and clock, on every change")

ERO_TOPICS = (ERO_MODE, CONTAINMENT_STATUS, CONTAINMENT_REQUEST, RCS_FORCE, RELNAV_ESTIMATE, RELNAV_IMPULSE,
              TARGET_LOST, BURN_OUTLOOK, APPROACH_OUTLOOK)

__all__ = ["APPROACH_OUTLOOK", "ApproachOutlook", "BURN_OUTLOOK", "BurnOutlook", "RELNAV_ESTIMATE", "RELNAV_IMPULSE", "TARGET_LOST", "CONTAINMENT_REQUEST", "CONTAINMENT_STATUS", "ContainmentStatus", "ERO_MODE", "ERO_TOPICS",
           "RCS_FORCE", "RelNavEstimate"]
