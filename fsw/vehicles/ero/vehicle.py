"""Wiring of the ERO capture system: the onboard sequencer, containment, relative navigation,
the capture manager ("ccrs"), the RCS, their topics (topics.py, wired here), telemetry.

Nominal rate set, base 10 Hz: sequencer and the components every tick, telemetry at 1 Hz.
Quiet rate set, base 1 Hz: a drift or coast with no burn due (phasing, search, far-range
coasts between CW burns, sterilisation dwell, Earth cruise; `EroRateChoice.quiet()`)
runs the sequencer (and the rate-set choice) every second and the components and
telemetry every `QUIET_DIVISOR` seconds (one camera frame each time). The rate choice
("rates", last of the components' group and every quiet tick) selects the rate set at a tick
boundary, so SIL and a lockstep bench switch on the same tick.

`build_flight` is the ERO's one flight build: components, executive, rate groups and its
fault protection (`fsw.vehicles.ero.faults`), the same in SIL, on a bench, in Monte Carlo
and in the fault matrix.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from fsw.core.executive import NOMINAL, Executive
from fsw.core.protection import Protection, ProtectionConfig, assemble
from fsw.core.sequencer import Sequencer
from fsw.core.topology import Topology

from . import faults
from .capture import EroCaptureManager
from .containment import EroContainment
from .devices import EroDevices
from .rates import EroRateChoice
from .rcs import RcsHealth
from .relnav import EroRelNav
from .topics import ERO_TOPICS

BASE_RATE_HZ = 10
TLM_DIVISOR = 10
QUIET_RATE_HZ = 1
QUIET_DIVISOR = 30
QUIET = "quiet"


@dataclass
class EroVehicle:
    topology: Topology
    capture: EroCaptureManager
    containment: EroContainment
    relnav: EroRelNav
    rcs: RcsHealth
    rates: EroRateChoice
    sequencer: Sequencer
    executive: Executive | None = None
    protection: Protection | None = None

    def install(self, executive: Executive, quiet: bool = True) -> None:
        """Add the ERO's rate groups to an executive whose nominal rate is BASE_RATE_HZ and
        (with `quiet`) the quiet rate set the capture manager switches to."""
        if executive.rate_sets[NOMINAL].base_rate_hz != BASE_RATE_HZ:
            raise ValueError(f"the ERO runs at {BASE_RATE_HZ} Hz, executive is {executive.base_rate_hz} Hz")
        gnc = self.gnc()
        items: list = [self.sequencer, *gnc]
        if quiet:
            executive.add_rate_set(QUIET, QUIET_RATE_HZ)
            self.rates.select = lambda q: executive.select_rate_set(QUIET if q else NOMINAL)
            items.append(self.rates)
            # also every quiet tick: a warm restart may resume in the quiet set just as the
            # manager needed the nominal one; it must not wait QUIET_DIVISOR s to switch
            executive.add_group("seq_quiet", 1, [self.sequencer, self.rates], rate_set=QUIET)
            executive.add_group("gnc_quiet", QUIET_DIVISOR,
                                [*gnc, self.rates, self.topology.sample_telemetry],
                                rate_set=QUIET)
        executive.add_group("gnc", 1, items)
        executive.add_group("tlm", TLM_DIVISOR, [self.topology.sample_telemetry])

    def gnc(self) -> list:
        """The components in executive order: containment first (its requests change the
        manager's mode in the same tick), relative navigation (the manager flies this tick's
        estimate), the manager, then the RCS (a thrust command goes out, then the status is
        polled)."""
        return [self.containment, self.relnav, self.capture, self.rcs]

    def step(self, t_ns: int) -> None:
        """One cycle of the components outside an executive (unit tests, tools): each in
        executive order, the bus delivered after each step as the executive does."""
        bus = self.topology.bus
        bus.deliver()
        for component in self.gnc():
            component.step(t_ns)
            bus.deliver()


def build_ero(devices: EroDevices) -> EroVehicle:
    capture = EroCaptureManager("ccrs", devices)
    containment = EroContainment("containment", devices)
    relnav = EroRelNav("relnav", devices)
    rcs = RcsHealth("rcs", devices.rcs)
    rates = EroRateChoice("rates")
    topo = Topology("ero", [containment, relnav, capture, rcs])
    seq = Sequencer("seq", topo.dispatch)
    topo.add(seq)
    topo.add(rates)            # after the sequencer, which keeps its APID (rates has no channels)
    topo.wire(ERO_TOPICS)
    return EroVehicle(topo, capture, containment, relnav, rcs, rates, seq)


def build_flight(devices: EroDevices, clock: Any, *, configure: Callable[[EroVehicle], None] | None = None,
                 quiet: bool = True, protection: ProtectionConfig | None = None) -> EroVehicle:
    """The ERO capture system as it flies, with its fault protection. `configure(vehicle)`
    runs before protection is installed (parameters, the loaded sequence)."""
    ero = build_ero(devices)
    return assemble(ero, clock, BASE_RATE_HZ, faults, install=lambda ex: ero.install(ex, quiet=quiet),
                    configure=configure, protection=protection, sequencer=ero.sequencer)

__all__ = ["BASE_RATE_HZ", "QUIET_RATE_HZ", "QUIET_DIVISOR", "QUIET", "EroVehicle", "build_ero", "build_flight"]
