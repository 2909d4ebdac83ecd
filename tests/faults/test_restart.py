"""Warm restart (fsw.core.restart): what is saved, what comes back, and a bad checkpoint."""
import importlib

import pytest

from fsw.core import SimClock
from fsw.core.checkpoint import CheckpointStore
from fsw.core.restart import WarmRestart, capture, restore
from sim.deployment import Deployment
from sim.faults.run import fly_with_faults
from sim.faults.spec import FaultSpec

CUSTODY = importlib.import_module("sim.faults.carousel")
CAROUSEL = CUSTODY.SCENARIO


def flight_side(tmp_path, name="zone", module=None):
    """The deployment's own flight build, its warm restart on a durable store in tmp_path."""
    dep = Deployment(name, 1, {}, module)
    plant = dep.plant()
    devices = dep.sim_devices(plant)
    clock = SimClock(plant.now_ns())
    clock.attach(plant)
    topo, ex = dep.flight(devices, clock, store=CheckpointStore(tmp_path / "ck.json"))
    return dep, devices, clock, topo, ex, topo.protection.restart


def test_restore_puts_back_modes_counters_and_the_tick_grid(tmp_path):
    dep, devices, clock, topo, ex, wr = flight_side(tmp_path)
    ex.run(ticks=250)
    saved = capture(topo, ex)
    clock.charge(7 * ex.period_ns)            # the reset took 7 ticks
    topo2, ex2 = dep.flight(devices, clock, store=wr.store)
    assert isinstance(topo2.protection.restart, WarmRestart)
    report = restore(topo2, ex2, saved, clock.now_ns())
    assert topo2["zone"].mode == topo["zone"].mode != "IDLE"
    assert topo2["zone"].counters == topo["zone"].counters
    assert ex2.start_ns == ex.start_ns and ex2.ticks_run == ex.ticks_run
    assert ex2.start_ns + ex2.tick * ex2.period_ns > clock.now_ns()    # next deadline after the reset
    assert ex2.tick - ex.tick == 7                                      # the reboot's ticks, on the old grid
    assert report.lost_ns == 7 * ex.period_ns


def test_key_events_save_at_the_end_of_their_tick(tmp_path):
    *_, topo, ex, wr = flight_side(tmp_path, "carousel", CAROUSEL)
    ex.run(ticks=40)
    state = wr.store.load()
    aboard = [t for t, loc in state["components"]["picker"]["custody"] if loc == "rover"]
    assert aboard == topo["picker"].ledger.tubes_at("rover") and aboard   # saved on TUBE_MOVED
    assert wr.tlm["saves"] >= len(aboard) + 1


def test_a_corrupt_checkpoint_falls_back_or_cold_starts_with_an_event(tmp_path):
    *_, topo, ex, wr = flight_side(tmp_path)
    ex.run(ticks=30)
    wr.save()
    wr.store.path.write_bytes(b"garbage")            # torn newest copy: the previous one is used
    assert wr.resume(ex.now_ns() + ex.period_ns) is not None
    wr.store.prev.write_bytes(b"garbage too")
    assert wr.resume(ex.now_ns() + ex.period_ns) is None
    assert topo.events[-1].name == "COLD_START"


def test_a_save_that_cannot_be_written_is_an_event_not_a_crash(tmp_path):
    *_, topo, ex, wr = flight_side(tmp_path)
    wr.store.path = tmp_path / "missing-dir-is-a-file" / "ck.json"
    (tmp_path / "missing-dir-is-a-file").write_text("x")
    assert wr.save() is False
    assert wr.tlm["save_failures"] == 1 and topo.events[-1].name == "CHECKPOINT_FAILED"


@pytest.mark.parametrize("delay_s", [0.2, 0.9, 1.6, 2.3])
def test_reset_at_any_point_of_the_transfer_keeps_custody_exact(delay_s):
    dep = Deployment("carousel", 1, {}, CAROUSEL)
    run = fly_with_faults(dep, [FaultSpec("reset", when="picker:PICKING", delay_s=delay_s)])
    assert run.restarts == 1 and run.unhandled is None
    tubes = CUSTODY.DEFAULTS["tube_ids"]
    assert run.topology["picker"].ledger.snapshot() == [(t, "rover") for t in sorted(tubes)]
    assert sorted(run.plant.truth()["slots"]) == sorted(tubes)
    assert any(r.name == "CUSTODY_CHECK" and r.args["ok"] for r in run.records)
