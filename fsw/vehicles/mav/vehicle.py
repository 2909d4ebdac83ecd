"""Wiring of the MAV: components, topology and rate groups on one executive.

Nominal rate set, base 50 Hz: navigation then attitude control every tick, the flight
manager and the onboard sequencer at 10 Hz (guidance solves run inside the flight manager at
their own low rates), thermal control and telemetry at 1 Hz. Quiet rate set, 1 Hz: a
settled coast with the RCS off (`MavFlightManager.quiet()`) needs neither control nor 50 Hz
navigation; the flight manager's rate group selects the quiet set on entering such a phase
and the nominal one on leaving it, at a tick boundary, so SIL and a lockstep bench switch on
the same tick.
"""
from __future__ import annotations

from dataclasses import dataclass

from fsw.core.executive import NOMINAL, Executive
from fsw.core.sequencer import Sequencer
from fsw.core.topology import Topology

from .control import MavAttitudeControl
from .devices import MavDevices
from .flight import MavFlightManager
from .navigation import MavNavigator
from .thermal import MavThermal

BASE_RATE_HZ = 50
FLIGHT_DIVISOR = 5
SLOW_DIVISOR = 50
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

    def install(self, executive: Executive, quiet_coast: bool = True) -> None:
        """Add the MAV's rate groups to an executive whose nominal rate is BASE_RATE_HZ,
        and (with `quiet_coast`) the 1 Hz quiet rate set the flight manager switches to."""
        if executive.rate_sets[NOMINAL].base_rate_hz != BASE_RATE_HZ:
            raise ValueError(f"the MAV runs at {BASE_RATE_HZ} Hz, executive is {executive.base_rate_hz} Hz")
        flight_items = [self.sequencer, self.flight]
        if quiet_coast:
            executive.add_rate_set(QUIET, QUIET_RATE_HZ)
            flight = self.flight

            def select_rate_set(t_ns: int) -> None:
                executive.select_rate_set(QUIET if flight.quiet() else NOMINAL)
            flight_items.append(select_rate_set)
            executive.add_group("quiet", 1, [self.nav, self.sequencer, self.flight, select_rate_set,
                                             self.thermal, self.topology.sample_telemetry],
                                rate_set=QUIET)
        executive.add_group("fast", 1, [self.nav, self.control])
        executive.add_group("flight", FLIGHT_DIVISOR, flight_items)
        executive.add_group("slow", SLOW_DIVISOR, [self.thermal, self.topology.sample_telemetry])


def build_mav(devices: MavDevices) -> MavVehicle:
    nav = MavNavigator("nav", devices.imu, devices.star)
    control = MavAttitudeControl("acs", nav, devices.tvc, devices.rcs)
    thermal = MavThermal("thermal", devices.heaters, devices.zone_temps, devices.grain_temps,
                         devices.rcs_temps)
    flight = MavFlightManager("flight", devices, nav, control, thermal)
    topo = Topology("mav", [flight, nav, control, thermal])
    seq = Sequencer("seq", topo.dispatch)
    topo.add(seq)
    return MavVehicle(topo, nav, control, flight, thermal, seq)


__all__ = ["BASE_RATE_HZ", "QUIET_RATE_HZ", "QUIET", "MavVehicle", "build_mav"]
