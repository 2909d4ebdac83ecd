"""Sample Retrieval Lander flight software: EDL to the surface, sample transfer, launch support."""
from .lander import Lander
from .rover_tracker import RoverTracker
from .sta import SampleTransferArm
from .vehicle import LanderFsw, build_flight, build_lander

MODE_COMPONENTS = {"lander": Lander, "sta": SampleTransferArm, "tracker": RoverTracker}

__all__ = ["Lander", "SampleTransferArm", "RoverTracker", "LanderFsw", "build_flight", "build_lander", "MODE_COMPONENTS"]
