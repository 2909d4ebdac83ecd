"""Terrain-relative navigation: descent images matched on the orbital map, fixes to navigation.

Starts when the heatshield is off and the navigated height is below `start_height_m`
(Mars 2020: images from ~4.2 km), and takes an image every `image_period_s` until the
backshell goes. ACQUIRE searches the whole prior uncertainty (kilometres; the coarse step of
fsw.gnc.trn); the first fix accepted moves navigation and TRACK follows with fine matches
only. A fix is accepted when the localiser's checks pass and it agrees with navigation
within `gate_sigma` times the prior (plus the fix's own spread): a solution that jumps is
rejected and counted (`rejects`), three in a row drop back to ACQUIRE. No image (a camera
that does not answer, or answers with the same image) is counted in `camera_faults`. The
lander reads `status()` at backshell separation: without a fix it falls back to inertial
and radar navigation and widens its site search.
"""
from __future__ import annotations

import math
from typing import Any, Mapping

import numpy as np

from fsw.core.component import Component
from fsw.core.declarations import Channel, Param
from fsw.core.events import EventDef, Severity
from fsw.core.modes import ModeTable, T
from fsw.core.time import NS_PER_S
from fsw.gnc.trn import CameraModel, OrbitalMap, TrnSettings, localise

from .edl_common import DeviceReader, EdlLinks

TRN_MODES = ModeTable(
    modes=("IDLE", "ACQUIRE", "TRACK", "DONE"),
    initial="IDLE",
    terminal=("DONE",),
    transitions=(
        T("start", "IDLE", "ACQUIRE", "camera_uncovered", "below_start_height"),
        T("fixed", "ACQUIRE", "TRACK", "fix_accepted"),
        T("lost", "TRACK", "ACQUIRE", "track_lost"),
        T("stop", ("IDLE", "ACQUIRE", "TRACK"), "DONE", "backshell_gone"),
    ),
)


class TerrainRelativeNav(Component):
    MODES = TRN_MODES
    CHANNELS = (
        Channel("images", int), Channel("fixes", int), Channel("rejects", int), Channel("camera_faults", int),
        Channel("last_dx_m", float, "m"), Channel("last_dy_m", float, "m"), Channel("last_sigma_m", float, "m"),
        Channel("last_peak", float), Channel("last_landmarks", int), Channel("last_gsd_m", float, "m"),
    )
    EVENTS = (
        EventDef("TRN_FIX", Severity.ACTIVITY_HI,
                 "fix {dx_m}, {dy_m} m from navigation (sigma {sigma_m} m, {landmarks} landmarks, {height_m} m up)", dx_m=float, dy_m=float, sigma_m=float, landmarks=int, height_m=float),
        EventDef("TRN_REJECTED", Severity.WARNING_LO, "{reason}", reason=str),
        EventDef("CAMERA_FAULT", Severity.WARNING_HI, "{device}: {reason}", device=str, reason=str),
    )
    PARAMS = (
        Param("start_height_m", float, 1000.0, 10000.0, default=4300.0),
        Param("image_period_s", float, 0.2, 10.0, default=1.0),
        Param("gate_sigma", float, 1.0, 20.0, default=4.0),
        Param("gate_floor_m", float, 1.0, 1000.0, default=25.0),
        Param("search_floor_m", float, 10.0, 5000.0, default=300.0),
        Param("lost_after", int, 1, 20, default=3),
    )

    def __init__(self, name: str = "trn", *, camera=None, links: EdlLinks | None = None, orbital_map: OrbitalMap | None = None,
                 camera_model: CameraModel = CameraModel(), settings: TrnSettings = TrnSettings()) -> None:
        super().__init__(name)
        self.camera = camera
        self.links = links or EdlLinks()
        self.map, self.cam, self.settings = orbital_map, camera_model, settings
        self.reader = DeviceReader(lambda dev, why: self.emit("CAMERA_FAULT", device=dev, reason=why), stale_reads=1)
        self._next_ns = 0
        self._run = 0                  # rejects in a row
        self._accepted = False
        # (image t_ns, nav x, y before the fix, after it, the fix's sigma): for reports
        self.fix_log: list[tuple[int, float, float, float, float, float]] = []

    # ------------------------------------------------------------ guards
    def camera_uncovered(self) -> bool:
        return self.links.edl_phase() in ("HEATSHIELD_OFF",)

    def below_start_height(self) -> bool:
        nav = self.links.nav()
        return nav is not None and nav.height_m <= self.params["start_height_m"]

    def fix_accepted(self) -> bool:
        return self._accepted

    def track_lost(self) -> bool:
        return self._run >= self.params["lost_after"]

    def backshell_gone(self) -> bool:
        return self.links.edl_phase() == "BACKSHELL_OFF"

    def status(self) -> tuple[bool, float]:
        """(a fix was accepted, the navigator's sigma) for the lander's site choice."""
        nav = self.links.nav()
        return self.tlm["fixes"] > 0, (nav.pos_sigma_m if nav is not None else math.inf)

    # ------------------------------------------------------------ step (10 Hz)
    def step(self, t_ns: int) -> None:
        mode = self.mode
        if mode == "DONE":
            return
        if self.backshell_gone():
            self.trigger("stop")
            return
        if mode == "IDLE":
            if self.camera_uncovered() and self.below_start_height():
                self.trigger("start")
                self._next_ns = t_ns
            return
        if t_ns < self._next_ns or self.map is None:
            return
        self._next_ns = t_ns + int(self.params["image_period_s"] * NS_PER_S)
        self._image(t_ns)

    def _image(self, t_ns: int) -> None:
        s = self.reader.read(self.camera)
        self.tlm["camera_faults"] = self.reader.faults
        if s is None or not s.valid:
            return
        nav = self.links.nav()
        if nav is None or s.width != self.cam.pixels or s.height != self.cam.pixels \
                or len(s.image) != s.width * s.height:
            self._reject("image does not fit the camera model")
            return
        self.tlm["images"] += 1
        img = np.frombuffer(s.image, dtype=np.uint8).reshape(s.height, s.width)
        sigma = nav.pos_sigma_m
        search = max(3.0 * sigma, self.params["search_floor_m"]) if self.mode == "ACQUIRE" else 3.0 * sigma
        x, y, z = nav.p_local
        fix = localise(img, (float(s.look_rad[0]), float(s.look_rad[1])), (x, y), z, self.cam, self.map, search,
                       self.settings)
        tl = self.tlm
        tl["last_peak"], tl["last_landmarks"], tl["last_gsd_m"] = fix.peak, fix.landmarks, fix.gsd_m
        if not fix.ok:
            self._reject(fix.reason)
            return
        jump = math.hypot(fix.dx_m, fix.dy_m)
        gate = self.params["gate_sigma"] * math.hypot(sigma, fix.sigma_m) + self.params["gate_floor_m"]
        if self.mode == "TRACK" and jump > gate:
            self._reject(f"fix {jump:.0f} m from navigation, gate {gate:.0f} m")
            return
        if not self.links.trn_fix(fix.dx_m, fix.dy_m, fix.sigma_m):
            return
        self._run = 0
        self._accepted = True
        tl["fixes"] += 1
        tl["last_dx_m"], tl["last_dy_m"], tl["last_sigma_m"] = fix.dx_m, fix.dy_m, fix.sigma_m
        self.fix_log.append((int(s.t_ns), x, y, x + fix.dx_m, y + fix.dy_m, fix.sigma_m))
        self.emit("TRN_FIX", dx_m=round(fix.dx_m, 1), dy_m=round(fix.dy_m, 1), sigma_m=round(fix.sigma_m, 2),
                  landmarks=fix.landmarks, height_m=round(nav.height_m, 0))
        if self.mode == "ACQUIRE":
            self.trigger("fixed")

    def _reject(self, reason: str) -> None:
        self.tlm["rejects"] += 1
        self._run += 1
        self.emit("TRN_REJECTED", reason=reason)
        if self.mode == "TRACK" and self.track_lost():
            self._accepted = False
            self.trigger("lost")

    # ------------------------------------------------------------ warm restart
    def checkpoint_state(self) -> dict[str, Any]:
        return super().checkpoint_state() | {"trn": {
            "next_ns": self._next_ns, "run": self._run, "accepted": self._accepted,
            "fix_log": [list(f) for f in self.fix_log[-50:]],
            "tlm": {k: self.tlm[k] for k in ("images", "fixes", "rejects", "camera_faults")}}}

    def restore_state(self, state: Mapping[str, Any]) -> None:
        super().restore_state(state)
        t = state.get("trn")
        if not t:
            return
        self._next_ns, self._run, self._accepted = int(t["next_ns"]), int(t["run"]), bool(t["accepted"])
        self.fix_log = [(int(f[0]), *(float(c) for c in f[1:])) for f in t["fix_log"]]
        for k, v in t.get("tlm", {}).items():
            self.tlm[k] = v


__all__ = ["TRN_MODES", "TerrainRelativeNav"]
