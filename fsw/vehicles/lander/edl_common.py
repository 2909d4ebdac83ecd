"""What the lander's EDL components share: device reads that never raise, frozen-sample
detection, and the small interfaces they talk through (wired in vehicle.py).

Each EDL component does one job (navigation, entry guidance, the EDL sequence, terrain-relative
navigation) and sees the others only through the callables of `EdlLinks`, so none reads
another's attributes and a test can drive any of them alone.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, NamedTuple

from hal.errors import DeviceFault


class DeviceReader:
    """Reads a device: a fault or a frozen sample (the same time stamp `stale_reads` more
    times) gives None and bumps `faults`; `on_fault(device, reason)` reports the first of a run."""

    def __init__(self, on_fault: Callable[[str, str], None], stale_reads: int = 2) -> None:
        self.on_fault = on_fault
        self.stale_reads = stale_reads
        self.faults = 0
        self._last: dict[str, tuple[int, int]] = {}
        self._failing: set[str] = set()

    def read(self, dev: Any) -> Any:
        if dev is None:
            return None
        try:
            s = dev.read()
        except DeviceFault as exc:
            return self._fault(dev.name, str(exc))
        last_t, repeats = self._last.get(dev.name, (None, 0))
        repeats = repeats + 1 if s.t_ns == last_t else 0
        self._last[dev.name] = (s.t_ns, repeats)
        if repeats >= self.stale_reads:
            return self._fault(dev.name, "sample frozen")
        self._failing.discard(dev.name)
        return s

    def _fault(self, name: str, reason: str) -> None:
        self.faults += 1
        if name not in self._failing:
            self._failing.add(name)
            self.on_fault(name, reason)
        return None

    def failing(self, name: str) -> bool:
        return name in self._failing


class NavState(NamedTuple):
    """The EDL navigator's estimate, as the other components see it (site frame: local).
    Immutable; a named tuple because it is made every 50 Hz step (a frozen dataclass's
    __init__ set its 16 fields one object.__setattr__ at a time: 1.7 us, this 0.4)."""

    t_ns: int
    r: tuple[float, float, float]          # Mars-fixed position, m
    v: tuple[float, float, float]          # Mars-relative velocity, m/s
    p_local: tuple[float, float, float]    # site frame
    v_local: tuple[float, float, float]
    height_m: float                        # above the ground under the estimate (map + radar)
    speed_mps: float
    mach: float
    qbar_Pa: float
    decel_mps2: float                      # measured specific force magnitude
    density_scale: float                   # measured/model density
    bank_rad: float
    bank_rate_radps: float
    pos_sigma_m: float                     # horizontal 1-sigma
    imu_ok: bool
    radar_locked: bool


@dataclass
class EdlLinks:
    """The callables the EDL components and the lander manager talk through."""

    nav: Callable[[], NavState | None] = lambda: None
    lander_mode: Callable[[], str | None] = lambda: None
    edl_phase: Callable[[], str | None] = lambda: None      # the EDL sequencer's mode
    trn_fix: Callable[[float, float, float], bool] = lambda dx, dy, sigma: False
    trn_status: Callable[[], tuple[bool, float]] = lambda: (False, 0.0)
    target: Callable[[], tuple[float, float]] = lambda: (0.0, 0.0)   # the lander's target, site frame
    handover: Callable[[], tuple] | None = None                        # the navigator's hand-over
    extras: dict[str, Any] = field(default_factory=dict)


__all__ = ["DeviceReader", "EdlLinks", "NavState"]
