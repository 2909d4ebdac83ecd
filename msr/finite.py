"""A click number type that refuses NaN and infinity.

click's FloatRange lets ``nan`` through (every comparison with NaN is false), and a NaN
duration or speed then fails deep inside as a traceback; every float option uses this.
"""
from __future__ import annotations

import math

import click


class Finite(click.FloatRange):
    """A finite float, optionally within [min, max] like click.FloatRange."""

    name = "number"

    def convert(self, value, param, ctx):
        v = super().convert(value, param, ctx)
        if not math.isfinite(v):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return v


class Seconds(Finite):
    """A finite number of seconds."""

    name = "seconds"
