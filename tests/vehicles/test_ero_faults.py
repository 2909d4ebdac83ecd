"""ERO fault protection: each fault the capture matrix injects is seen by a monitor of the ERO
table (or a generic one) and answered by phase: a lost camera in far range goes back to
SEARCH and reacquires, a failed RCS safes the approach, a crash of the manager in the quiet
far range is seen, a lost track inside lidar range nulls the relative velocity (never
coasts on blind), a sensor lost in the final approach backs off, and a containment sensor
fault holds the OS out of the EEV."""
import numpy as np
import pytest

from fsw.core.fdir import FaultProtection
from fsw.vehicles.ero import DEVICE_KINDS, EroDevices, build_ero
from fsw.vehicles.ero.faults import fault_table
from hal.config import build_devices
from hal.table_plant import TablePlant
from sim.deployment import Deployment
from sim import registry

CASES = {name: registry.scenario(name).fault_cases for name in ("capture", "landing")}
from sim.faults.run import fly_with_faults
from sim.faults.spec import FaultSpec

from .test_ero_ccrs import Rig

S = 1_000_000_000
NEAR = {"start_behind_km": 100.0}     # the matrix's geometry: far range 90 s after the start


def fly(*specs, duration_s):
    run = fly_with_faults(Deployment("capture", 1, dict(NEAR)), specs, duration_s=duration_s)
    assert run.unhandled is None, run.unhandled
    return run


def detected(run):
    return [r.args["monitor"] for r in run.records if r.name == "FAULT_DETECTED"]


def modes(run, after_ns=0):
    return [r.args["dest"] for r in run.records if r.name == "MODE_CHANGED" and r.component == "ccrs"
            and r.t_ns >= after_ns]


def tubes(run):
    return run.topology["containment"].custody.snapshot()


def test_a_lost_camera_in_far_range_drops_back_to_search_and_reacquires():
    spec = FaultSpec("dropout", "nac", when="ccrs:FAR_RANGE", delay_s=0.2, duration_s=100.0)
    run = fly(spec, duration_s=400.0)
    t0 = run.injector.injections[0].start_ns
    assert detected(run)[0] == "nac_lost"
    assert modes(run, t0)[:2] == ["SEARCH", "FAR_RANGE"]          # held off, then reacquired
    back = next(r for r in run.records if r.name == "MODE_CHANGED" and r.t_ns > t0 and r.args["dest"] == "FAR_RANGE")
    assert back.t_ns >= run.injector.injections[0].end_ns         # not while the camera was out
    assert [loc for _, loc in tubes(run)] == ["orbit"] * 10


def test_a_failed_rcs_is_seen_while_coasting_and_safes_the_approach():
    spec = FaultSpec("actuator_failed", "rcs", when="ccrs:FAR_RANGE", delay_s=0.2, duration_s=35.0)
    run = fly(spec, duration_s=200.0)
    assert detected(run)[0] == "rcs_fault"
    assert run.topology["ccrs"].mode == "SAFE"


def test_a_crash_in_the_quiet_far_range_is_seen_once_it_outlasts_a_quiet_cycle():
    """The manager steps every QUIET_DIVISOR s in far range: the matrix's crash lasts longer."""
    assert CASES["capture"].fault_s > 30.0
    spec = FaultSpec("crash", "ccrs", when="ccrs:FAR_RANGE", delay_s=0.2, duration_s=CASES["capture"].fault_s)
    run = fly(spec, duration_s=150.0)
    assert "step_fault" in detected(run)


def test_nominal_far_range_raises_no_alarm():
    run = fly(duration_s=1500.0)            # the drift, the transfer planned, its first burn
    assert detected(run) == []
    assert any(r.name == "LEG_PLANNED" for r in run.records)


# ---------------------------------------------------------------- close range, on a table
class Table:
    def __init__(self, mode, rel=(0.0, 400.0, 0.0, 0.0, -0.8, 0.0)):
        self.plant = TablePlant(DEVICE_KINDS)
        self.devices = build_devices({n: {"kind": k} for n, k in DEVICE_KINDS.items()}, plant=self.plant)
        self.ero = build_ero(EroDevices.from_set(self.devices))
        self.m = self.ero.capture
        self.ero.relnav.dispatch("REL_STATE_PRIOR", dict(zip(("x", "y", "z", "vx", "vy", "vz"), rel),
                                                sigma_pos_m=0.5, sigma_vel_mps=0.01))
        self.m.force_mode(mode)
        self.ero.topology.bus.deliver()        # the estimate and the mode, as a tick would
        self.fdir = FaultProtection("fdir", self.ero.topology, fault_table(self.ero.topology))
        self.k = 0

    def tick(self, n=1):
        for _ in range(n):
            self.k += 1
            self.plant.advance_to(self.k * S // 10)
            self.ero.step(self.k * S // 10)
            self.fdir.step(self.k * S // 10)


def test_a_lost_track_inside_lidar_range_nulls_the_closing_speed_before_reacquiring():
    t = Table("CLOSE_RANGE")          # OS 400 m ahead, closing at 0.8 m/s
    t.m.on_enter_CLOSE_RANGE()
    t.tick()
    assert t.m.g.legs
    t.devices["nac"].channel.set_fault("dropout")
    t.tick(5)
    assert t.m.mode == "SEARCH" and t.m.g.legs == []
    assert np.allclose(t.m.g.burn_dv, [0.0, -0.8, 0.0], atol=0.05)   # the ERO's 0.8 m/s toward the OS undone
    assert not t.ero.rates.quiet()                                         # flown at 10 Hz, not every 30 s
    names = [e.name for e in t.ero.topology.events]
    assert "NAV_HOLD" in names and names.count("DEVICE_FAULT") == 1  # one event per run of faults


def test_a_lost_lidar_in_the_final_approach_backs_off():
    t = Table("FINAL_APPROACH", rel=(0.0, 60.0, 0.0, 0.0, -0.2, 0.0))
    t.m.on_enter_FINAL_APPROACH()
    t.plant.set("nac", los_unit=(0.0, 1.0, 0.0), detected=1)
    t.plant.set("lidar0", range_m=60.0, range_rate_mps=-0.2, valid=1)
    t.tick(5)
    assert t.m.mode == "FINAL_APPROACH" and t.ero.relnav.tlm["lidar_faults"] == 0
    t.devices["lidar0"].channel.set_fault("dropout")
    t.tick(10)
    assert t.ero.relnav.tlm["lidar_faults"] > 0 and t.m.mode == "BACK_OFF" and t.m.retries == 1
    assert t.fdir.state["lidar_lost"].trips == 1


def test_a_lidar_range_bias_is_refused_by_the_filter_and_seen():
    t = Table("HOLD_POINT", rel=(0.0, 100.0, 0.0, 0.0, 0.0, 0.0))
    t.m._hold_since = 0.0
    t.plant.set("lidar0", range_m=100.0, valid=1)
    t.plant.set("nac", los_unit=(0.0, 1.0, 0.0), detected=1)
    t.tick(30)
    assert t.ero.relnav.tlm["nav_refused_run"] == 0
    t.plant.set("lidar0", range_m=125.0, valid=1)
    t.tick(40)
    assert t.fdir.state["relnav_refusing"].trips == 1
    dests = [dict(e.args)["dest"] for e in t.ero.topology.events if e.name == "MODE_CHANGED"]
    assert dests[:2] == ["SEARCH", "FAR_RANGE"]      # dropped back, reacquired on the camera


def test_the_rcs_is_polled_when_no_burn_is_due():
    t = Table("HOLD_POINT", rel=(0.0, 100.0, 0.0, 0.0, 0.0, 0.0))
    t.m._hold_since = 0.0
    t.tick(3)
    assert t.ero.rcs.tlm["rcs_faults"] == 0 and not t.m.g.burning()
    t.devices["rcs"].channel.set_fault("failed")
    t.tick(3)
    assert t.ero.rcs.tlm["rcs_faults"] >= 2 and t.m.mode == "SAFE"
    t.devices["rcs"].channel.set_fault(None)
    t.tick(2)
    assert t.ero.rcs.tlm["rcs_faults"] == 0


# ---------------------------------------------------------------- containment, on the CCRS plant
@pytest.mark.parametrize("mode, device", [("BREAK_THE_CHAIN", "secondary_check"), ("BREAK_THE_CHAIN", "btc_temp"),
                                          ("CONTAIN", "primary_check"), ("EEV_TRANSFER", "eev_slot"),
                                          ("EEV_TRANSFER", "primary_check")])
def test_a_containment_sensor_fault_holds_the_os_out_of_the_eev(mode, device):
    rig = Rig(1)
    fdir = FaultProtection("fdir", rig.ero.topology, fault_table(rig.ero.topology))
    assert rig.run_until((mode,)) == mode
    channel = {"secondary_check": rig.m.dev.secondary_check, "primary_check": rig.m.dev.primary_check,
               "btc_temp": rig.m.dev.btc_temp, "eev_slot": rig.m.dev.eev_slot}[device].channel
    if mode == "EEV_TRANSFER" and device == "eev_slot":
        rig.run_until(("EARTH_CRUISE",), limit_s=2.0)        # the arm on its way
    channel.set_fault("dropout")
    for _ in range(400):
        rig.k += 1
        rig.advance_to(rig.k * S // 10)
        rig.ero.step(rig.k * S // 10)
        fdir.step(rig.k * S // 10)
    assert rig.m.mode == "CONTAINMENT_HOLD"
    assert fdir.state["containment_not_verified"].trips == 1
    assert rig.c.custody.tubes_at("eev") == [] and rig.c.custody.tubes_at("ero") == [7]
    assert "CONTAINMENT_NOT_VERIFIED" in [e.name for e in rig.ero.topology.events]
    if device != "eev_slot":
        assert not rig.ccrs.truth()["in_eev"]


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_full_capture_matrix():
    """Every capture phase x fault: detected, no tube lost or duplicated, no exception, no
    false alarm, resets resume (the two-minute matrix of `msr faults capture`)."""
    from sim.faults.matrix import run_matrix
    result = run_matrix(["capture"], jobs=2)
    f = result["figures"]
    assert f["injected"] == f["runs"] and f["undetected"] == [] and f["false_alarms"] == {}
    assert f["tubes_lost"] == 0 and f["tubes_duplicated"] == 0 and f["exceptions"] == 0
    assert f["lost_vehicles"] == [] and not result["skipped"]
    resets = [r for r in result["rows"] if r["fault"] == "reset"]
    assert all(r["restarts"] == 1 and r["restore"][0]["not_restored"] == {} for r in resets)
