"""ERO capture-system fault table (MSR_FACTS.md: capture retry from a hold point, loss of
target track, containment not verified: then do not return).

The capture manager has no device-fault channel yet, so far-range device faults are seen
only through their effects (its own TARGET_LOST); a stale-detections monitor was tried and
raised a false alarm in the nominal far range, so it is left out. Faults during the close
approach send the capture manager to SAFE, whose recovery goes to a hold
point (or, with the OS aboard, to CONTAINMENT_HOLD: never onwards to the EEV unverified).
"""
from __future__ import annotations

from fsw.core.fdir import Action, Monitor

VEHICLE = "ero"
SAFE_RESPONSE = (Action("ccrs", "safe"),)
LINK_TIMEOUT_S = 3600.0         # rendezvous runs on board for hours between passes
OUTCOME_MODES = {"ccrs": {"SAFE": "safe", "HOLD_POINT": "hold", "BACK_OFF": "hold",
                          "CONTAINMENT_HOLD": "hold"}}
CLOSE = ("CLOSE_RANGE", "HOLD_POINT", "FINAL_APPROACH", "CAPTURE")


def fault_table(topology) -> tuple[Monitor, ...]:
    return (
        Monitor("range_uncertain", "limit", "ccrs.range_sigma_m", hi=50.0, persistence=20,
                response=SAFE_RESPONSE, when=("ccrs", CLOSE), doc="close range with a 50 m range sigma"),
        Monitor("closing_fast", "limit", "ccrs.closing_mps", hi=0.5, persistence=5, response=SAFE_RESPONSE,
                when=("ccrs", ("FINAL_APPROACH", "CAPTURE")), doc="closing faster than the capture cone takes"),
    )
