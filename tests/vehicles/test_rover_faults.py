"""Rover fault protection: a stuck drive (no progress), a blind navcam (hold, then resume or
safe), and thresholds that come from the rover's own parameters."""
from types import SimpleNamespace

from fsw.vehicles.lander import build_lander
from fsw.vehicles.rover import faults as rover_faults
from fsw.vehicles.rover.navigation import RoverNavigation
from fsw.vehicles.rover.vehicle import build_rover
from hal.errors import DeviceTimeout
from sim.deployment import Deployment
from sim.faults.run import fly_with_faults
from sim.faults.spec import FaultSpec


class Camera:
    """A navcam that fails while `dead` is set."""
    name = "navcam"

    def __init__(self):
        self.dead = True

    def read(self):
        if self.dead:
            raise DeviceTimeout("no data (dropout)", self.name)
        return SimpleNamespace(t_ns=0, detected=0, los_unit=(0.0, 0.0, -1.0))


def held_rover(camera):
    """The rover's components wired (build_rover), off the deck, stopped in HAZARD_STOP;
    mobility watches the navcam and holds (ROV-MOB-006)."""
    fsw = build_rover({"navcam": camera}, delivery="perseverance")
    m = fsw.mobility
    m.set_param("hold_clear_s", 0.5)
    m.set_param("hold_timeout_s", 3.0)
    m.set_param("navcam_poll_cycles", 1)     # the first step's frame already fails
    fsw.rover.force_mode("HAZARD_STOP")
    return fsw


def fly(fsw, n, t=0):
    for _ in range(n):
        t += 100_000_000
        for c in fsw.components:
            c.step(t)
            fsw.topology.bus.deliver()
    return t


def test_a_blind_rover_holds_then_replans_once_the_navcam_answers():
    """ROV-MOB-006: blind, the rover holds in HAZARD_STOP (a hold, not a hazard stop); the
    navcam answering for `hold_clear_s` clears it (IDLE)."""
    cam = Camera()
    fsw = held_rover(cam)
    r, m = fsw.rover, fsw.mobility
    t = fly(fsw, 10)
    assert r.mode == "HAZARD_STOP" and m.tlm["holds"] == 1 and m.tlm["navcam_faults"] > 0
    cam.dead = False
    fly(fsw, 15, t)
    assert r.mode == "IDLE"
    names = [e.name for e in fsw.topology.events if e.component == "rover_mobility"]
    assert names.count("HOLD") == 1 and "HOLD_CLEARED" in names
    assert m._stops_in_a_row == 0      # a hold is not counted as a hazard stop


def test_a_rover_blind_past_the_hold_timeout_safes():
    """ROV-MOB-006: still blind after `hold_timeout_s`, the rover safes."""
    fsw = held_rover(Camera())
    fly(fsw, 40)
    assert fsw.rover.mode == "SAFE"
    assert "HOLD_TIMEOUT" in [e.name for e in fsw.topology.events]


def test_thresholds_come_from_the_rover_parameters():
    """ROV-NAV-006: fault protection's lost and no-progress limits are navigation's parameters."""
    fsw = build_rover()
    assert fsw.nav.set_param("lost_bound_m", 6.5)
    assert fsw.nav.set_param("no_progress_s", 3.0)
    fsw.topology.add(build_lander().sta)
    table = {m.name: m for m in rover_faults.fault_table(fsw.topology)}
    assert table["rover_lost"].hi == 6.5 and table["rover_no_progress"].hi == 3.0
    assert table["rover_navcam_stale"].response[0].trigger == "hazard"
    # nominal returns reach ~3.4 m (seeds 1-6): the default keeps clear of them
    assert RoverNavigation("n").params["lost_bound_m"] > 2 * 3.4


def traverse_fault(kind, target, duration_s=5.0, watch_s=60.0):
    spec = FaultSpec(kind, target, when="rover:TRAVERSE", delay_s=0.2, duration_s=duration_s)
    return fly_with_faults(Deployment("fetch", 1), [spec], duration_s=40.4 + watch_s)


def detections(run):
    return [r.args["monitor"] for r in run.records if r.name == "FAULT_DETECTED"]


def test_stuck_wheels_show_no_progress_and_safe_the_rover():
    run = traverse_fault("actuator_stuck", "wheels", watch_s=8.0)
    assert "rover_no_progress" in detections(run)
    det = next(r for r in run.records if r.name == "FAULT_DETECTED" and r.args["monitor"] == "rover_no_progress")
    inj = run.injector.injections[0]
    assert (det.t_ns - inj.start_ns) / 1e9 <= 3.0        # no_progress_s (2 s) + one fdir cycle
    assert run.topology["rover"].mode == "SAFE"


def test_navcam_dropout_holds_the_rover_and_it_drives_on_after():
    run = traverse_fault("dropout", "navcam", watch_s=20.0)
    assert detections(run) == ["rover_navcam_stale"]
    names = [(r.component, r.name) for r in run.records]
    assert ("rover_mobility", "HOLD") in names and ("rover_mobility", "HOLD_CLEARED") in names
    modes = [r.args["dest"] for r in run.records if r.name == "MODE_CHANGED" and r.component == "rover"]
    assert modes[-3:] == ["HAZARD_STOP", "IDLE", "TRAVERSE"]
    assert "SAFE" not in modes


def test_no_alarm_in_a_clean_egress_and_traverse_start():
    """Starting from rest the odometer advances within a cycle; the navcam answers every poll."""
    run = fly_with_faults(Deployment("fetch", 1), [], duration_s=40.4 + 20.0, stop_on_done=False)
    assert detections(run) == []
    rover, nav = run.topology["rover"], run.topology["rover_nav"]
    mob = run.topology["rover_mobility"]
    assert rover.mode == "TRAVERSE" and nav.tlm["stalled_s"] == 0.0
    assert run.topology["rover_pickup"].tlm["navcam_faults"] == 0 and mob.tlm["navcam_faults"] == 0
