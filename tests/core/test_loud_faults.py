"""Step and handler faults are loud, and nothing emitted while the flight side is built is lost.

A step that raises is a STEP_FAULT event (the first, then every Nth) naming the component,
the exception type, its message and the raising line, a telemetry count and an executive
statistic; a command handler that raises is a failed command with an event, never an
exception out of `dispatch`; events emitted before a component joins its topology (or
before a log is attached) reach the topology and every sink, in order.
"""
from __future__ import annotations

import inspect

from hypothesis import given, settings
from hypothesis import strategies as st

from fsw.core import Arg, Component, Executive, SimClock, Topology, command
from fsw.core.component import CommandStatus
from fsw.core.health import Health

from .thermal_example import HeaterZone


class Heater(Component):
    """Raises KeyError on every step: the bug a user met (issue 18)."""

    def step(self, t_ns: int) -> None:
        table: dict[str, float] = {}
        table["setpoint"] += 1.0   # the raising line


RAISING_LINE = inspect.getsourcelines(Heater.step)[1] + 2


class Buggy(Component):
    @command("DIVIDE", Arg("by", int, -10, 10))
    def _cmd_divide(self, by: int) -> None:
        self.result = 10 // by


class EventSink:
    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []

    def on_channels(self, t_ns, component, values) -> None:
        pass

    def on_event(self, event, component) -> None:
        assert event.component == component.name
        self.events.append((event.component, event.name))


def _flight(report_every: int = 100):
    ex = Executive(SimClock(), 10)
    heater = Heater("heater")
    health = Health("health", ex, report_every=report_every)
    topo = Topology("toy", [heater, health])
    ex.add_group("g", 1, [heater, health])
    return topo, ex, health


def test_a_raising_step_is_an_event_with_type_message_and_line_then_every_nth():
    topo, ex, health = _flight(report_every=100)
    ex.run(ticks=301)
    faults = [dict(e.args) for e in topo.events if e.name == "STEP_FAULT"]
    assert [f["count"] for f in faults] == [1, 100, 200, 300]
    first = faults[0]
    assert first["component"] == "heater" and first["error"] == "KeyError"
    assert first["message"] == "'setpoint'"
    assert first["where"] == f"tests/core/test_loud_faults.py:{RAISING_LINE}"
    assert health.tlm["step_faults"] == 301                      # every one counts in telemetry
    stats = ex.stats()
    assert stats["_total"]["step_faults"] == 301 and stats["_step_faults"] == {"heater": 301}
    assert stats["g"]["step_faults"] == 301
    info = ex.fault_info["heater"]
    assert info.count == 301 and info.first.startswith("KeyError: 'setpoint' at tests/core/test_loud_faults.py:")
    assert "heater: 301 step fault(s)" in ex.step_fault_lines()[0]


def test_a_handler_that_raises_is_a_failed_command_with_an_event():
    comp = Buggy("calc")
    result = comp.dispatch("DIVIDE", {"by": 0})
    assert result.status is CommandStatus.FAILED
    assert result.reason.startswith("ZeroDivisionError: integer division or modulo by zero at tests/core/")
    assert comp.counters["cmd_failed"] == 1
    ev = comp.event_log[-1]
    assert ev.name == "CMD_FAILED" and "ZeroDivisionError" in dict(ev.args)["reason"]
    assert comp.dispatch("DIVIDE", {"by": 2}).ok and comp.result == 5


@settings(max_examples=50)
@given(by=st.integers(-10, 10))
def test_dispatch_never_raises_whatever_the_handler_does(by):
    result = Buggy("calc").dispatch("DIVIDE", {"by": by})
    assert result.status is (CommandStatus.FAILED if by == 0 else CommandStatus.OK)


def test_events_emitted_before_joining_reach_the_topology_and_a_later_sink_in_order():
    zone = HeaterZone("zone")
    zone.set_param("setpoint_C", 10.0)
    assert zone.trigger("enable")                    # OFF -> WARMUP while building
    topo = Topology("toy", [zone])
    assert [(e.name, dict(e.args).get("dest")) for e in topo.events] == [("PARAM_SET", None),
                                                                       ("MODE_CHANGED", "WARMUP")]
    zone.trigger("disable")
    sink = EventSink()
    topo.attach(sink)                               # the log comes after the build
    assert sink.events == [("zone", "PARAM_SET"), ("zone", "MODE_CHANGED"), ("zone", "MODE_CHANGED")]
    zone.trigger("enable")
    assert len(sink.events) == 4 and len(topo.events) == 4   # once each, no replay twice


def test_a_component_moved_to_another_topology_brings_its_events():
    zone, other = HeaterZone("zone"), HeaterZone("other")
    first = Topology("part", [zone, other])
    zone.trigger("enable")
    other.set_param("band_C", 3.0)
    whole = Topology("whole", [zone])
    assert [e.name for e in whole.events] == ["MODE_CHANGED"]
    zone.trigger("disable")
    assert [e.name for e in whole.events] == ["MODE_CHANGED", "MODE_CHANGED"]
    assert len(first.events) == 2                   # the old topology no longer hears it


def test_events_emitted_while_building_carry_the_start_time():
    clock = SimClock(5_000_000_000)
    ex = Executive(clock, 10, start_ns=clock.now_ns())
    zone = HeaterZone("zone")
    ex.add_group("g", 1, [zone])
    zone.trigger("enable")
    assert zone.event_log[-1].t_ns == 5_000_000_000
