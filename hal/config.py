"""Device configuration: which backend serves each named device instance.

A configuration is a mapping (usually the `[devices]` table of a TOML file)::

    [devices.imu0]
    kind = "imu"
    backend = "sim"                       # the default when there is no `port`
    rate_hz = 200
    noise.accel_mps2 = { sigma = 0.002, bias_sigma = 0.0005, quantum = 0.0001 }

    [devices.tvc]
    kind = "gimbal"
    port = "/dev/ttyUSB0"                 # or "loop://", "socket://host:port", a pty path
    baud = 921600
    address = 3                           # device address on that line (default 0)

Entries sharing a `port` share one link and must agree on its settings. Every error is a
`DeviceConfigError` whose message starts with the entry (`devices.tvc: unknown baud 12345`).
"""
from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Mapping, TypeVar

import serial

from hal.catalog import KINDS, DeviceKind
from hal.devices import Device, make_device
from hal.errors import DeviceConfigError
from hal.plant import Plant
from hal.serial.channel import SerialChannel
from hal.serial.framing import BROADCAST
from hal.serial.link import SerialLink
from hal.serial.port import PortSettings
from hal.simulated import FieldNoise, SensorModel, SimChannel, device_rng, period_ns

if TYPE_CHECKING:   # numpy only for simulated devices: a serial-only flight side never loads it
    import numpy as np

BAUDRATES = frozenset(serial.Serial.BAUDRATES)
COMMON_KEYS = {"kind", "backend"}
SIM_KEYS = COMMON_KEYS | {"rate_hz", "noise"}
SERIAL_KEYS = COMMON_KEYS | {
    "port", "baud", "address", "timeout_s", "retries", "stream_hz", "bytesize", "parity",
    "stopbits", "rtscts", "xonxoff", "exclusive", "hello", "identify",
}
LINK_KEYS = ("baud", "bytesize", "parity", "stopbits", "rtscts", "xonxoff", "exclusive",
             "timeout_s", "retries", "hello")


@dataclass(frozen=True)
class SimSpec:
    model: SensorModel


@dataclass(frozen=True)
class SerialSpec:
    port: PortSettings
    address: int
    timeout_s: float
    retries: int
    hello: bool
    identify: bool
    stream_hz: int | None
    link_key: tuple = field(default=())


@dataclass(frozen=True)
class DeviceSpec:
    name: str
    kind: DeviceKind
    backend: SimSpec | SerialSpec


def _err(where: str, message: str) -> DeviceConfigError:
    return DeviceConfigError(f"{where}: {message}")


def _int(where: str, key: str, v: Any, lo: int, hi: int | None = None) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < lo or (hi is not None and v > hi):
        rng = f"{lo}..{hi}" if hi is not None else f">= {lo}"
        raise _err(where, f"{key} must be an integer {rng}, got {v!r}")
    return v


def _float(where: str, key: str, v: Any, positive: bool = False) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or (positive and v <= 0):
        raise _err(where, f"{key} must be a {'positive ' if positive else ''}finite number, got {v!r}")
    return float(v)


def _bool(where: str, key: str, v: Any) -> bool:
    if not isinstance(v, bool):
        raise _err(where, f"{key} must be true or false, got {v!r}")
    return v


def _parse_noise(where: str, kind: DeviceKind, noise: Any) -> dict[str, FieldNoise]:
    if not isinstance(noise, Mapping):
        raise _err(where, "noise must be a table of field -> {sigma, bias, bias_sigma, quantum}")
    floats = {f.name for f in kind.readings.fields if f.is_float}
    out = {}
    for fname, params in noise.items():
        if fname not in floats:
            raise _err(where, f"noise for {fname!r}, which is not a float reading of {kind.name} "
                              f"(those are: {', '.join(sorted(floats)) or 'none'})")
        if not isinstance(params, Mapping):
            raise _err(where, f"noise.{fname} must be a table")
        unknown = set(params) - {"sigma", "bias", "bias_sigma", "quantum"}
        if unknown:
            raise _err(where, f"noise.{fname}: unknown keys {sorted(unknown)}")
        try:
            out[fname] = FieldNoise(**{k: _float(where, f"noise.{fname}.{k}", v) for k, v in params.items()})
        except ValueError as exc:
            if isinstance(exc, DeviceConfigError):
                raise
            raise _err(where, f"noise.{fname}: {exc}") from None
    return out


def parse_entry(name: str, entry: Any, section: str = "devices") -> DeviceSpec:
    """Validate one entry; the error names it as `<section>.<name>`."""
    where = f"{section}.{name}"
    if not isinstance(entry, Mapping):
        raise _err(where, "must be a table with at least `kind`")
    if "kind" not in entry:
        raise _err(where, f"missing `kind` (one of {', '.join(sorted(KINDS))})")
    kind = KINDS.get(entry["kind"]) if isinstance(entry["kind"], str) else None
    if kind is None:
        raise _err(where, f"unknown kind {entry['kind']!r} (one of {', '.join(sorted(KINDS))})")
    backend = entry.get("backend", "serial" if "port" in entry else "sim")
    if backend == "sim":
        unknown = set(entry) - SIM_KEYS
        if unknown:
            raise _err(where, f"unknown keys for a sim device: {sorted(unknown)}")
        rate = _int(where, "rate_hz", entry.get("rate_hz", kind.rate_hz), 1)
        try:
            period_ns(rate)
        except ValueError as exc:
            raise _err(where, f"rate_hz: {exc}") from None
        noise = _parse_noise(where, kind, entry.get("noise", {}))
        return DeviceSpec(name, kind, SimSpec(SensorModel(rate, noise)))
    if backend != "serial":
        raise _err(where, f"unknown backend {backend!r} (use \"sim\" or \"serial\")")
    unknown = set(entry) - SERIAL_KEYS
    if unknown:
        raise _err(where, f"unknown keys for a serial device: {sorted(unknown)}")
    port = entry.get("port")
    if not isinstance(port, str) or not port.strip():
        raise _err(where, "missing `port` (a device path or a pyserial URL such as loop://)")
    baud = entry.get("baud", 115200)
    if isinstance(baud, bool) or not isinstance(baud, int) or baud not in BAUDRATES:
        raise _err(where, f"unknown baud {baud!r} (standard rates: {min(BAUDRATES)}..{max(BAUDRATES)})")
    bytesize = entry.get("bytesize", 8)
    if bytesize not in (5, 6, 7, 8) or isinstance(bytesize, bool):
        raise _err(where, f"bytesize must be 5, 6, 7 or 8, got {bytesize!r}")
    parity = entry.get("parity", "N")
    if parity not in ("N", "E", "O", "M", "S"):
        raise _err(where, f"parity must be one of N, E, O, M, S, got {parity!r}")
    stopbits = entry.get("stopbits", 1)
    if stopbits not in (1, 1.5, 2) or isinstance(stopbits, bool):
        raise _err(where, f"stopbits must be 1, 1.5 or 2, got {stopbits!r}")
    stream_hz = entry.get("stream_hz")
    if stream_hz is not None:
        stream_hz = _int(where, "stream_hz", stream_hz, 1, 100_000)
    settings = PortSettings(
        port, baudrate=baud, bytesize=bytesize, parity=parity, stopbits=stopbits,
        rtscts=_bool(where, "rtscts", entry.get("rtscts", False)),
        xonxoff=_bool(where, "xonxoff", entry.get("xonxoff", False)),
        exclusive=_bool(where, "exclusive", entry.get("exclusive", True)))
    spec = SerialSpec(
        port=settings,
        address=_int(where, "address", entry.get("address", 0), 0, BROADCAST - 1),
        timeout_s=_float(where, "timeout_s", entry.get("timeout_s", 0.2), positive=True),
        retries=_int(where, "retries", entry.get("retries", 1), 0, 10),
        hello=_bool(where, "hello", entry.get("hello", False)),
        identify=_bool(where, "identify", entry.get("identify", False)),
        stream_hz=stream_hz,
        link_key=tuple(entry.get(k) for k in LINK_KEYS),
    )
    return DeviceSpec(name, kind, spec)


def parse_devices(entries: Any, section: str = "devices") -> dict[str, DeviceSpec]:
    """Validate a whole configuration (no port is opened). Names are sorted for a stable order."""
    if not isinstance(entries, Mapping):
        raise _err(section, "must be a table of device entries")
    specs: dict[str, DeviceSpec] = {}
    seen: dict[tuple[str, int], str] = {}
    link_of: dict[str, tuple[str, tuple]] = {}
    for name in sorted(entries, key=str):
        if not isinstance(name, str) or not name:
            raise _err(section, f"device names must be non-empty strings, got {name!r}")
        spec = parse_entry(name, entries[name], section)
        b = spec.backend
        if isinstance(b, SerialSpec):
            other = seen.get((b.port.url, b.address))
            if other is not None:
                raise _err(f"{section}.{name}", f"address {b.address} on {b.port.url} is already used by {other}")
            seen[(b.port.url, b.address)] = name
            first = link_of.setdefault(b.port.url, (name, b.link_key))
            if first[1] != b.link_key:
                raise _err(f"{section}.{name}", f"port {b.port.url} settings differ from those of {first[0]} "
                                                 f"(devices on one port share baud, framing and timeouts)")
        specs[name] = spec
    return specs


def load_toml(path: str | Path, section: str = "devices") -> dict[str, DeviceSpec]:
    """Parse the `[devices]` table of a TOML file."""
    try:
        data = tomllib.loads(Path(path).read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise DeviceConfigError(f"{path}: {exc}") from None
    return parse_devices(data.get(section, {}), section)


D = TypeVar("D", bound=Device)


class DeviceSet(Mapping[str, Device]):
    """The built devices by name, plus the serial links they share. Close it when done."""

    def __init__(self, devices: dict[str, Device], links: dict[str, SerialLink]) -> None:
        self._devices = devices
        self.links = links

    def __getitem__(self, name: str) -> Device:
        return self._devices[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._devices)

    def __len__(self) -> int:
        return len(self._devices)

    def get_as(self, name: str, cls: type[D]) -> D:
        """The device `name`, checked to be of the typed interface `cls`."""
        if name not in self._devices:
            raise DeviceConfigError(f"devices.{name}: not configured")
        dev = self._devices[name]
        if not isinstance(dev, cls):
            raise DeviceConfigError(f"devices.{name}: is a {dev.kind.name}, expected a {cls.KIND}")
        return dev

    def close(self) -> None:
        for dev in self._devices.values():
            dev.close()
        for link in self.links.values():
            link.close()

    def __enter__(self) -> "DeviceSet":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def build_devices(config: Mapping[str, Any] | Mapping[str, DeviceSpec], *, plant: Plant | None = None,
                  seed: int | np.random.SeedSequence | np.random.Generator | None = None,
                  section: str = "devices") -> DeviceSet:
    """Build typed devices from a configuration (raw mapping or parsed specs).

    Simulated devices need `plant`, and `seed` when any has noise: each device's generator
    derives from the seed and its name (`hal.simulated.device_rng`). Serial devices open
    their port now; a port that cannot be opened raises `DeviceDisconnected`/`DeviceBusy`.
    """
    specs = config if all(isinstance(v, DeviceSpec) for v in config.values()) else parse_devices(config, section)
    if seed is not None and not isinstance(seed, int) and hasattr(seed, "integers"):  # a numpy Generator
        seed = int(seed.integers(0, 2**63))
    devices: dict[str, Device] = {}
    links: dict[str, SerialLink] = {}
    try:
        for name, spec in specs.items():
            where = f"{section}.{name}"
            b = spec.backend
            if isinstance(b, SimSpec):
                if plant is None:
                    raise _err(where, "backend sim needs a plant")
                if b.model.noise and seed is None:
                    raise _err(where, "has a noise model but no seed was given")
                rng = device_rng(seed, name) if seed is not None else None
                channel = SimChannel(plant, name, spec.kind, b.model, rng)
            else:
                link = links.get(b.port.url)
                if link is None:
                    link = SerialLink(b.port, name=b.port.url, timeout_s=b.timeout_s,
                                      retries=b.retries, hello=b.hello)
                    links[b.port.url] = link
                channel = SerialChannel(link, b.address, spec.kind, name, stream_hz=b.stream_hz)
                if b.identify:
                    channel.identify()
            devices[name] = make_device(channel)
    except BaseException:
        for link in links.values():
            link.close()
        raise
    return DeviceSet(devices, links)


__all__ = ["DeviceSpec", "SimSpec", "SerialSpec", "parse_entry", "parse_devices", "load_toml",
           "build_devices", "DeviceSet", "BAUDRATES"]
