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

# The pickup's sub-steps (fsw.core.substeps) inside its modes. Each trigger is named after
# the sub-step it leads to; "idle" ends the work from any step (done, given up, timed out,
# held). After a warm restart the pickup resumes from "idle" into the step the sensors show
# (a held tube: stow; a slot that reads it: confirm_stow; otherwise look again).
PICKUP_STEPS = {"APPROACH_TUBE": ("look", "creep"), "ACQUIRE": ("above", "descend", "grasp", "backoff"),
                "STOW_TUBE": ("stow", "confirm_stow")}

ROVER_STEPS = ModeTable(
    modes=("idle",) + tuple(s for steps in PICKUP_STEPS.values() for s in steps),
    initial="idle",
    transitions=(
        # approach: stop and look, creep closer (or to the right tube), look again
        T("look", ("idle", "look", "creep", "backoff"), "look"),
        T("creep", "look", "creep"),
        # acquire: above the tube, down onto it, close the jaws; a miss backs off to look again
        T("above", "look", "above"),
        T("descend", "above", "descend"),
        T("grasp", "descend", "grasp"),
        T("backoff", "grasp", "backoff"),
        # stow: into a slot, confirmed by its tube sensor
        T("stow", ("grasp", "idle"), "stow"),
        T("confirm_stow", ("stow", "idle"), "confirm_stow"),
        T("idle", "*", "idle"),
    ),
)

# The hand-off's sub-steps in HANDOFF (the rover_handoff component): take a tube from its
# slot, present it, wait for the lander's arm; after a warm restart a tube still held is
# presented again.
HANDOFF_STEPS = ModeTable(
    modes=("idle", "to_slot", "take_from_slot", "present", "wait_taken", "release", "return_to_slot"),
    initial="idle",
    transitions=(
        T("to_slot", "idle", "to_slot"),
        T("take_from_slot", "to_slot", "take_from_slot"),
        T("present", ("take_from_slot", "idle"), "present"),
        T("wait_taken", "present", "wait_taken"),
        T("release", "wait_taken", "release"),
        T("return_to_slot", "wait_taken", "return_to_slot"),
        T("idle", "*", "idle"),
    ),
)
