"""ERO capture-system fault table (MSR_FACTS.md: capture retry from a hold point, loss of
target track, containment not verified: then do not return).

The capture manager keeps device-health channels (runs of failed reads of the camera and
the lidar, of cycles with the RCS not answering, of measurements its filter refuses, and
containment steps that failed). Responses follow the phase, never approaching blind:

- rendezvous sensor lost (camera, lidar, or a filter refusing every measurement): in far or
  close range and at a hold point, back to SEARCH (the approach is dropped; inside lidar
  range the relative velocity is nulled first) and reacquire, after which the far-range
  plan is made again from the new estimate, out to the far hold point; in the final
  approach, back off to the near hold point (a retry). `REACQUIRE` lists both triggers:
  whichever applies in the current mode is done, the other refused.
- RCS not answering during the approach: SAFE (thrusters commanded off; the drift of the
  phasing orbit and of the V-bar hold points is passively safe); the ground recovers to a
  hold point.
- a containment step not verified (a seal, a leak check, the sterilisation heater or its
  thermometer, the transfer arm or the EEV seat failing): the manager itself holds in
  CONTAINMENT_HOLD; the monitor reports it. In BREAK_THE_CHAIN and EEV_TRANSFER the leak
  checks are read every cycle, so a containment sensor fault holds the OS out of the EEV.
- close-range estimate too uncertain, or closing too fast in the cone: SAFE.
"""
from __future__ import annotations

from fsw.core.fdir import Action, Monitor

from .modes import APPROACH_MODES

VEHICLE = "ero"
SAFE_RESPONSE = (Action("ccrs", "safe"),)
REACQUIRE = (Action("ccrs", "lost_target"), Action("ccrs", "back_off"))   # whichever applies now
LINK_TIMEOUT_S = 3600.0         # rendezvous runs on board for hours between passes
OUTCOME_MODES = {"ccrs": {"SAFE": "safe", "HOLD_POINT": "hold", "BACK_OFF": "hold",
                          "CONTAINMENT_HOLD": "hold", "SEARCH": "hold"}}
# Periodic checkpoints in the 1 Hz quiet set: every 30 s (QUIET_DIVISOR), the cadence of the
# capture manager there; between two of its runs its state does not move, and anything that
# does (a sequence command, a mode change) saves at once. Every second in the 10 Hz set.
CHECKPOINT_PERIOD_S = {"quiet": 30.0}
CLOSE = ("CLOSE_RANGE", "HOLD_POINT", "FINAL_APPROACH", "CAPTURE")
TRACKING = ("FAR_RANGE", "CLOSE_RANGE", "HOLD_POINT", "FINAL_APPROACH", "BACK_OFF")
LIDAR = ("CLOSE_RANGE", "HOLD_POINT", "FINAL_APPROACH", "BACK_OFF")


def fault_table(topology) -> tuple[Monitor, ...]:
    return (
        Monitor("nac_lost", "limit", "relnav.nac_faults", hi=0, persistence=3, response=REACQUIRE,
                when=("ccrs", TRACKING), doc="the narrow-angle camera stopped answering: no line of sight"),
        Monitor("lidar_lost", "limit", "relnav.lidar_faults", hi=0, persistence=3, response=REACQUIRE,
                when=("ccrs", LIDAR), doc="the lidar stopped answering inside its range"),
        Monitor("relnav_refusing", "limit", "relnav.nav_refused_run", hi=3, persistence=1, response=REACQUIRE,
                when=("ccrs", LIDAR), doc="four measurements in a row refused by the filter's gate: "
                "a biased sensor or a diverged estimate"),
        Monitor("rcs_fault", "limit", "rcs.rcs_faults", hi=0, persistence=2, response=SAFE_RESPONSE,
                when=("ccrs", APPROACH_MODES), doc="the RCS stopped answering during the approach"),
        Monitor("containment_not_verified", "limit", "containment.step_failures", hi=0, persistence=1,
                doc="a containment step failed: the manager holds the OS in CONTAINMENT_HOLD"),
        Monitor("range_uncertain", "limit", "relnav.range_sigma_m", hi=50.0, persistence=20,
                response=SAFE_RESPONSE, when=("ccrs", CLOSE), doc="close range with a 50 m range sigma"),
        Monitor("closing_fast", "limit", "relnav.closing_mps", hi=0.5, persistence=5, response=SAFE_RESPONSE,
                when=("ccrs", ("FINAL_APPROACH", "CAPTURE")), doc="closing faster than the capture cone takes"),
    )
