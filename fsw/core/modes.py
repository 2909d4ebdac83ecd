"""Declarative mode tables and their static checks.

A component's modes are data: a `ModeTable` lists modes, the initial one, the safe one, the
terminal ones and the transitions (trigger, sources, destination, named guards). From it the
component builds a `transitions` machine (auto_transitions off, so the table is the whole
truth), and the checks below prove structural properties without running anything.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Iterable

ANY = "*"


@dataclass(frozen=True)
class Transition:
    """`trigger` moves `source` (a mode, a tuple of modes, or "*") to `dest` when every guard
    in `guards` is true and every guard in `unless` is false. "*" means every non-terminal
    mode other than `dest`."""

    trigger: str
    source: str | tuple[str, ...]
    dest: str
    guards: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()


def T(trigger: str, source: str | Iterable[str], dest: str, *guards: str,
      unless: Iterable[str] = ()) -> Transition:
    """Short form for a table row: T("ignite", "ARMED", "BURN1", "grain_warm", "os_sealed")."""
    src = source if isinstance(source, str) else tuple(source)
    return Transition(trigger, src, dest, tuple(guards), tuple(unless))


@dataclass(frozen=True)
class Edge:
    trigger: str
    source: str
    dest: str
    guards: tuple[str, ...]
    unless: tuple[str, ...]


class ModeTableError(ValueError):
    """A mode table that contradicts itself (unknown mode, duplicate edge, ...)."""


@dataclass(frozen=True)
class ModeTable:
    modes: tuple[str, ...]
    initial: str
    transitions: tuple[Transition, ...]
    safe: str | None = None
    terminal: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        known = set(self.modes)
        if len(known) != len(self.modes):
            raise ModeTableError("duplicate mode names")
        for m in (self.initial, self.safe, *self.terminal):
            if m is not None and m not in known:
                raise ModeTableError(f"unknown mode {m!r}")
        seen: dict[tuple[str, str], list[Edge]] = {}
        for e in self.edges():
            if e.source not in known or e.dest not in known:
                raise ModeTableError(f"{e.trigger}: unknown mode in {e.source!r} -> {e.dest!r}")
            if e.source in self.terminal:
                raise ModeTableError(f"{e.trigger}: leaves terminal mode {e.source!r}")
            seen.setdefault((e.trigger, e.source), []).append(e)
        for (trigger, source), edges in seen.items():
            if len(edges) > 1 and any(not (e.guards or e.unless) for e in edges[:-1]):
                raise ModeTableError(
                    f"{trigger} from {source}: an unguarded edge shadows a later one")

    def edges(self) -> list[Edge]:
        """Every (trigger, source, dest) the table declares, wildcards expanded, in order."""
        out: list[Edge] = []
        for t in self.transitions:
            if t.source == ANY:
                sources = [m for m in self.modes if m not in self.terminal and m != t.dest]
            elif isinstance(t.source, str):
                sources = [t.source]
            else:
                sources = list(t.source)
            out.extend(Edge(t.trigger, s, t.dest, t.guards, t.unless) for s in sources)
        return out

    @property
    def triggers(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t.trigger for t in self.transitions))

    @property
    def guard_names(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(g for t in self.transitions for g in (*t.guards, *t.unless)))

    def successors(self) -> dict[str, set[str]]:
        succ: dict[str, set[str]] = {m: set() for m in self.modes}
        for e in self.edges():
            succ[e.source].add(e.dest)
        return succ

    def reachable_from(self, start: str, *, avoiding: Iterable[str] = ()) -> set[str]:
        """Modes reachable from `start` ignoring guards, never entering `avoiding`."""
        blocked = set(avoiding)
        succ = self.successors()
        seen = {start}
        todo = deque([start])
        while todo:
            for nxt in succ[todo.popleft()]:
                if nxt not in seen and nxt not in blocked:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    def edges_into(self, mode: str) -> list[Edge]:
        return [e for e in self.edges() if e.dest == mode]


def check_structure(table: ModeTable) -> list[str]:
    """Exhaustive structural checks; returns the problems found (empty list = sound).

    - every mode is reachable from the initial mode;
    - the safe mode (if declared) is reachable from every non-terminal mode;
    - every non-terminal mode has a way out.
    """
    problems: list[str] = []
    reach = table.reachable_from(table.initial)
    for m in table.modes:
        if m not in reach:
            problems.append(f"mode {m} is unreachable from {table.initial}")
    succ = table.successors()
    for m in table.modes:
        if m in table.terminal:
            continue
        if not succ[m]:
            problems.append(f"non-terminal mode {m} has no way out")
        if table.safe is not None and m != table.safe and table.safe not in table.reachable_from(m):
            problems.append(f"safe mode {table.safe} is unreachable from {m}")
    return problems


def every_path_passes(table: ModeTable, target: str, via: str) -> bool:
    """True if no path from the initial mode reaches `target` without passing through `via`."""
    if table.initial == via:
        return True
    return target not in table.reachable_from(table.initial, avoiding=[via])
