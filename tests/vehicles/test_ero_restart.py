"""ERO warm restart: the checkpoint round-trips (custody, verified steps, retries, filter, legs,
burn and steering, hold and cruise times), a reset in any containment phase resumes and
completes with every tube in custody once, a reset after containment was verified reads the
seals again before anything goes towards the EEV (and holds if they cannot vouch for it),
and resets in the far range and during a far-range burn carry on without an alarm."""
import json

import numpy as np
import pytest

from fsw.vehicles.ero import build_ero
from sim.deployment import Deployment
from sim.faults.run import fly_with_faults
from sim.faults.spec import FaultSpec

from .test_ero_ccrs import Rig

S = 1_000_000_000
NEAR = {"start_behind_km": 100.0}


def saved(rig):
    """The checkpoint of every ERO component, as the store writes it (canonical JSON and back)."""
    return {c.name: json.loads(json.dumps(c.checkpoint_state(), sort_keys=True, allow_nan=False)) for c in rig.ero.gnc()}


def reboot(rig, state):
    """A fresh flight side on the same devices, restored from `state` (the processor reset)."""
    rig.ero = build_ero(rig.m.dev)
    rig.m, rig.c = rig.ero.capture, rig.ero.containment
    for component in rig.ero.gnc():
        component.restore_state(state[component.name])


def events_after_reset(rig):
    return [(e.name, dict(e.args)) for e in rig.ero.topology.events
            if e.name in ("MODE_CHANGED", "STEP_VERIFIED", "RESUMED", "CUSTODY_CHECK", "CONTAINMENT_NOT_VERIFIED")]


@pytest.mark.parametrize("mode", ["CAPTURE", "ORIENT", "CONTAIN", "BREAK_THE_CHAIN", "EEV_TRANSFER",
                                  "EARTH_CRUISE", "EEV_RELEASE", "CONTAINMENT_HOLD"])
def test_a_reset_in_each_containment_phase_resumes_with_custody_intact(mode):
    rig = Rig(2, containment_fault=(mode == "CONTAINMENT_HOLD"))
    assert rig.run_until((mode,)) == mode
    state = saved(rig)                         # as saved on the mode change
    rig.run_until(("-",), limit_s=3.0)           # work done after the checkpoint, then lost
    reboot(rig, state)
    assert rig.m.mode == mode and rig.c.custody.snapshot() == [(7, loc) for _, loc in state["containment"]["custody"]]
    end = rig.run_until(("COMPLETE", "CONTAINMENT_HOLD", "SAFE") if mode != "CONTAINMENT_HOLD" else ("-",),
                        limit_s=3000.0 if mode != "CONTAINMENT_HOLD" else 60.0)
    names = [n for n, _ in events_after_reset(rig)]
    assert "RESUMED" in names[:2] and "CUSTODY_CHECK" in names
    check = next(a for n, a in events_after_reset(rig) if n == "CUSTODY_CHECK")
    assert check["ok"] is True
    if mode == "CONTAINMENT_HOLD":
        assert end == "CONTAINMENT_HOLD" and rig.c.custody.snapshot() == [(7, "ero")]
        assert not rig.ccrs.truth()["in_eev"]
    else:
        assert end == "COMPLETE", events_after_reset(rig)
        assert rig.c.custody.snapshot() == [(7, "eev")] and rig.ccrs.truth()["eev_released"]


@pytest.mark.parametrize("mode", ["BREAK_THE_CHAIN", "EEV_TRANSFER"])
def test_a_reset_after_containment_reverifies_the_seals_before_the_eev(mode):
    rig = Rig(4)
    rig.run_until((mode,))
    state = saved(rig)
    assert "contain" in state["containment"]["verified"]
    reboot(rig, state)
    rig.run_until(("EARTH_CRUISE", "CONTAINMENT_HOLD"))
    seq = [(n, a.get("step") or a.get("dest")) for n, a in events_after_reset(rig)
           if n in ("STEP_VERIFIED", "MODE_CHANGED")]
    assert seq[0] == ("STEP_VERIFIED", "contain")          # read again before anything else
    assert ("MODE_CHANGED", "EARTH_CRUISE") in seq and rig.c.custody.tubes_at("eev") == [7]


@pytest.mark.parametrize("mode", ["BREAK_THE_CHAIN", "EEV_TRANSFER"])
def test_a_reset_whose_seals_cannot_be_read_again_holds_the_os(mode):
    rig = Rig(4)
    rig.run_until((mode,))
    state = saved(rig)
    rig.m.dev.secondary_check.channel.set_fault("dropout")
    reboot(rig, state)
    assert rig.run_until(("CONTAINMENT_HOLD", "EARTH_CRUISE"), limit_s=60.0) == "CONTAINMENT_HOLD"
    assert not rig.c.verified("contain") and rig.c.custody.tubes_at("eev") == []
    assert "CONTAINMENT_NOT_VERIFIED" in [n for n, _ in events_after_reset(rig)]
    assert not rig.ccrs.truth()["in_eev"]
    assert not rig.m.trigger("sterilised")


# ---------------------------------------------------------------- rendezvous, in SIL
def fly(*specs, duration_s):
    run = fly_with_faults(Deployment("capture", 1, dict(NEAR)), specs, duration_s=duration_s)
    assert run.unhandled is None, run.unhandled
    return run


def first_leg_s():
    run = fly(duration_s=1500.0)
    return next(r.t_ns for r in run.records if r.name == "LEG_PLANNED") / S, run


def test_the_checkpoint_round_trips_mid_burn():
    t_leg, _ = first_leg_s()
    run = fly(duration_s=t_leg + 5.0)
    m = run.topology["ccrs"]
    nav = run.topology["relnav"]
    assert m.g.burning() and m.g.legs and nav.nav is not None
    state = json.loads(json.dumps(m.checkpoint_state(), sort_keys=True))
    fresh = build_ero(m.dev).capture
    fresh.restore_state(state)
    again = json.loads(json.dumps(fresh.checkpoint_state(), sort_keys=True))
    assert {k: v for k, v in again.items() if k != "thrusting"} == {k: v for k, v in state.items() if k != "thrusting"}
    fresh_nav = build_ero(m.dev).relnav
    fresh_nav.restore_state(json.loads(json.dumps(nav.checkpoint_state(), sort_keys=True)))
    assert np.array_equal(fresh_nav.nav.P, nav.nav.P) and fresh_nav.nav.x.tolist() == nav.nav.x.tolist()


@pytest.mark.parametrize("delay_s", [0.2, "burn"])
def test_a_reset_in_far_range_carries_on_without_an_alarm(delay_s):
    """A reset at far-range entry, and one 3 s into the transfer burn (the RCS held its last
    command through the reboot: the manager stops it, widens its estimate, re-flies the burn)."""
    if delay_s == "burn":
        t_leg, nominal = first_leg_s()
        t_far = next(r.t_ns for r in nominal.records if r.name == "MODE_CHANGED" and r.args["dest"] == "FAR_RANGE") / S
        delay_s = t_leg - t_far + 3.0
    spec = FaultSpec("reset", when="ccrs:FAR_RANGE", delay_s=delay_s)
    run = fly(spec, duration_s=1500.0)
    assert run.restarts == 1 and run.restore_notes[0]["not_restored"] == {}
    alarms = [r.args["monitor"] for r in run.records if r.name == "FAULT_DETECTED"]
    assert alarms == ["processor_reset"]
    assert [r.name for r in run.records if r.name == "RESUMED"] == ["RESUMED"]
    m = run.topology["ccrs"]
    assert m.mode == "FAR_RANGE" and run.topology["containment"].custody.snapshot() == [(t, "orbit") for t in range(1, 11)]
    assert not [r for r in run.records if r.name == "STEP_FAULT"]
