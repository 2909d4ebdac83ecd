"""Mode table of the Sample Fetch Rover (also used for Perseverance delivering its own tubes).

Tube pickup is APPROACH_TUBE (detect, localise) -> ACQUIRE (grasp, confirm) -> STOW_TUBE,
with a retry edge back to APPROACH_TUBE and a give-up edge to IDLE. Any drive can end in
HAZARD_STOP, which only leaves to IDLE once the hazard is cleared (a new plan). A traverse
with no safe path left is abandoned to IDLE; a rover too unsure of its position drives back
to the lander for a fix even with nothing to hand over (`relocalise`). SAFE is left to IDLE
only after egress (a stowed rover recovers to STOWED).
"""
from __future__ import annotations

from fsw.core.modes import ModeTable, T

DRIVING = ("EGRESS", "TRAVERSE", "APPROACH_TUBE", "RETURN")

ROVER_MODES = ModeTable(
    modes=("STOWED", "EGRESS", "IDLE", "TRAVERSE", "APPROACH_TUBE", "ACQUIRE", "STOW_TUBE",
           "RETURN", "HANDOFF", "HAZARD_STOP", "SAFE"),
    initial="STOWED",
    safe="SAFE",
    transitions=(
        T("egress", "STOWED", "EGRESS", "lander_landed"),
        T("egress_done", "EGRESS", "IDLE", "off_deck"),
        T("drive", "IDLE", "TRAVERSE", "path_ok", "slot_free"),
        T("arrive_tube", "TRAVERSE", "APPROACH_TUBE", "at_goal"),
        T("abandon", "TRAVERSE", "IDLE"),          # no safe path on from here: IDLE decides
        T("in_reach", "APPROACH_TUBE", "ACQUIRE", "tube_localised"),
        T("grasped", "ACQUIRE", "STOW_TUBE", "grasp_confirmed"),
        T("retry", "ACQUIRE", "APPROACH_TUBE", "retries_left"),
        T("give_up", ("APPROACH_TUBE", "ACQUIRE"), "IDLE", unless=("retries_left",)),
        T("stowed", "STOW_TUBE", "IDLE", "stow_confirmed"),
        T("go_home", "IDLE", "RETURN", "path_ok", "carrying_tubes"),
        T("relocalise", "IDLE", "RETURN", "path_ok", unless=("carrying_tubes",)),  # back for a fix
        T("arrived", "RETURN", "HANDOFF", "at_goal"),
        T("handoff_done", "HANDOFF", "IDLE", unless=("carrying_tubes",)),
        T("hazard", DRIVING, "HAZARD_STOP"),
        T("clear", "HAZARD_STOP", "IDLE", "off_deck"),
        T("clear_egress", "HAZARD_STOP", "EGRESS", unless=("off_deck",)),
        T("fault", "*", "SAFE"),
        T("recover", "SAFE", "IDLE", "off_deck"),
        T("recover_stowed", "SAFE", "STOWED", unless=("off_deck",)),
    ),
)
