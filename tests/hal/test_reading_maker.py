"""`Device.read` builds its typed reading with `reading_maker` (slots set directly, issue 23):
the very object `READING(t_ns, **values)` gives, for every device class, and the same
TypeError when the values are not exactly the class's fields."""
from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hal.devices import DEVICE_CLASSES, reading_maker

READINGS = sorted({cls.READING for cls in DEVICE_CLASSES.values()}, key=lambda c: c.__name__)
leaf = st.one_of(st.integers(), st.floats(allow_nan=False), st.binary(max_size=4),
                 st.tuples(st.floats(allow_nan=False), st.floats(allow_nan=False)))


@given(st.sampled_from(READINGS), st.integers(0, 2**63), st.data())
def test_the_maker_builds_what_the_class_builds(cls, t_ns, data):
    names = [f.name for f in dataclasses.fields(cls)][1:]
    values = {n: data.draw(leaf) for n in names}
    got, want = reading_maker(cls)(t_ns, values), cls(t_ns, **values)
    assert type(got) is cls and got == want and repr(got) == repr(want)
    with pytest.raises(dataclasses.FrozenInstanceError):
        got.t_ns = 1                                         # still frozen


@pytest.mark.parametrize("cls", READINGS, ids=lambda c: c.__name__)
def test_wrong_fields_raise_as_the_class_does(cls):
    names = [f.name for f in dataclasses.fields(cls)][1:]
    make = reading_maker(cls)
    for values in ({n: 0 for n in names[:-1]}, {**{n: 0 for n in names[:-1]}, "bogus": 0},
                   {**{n: 0 for n in names}, "bogus": 0}):
        with pytest.raises(TypeError) as want:
            cls(0, **values)
        with pytest.raises(TypeError) as got:
            make(0, values)
        assert str(got.value) == str(want.value)
