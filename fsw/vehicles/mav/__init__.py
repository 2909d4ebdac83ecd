"""Mars Ascent Vehicle flight software: modes, interlocks, navigation, guidance, control.

`build_flight(devices, clock)` is the MAV as it flies (components, rate groups, fault
protection); `build_mav(devices)` wires the components alone; `MODE_COMPONENTS` is what
`msr modes mav` draws.
"""
from __future__ import annotations

from .control import MavAttitudeControl
from .devices import DEVICE_KINDS, MavDevices
from .flight import MavFlightManager
from .modes import LAUNCH_INTERLOCKS, MAV_MODES
from .navigation import MavNavigator
from .thermal import MavThermal
from .vehicle import BASE_RATE_HZ, QUIET_RATE_HZ, MavVehicle, build_flight, build_mav

MODE_COMPONENTS = {"flight": MavFlightManager}

__all__ = ["MODE_COMPONENTS", "MAV_MODES", "LAUNCH_INTERLOCKS", "DEVICE_KINDS", "MavDevices",
           "MavFlightManager", "MavNavigator", "MavAttitudeControl", "MavThermal", "MavVehicle",
           "build_flight", "build_mav", "BASE_RATE_HZ", "QUIET_RATE_HZ"]
