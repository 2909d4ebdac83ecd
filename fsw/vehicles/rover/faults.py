"""Fetch-rover fault table (MSR_FACTS.md: slip, tilt and obstacle stops, lost localisation).

A drive (rover_mobility), IMU (rover_nav), arm or gripper (rover, rover_pickup, rover_handoff) that stops answering, a drive that does not carry out its
commands (no progress), or a localisation bound past what the lander can recover stops the
rover in SAFE (the ground looks). A navcam that stops answering while driving holds the rover
(HAZARD_STOP: stopped, counted as "hold") until the camera has answered for `hold_clear_s`,
then it replans from where it stands; still blind after `hold_timeout_s`, it safes.

Thresholds come from the rover navigation's own parameters, so fault protection and the rover's
navigation agree on them: `lost_bound_m` (8 m: the lander's stereo tracker sees 15 m, the
hand-off run-in starts ~6 m out, so with a bigger bound no lander fix may bring the rover
back; nominal returns reach ~3.4 m, seeds 1-6), `no_progress_s` (2 s: the odometer advances
every cycle while driving).

When the lander's arm shares the topology (the fetch scenario), its device faults safe the
arm: a tube in the gripper stays in custody ("sta"), and recovery puts it back in HOLDING.
"""
from __future__ import annotations

from fsw.core.fdir import Action, Monitor

from .modes import DRIVING

VEHICLE = "rover"
SAFE_RESPONSE = (Action("rover", "fault"),)
NAVCAM_HOLD = (Action("rover", "hazard"),)   # stop; HAZARD_STOP holds while the navcam is blind
LINK_TIMEOUT_S = 600.0          # the rover drives a sol's plan on its own
OUTCOME_MODES = {"rover": {"SAFE": "safe", "HAZARD_STOP": "hold"}, "sta": {"SAFE": "safe"}}
NAVCAM_STALE_S = 1.0            # two missed frames at the 2 Hz drive rate


def fault_table(topology) -> tuple[Monitor, ...]:
    p = topology["rover_nav"].params
    table = [
        Monitor("rover_device_fault", "limit", "rover.device_faults", hi=0, persistence=1,
                response=SAFE_RESPONSE, doc="the gripper or a slot sensor stopped answering (custody's readings)"),
        Monitor("rover_mobility_device_fault", "limit", "rover_mobility.device_faults", hi=0, persistence=1,
                response=SAFE_RESPONSE, doc="the drive stopped answering"),
        Monitor("rover_nav_device_fault", "limit", "rover_nav.device_faults", hi=0, persistence=1,
                response=SAFE_RESPONSE, doc="the wheels' odometry or the IMU stopped answering"),
        Monitor("rover_pickup_device_fault", "limit", "rover_pickup.device_faults", hi=0, persistence=1,
                response=SAFE_RESPONSE, doc="the arm or gripper stopped answering while picking a tube up"),
        Monitor("rover_handoff_device_fault", "limit", "rover_handoff.device_faults", hi=0, persistence=1,
                response=SAFE_RESPONSE, doc="the arm or gripper stopped answering while handing a tube over"),
        Monitor("rover_lost", "limit", "rover_nav.pos_bound_m", hi=float(p["lost_bound_m"]), persistence=10,
                response=SAFE_RESPONSE, when=("rover", DRIVING),
                doc="position bound beyond lost_bound_m for 1 s: no lander fix could bring the rover back"),
        Monitor("rover_no_progress", "limit", "rover_nav.stalled_s", hi=float(p["no_progress_s"]), persistence=1,
                response=SAFE_RESPONSE, when=("rover", DRIVING),
                doc="commanded to drive, the odometer did not move: stuck or stalled drive, frozen wheel sensor"),
        Monitor("rover_navcam_stale", "limit", "rover_mobility.navcam_stale_s", hi=NAVCAM_STALE_S, persistence=1,
                response=NAVCAM_HOLD, when=("rover", DRIVING),
                doc="no navcam frame while driving: stop and hold until it answers again"),
    ]
    if "sta" in topology.components:
        table.append(Monitor("sta_device_fault", "limit", "sta.device_faults", hi=0, persistence=1,
                             response=(Action("sta", "fault"),), doc="the transfer arm stopped answering"))
    return tuple(table)
