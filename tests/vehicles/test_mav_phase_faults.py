"""MAV faults by phase: transient faults in the coast are detected, degrade the vehicle and
end in orbit; a fault that outlasts the plan aborts; the spin-stabilised stage-2 burn rides
through a frozen IMU on the motor model; the navigator's input checks on their own."""
import math

import pytest

from fsw.vehicles.mav.navigation import MavNavigator
from hal.devices import ImuReading
from hal.errors import DeviceTimeout
from sim.deployment import Deployment
from sim.faults.run import fly_with_faults
from sim.faults.spec import FaultSpec
from sim.plants import AscentPlant

TUBES = list(range(1, 11))


def fly(phase, **fields):
    spec = FaultSpec(when=f"flight:{phase}", delay_s=0.2, **({"duration_s": 5.0} | fields))
    return fly_with_faults(Deployment("ascent", 1, {}), [spec])


def names(run, name, component=None):
    return [r for r in run.records if r.name == name and (component is None or r.component == component)]


def truth_orbit_km(run):
    el = next(p for p in run.plant.parts if isinstance(p, AscentPlant)).truth()["elements"]
    return el["periapsis_alt_m"] / 1e3, el["apoapsis_alt_m"] / 1e3


@pytest.mark.parametrize("fault, degrades", [
    ({"kind": "dropout", "target": "imu0"}, "imu"),
    ({"kind": "actuator_failed", "target": "rcs"}, "rcs"),
    ({"kind": "crash", "target": "nav"}, "nav"),
    ({"kind": "bias", "target": "imu0", "field": "accel_mps2", "magnitude": 300.0}, None),
])
def test_a_transient_fault_in_the_coast_is_detected_and_ends_in_orbit(fault, degrades):
    """MAV-DEG-001: a transient fault in coast/spin-up/insertion degrades, resumes and ends in orbit."""
    run = fly("COAST", **fault)
    assert run.unhandled is None
    assert names(run, "FAULT_DETECTED")
    assert names(run, "ABORT_CAUSE") == []
    f = run.topology["flight"]
    assert f.mode == "PASSIVE" and f.custody.tubes_at("orbit") == TUBES
    rp, ra = truth_orbit_km(run)
    assert abs(rp - 343.0) < 5.0 and abs(ra - 343.0) < 5.0, (rp, ra)
    degraded = [r.args["cause"] for r in names(run, "DEGRADED")]
    recovered = [r.args["cause"] for r in names(run, "RECOVERED")]
    if degrades:
        assert degraded == [degrades] and recovered == [degrades]
    else:   # a biased accelerometer is rejected by the navigator; nothing else needs to stop
        assert degraded == [] and run.topology["nav"].tlm["accel_rejected"] > 0


def test_a_fault_that_outlasts_the_plan_aborts_when_no_time_is_left_to_spin_up():
    """MAV-DEG-002: a fault outlasting the spin-up slack aborts, not before the slip the plan absorbs."""
    run = fly("COAST", kind="dropout", target="imu0", duration_s=530.0)   # past the spin-up deadline
    f = run.topology["flight"]
    causes = [r.args["cause"] for r in names(run, "ABORT_CAUSE")]
    assert f.mode == "ABORT" and len(causes) == 1 and "no time left to spin up" in causes[0]
    abort_t = names(run, "ABORT_CAUSE")[0].t_ns / 1e9
    p = f.params
    # not before the spin start planned when it fell due, plus the slip the plan absorbs
    due = f.degraded.spin_due_s
    assert due is not None and f.plan.t_ignition_s >= due
    assert due - p["spin_up_time_s"] + p["degraded_ignition_slip_s"] < abort_t < due + p["degraded_ignition_slip_s"]
    assert sorted(f.custody.tubes_at("mav")) == TUBES


def test_the_spinning_stage2_burn_rides_through_a_frozen_imu_to_orbit():
    """MAV-DEG-002: the stage-2 burn rides through a frozen IMU on the motor model."""
    run = fly("STAGE2_BURN", kind="stuck", target="imu0")
    assert names(run, "FAULT_DETECTED") and names(run, "ABORT_CAUSE") == []
    assert run.topology["flight"].mode == "PASSIVE"
    rp, ra = truth_orbit_km(run)
    assert abs(rp - 343.0) < 5.0 and abs(ra - 343.0) < 5.0, (rp, ra)


# ---------------------------------------------------------------- the navigator's checks
class FakeImu:
    name = "imu0"

    def __init__(self):
        self.sample = ImuReading(0, (0.0, 0.0, 0.0), (0.0, 0.0, 0.0))
        self.fail = False

    def read(self):
        if self.fail:
            raise DeviceTimeout("no data", self.name)
        return self.sample


class NoStar:
    name = "star_tracker0"

    def read(self):
        raise DeviceTimeout("off", self.name)


def navigator():
    imu = FakeImu()
    nav = MavNavigator("nav", imu, NoStar())
    nav.start(0, q=(1.0, 0.0, 0.0, 0.0))
    return nav, imu


def feed(nav, imu, t_ns, accel, fresh=True):
    if fresh:
        imu.sample = ImuReading(t_ns, accel, (0.0, 0.0, 0.0))
    nav.step(t_ns)


def test_an_implausible_coast_accelerometer_is_rejected_and_gravity_carries_the_state():
    clean, imu_c = navigator()
    bad, imu_b = navigator()
    for k in range(1, 51):
        t = k * 20_000_000
        feed(clean, imu_c, t, (0.0, 0.0, 0.0))
        feed(bad, imu_b, t, (300.0, 300.0, 300.0))
    assert bad.tlm["accel_rejected"] == 50 and not bad.accel_valid and bad.imu_valid
    assert bad.r == pytest.approx(clean.r, abs=1e-6) and bad.v == pytest.approx(clean.v, abs=1e-9)


def test_a_frozen_or_missing_sample_marks_the_imu_invalid_until_a_fresh_one():
    nav, imu = navigator()
    feed(nav, imu, 20_000_000, (0.0, 0.0, 0.0))
    assert nav.imu_valid
    feed(nav, imu, 40_000_000, None, fresh=False)          # the same sample again: frozen
    assert not nav.imu_valid and nav.tlm["imu_age_s"] == pytest.approx(0.02)
    imu.fail = True
    feed(nav, imu, 60_000_000, None, fresh=False)
    assert not nav.imu_valid and nav.tlm["imu_faults"] == 1
    imu.fail = False
    feed(nav, imu, 80_000_000, (0.0, 0.0, 0.0))
    assert nav.imu_valid and nav.tlm["imu_age_s"] == 0.0


def test_a_gap_in_a_burn_is_bridged_by_the_thrust_model():
    """MAV-BUS-002: Thrust 20 m/s^2 along the nose: a 1 s gap (a crashed step) bridged by the model
    leaves the navigated velocity where a navigator that never missed a sample has it."""
    steady, imu_s = navigator()
    gap, imu_g = navigator()
    for nav in (steady, gap):
        nav.thrust_model = lambda t_s: 20.0
    for k in range(1, 101):
        t = k * 20_000_000
        feed(steady, imu_s, t, (20.0, 0.0, 0.0))
        if not 25 <= k < 75:                              # 1 s without a navigation step
            feed(gap, imu_g, t, (20.0, 0.0, 0.0))
    assert gap.tlm["bridged_s"] == pytest.approx(1.02)
    dv = math.dist(gap.v, steady.v)
    assert dv < 0.05, dv
    # the sample after the gap reads 5 m/s^2 (the motor really gives 20): the trapezoid of
    # the gap's edges would lose ~7.5 m/s over the second; the model loses only the one step
    odd, imu_o = navigator()
    odd.thrust_model = lambda t_s: 20.0
    for k in range(1, 101):
        if not 25 <= k < 75:
            feed(odd, imu_o, k * 20_000_000, (5.0 if k == 75 else 20.0, 0.0, 0.0))
    assert math.dist(odd.v, steady.v) < 0.5
