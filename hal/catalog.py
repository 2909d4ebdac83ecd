"""The device catalog: every device KIND, its reading fields and its command fields.

This table is the single source of truth for three things:

* what `Plant.sense(device)` must return (truth values keyed by reading-field name) and what
  `Plant.actuate(device, command)` receives (keyed by command-field name);
* the typed readings in `hal.devices` (checked against this table by the tests);
* the serial payload layout: a little-endian `struct` format derived from the fields, so a
  reading sent over a wire is bit-identical to the same reading in SIL (floats are f64).

Names carry their SI unit as a suffix (`_m`, `_mps`, `_mps2`, `_rad`, `_radps`, `_C`, `_W`,
`_N`, `_Nm`, `_s`, `_1pm` for 1/m); names without a suffix are dimensionless flags, ids,
bitmasks or ratios and say so in their doc. A field with `count > 1` is a vector and its value
is a tuple of that length. A field of type `bytes` is a variable-length byte string; it may only
be the last field of a kind (the radio uses it).

Device INSTANCES ("imu0", "tvc", "heater3") are mapped to a kind by configuration
(`hal.config`).
"""
from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from typing import Any

# struct codes of the field types; little-endian, no padding ("<").
STRUCT_CODES: dict[str, str] = {
    "f64": "d",
    "u8": "B",
    "u16": "H",
    "u32": "I",
    "i32": "i",
    "bytes": "",  # variable length, last field only
}
INTEGER_TYPES = ("u8", "u16", "u32", "i32")
INTEGER_RANGES: dict[str, tuple[int, int]] = {
    "u8": (0, 0xFF),
    "u16": (0, 0xFFFF),
    "u32": (0, 0xFFFF_FFFF),
    "i32": (-(2**31), 2**31 - 1),
}


@dataclass(frozen=True)
class Field:
    """One named value of a reading or command."""

    name: str
    type: str = "f64"
    count: int = 1
    doc: str = ""

    def __post_init__(self) -> None:
        if self.type not in STRUCT_CODES:
            raise ValueError(f"field {self.name}: unknown type {self.type!r}")
        if self.count < 1 or (self.type == "bytes" and self.count != 1):
            raise ValueError(f"field {self.name}: bad count {self.count}")

    @property
    def is_float(self) -> bool:
        return self.type == "f64"


@dataclass(frozen=True)
class Layout:
    """The struct layout of one list of fields (a reading or a command)."""

    fields: tuple[Field, ...]

    def __post_init__(self) -> None:
        names = [f.name for f in self.fields]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate field names in {names}")
        for f in self.fields[:-1]:
            if f.type == "bytes":
                raise ValueError(f"bytes field {f.name} must be the last field")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @property
    def tail_bytes(self) -> Field | None:
        """The trailing variable-length bytes field, if any."""
        return self.fields[-1] if self.fields and self.fields[-1].type == "bytes" else None

    @property
    def struct_format(self) -> str:
        """Little-endian struct format of the fixed-size part (without a `bytes` tail)."""
        return "<" + "".join(
            f"{f.count}{STRUCT_CODES[f.type]}" if f.count > 1 else STRUCT_CODES[f.type]
            for f in self.fields
            if f.type != "bytes"
        )

    @property
    def fixed_size(self) -> int:
        return struct.calcsize(self.struct_format)

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)


@dataclass(frozen=True)
class DeviceKind:
    """A kind of device: its id on the wire, its readings, its commands, its default rate."""

    name: str
    kind_id: int
    doc: str
    readings: Layout
    commands: Layout
    rate_hz: int = 10  # default sampling rate of a simulated sensor

    @property
    def is_sensor(self) -> bool:
        return bool(self.readings.fields)

    @property
    def is_actuator(self) -> bool:
        return bool(self.commands.fields)

    @property
    def is_byte_stream(self) -> bool:
        """Readings carry a byte stream (drained on read, never held between samples)."""
        return self.readings.tail_bytes is not None


def _kind(name: str, kind_id: int, doc: str, readings=(), commands=(), rate_hz: int = 10) -> DeviceKind:
    return DeviceKind(name, kind_id, doc, Layout(tuple(readings)), Layout(tuple(commands)), rate_hz)


F = Field
_VALID = F("valid", "u8", doc="1 if the measurement is valid, else 0")

KINDS: dict[str, DeviceKind] = {
    k.name: k
    for k in (
        _kind("imu", 1, "Inertial measurement unit (body frame).", [
            F("accel_mps2", count=3, doc="specific force in the body frame, m/s^2"),
            F("rate_radps", count=3, doc="angular rate of the body w.r.t. inertial, body frame, rad/s"),
        ], rate_hz=200),
        _kind("star_tracker", 2, "Star tracker attitude solution.", [
            F("q_body_to_inertial", count=4, doc="unit quaternion (w, x, y, z), body to inertial, dimensionless"),
            _VALID,
        ], rate_hz=5),
        _kind("altimeter", 3, "Radar altimeter: slant range to the ground.", [
            F("range_m", doc="range to the ground along the boresight, m"),
            _VALID,
        ], rate_hz=20),
        _kind("lidar", 4, "Range lidar (landing or close-range rendezvous).", [
            F("range_m", doc="range to the target or ground, m"),
            F("range_rate_mps", doc="rate of change of the range (positive opening), m/s"),
            _VALID,
        ], rate_hz=10),
        _kind("camera_tracker", 5, "Camera target tracker: line of sight to a target (OS, tube, hazard).", [
            F("los_unit", count=3, doc="unit line-of-sight vector to the target in the sensor frame, dimensionless"),
            F("detected", "u8", doc="1 if the target is detected in the image, else 0"),
            F("brightness", doc="normalised target brightness 0..1, dimensionless"),
        ], rate_hz=2),
        _kind("thermometer", 6, "Temperature sensor.", [
            F("temp_C", doc="temperature, degrees Celsius"),
        ], rate_hz=1),
        _kind("heater", 7, "Resistive heater zone.", [
            F("power_W", doc="electrical power actually drawn, W"),
        ], [
            F("power_W", doc="commanded heater power, W"),
        ], rate_hz=1),
        _kind("igniter", 8, "Solid-motor igniter with a separate arm step.", [
            F("armed", "u8", doc="1 if armed, else 0"),
            F("fired", "u8", doc="1 once the igniter has fired, else 0"),
        ], [
            F("arm", "u8", doc="1 to arm, 0 to safe"),
            F("fire", "u8", doc="1 to fire (only acts when armed)"),
        ], rate_hz=10),
        _kind("gimbal", 9, "Thrust-vector control gimbal (two axes).", [
            F("pitch_rad", doc="measured gimbal pitch angle, rad"),
            F("yaw_rad", doc="measured gimbal yaw angle, rad"),
        ], [
            F("pitch_rad", doc="commanded gimbal pitch angle, rad"),
            F("yaw_rad", doc="commanded gimbal yaw angle, rad"),
        ], rate_hz=100),
        _kind("rcs", 10, "Reaction control system; thruster selection is done by the device.", [
            F("valves_open", "u32", doc="bitmask of open thruster valves, bit i = thruster i"),
        ], [
            F("force_N", count=3, doc="commanded force in the body frame, N"),
            F("torque_Nm", count=3, doc="commanded torque about the centre of mass, body frame, N m"),
        ], rate_hz=50),
        _kind("descent_engine", 11, "Throttleable descent engine cluster (12 engines, collective).", [
            F("thrust_N", doc="measured total thrust, N"),
        ], [
            F("throttle", doc="collective throttle 0..1, dimensionless"),
            F("thrust_dir_unit", count=3, doc="commanded thrust direction, unit vector in the body frame"),
        ], rate_hz=50),
        _kind("wheel_drive", 12, "Rover wheel drives with odometry (speed and curvature steering).", [
            F("odometer_m", doc="distance travelled since power-on, m"),
            F("speed_mps", doc="measured ground speed, m/s"),
            F("heading_rad", doc="heading from wheel odometry, rad"),
        ], [
            F("speed_mps", doc="commanded ground speed, m/s"),
            F("curvature_1pm", doc="commanded path curvature (positive left), 1/m"),
        ], rate_hz=10),
        _kind("arm", 13, "Robotic arm (Sample Transfer Arm, rover arm): Cartesian end-effector control.", [
            F("position_m", count=3, doc="end-effector position in the arm base frame, m"),
            F("at_target", "u8", doc="1 when the end effector is at the commanded target, else 0"),
        ], [
            F("target_m", count=3, doc="commanded end-effector position in the arm base frame, m"),
        ], rate_hz=10),
        _kind("gripper", 14, "End-effector gripper.", [
            F("closed", "u8", doc="1 if the jaws are closed, else 0"),
            F("holding", "u8", doc="1 if an object is held, else 0"),
            F("tube_id", "u16", doc="id of the held tube (0 = none)"),
        ], [
            F("close", "u8", doc="1 to close, 0 to open"),
        ], rate_hz=10),
        _kind("tube_sensor", 15, "Tube presence / id reader (depot slot, OS slot, stowage).", [
            F("present", "u8", doc="1 if a tube is present, else 0"),
            F("tube_id", "u16", doc="id of the tube read (0 = unreadable or none)"),
        ], rate_hz=2),
        _kind("pyro", 16, "Pyrotechnic release (separation nut, cable cutter, OS release).", [
            F("fired", "u8", doc="1 once fired, else 0"),
        ], [
            F("fire", "u8", doc="1 to fire"),
        ], rate_hz=10),
        _kind("capture_mechanism", 17, "ERO capture cone: trigger sensor and lid.", [
            F("triggered", "u8", doc="1 when the trigger senses the OS inside the cone, else 0"),
            F("lid_closed", "u8", doc="1 when the lid is fully closed, else 0"),
        ], [
            F("close_lid", "u8", doc="1 to close the lid"),
        ], rate_hz=20),
        _kind("terrain_camera", 19, "Descent camera for terrain-relative navigation: a north-up nadir image.", [
            F("look_rad", count=2, doc="measured lean of the boresight from nadir, towards east and north, rad"),
            F("valid", "u8", doc="1 if the image shows the ground (camera uncovered), else 0"),
            F("width", "u16", doc="image columns (eastwards), a count of pixels"),
            F("height", "u16", doc="image rows (northwards), a count of pixels"),
            F("image", "bytes", doc="8-bit pixel values, row-major from the southern row, dimensionless"),
        ], rate_hz=1),
        _kind("radio", 18, "Radio: a byte stream (frames are the ground link's business, not hal's).", [
            F("link_up", "u8", doc="1 when the link is locked, else 0"),
            F("rx_bytes", "bytes", doc="bytes received since the previous read (drained on read)"),
        ], [
            F("tx_bytes", "bytes", doc="bytes to transmit"),
        ], rate_hz=10),
    )
}

KINDS_BY_ID: dict[int, DeviceKind] = {k.kind_id: k for k in KINDS.values()}


def kind(name: str) -> DeviceKind:
    """Look up a device kind by name; KeyError names the known kinds."""
    try:
        return KINDS[name]
    except KeyError:
        raise KeyError(f"unknown device kind {name!r}; known: {', '.join(sorted(KINDS))}") from None


def layout_crc(k: DeviceKind) -> int:
    """CRC-32 of a kind's field layout, so both ends of a serial link can check they agree."""
    text = ";".join(
        [f"{k.name}:{k.kind_id}"]
        + [f"r.{f.name}.{f.type}.{f.count}" for f in k.readings.fields]
        + [f"c.{f.name}.{f.type}.{f.count}" for f in k.commands.fields]
    )
    return zlib.crc32(text.encode())


def zero_values(layout: Layout) -> dict[str, Any]:
    """A value of every field set to zero (a safe default command or an empty reading)."""
    out: dict[str, Any] = {}
    for f in layout.fields:
        if f.type == "bytes":
            out[f.name] = b""
        elif f.is_float:
            out[f.name] = 0.0 if f.count == 1 else (0.0,) * f.count
        else:
            out[f.name] = 0 if f.count == 1 else (0,) * f.count
    return out


def describe() -> str:
    """A human-readable table of the catalog (used by docs and `msr hal catalog`)."""
    lines = []
    for k in KINDS.values():
        lines.append(f"{k.name} (id {k.kind_id}, {k.rate_hz} Hz): {k.doc}")
        for tag, layout in (("reading", k.readings), ("command", k.commands)):
            for f in layout.fields:
                n = f"[{f.count}]" if f.count > 1 else ""
                lines.append(f"  {tag:8s} {f.name}{n}: {f.type} - {f.doc}")
    return "\n".join(lines)


__all__ = [
    "Field", "Layout", "DeviceKind", "KINDS", "KINDS_BY_ID", "kind", "layout_crc",
    "zero_values", "describe", "STRUCT_CODES", "INTEGER_TYPES", "INTEGER_RANGES",
]
