"""Sample-tube custody: where every tube is, so none is ever lost or counted twice.

One ledger type for the whole campaign. Each tube id has exactly one location; a move names
where the tube is believed to be and where it goes, and is refused (with an event, never an
exception into the loop) if the tube is unknown, is elsewhere, or the route is not allowed.
The route table is data, so each vehicle allows only its own steps:

    depot -> rover -> sta -> os -> (mav, orbit, ero, eev: the OS moves as a whole later)
    perseverance -> sta   (Perseverance delivering the tubes it carries)

A component that owns a ledger includes `CUSTODY_EVENTS` in its EVENTS and passes its
`emit`; `snapshot()`/`restore()` carry the ledger through a warm restart. After a restart a
component compares the ledger with its sensors and reports it with the one `CUSTODY_CHECK`
(and each correction with `CUSTODY_RECONCILED`): shared schemas (fsw.core.conventions), so
the ground reads every vehicle's custody events the same way.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping

from fsw.core.conventions import share_event
from fsw.core.events import EventDef, Severity

DEFAULT_ROUTES: dict[str, tuple[str, ...]] = {
    "depot": ("rover",),
    "perseverance": ("sta",),
    "rover": ("sta", "depot"),    # a tube may be put back if the hand-off is abandoned
    "sta": ("os", "rover"),       # the arm may return a tube it cannot insert
    "os": ("mav",),
    "mav": ("orbit",),
    "orbit": ("ero",),
    "ero": ("eev",),
    "eev": (),
}

CUSTODY_EVENTS: tuple[EventDef, ...] = tuple(share_event(e) for e in (
    EventDef("TUBE_REGISTERED", Severity.ACTIVITY_LO, "tube {tube} at {location}", tube=int, location=str),
    EventDef("TUBE_MOVED", Severity.ACTIVITY_HI, "tube {tube}: {source} -> {dest}", tube=int, source=str, dest=str),
    EventDef("CUSTODY_REFUSED", Severity.WARNING_HI, "tube {tube}: {reason}", tube=int, reason=str),
))
CUSTODY_CHECK = share_event(EventDef(
    "CUSTODY_CHECK", Severity.ACTIVITY_HI, "ledger {ledger} vs sensors {sensors}: ok={ok}",
    "what the custody ledger says against what the sensors read (after a warm restart, at the end)",
    ledger=str, sensors=str, ok=bool))
CUSTODY_RECONCILED = share_event(EventDef(
    "CUSTODY_RECONCILED", Severity.WARNING_LO, "tube {tube}: {source} -> {dest} ({why}) after a restart",
    "a tube moved in the ledger to where the sensors found it", tube=int, source=str, dest=str, why=str))

Emit = Callable[..., None]


def _no_emit(event: str, **args: Any) -> None:
    pass


class CustodyLedger:
    def __init__(self, routes: Mapping[str, Iterable[str]] = DEFAULT_ROUTES,
                 emit: Emit = _no_emit) -> None:
        self.routes = {k: tuple(v) for k, v in routes.items()}
        self.emit = emit
        self._where: dict[int, str] = {}
        self.refusals = 0
        self.moves = 0

    # ------------------------------------------------------------ queries
    def location(self, tube: int) -> str | None:
        return self._where.get(tube)

    def tubes_at(self, location: str) -> list[int]:
        """Tube ids at a location, sorted (deterministic)."""
        return sorted(t for t, loc in self._where.items() if loc == location)

    def count(self, location: str) -> int:
        return sum(1 for loc in self._where.values() if loc == location)

    def __len__(self) -> int:
        return len(self._where)

    # ------------------------------------------------------------ changes
    def _refuse(self, tube: Any, reason: str) -> bool:
        self.refusals += 1
        self.emit("CUSTODY_REFUSED", tube=tube, reason=reason)
        return False

    def register(self, tube: int, location: str) -> bool:
        """Enter a tube into custody at a starting location (a depot, a carrying rover)."""
        if not isinstance(tube, int) or isinstance(tube, bool) or tube <= 0:
            return self._refuse(tube, "tube id must be a positive integer")
        if location not in self.routes:
            return self._refuse(tube, f"unknown location {location!r}")
        if tube in self._where:
            return self._refuse(tube, f"already registered at {self._where[tube]}")
        self._where[tube] = location
        self.emit("TUBE_REGISTERED", tube=tube, location=location)
        return True

    def move(self, tube: int, source: str, dest: str) -> bool:
        """Move a tube that is at `source` to `dest`; refused if that is not the truth or route."""
        where = self._where.get(tube)
        if where is None:
            return self._refuse(tube, "unknown tube")
        if where != source:
            return self._refuse(tube, f"is at {where}, not {source}")
        if dest not in self.routes.get(source, ()):
            return self._refuse(tube, f"no route {source} -> {dest}")
        self._where[tube] = dest
        self.moves += 1
        self.emit("TUBE_MOVED", tube=tube, source=source, dest=dest)
        return True

    # ------------------------------------------------------------ warm restart
    def snapshot(self) -> list[tuple[int, str]]:
        return sorted(self._where.items())

    def restore(self, items: Iterable[tuple[int, str]]) -> None:
        """Replace the ledger from a snapshot; duplicates or unknown locations are refused."""
        where: dict[int, str] = {}
        for tube, loc in items:
            if tube in where or loc not in self.routes:
                raise ValueError(f"corrupt custody snapshot at tube {tube!r}")
            where[tube] = loc
        self._where = where
