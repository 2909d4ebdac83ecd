"""Dictionary: built from classes, JSON round trip with field-naming errors (XTCE: test_xtce.py)."""
from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings, strategies as st

from fsw.core.component import Component, command
from fsw.core.declarations import Arg, Channel
from fsw.link.dictionary import Dictionary, component_spec, opcode_of, vehicle_spec
from fsw.core.conventions import handler_name
from fsw.link.linked import linked_vehicle_spec
from fsw.link.errors import DictionaryError

from .kit import component_specs, spec_of_testbed


def test_testbed_dictionary_describes_classes():
    v = spec_of_testbed()
    assert [c.name for c in v.components] == ["heater", "counter", "link"]
    assert [c.apid for c in v.components] == [0x500, 0x501, 0x502]
    heater = v.by_name["heater"]
    sp = heater.command_by_name["SET_SETPOINT"]
    assert sp.modes == ("ACTIVE", "IDLE") and sp.args[0].lo == -60.0 and sp.args[0].hi == 40.0
    assert sp.opcode == opcode_of("SET_SETPOINT")
    label = v.by_name["counter"].command_by_name["LABEL"]
    assert [(a.name, a.type) for a in label.args] == [("text", "string"), ("level", "enum"),
                                                      ("loud", "bool")]
    assert label.args[1].choices == ("LOW", "MEDIUM", "HIGH")
    assert [(c.name, c.type, c.units) for c in heater.channels][:1] == [("temp_c", "f64", "degC")]
    assert heater.events[0].name == "MODE_CHANGED" and heater.events[-1].name == "HEATER_SWITCHED"


@given(st.lists(component_specs(), min_size=1, max_size=3))
def test_json_round_trip(specs):
    from fsw.link.dictionary import VehicleSpec
    comps = tuple(s.__class__(s.name, i, 0x200 + i, s.class_name, s.modes, s.commands,
                              s.channels, s.events) for i, s in enumerate(specs))
    d = Dictionary((VehicleSpec("rover", 0x200, comps), spec_of_testbed()))
    assert Dictionary.from_json(d.to_json()) == d


def _mutations(doc):
    """(path, replacement) pairs that break one field of the JSON form each."""
    comp = doc["vehicles"][0]["components"][1]
    yield lambda d: d.pop("format"), "format"
    yield lambda d: d["vehicles"][0].pop("apid_base"), "apid_base"
    yield lambda d: d["vehicles"][0].__setitem__("apid_base", 0x123), "APID base"
    yield lambda d: d["vehicles"][0]["components"][1].__setitem__("name", 5), "components[1].name"
    yield lambda d: d["vehicles"][0]["components"][1]["channels"][0].__setitem__("type", "u7"), \
        "channels[0].type"
    yield lambda d: d["vehicles"][0]["components"][1]["events"][0].__setitem__("severity", "MEH"), \
        "events[0].severity"
    yield lambda d: d["vehicles"][0]["components"][1]["commands"][0].__setitem__("args", "x"), \
        "commands[0].args"
    yield lambda d: d["vehicles"][0]["components"][1]["channels"].pop(), "signature"
    assert comp


def test_malformed_json_errors_name_the_field():
    good = json.loads(Dictionary((spec_of_testbed(),)).to_json())
    for mutate, where in _mutations(good):
        doc = json.loads(json.dumps(good))
        mutate(doc)
        with pytest.raises(DictionaryError, match=re.escape(where)):
            Dictionary.from_json(json.dumps(doc), "d.json")
    with pytest.raises(DictionaryError, match="not JSON"):
        Dictionary.from_json("{", "d.json")


@settings(max_examples=100)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c,
                                                                        max_size=3)))
def test_arbitrary_json_raises_only_dictionary_error(doc):
    for d in (doc, {"format": "msr-dictionary/1", "vehicles": doc}):
        try:
            Dictionary.from_json(json.dumps(d))
        except DictionaryError:
            pass


def test_opcode_clash_and_unsupported_types_are_refused():
    a, b = "", None
    seen = {}
    for i in range(200000):  # find two names with the same CRC-16
        n = f"C{i}"
        o = opcode_of(n)
        if o in seen:
            a, b = seen[o], n
            break
        seen[o] = n

    assert b is not None
    def handler(name):
        def fn(self):
            pass
        fn.__name__ = handler_name(name)
        return command(name)(fn)
    clash = type("Clash", (Component,), {handler_name(n): handler(n) for n in (a, b)})
    with pytest.raises(DictionaryError, match="share opcode"):
        component_spec("c", clash, 0, 0x600)

    class BadArg(Component):
        @command("GO", Arg("x", complex))
        def _cmd_go(self, x):
            pass
    with pytest.raises(DictionaryError, match="BadArg"):
        component_spec("b", BadArg, 0, 0x600)


def test_vehicle_needs_a_known_or_valid_apid_base():
    with pytest.raises(DictionaryError):
        vehicle_spec("plane", {})
    assert linked_vehicle_spec("plane", {}, apid_base=0x500).components[0].apid == 0x500
    with pytest.raises(DictionaryError):
        vehicle_spec("plane", {}, apid_base=0x7FF)
