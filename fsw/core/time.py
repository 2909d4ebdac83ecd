"""Flight time is an integer count of nanoseconds; these helpers keep conversions in one place."""
from __future__ import annotations

NS_PER_US = 1_000
NS_PER_MS = 1_000_000
NS_PER_S = 1_000_000_000


def seconds_to_ns(seconds: float) -> int:
    """Round a duration in seconds to the nearest whole nanosecond."""
    return int(round(seconds * NS_PER_S))


def ns_to_seconds(ns: int) -> float:
    return ns / NS_PER_S


def period_ns(rate_hz: int) -> int:
    """Period of an integer rate; refuses rates whose period is not a whole nanosecond."""
    if not isinstance(rate_hz, int) or rate_hz <= 0:
        raise ValueError(f"rate must be a positive integer in Hz, got {rate_hz!r}")
    if NS_PER_S % rate_hz:
        raise ValueError(f"{rate_hz} Hz has no whole-nanosecond period")
    return NS_PER_S // rate_hz
