"""Lander fault table (MSR_FACTS.md: hazard-avoidance divert, landing abort limits).

Entry, descent and landing ride through faults (the mode table has no fault edge there: the
answer during powered descent is the hazard divert, not a safe mode), so EDL and descent
monitors only report. From the entry interface to backshell separation the EDL components
ride through: entry navigation replaces a missing or frozen IMU sample by the last good
specific force scaled with the dynamic pressure (and widens its position uncertainty), the
parachute waits for a healthy IMU to time the range trigger and otherwise goes by the backup
timer, a pyro whose command fails is fired again, a missing radar range or velocimeter beam is
skipped, a missing or rejected camera image leaves navigation on the IMU and radar (no map fix
at all: the lander searches its site with a margin as wide as its uncertainty). In powered
descent the riding through is in the lander's navigation: an IMU that stops answering
(or freezes) is replaced by the commanded thrust, a gap with no navigation at all (a
processor reset, a crashed step) is propagated the same way, an altimeter range that
disagrees with navigation beyond a gate that opens with the time since the last accepted
range is not used, an unanswered or frozen altimeter gives no range (no touchdown on a stale
one), a frozen engine telemetry stream or a refused engine command is counted.

On the surface a device fault safes the lander and the transfer arm; a tube in the arm's
gripper stays in custody at "sta" (the arm recovers to HOLDING).
"""
from __future__ import annotations

from fsw.core.fdir import Action, Monitor

VEHICLE = "lander"
SAFE_RESPONSE = (Action("lander", "fault"),)
# EDL runs on board (minutes of light time); on the surface the lander waits for the ground,
# holding its activity. A minute of silence is reported, nothing more.
LINK_TIMEOUT_S = 60.0
OUTCOME_MODES = {"lander": {"SAFE": "safe"}, "sta": {"SAFE": "safe"}}
DESCENT = ("POWERED_DESCENT", "HAZARD_DIVERT")
ENTRY = ("ENTRY", "PARACHUTE", "TERRAIN_NAV")
CHUTE = ("PARACHUTE", "TERRAIN_NAV")
SURFACE = ("TOUCHDOWN", "SURFACE_IDLE", "SAMPLE_TRANSFER", "MAV_PREP", "LAUNCH_SUPPORT")


def fault_table(topology) -> tuple[Monitor, ...]:
    table = []
    if "edlnav" in topology.components:
        table += [
            Monitor("edl_imu_fault", "limit", "edlnav.imu_faults", hi=0, persistence=1, when=("lander", ENTRY),
                    doc="reported only: IMU silent, frozen or implausible; navigation on the aero model"),
            Monitor("edl_radar_fault", "limit", "edlnav.radar_faults", hi=0, persistence=1, when=("lander", CHUTE),
                    doc="reported only: radar altimeter silent or frozen on the parachute"),
            Monitor("edl_velocimeter_fault", "limit", "edlnav.tds_faults", hi=0, persistence=1, when=("lander", CHUTE),
                    doc="reported only: a terminal-descent-sensor beam silent or frozen"),
            Monitor("entry_rcs_fault", "limit", "entry.rcs_faults", hi=0, persistence=1, when=("lander", ENTRY),
                    doc="reported only: bank commands refused by the RCS"),
            Monitor("edl_pyro_fault", "limit", "edl.pyro_faults", hi=0, persistence=1, when=("lander", ENTRY),
                    doc="reported only: a pyro command failed (fired again every cycle)"),
            Monitor("parachute_backup_deploy", "limit", "edl.backup_deploys", hi=0, persistence=1,
                    when=("lander", ENTRY), doc="the parachute went by the backup timer, not the range trigger"),
            Monitor("trn_camera_fault", "limit", "trn.camera_faults", hi=0, persistence=1, when=("lander", CHUTE),
                    doc="reported only: the descent camera gave no image"),
            Monitor("trn_rejected", "limit", "trn.rejects", hi=0, persistence=1, when=("lander", CHUTE),
                    doc="reported only: a map fix refused (no match, or off navigation beyond the gate)"),
        ]
    if "descent_nav" in topology.components:
        table += [
            Monitor("descent_device_fault", "limit", "descent_nav.device_faults", hi=0, persistence=1,
                    when=("lander", DESCENT), doc="reported only: IMU, altimeter or engine silent or frozen; rides through"),
            Monitor("altimeter_rejected", "limit", "descent_nav.alt_rejects", hi=0, persistence=1,
                    when=("lander", DESCENT), doc="reported only: altimeter ranges off navigation are not used"),
            Monitor("descent_rate", "limit", "descent_nav.nav_vz_mps", lo=-120.0, persistence=5,
                    when=("lander", DESCENT), doc="faster than the descent envelope: navigation or engine"),
            Monitor("surface_device_fault", "limit", "descent_nav.surface_device_faults", hi=0, persistence=1,
                    response=SAFE_RESPONSE, when=("lander", SURFACE), doc="a surface device stopped answering"),
        ]
    if "descent" in topology.components:
        table += [
            Monitor("descent_engine_fault", "limit", "descent.device_faults", hi=0, persistence=1,
                    when=("lander", DESCENT), doc="reported only: an engine command refused; guidance commands again"),
            Monitor("surface_engine_fault", "limit", "descent.surface_device_faults", hi=0, persistence=1,
                    response=SAFE_RESPONSE, when=("lander", SURFACE), doc="the engines refused the cut-off"),
        ]
    if "sta" in topology.components:
        table.append(Monitor("sta_device_fault", "limit", "sta.device_faults", hi=0, persistence=1,
                             response=(Action("sta", "fault"),), doc="the transfer arm stopped answering"))
    return tuple(table)
