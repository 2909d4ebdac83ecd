"""Sample Retrieval Lander flight software: EDL to the surface, sample transfer, launch support."""
from .descent_guidance import DescentGuidance
from .descent_nav import DescentNavigator
from .edl_nav import EdlNavigator
from .edl_sequencer import EdlSequencer
from .entry import EntryGuidance
from .lander import Lander, SurfaceLander
from .rover_tracker import RoverTracker
from .sta import SampleTransferArm
from .trn import TerrainRelativeNav
from .vehicle import EdlConfig, LanderFsw, build_flight, build_lander

MODE_COMPONENTS = {"lander": Lander, "sta": SampleTransferArm, "tracker": RoverTracker, "entry": EntryGuidance,
                   "edl": EdlSequencer, "trn": TerrainRelativeNav}

__all__ = ["DescentGuidance", "DescentNavigator", "SurfaceLander", "EdlConfig", "EdlNavigator", "EdlSequencer", "EntryGuidance", "Lander", "SampleTransferArm",
           "RoverTracker", "TerrainRelativeNav", "LanderFsw", "build_flight", "build_lander", "MODE_COMPONENTS"]
