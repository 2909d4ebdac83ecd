"""Simulated backend: device channels that read and write a `Plant`.

A reading is plant truth + bias + Gaussian noise, then quantised, sampled at the device's
own rate: sample times lie on the integer-ns grid k * period_ns, and a read between two grid
points returns the last sample unchanged (no new noise draw). Noise comes only from the
generator handed in, one per device, so the same seed gives the same readings whatever
else runs.

Float fields get noise; integer fields (flags, ids, bitmasks) are passed through from the
truth. A byte-stream kind (radio) is never held: each read drains what the plant delivers.

Fault hooks for fault injection (`set_fault`): "stuck" (the reading freezes; on an actuator,
commands are acknowledged but ignored, so the plant keeps the last one), "dropout" (reads
raise `DeviceTimeout`), "bias" (a step of `magnitude` added to the float fields, or to one
`field`), "noise" (extra white noise of sigma `magnitude`, drawn from the fault's own
generator so the nominal noise stream is left alone) and "failed" (reads and writes raise
`DeviceTimeout`: a dead unit).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping

from hal.catalog import DeviceKind
from hal.errors import DeviceConfigError, DeviceTimeout
from hal.plant import Plant
from hal.values import Sample, layout_checker

if TYPE_CHECKING:
    import numpy as np

NS_PER_S = 1_000_000_000
# Sample (frozen, slots) built without its keyword __init__: one per device read
_new, _set_t, _set_values = object.__new__, Sample.t_ns.__set__, Sample.values.__set__
FAULTS = (None, "stuck", "dropout", "bias", "noise", "failed")


@dataclass(frozen=True)
class FieldNoise:
    """Error model of one float field. Units are those of the field.

    `bias` is a fixed offset; `bias_sigma` draws an extra constant offset per device (per
    element) once, at construction; `sigma` is white noise per sample; `quantum` > 0 rounds
    the result to a multiple of it (after noise, as an ADC does).
    """

    sigma: float = 0.0
    bias: float = 0.0
    bias_sigma: float = 0.0
    quantum: float = 0.0

    def __post_init__(self) -> None:
        for name in ("sigma", "bias", "bias_sigma", "quantum"):
            v = getattr(self, name)
            if not isinstance(v, (int, float)) or not math.isfinite(v):
                raise ValueError(f"{name} must be a finite number, got {v!r}")
        if self.sigma < 0 or self.bias_sigma < 0 or self.quantum < 0:
            raise ValueError("sigma, bias_sigma and quantum must be >= 0")


@dataclass(frozen=True)
class SensorModel:
    """Sampling rate and per-field noise of one device instance."""

    rate_hz: int
    noise: Mapping[str, FieldNoise] = field(default_factory=dict)

    @property
    def period_ns(self) -> int:
        return period_ns(self.rate_hz)


def period_ns(rate_hz: int) -> int:
    """Whole-nanosecond period of an integer rate (the executive's rule, repeated here
    because hal/ may not import fsw/)."""
    if isinstance(rate_hz, bool) or not isinstance(rate_hz, int) or rate_hz <= 0:
        raise ValueError(f"rate must be a positive integer in Hz, got {rate_hz!r}")
    if NS_PER_S % rate_hz:
        raise ValueError(f"{rate_hz} Hz has no whole-nanosecond period")
    return NS_PER_S // rate_hz


class SimChannel:
    """One device instance backed by the plant. `rng` is this device's own generator."""

    def __init__(self, plant: Plant, name: str, kind: DeviceKind, model: SensorModel | None = None,
                 rng: np.random.Generator | None = None) -> None:
        self.plant = plant
        self.name = name
        self.kind = kind
        self.model = model or SensorModel(kind.rate_hz)
        unknown = set(self.model.noise) - {f.name for f in kind.readings.fields if f.is_float}
        if unknown:
            raise DeviceConfigError(f"noise for unknown or non-float fields {sorted(unknown)}", name)
        if self.model.noise and rng is None:
            raise DeviceConfigError("a noise model needs a random generator", name)
        self._rng = rng
        self._period = self.model.period_ns
        self._bias = {
            f.name: self._draw_bias(self.model.noise[f.name], f.count)
            for f in kind.readings.fields if f.name in self.model.noise
        }
        # per-read work decided once: the truth/command checkers and, per noisy field,
        # (name, count, bias as Python floats, sigma, quantum, index of its first draw)
        self._check_truth = layout_checker(kind.readings).function
        self._check_command = layout_checker(kind.commands, finite=True).function
        self._byte_stream = kind.is_byte_stream
        self._actuator = kind.is_actuator
        noisy, draws = [], 0
        for f in kind.readings.fields:
            n = self.model.noise.get(f.name)
            if n is not None:
                noisy.append((f.name, f.count, tuple(self._bias[f.name].tolist()), float(n.sigma),
                              float(n.quantum), draws))
                draws += f.count if n.sigma > 0 else 0
        self._noisy = tuple(noisy)
        self._draws = draws  # white-noise draws per sample, all fields together
        self._zs: list[float] = []   # the white noise of the next samples, NOISE_BLOCK at a time,
        self._zi = 0                 # where the next sample's starts,
        self._zstate: dict | None = None   # and the generator's state before that block
        self._last: Sample | None = None
        self.fault: str | None = None
        self.fault_magnitude = 0.0
        self.fault_field: str | None = None
        self._fault_rng: np.random.Generator | None = None
        self.samples_taken = 0

    def _draw_bias(self, n: FieldNoise, count: int) -> np.ndarray:
        import numpy as np   # here, not at the top: a board's serial-only flight side never loads numpy
        b = np.full(count, n.bias, dtype=float)
        if n.bias_sigma > 0:
            b += n.bias_sigma * self._rng.standard_normal(count)
        return b

    @property
    def bias(self) -> dict[str, tuple[float, ...]]:
        """The constant offsets drawn for this device (for tests and reports)."""
        return {k: tuple(float(x) for x in v) for k, v in self._bias.items()}

    def set_fault(self, fault: str | None, *, magnitude: float = 0.0, field: str | None = None,
                  rng: np.random.Generator | None = None) -> None:
        """Inject (or with None, clear) a fault; `magnitude`/`field` for "bias" and "noise"."""
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; known: {FAULTS}")
        if not isinstance(magnitude, (int, float)) or not math.isfinite(magnitude):
            raise ValueError(f"fault magnitude must be a finite number, got {magnitude!r}")
        floats = [f.name for f in self.kind.readings.fields if f.is_float]
        if field is not None and field not in floats:
            raise ValueError(f"{self.name}: no float field {field!r}; float fields: {floats}")
        self.fault = fault
        self.fault_magnitude = float(magnitude)
        self.fault_field = field
        if fault == "noise":
            self._fault_rng = rng if rng is not None else device_rng(0, "fault:" + self.name)

    def read(self) -> Sample:
        fault = self.fault
        if fault == "dropout" or fault == "failed":
            raise DeviceTimeout(f"no data ({fault})", self.name)
        now = self.plant.now_ns()
        if self._byte_stream:
            return self._sample(now)
        t = now - now % self._period
        last = self._last
        if last is not None and (fault == "stuck" or last.t_ns >= t):
            return last
        self._last = last = self._sample(t)
        return last

    def _sample(self, t_ns: int) -> Sample:
        """Truth + bias + noise, quantised. Scalar Python float arithmetic, bit for bit what
        float64 numpy arrays give (same IEEE operations in the same order; `_rint` rounds
        half to even as `np.round` does). The white noise of all fields is drawn in one call
        of the summed size, in field order: `standard_normal(n)` fills element by element
        from the same stream, so this is the very sequence that one `standard_normal(count)`
        per field gives (tests check both against the per-field array formulation). The draws
        of NOISE_BLOCK samples come from one call, for the same reason (`sync_noise`)."""
        values = self._check_truth(self.plant.sense(self.name), self.name)  # a fresh dict: ours
        draws = self._draws
        if draws:
            zs, i0 = self._zs, self._zi
            if i0 == len(zs):
                self._zstate = self._rng.bit_generator.state
                zs = self._zs = self._rng.standard_normal(draws * NOISE_BLOCK).tolist()
                i0 = 0
            self._zi = i0 + draws
        for name, count, bias, sigma, quantum, i in self._noisy:
            v = values[name]
            if draws:
                i += i0
            if count == 1:
                x = v + bias[0]
                if sigma > 0:
                    x = x + sigma * zs[i]
                if quantum > 0:
                    x = _rint(x / quantum) * quantum
                values[name] = x
            elif count == 3:  # the common vector, unrolled: same operations as below
                a, b, c = v
                p, q, r = bias
                a, b, c = a + p, b + q, c + r
                if sigma > 0:
                    a, b, c = a + sigma * zs[i], b + sigma * zs[i + 1], c + sigma * zs[i + 2]
                if quantum > 0:
                    a, b, c = _rint(a / quantum) * quantum, _rint(b / quantum) * quantum, _rint(c / quantum) * quantum
                values[name] = (a, b, c)
            else:
                if sigma > 0:
                    xs = [a + b + sigma * z for a, b, z in zip(v, bias, zs[i:i + count])]  # (a + b) + sigma z
                else:
                    xs = [a + b for a, b in zip(v, bias)]
                if quantum > 0:
                    xs = [_rint(a / quantum) * quantum for a in xs]
                values[name] = tuple(xs)
        if self.fault in ("bias", "noise"):
            self._apply_fault(values)
        self.samples_taken += 1
        s = _new(Sample)                  # Sample(int(t_ns), values), its slots set directly
        _set_t(s, int(t_ns))
        _set_values(s, values)
        return s

    def sync_noise(self) -> None:
        """Put this device's generator where the samples taken so far leave it (the state before
        the block, then as many draws as they took), as one draw call per sample left it: for
        whoever looks at it (tests). The next sample starts a new block from there."""
        if self._zi < len(self._zs):
            self._rng.bit_generator.state = self._zstate
            if self._zi:
                self._rng.standard_normal(self._zi)
        self._zs, self._zi = [], 0

    def _apply_fault(self, values: dict[str, Any]) -> None:
        for f in self.kind.readings.fields:
            if not f.is_float or (self.fault_field is not None and f.name != self.fault_field):
                continue
            import numpy as np
            x = np.atleast_1d(np.asarray(values[f.name], dtype=float))
            if self.fault == "bias":
                x = x + self.fault_magnitude
            else:
                x = x + self.fault_magnitude * self._fault_rng.standard_normal(f.count)
            values[f.name] = float(x[0]) if f.count == 1 else tuple(float(e) for e in x)

    def write(self, command: Mapping[str, Any]) -> None:
        if self.fault == "failed":
            raise DeviceTimeout("no acknowledgement (failed)", self.name)
        checked = self._check_command(command, self.name)
        if self.fault == "stuck" and self._actuator:
            return  # acknowledged, not carried out: the plant keeps its last command
        self.plant.actuate(self.name, checked)

    def close(self) -> None:
        pass


# Samples whose white noise one generator call draws: a noisy device is read ~50,000 times in
# a delivery, and one numpy call per sample cost more than its arithmetic.
NOISE_BLOCK = 64


def _rint(x: float) -> float:
    """`float(np.rint(x))` for a Python float: round half to even, keeping the sign of a
    zero result (-0.4 -> -0.0) and passing NaN and infinities through."""
    if x - x == 0.0:  # finite
        return math.copysign(float(round(x)), x)
    return x


def device_rng(seed: int | np.random.SeedSequence, name: str) -> np.random.Generator:
    """The generator of one device: derived from the run seed and the device NAME (not its
    position in the config), so adding a device does not change the others' noise."""
    import numpy as np
    base = seed.entropy if isinstance(seed, np.random.SeedSequence) else int(seed)
    key = [int(b) for b in name.encode("utf-8")]
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(base, spawn_key=key)))


__all__ = ["FieldNoise", "SensorModel", "SimChannel", "device_rng", "period_ns", "FAULTS"]
