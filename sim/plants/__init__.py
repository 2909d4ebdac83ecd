"""Plants: the simulated worlds the vehicles' flight software flies in (one per campaign phase).

Each implements the `hal.plant.Plant` protocol (now_ns, advance_to, sense, actuate) plus a
`truth()` snapshot, steps a fixed physics grid and keeps its randomness in its own Generator.
"""
from sim.plants.ascent import ASCENT_DEVICES, AscentPlant
from sim.plants.base import CompositePlant, FixedStepPlant, PlantDeviceError, PlantTimeError
from sim.plants.descent import DESCENT_DEVICES, DescentPlant
from sim.plants.rendezvous import RENDEZVOUS_DEVICES, RendezvousPlant
from sim.plants.rover import RoverPlant, rover_devices
from sim.plants.thermal import ThermalPlant, thermal_devices

__all__ = [
    "AscentPlant", "CompositePlant", "DescentPlant", "FixedStepPlant", "PlantDeviceError", "PlantTimeError",
    "RendezvousPlant", "RoverPlant", "ThermalPlant", "ASCENT_DEVICES", "DESCENT_DEVICES", "RENDEZVOUS_DEVICES",
    "rover_devices", "thermal_devices",
]
