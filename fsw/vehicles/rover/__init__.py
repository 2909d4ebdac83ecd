"""Tube-delivering rover flight software: Sample Fetch Rover, or Perseverance delivering its tubes."""
from .handoff import RoverHandoff
from .mobility import RoverMobility
from .navigation import RoverNavigation
from .pickup import RoverPickup
from .rover import Rover, TubeTask
from .vehicle import DELIVERIES, RoverFsw, SurfaceFlight, build_rover, build_surface_flight

MODE_COMPONENTS = {"rover": Rover}

__all__ = ["Rover", "RoverHandoff", "RoverMobility", "RoverNavigation", "RoverPickup", "TubeTask", "RoverFsw", "SurfaceFlight", "build_rover", "build_surface_flight", "DELIVERIES", "MODE_COMPONENTS"]
