"""Common machinery of the plants: the fixed physics grid, device dispatch and fault hooks.

A plant steps its physics at `physics_rate_hz`, whose period must divide the flight-software
base period, so `SimClock.sleep_until(deadline)` always lands on the physics grid. Device
instances map to catalog kinds (`hal.catalog`); `sense` returns exactly the kind's reading
fields as truth (the HAL simulated backend adds noise) and `actuate` accepts its command
fields. Unknown devices and malformed commands raise `PlantDeviceError` (a `DeviceFault`),
never crash the plant.
"""
from __future__ import annotations

import math
from typing import Any, Mapping

import numpy as np

from hal.catalog import KINDS, DeviceKind
from hal.errors import DeviceFault
from hal.values import InvalidValues, layout_checker
from sim.sensors import Fault, FaultHooks

NS_PER_S = 1_000_000_000


class PlantTimeError(ValueError):
    """advance_to was asked to go backwards or to a time off the physics grid."""


class PlantDeviceError(DeviceFault):
    """Unknown device, or a command with unknown fields or non-finite values."""


class FixedStepPlant:
    """Base class: subclasses set `devices` (instance -> kind) and implement `_step`, `_sense`,
    `_actuate` and `truth`."""

    def __init__(self, physics_rate_hz: int, devices: Mapping[str, str], seed: int | np.random.Generator = 0,
                 start_ns: int = 0) -> None:
        if not isinstance(physics_rate_hz, int) or physics_rate_hz <= 0 or NS_PER_S % physics_rate_hz:
            raise ValueError(f"physics rate must be an integer Hz with a whole-ns period, got {physics_rate_hz!r}")
        for name, k in devices.items():
            if k not in KINDS:
                raise ValueError(f"device {name!r}: unknown kind {k!r}")
        self.step_ns = NS_PER_S // physics_rate_hz
        self.dt = self.step_ns / NS_PER_S
        self.devices: dict[str, str] = dict(devices)
        self._sensors: dict[str, tuple[str, DeviceKind]] = {}   # device -> (its kind name, kind): sense()
        self._actuators: dict[str, tuple] = {}      # device -> (kind name, kind, command fields, checker)
        self.rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        self.hooks = FaultHooks()
        self._start_ns = int(start_ns)
        self._now_ns = int(start_ns)
        self.steps = 0

    # --- time ---------------------------------------------------------------------------------
    def now_ns(self) -> int:
        return self._now_ns

    @property
    def t_s(self) -> float:
        """Simulated seconds since the plant started (from the integer step count, no drift)."""
        return self.steps * self.step_ns / NS_PER_S

    def check_base_rate(self, base_rate_hz: int) -> None:
        """Refuse a flight base rate whose period is not a whole number of physics steps."""
        if NS_PER_S % base_rate_hz or (NS_PER_S // base_rate_hz) % self.step_ns:
            raise PlantTimeError(f"base rate {base_rate_hz} Hz is not a multiple of the physics step {self.step_ns} ns")

    def advance_to(self, t_ns: int) -> None:
        if type(t_ns) is not int or t_ns < self._now_ns or (t_ns - self._start_ns) % self.step_ns:
            t_ns = self.check_time(t_ns)   # the slow path says what is wrong
        self._advance_checked(t_ns)

    def _advance_checked(self, t_ns: int) -> None:
        """`advance_to` a time already checked (an int on the grid, not in the past)."""
        n = (t_ns - self._now_ns) // self.step_ns
        if n:
            self._advance_steps(n)
            self._now_ns = t_ns

    def check_time(self, t_ns: int) -> int:
        """Return t_ns as int if it is a valid target for advance_to, else raise PlantTimeError."""
        if isinstance(t_ns, bool) or not isinstance(t_ns, (int, np.integer)):
            raise PlantTimeError(f"time must be integer nanoseconds, got {t_ns!r}")
        t_ns = int(t_ns)
        if t_ns < self._now_ns:
            raise PlantTimeError(f"cannot go back in time: now {self._now_ns} ns, asked {t_ns} ns")
        if (t_ns - self._start_ns) % self.step_ns:
            raise PlantTimeError(f"{t_ns} ns is not on the physics grid (step {self.step_ns} ns from {self._start_ns})")
        return t_ns

    def _advance_steps(self, n: int) -> None:
        """Step n whole physics steps (override for a faster multi-step path)."""
        for _ in range(n):
            self._step(self.dt)
            self.steps += 1

    # --- devices ------------------------------------------------------------------------------
    def _kind(self, device: str) -> DeviceKind:
        try:
            return KINDS[self.devices[device]]
        except KeyError:
            raise PlantDeviceError(f"unknown device; this plant has {', '.join(sorted(self.devices))}", device) from None

    def sense(self, device: str) -> Mapping[str, Any]:
        # the device's kind, looked up and checked once (a plant is read hundreds of
        # thousands of times): kept with the very kind name `devices` holds for it
        known = self._sensors.get(device)
        if known is not None and self.devices.get(device) is known[0]:
            kind = known[1]
        else:
            kind = self._kind(device)
            if not kind.is_sensor:
                raise PlantDeviceError(f"{kind.name} has no readings", device)
            self._sensors[device] = (self.devices[device], kind)
        reading = self._sense(device, kind)
        if self.hooks.faults:
            reading = self.hooks.apply(device, self._now_ns, reading, self.rng)
        return reading

    def actuate(self, device: str, command: Mapping[str, Any]) -> None:
        # the device's kind and command checker, looked up once (a rover's wheels are
        # commanded every cycle), kept with the very kind name `devices` holds for it
        known = self._actuators.get(device)
        if known is not None and self.devices.get(device) is known[0]:
            _, kind, n_fields, check = known
        else:
            kind = self._kind(device)
            if not kind.is_actuator:
                raise PlantDeviceError(f"{kind.name} takes no commands", device)
            n_fields, check = len(kind.commands.fields), layout_checker(kind.commands, finite=True).function
            self._actuators[device] = (self.devices[device], kind, n_fields, check)
        if type(command) is dict and len(command) == n_fields:
            # a whole command (what a HAL device sends): the HAL's fast layout check
            try:
                clean = check(command)
            except InvalidValues as exc:
                raise PlantDeviceError(str(exc), device) from None
            self._actuate(device, kind, clean)
            return
        if not isinstance(command, Mapping):
            raise PlantDeviceError("a command is a mapping of field name to value", device)
        clean = {}
        for name, value in command.items():
            try:
                f = kind.commands.field(name)
            except KeyError:
                raise PlantDeviceError(f"unknown command field {name!r}; {kind.name} takes {kind.commands.names}",
                                       device) from None
            clean[name] = self._check_value(device, f, value)
        self._actuate(device, kind, clean)

    @staticmethod
    def _check_value(device: str, f, value: Any) -> Any:
        if f.type == "bytes":
            if not isinstance(value, (bytes, bytearray)):
                raise PlantDeviceError(f"{f.name} must be bytes", device)
            return bytes(value)
        vals = value if f.count > 1 else (value,)
        try:
            if len(vals) != f.count:
                raise PlantDeviceError(f"{f.name} needs {f.count} values", device)
            nums = tuple(float(v) if f.is_float else int(v) for v in vals)
        except (TypeError, ValueError):
            raise PlantDeviceError(f"{f.name}: not numeric: {value!r}", device) from None
        if f.is_float and not all(math.isfinite(v) for v in nums):
            raise PlantDeviceError(f"{f.name}: non-finite value {value!r}", device)
        return nums if f.count > 1 else nums[0]

    def inject_fault(self, fault: Fault) -> None:
        if fault.device not in self.devices:
            raise PlantDeviceError("cannot inject a fault into an unknown device", fault.device)
        self.hooks.inject(fault)

    # --- subclass interface -------------------------------------------------------------------
    def _step(self, dt: float) -> None:
        raise NotImplementedError

    def _sense(self, device: str, kind: DeviceKind) -> dict[str, Any]:
        raise NotImplementedError

    def _actuate(self, device: str, kind: DeviceKind, command: dict[str, Any]) -> None:
        raise NotImplementedError

    def truth(self) -> dict[str, Any]:
        raise NotImplementedError


class CompositePlant:
    """Several plants behind one Plant protocol (e.g. the MAV: thermal + ascent).

    Device names must be unique across the parts; time advances every part in order.
    """

    def __init__(self, *parts: FixedStepPlant) -> None:
        self.parts = parts
        self._route: dict[str, FixedStepPlant] = {}
        for p in parts:
            for d in p.devices:
                if d in self._route:
                    raise ValueError(f"device {d!r} is in two plants")
                self._route[d] = p

    def now_ns(self) -> int:
        return self.parts[0].now_ns()

    def advance_to(self, t_ns: int) -> None:
        parts = self.parts
        ok = type(t_ns) is int
        for p in parts:      # every part first, so a refusal leaves none advanced
            if not ok or t_ns < p._now_ns or (t_ns - p._start_ns) % p.step_ns:
                for q in parts:
                    q.check_time(t_ns)   # the slow path says what is wrong
                t_ns = int(t_ns)         # all accepted it (a numpy integer): as check_time returns it
                break
        for p in parts:
            p._advance_checked(t_ns)     # checked above, for every part

    def _part(self, device: str) -> FixedStepPlant:
        try:
            return self._route[device]
        except KeyError:
            raise PlantDeviceError("unknown device", device) from None

    def sense(self, device: str) -> Mapping[str, Any]:
        return self._part(device).sense(device)

    def actuate(self, device: str, command: Mapping[str, Any]) -> None:
        self._part(device).actuate(device, command)

    def truth(self) -> dict[str, Any]:
        return {type(p).__name__: p.truth() for p in self.parts}

    def truth_fields(self) -> tuple[str, ...] | None:
        """Every part's declared truth names under its class name (as `truth()` nests them),
        or None if a part declares none (sim.truth then flattens `truth()`)."""
        names = []
        for p in self.parts:
            fn = getattr(p, "truth_fields", None)
            own = fn() if callable(fn) else None
            if own is None:
                return None
            names += [f"{type(p).__name__}.{n}" for n in own]
        return tuple(names)

    def truth_values(self) -> list[float]:
        if len(self.parts) == 2:
            return [*self.parts[0].truth_values(), *self.parts[1].truth_values()]
        return [v for p in self.parts for v in p.truth_values()]

    def truth_derived(self, columns: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Each part's derived series (sim.truth), under its class name."""
        out: dict[str, np.ndarray] = {}
        for p in self.parts:
            fn = getattr(p, "truth_derived", None)
            if callable(fn):
                prefix = f"{type(p).__name__}."
                own = {k[len(prefix):]: v for k, v in columns.items() if k.startswith(prefix)}
                out.update((prefix + k, v) for k, v in fn(own).items())
        return out
