"""Sensor visibility physics and fault-injection hooks.

What a sensor *can* see is physics and lives here: camera detection probability against
range and brightness, lidar maximum range and field of view, the altimeter beam meeting the
terrain. Measurement noise, bias and quantisation are the HAL simulated backend's job, so
nothing here adds them (no noise twice). `FaultHooks` lets a scenario or a Monte Carlo make a
device drop out, stick, or read offset for a window of simulated time.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np

from hal.errors import DeviceTimeout


# --- geometry -----------------------------------------------------------------------------------

def unit(v: Sequence[float]) -> tuple[float, float, float]:
    n = math.sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2])
    if n == 0.0:
        return 0.0, 0.0, 0.0
    return v[0] / n, v[1] / n, v[2] / n


def off_axis_angle(direction: Sequence[float], boresight: Sequence[float]) -> float:
    """Angle (rad) between a direction and a boresight, both in the same frame."""
    d, b = unit(direction), unit(boresight)
    return math.acos(max(-1.0, min(1.0, d[0] * b[0] + d[1] * b[1] + d[2] * b[2])))


# --- camera -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CameraParams:
    """Narrow-angle camera against a faint target (the OS, 30 cm, fainter than most stars).

    Brightness is the target's received flux normalised to saturation; it falls as 1/range^2.
    Detection probability is a logistic in log-flux centred on the 50% detection range.
    """

    half_fov_rad: float = math.radians(2.0)
    range_50pct_m: float = 1.5e6           # detected from > 1,000 km (MSR_FACTS.md)
    logistic_width_decades: float = 0.15   # flux decades from 50% to ~73% detection
    saturation_range_m: float = 2.0e3      # brightness 1.0 at and inside this range
    min_range_m: float = 2.0               # closer than this the target overfills the tracker


def target_brightness(range_m: float, cam: CameraParams, phase_factor: float = 1.0) -> float:
    """Normalised 0..1 brightness of the target at a range (1/r^2, times a phase factor)."""
    if range_m <= 0.0:
        return 1.0
    return max(0.0, min(1.0, phase_factor * (cam.saturation_range_m / range_m) ** 2))


def detection_probability(range_m: float, cam: CameraParams, phase_factor: float = 1.0) -> float:
    """Probability that one image detects the target (0 outside the useful range)."""
    if range_m < cam.min_range_m:
        return 0.0
    flux_decades = math.log10(phase_factor * (cam.range_50pct_m / range_m) ** 2) if phase_factor > 0 else -math.inf
    z = flux_decades / cam.logistic_width_decades
    if z < -50.0:
        return 0.0
    return 1.0 / (1.0 + math.exp(-z))


# --- lidar --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LidarParams:
    max_range_m: float = 1000.0    # scanning lidar for close range (~500 m to capture)
    min_range_m: float = 0.5
    half_fov_rad: float = math.radians(10.0)


def lidar_measure(rel_pos: Sequence[float], rel_vel: Sequence[float], boresight: Sequence[float],
                  lp: LidarParams) -> tuple[float, float, int]:
    """(range, range rate, valid) of a point target at rel_pos/rel_vel in the sensor frame."""
    rng = math.sqrt(sum(c * c for c in rel_pos))
    if rng == 0.0:
        return 0.0, 0.0, 0
    rate = sum(rel_pos[i] * rel_vel[i] for i in range(3)) / rng
    ok = lp.min_range_m <= rng <= lp.max_range_m and off_axis_angle(rel_pos, boresight) <= lp.half_fov_rad
    return (rng, rate, 1) if ok else (0.0, 0.0, 0)


# --- altimeter over terrain -----------------------------------------------------------------------

def ray_terrain_range(height_at, origin: Sequence[float], direction: Sequence[float],
                      max_range_m: float, step_m: float = 1.0) -> float | None:
    """Distance along a ray to the terrain surface z = height_at(x, y), or None if beyond range.

    Marches in steps no longer than `step_m` (a cell or so) and refines the crossing by
    bisection, so slant beams over craters and dunes see the right ground.
    """
    d = unit(direction)
    ox, oy, oz = origin
    if d[0] == 0.0 and d[1] == 0.0:
        # a vertical beam samples the ground under the origin only (ox + 0 t = ox, and the
        # height of -0.0 is that of 0.0): one height for the whole march, the same bits
        ground = height_at(ox, oy)
        height_at = lambda x, y: ground              # noqa: E731
    if oz - height_at(ox, oy) <= 0.0:
        return 0.0
    if d[2] < 0.0:  # start near the likely hit: a flat-ground guess minus a margin
        t = max(0.0, (oz - height_at(ox, oy)) / -d[2] - 50.0 * step_m)
        t = min(t, max_range_m)
        while t > 0.0 and oz + d[2] * t - height_at(ox + d[0] * t, oy + d[1] * t) <= 0.0:
            t = max(0.0, t - 50.0 * step_m)
    else:
        t = 0.0
    prev = t
    while t <= max_range_m:
        if oz + d[2] * t - height_at(ox + d[0] * t, oy + d[1] * t) <= 0.0:
            lo, hi = prev, t
            for _ in range(40):
                mid = 0.5 * (lo + hi)
                if oz + d[2] * mid - height_at(ox + d[0] * mid, oy + d[1] * mid) <= 0.0:
                    hi = mid
                else:
                    lo = mid
            return hi
        prev = t
        t += step_m
    return None


# --- fault hooks ----------------------------------------------------------------------------------

FAULT_MODES = ("dropout", "stuck", "offset")


class FaultError(ValueError):
    """A fault specification is malformed."""


@dataclass(frozen=True)
class Fault:
    """One injected fault on a device for [start_ns, end_ns).

    dropout: flags (`valid`, `detected`) read 0, or a sensor without flags times out;
             `probability` < 1 drops each sample at random (plant Generator);
    stuck:   the reading freezes at its value when the fault began;
    offset:  `value` is added to the float field `field_name` (a failure, not nominal bias).
    """

    device: str
    mode: str
    start_ns: int = 0
    end_ns: int = 2**63 - 1
    probability: float = 1.0
    field_name: str = ""
    value: float | tuple[float, ...] = 0.0

    def __post_init__(self) -> None:
        if self.mode not in FAULT_MODES:
            raise FaultError(f"unknown fault mode {self.mode!r}; known: {FAULT_MODES}")
        if self.end_ns <= self.start_ns:
            raise FaultError("fault window is empty")
        if not 0.0 <= self.probability <= 1.0:
            raise FaultError("probability must be in [0, 1]")
        if self.mode == "offset" and not self.field_name:
            raise FaultError("an offset fault names the field it offsets")


_FLAG_FIELDS = ("valid", "detected")


@dataclass
class FaultHooks:
    """Active faults, applied by every plant to its truth readings in `sense`."""

    faults: list[Fault] = field(default_factory=list)
    _stuck: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)

    def inject(self, fault: Fault) -> None:
        self.faults.append(fault)

    def clear(self) -> None:
        self.faults.clear()
        self._stuck.clear()

    def apply(self, device: str, t_ns: int, reading: Mapping[str, Any], rng: np.random.Generator) -> dict[str, Any]:
        out = dict(reading)
        for idx, f in enumerate(self.faults):
            if f.device != device or not f.start_ns <= t_ns < f.end_ns:
                continue
            if f.mode == "stuck":
                out = dict(self._stuck.setdefault((device, idx), dict(out)))
            elif f.mode == "offset":
                if f.field_name in out:
                    v = out[f.field_name]
                    out[f.field_name] = (tuple(a + b for a, b in zip(v, f.value)) if isinstance(v, tuple)
                                         else v + float(f.value))
            elif f.probability >= 1.0 or rng.random() < f.probability:  # dropout
                flags = [k for k in _FLAG_FIELDS if k in out]
                if not flags:
                    raise DeviceTimeout("injected dropout", device)
                for k in flags:
                    out[k] = 0
        return out
