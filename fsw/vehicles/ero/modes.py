"""The ERO capture system's mode table (MSR_FACTS.md, "Earth Return Orbiter").

Rendezvous: phasing, search, far range (angles-only navigation), close range (lidar), hold
points, final approach, back-off and retry, capture. Containment: orient, contain (primary
and secondary), break the chain (sterilise the exterior), transfer to the Earth Entry
Vehicle, Earth cruise, EEV release. The only edge into EEV_TRANSFER leaves BREAK_THE_CHAIN
and is guarded by both verifications, and BREAK_THE_CHAIN is entered only from CONTAIN
with containment verified: no path hands the OS to the EEV without verified containment.
A containment step that cannot be verified leads to CONTAINMENT_HOLD, never onwards.
"""
from __future__ import annotations

from fsw.core.modes import ModeTable, T

APPROACH_MODES = ("PHASING", "SEARCH", "FAR_RANGE", "CLOSE_RANGE", "HOLD_POINT",
                  "FINAL_APPROACH", "BACK_OFF", "CAPTURE")
CONTAINMENT_MODES = ("ORIENT", "CONTAIN", "CONTAINMENT_HOLD", "BREAK_THE_CHAIN", "EEV_TRANSFER",
                     "EARTH_CRUISE", "EEV_RELEASE")

ERO_MODES = ModeTable(
    modes=APPROACH_MODES + CONTAINMENT_MODES + ("COMPLETE", "SAFE"),
    initial="PHASING",
    safe="SAFE",
    terminal=("COMPLETE",),
    transitions=(
        T("begin_search", "PHASING", "SEARCH"),
        T("acquire", "SEARCH", "FAR_RANGE", "target_detected"),
        T("lost_target", ("FAR_RANGE", "CLOSE_RANGE", "HOLD_POINT"), "SEARCH"),
        T("lidar_acquired", "FAR_RANGE", "CLOSE_RANGE", "lidar_valid"),
        T("reach_hold", ("CLOSE_RANGE", "BACK_OFF"), "HOLD_POINT"),
        T("start_final", "HOLD_POINT", "FINAL_APPROACH", "approach_go"),
        T("back_off", ("FINAL_APPROACH", "CAPTURE"), "BACK_OFF"),
        T("triggered", "FINAL_APPROACH", "CAPTURE", "capture_triggered"),
        T("lid_closed", "CAPTURE", "ORIENT", "os_captured"),
        T("oriented", "ORIENT", "CONTAIN", "orientation_verified"),
        T("contained", "CONTAIN", "BREAK_THE_CHAIN", "containment_verified"),
        T("containment_failed", ("ORIENT", "CONTAIN", "BREAK_THE_CHAIN"), "CONTAINMENT_HOLD"),
        T("retry_containment", "CONTAINMENT_HOLD", "ORIENT"),
        T("sterilised", "BREAK_THE_CHAIN", "EEV_TRANSFER", "containment_verified",
          "sterilisation_verified"),
        T("transferred", "EEV_TRANSFER", "EARTH_CRUISE", "eev_loaded"),
        T("transfer_failed", "EEV_TRANSFER", "CONTAINMENT_HOLD"),
        T("approach_earth", "EARTH_CRUISE", "EEV_RELEASE"),
        T("eev_released", "EEV_RELEASE", "COMPLETE", "eev_separated"),
        T("safe", "*", "SAFE"),
        T("recover", "SAFE", "HOLD_POINT", unless=("os_captured",)),
        T("recover", "SAFE", "CONTAINMENT_HOLD", "os_captured"),
    ),
)

__all__ = ["ERO_MODES", "APPROACH_MODES", "CONTAINMENT_MODES"]
