"""Fault protection wired into a vehicle's flight side: the flight half of issues 11 and 18.

`install_protection` adds, after a vehicle's topology and executive are built, the Health
component (step faults, dead components, slips), the ground-link watch, FaultProtection with
the vehicle's fault table plus the generic monitors below, and WarmRestart (checkpoints on
key events and every second), and one "fdir" rate group per rate set at about `fdir_hz`, so
the monitors run at the same rate whatever the vehicle's phase.

`protect` is what every vehicle's flight build (`fsw.vehicles.<v>.build_flight`) calls last:
the same objects in SIL, on a HIL board, in Monte Carlo and in the fault matrix. The platform
says only where checkpoints go (`ProtectionConfig`: in memory in SIL, a durable
`CheckpointStore` on a board, plus the logs to fsync before each save); a flight without
protection needs `ProtectionConfig(enabled=False)`, which `protection_summary` reports. The
ground's half (a heartbeat sender, fault injection) is not here.

A fault-table module (`fsw.vehicles.<v>.faults`) provides `fault_table(topology)` and
`SAFE_RESPONSE`, and may provide `OVERRUN_RESPONSE`, `LINK_TIMEOUT_S`, `LINK_LOSS_RESPONSE` and
`CHECKPOINT_PERIOD_S` (rate set -> seconds between periodic checkpoints, where the vehicle's
restart rule allows longer than the default; see `fsw.core.restart.WarmRestart`).
"""
from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Any, Callable, Iterable

from .checkpoint import CheckpointStore, MemoryCheckpointStore
from .executive import Executive
from .fdir import Action, FaultProtection, Monitor
from .health import Health, LoopWatchdog
from .linkwatch import LINK_COMPONENT, LinkWatch
from .restart import WarmRestart
from .time import seconds_to_ns


def generic_monitors(tables: ModuleType) -> tuple[Monitor, ...]:
    """Monitors every vehicle has: dead or crashing components, a stalled loop, slips, a
    silent ground link, a processor reset. Responses come from the vehicle's table module."""
    safe: tuple[Action, ...] = tuple(tables.SAFE_RESPONSE)
    return (
        Monitor("step_fault", "limit", "health.step_faults", hi=0, persistence=1,
                doc="a component's step raised (isolated by the executive)"),
        Monitor("component_dead", "limit", "health.components_dead", hi=0, persistence=1, response=safe,
                doc="a component raised on several runs in a row: safe the vehicle"),
        Monitor("loop_stall", "limit", "health.loop_stalls", hi=0, persistence=1, response=safe,
                doc="the loop stopped ticking (LoopWatchdog, real time)"),
        Monitor("overrun", "limit", "health.slips", hi=0, persistence=1,
                response=tuple(getattr(tables, "OVERRUN_RESPONSE", ())),
                doc="a tick ran past the next deadline (cycle slip)"),
        Monitor("ground_silent", "limit", f"{LINK_COMPONENT}.silent_s", hi=float(getattr(tables, "LINK_TIMEOUT_S", 5.0)),
                persistence=1, response=tuple(getattr(tables, "LINK_LOSS_RESPONSE", ())),
                doc="no ground contact for LINK_TIMEOUT_S: carry on autonomously (vehicle rule)"),
        Monitor("processor_reset", "limit", "restart.restarts", hi=0, persistence=1,
                doc="a warm restart happened (state restored from the checkpoint)"),
    )


FDIR_GROUP = "fdir"


@dataclass
class Protection:
    health: Health
    link: LinkWatch
    fdir: FaultProtection
    restart: WarmRestart
    table: tuple[Monitor, ...]
    watchdog: LoopWatchdog | None = None   # started by a real-time runner (wall clock)


@dataclass(frozen=True)
class ProtectionConfig:
    """What the platform decides about a vehicle's protection (the vehicle decides the rest).

    `store`: None keeps checkpoints in memory (SIL); a board passes a durable CheckpointStore
    and the `flushers` that fsync its logs before each save. `watchdog_s`: the loop watchdog's
    timeout (real time only)."""

    enabled: bool = True
    store: Any = None
    flushers: tuple[Callable[[], Any], ...] = ()
    fdir_hz: int = 10
    checkpoint_every_s: float = 1.0
    watchdog_s: float = 1.0


def install_protection(topology: Any, executive: Any, tables: ModuleType, store: CheckpointStore, *,
                       fdir_hz: int = 10, checkpoint_every_s: float = 1.0,
                       flushers: Iterable[Callable[[], Any]] = (), before: Iterable[Callable[[int], None]] = (),
                       extra: Iterable[Any] = ()) -> Protection:
    """Add fault protection to a built flight side. `before`: steps run first in the fdir
    group (in SIL, the ground's heartbeat); `extra`: steps run after the monitors."""
    health = Health("health", executive)
    link = LinkWatch()
    topology.add(health)
    topology.add(link)
    restart = WarmRestart("restart", store, topology, executive,
                          every_ns=seconds_to_ns(checkpoint_every_s), flushers=flushers,
                          period_ns={k: seconds_to_ns(v) for k, v in
                                     getattr(tables, "CHECKPOINT_PERIOD_S", {}).items()})
    topology.add(restart)
    table = tuple(tables.fault_table(topology)) + generic_monitors(tables)
    fdir = FaultProtection("fdir", topology, table)
    topology.add(fdir)
    topology.attach(restart)
    steps = [*before, health, link, fdir, *extra, restart]
    for name, rs in executive.rate_sets.items():
        divisor = max(1, rs.base_rate_hz // fdir_hz)
        executive.add_group(FDIR_GROUP, divisor, steps, rate_set=name, offset=divisor - 1)
    return Protection(health, link, fdir, restart, table)


def protect(topology: Any, executive: Any, tables: ModuleType, config: ProtectionConfig | None = None
            ) -> Protection | None:
    """The last step of a flight build: the vehicle's protection, unless the platform
    explicitly asked for none. Kept as `topology.protection` (None when disabled)."""
    config = config if config is not None else ProtectionConfig()
    topology.protection = None
    if not config.enabled:
        return None
    store = config.store if config.store is not None else MemoryCheckpointStore()
    p = install_protection(topology, executive, tables, store, fdir_hz=config.fdir_hz,
                           checkpoint_every_s=config.checkpoint_every_s, flushers=config.flushers)
    p.watchdog = LoopWatchdog(executive, seconds_to_ns(config.watchdog_s), p.health.on_loop_stall)
    topology.protection = p
    return p


def assemble(vehicle: Any, clock: Any, base_rate_hz: int, tables: ModuleType, *,
             install: Callable[[Any], None], configure: Callable[[Any], None] | None = None,
             protection: ProtectionConfig | None = None, sequencer: Any = None) -> Any:
    """The common end of every vehicle's flight build (`vehicle` has `topology`, and gets
    `executive` and `protection`): an executive starting now, whose time the topology's
    components share from here (events emitted while configuring carry the start time);
    `configure(vehicle)` (parameters, the loaded sequence: before protection, so the fault
    table sees the final parameters); the vehicle's rate groups, `install(executive)`; its
    protection; then the onboard sequence starts."""
    ex = Executive(clock, base_rate_hz, bus=vehicle.topology.bus, start_ns=clock.now_ns())
    for comp in vehicle.topology.components.values():
        comp.time = ex.time
    vehicle.executive = ex
    if configure is not None:
        configure(vehicle)
    install(ex)
    vehicle.protection = protect(vehicle.topology, ex, tables, protection)
    if sequencer is not None:
        sequencer.start_sequence(ex.start_ns)
    return vehicle


def protection_summary(topology: Any, executive: Any) -> dict[str, Any]:
    """The `protection` section of a run's summary: installed, monitor trips, step faults,
    warm restarts (over the whole flight: trips and counts survive a restart)."""
    p = getattr(topology, "protection", None)
    step_faults = sum(executive.step_faults.values())
    out: dict[str, Any] = {"installed": p is not None, "step_faults": step_faults,
                           "step_fault_lines": executive.step_fault_lines()}
    if p is None:
        out.update(trips=None, restarts=None)
        return out
    tripped = {name: st.trips for name, st in sorted(p.fdir.state.items()) if st.trips}
    out.update(trips=sum(tripped.values()), monitors_tripped=tripped,
               restarts=int(p.restart.tlm["restarts"]), checkpoints=int(p.restart.tlm["saves"]),
               checkpoint_failures=int(p.restart.tlm["save_failures"]),
               checkpoint_store="durable" if getattr(p.restart.store, "durable", True) else "memory",
               components_dead=sorted(p.health.dead))
    return out


def protection_lines(section: dict[str, Any]) -> list[str]:
    """The summary's protection section in words (msr sil, msr run)."""
    if not section.get("installed"):
        lines = ["protection: NOT INSTALLED (--no-protection): no monitors, no warm restart; "
                 f"{section.get('step_faults', 0)} step fault(s)"]
    else:
        trips = section.get("monitors_tripped") or {}
        lines = [f"protection: installed; {section['trips']} monitor trip(s)"
                 + (f" ({', '.join(f'{k} x{v}' for k, v in trips.items())})" if trips else "")
                 + f", {section['step_faults']} step fault(s), {section['restarts']} warm restart(s), "
                   f"{section.get('checkpoints', 0)} checkpoints ({section.get('checkpoint_store')})"]
    lines += [f"  step fault: {line}" for line in section.get("step_fault_lines", [])]
    return lines


__all__ = ["FDIR_GROUP", "Protection", "ProtectionConfig", "assemble", "generic_monitors",
           "install_protection", "protect", "protection_lines", "protection_summary"]
