"""Declarative fault specifications: what to break, where, when and how badly.

A spec is plain data (a dict from JSON/TOML or the matrix) turned into a checked `FaultSpec`;
anything malformed is a `FaultSpecError` naming the key, never an exception from deep inside
a run. When: `at_s` seconds after the flight starts, or `when = "component:MODE"` (the first
tick that component is in that mode) plus `delay_s`. `duration_s = None` means permanent.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any, Mapping

SENSOR_KINDS = ("dropout", "stuck", "bias", "noise")
ACTUATOR_KINDS = ("actuator_stuck", "actuator_failed")
KINDS = SENSOR_KINDS + ACTUATOR_KINDS + ("overrun", "crash", "link_loss", "reset")
NEEDS_TARGET = SENSOR_KINDS + ACTUATOR_KINDS + ("crash",)

DEFAULT_MAGNITUDE = {"bias": 1.0, "noise": 1.0, "overrun": 1.5}


class FaultSpecError(ValueError):
    """A fault specification is malformed (unknown kind or key, bad value)."""


@dataclass(frozen=True)
class FaultSpec:
    kind: str
    target: str = ""                 # device (sensor/actuator kinds) or component (crash)
    at_s: float | None = None
    when: str | None = None          # "component:MODE"
    delay_s: float = 0.0
    duration_s: float | None = None  # None: until the end of the run
    magnitude: float | None = None   # bias step, noise sigma, overrun in periods
    field: str | None = None         # one reading field for bias/noise (default: every float field)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise FaultSpecError(f"unknown fault kind {self.kind!r}; known: {', '.join(KINDS)}")
        if self.kind in NEEDS_TARGET and not self.target:
            raise FaultSpecError(f"{self.kind}: needs a target (device or component)")
        if (self.at_s is None) == (self.when is None):
            raise FaultSpecError(f"{self.kind}: give exactly one of at_s or when")
        if self.when is not None and (":" not in self.when or not all(self.when.split(":", 1))):
            raise FaultSpecError(f"{self.kind}: when must be 'component:MODE', got {self.when!r}")
        for name in ("at_s", "delay_s", "duration_s", "magnitude"):
            v = getattr(self, name)
            signed = name == "magnitude" and self.kind == "bias"   # a bias step may be negative
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))
                                  or not math.isfinite(v) or (v < 0 and not signed)):
                raise FaultSpecError(f"{self.kind}: {name} must be a finite number"
                                     f"{'' if signed else ' >= 0'}, got {v!r}")
        if self.duration_s is not None and self.duration_s == 0:
            raise FaultSpecError(f"{self.kind}: duration_s must be > 0 (or absent: permanent)")

    @property
    def level(self) -> float:
        return float(self.magnitude if self.magnitude is not None else DEFAULT_MAGNITUDE.get(self.kind, 0.0))

    def label(self) -> str:
        where = f"@{self.at_s:g}s" if self.at_s is not None else f"@{self.when}+{self.delay_s:g}s"
        return f"{self.kind}({self.target})" + where if self.target else f"{self.kind}{where}"

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}


def parse_spec(entry: Mapping[str, Any]) -> FaultSpec:
    """A FaultSpec from plain data; unknown keys and bad types are FaultSpecError."""
    if not isinstance(entry, Mapping):
        raise FaultSpecError(f"a fault spec is a table of keys, got {type(entry).__name__}")
    known = {f.name for f in fields(FaultSpec)}
    unknown = sorted(set(map(str, entry)) - known)
    if unknown:
        raise FaultSpecError(f"unknown fault spec key(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    if "kind" not in entry:
        raise FaultSpecError("a fault spec needs a kind")
    for key in ("kind", "target", "when", "field"):
        if key in entry and entry[key] is not None and not isinstance(entry[key], str):
            raise FaultSpecError(f"{key} must be a string, got {entry[key]!r}")
    return FaultSpec(**dict(entry))


__all__ = ["ACTUATOR_KINDS", "FaultSpec", "FaultSpecError", "KINDS", "SENSOR_KINDS", "parse_spec"]
