"""Wiring of the MAV: components, topology and rate groups on one executive.

Three rate sets; the flight manager's rate group picks the one its phase needs
(`MavFlightManager.rate_set`) and the executive switches at a tick boundary, so SIL and a
lockstep bench switch on the same tick:

- nominal, base 50 Hz (the count from arming, the burns, spinning): navigation then attitude
  control every tick, the onboard sequencer and the flight manager at 10 Hz (guidance
  solves run inside it at their own low rates), thermal control and telemetry at 1 Hz;
- coast, 10 Hz (on the ground before arming, RCS pointing and trims at low body rates):
  everything but thermal control and telemetry (1 Hz) every tick;
- quiet, 1 Hz (a settled coast with the RCS off, `MavFlightManager.quiet()`): navigation,
  sequencer, flight manager, thermal control and telemetry; attitude control is idle.

The components talk only through the topics of `topics.py`, wired in `build_mav`;
navigation and attitude control run first in every rate set, so the flight manager sees
this tick's state (DESIGN.md).

`build_flight` is the MAV's one flight build: components, executive, rate groups and its
fault protection (`fsw.core.protection.protect` with `fsw.vehicles.mav.faults`), the same in
SIL, on a HIL board, in Monte Carlo and in the fault matrix.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from fsw.core.executive import NOMINAL, Executive
from fsw.core.protection import Protection, ProtectionConfig, assemble
from fsw.core.sequencer import Sequencer
from fsw.core.topology import Topology

from . import faults

from .control import MavAttitudeControl
from .devices import MavDevices
from .flight import MavFlightManager
from .navigation import MavNavigator
from .thermal import MavThermal
from .topics import MAV_TOPICS

BASE_RATE_HZ = 50
FLIGHT_DIVISOR = 5
SLOW_DIVISOR = 50
COAST_RATE_HZ = 10
COAST = "coast"
QUIET_RATE_HZ = 1
QUIET = "quiet"


@dataclass
class MavVehicle:
    topology: Topology
    nav: MavNavigator
    control: MavAttitudeControl
    flight: MavFlightManager
    thermal: MavThermal
    sequencer: Sequencer
    executive: Executive | None = None
    protection: Protection | None = None

    def install(self, executive: Executive, rate_sets: bool = True) -> None:
        """Add the MAV's rate groups to an executive whose nominal rate is BASE_RATE_HZ and,
        with `rate_sets`, the coast and quiet rate sets (without: 50 Hz throughout)."""
        if executive.rate_sets[NOMINAL].base_rate_hz != BASE_RATE_HZ:
            raise ValueError(f"the MAV runs at {BASE_RATE_HZ} Hz, executive is {executive.base_rate_hz} Hz")
        fast = [self.nav, self.control]
        manager = [self.sequencer, self.flight]
        slow = [self.thermal, self.topology.sample_telemetry]
        if rate_sets:
            flight = self.flight

            def select_rate_set(t_ns: int) -> None:
                executive.select_rate_set(flight.rate_set())
            manager.append(select_rate_set)
            executive.add_rate_set(COAST, COAST_RATE_HZ)
            executive.add_group("coast", 1, fast + manager, rate_set=COAST)
            executive.add_group("coast_slow", COAST_RATE_HZ, slow, rate_set=COAST)
            executive.add_rate_set(QUIET, QUIET_RATE_HZ)
            executive.add_group("quiet", 1, [self.nav] + manager + slow, rate_set=QUIET)
        executive.add_group("fast", 1, fast)
        executive.add_group("flight", FLIGHT_DIVISOR, manager)
        executive.add_group("slow", SLOW_DIVISOR, slow)


def build_mav(devices: MavDevices) -> MavVehicle:
    """The MAV's components, their ports wired (topics.py; the only place they are)."""
    nav = MavNavigator("nav", devices.imu, devices.star)
    control = MavAttitudeControl("acs", devices.tvc, devices.rcs)
    thermal = MavThermal("thermal", devices.heaters, devices.zone_temps, devices.grain_temps,
                         devices.rcs_temps)
    flight = MavFlightManager("flight", devices)
    topo = Topology("mav", [flight, nav, control, thermal])
    topo.wire(MAV_TOPICS)
    nav.publish_model()          # the site and gravity the count's interlocks need
    topo.bus.deliver()
    seq = Sequencer("seq", topo.dispatch)
    topo.add(seq)
    return MavVehicle(topo, nav, control, flight, thermal, seq)


def build_flight(devices: MavDevices, clock: Any, *, configure: Callable[[MavVehicle], None] | None = None,
                 rate_sets: bool = True, protection: ProtectionConfig | None = None) -> MavVehicle:
    """The MAV as it flies: components on a BASE_RATE_HZ executive (with the coast and quiet
    rate sets unless `rate_sets` is false) and its fault protection. `configure(vehicle)`
    runs before protection is installed (parameters, the loaded sequence), so the fault
    table sees the final parameters; the sequence then starts with the executive."""
    mav = build_mav(devices)
    return assemble(mav, clock, BASE_RATE_HZ, faults, install=lambda ex: mav.install(ex, rate_sets=rate_sets),
                    configure=configure, protection=protection, sequencer=mav.sequencer)


__all__ = ["BASE_RATE_HZ", "COAST_RATE_HZ", "COAST", "QUIET_RATE_HZ", "QUIET", "MavVehicle", "build_flight",
           "build_mav"]
