"""Wiring of the MAV: components, topology and rate groups on one executive.

Base rate 50 Hz: navigation then attitude control every tick, the flight manager at 10 Hz
(guidance solves run inside it at their own low rates), thermal control and telemetry at
1 Hz. Quiet phases (a settled coast with the RCS off) may run on a 1 Hz executive instead.
"""
from __future__ import annotations

from dataclasses import dataclass

from fsw.core.executive import Executive
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


@dataclass
class MavVehicle:
    topology: Topology
    nav: MavNavigator
    control: MavAttitudeControl
    flight: MavFlightManager
    thermal: MavThermal

    def install(self, executive: Executive) -> None:
        """Add the MAV's rate groups to an executive running at BASE_RATE_HZ."""
        if executive.base_rate_hz != BASE_RATE_HZ:
            raise ValueError(f"the MAV runs at {BASE_RATE_HZ} Hz, executive is {executive.base_rate_hz} Hz")
        executive.add_group("fast", 1, [self.nav, self.control])
        executive.add_group("flight", FLIGHT_DIVISOR, [self.flight])
        executive.add_group("slow", SLOW_DIVISOR, [self.thermal, self.topology.sample_telemetry])


    def install_quiet(self, executive: Executive) -> None:
        """Rate groups for a quiet phase (`MavFlightManager.quiet()`): everything at the
        executive's base rate (1 Hz suits), attitude control idle."""
        if executive.base_rate_hz != QUIET_RATE_HZ:
            raise ValueError(f"quiet phases run at {QUIET_RATE_HZ} Hz")
        executive.add_group("quiet", 1, [self.nav, self.flight, self.thermal,
                                         self.topology.sample_telemetry])


def build_mav(devices: MavDevices) -> MavVehicle:
    nav = MavNavigator("nav", devices.imu, devices.star)
    control = MavAttitudeControl("acs", nav, devices.tvc, devices.rcs)
    thermal = MavThermal("thermal", devices.heaters, devices.zone_temps, devices.grain_temps,
                         devices.rcs_temps)
    flight = MavFlightManager("flight", devices, nav, control, thermal)
    topo = Topology("mav", [flight, nav, control, thermal])
    return MavVehicle(topo, nav, control, flight, thermal)


__all__ = ["BASE_RATE_HZ", "QUIET_RATE_HZ", "MavVehicle", "build_mav"]
