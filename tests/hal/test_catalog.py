"""The catalog is consistent: ids, unit names, layouts, and the typed readings mirror it."""
import dataclasses
import re
import struct

import pytest

from hal.catalog import KINDS, KINDS_BY_ID, Field, Layout, describe, layout_crc
from hal.devices import DEVICE_CLASSES

SI_SUFFIX = re.compile(r"_(m|mps|mps2|rad|radps|C|W|N|Nm|s|1pm)$")
# float fields that are dimensionless by nature (their docs say so)
DIMENSIONLESS = {"q_body_to_inertial", "los_unit", "brightness", "throttle", "thrust_dir_unit"}


def test_kind_ids_are_unique_and_fit_a_byte():
    assert len(KINDS_BY_ID) == len(KINDS)
    assert all(0 < k.kind_id < 255 for k in KINDS.values())


def test_issue_kinds_are_all_present():
    needed = {"imu", "star_tracker", "altimeter", "lidar", "camera_tracker", "thermometer", "heater",
              "igniter", "gimbal", "rcs", "descent_engine", "wheel_drive", "arm", "gripper",
              "tube_sensor", "pyro", "capture_mechanism", "radio"}
    assert needed <= set(KINDS)


@pytest.mark.parametrize("kind", list(KINDS.values()), ids=list(KINDS))
def test_float_fields_carry_an_si_unit_or_are_declared_dimensionless(kind):
    for f in kind.readings.fields + kind.commands.fields:
        assert f.doc, f"{kind.name}.{f.name} has no doc"
        if f.is_float:
            assert SI_SUFFIX.search(f.name) or f.name in DIMENSIONLESS, f"{kind.name}.{f.name}"
            if f.name in DIMENSIONLESS:
                assert "dimensionless" in f.doc or "unit" in f.doc


@pytest.mark.parametrize("kind", list(KINDS.values()), ids=list(KINDS))
def test_typed_reading_mirrors_catalog(kind):
    cls = DEVICE_CLASSES[kind.name].READING
    names = [f.name for f in dataclasses.fields(cls)]
    assert names == ["t_ns", *kind.readings.names]


def test_every_kind_has_a_typed_interface():
    assert set(DEVICE_CLASSES) == set(KINDS)


def test_struct_format_is_little_endian_unpadded():
    layout = Layout((Field("a_m", count=3), Field("flag", "u8"), Field("id", "u16"), Field("n", "i32")))
    assert layout.struct_format == "<3dBHi"
    assert layout.fixed_size == struct.calcsize("<3dBHi") == 24 + 1 + 2 + 4


def test_bytes_field_must_be_last():
    with pytest.raises(ValueError):
        Layout((Field("data", "bytes"), Field("x_m")))
    with pytest.raises(ValueError):
        Field("x", "f32")


def test_layout_crc_distinguishes_kinds():
    crcs = {layout_crc(k) for k in KINDS.values()}
    assert len(crcs) == len(KINDS)


def test_describe_lists_every_field():
    text = describe()
    for k in KINDS.values():
        for f in k.readings.fields + k.commands.fields:
            assert f.name in text
