"""Values pack to the catalog's wire layout and back bit-exactly; bad values are refused."""
import math
import struct

import pytest
from hypothesis import given, strategies as st

from hal.catalog import KINDS
from hal.values import InvalidValues, check_values, pack, unpack
from hal.errors import DeviceProtocolError

from .kit import layout_values

LAYOUTS = [(f"{k.name}.{part}", getattr(k, part)) for k in KINDS.values()
           for part in ("readings", "commands") if getattr(k, part).fields]


def _same(a, b):
    """Equality that treats NaN as equal to NaN and tells -0.0 from 0.0 (bit identity)."""
    if isinstance(a, float):
        return struct.pack("<d", a) == struct.pack("<d", b)
    if isinstance(a, tuple):
        return all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


@pytest.mark.parametrize("name,layout", LAYOUTS, ids=[n for n, _ in LAYOUTS])
@given(data=st.data())
def test_pack_unpack_round_trip_is_bit_exact(name, layout, data):
    values = check_values(layout, data.draw(layout_values(layout, finite=False)))
    back = unpack(layout, pack(layout, values))
    assert back.keys() == values.keys()
    assert all(_same(values[k], back[k]) for k in values)


@pytest.mark.parametrize("name,layout", LAYOUTS, ids=[n for n, _ in LAYOUTS])
@given(payload=st.binary(max_size=80))
def test_unpack_of_any_bytes_raises_only_protocol_errors(name, layout, payload):
    try:
        unpack(layout, payload)
    except DeviceProtocolError:
        pass


def test_check_values_names_the_problem():
    imu = KINDS["imu"].readings
    good = {"accel_mps2": (0, 0, 1), "rate_radps": (0.1, 0.2, 0.3)}
    assert check_values(imu, good)["accel_mps2"] == (0.0, 0.0, 1.0)
    with pytest.raises(InvalidValues, match="missing"):
        check_values(imu, {"accel_mps2": (0, 0, 1)})
    with pytest.raises(InvalidValues, match="expected 3 values"):
        check_values(imu, {**good, "rate_radps": (1, 2)})
    with pytest.raises(InvalidValues, match="expected a number"):
        check_values(imu, {**good, "rate_radps": ("a", 2, 3)})
    pyro = KINDS["pyro"].commands
    with pytest.raises(InvalidValues, match="outside u8"):
        check_values(pyro, {"fire": 256})
    with pytest.raises(InvalidValues, match="expected an integer"):
        check_values(pyro, {"fire": 0.5})
    gimbal = KINDS["gimbal"].commands
    with pytest.raises(InvalidValues, match="not finite"):
        check_values(gimbal, {"pitch_rad": math.nan, "yaw_rad": 0.0}, finite=True)
