"""`check_values`' compiled fast path accepts, converts and refuses exactly as the general
per-field rules do: same result (type and bits) or the same error message, for any input."""
import math
import struct
from collections import OrderedDict

import numpy as np
from hypothesis import given, settings, strategies as st

from hal.catalog import INTEGER_RANGES, KINDS
from hal.values import InvalidValues, LayoutChecker, check_values, layout_checker

from .kit import layout_values

LAYOUTS = [getattr(k, part) for k in KINDS.values() for part in ("readings", "commands")
           if getattr(k, part).fields]


def reference(layout, values, finite):
    """The general rules alone (the path every non-plain input takes)."""
    return LayoutChecker(layout, finite)._general(values, "dev")


def outcome(fn):
    try:
        out = fn()
    except InvalidValues as e:
        return ("error", str(e))
    return ("ok", [(k, type(v), _bits(v)) for k, v in out.items()])


def _bits(v):
    if isinstance(v, tuple):
        return tuple(_bits(x) for x in v)
    return struct.pack("<d", v) if isinstance(v, float) else v


anything = st.one_of(
    st.floats(), st.integers(-(2**40), 2**40), st.booleans(), st.just("x"), st.none(), st.binary(max_size=4),
    st.floats(allow_nan=False).map(np.float64), st.integers(0, 300).map(np.int64),
    st.lists(st.floats(), max_size=5), st.lists(st.floats(), max_size=5).map(tuple),
    st.lists(st.integers(-3, 3), min_size=3, max_size=3).map(tuple),
    st.lists(st.floats(), min_size=3, max_size=3).map(np.array),
)


@st.composite
def inputs(draw):
    layout = draw(st.sampled_from(LAYOUTS))
    values = dict(draw(layout_values(layout, finite=False)))
    for name in draw(st.lists(st.sampled_from(layout.names), unique=True, max_size=2)):
        values[name] = draw(anything)  # spoil some fields
    if draw(st.integers(0, 9)) == 0:
        values.pop(draw(st.sampled_from(layout.names)))
    if draw(st.integers(0, 9)) == 0:
        values["spurious"] = 1.0
    if draw(st.integers(0, 9)) == 0:
        values = OrderedDict(values)
    return layout, values, draw(st.booleans())


@settings(max_examples=400, deadline=None)
@given(case=inputs())
def test_fast_path_agrees_with_the_general_rules(case):
    layout, values, finite = case
    assert outcome(lambda: check_values(layout, values, "dev", finite=finite)) == \
        outcome(lambda: reference(layout, values, finite))


def test_result_is_a_new_dict_and_vectors_become_tuples():
    imu = KINDS["imu"].readings
    given_values = {"accel_mps2": [0.0, 0.0, 1.0], "rate_radps": (0.1, 0.2, 0.3)}
    out = check_values(imu, given_values)
    assert out is not given_values and out["accel_mps2"] == (0.0, 0.0, 1.0)
    out["accel_mps2"] = None
    assert given_values["accel_mps2"] == [0.0, 0.0, 1.0]


def test_edge_values_on_the_fast_path():
    gimbal = KINDS["gimbal"].commands
    for bad in (math.inf, -math.inf, math.nan):
        assert outcome(lambda: check_values(gimbal, {"pitch_rad": 0.0, "yaw_rad": bad}, finite=True))[0] == "error"
    assert check_values(gimbal, {"pitch_rad": 0.0, "yaw_rad": math.inf})["yaw_rad"] == math.inf
    rcs = KINDS["rcs"].commands
    for vec in ((0.0, math.nan, 0.0), [0.0, 0.0, -math.inf]):
        assert outcome(lambda: check_values(rcs, {"force_N": vec, "torque_Nm": (0.0,) * 3}, finite=True))[0] == "error"
    pyro = KINDS["pyro"].commands
    lo, hi = INTEGER_RANGES["u8"]
    assert check_values(pyro, {"fire": hi}) == {"fire": hi}
    assert outcome(lambda: check_values(pyro, {"fire": hi + 1}))[0] == "error"
    assert outcome(lambda: check_values(pyro, {"fire": lo - 1}))[0] == "error"
    assert type(check_values(pyro, {"fire": True})["fire"]) is int


def test_checker_is_cached_per_layout_object():
    imu = KINDS["imu"].readings
    assert layout_checker(imu) is layout_checker(imu)
    assert layout_checker(imu) is not layout_checker(imu, finite=True)
