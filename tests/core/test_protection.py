"""The flight side's fault protection: install on any executive, dead components that recover,
a link watch that counts verified uplink and keeps counting across a reset."""
from __future__ import annotations

import types

from fsw.core import Component, Executive, SimClock, Topology
from fsw.core.checkpoint import CheckpointStore
from fsw.core.fdir import Action
from fsw.core.linkwatch import LinkWatch
from fsw.core.protection import install_protection
from fsw.core.restart import capture, restore
from fsw.core.time import NS_PER_S
from fsw.link.ingest import feed_link_watch
from fsw.link.telecommand import TelecommandEncoder

from tests.link.kit import KEYS, linked_testbed


class Flaky(Component):
    """Raises while `broken`."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.broken = False

    def step(self, t_ns: int) -> None:
        if self.broken:
            raise RuntimeError("bad sector")


TABLES = types.SimpleNamespace(fault_table=lambda topo: (), SAFE_RESPONSE=(Action("flaky", "nothing"),),
                               LINK_TIMEOUT_S=3.0)


def _flight(tmp_path):
    clock = SimClock(0)
    ex = Executive(clock, 50)
    ex.add_rate_set("quiet", 1)
    flaky = Flaky("flaky")
    topo = Topology("toy", [flaky])
    ex.add_group("fast", 1, [flaky])
    ex.add_group("quiet", 1, [flaky], rate_set="quiet")
    prot = install_protection(topo, ex, TABLES, CheckpointStore(tmp_path / "ck.json"))
    return topo, ex, flaky, prot


def _detected(topo):
    return [dict(e.args)["monitor"] for e in topo.events if e.name == "FAULT_DETECTED"]


def test_every_rate_set_gets_the_fdir_group_and_a_crash_is_detected(tmp_path):
    topo, ex, flaky, prot = _flight(tmp_path)
    assert {g.name for rs in ex.rate_sets.values() for g in rs.groups if g.name == "fdir"} == {"fdir"}
    assert all(any(g.name == "fdir" for g in rs.groups) for rs in ex.rate_sets.values())
    ex.run(until_ns=NS_PER_S)
    assert _detected(topo) == []                     # a clean second: no alarm
    flaky.broken = True
    ex.run(until_ns=2 * NS_PER_S)
    assert "step_fault" in _detected(topo) and "component_dead" in _detected(topo)
    assert prot.health.dead == {"flaky"}


def test_a_dead_component_that_runs_clean_again_recovers(tmp_path):
    topo, ex, flaky, prot = _flight(tmp_path)
    flaky.broken = True
    ex.run(until_ns=NS_PER_S)
    assert prot.health.tlm["components_dead"] == 1
    flaky.broken = False
    ex.run(until_ns=int(1.5 * NS_PER_S))             # 5 clean health runs: not yet
    assert prot.health.dead == {"flaky"}
    ex.run(until_ns=4 * NS_PER_S)
    assert prot.health.dead == set() and prot.health.tlm["components_dead"] == 0
    assert [e.name for e in topo.events].count("COMPONENT_RECOVERED") == 1


def test_dead_set_and_ground_silence_survive_a_warm_restart(tmp_path):
    topo, ex, flaky, prot = _flight(tmp_path)
    flaky.broken = True
    ex.run(until_ns=2 * NS_PER_S)                    # never heard the ground: 2 s of silence
    state = capture(topo, ex)
    topo2, ex2, flaky2, prot2 = _flight(tmp_path / "b")
    flaky2.broken = True
    restore(topo2, ex2, state, 2 * NS_PER_S + NS_PER_S // 5)
    assert prot2.health.dead == {"flaky"}
    ex2.run(until_ns=4 * NS_PER_S)
    assert prot2.link.tlm["silent_s"] > 3.5          # the reboot did not count as contact
    assert "ground_silent" in _detected(topo2)


def test_verified_uplink_is_ground_contact_and_forgeries_are_not():
    topology, ingest, spec = linked_testbed()
    watch = LinkWatch()
    topology.add(watch)
    feed_link_watch(ingest, watch)
    good = TelecommandEncoder(spec, KEYS)
    forged = TelecommandEncoder(spec, {1: b"\x07" * 32})
    ingest.process(forged.encode("counter.INCREMENT", {"by": 1}, key_id=1, auth_seq=5))
    ingest.process(b"\x00\x01\x02")
    assert watch.tlm["contacts"] == 0
    pkt = good.encode("counter.INCREMENT", {"by": 1}, key_id=1, auth_seq=6)
    ingest.process(pkt)
    assert watch.tlm["contacts"] == 1
    ingest.process(pkt)                              # a replay of the same bytes
    assert watch.tlm["contacts"] == 1


def test_a_checkpoint_taken_in_the_tick_that_switches_rate_sets_restores_the_new_set(tmp_path):
    topo, ex, flaky, prot = _flight(tmp_path)
    saved = {}

    def switch_and_save(t_ns: int) -> None:
        if t_ns == NS_PER_S // 2:              # tick 25 of the 50 Hz grid
            ex.select_rate_set("quiet")
            saved["state"] = capture(topo, ex)  # inside the tick, before the switch happens
    ex.add_group("switch", 1, [switch_and_save])
    ex.run(until_ns=NS_PER_S)
    assert ex.rate_set == "quiet"
    assert saved["state"]["executive"]["rate_set"] == "quiet"
    assert saved["state"]["executive"]["start_ns"] == NS_PER_S // 2 + NS_PER_S // 50   # next deadline
    topo2, ex2, _, _ = _flight(tmp_path / "b")
    restore(topo2, ex2, saved["state"], NS_PER_S)
    assert ex2.rate_set == "quiet"
    ran = []
    ex2.add_group("probe", 1, [ran.append], rate_set="quiet")
    ex2.run(until_ns=3 * NS_PER_S)
    assert ran[0] == NS_PER_S // 2 + NS_PER_S // 50 + NS_PER_S   # on the quiet grid, after the reset


def test_checkpoints_are_due_by_flight_time_and_every_ten_ticks_of_a_slow_rate_set(tmp_path):
    topo, ex, flaky, prot = _flight(tmp_path)
    ex.run(until_ns=3 * NS_PER_S)                   # 50 Hz, fdir at 10 Hz
    at_50hz = prot.restart.tlm["saves"]
    ex.select_rate_set("quiet")
    ex.run(until_ns=43 * NS_PER_S)                  # 1 Hz: fdir runs once a second
    assert 3 <= at_50hz <= 4
    quiet = prot.restart.tlm["saves"] - at_50hz
    assert 4 <= quiet <= 5                          # every 10 s (ten ticks), not every second
    flaky.emit("MODE_CHANGED", source="A", dest="B", trigger="t")   # a key event saves at once
    ex.run(until_ns=44 * NS_PER_S)
    assert prot.restart.tlm["saves"] == at_50hz + quiet + 1
