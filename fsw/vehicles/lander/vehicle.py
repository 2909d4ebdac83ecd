"""Assembly of the lander's flight software: components, wiring, rate groups.

Device instances are looked up by name in a mapping of typed HAL devices (`hal.config`
builds one for SIL or a bench); missing devices are allowed (a component then runs without
them), so EDL-only and surface-only runs share this one assembly. With an `EdlConfig` the
EDL components are built too (entry navigation, entry guidance, the EDL sequence,
terrain-relative navigation) and wired to the lander through `EdlLinks`, with the descent
components (descent navigation, powered-descent guidance) on the descent topics; without it
the manager is the surface-only `SurfaceLander` (DESIGN.md).

`build_flight` is the lander's one flight build (components, its onboard sequencer, rate
groups and its fault protection, `fsw.vehicles.lander.faults`): the same in SIL, on a bench,
in Monte Carlo and in the fault matrix. The surface operations with a rover in the same
topology are built by `fsw.vehicles.rover.build_surface_flight`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from fsw.core.executive import Executive
from fsw.core.protection import Protection, ProtectionConfig, assemble
from fsw.core.sequencer import Sequencer
from fsw.core.topology import Topology
from fsw.gnc import hazard
from fsw.gnc.entry_guidance import EntryGuidanceSettings, EntryModel
from fsw.gnc.site_frame import SiteFrame
from fsw.gnc.trn import CameraModel, OrbitalMap, TrnSettings

from ..custody import CustodyLedger
from ..handoff import HandoffEndpoint
from . import faults
from .edl_common import EdlLinks
from .edl_nav import EdlNavigator
from .edl_sequencer import EdlSequencer
from .entry import EntryGuidance
from .descent_guidance import DescentGuidance
from .descent_nav import DescentNavigator
from .lander import Lander, SurfaceLander
from .rover_tracker import RoverTracker
from .sta import SampleTransferArm
from .topics import DESCENT_TOPICS, LANDER_TOPICS
from .trn import TerrainRelativeNav

DEVICE_NAMES = {"imu": "imu0", "altimeter": "altimeter0", "engine": "engine",
                "arm": "sta_arm", "gripper": "sta_gripper", "os_sensor": "os_tube_sensor",
                "seal": "os_seal", "rcs": "rcs", "chute": "chute_pyro", "heatshield": "heatshield_pyro",
                "backshell": "backshell_pyro", "tds1": "tds1", "tds2": "tds2", "tds3": "tds3", "camera": "camera0"}
TRACKER_CAMERAS = ("lander_cam_l", "lander_cam_r")   # stereo pair watching the delivering rover

BASE_RATE_HZ = 50
GUIDANCE_DIVISOR = 5    # 10 Hz
STA_DIVISOR = 5         # 10 Hz
TELEMETRY_DIVISOR = 50  # 1 Hz


@dataclass(frozen=True)
class EdlConfig:
    """What the EDL components need to know of the site, the vehicle and the maps."""

    site: SiteFrame = SiteFrame.from_deg()
    model: EntryModel = EntryModel()
    guidance: EntryGuidanceSettings = EntryGuidanceSettings()
    orbital_map: OrbitalMap | None = None
    camera: CameraModel = CameraModel()
    trn: TrnSettings = TrnSettings()
    beam_dirs: tuple = ()
    ground_height: Callable[[float, float], float] = field(default=lambda x, y: 0.0)


@dataclass
class LanderFsw:
    topology: Topology
    lander: Lander
    sta: SampleTransferArm
    tracker: RoverTracker | None = None
    edlnav: EdlNavigator | None = None
    entry: EntryGuidance | None = None
    edl: EdlSequencer | None = None
    trn: TerrainRelativeNav | None = None
    descent_nav: DescentNavigator | None = None
    descent: DescentGuidance | None = None
    sequencer: Sequencer | None = None
    executive: Executive | None = None
    protection: Protection | None = None

    def install(self, executive: Executive) -> None:
        """Rate groups, in execution order: control 50 Hz (EDL navigation, entry guidance,
        descent navigation: the manager declares touchdown on its message), guidance 10 Hz (EDL
        sequence, TRN, the manager's phases, powered-descent guidance, descent navigation's
        hand-over), arm 10 Hz, telemetry 1 Hz."""
        nav = self.descent_nav
        fast = [c for c in (self.edlnav, self.entry, nav) if c is not None]
        slow = [c for c in (self.edl, self.trn) if c is not None] + [self.lander.guidance_step]
        slow += [c for c in (self.descent,) if c is not None] + ([nav.handover_step] if nav is not None else [])
        if fast:
            executive.add_group("control", 1, fast)
        executive.add_group("guidance", GUIDANCE_DIVISOR, slow)
        executive.add_group("sta", STA_DIVISOR, [self.sta], offset=1)
        executive.add_group("telemetry", TELEMETRY_DIVISOR, [self.topology.sample_telemetry], offset=2)
        for c in (self.lander, self.sta, nav, self.descent):
            if c is not None:
                c.time = executive.time

    def load_map(self, onboard_map: hazard.OnboardMap, safety: hazard.SafetyMap | None = None) -> None:
        """The onboard map (a ground product): its assessment for the site choice, its terrain
        height for descent navigation's altimeter."""
        if self.descent is not None:
            assessed = self.descent.load_map(onboard_map, safety)
            self.descent_nav.use_map(assessed.map.height_at)


def build_lander(devices: Mapping[str, object] | None = None, *, onboard_map: hazard.OnboardMap | None = None,
                 limits: hazard.HazardLimits = hazard.HazardLimits(), target_xy=(0.0, 0.0),
                 handoff: HandoffEndpoint | None = None, ledger: CustodyLedger | None = None,
                 names: Mapping[str, str] = DEVICE_NAMES, sta_base_xyz_m=None, tracker_camera_xyz_m=None,
                 edl: EdlConfig | None = None, descent: bool | None = None, engine_limits=None) -> LanderFsw:
    """The lander's components; with `tracker_camera_xyz_m` (local positions of the two
    TRACKER_CAMERAS) and those devices present, also the rover tracker (fixes over `handoff`);
    with `edl`, the EDL components; with `edl` or `descent`, the descent components (else the
    manager is the surface-only one)."""
    devices = devices or {}
    dev = {role: devices.get(name) for role, name in names.items()}
    links = EdlLinks()
    descent = edl is not None if descent is None else descent
    lander = (Lander if descent else SurfaceLander)("lander", links=links)
    nav = guidance = None
    if descent:
        nav = DescentNavigator("descent_nav", imu=dev["imu"], altimeter=dev["altimeter"], engine=dev["engine"],
                               control_rate_hz=BASE_RATE_HZ, links=links)
        guidance = DescentGuidance("descent", engine=dev["engine"], limits=limits, target_xy=target_xy,
                                   guidance_rate_hz=BASE_RATE_HZ // GUIDANCE_DIVISOR, links=links,
                                   **({} if engine_limits is None else {"engine_limits": engine_limits}))
    sta = SampleTransferArm("sta", arm=dev["arm"], gripper=dev["gripper"], os_sensor=dev["os_sensor"],
                            seal=dev["seal"], handoff=handoff, ledger=ledger, base_xyz_m=sta_base_xyz_m)
    tracker = None
    if tracker_camera_xyz_m is not None and all(devices.get(n) is not None for n in TRACKER_CAMERAS):
        tracker = RoverTracker("tracker", cameras=[devices[n] for n in TRACKER_CAMERAS],
                               camera_xyz_m=tracker_camera_xyz_m, handoff=handoff)
    parts = _edl_parts(dev, edl, links, lander, guidance) if edl is not None else {}
    own = [c for c in (nav, guidance) if c is not None]
    topo = Topology("lander", [lander, sta] + ([tracker] if tracker else []) + list(parts.values()) + own)
    topo.wire(LANDER_TOPICS + (DESCENT_TOPICS if descent else ()))
    fsw = LanderFsw(topo, lander, sta, tracker, **parts, descent_nav=nav, descent=guidance)
    if onboard_map is not None:
        fsw.load_map(onboard_map)
    return fsw


def build_flight(devices: Mapping[str, object] | None, clock: Any, *,
                 configure: Callable[[LanderFsw], None] | None = None,
                 protection: ProtectionConfig | None = None, **build_kw: Any) -> LanderFsw:
    """The lander as it flies: `build_lander(devices, **build_kw)` (with `edl=`, the EDL
    components too), its onboard sequencer (first, every tick), the rate groups and its fault
    protection. `configure(fsw)` runs before protection is installed (parameters, the loaded
    sequence)."""
    fsw = build_lander(devices, **build_kw)
    seq = Sequencer("seq", fsw.topology.dispatch)
    fsw.topology.add(seq)
    fsw.sequencer = seq

    def install(ex: Executive) -> None:
        ex.add_group("sequence", 1, [seq])
        fsw.install(ex)
    return assemble(fsw, clock, BASE_RATE_HZ, faults, install=install, configure=configure,
                    protection=protection, sequencer=seq)


def _edl_parts(dev: Mapping[str, object], cfg: EdlConfig, links: EdlLinks, lander: Lander,
               guidance: DescentGuidance) -> dict[str, object]:
    """The EDL components and the links between them and the lander."""
    seq = EdlSequencer("edl", pyros={p: dev[p] for p in ("chute", "heatshield", "backshell")}, links=links,
                       model=cfg.model)
    nav = EdlNavigator("edlnav", imu=dev["imu"], altimeter=dev["altimeter"],
                       beams=tuple(dev[b] for b in ("tds1", "tds2", "tds3") if dev[b] is not None),
                       beam_dirs=cfg.beam_dirs, site=cfg.site, model=cfg.model, ground_height=cfg.ground_height,
                       radar_on=lambda: seq.mode == "HEATSHIELD_OFF",
                       capsule_only=lambda: seq.mode in ("IDLE", "ARMED"), rate_hz=BASE_RATE_HZ,
                       tds_divisor=GUIDANCE_DIVISOR)
    entry = EntryGuidance("entry", rcs=dev["rcs"], links=links, model=cfg.model, settings=cfg.guidance,
                          site=cfg.site, rate_hz=BASE_RATE_HZ)
    trn = TerrainRelativeNav("trn", camera=dev["camera"], links=links, orbital_map=cfg.orbital_map,
                             camera_model=cfg.camera, settings=cfg.trn)
    links.nav = nav.state
    links.lander_mode = lambda: lander.mode
    links.edl_phase = lambda: seq.mode
    links.trn_fix = nav.apply_fix
    links.trn_status = trn.status
    links.target = lambda: guidance.target_xy
    links.handover = nav.handover
    links.extras["site_datum_m"] = cfg.site.radius_m - cfg.model.radius_ref_m
    return {"edlnav": nav, "entry": entry, "edl": seq, "trn": trn}
