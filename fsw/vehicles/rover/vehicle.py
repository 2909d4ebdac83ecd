"""Assembly of the delivering rover's flight software (fetch rover or Perseverance).

`delivery="fetch"`: starts stowed on the lander, collects the depot tubes, returns.
`delivery="perseverance"`: starts off the lander carrying `carried` tubes and only delivers.

`build_surface_flight` is the one flight build of surface operations (the rover with the
lander's transfer arm and tracker in one topology, as the fetch scenario flies them): the
onboard sequencer, rate groups and fault protection (`fsw.vehicles.rover.faults`, which adds
the arm's device monitor), the same in SIL, on a bench, in Monte Carlo and the fault matrix.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

from fsw.core.executive import Executive
from fsw.core.protection import Protection, ProtectionConfig, assemble
from fsw.core.sequencer import Sequencer
from fsw.core.topology import Topology
from fsw.gnc.path_planner import CostMap

from ..custody import CustodyLedger
from ..handoff import HandoffEndpoint
from ..lander.topics import LANDER_TOPICS
from . import faults
from .handoff import RoverHandoff
from .mobility import RoverMobility
from .navigation import RoverNavigation
from .pickup import RoverPickup
from .rover import Rover, TubeTask
from .topics import ROVER_TOPICS

DEVICE_NAMES = {"wheels": "wheels", "imu": "imu0", "camera": "navcam", "arm": "arm", "gripper": "gripper"}
SLOT_SENSOR_PREFIX = "slot"   # slot0 .. slot{n-1}: one tube sensor per stowage slot
DELIVERIES = ("fetch", "perseverance")

BASE_RATE_HZ = 10
TELEMETRY_DIVISOR = 10  # 1 Hz


@dataclass
class RoverFsw:
    topology: Topology
    rover: Rover
    nav: RoverNavigation
    handoff: RoverHandoff
    mobility: RoverMobility
    pickup: RoverPickup

    @property
    def components(self) -> list:
        """The rover's components in executive order: navigation first, so the manager reads
        this tick's estimate; the pickup right after the manager, on the order it published
        this tick (its answers reach the manager on delivery, and the manager's drive order
        with them); mobility next, so it carries out the drive order of this tick; the
        hand-off last, on the status the manager published this tick (DESIGN.md)."""
        return [self.nav, self.rover, self.pickup, self.mobility, self.handoff]

    def install(self, executive: Executive) -> None:
        """Rate groups: control 10 Hz (navigation, the manager, the pickup, mobility, the hand-off), telemetry 1 Hz."""
        executive.add_group("control", 1, self.components)
        executive.add_group("telemetry", TELEMETRY_DIVISOR, [self.topology.sample_telemetry], offset=1)


def build_rover(devices: Mapping[str, object] | None = None, *, delivery: str = "fetch",
                cost_map: CostMap | None = None, terrain=None, tasks: Sequence[TubeTask] = (), carried: Sequence[int] = (),
                handoff_pose=(0.0, 0.0, 0.0), handoff: HandoffEndpoint | None = None,
                ledger: CustodyLedger | None = None, start_pose=(0.0, 0.0, 0.0), slots: int = 10,
                names: Mapping[str, str] = DEVICE_NAMES) -> RoverFsw:
    if delivery not in DELIVERIES:
        raise ValueError(f"delivery must be one of {DELIVERIES}, got {delivery!r}")
    devices = devices or {}
    dev = {role: devices.get(name) for role, name in names.items()}
    slot_sensors = [devices[f"{SLOT_SENSOR_PREFIX}{k}"] for k in range(slots) if f"{SLOT_SENSOR_PREFIX}{k}" in devices]
    nav = RoverNavigation("rover_nav", wheels=dev["wheels"], imu=dev["imu"], start_pose=start_pose,
                          control_rate_hz=BASE_RATE_HZ)
    dev.pop("imu")
    mobility = RoverMobility("rover_mobility", wheels=dev.pop("wheels"), camera=dev["camera"], cost_map=cost_map,
                             control_rate_hz=BASE_RATE_HZ)
    handing = RoverHandoff("rover_handoff", arm=dev["arm"], gripper=dev["gripper"], terrain=terrain, handoff=handoff)
    pickup = RoverPickup("rover_pickup", camera=dev["camera"], arm=dev["arm"], gripper=dev["gripper"], terrain=terrain)
    rover = Rover("rover", gripper=dev["gripper"], slot_sensors=slot_sensors, cost_map=cost_map,
                  tasks=tasks if delivery == "fetch" else (), carried=carried if delivery == "perseverance" else (),
                  handoff_pose=handoff_pose, handoff=handoff, ledger=ledger, slots=slots, start_pose=start_pose,
                  egressed=(delivery == "perseverance"))
    topology = Topology(delivery if delivery == "perseverance" else "rover", [nav, rover, pickup, mobility, handing])
    topology.wire(ROVER_TOPICS)
    return RoverFsw(topology, rover, nav, handing, mobility, pickup)


@dataclass
class SurfaceFlight:
    """Surface operations as flown: the rover and the lander's arm, tracker and sequencer."""

    topology: Topology
    executive: Executive | None
    rover: Rover
    lander: Any                      # fsw.vehicles.lander.LanderFsw
    sequencer: Sequencer
    protection: Protection | None = None


def build_surface_flight(rover: RoverFsw, lander: Any, clock: Any, *, vehicle: str = "rover",
                         configure: Callable[[SurfaceFlight], None] | None = None,
                         protection: ProtectionConfig | None = None) -> SurfaceFlight:
    """One topology for the rover and the lander's surface components (`lander`: a
    LanderFsw), on a BASE_RATE_HZ executive: sequencer and rover, then the lander's guidance
    and arm every tick, the tracker and telemetry at 1 Hz, then fault protection.
    `configure(flight)` runs before protection is installed (parameters, the sequence).
    The one place the surface topics are wired: the lander's and the rover's, on this topology's bus."""
    lfsw = lander
    topology = Topology(vehicle, [c for c in (*rover.components, lfsw.lander, lfsw.sta, lfsw.tracker) if c is not None])
    for part in (rover.topology, lfsw.topology):
        part.bus.deliver()       # what the parts published on their own buses while being set up
    topology.wire(LANDER_TOPICS + ROVER_TOPICS)
    seq = Sequencer("seq", topology.dispatch)
    topology.add(seq)
    flight = SurfaceFlight(topology, None, rover.rover, lfsw, seq)

    def install(ex: Executive) -> None:
        ex.add_group("control", 1, [seq, *rover.components])
        ex.add_group("lander", 1, [lfsw.lander.guidance_step, lfsw.sta])
        if lfsw.tracker is not None:
            ex.add_group("tracker", 10, [lfsw.tracker], offset=2)          # 1 Hz
        ex.add_group("telemetry", TELEMETRY_DIVISOR, [topology.sample_telemetry], offset=1)
    return assemble(flight, clock, BASE_RATE_HZ, faults, install=install, configure=configure,
                    protection=protection, sequencer=seq)
