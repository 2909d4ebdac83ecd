"""The shared lifecycle of the MAV's flight phases (PX4 navigator style, MAV-PH-001..003).

A phase object owns the work and the state of one flight phase or a group of related modes
(`MODES`). The flight manager, which owns the mode table, calls

- `on_activation(mode)` when the mode changes into one of its modes (not while a checkpoint
  is restored: the restart rule decides what a restored phase does first),
- `on_active(mode, t, dt)` on each manager step in one of its modes (unless the phase is
  degraded and waiting, `degraded.py`),
- `on_inactivation(mode)` when the mode leaves one of its modes (same exception),

and gathers `checkpoint()` / `restore(state)` of every phase into its own checkpoint (flat
keys, as before the split). A phase talks to the other components only through the manager's
ports (`fm.nav_state`, `fm.set_law`, ...) and reaches another phase only through the manager.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

from fsw.core.devices import DeviceFailure, device_name
from hal.errors import DeviceFault

if TYPE_CHECKING:   # pragma: no cover
    from .flight import MavFlightManager


class Phase:
    MODES: tuple[str, ...] = ()

    def __init__(self, fm: "MavFlightManager") -> None:
        self.fm = fm

    def on_activation(self, mode: str) -> None:
        """Entered `mode` by a trigger."""

    def on_active(self, mode: str, t: float, dt: float) -> None:
        """One manager step in `mode` (t: onboard time, dt: since the last step, s)."""

    def on_inactivation(self, mode: str) -> None:
        """Left `mode` by a trigger."""

    def checkpoint(self) -> dict[str, Any]:
        return {}

    def restore(self, state: Mapping[str, Any]) -> None:
        """Put back what `checkpoint` saved (keys may be missing in an older checkpoint)."""


class PhaseTableError(ValueError):
    pass


def phase_table(phases: Iterable[Phase], modes: Iterable[str]) -> dict[str, Phase]:
    """mode -> the phase that runs it; refuses a mode claimed twice or a mode not in the table."""
    known = set(modes)
    table: dict[str, Phase] = {}
    for ph in phases:
        for m in ph.MODES:
            if m not in known:
                raise PhaseTableError(f"{type(ph).__name__}: unknown mode {m!r}")
            if m in table:
                raise PhaseTableError(f"mode {m} claimed by {type(table[m]).__name__} and {type(ph).__name__}")
            table[m] = ph
    return table


def probe(fn: Callable, *args: Any) -> Any:
    """`fn(*args)` on a device, or a (falsy) DeviceFailure *without* a DEVICE_FAULT event: for
    the checks whose caller records the failure itself (the checkout's result names the unit;
    a pyro read-back that fails is no evidence of a firing). Every other device call goes
    through `Component.device_call`."""
    try:
        return fn(*args)
    except DeviceFault as exc:
        return DeviceFailure(device_name(fn), str(exc))


def opt_float(v: Any) -> float | None:
    return None if v is None else float(v)


__all__ = ["Phase", "PhaseTableError", "opt_float", "phase_table", "probe"]
