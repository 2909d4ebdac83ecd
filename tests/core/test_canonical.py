"""The checkpoint's canonical JSON, re-encoding only what changed, is json.dumps's to the byte
(and raises what json.dumps raises) whatever the states and their order."""
import enum
import json
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fsw.core.canonical import CanonicalEncoder, Snapshots, text


def reference(obj) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=False)


def outcome(encode, obj):
    """What an encoder gives: its text, or the exception's type and message."""
    try:
        return encode(obj)
    except (ValueError, TypeError) as exc:
        return (type(exc).__name__, str(exc))


# Values whose JSON differs while `==` says they are equal, and values JSON refuses.
TWINS = (0, 0.0, -0.0, False, 1, 1.0, True, None, "0", [0], (0,), [0.0])
scalars = st.one_of(st.sampled_from(TWINS), st.none(), st.booleans(), st.integers(),
                    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=6))
json_values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.lists(inner, max_size=3).map(tuple),
    st.dictionaries(st.text(max_size=4), inner, max_size=4)), max_leaves=12)
keys = st.sampled_from(["a", "b", "nav", "Z", "é", "\ud800", ""])
tables = st.dictionaries(keys, json_values, max_size=4)
# a checkpoint-shaped state: some tables of tables (the components), some other entries
states = st.fixed_dictionaries({"components": st.dictionaries(keys, tables, max_size=5)},
                               optional={"executive": tables, "format": json_values, "logs": tables,
                                         "other": st.dictionaries(keys, tables, max_size=2)})
bad = st.sampled_from([float("nan"), float("inf"), -math.inf, {1, 2}, b"x", np.int64(3), np.bool_(True),
                       {1: 2, "a": 3}, {(1, 2): 3}, object()])


@given(st.lists(states, min_size=1, max_size=6))
def test_every_encoding_of_a_sequence_is_json_dumps_to_the_byte(sequence):
    encoder = CanonicalEncoder()
    for state in sequence:
        assert encoder.encode(state) == reference(state)


@given(states, st.lists(st.tuples(keys, keys, json_values), min_size=1, max_size=8))
def test_an_entry_changed_in_place_or_retyped_is_encoded_afresh(state, edits):
    """The same dicts edited between encodings (as a component's live state would be), among
    them an int turned into the float or bool it equals."""
    encoder = CanonicalEncoder()
    components = state["components"]
    assert encoder.encode(state) == reference(state)
    for component, key, value in edits:
        components.setdefault(component, {})[key] = value
        assert encoder.encode(state) == reference(state)


@given(st.lists(st.tuples(st.sampled_from(TWINS), st.sampled_from(TWINS)), min_size=1, max_size=10))
def test_equal_but_differently_typed_values_never_share_a_text(pairs):
    encoder = CanonicalEncoder()
    for a, b in pairs:
        for v in (a, b):
            state = {"components": {"c": {"v": v, "l": [v]}}}
            assert encoder.encode(state) == reference(state)


@given(st.lists(st.one_of(json_values, bad), min_size=1, max_size=8))
def test_a_value_json_refuses_fails_at_every_encoding_it_is_in(values):
    """Whatever came before (the same entry encoded fine), an encoding raises exactly what
    json.dumps raises for that state; a refused entry is never reused."""
    encoder = CanonicalEncoder()
    for v in values:
        state = {"components": {"c": {"v": v, "k": 1}, "d": {"k": v}}, "e": {"v": v}}
        assert outcome(encoder.encode, state) == outcome(reference, state)


def test_numpy_scalars_are_not_taken_for_the_bytes_they_hold():
    """np.float64 encodes as a float; an np.int64 with the same 8 bytes in its place must fail as
    json.dumps fails (a snapshot of raw buffer bytes would have reused the float's text)."""
    f = np.float64(1.0)
    i = np.frombuffer(f.tobytes(), dtype=np.int64)[0]
    encoder = CanonicalEncoder()
    assert encoder.encode({"components": {"c": {"v": f}}}) == '{"components":{"c":{"v":1.0}}}'
    with pytest.raises(TypeError, match="int64 is not JSON serializable"):
        encoder.encode({"components": {"c": {"v": i}}})


def test_subclasses_and_enums_are_encoded_as_json_does():
    class Mode(enum.IntEnum):
        A = 1
        B = 2

    class Name(str):
        pass
    encoder = CanonicalEncoder()
    for v in (Mode.A, Mode.B, 1, True, Name("x"), "x", Name("y")):
        state = {"components": {"c": {"v": v}}}
        assert encoder.encode(state) == reference(state)


@given(json_values, json_values)
def test_equal_snapshots_mean_equal_json(a, b):
    snapshot = Snapshots()
    sa, sb = snapshot(a), snapshot(b)
    assert sa is not None and sb is not None
    if sa == sb:
        assert reference(a) == reference(b)


def test_a_snapshot_is_refused_for_what_is_not_plain_data():
    snapshot = Snapshots()
    cyclic: list = []
    cyclic.append(cyclic)
    for v in (np.float64(1.0), np.int64(1), [np.float64(2.0)], {"a": enum.Enum("E", "X").X},
              type("S", (str,), {})("s"), {1, 2}, b"x", object(), cyclic):
        assert snapshot(v) is None, v
    for _ in range(200):                  # refused deep inside, again and again
        assert snapshot({"a": {"b": [[np.float64(1.0)]]}}) is None
    shared = [1.5, "x"]
    value = [1, {"a": (2.5, None, True)}, shared, shared]
    assert snapshot(value) == Snapshots()(value) is not None        # and it is as good as new


def test_text_is_the_one_shot_json_encoder():
    for v in ({"b": [1, 2.5, -0.0], "a": None}, "é\ud800", 10**30, [True, False]):
        assert text(v) == reference(v)
    with pytest.raises(ValueError):
        text(float("nan"))


@given(st.lists(st.tuples(states, st.booleans()), min_size=1, max_size=6))
def test_a_deferred_text_is_json_dumps_of_the_state_when_deferred_even_made_much_later(sequence):
    """`defer` keeps snapshots, not the live values: the state is edited after each deferral
    (its lists emptied, its tables given new entries), and the texts are made at the end, or
    some at once, in any order."""
    encoder = CanonicalEncoder()
    made = []
    for state, now in sequence:
        expected = reference(state)
        deferred = encoder.defer(state)
        if now:
            assert deferred.text() == expected
        made.append((deferred, expected))
        scramble(state)
    for deferred, expected in reversed(made):
        assert deferred.text() == expected


def scramble(obj, depth=0):
    if isinstance(obj, list):
        obj.clear()
    elif isinstance(obj, dict):
        for v in list(obj.values()):
            scramble(v, depth + 1)
        obj["scrambled"] = depth


@given(st.lists(st.one_of(json_values, bad), min_size=1, max_size=8))
def test_defer_raises_what_json_raises_at_once(values):
    """At `defer`, not later: its text is then made without an error."""
    encoder = CanonicalEncoder()
    for v in values:
        state = {"components": {"c": {"v": v, "k": 1}, "d": {"k": [v]}}, "e": {"v": v}}
        deferred = outcome(encoder.defer, state)
        got = deferred if isinstance(deferred, tuple) else deferred.text()
        assert got == outcome(reference, state)


def nested(depth: int) -> list:
    value: list = [1.5]
    for i in range(depth):
        value = [value] if i % 2 else {"k": value}
    return value


@given(st.one_of(json_values, bad, st.integers(min_value=10**590, max_value=10**700),
                 st.integers(0, 90).map(nested)))
def test_what_is_deemed_plain_json_encodes(value):
    """`_plain` may send a value to the encoder at once for nothing, never pass one it refuses."""
    from fsw.core.canonical import _plain
    if Snapshots()(value) is not None and _plain(value, 0):
        assert text(value) == reference(value)
