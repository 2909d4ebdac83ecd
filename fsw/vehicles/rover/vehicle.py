"""Assembly of the delivering rover's flight software (fetch rover or Perseverance).

`delivery="fetch"`: starts stowed on the lander, collects the depot tubes, returns.
`delivery="perseverance"`: starts off the lander carrying `carried` tubes and only delivers.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

from fsw.core.executive import Executive
from fsw.core.topology import Topology
from fsw.gnc.path_planner import CostMap

from ..custody import CustodyLedger
from ..handoff import HandoffEndpoint
from .rover import Rover, TubeTask

DEVICE_NAMES = {"wheels": "wheels", "imu": "imu0", "camera": "navcam", "arm": "arm", "gripper": "gripper"}
SLOT_SENSOR_PREFIX = "slot"   # slot0 .. slot{n-1}: one tube sensor per stowage slot
DELIVERIES = ("fetch", "perseverance")

BASE_RATE_HZ = 10
TELEMETRY_DIVISOR = 10  # 1 Hz


@dataclass
class RoverFsw:
    topology: Topology
    rover: Rover

    def install(self, executive: Executive) -> None:
        """Rate groups: control 10 Hz (nav, pursuit, pickup), telemetry 1 Hz."""
        executive.add_group("control", 1, [self.rover])
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
    rover = Rover("rover", **dev, slot_sensors=slot_sensors, cost_map=cost_map, terrain=terrain,
                  tasks=tasks if delivery == "fetch" else (), carried=carried if delivery == "perseverance" else (),
                  handoff_pose=handoff_pose, handoff=handoff, ledger=ledger, slots=slots, start_pose=start_pose,
                  egressed=(delivery == "perseverance"), control_rate_hz=BASE_RATE_HZ)
    return RoverFsw(Topology(delivery if delivery == "perseverance" else "rover", [rover]), rover)
