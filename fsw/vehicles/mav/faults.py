"""MAV fault table (MSR_FACTS.md, "Fault protection specific to these vehicles").

Before ignition a fault holds the count (HOLD: the ground decides); after ignition there is
no way back, so a fault that threatens the ascent aborts (ABORT releases the OS into
whatever orbit was reached, by the flight manager's rule) and anything else is ridden
through with an event. Monitors read the MAV's own channels ("component.channel").
"""
from __future__ import annotations

from fsw.core.fdir import Action, Monitor

from .modes import FLIGHT_MODES, GROUND_MODES

VEHICLE = "mav"
POWERED = ("LAUNCH", "STAGE1_BURN", "COAST", "SPIN_UP", "STAGE2_BURN", "ORBIT_INSERTION")
HOLD = (Action("flight", "hold_count"),)
ABORT = (Action("flight", "abort"),)
SAFE_RESPONSE = (Action("flight", "hold_count"), Action("flight", "abort"))  # whichever applies now
LINK_TIMEOUT_S = 5.0        # the count needs the ground; the ascent does not
LINK_LOSS_RESPONSE = HOLD   # refused (harmlessly) once launched
OUTCOME_MODES = {"flight": {"HOLD": "hold", "ABORT": "abort", "SAFE": "safe"}}


def fault_table(topology) -> tuple[Monitor, ...]:
    ground = ("flight", GROUND_MODES)
    powered = ("flight", POWERED)
    return (
        Monitor("grain_cold", "limit", "thermal.grain_min_C", lo=-40.0, persistence=3, response=HOLD,
                when=ground, doc="propellant grain below -40 C: no launch"),
        Monitor("rcs_cold", "limit", "thermal.rcs_min_C", lo=2.0, persistence=3, response=HOLD,
                when=ground, doc="hydrazine freezes at 2 C"),
        Monitor("grain_reading", "limit", "thermal.grain_min_C", hi=60.0, persistence=3, response=HOLD,
                when=ground, doc="a grain temperature no enclosure reaches: a failed sensor"),
        Monitor("thermo_faults", "limit", "thermal.sensor_faults", hi=0, persistence=1, response=HOLD,
                when=ground, doc="a thermometer stopped answering"),
        Monitor("imu_faults", "limit", "nav.imu_faults", hi=25, persistence=1, response=ABORT,
                when=powered, doc="over 25 missed IMU samples (0.5 s at 50 Hz): navigation is blind; "
                "a shorter glitch is ridden through on the propagated state"),
        Monitor("imu_frozen", "stale", "nav.accel_mps2", stale_ticks=5, persistence=1, response=ABORT,
                when=powered, doc="a live IMU never repeats its specific force"),
        Monitor("accel_range", "limit", "nav.accel_mps2", hi=150.0, persistence=3, response=ABORT,
                when=powered, doc="more than the motors can give: a failed accelerometer"),
        Monitor("actuator_faults", "limit", "acs.actuator_faults", hi=0, persistence=2, response=ABORT,
                when=powered, doc="the TVC or the RCS stopped answering"),
        Monitor("pointing", "limit", "acs.pointing_error_deg", hi=30.0, persistence=5, response=ABORT,
                when=("flight", ("STAGE1_BURN", "STAGE2_BURN")), doc="steering lost during a burn"),
        Monitor("suborbital_release", "limit", "flight.periapsis_km", lo=-3400.0, persistence=1,
                when=("flight", ("OS_RELEASE",)), doc="navigation diverged before release"),
    )
