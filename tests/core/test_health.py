"""Health and the loop watchdog: raising components declared dead, slips and stalls reported."""
import time

from fsw.core import Component, Executive, LinuxClock, NS_PER_MS, SimClock
from fsw.core.health import Health, LoopWatchdog


class Flaky(Component):
    def __init__(self, name, fail_ticks):
        super().__init__(name)
        self.fail_ticks = fail_ticks
        self.k = 0

    def step(self, t_ns):
        self.k += 1
        if self.k in self.fail_ticks:
            raise RuntimeError(f"tick {self.k}")


def test_consecutive_faults_declare_a_component_dead_once():
    ex = Executive(SimClock(), 10)
    a, b = Flaky("a", {2, 4}), Flaky("b", set(range(5, 100)))
    h = Health("health", ex, dead_after=3)
    ex.add_group("g", 1, [a, b, h])
    ex.run(ticks=20)
    names = [(e.name, dict(e.args).get("component")) for e in h.event_log]
    assert names.count(("COMPONENT_DEAD", "b")) == 1
    assert ("COMPONENT_DEAD", "a") not in names
    assert h.tlm["components_dead"] == 1 and h.tlm["step_faults"] == 2 + 16


def test_slips_become_telemetry_and_an_event():
    clock = SimClock()
    ex = Executive(clock, 10)
    h = Health("health", ex)
    ex.add_group("g", 1, [lambda t: clock.charge(150 * NS_PER_MS) if t == 500 * NS_PER_MS else None, h])
    ex.run(ticks=10)
    assert h.tlm["slips"] == 1 and h.tlm["ticks_skipped"] == 1
    assert [e.name for e in h.event_log] == ["CYCLE_SLIP"]


def test_watchdog_names_the_stuck_component():
    class Stuck(Component):
        def step(self, t_ns):
            if t_ns == ex.start_ns + 5 * 10 * NS_PER_MS:
                time.sleep(0.3)  # a hung step (e.g. a blocking read with no timeout)
    clock = LinuxClock()
    ex = Executive(clock, 100, start_ns=clock.now_ns() + 5 * NS_PER_MS)
    h = Health("health", ex)
    ex.add_group("g", 1, [Stuck("gnc"), h])
    with LoopWatchdog(ex, 100 * NS_PER_MS, h.on_loop_stall) as wd:
        ex.run(ticks=20)
    assert wd.stalls == 1
    ev = [e for e in h.event_log if e.name == "LOOP_STALL"]
    assert len(ev) == 1 and dict(ev[0].args)["component"] == "gnc"
