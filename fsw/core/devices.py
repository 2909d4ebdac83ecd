"""Device calls: one way to call a HAL device from a component, one DEVICE_FAULT event.

A device may fail (a serial timeout, a unit that refuses); that must become an event and a
counter, never an exception into the executive. `Component.device_call(fn, *args)` calls a
bound device method, and on `hal.errors.DeviceFault` emits `DEVICE_FAULT` (device, error),
calls the component's `on_device_fault(failure)` (by default: `device_faults` + 1 if the
component has that channel) and returns a `DeviceFailure`, which is falsy, so

    r = self.device_call(self.gripper.read)
    if failed(r): return            # or: if not r

A component that calls devices puts `DEVICE_FAULT` (this one declaration) in its EVENTS;
declaring another event of that name is an error at class creation.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from hal.errors import DeviceFault

from .events import EventDef, Severity

DEVICE_FAULT = EventDef("DEVICE_FAULT", Severity.WARNING_HI, "{device}: {error}",
                        "a device call failed (or its sample froze); the caller carries on without it",
                        device=str, error=str)


@dataclass(frozen=True)
class DeviceFailure:
    """What a failed device call returns instead of its result."""

    device: str
    error: str

    def __bool__(self) -> bool:
        return False


def failed(result: Any) -> bool:
    return isinstance(result, DeviceFailure)


def device_name(fn: Callable) -> str:
    owner = getattr(fn, "__self__", None)
    return str(getattr(owner, "name", None) or getattr(fn, "__qualname__", repr(fn)))


def call_device(component: Any, fn: Callable, *args: Any, device: str | None = None) -> Any:
    """`fn(*args)`, or a DeviceFailure after the component has reported the fault."""
    try:
        return fn(*args)
    except DeviceFault as exc:
        return device_failed(component, fn, exc, device)


def device_failed(component: Any, fn: Callable, exc: DeviceFault, device: str | None = None) -> DeviceFailure:
    """The component reports the fault `fn` raised; the DeviceFailure its call returns."""
    failure = DeviceFailure(device or device_name(fn), str(exc))
    component.report_device_fault(failure)
    return failure


__all__ = ["DEVICE_FAULT", "DeviceFailure", "call_device", "device_failed", "device_name", "failed"]
