"""MAV mode table: hypothesis stateful test against an independent oracle, exhaustive
structure, the launch-interlock properties, and the count holding on a failed interlock."""
import math

import pytest

from fsw.gnc.kepler import plane_normal
from fsw.core.modes import every_path_passes
from fsw.testing.modes import assert_sound, mode_machine_test
from fsw.vehicles.mav import DEVICE_KINDS, LAUNCH_INTERLOCKS, MAV_MODES, MavDevices, build_mav
from hal.config import build_devices
from hal.table_plant import TablePlant

FLIGHT = ("LAUNCH", "STAGE1_BURN", "COAST", "SPIN_UP", "STAGE2_BURN", "ORBIT_INSERTION")


def make_mav(plant=None):
    plant = plant or TablePlant(DEVICE_KINDS)
    devices = build_devices({n: {"kind": k} for n, k in DEVICE_KINDS.items()}, plant=plant)
    return build_mav(MavDevices.from_set(devices)), plant


def read_thermometers(mav, t_ns):
    """A thermal step and the bus delivery the executive would make (THERMAL_STATUS)."""
    mav.thermal.step(t_ns)
    mav.topology.bus.deliver()


def mav_oracle(mode, trig, g):
    """Written from the issue's requirements (MSR_FACTS.md), not from the table."""
    if mode == "PASSIVE":
        return None
    if trig == "safe":
        return None if mode == "SAFE" else "SAFE"
    go = all(g[i] for i in ("grain_warm", "rcs_warm", "os_sealed", "checkout_passed", "ero_plane_ok"))
    warm = g["thermal_ok"]
    if mode == "STOWED" and trig == "start_conditioning":
        return "THERMAL_CONDITIONING"
    if mode == "THERMAL_CONDITIONING":
        if trig == "begin_loading":
            return "OS_LOADING" if warm else None
        if trig == "begin_checkout":
            return "CHECKOUT" if warm and g["os_sealed"] else None
    if mode == "OS_LOADING" and trig == "end_loading_session":
        return "THERMAL_CONDITIONING"
    if mode == "CHECKOUT":
        if trig == "checkout_done":
            return "COUNTDOWN" if g["checkout_passed"] else "HOLD"
        if trig == "hold_count":
            return "HOLD"
    if mode == "COUNTDOWN":
        if trig == "arm":
            return "ARMED" if go else None
        if trig == "hold_count":
            return "HOLD"
    if mode == "ARMED":
        if trig == "launch":
            return "LAUNCH" if go else None
        if trig == "hold_count":
            return "HOLD"
    if mode == "HOLD":
        return {"resume_count": "COUNTDOWN" if g["checkout_passed"] else None,
                "recheck": "CHECKOUT", "recondition": "THERMAL_CONDITIONING"}.get(trig)
    sequence = {("LAUNCH", "ignite_stage1"): "STAGE1_BURN", ("STAGE1_BURN", "stage1_burnout"): "COAST",
                ("COAST", "begin_spin_up"): "SPIN_UP",
                ("STAGE2_BURN", "stage2_burnout"): "ORBIT_INSERTION",
                ("ORBIT_INSERTION", "insertion_done"): "OS_RELEASE", ("OS_RELEASE", "os_released"): "PASSIVE"}
    if (mode, trig) in sequence:
        return sequence[(mode, trig)]
    if mode == "SPIN_UP" and trig == "ignite_stage2":
        return "STAGE2_BURN" if g["spin_ok"] else None
    if trig == "abort" and mode in FLIGHT:
        return "ABORT"
    if trig == "release_os" and mode in ("ABORT", "SAFE"):
        return "OS_RELEASE" if g["in_orbit"] else None
    if mode == "SAFE" and trig == "recover":
        return None if g["has_launched"] else "THERMAL_CONDITIONING"
    return None


TestMavModes = mode_machine_test(lambda: make_mav()[0].flight, mav_oracle).TestCase


def test_mav_table_is_sound():
    assert_sound(make_mav()[0].flight)


@pytest.mark.parametrize("via", ["CHECKOUT", "COUNTDOWN", "ARMED", "LAUNCH"])
def test_no_path_to_ignition_skips_the_count(via):
    assert every_path_passes(MAV_MODES, "STAGE1_BURN", via)
    assert every_path_passes(MAV_MODES, "STAGE2_BURN", via)


def test_every_edge_that_advances_the_count_checks_every_interlock():
    for dest in ("ARMED", "LAUNCH"):
        edges = MAV_MODES.edges_into(dest)
        assert edges
        for e in edges:
            assert set(LAUNCH_INTERLOCKS) <= set(e.guards), e
    assert {e.source for e in MAV_MODES.edges_into("STAGE1_BURN")} == {"LAUNCH"}


def _ready_for_count(mav, plant):
    f = mav.flight
    for i in range(16):
        plant.set(f"tz{i}", temp_C=10.0)
    plant.set("t_grain", temp_C=5.0)
    plant.set("t_rcs", temp_C=10.0)
    plant.set("imu0", accel_mps2=(0.0, 0.0, -3.71))
    plant.set("star_tracker0", q_body_to_inertial=(1.0, 0.0, 0.0, 0.0), valid=1)
    read_thermometers(mav, 0)
    assert f.dispatch("START_CONDITIONING").ok
    assert f.dispatch("EXPECT_TUBES", {"tubes": "1,2"}).ok
    assert f.dispatch("BEGIN_LOADING").ok
    for t in (1, 2):
        assert f.dispatch("OS_TUBE_LOADED", {"tube": t}).ok
    assert f.dispatch("END_LOADING_SESSION").ok
    assert f.dispatch("SEAL_OS").ok
    assert f.set_param("launch_time_s", 1000.0)
    r, _ = mav.nav.site_state(int(1000.0 * 1e9))
    n = plane_normal(r, math.radians(25.0), (0.0, 0.0, 1.0))   # the site is in the ERO plane
    assert f.set_param("ero_raan_deg", math.degrees(math.atan2(n[0], -n[1])))
    assert f.set_param("ero_inc_deg", 25.0)
    assert f.ero_plane_ok()
    assert f.dispatch("BEGIN_CHECKOUT").ok


def test_cold_rcs_holds_the_count_with_an_event_naming_the_cause():
    """MAV-GND-002: a cold RCS holds the count with LAUNCH_HOLD naming rcs_warm; RESUME re-checks."""
    mav, plant = make_mav()
    _ready_for_count(mav, plant)
    f = mav.flight
    t = 0.0
    while f.mode == "CHECKOUT" and t < 20.0:
        plant.set("tvc", pitch_rad=f.dev.tvc.last_command["pitch_rad"])
        plant.advance_to(int(t * 1e9))
        f.step(int(t * 1e9))
        t += 0.1
    assert f.mode == "COUNTDOWN", [e.text for e in mav.topology.events][-5:]
    plant.set("t_rcs", temp_C=1.0)           # hydrazine about to freeze
    t = math.ceil(t) + 1.0                   # next thermometer sample
    plant.advance_to(int(t * 1e9))
    read_thermometers(mav, int(t * 1e9))
    f.step(int(t * 1e9))
    assert f.mode == "HOLD"
    holds = [e for e in mav.topology.events if e.name == "LAUNCH_HOLD"]
    assert holds and dict(holds[-1].args)["cause"] == "rcs_warm"
    assert f.dispatch("RESUME").ok and f.mode == "COUNTDOWN"   # the count itself re-checks
    f.step(int((t + 0.1) * 1e9))
    assert f.mode == "HOLD"                                      # still too cold
    plant.set("t_rcs", temp_C=6.0)
    t += 1.0
    plant.advance_to(int(t * 1e9))
    read_thermometers(mav, int(t * 1e9))
    assert f.dispatch("RESUME").ok
    f.step(int((t + 0.2) * 1e9))
    assert f.mode == "COUNTDOWN"


def test_ero_out_of_plane_holds_the_count():
    """MAV-GND-002, MAV-BUS-003: the ERO-plane interlock, on the navigator's site model."""
    mav, plant = make_mav()
    _ready_for_count(mav, plant)
    f = mav.flight
    f.set_param("ero_raan_deg", f.params["ero_raan_deg"] + 40.0)
    assert not f.ero_plane_ok()
    assert "ero_plane_ok" in f.failed_interlocks()


def test_seal_refused_when_the_os_holds_other_tubes():
    """MAV-GND-001: the OS is not sealed with other tubes than expected."""
    mav, plant = make_mav()
    f = mav.flight
    for i in range(16):
        plant.set(f"tz{i}", temp_C=10.0)
    plant.set("t_grain", temp_C=5.0)
    plant.set("t_rcs", temp_C=10.0)
    read_thermometers(mav, 0)
    f.dispatch("START_CONDITIONING")
    f.dispatch("EXPECT_TUBES", {"tubes": "1,2,3"})
    f.dispatch("BEGIN_LOADING")
    f.dispatch("OS_TUBE_LOADED", {"tube": 1})
    f.dispatch("OS_TUBE_LOADED", {"tube": 7})
    assert not f.dispatch("SEAL_OS").ok
    assert not f.os_sealed()
    assert not f.dispatch("OS_TUBE_LOADED", {"tube": 7}).ok   # never counted twice
    assert f.custody.tubes_at("os") == [1, 7]
