"""Sub-steps: a small declared mode table a component runs inside one of its modes.

The tube hand-off (reach, grasp, carry, release) or a pickup's approach/lower/grip/lift are
steps within a mode, not modes of their own; they are still data, not strings scattered
through the code. `SubSteps(table, owner)` runs a `ModeTable` in place: `go(trigger)` follows
the table (guards are the owner's methods, by name) and refuses anything else, returning
False and counting it in `rejected`, so an impossible step never happens silently;
`cycles` counts the owner's steps since the last move (for timeouts, with `tick()`).

Sub-steps emit no events of their own (the owner's mode changes and its own events say what
happened) and need no `transitions` machine: a table lookup per move. `state` is what the
owner reports in telemetry and may save in a checkpoint (`force(state)` puts it back).
"""
from __future__ import annotations

from typing import Any

from .modes import ModeTable, ModeTableError


class SubSteps:
    __slots__ = ("table", "owner", "state", "cycles", "rejected", "_edges")

    def __init__(self, table: ModeTable, owner: Any = None) -> None:
        self.table = table
        self.owner = owner
        self.state = table.initial
        self.cycles = 0
        self.rejected = 0
        self._edges: dict[tuple[str, str], list] = {}
        for e in table.edges():
            self._edges.setdefault((e.trigger, e.source), []).append(e)
        if owner is not None:
            for g in table.guard_names:
                if not callable(getattr(owner, g, None)):
                    raise ModeTableError(f"sub-step guard {g!r} is not a method of {type(owner).__name__}")

    def can(self, trigger: str) -> bool:
        """True if `go(trigger)` would move now (guards evaluated)."""
        return self._edge(trigger) is not None

    def go(self, trigger: str) -> bool:
        """Follow `trigger` from the current sub-step; False (and `rejected` + 1) if the table
        has no edge for it here or its guards refuse."""
        edge = self._edge(trigger)
        if edge is None:
            self.rejected += 1
            return False
        self.state, self.cycles = edge.dest, 0
        return True

    def _edge(self, trigger: str):
        for e in self._edges.get((trigger, self.state), ()):
            if all(self._guard(g) for g in e.guards) and not any(self._guard(g) for g in e.unless):
                return e
        return None

    def _guard(self, name: str) -> bool:
        return bool(getattr(self.owner, name)())

    def tick(self) -> int:
        """One owner step in this sub-step; returns the count."""
        self.cycles += 1
        return self.cycles

    def reset(self) -> None:
        self.state, self.cycles = self.table.initial, 0

    def force(self, state: str) -> None:
        """Set the sub-step directly: only for warm restart."""
        if state not in self.table.modes:
            raise ModeTableError(f"unknown sub-step {state!r}")
        self.state, self.cycles = state, 0

    @property
    def idle(self) -> bool:
        return self.state == self.table.initial


__all__ = ["SubSteps"]
