"""Health and the loop watchdog: raising components declared dead, slips and stalls reported."""
import threading

from fsw.core import Component, Executive, NS_PER_MS, SimClock
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


def test_watchdog_names_the_stuck_component_in_simulated_time():
    """The mechanism without a thread or a wall clock: the watchdog's looks are taken from
    inside the hung step (as its thread would see the loop thread's stack), on a fake clock."""
    wall = [0]

    class Stuck(Component):
        runs = 0

        def step(self, t_ns):
            self.runs += 1
            if self.runs in (5, 12):              # hung for 300 ms, twice
                for _ in range(12):
                    wall[0] += 25 * NS_PER_MS
                    wd.poll()

    ex = Executive(SimClock(), 100)
    h = Health("health", ex)
    wd = LoopWatchdog(ex, 100 * NS_PER_MS, h.on_loop_stall, now_ns=lambda: wall[0])

    def tick_poll(t_ns):                          # a healthy tick: 10 ms pass, the watchdog looks
        wall[0] += 10 * NS_PER_MS
        assert not wd.poll()
    ex.add_group("g", 1, [Stuck("gnc"), h, tick_poll])
    ex.run(ticks=20)
    assert wd.stalls == 2                         # once per stall, not once per look
    stalls = [dict(e.args) for e in h.event_log if e.name == "LOOP_STALL"]
    assert [(a["component"], a["stalled_ms"]) for a in stalls] == [("gnc", 125), ("gnc", 125)]
    assert h.tlm["loop_stalls"] == 2


def test_watchdog_thread_reports_a_hung_step_on_the_real_clock():
    """The thread itself, on the wall clock, robust to a loaded machine: the step stays hung
    until the watchdog has reported it (or 10 s pass), however late the thread gets to run."""
    reported = threading.Event()

    class Stuck(Component):
        runs = 0

        def step(self, t_ns):
            self.runs += 1
            if self.runs == 5:
                reported.wait(10.0)               # a blocking read with no timeout

    ex = Executive(SimClock(), 100)
    h = Health("health", ex)

    def on_stall(component, stalled_ns):
        h.on_loop_stall(component, stalled_ns)
        if component == "gnc":
            reported.set()
    ex.add_group("g", 1, [Stuck("gnc"), h])
    with LoopWatchdog(ex, 100 * NS_PER_MS, on_stall) as wd:
        ex.run(ticks=20)
    assert reported.is_set()
    stalls = [dict(e.args) for e in h.event_log if e.name == "LOOP_STALL"]
    assert wd.stalls == len(stalls) >= 1
    gnc = [a for a in stalls if a["component"] == "gnc"]
    assert len(gnc) == 1 and gnc[0]["stalled_ms"] >= 100
