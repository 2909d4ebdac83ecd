"""Rate limit of the ingest's rejection events.

A flood of forged or garbled packets must not become a flood of events (each one an
encode, a log record and a downlink packet): within each `window_ns` of flight time the
first `per_window` rejections get their own event, the rest are only counted, and one
summary event per window says how many of each kind went unreported. The counters
channels of the ingest still count every rejection. Flight time only, so a SIL run with
the same inputs reports the same events.
"""
from __future__ import annotations

from fsw.core.time import NS_PER_S

KINDS = ("format", "key", "auth", "stale", "replay", "shed")


class RejectionReport:
    def __init__(self, per_window: int = 8, window_ns: int = NS_PER_S) -> None:
        if per_window < 0 or window_ns <= 0:
            raise ValueError("per_window must be >= 0 and window_ns > 0")
        self.per_window = per_window
        self.window_ns = window_ns
        self.start: int | None = None
        self.reported = 0
        self.suppressed = dict.fromkeys(KINDS, 0)
        self.suppressed_total = 0

    def roll(self, t_ns: int) -> dict[str, int] | None:
        """Start a new window when the current one is over; returns the counts the finished
        window left unreported (None if it reported everything)."""
        if self.start is None:
            self.start = t_ns
            return None
        if t_ns - self.start < self.window_ns:
            return None
        out = self.suppressed if any(self.suppressed.values()) else None
        self.start = t_ns
        self.reported = 0
        self.suppressed = dict.fromkeys(KINDS, 0)
        return out

    def allow(self, kind: str, count: int = 1) -> bool:
        """May this rejection have its own event? If not, it is counted for the summary."""
        if self.reported < self.per_window:
            self.reported += 1
            return True
        self.suppressed[kind] += count
        self.suppressed_total += count
        return False
