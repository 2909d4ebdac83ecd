"""Typed declarations of a scenario's overridable parameters: default, type and limits.

Why: an override (`--set`, a dispersion file, a bench's `[bench.overrides]`, a campaign's
chain) must be refused with one line naming it and what is allowed *before* anything flies,
never turn into a traceback deep in a plant, and never fly a NaN. A scenario lists

    PARAMS = (ScenarioParam("max_time_s", 300.0, lo=1.0, hi=3600.0, doc="..."), ...)
    DEFAULTS = defaults(PARAMS)

and `sim.deployment.resolve_overrides(..., params=PARAMS)` checks every value against its
declaration. Settings that are flight-software parameters take their limits from the
component's own `Param` (`flight_param`), and `check_flight_params` checks `nav.X=...`
pass-throughs against those limits, naming the limit, before the flight side is built.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

from fsw.core.component import Component

MAX_SEED = 2**63 - 1        # seeds are non-negative 63-bit integers (Monte Carlo scenario seeds are)


class ScenarioError(ValueError):
    """The scenario cannot be deployed (unknown, a bad override, missing part of the split)."""


def show(value: Any, limit: int = 60) -> str:
    """A value as the user wrote it, cut to fit one line."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _num(x: float) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


@dataclass(frozen=True)
class ScenarioParam:
    """One overridable setting. `type` is float, int, bool or str (with `choices`); a
    structured value (a list of tube ids, an [x, y] point, a table) gives `convert`, which
    returns the checked value or raises ValueError, and `allowed`, which says what it takes.
    Limits are inclusive; floats must be finite; `optional` accepts None ("derive it")."""

    name: str
    default: Any
    type: type = float
    lo: float | None = None
    hi: float | None = None
    choices: tuple[str, ...] = ()
    optional: bool = False
    convert: Callable[[Any], Any] | None = None
    allowed: str = ""
    doc: str = ""

    def allowed_text(self) -> str:
        if self.convert is not None:
            text = self.allowed or "a value of the documented form"
        elif self.type is bool:
            text = "true or false"
        elif self.type is str:
            text = f"one of {', '.join(self.choices)}" if self.choices else "a string"
        else:
            what = "an integer" if self.type is int else "a finite number"
            if self.lo is not None and self.hi is not None:
                text = f"{what} in [{_num(self.lo)}, {_num(self.hi)}]"
            elif self.lo is not None:
                text = f"{what} >= {_num(self.lo)}"
            elif self.hi is not None:
                text = f"{what} <= {_num(self.hi)}"
            else:
                text = what
        return text + (" or null" if self.optional else "")

    def refuse(self, value: Any, why: str = "") -> ScenarioError:
        return ScenarioError(f"{self.name}={show(value)}: {why + '; ' if why else ''}"
                             f"expected {self.allowed_text()}")

    def check(self, value: Any) -> Any:
        """The value as the scenario uses it, or a ScenarioError naming it and what is allowed."""
        if value is None and self.optional:
            return None
        if self.convert is not None:
            try:
                return self.convert(value)
            except ScenarioError as exc:             # a nested declaration said it all
                raise ScenarioError(f"{self.name}={show(value)}: {exc}") from None
            except (ValueError, TypeError, KeyError, IndexError, OverflowError) as exc:
                raise self.refuse(value, str(exc).split("\n")[0]) from None
        t = self.type
        if t is bool:
            if isinstance(value, bool):
                return value
            raise self.refuse(value)
        if t is str:
            if isinstance(value, str) and (not self.choices or value in self.choices):
                return value
            raise self.refuse(value)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.refuse(value)
        if t is int:
            if not isinstance(value, int):
                raise self.refuse(value)
            v: float = value
        else:
            if not math.isfinite(value):
                raise self.refuse(value)
            v = float(value)
        if (self.lo is not None and v < self.lo) or (self.hi is not None and v > self.hi):
            raise self.refuse(value)
        return v


def defaults(params: Iterable[ScenarioParam]) -> dict[str, Any]:
    """The DEFAULTS dict of a declaration (what chains and Monte Carlo see)."""
    return {p.name: p.default for p in params}


def seed_param(name: str, default: int, doc: str = "") -> ScenarioParam:
    return ScenarioParam(name, default, int, 0, MAX_SEED, doc=doc)


def flight_param(component: type[Component], param: str, default: Any = None, *, name: str | None = None,
                 doc: str = "") -> ScenarioParam:
    """A scenario setting that is passed to a flight parameter: the component's own type and
    limits, so the scenario cannot accept what the flight software would refuse."""
    pdef = {p.name: p for p in component.PARAMS}[param]
    choices = tuple(pdef.choices or ())
    return ScenarioParam(name or param, pdef.default if default is None else default, pdef.type,
                         pdef.lo, pdef.hi, choices, doc=doc or pdef.doc)


def xy_point(limit_m: float) -> Callable[[Any], list[float]]:
    """A converter for an [x, y] point in metres, each coordinate finite and within +-limit_m."""
    def convert(value: Any) -> list[float]:
        if not isinstance(value, (list, tuple)) or len(value) != 2 or not all(
                isinstance(c, (int, float)) and not isinstance(c, bool) and math.isfinite(c)
                and abs(c) <= limit_m for c in value):
            raise ValueError("not an [x, y] point")
        return [float(value[0]), float(value[1])]
    return convert


def grid_rate(base_hz: int, max_hz: int) -> Callable[[Any], int]:
    """A converter for a physics rate: an integer multiple of the flight base rate (every
    deadline on the physics grid) with a whole-nanosecond period, at most `max_hz`."""
    def convert(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= max_hz \
                or value % base_hz or 1_000_000_000 % value:
            raise ValueError("not on the flight grid")
        return value
    return convert


def table_of(params: Iterable[ScenarioParam]) -> Callable[[Any], dict[str, Any]]:
    """A converter for a table of some of `params` (e.g. a phase's summary passed on)."""
    declared = {p.name: p for p in params}

    def convert(value: Any) -> dict[str, Any]:
        if not isinstance(value, Mapping):
            raise ValueError("not a table")
        unknown = sorted(str(k) for k in value if k not in declared)
        if unknown:
            raise ValueError(f"unknown key(s) {', '.join(unknown)}")
        return {k: declared[k].check(v) for k, v in value.items()}
    return convert


def check_values(params: Iterable[ScenarioParam], values: Mapping[str, Any]) -> dict[str, Any]:
    """Every declared key of `values` checked (and normalised: ints given for floats become floats)."""
    declared = {p.name: p for p in params}
    return {k: declared[k].check(v) if k in declared else v for k, v in values.items()}


def check_flight_params(components: Mapping[str, type[Component]], values: Mapping[str, Any]) -> None:
    """`component.NAME=value` settings against the components' declared parameters, before the
    flight side is built: a refusal names the parameter, the value and the limit it breaks."""
    for key, value in values.items():
        comp, _, name = key.partition(".")
        cls = components.get(comp)
        if cls is None:
            raise ScenarioError(f"{key}={show(value)}: no flight component {comp!r}; "
                                f"flight parameters are {', '.join(f'{c}.NAME' for c in sorted(components))}")
        problem = cls.param_problem(name, value)
        if problem is not None:
            raise ScenarioError(f"{key}={show(value)} refused by the flight software: {problem}")


__all__ = ["MAX_SEED", "ScenarioError", "ScenarioParam", "check_flight_params", "check_values", "defaults",
           "flight_param", "grid_rate", "seed_param", "show", "table_of", "xy_point"]
