"""Fetch-rover fault table (MSR_FACTS.md: slip, tilt and obstacle stops, lost localisation).

A device that stops answering, or a localisation bound that grows past what the planner can
absorb, stops the rover in SAFE (the ground replans). When the lander's arm shares the
topology (the fetch scenario), its device faults safe the arm: a tube in the gripper stays
in custody ("sta"), and recovery puts it back in HOLDING.
"""
from __future__ import annotations

from fsw.core.fdir import Action, Monitor

VEHICLE = "rover"
SAFE_RESPONSE = (Action("rover", "fault"),)
LINK_TIMEOUT_S = 600.0          # the rover drives a sol's plan on its own
OUTCOME_MODES = {"rover": {"SAFE": "safe", "HAZARD_STOP": "hold"}, "sta": {"SAFE": "safe"}}
DRIVING = ("EGRESS", "TRAVERSE", "APPROACH_TUBE", "RETURN")


def fault_table(topology) -> tuple[Monitor, ...]:
    table = [
        Monitor("rover_device_fault", "limit", "rover.device_faults", hi=0, persistence=1,
                response=SAFE_RESPONSE, doc="wheels, IMU, camera, arm or gripper stopped answering"),
        Monitor("rover_lost", "limit", "rover.pos_bound_m", hi=5.0, persistence=10, response=SAFE_RESPONSE,
                when=("rover", DRIVING), doc="position uncertainty beyond 5 m for 1 s: localisation lost"),
        Monitor("rover_odometer_frozen", "stale", "rover.odometer_m", stale_ticks=300, persistence=1,
                response=SAFE_RESPONSE, when=("rover", ("TRAVERSE", "RETURN")),
                doc="driving for 30 s without moving: stuck wheels or a failed drive"),
    ]
    if "sta" in topology.components:
        table.append(Monitor("sta_device_fault", "limit", "sta.device_faults", hi=0, persistence=1,
                             response=(Action("sta", "fault"),), doc="the transfer arm stopped answering"))
    return tuple(table)
