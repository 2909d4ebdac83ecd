"""Assembly of the lander's flight software: components, wiring, rate groups.

Device instances are looked up by name in a mapping of typed HAL devices (`hal.config`
builds one for SIL or a bench); missing devices are allowed (a component then runs without
them), so EDL-only and surface-only runs share this one assembly.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from fsw.core.executive import Executive
from fsw.core.topology import Topology
from fsw.gnc import hazard

from ..custody import CustodyLedger
from ..handoff import HandoffEndpoint
from .lander import Lander
from .rover_tracker import RoverTracker
from .sta import SampleTransferArm

DEVICE_NAMES = {"imu": "imu0", "altimeter": "altimeter0", "engine": "engine",
                "arm": "sta_arm", "gripper": "sta_gripper", "os_sensor": "os_tube_sensor",
                "seal": "os_seal"}
TRACKER_CAMERAS = ("lander_cam_l", "lander_cam_r")   # stereo pair watching the delivering rover

BASE_RATE_HZ = 50
GUIDANCE_DIVISOR = 5    # 10 Hz
STA_DIVISOR = 5         # 10 Hz
TELEMETRY_DIVISOR = 50  # 1 Hz


@dataclass
class LanderFsw:
    topology: Topology
    lander: Lander
    sta: SampleTransferArm
    tracker: RoverTracker | None = None

    def install(self, executive: Executive) -> None:
        """Rate groups, in execution order: control 50 Hz, guidance 10 Hz, arm 10 Hz, telemetry 1 Hz."""
        executive.add_group("control", 1, [self.lander])
        executive.add_group("guidance", GUIDANCE_DIVISOR, [self.lander.guidance_step])
        executive.add_group("sta", STA_DIVISOR, [self.sta], offset=1)
        executive.add_group("telemetry", TELEMETRY_DIVISOR, [self.topology.sample_telemetry], offset=2)
        for c in (self.lander, self.sta):
            c.time = executive.time


def build_lander(devices: Mapping[str, object] | None = None, *, onboard_map: hazard.OnboardMap | None = None,
                 safety_map: hazard.SafetyMap | None = None,
                 limits: hazard.HazardLimits = hazard.HazardLimits(), target_xy=(0.0, 0.0),
                 handoff: HandoffEndpoint | None = None, ledger: CustodyLedger | None = None,
                 names: Mapping[str, str] = DEVICE_NAMES, sta_base_xyz_m=None, tracker_camera_xyz_m=None,
                 **lander_kw) -> LanderFsw:
    """The lander's components; with `tracker_camera_xyz_m` (local positions of the two
    TRACKER_CAMERAS) and those devices present, also the rover tracker (fixes over `handoff`).
    The site map: `safety_map` as the ground assessed it (fsw.gnc.safety_product, what flies),
    or `onboard_map` assessed here."""
    devices = devices or {}
    dev = {role: devices.get(name) for role, name in names.items()}
    lander = Lander("lander", imu=dev["imu"], altimeter=dev["altimeter"], engine=dev["engine"],
                    limits=limits, target_xy=target_xy, control_rate_hz=BASE_RATE_HZ,
                    guidance_rate_hz=BASE_RATE_HZ // GUIDANCE_DIVISOR, **lander_kw)
    sta = SampleTransferArm("sta", arm=dev["arm"], gripper=dev["gripper"], os_sensor=dev["os_sensor"],
                            seal=dev["seal"], handoff=handoff, ledger=ledger, base_xyz_m=sta_base_xyz_m)
    tracker = None
    if tracker_camera_xyz_m is not None and all(devices.get(n) is not None for n in TRACKER_CAMERAS):
        tracker = RoverTracker("tracker", cameras=[devices[n] for n in TRACKER_CAMERAS],
                               camera_xyz_m=tracker_camera_xyz_m, handoff=handoff)
    topo = Topology("lander", [lander, sta] + ([tracker] if tracker else []))
    lander.sta_mode = lambda: sta.mode
    lander.sta_busy_fn = lambda: sta.busy
    lander.os_sealed_fn = lambda: sta.sealed
    sta.lander_mode = lambda: lander.mode
    if onboard_map is not None:
        lander.load_map(onboard_map)
    if safety_map is not None:
        lander.load_safety(safety_map)
    return LanderFsw(topo, lander, sta, tracker)
