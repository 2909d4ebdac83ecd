"""Declarations a component makes: telemetry channels, parameters and command arguments.

They are plain data so the ground dictionary (JSON, XTCE) is generated from the same source
the flight code validates against.
"""
from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from typing import Any

# Value types a channel, parameter or argument may have, with their wire names.
VALUE_TYPES: dict[type, str] = {bool: "bool", int: "i64", float: "f64", str: "string"}


class ValidationError(ValueError):
    """An outside value (command argument, parameter) that does not fit its declaration."""


@dataclass(frozen=True)
class Channel:
    """A telemetry channel: a named, typed, unit-carrying value a component updates."""

    name: str
    type: type = float
    units: str = ""
    doc: str = ""


@dataclass(frozen=True)
class Arg:
    """A typed command argument; numbers have inclusive limits, enums a set of names."""

    name: str
    type: type = float
    lo: float | None = None
    hi: float | None = None
    choices: tuple[str, ...] | None = None
    doc: str = ""

    def coerce(self, value: Any) -> Any:
        """Validate and convert an outside value; raise ValidationError naming the argument."""
        t = self.type
        if t is bool:
            if isinstance(value, bool):
                return value
            if isinstance(value, int) and value in (0, 1):
                return bool(value)
            if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
                return value.lower() in ("true", "1")
            raise ValidationError(f"{self.name}: expected a bool, got {value!r}")
        if t is int:
            if isinstance(value, bool) or not isinstance(value, (int, str)):
                raise ValidationError(f"{self.name}: expected an integer, got {value!r}")
            try:
                v = int(value)
            except ValueError:
                raise ValidationError(f"{self.name}: expected an integer, got {value!r}") from None
        elif t is float:
            if isinstance(value, bool) or not isinstance(value, (int, float, str)):
                raise ValidationError(f"{self.name}: expected a number, got {value!r}")
            try:
                v = float(value)
            except ValueError:
                raise ValidationError(f"{self.name}: expected a number, got {value!r}") from None
            if not math.isfinite(v):
                raise ValidationError(f"{self.name}: {value!r} is not finite")
        elif t is str:
            if not isinstance(value, str):
                raise ValidationError(f"{self.name}: expected a string, got {value!r}")
            if self.choices is not None and value not in self.choices:
                raise ValidationError(f"{self.name}: {value!r} not one of {list(self.choices)}")
            return value
        elif isinstance(t, type) and issubclass(t, enum.Enum):
            try:
                return t[value] if isinstance(value, str) else t(value)
            except (KeyError, ValueError):
                raise ValidationError(f"{self.name}: {value!r} not one of {[m.name for m in t]}") from None
        else:  # pragma: no cover - declaration error, caught at class creation in practice
            raise TypeError(f"unsupported argument type {t!r}")
        if self.lo is not None and v < self.lo:
            raise ValidationError(f"{self.name}: {v} below minimum {self.lo}")
        if self.hi is not None and v > self.hi:
            raise ValidationError(f"{self.name}: {v} above maximum {self.hi}")
        return v


@dataclass(frozen=True)
class Param(Arg):
    """A parameter: an argument with a default, settable from the ground within its limits."""

    default: Any = None

    def __post_init__(self) -> None:
        if self.default is None:
            raise TypeError(f"parameter {self.name} needs a default")
        self.coerce(self.default)  # a declaration with an out-of-range default is a bug
