"""Typed device interfaces: what flight code holds. Thin over a `hal.channel.Channel`.

Each reading class mirrors its catalog kind field by field (a test checks they agree) and
adds the sample time `t_ns`. Every method may raise a `hal.errors.DeviceFault`.
Commands are complete: an actuator object remembers its last command so a method that
changes one field (e.g. `Igniter.fire`) sends the others unchanged.
"""
from __future__ import annotations

from dataclasses import MISSING, dataclass, fields
from typing import Any, Callable, ClassVar, Generic, Mapping, TypeVar

from hal.catalog import zero_values
from hal.channel import Channel
from hal.errors import DeviceConfigError

Vec3 = tuple[float, float, float]
Quat = tuple[float, float, float, float]


# ---- readings (field names and units: see hal/catalog.py) --------------------------------
@dataclass(frozen=True, slots=True)
class ImuReading:
    t_ns: int
    accel_mps2: Vec3
    rate_radps: Vec3


@dataclass(frozen=True, slots=True)
class StarTrackerReading:
    t_ns: int
    q_body_to_inertial: Quat
    valid: int


@dataclass(frozen=True, slots=True)
class AltimeterReading:
    t_ns: int
    range_m: float
    valid: int


@dataclass(frozen=True, slots=True)
class LidarReading:
    t_ns: int
    range_m: float
    range_rate_mps: float
    valid: int


@dataclass(frozen=True, slots=True)
class CameraTrackerReading:
    t_ns: int
    los_unit: Vec3
    detected: int
    brightness: float


@dataclass(frozen=True, slots=True)
class ThermometerReading:
    t_ns: int
    temp_C: float


@dataclass(frozen=True, slots=True)
class HeaterReading:
    t_ns: int
    power_W: float


@dataclass(frozen=True, slots=True)
class IgniterReading:
    t_ns: int
    armed: int
    fired: int


@dataclass(frozen=True, slots=True)
class GimbalReading:
    t_ns: int
    pitch_rad: float
    yaw_rad: float


@dataclass(frozen=True, slots=True)
class RcsReading:
    t_ns: int
    valves_open: int


@dataclass(frozen=True, slots=True)
class DescentEngineReading:
    t_ns: int
    thrust_N: float


@dataclass(frozen=True, slots=True)
class WheelDriveReading:
    t_ns: int
    odometer_m: float
    speed_mps: float
    heading_rad: float


@dataclass(frozen=True, slots=True)
class ArmReading:
    t_ns: int
    position_m: Vec3
    at_target: int


@dataclass(frozen=True, slots=True)
class GripperReading:
    t_ns: int
    closed: int
    holding: int
    tube_id: int


@dataclass(frozen=True, slots=True)
class TubeSensorReading:
    t_ns: int
    present: int
    tube_id: int


@dataclass(frozen=True, slots=True)
class PyroReading:
    t_ns: int
    fired: int


@dataclass(frozen=True, slots=True)
class CaptureMechanismReading:
    t_ns: int
    triggered: int
    lid_closed: int


@dataclass(frozen=True, slots=True)
class RadioReading:
    t_ns: int
    link_up: int
    rx_bytes: bytes


@dataclass(frozen=True, slots=True)
class TerrainCameraReading:
    t_ns: int
    look_rad: tuple[float, float]
    valid: int
    width: int
    height: int
    image: bytes


R = TypeVar("R")
_MAKERS: dict[type, Callable[[int, Mapping[str, Any]], Any]] = {}   # reading class -> reading_maker(it)


class Device(Generic[R]):
    """Base of every typed device: a name, a kind, a channel."""

    KIND: ClassVar[str]
    READING: ClassVar[type]

    def __init__(self, channel: Channel) -> None:
        if channel.kind.name != self.KIND:
            raise DeviceConfigError(f"is a {channel.kind.name}, not a {self.KIND}", channel.name)
        self.channel = channel
        self.kind = channel.kind
        self._command: dict[str, Any] = zero_values(channel.kind.commands)
        make = _MAKERS.get(self.READING)
        if make is None:
            make = _MAKERS[self.READING] = reading_maker(self.READING)
        self._make = make

    @property
    def name(self) -> str:
        return self.channel.name

    def read(self) -> R:
        s = self.channel.read()
        return self._make(s.t_ns, s.values)

    def _send(self, **changes: Any) -> None:
        command = {**self._command, **changes}
        self.channel.write(command)
        self._command = command  # remembered only once the device accepted it

    @property
    def last_command(self) -> dict[str, Any]:
        return dict(self._command)

    def close(self) -> None:
        self.channel.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"


class Imu(Device[ImuReading]):
    KIND, READING = "imu", ImuReading


class StarTracker(Device[StarTrackerReading]):
    KIND, READING = "star_tracker", StarTrackerReading


class Altimeter(Device[AltimeterReading]):
    KIND, READING = "altimeter", AltimeterReading


class Lidar(Device[LidarReading]):
    KIND, READING = "lidar", LidarReading


class CameraTracker(Device[CameraTrackerReading]):
    KIND, READING = "camera_tracker", CameraTrackerReading


class Thermometer(Device[ThermometerReading]):
    KIND, READING = "thermometer", ThermometerReading


class Heater(Device[HeaterReading]):
    KIND, READING = "heater", HeaterReading

    def set_power(self, power_W: float) -> None:
        self._send(power_W=power_W)


class Igniter(Device[IgniterReading]):
    KIND, READING = "igniter", IgniterReading

    def arm(self) -> None:
        self._send(arm=1, fire=0)

    def safe(self) -> None:
        self._send(arm=0, fire=0)

    def fire(self) -> None:
        """Fire; the device ignores it unless armed (arm state is sent unchanged)."""
        self._send(fire=1)


class Gimbal(Device[GimbalReading]):
    KIND, READING = "gimbal", GimbalReading

    def point(self, pitch_rad: float, yaw_rad: float) -> None:
        self._send(pitch_rad=pitch_rad, yaw_rad=yaw_rad)


class Rcs(Device[RcsReading]):
    KIND, READING = "rcs", RcsReading

    def command(self, force_N: Vec3, torque_Nm: Vec3) -> None:
        self._send(force_N=tuple(force_N), torque_Nm=tuple(torque_Nm))

    def off(self) -> None:
        self._send(force_N=(0.0, 0.0, 0.0), torque_Nm=(0.0, 0.0, 0.0))


class DescentEngine(Device[DescentEngineReading]):
    KIND, READING = "descent_engine", DescentEngineReading

    def command(self, throttle: float, thrust_dir_unit: Vec3 = (0.0, 0.0, 1.0)) -> None:
        self._send(throttle=throttle, thrust_dir_unit=tuple(thrust_dir_unit))


class WheelDrive(Device[WheelDriveReading]):
    KIND, READING = "wheel_drive", WheelDriveReading

    def drive(self, speed_mps: float, curvature_1pm: float = 0.0) -> None:
        self._send(speed_mps=speed_mps, curvature_1pm=curvature_1pm)

    def stop(self) -> None:
        self._send(speed_mps=0.0, curvature_1pm=0.0)


class Arm(Device[ArmReading]):
    KIND, READING = "arm", ArmReading

    def move_to(self, target_m: Vec3) -> None:
        self._send(target_m=tuple(target_m))


class Gripper(Device[GripperReading]):
    KIND, READING = "gripper", GripperReading

    def close_jaws(self) -> None:
        self._send(close=1)

    def open_jaws(self) -> None:
        self._send(close=0)


class TubeSensor(Device[TubeSensorReading]):
    KIND, READING = "tube_sensor", TubeSensorReading


class Pyro(Device[PyroReading]):
    KIND, READING = "pyro", PyroReading

    def fire(self) -> None:
        self._send(fire=1)


class CaptureMechanism(Device[CaptureMechanismReading]):
    KIND, READING = "capture_mechanism", CaptureMechanismReading

    def close_lid(self) -> None:
        self._send(close_lid=1)


class TerrainCamera(Device[TerrainCameraReading]):
    """Byte stream: every `read()` takes a new image."""

    KIND, READING = "terrain_camera", TerrainCameraReading


class Radio(Device[RadioReading]):
    """Byte stream: `read()` returns the bytes received since the previous read."""

    KIND, READING = "radio", RadioReading

    def send(self, data: bytes) -> None:
        self.channel.write({"tx_bytes": bytes(data)})


def reading_maker(cls: type) -> Callable[[int, Mapping[str, Any]], Any]:
    """`lambda t_ns, values: cls(t_ns, **values)` for a reading class (frozen, slots), made
    once per class: its slots set directly, without the frozen `__init__`'s keyword call and
    `object.__setattr__` per field (a SIL delivery reads ~360,000 times). Values that are not
    exactly the class's fields go through `cls(...)` itself, which raises as it always did."""
    names = [f.name for f in fields(cls)]
    if names[0] != "t_ns" or any(f.default is not MISSING or f.default_factory is not MISSING for f in fields(cls)):
        return lambda t_ns, values: cls(t_ns, **values)
    scope: dict[str, Any] = {"cls": cls, "new": object.__new__, "KeyError": KeyError}
    scope.update((f"S{k}", getattr(cls, n).__set__) for k, n in enumerate(names))
    rest = names[1:]
    lines = ["def make(t_ns, values):",
             f"    if len(values) != {len(rest)}:",
             "        return cls(t_ns, **values)",
             "    try:"]
    lines += [f"        v{k} = values[{n!r}]" for k, n in enumerate(rest, 1)]
    lines += ["    except KeyError:", "        return cls(t_ns, **values)",
              "    o = new(cls)", "    S0(o, t_ns)"]
    lines += [f"    S{k}(o, v{k})" for k in range(1, len(names))]
    lines.append("    return o")
    exec("\n".join(lines) + "\n", scope)     # noqa: S102 - generated from the dataclass fields only
    return scope["make"]


DEVICE_CLASSES: dict[str, type[Device]] = {
    cls.KIND: cls
    for cls in (Imu, StarTracker, Altimeter, Lidar, CameraTracker, Thermometer, Heater, Igniter,
                Gimbal, Rcs, DescentEngine, WheelDrive, Arm, Gripper, TubeSensor, Pyro,
                CaptureMechanism, Radio, TerrainCamera)
}


def make_device(channel: Channel) -> Device:
    """The typed interface for a channel's kind."""
    return DEVICE_CLASSES[channel.kind.name](channel)


__all__ = [name for name in dir() if name.endswith("Reading")] + [
    "Device", "DEVICE_CLASSES", "make_device", "Imu", "StarTracker", "Altimeter", "Lidar",
    "CameraTracker", "Thermometer", "Heater", "Igniter", "Gimbal", "Rcs", "DescentEngine",
    "WheelDrive", "Arm", "Gripper", "TubeSensor", "Pyro", "CaptureMechanism", "Radio", "TerrainCamera",
]
