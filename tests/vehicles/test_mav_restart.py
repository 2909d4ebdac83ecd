"""MAV warm restart: a processor reset in any phase restores custody and the ascent state,
raises nothing, and follows the restart rule (count -> HOLD and a new checkout; burn ->
continue if the restored navigation is young enough, else abort; coast -> continue)."""
import json

import pytest

from fsw.core import SimClock
from fsw.core.restart import capture, restore
from sim.deployment import Deployment
from sim.faults.run import fly_with_faults
from sim.faults.spec import FaultSpec
from sim.plants import AscentPlant

TUBES = list(range(1, 11))


def reset_run(phase, delay_s=0.2, **overrides):
    return fly_with_faults(Deployment("ascent", 1, overrides), [FaultSpec("reset", when=f"flight:{phase}",
                                                                          delay_s=delay_s)])


def events(run, name):
    return [r for r in run.records if r.name == name]


def truth_orbit_km(run):
    part = next(p for p in run.plant.parts if isinstance(p, AscentPlant))
    el = part.truth()["elements"]
    return el["periapsis_alt_m"] / 1e3, el["apoapsis_alt_m"] / 1e3


def no_exception(run):
    assert run.unhandled is None, run.unhandled
    assert events(run, "STEP_FAULT") == []
    assert all(not n["not_restored"] and not n["refused"] for n in run.restore_notes), run.restore_notes


@pytest.mark.parametrize("phase", ["STAGE1_BURN", "COAST", "STAGE2_BURN"])
def test_a_reset_in_flight_continues_to_orbit_with_custody(phase):
    """MAV-RST-002, MAV-PH-003: a reset in any flight phase with fresh navigation flies on to orbit with every tube."""
    run = reset_run(phase)
    assert run.restarts == 1
    no_exception(run)
    rules = [r.args["rule"] for r in events(run, "RESTART_RULE")]
    assert len(rules) == 1 and rules[0].startswith("continue"), rules
    assert events(run, "ABORT_CAUSE") == []
    f = run.topology["flight"]
    assert f.mode == "PASSIVE" and f.custody.tubes_at("orbit") == TUBES
    rp, ra = truth_orbit_km(run)
    assert abs(rp - 343.0) < 5.0 and abs(ra - 343.0) < 5.0, (rp, ra)


@pytest.mark.parametrize("phase", ["STAGE1_BURN", "STAGE2_BURN"])
def test_a_reset_in_a_burn_with_stale_navigation_aborts_by_rule(phase):
    """MAV-RST-002: navigation older than restart_nav_max_age_s after a reset in a burn aborts, nothing lost."""
    # checkpoints are ~0.3 s old at the reset; a 0.1 s limit makes them stale
    run = reset_run(phase, **{"flight.restart_nav_max_age_s": 0.1})
    no_exception(run)
    rules = [r.args["rule"] for r in events(run, "RESTART_RULE")]
    assert len(rules) == 1 and rules[0].startswith("abort: navigation"), rules
    assert [r.args["cause"] for r in events(run, "ABORT_CAUSE")][0].startswith("restart with navigation")
    modes = [r.args["dest"] for r in events(run, "MODE_CHANGED") if r.component == "flight"]
    assert "ABORT" in modes
    f = run.topology["flight"]
    assert sorted(f.custody.tubes_at("mav") + f.custody.tubes_at("orbit")) == TUBES   # nothing lost


def test_a_reset_in_the_count_holds_and_the_checkout_must_be_repeated():
    """MAV-RST-001: a reset in the count holds it; RESUME is refused until RECHECK passes."""
    run = reset_run("ARMED")
    no_exception(run)
    f = run.topology["flight"]
    assert f.mode == "HOLD" and not f.checkout.passed and not f.launched
    assert [r.args["cause"] for r in events(run, "LAUNCH_HOLD")] == ["processor reset"]
    assert f.custody.tubes_at("os") == TUBES and f.loading.sealed
    for ig in (f.dev.ign1, f.dev.ign2):                # armed before the reset, safe now
        assert not ig.read().armed and not ig.read().fired
    topo = run.topology
    assert not topo.dispatch("flight.RESUME").ok       # the count cannot resume without a checkout
    assert topo.dispatch("flight.RECHECK").ok
    run.executive.run(until_ns=run.executive.now_ns() + int(6e9))
    assert f.checkout.passed and f.mode in ("COUNTDOWN", "ARMED")   # the count runs again


def run_until(ex, topo, mode, limit_s=800.0):
    end = ex.now_ns() + int(limit_s * 1e9)
    ex.run(until_ns=end, stop_when=lambda: topo["flight"].mode == mode)
    assert topo["flight"].mode == mode


def test_checkpoint_round_trip_is_whole_and_plain_json():
    """MAV-PH-003: What each MAV component saves mid-coast comes back identical after a restore."""
    dep = Deployment("ascent", 1, {})
    plant = dep.plant()
    devices = dep.sim_devices(plant)
    clock = SimClock(plant.now_ns())
    clock.attach(plant)
    topo, ex = dep.flight(devices, clock)
    run_until(ex, topo, "COAST")
    ex.run(until_ns=ex.now_ns() + int(2e9))
    state = json.loads(json.dumps(capture(topo, ex), allow_nan=False))
    topo2, ex2 = dep.flight(devices, clock)
    report = restore(topo2, ex2, state, clock.now_ns())
    assert not report.refused and not report.not_restored
    for name in ("flight", "nav", "acs", "thermal"):
        again = json.loads(json.dumps(topo2[name].checkpoint_state()))
        assert again == state["components"][name], name
    f2 = topo2["flight"]
    assert f2.plan is not None and f2.launch_t_s == topo["flight"].launch_t_s
    assert f2.custody.tubes_at("mav") == TUBES


def test_a_throw_after_the_last_checkpoint_is_found_from_the_pyro():
    """MAV-RST-003: Restored in ARMED but the launch pyro has fired: the MAV is flying, not held."""
    dep = Deployment("ascent", 1, {})
    plant = dep.plant()
    devices = dep.sim_devices(plant)
    clock = SimClock(plant.now_ns())
    clock.attach(plant)
    topo, ex = dep.flight(devices, clock)
    run_until(ex, topo, "ARMED")
    run_until(ex, topo, "LAUNCH")
    state = capture(topo, ex)
    state["components"] = json.loads(json.dumps(state["components"]))
    state["components"]["flight"]["mode"] = "ARMED"          # a checkpoint from before the throw
    state["components"]["flight"]["launched"] = False
    state["components"]["flight"]["custody"] = [[t, "os"] for t in TUBES]
    state["components"]["nav"]["active"] = False
    topo2, ex2 = dep.flight(devices, clock)
    restore(topo2, ex2, state, clock.now_ns())
    ex2.run(until_ns=clock.now_ns() + int(3e9))
    f = topo2["flight"]
    assert f.launched and f.mode == "STAGE1_BURN" and f.custody.tubes_at("mav") == TUBES
    assert any("thrown" in dict(e.args)["rule"] for e in topo2.events if e.name == "RESTART_RULE")


def test_a_board_that_reboots_in_the_coast_re_arms_its_stage_2_igniter():
    """MAV-IGN-001: A rebooted board starts with fresh device objects: an igniter's command carries arm and
    fire, so without re-arming, its fire() would say arm=0 and the armed motor would refuse
    it (the MAV would coast into the ground). Found by tests/hil/test_power_cut.py."""
    dep = Deployment("ascent", 1)
    plant = dep.plant()
    clock = SimClock(plant.now_ns())
    clock.attach(plant)
    devices = dep.sim_devices(plant)
    topo, ex = dep.flight(devices, clock)
    flight = topo["flight"]
    ex.run(stop_when=lambda: flight.mode == "COAST")
    ex.run(until_ns=ex.now_ns() + 20 * 10**9)
    state = json.loads(json.dumps(capture(topo, ex)))
    fresh = dep.sim_devices(plant)                        # the new boot's device objects
    assert fresh["igniter2"].last_command == {"arm": 0, "fire": 0}
    topo2, ex2 = dep.flight(fresh, clock)
    restore(topo2, ex2, state, clock.now_ns())
    ex2.run(stop_when=lambda: topo2["flight"].mode in ("ORBIT_INSERTION", "ABORT", "PASSIVE"),
            until_ns=ex2.now_ns() + 900 * 10**9)
    part = next(p for p in plant.parts if isinstance(p, AscentPlant))
    assert part.truth()["events"]["ignition_s"][1] is not None       # the motor lit
    assert topo2["flight"].mode == "ORBIT_INSERTION"
