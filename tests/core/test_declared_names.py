"""Every trigger, event and channel name a component uses in fsw/ is one it declares.

The names are checked at run time only when a line runs; this scans the source (AST) of
every Component subclass in fsw/ instead: `self.trigger("x")` must be a trigger of its mode
table, `self.emit("X", a=..)` a declared event with exactly the declared arguments, and
`self.tlm["x"]` (also through a local alias `tl = self.tlm`) a declared channel, and a
component that calls `self.device_call` must declare DEVICE_FAULT.
"""
from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from fsw.core.component import Component

FSW = Path(__file__).resolve().parents[2] / "fsw"


def _component_classes():
    for path in sorted(FSW.rglob("*.py")):
        module = ".".join(path.relative_to(FSW.parent).with_suffix("").parts).removesuffix(".__init__")
        tree = ast.parse(path.read_text(), str(path))
        mod = None
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                mod = mod or importlib.import_module(module)
                cls = getattr(mod, node.name, None)
                if isinstance(cls, type) and issubclass(cls, Component) and cls is not Component:
                    yield f"{path.relative_to(FSW.parent)}:{node.name}", cls, node


CLASSES = list(_component_classes())


def _is_self_attr(node: ast.AST, attr: str, aliases: set[str]) -> bool:
    if isinstance(node, ast.Attribute) and node.attr == attr:
        return isinstance(node.value, ast.Name) and node.value.id == "self"
    return isinstance(node, ast.Name) and node.id in aliases


def names_used(classdef: ast.ClassDef):
    """(kind, name, keyword names or None, line) for every literal use in the class body."""
    aliases: set[str] = set()
    for node in ast.walk(classdef):      # tl = self.tlm
        if isinstance(node, ast.Assign) and _is_self_attr(node.value, "tlm", set()):
            aliases.update(t.id for t in node.targets if isinstance(t, ast.Name))
    for node in ast.walk(classdef):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "self" \
                and node.func.attr in ("trigger", "emit") and node.args \
                and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
            kws = None if any(k.arg is None for k in node.keywords) else {k.arg for k in node.keywords}
            yield node.func.attr, node.args[0].value, kws, node.lineno
        elif isinstance(node, ast.Call) and _is_self_attr(node.func, "device_call", set()):
            yield "emit", "DEVICE_FAULT", None, node.lineno      # device_call emits it on a fault
        elif isinstance(node, ast.Subscript) and _is_self_attr(node.value, "tlm", aliases):
            targets = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            for t in targets:
                if isinstance(t, ast.Constant) and isinstance(t.value, str):
                    yield "tlm", t.value, None, node.lineno


def test_the_scan_finds_the_components_and_their_names():
    found = {where.split(":")[1] for where, _, _ in CLASSES}
    assert {"Lander", "SampleTransferArm", "RoverTracker", "Health"} <= found
    sta = next(node for where, _, node in CLASSES if where.endswith(":SampleTransferArm"))
    kinds = {k for k, *_ in names_used(sta)}
    assert kinds == {"trigger", "emit", "tlm"}


@pytest.mark.parametrize("where,cls,node", CLASSES, ids=[w for w, _, _ in CLASSES])
def test_every_literal_name_is_declared(where, cls, node):
    triggers = set(cls.MODES.triggers) if cls.MODES else set()
    channels = {c.name for c in cls.CHANNELS}
    events = {e.name: {a for a, _ in e.args} for e in cls.EVENT_DEFS}
    problems = []
    for kind, name, kws, line in names_used(node):
        if kind == "trigger" and name not in triggers:
            problems.append(f"line {line}: trigger {name!r} is not in its mode table")
        elif kind == "tlm" and name not in channels:
            problems.append(f"line {line}: channel {name!r} is not declared")
        elif kind == "emit":
            if name not in events:
                problems.append(f"line {line}: event {name!r} is not declared")
            elif kws is not None and kws != events[name]:
                problems.append(f"line {line}: {name} emitted with {sorted(kws)}, declared {sorted(events[name])}")
    assert not problems, f"{where}: " + "; ".join(problems)


def test_an_undeclared_name_is_found():
    src = ast.parse("class X:\n    def f(self):\n        self.emit('NOPE', a=1)\n        tl = self.tlm\n        tl['zz'] = 1\n")
    assert list(names_used(src.body[0])) == [("emit", "NOPE", {"a"}, 3), ("tlm", "zz", None, 5)]
