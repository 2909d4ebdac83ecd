"""Mode tables of the Sample Retrieval Lander: the vehicle modes and the Sample Transfer Arm.

Interlocks a real lander would have are guards: no touchdown mode without altimeter contact
and an arrested descent; no sample transfer unless the lander came through TOUCHDOWN (also
on recovery from SAFE, which re-verifies contact by going through TOUCHDOWN again); no
MAV preparation before the Orbiting Sample is sealed. EDL modes have no `fault` edge: entry,
descent and landing ride through faults (fault protection there is the hazard divert).

EDL (the EDL components do the work, the lander follows them through these guards): ENTRY
needs the entry navigation started; PARACHUTE a parachute whose pyro read-back says fired;
TERRAIN_NAV the heatshield off and the radar locked on the ground; POWERED_DESCENT the
backshell gone (from PARACHUTE too: no radar lock, no map-relative navigation) and the
lander's own altimeter valid.
"""
from __future__ import annotations

from fsw.core.modes import ANY, ModeTable, T

LANDER_MODES = ModeTable(
    modes=("CRUISE", "ENTRY", "PARACHUTE", "TERRAIN_NAV", "POWERED_DESCENT", "HAZARD_DIVERT", "TOUCHDOWN",
           "SURFACE_IDLE", "SAMPLE_TRANSFER", "MAV_PREP", "LAUNCH_SUPPORT", "MISSION_COMPLETE",
           "SAFE"),
    initial="CRUISE",
    safe="SAFE",
    terminal=("MISSION_COMPLETE",),
    transitions=(
        T("entry_interface", "CRUISE", "ENTRY", "cruise_stage_separated", "entry_navigation_ready"),
        T("deploy_chute", "ENTRY", "PARACHUTE", "chute_deployed"),
        T("start_trn", "PARACHUTE", "TERRAIN_NAV", "heatshield_separated", "radar_locked"),
        T("start_powered_descent", ("PARACHUTE", "TERRAIN_NAV"), "POWERED_DESCENT", "backshell_separated",
          "altimeter_valid"),
        T("divert", "POWERED_DESCENT", "HAZARD_DIVERT", "safe_site_chosen"),
        T("touchdown", ("POWERED_DESCENT", "HAZARD_DIVERT"), "TOUCHDOWN", "altimeter_contact",
          "descent_arrested"),
        T("secure", "TOUCHDOWN", "SURFACE_IDLE", "engines_off"),
        T("begin_transfer", "SURFACE_IDLE", "SAMPLE_TRANSFER", "sta_ready"),
        T("pause_transfer", "SAMPLE_TRANSFER", "SURFACE_IDLE", unless=("sta_busy",)),
        T("prepare_mav", ("SURFACE_IDLE", "SAMPLE_TRANSFER"), "MAV_PREP", "os_sealed"),
        T("support_launch", "MAV_PREP", "LAUNCH_SUPPORT", "mav_go"),
        T("scrub", "LAUNCH_SUPPORT", "MAV_PREP"),
        T("launched", "LAUNCH_SUPPORT", "MISSION_COMPLETE", "mav_departed"),
        T("fault", ("CRUISE", "TOUCHDOWN", "SURFACE_IDLE", "SAMPLE_TRANSFER", "MAV_PREP",
                    "LAUNCH_SUPPORT"), "SAFE"),
        T("recover", "SAFE", "CRUISE", unless=("cruise_stage_separated",)),
        T("recover_surface", "SAFE", "TOUCHDOWN", "altimeter_contact", "descent_arrested"),
    ),
)

STA_MODES = ModeTable(
    modes=("STOWED", "READY", "HOLDING", "INSERTING", "SEALING", "SEALED", "SAFE"),
    initial="STOWED",
    safe="SAFE",
    terminal=("SEALED",),
    transitions=(
        T("unstow", "STOWED", "READY", "lander_on_surface"),
        T("take_tube", "READY", "HOLDING", "tube_in_gripper"),
        T("insert", "HOLDING", "INSERTING", "os_slot_free"),
        T("confirm", "INSERTING", "READY", "tube_sensor_confirms"),
        T("retry_insert", "INSERTING", "HOLDING", unless=("tube_sensor_confirms",)),
        T("seal", "READY", "SEALING", "os_has_tubes", unless=("tube_in_gripper",)),
        T("sealed", "SEALING", "SEALED", "seal_confirmed"),
        T("fault", ("STOWED", "READY", "HOLDING", "INSERTING", "SEALING"), "SAFE"),
        T("recover", "SAFE", "READY", "lander_on_surface", unless=("tube_in_gripper",)),
        T("recover_holding", "SAFE", "HOLDING", "tube_in_gripper"),
    ),
)

# The arm's sub-steps inside READY/HOLDING/INSERTING (fsw.core.substeps): each trigger is named
# after the sub-step it leads to; "idle" ends the hand-off from any step (done, refused, timed out).
STA_STEPS = ModeTable(
    modes=("idle", "reach", "grasp", "carry", "release"),
    initial="idle",
    transitions=(
        T("reach", "idle", "reach"),
        T("grasp", "reach", "grasp"),
        T("carry", ("grasp", "release"), "carry"),
        T("release", "carry", "release"),
        T("idle", ANY, "idle"),
    ),
)
