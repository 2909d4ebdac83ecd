"""The bench configuration file (TOML): what runs, where each device is wired, how fast.

    [bench]
    scenario = "zone"            # a registered scenario (sim.registry) or a dotted path
    vehicle = "zone"             # optional; checked against the scenario's vehicle
    seed = 1
    mode = "lockstep"            # or "realtime"
    duration_s = 6.0             # optional; default from the scenario
    base_rate_hz = 100           # optional; checked against the flight executive
    clock_line = "main"          # line carrying the lockstep clock (default: the only/first)
    overrides = { setpoint_C = -20.0 }   # scenario parameters
    products = "products"        # optional: directory of the ground's products the flight side
                                 # loads (the landing's onboard map), relative to this file;
                                 # `msr hil deploy` bundles them and install.sh puts them there

    [realtime]                   # board side (`msr hil run`); each step tried and reported
    priority = 80                # SCHED_FIFO priority (0: stay SCHED_OTHER)
    cpus = [1]                   # CPU affinity ([] : leave as is)
    mlockall = true
    gc = "freeze"                # "freeze" (freeze + disable), "disable" or "on"
    timer_slack_ns = 1

    [emulator]
    step_hz = 1000               # real-time mode: plant steps per second (default 1000)

    [lines.main]
    port = "/dev/ttyS1"          # board side: the flight software opens this
    bench_port = "/dev/ttyUSB0"  # bench side; "pty": the emulator makes a pty pair and
                                 # links `port` to its far end (both on one machine)
    baud = 921600
    timeout_s = 0.5
    retries = 1

    [devices.imu0]               # optional per device: line and address on it
    line = "main"                # default: the only line
    address = 3                  # default: 1 + index of the name in sorted device names

Every error is a `BenchConfigError` whose message names the file and the entry.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from hal.config import BAUDRATES, parse_devices
from hal.errors import DeviceConfigError
from hal.serial.framing import BROADCAST
from sim.deployment import Deployment, ScenarioError, validate_overrides

MODES = ("lockstep", "realtime")
GC_MODES = ("freeze", "disable", "on")
SIM_ONLY_KEYS = ("backend", "rate_hz", "noise")
PRODUCTS_DIR = "products"


class BenchConfigError(ValueError):
    """A bench file that cannot be used; the message names the entry."""


@dataclass(frozen=True)
class RealtimeSettings:
    priority: int = 80
    cpus: tuple[int, ...] = ()
    mlockall: bool = True
    gc: str = "freeze"
    timer_slack_ns: int = 1


@dataclass(frozen=True)
class Line:
    name: str
    port: str
    bench_port: str
    baud: int = 921600
    timeout_s: float = 0.5
    retries: int = 1

    @property
    def makes_pty(self) -> bool:
        return self.bench_port == "pty"


@dataclass
class Bench:
    path: str
    scenario: str
    seed: int
    mode: str
    lines: dict[str, Line]
    addresses: dict[str, tuple[str, int]]       # device -> (line, address)
    clock_line: str
    realtime: RealtimeSettings = field(default_factory=RealtimeSettings)
    step_hz: int = 1000
    duration_s: float | None = None
    base_rate_hz: int | None = None
    vehicle: str | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    products: str = PRODUCTS_DIR
    _deployment: Deployment | None = None

    @property
    def products_dir(self) -> Path:
        """Where the flight side finds the ground's products (relative paths: to the bench file)."""
        p = Path(self.products)
        return p if p.is_absolute() else Path(self.path).parent / p

    @property
    def deployment(self) -> Deployment:
        if self._deployment is None:
            self._deployment = Deployment(self.scenario, self.seed, dict(self.overrides),
                                          duration_override_s=self.duration_s, products_dir=self.products_dir)
        return self._deployment

    def flight_device_config(self) -> dict[str, dict[str, Any]]:
        """The scenario's `[devices]` table rewired to the bench's serial lines."""
        out = {}
        for name, entry in self.deployment.device_config().items():
            line_name, address = self.addresses[name]
            line = self.lines[line_name]
            e = {k: v for k, v in entry.items() if k not in SIM_ONLY_KEYS}
            e.update(port=line.port, baud=line.baud, address=address, timeout_s=line.timeout_s,
                     retries=line.retries)
            out[name] = e
        return out

    def channels_by_line(self) -> dict[str, dict[str, int]]:
        """line -> {device: address} (for the emulator)."""
        out: dict[str, dict[str, int]] = {n: {} for n in self.lines}
        for dev, (line, address) in sorted(self.addresses.items()):
            out[line][dev] = address
        return out


class _Reader:
    def __init__(self, path: str) -> None:
        self.path = path

    def err(self, where: str, msg: str) -> BenchConfigError:
        return BenchConfigError(f"{self.path}: {where}: {msg}")

    def table(self, data: Mapping, key: str, allowed: set[str] | None, required: bool = False,
              where: str | None = None) -> dict:
        where = where or key
        if key not in data:
            if required:
                raise self.err(where, "missing table")
            return {}
        t = data[key]
        if not isinstance(t, Mapping):
            raise self.err(where, "must be a table")
        if allowed is not None:
            unknown = set(t) - allowed
            if unknown:
                raise self.err(where, f"unknown keys {sorted(unknown)} (known: {', '.join(sorted(allowed))})")
        return dict(t)

    def int(self, t: Mapping, where: str, key: str, default: Any, lo: int, hi: int | None = None) -> int:
        v = t.get(key, default)
        if isinstance(v, bool) or not isinstance(v, int) or v < lo or (hi is not None and v > hi):
            rng = f"{lo}..{hi}" if hi is not None else f">= {lo}"
            raise self.err(f"{where}.{key}", f"must be an integer {rng}, got {v!r}")
        return v

    def num(self, t: Mapping, where: str, key: str, default: Any) -> float:
        v = t.get(key, default)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not v > 0 or v == float("inf"):
            raise self.err(f"{where}.{key}", f"must be a positive number, got {v!r}")
        return float(v)

    def str(self, t: Mapping, where: str, key: str, default: Any = None, choices: tuple | None = None) -> str:
        v = t.get(key, default)
        if not isinstance(v, str) or not v.strip():
            raise self.err(f"{where}.{key}", f"must be a non-empty string, got {v!r}")
        if choices and v not in choices:
            raise self.err(f"{where}.{key}", f"must be one of {', '.join(choices)}, got {v!r}")
        return v


def parse_bench(data: Mapping[str, Any], path: str = "<bench>", *, check_scenario: bool = True) -> Bench:
    r = _Reader(path)
    unknown = set(data) - {"bench", "realtime", "emulator", "lines", "devices"}
    if unknown:
        raise r.err("top level", f"unknown tables {sorted(unknown)}")
    b = r.table(data, "bench", {"scenario", "vehicle", "seed", "mode", "duration_s", "base_rate_hz",
                                "clock_line", "overrides", "products"}, required=True)
    scenario = r.str(b, "bench", "scenario")
    seed = r.int(b, "bench", "seed", 1, 0)
    mode = r.str(b, "bench", "mode", "lockstep", MODES)
    duration = r.num(b, "bench", "duration_s", b["duration_s"]) if "duration_s" in b else None
    base_rate = r.int(b, "bench", "base_rate_hz", None, 1, 100_000) if "base_rate_hz" in b else None
    overrides = b.get("overrides", {})
    if not isinstance(overrides, Mapping):
        raise r.err("bench.overrides", "must be a table of scenario parameters")

    rt = r.table(data, "realtime", {"priority", "cpus", "mlockall", "gc", "timer_slack_ns"})
    cpus = rt.get("cpus", [])
    if not isinstance(cpus, list) or any(isinstance(c, bool) or not isinstance(c, int) or c < 0 for c in cpus):
        raise r.err("realtime.cpus", f"must be a list of CPU numbers, got {cpus!r}")
    mlock = rt.get("mlockall", True)
    if not isinstance(mlock, bool):
        raise r.err("realtime.mlockall", f"must be true or false, got {mlock!r}")
    realtime = RealtimeSettings(priority=r.int(rt, "realtime", "priority", 80, 0, 99), cpus=tuple(cpus),
                                mlockall=mlock, gc=r.str(rt, "realtime", "gc", "freeze", GC_MODES),
                                timer_slack_ns=r.int(rt, "realtime", "timer_slack_ns", 1, 1, 10**9))
    em = r.table(data, "emulator", {"step_hz"})
    step_hz = r.int(em, "emulator", "step_hz", 1000, 1, 100_000)
    if 1_000_000_000 % step_hz:
        raise r.err("emulator.step_hz", f"{step_hz} Hz has no whole-nanosecond period")

    lines_t = r.table(data, "lines", None, required=True)
    if not lines_t:
        raise r.err("lines", "at least one serial line is needed")
    lines: dict[str, Line] = {}
    for name in sorted(lines_t):
        where = f"lines.{name}"
        if not isinstance(lines_t[name], Mapping):
            raise r.err(where, "must be a table with `port` and `bench_port`")
        t = r.table(lines_t, name, {"port", "bench_port", "baud", "timeout_s", "retries"}, where=where)
        baud = t.get("baud", 921600)
        if isinstance(baud, bool) or not isinstance(baud, int) or baud not in BAUDRATES:
            raise r.err(f"{where}.baud", f"unknown baud {baud!r} (standard rates: {min(BAUDRATES)}..{max(BAUDRATES)})")
        lines[name] = Line(name, r.str(t, where, "port"), r.str(t, where, "bench_port"), baud,
                           r.num(t, where, "timeout_s", 0.5), r.int(t, where, "retries", 1, 0, 10))
    ports = [ln.port for ln in lines.values()]
    if len(set(ports)) != len(ports):
        raise r.err("lines", "two lines use the same board-side port")
    clock_line = r.str(b, "bench", "clock_line", sorted(lines)[0])
    if clock_line not in lines:
        raise r.err("bench.clock_line", f"no line {clock_line!r} (lines: {', '.join(sorted(lines))})")

    devs_t = r.table(data, "devices", None)
    products = r.str(b, "bench", "products", PRODUCTS_DIR)
    bench = Bench(path, scenario, seed, mode, lines, {}, clock_line, realtime, step_hz, duration,
                  base_rate, b.get("vehicle"), dict(overrides), products)
    if check_scenario:
        resolve_devices(bench, devs_t, r)
    return bench


def resolve_devices(bench: Bench, devs_t: Mapping[str, Any], r: _Reader) -> None:
    """Check the scenario loads and every device has a line and a free address."""
    try:
        dep = bench.deployment
    except ScenarioError as exc:
        raise r.err("bench.scenario", str(exc)) from None
    try:
        validate_overrides(dep.scenario, bench.overrides)
        config = dep.device_config()
    except (ValueError, TypeError, KeyError) as exc:  # the scenario refuses the overrides
        raise r.err("bench.overrides", str(exc)) from None
    if bench.vehicle is not None and dep.vehicle is not None and bench.vehicle != dep.vehicle:
        raise r.err("bench.vehicle", f"{bench.vehicle!r}, but scenario {bench.scenario!r} flies {dep.vehicle!r}")
    try:
        parse_devices(config)
    except DeviceConfigError as exc:
        raise r.err(f"scenario {bench.scenario} devices", str(exc)) from None
    names = sorted(config)
    for name in sorted(devs_t):
        if name not in config:
            raise r.err(f"devices.{name}", f"scenario {bench.scenario!r} has no such device "
                                           f"(it has {', '.join(names)})")
    used: dict[tuple[str, int], str] = {}
    default_line = bench.clock_line if len(bench.lines) > 1 else next(iter(bench.lines))
    for i, name in enumerate(names):
        where = f"devices.{name}"
        t = r.table(devs_t, name, {"line", "address"}, where=where) if name in devs_t else {}
        line = r.str(t, where, "line", default_line)
        if line not in bench.lines:
            raise r.err(f"{where}.line", f"no line {line!r} (lines: {', '.join(sorted(bench.lines))})")
        address = r.int(t, where, "address", i + 1, 0, BROADCAST - 1)
        other = used.get((line, address))
        if other is not None:
            raise r.err(f"{where}.address", f"address {address} on line {line} is already used by {other}")
        used[(line, address)] = name
        bench.addresses[name] = (line, address)


def load_bench(path: str | Path, **kw: Any) -> Bench:
    path = str(path)
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise BenchConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise BenchConfigError(f"{path}: not valid TOML: {exc}") from None
    return parse_bench(data, path, **kw)


__all__ = ["Bench", "BenchConfigError", "Line", "PRODUCTS_DIR", "RealtimeSettings", "load_bench", "parse_bench", "MODES"]
