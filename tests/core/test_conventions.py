"""Class-creation rules (fsw.core.conventions), typed events, device_call and during_<MODE>."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from fsw.core.component import Component, command
from fsw.core.declarations import Channel
from fsw.core.devices import DEVICE_FAULT, DeviceFailure, failed
from fsw.core.events import EventDef, EventDefError, Severity
from fsw.core.modes import ModeTable, T
from hal.errors import DeviceFault

LINK = Path(__file__).resolve().parents[2] / "fsw" / "link"
TWO = ModeTable(modes=("A", "B"), initial="A", transitions=(T("go", "A", "B"), T("back", "B", "A")))


def test_a_handler_not_named_after_its_command_is_refused():
    with pytest.raises(TypeError, match="must be _cmd_start_burn"):
        class Bad(Component):
            @command("START_BURN")
            def start(self) -> None:
                pass

    class Good(Component):
        @command("START_BURN")
        def _cmd_start_burn(self) -> None:
            pass
    assert Good("g").dispatch("START_BURN").ok


def test_a_hook_naming_no_mode_is_refused():
    with pytest.raises(TypeError, match="during_C names no mode"):
        class Typo(Component):
            MODES = TWO

            def during_C(self) -> None:
                pass
    with pytest.raises(TypeError, match="on_enter_A names no mode"):
        class Modeless(Component):
            def on_enter_A(self) -> None:
                pass


def test_during_runs_the_current_modes_method_and_on_mode_change_follows_every_change():
    class Two(Component):
        MODES = TWO

        def __init__(self) -> None:
            super().__init__("two")
            self.log: list[str] = []

        def during_A(self) -> None:
            self.log.append("A")

        def on_mode_change(self, source: str, dest: str) -> None:
            self.log.append(f"{source}>{dest}")

    c = Two()
    assert Two.DURING == {"A": "during_A"}
    c.during()
    c.trigger("go")
    c.during()                       # B has no during_: nothing
    c.force_mode("A")
    c.during()
    assert c.log == ["A", "A>B", "B>A", "A"]


def test_an_event_whose_format_and_arguments_disagree_is_refused_at_declaration():
    with pytest.raises(EventDefError, match="uses \\['x'\\], declared arguments are \\['y'\\]"):
        EventDef("E", Severity.DIAGNOSTIC, "{x}", y=int)
    with pytest.raises(EventDefError, match="uses"):
        EventDef("E", Severity.DIAGNOSTIC, "{x} and {z}", x=int)
    with pytest.raises(EventDefError, match="positional"):
        EventDef("E", Severity.DIAGNOSTIC, "{}")
    with pytest.raises(EventDefError, match="no type"):
        EventDef("E", Severity.DIAGNOSTIC, "{x}", x="int")
    e = EventDef("E", Severity.DIAGNOSTIC, "{x:.2f} {m}", x=float, m=str | None)
    assert e.problem({"x": 1, "m": None}) is None
    assert "not float" in e.problem({"x": True, "m": "a"})
    assert "not str" in e.problem({"x": 1.0, "m": 3})
    assert "declared" in e.problem({"x": 1.0})


def test_a_shared_event_must_keep_its_schema():
    with pytest.raises(TypeError, match="DEVICE_FAULT must be the shared"):
        class Own(Component):
            EVENTS = (EventDef("DEVICE_FAULT", Severity.WARNING_HI, "{device}: {reason}", device=str, reason=str),)


class Dev:
    name = "imu0"

    def __init__(self) -> None:
        self.fail = False

    def read(self) -> int:
        if self.fail:
            raise DeviceFault("no answer")
        return 7


class User(Component):
    CHANNELS = (Channel("device_faults", int, ""),)
    EVENTS = (DEVICE_FAULT,)

    def __init__(self) -> None:
        super().__init__("user")
        self.seen: list[DeviceFailure] = []

    def on_device_fault(self, failure: DeviceFailure) -> None:
        self.seen.append(failure)


def test_device_call_returns_the_result_or_a_reported_typed_failure():
    u, dev = User(), Dev()
    assert u.device_call(dev.read) == 7 and u.tlm["device_faults"] == 0
    dev.fail = True
    r = u.device_call(dev.read)
    assert failed(r) and not r and r == DeviceFailure("imu0", "no answer")
    assert u.tlm["device_faults"] == 1 and u.seen == [r]
    ev = u.event_log[-1]
    assert (ev.name, dict(ev.args)) == ("DEVICE_FAULT", {"device": "imu0", "error": "no answer"})
    assert u.device_call(dev.read, device="imu-A").device == "imu-A"
    calls = []

    def counted(*args):
        calls.append(args)
        raise DeviceFault("busy")
    assert failed(u.device_call(counted, 1, 2)) and calls == [(1, 2)]   # a failed call is made once
    assert u.tlm["device_faults"] == 3 and dict(u.event_log[-1].args)["error"] == "busy"


def link_imports() -> dict[str, set[str]]:
    """module -> the fsw.link modules it imports (anywhere in the file, deferred ones too)."""
    graph: dict[str, set[str]] = {}
    for path in sorted(LINK.glob("*.py")):
        deps = graph.setdefault(path.stem, set())
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                if node.level == 1 or node.module.startswith("fsw.link."):
                    deps.add(node.module.removeprefix("fsw.link.").split(".")[0])
    return graph


def test_fsw_link_modules_import_each_other_without_a_circle():
    graph = link_imports()
    assert "ingest" not in graph["dictionary"] and "dictionary" in graph["ingest"]
    state: dict[str, int] = {}

    def visit(m: str, path: list[str]) -> None:
        state[m] = 1
        for d in sorted(graph.get(m, ())):
            assert state.get(d) != 1, "import circle: " + " -> ".join(path + [d])
            if d not in state:
                visit(d, path + [d])
        state[m] = 2
    for m in sorted(graph):
        if m != "__init__" and m not in state:
            visit(m, [m])


def test_a_linked_vehicle_ends_with_its_link_component():
    from fsw.link.testbed import TESTBED_COMPONENTS
    from fsw.link.errors import DictionaryError
    from fsw.link.ingest import CommandIngest
    from fsw.link.linked import linked_classes, linked_vehicle_spec
    spec = linked_vehicle_spec("testbed", TESTBED_COMPONENTS)
    assert [c.name for c in spec.components] == [*TESTBED_COMPONENTS, "link"]
    assert list(linked_classes({**TESTBED_COMPONENTS, "link": CommandIngest})) == [*TESTBED_COMPONENTS, "link"]
    with pytest.raises(DictionaryError, match="last"):
        linked_classes({"link": CommandIngest, **TESTBED_COMPONENTS})
