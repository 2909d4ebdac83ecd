"""Tube-delivering rover flight software: Sample Fetch Rover, or Perseverance delivering its tubes."""
from .rover import Rover, TubeTask
from .vehicle import DELIVERIES, RoverFsw, build_rover

MODE_COMPONENTS = {"rover": Rover}

__all__ = ["Rover", "TubeTask", "RoverFsw", "build_rover", "DELIVERIES", "MODE_COMPONENTS"]
