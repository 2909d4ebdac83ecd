"""Sample Retrieval Lander flight software: EDL to the surface, sample transfer, launch support."""
from .lander import Lander
from .sta import SampleTransferArm
from .vehicle import LanderFsw, build_lander

MODE_COMPONENTS = {"lander": Lander, "sta": SampleTransferArm}

__all__ = ["Lander", "SampleTransferArm", "LanderFsw", "build_lander", "MODE_COMPONENTS"]
