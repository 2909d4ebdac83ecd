"""MAV fault table (MSR_FACTS.md, "Fault protection specific to these vehicles").

Before ignition a fault holds the count (HOLD: the ground decides). After ignition the
response depends on the phase:

- steered flight (LAUNCH, STAGE1_BURN): the TVC loop needs the IMU, the navigator and the
  gimbal every tick and the solid motor cannot be stopped, so losing one aborts (ABORT
  releases the OS into whatever orbit was reached, by the flight manager's rule);
- ridden-through phases (COAST, SPIN_UP, STAGE2_BURN, ORBIT_INSERTION): nothing is urgent,
  so the monitors only detect (no response); the flight manager degrades on the failed
  unit itself (RCS off, navigation on the gravity model or the motor model, the phase
  waits), resumes when it is back, and aborts only if the fault outlasts what the plan
  absorbs (`MavFlightManager` parameters `degraded_ignition_slip_s`,
  `insertion_degraded_max_s`).

Each device monitor therefore comes twice, `<name>` (steered, ABORT) and `<name>_ride`
(detection only). Monitors read the MAV's own channels ("component.channel").
"""
from __future__ import annotations

from fsw.core.fdir import Action, Monitor

from .modes import GROUND_MODES

VEHICLE = "mav"
STEERED = ("LAUNCH", "STAGE1_BURN")
RIDDEN = ("COAST", "SPIN_UP", "STAGE2_BURN", "ORBIT_INSERTION")
POWERED = STEERED + RIDDEN
HOLD = (Action("flight", "hold_count"),)
ABORT = (Action("flight", "abort"),)
# generic monitors (a dead component, a stalled loop): hold the count on the ground. In
# flight the phase decides: a dead navigator or controller in the steered burn loses the
# pointing (the `pointing` monitor and the flight manager abort), elsewhere the flight
# manager degrades and resumes when the component runs again
SAFE_RESPONSE = HOLD
LINK_TIMEOUT_S = 5.0        # the count needs the ground; the ascent does not
LINK_LOSS_RESPONSE = HOLD   # refused (harmlessly) once launched
OUTCOME_MODES = {"flight": {"HOLD": "hold", "ABORT": "abort", "SAFE": "safe"}}
# Periodic checkpoints: every second in the 50 Hz set (the burns: a restored navigation
# older than `flight.restart_nav_max_age_s`, 2 s, aborts), every 5 s in the 10 Hz coast set
# (on the ground before arming a reset holds the count whatever the age; in a coast the gap
# is propagated on gravity), 10 s in the 1 Hz quiet coast. Key events save at once.
CHECKPOINT_PERIOD_S = {"coast": 5.0, "quiet": 10.0}


def _by_phase(name: str, kind: str, channel: str, doc: str, **kw) -> tuple[Monitor, Monitor]:
    """The same check twice: aborting in steered flight, detecting only where ridden through."""
    return (Monitor(name, kind, channel, response=ABORT, when=("flight", STEERED), doc=doc, **kw),
            Monitor(name + "_ride", kind, channel, when=("flight", RIDDEN),
                    doc=doc + " (ridden through: the flight manager degrades and resumes)", **kw))


def fault_table(topology) -> tuple[Monitor, ...]:
    ground = ("flight", GROUND_MODES)
    return (
        Monitor("grain_cold", "limit", "thermal.grain_min_C", lo=-40.0, persistence=3, response=HOLD,
                when=ground, doc="propellant grain below -40 C: no launch"),
        Monitor("rcs_cold", "limit", "thermal.rcs_min_C", lo=2.0, persistence=3, response=HOLD,
                when=ground, doc="hydrazine freezes at 2 C"),
        Monitor("grain_reading", "limit", "thermal.grain_min_C", hi=60.0, persistence=3, response=HOLD,
                when=ground, doc="a grain temperature no enclosure reaches: a failed sensor"),
        Monitor("thermo_faults", "limit", "thermal.sensor_faults", hi=0, persistence=1, response=HOLD,
                when=ground, doc="a thermometer stopped answering"),
        *_by_phase("imu_lost", "limit", "nav.imu_age_s", hi=0.5, persistence=1,
                   doc="no fresh IMU sample for 0.5 s: navigation is blind (a shorter glitch is "
                       "ridden through on the propagated state)"),
        *_by_phase("imu_frozen", "stale", "nav.accel_mps2", stale_ticks=5, persistence=1,
                   doc="a live IMU never repeats its specific force"),
        *_by_phase("accel_range", "limit", "nav.accel_mps2", hi=150.0, persistence=3,
                   doc="more than the motors can give: a failed accelerometer"),
        *_by_phase("accel_rejected", "limit", "nav.accel_valid", lo=1, persistence=3,
                   doc="specific force implausible for the phase (e.g. above 2 m/s^2 in a coast): "
                       "navigation ignores the accelerometer"),
        *_by_phase("actuator_faults", "limit", "acs.actuators_failed", hi=0, persistence=2,
                   doc="the TVC or the RCS stopped answering"),
        Monitor("pointing", "limit", "acs.pointing_error_deg", hi=30.0, persistence=5, response=ABORT,
                when=("flight", ("STAGE1_BURN", "STAGE2_BURN")), doc="steering lost during a burn"),
        Monitor("suborbital_release", "limit", "flight.periapsis_km", lo=-3400.0, persistence=1,
                when=("flight", ("OS_RELEASE",)), doc="navigation diverged before release"),
    )
