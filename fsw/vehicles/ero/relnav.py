"""ERO relative navigation (requirements ERO-NAV-001..006 in DESIGN.md): where the OS is.

`fsw.gnc.relnav` (angles-only at far range from the narrow-angle camera, range and range
rate from the lidar inside its range), started from a ground-supplied prior
(`REL_STATE_PRIOR`), in curvilinear coordinates about the OS orbit radius (`orbit_radius_m`;
0 = rectilinear) so that it holds from phasing range to capture. It runs before the capture
manager in the executive order: the estimate it publishes (`relnav.estimate`, on every
change) is what the manager flies on in the same tick. Burns measured by the manager's IMU
loop arrive on `relnav.impulse` and are applied at once (delivered when the manager's step
returns, as they were applied inside it before the split).

Detections count camera frames that saw the OS; entering SEARCH starts counting again, and
no detection for `lost_after_s` is a lost track (`relnav.lost`, the manager goes back to
SEARCH). Device health: runs of failed camera and lidar reads and of measurements the
filter's gate refuses (fault protection watches them).

Warm restart: the filter, detections and times are checkpointed. A burn may have run unseen
between the checkpoint and the reset (the RCS holds its last command through the reboot):
the manager publishes when its next burn is due (`relnav.outlook`, checkpointed here), and
the first cycle after a restore widens the estimate by what full thrust could have done in
the gap, before the first measurement, so that it is not refused as an outlier.
"""
from __future__ import annotations

import math
from typing import Any, Mapping

import numpy as np

from fsw.core.component import CommandError, Component, command
from fsw.core.declarations import Arg, Channel, Param
from fsw.core.devices import DEVICE_FAULT, failed
from fsw.core.events import EventDef, Severity
from fsw.core.ports import Sub
from fsw.core.time import NS_PER_S
from fsw.gnc.relnav import RelNavConfig, RelNavFilter
from fsw.numerics import norm

from .devices import EroDevices
from .modes import ERO_MODES
from .rcs import RunCounted
from .topics import BURN_OUTLOOK, ERO_MODE, RELNAV_ESTIMATE, RELNAV_IMPULSE, TARGET_LOST, BurnOutlook, RelNavEstimate

NAV_MODES = ("SEARCH", "FAR_RANGE", "CLOSE_RANGE", "HOLD_POINT", "FINAL_APPROACH", "BACK_OFF", "CAPTURE")
GAP_MODES = ("SEARCH", "FAR_RANGE", "CLOSE_RANGE", "HOLD_POINT", "FINAL_APPROACH", "BACK_OFF", "CAPTURE")
PRIOR_MODES = ("PHASING", "SEARCH", "FAR_RANGE")


class EroRelNav(RunCounted, Component):
    CHANNELS = (
        Channel("range_m", float, "m", "estimated"), Channel("range_sigma_m", float, "m"),
        Channel("closing_mps", float, "m/s"), Channel("lateral_m", float, "m"),
        Channel("detections", int), Channel("nav_rejected", int),
        Channel("nac_faults", int, doc="consecutive failed camera reads"),
        Channel("lidar_faults", int, doc="consecutive failed lidar reads"),
        Channel("nav_refused_run", int, doc="consecutive measurements refused by the filter's gate"),
    )
    EVENTS = (
        EventDef("TARGET_DETECTED", Severity.ACTIVITY_HI, "OS detected, estimated range {range_m:.0f} m", range_m=float),
        EventDef("TARGET_LOST", Severity.WARNING_HI, "no detection for {for_s:.0f} s", for_s=float),
        EventDef("NAV_WIDENED", Severity.ACTIVITY_LO, "estimate widened for {gap_s:.1f} s of possible thrust",
                 gap_s=float),
        DEVICE_FAULT,
    )
    PARAMS = (
        Param("mean_motion_radps", float, 1e-5, 1e-2, default=9.0506e-4),
        Param("orbit_radius_m", float, 0.0, 1e8, default=0.0),
        Param("angle_sigma_rad", float, 1e-6, 0.1, default=2e-4),
        Param("accel_noise_mps2", float, 0.0, 1e-2, default=2e-5),
        Param("accel_noise_per_m", float, 0.0, 1e-6, default=3e-9),
        Param("lidar_max_m", float, 10.0, 5000.0, default=1000.0),
        Param("lost_after_s", float, 1.0, 36000.0, default=7200.0),
        Param("mass_kg", float, 100.0, 20000.0, default=5000.0),
        Param("force_limit_N", float, 0.1, 1000.0, default=44.0),
    )
    PUBLISHES = (RELNAV_ESTIMATE, TARGET_LOST)
    SUBSCRIBES = (Sub(ERO_MODE, "_on_mode"), Sub(RELNAV_IMPULSE, "_on_impulse"), BURN_OUTLOOK)

    def __init__(self, name: str, devices: EroDevices) -> None:
        super().__init__(name)
        self.dev = devices
        self.RUNS = {devices.nac.name: "nac_faults", devices.lidar.name: "lidar_faults"}
        self.nav: RelNavFilter | None = None
        self._nav_t: float | None = None
        self._cam_t_ns = -1
        self._last_det_t: float | None = None
        self.detections = 0
        self.detect_range_est: float | None = None
        self._t = 0.0
        self._resume = False
        self._saved_t = 0.0
        self._outlook: BurnOutlook | None = None

    def _config(self) -> RelNavConfig:
        p = self.params
        return RelNavConfig(n=p["mean_motion_radps"], angle_sigma_rad=p["angle_sigma_rad"],
                            accel_noise_mps2=p["accel_noise_mps2"], accel_noise_per_m=p["accel_noise_per_m"],
                            radius_m=p["orbit_radius_m"] or None)

    def _mode(self) -> str:
        mode = self.received(ERO_MODE)
        return ERO_MODES.initial if mode is None else mode

    def _publish(self, rect: tuple[float, ...] | None = None, sigma: float | None = None) -> None:
        """The estimate as the manager flies on it (rectilinear as plain floats, once; `step`
        passes the ones it has just computed from the same estimate)."""
        nav = self.nav
        if nav is None:
            return
        if rect is None:
            rect, sigma = nav.rectilinear_floats(), nav.position_sigma
        self.publish(RELNAV_ESTIMATE, RelNavEstimate(nav.state_floats(), rect, sigma, self.detections))

    # ------------------------------------------------------------ ports and commands
    @command("REL_STATE_PRIOR", Arg("x", float), Arg("y", float), Arg("z", float),
             Arg("vx", float), Arg("vy", float), Arg("vz", float),
             Arg("sigma_pos_m", float, 0.0, 1e6), Arg("sigma_vel_mps", float, 0.0, 1e3),
             doc="Ground estimate of the OS relative to the ERO (Hill frame) at the current time; "
             "in PHASING, SEARCH or FAR_RANGE")
    def _cmd_rel_state_prior(self, x, y, z, vx, vy, vz, sigma_pos_m, sigma_vel_mps) -> None:
        if self._mode() not in PRIOR_MODES:
            raise CommandError(f"REL_STATE_PRIOR refused in {self._mode()}")
        self.nav = RelNavFilter(self._config(), (x, y, z, vx, vy, vz), (sigma_pos_m,) * 3 + (sigma_vel_mps,) * 3)
        self._nav_t = self._t
        self._publish()

    def _on_mode(self, mode: str) -> None:
        if mode == "SEARCH":          # (re)acquisition: fresh detections are needed
            self.detections = 0
            self.tlm["detections"] = 0
            self._publish()

    def _on_impulse(self, dv: tuple) -> None:
        """A burn measured by the manager's IMU loop (Hill frame, m/s)."""
        if self.nav is not None:
            self.nav.apply_impulse(dv)
            self._publish()

    # ------------------------------------------------------------ loop
    def step(self, t_ns: int) -> None:
        t = t_ns / NS_PER_S
        self._t = t
        if self._resume:
            self._resume = False
            self._widen_after_restart()
        if self._mode() in NAV_MODES:
            self._navigate(t)
        nav = self.nav
        if nav is not None:
            tlm = self.tlm
            rect = nav.rectilinear_floats()      # the floats of nav.rectilinear(), once
            tlm["range_m"] = norm(rect[:3])
            tlm["range_sigma_m"] = sigma = nav.position_sigma
            tlm["closing_mps"] = -rect[4]
            tlm["lateral_m"] = math.hypot(rect[0], rect[2])
            self._publish(rect, sigma)

    def _navigate(self, t: float) -> None:
        nav = self.nav
        if nav is not None and self._nav_t is not None:
            nav.predict(t - self._nav_t)
            self._nav_t = t
        cam = self.device_call(self.dev.nac.read)
        if failed(cam):
            return
        self.device_ok(self.dev.nac.name)
        if cam.t_ns == self._cam_t_ns:
            return
        self._cam_t_ns = cam.t_ns
        if not cam.detected:
            if self._last_det_t is not None and t - self._last_det_t > self.params["lost_after_s"]:
                self.emit("TARGET_LOST", for_s=t - self._last_det_t)
                lost_for = t - self._last_det_t
                self._last_det_t = None
                self.detections = 0
                self._publish()
                self.publish(TARGET_LOST, lost_for)
            return
        self._last_det_t = t
        self.detections += 1
        self.tlm["detections"] = self.detections
        if self.detections == 1 and nav is not None:
            self.detect_range_est = nav.range
            self.emit("TARGET_DETECTED", range_m=nav.range)
        if nav is None:
            return
        lid = self.device_call(self.dev.lidar.read)
        if not failed(lid):
            self.device_ok(self.dev.lidar.name)
        if not failed(lid) and lid.valid and lid.range_m <= self.params["lidar_max_m"]:
            ok = nav.update_range_angles(cam.los_unit, lid.range_m, lid.range_rate_mps)
        else:
            ok = nav.update_angles(cam.los_unit)
        self.tlm["nav_refused_run"] = 0 if ok else self.tlm["nav_refused_run"] + 1
        self.tlm["nav_rejected"] = nav.rejected

    # ------------------------------------------------------------ warm restart
    def checkpoint_state(self) -> dict:
        nav, out = self.nav, self.received(BURN_OUTLOOK)
        return super().checkpoint_state() | {
            "nav": None if nav is None else {
                "x": list(nav.state_floats()), "P": nav.covariance_rows(),
                "rejected": nav.rejected, "accepted": nav.accepted, "reinflations": nav.reinflations},
            "nav_t": self._nav_t, "cam_t_ns": self._cam_t_ns, "last_det_t": self._last_det_t,
            "detections": self.detections, "detect_range_est": self.detect_range_est,
            # JSON has no infinity (checkpoint files are strict): no event planned is None
            "outlook": None if out is None else [out.burning, out.event_in_s if math.isfinite(out.event_in_s) else None],
            "t": self._t,
        }

    def restore_state(self, state: Mapping[str, Any]) -> None:
        super().restore_state(state)
        nav = state.get("nav")
        self.nav = None
        if nav is not None:
            x, cov = np.asarray(nav["x"], dtype=float), np.asarray(nav["P"], dtype=float)
            if x.shape != (6,) or cov.shape != (6, 6) or not (np.isfinite(x).all() and np.isfinite(cov).all()):
                raise ValueError("corrupt relative-navigation state")
            self.nav = RelNavFilter(self._config(), x, np.zeros(6))
            self.nav.P = cov
            self.nav.rejected = int(nav.get("rejected", 0))
            self.nav.accepted = int(nav.get("accepted", 0))
            self.nav.reinflations = int(nav.get("reinflations", 0))
        opt = _optional_float
        self._nav_t = opt(state.get("nav_t"))
        self._cam_t_ns = int(state.get("cam_t_ns", -1))
        self._last_det_t = opt(state.get("last_det_t"))
        self.detections = int(state.get("detections", 0))
        self.detect_range_est = opt(state.get("detect_range_est"))
        out = state.get("outlook")
        self._outlook = None if out is None else \
            BurnOutlook(bool(out[0]), math.inf if out[1] is None else float(out[1]))
        self._saved_t = self._t = float(state.get("t", 0.0))
        self.tlm["detections"] = self.detections
        self._resume = True

    def _widen_after_restart(self) -> None:
        """A burn under way at the checkpoint, or due within the gap: the RCS may have fired
        unseen (it holds its last command through the reboot; the IMU increments of the gap
        are lost), so widen the estimate by what full thrust could have done in that time."""
        out = self._outlook
        gap = self._t - self._saved_t
        if self.nav is None or out is None or self._mode() not in GAP_MODES:
            return
        if not (out.burning or out.event_in_s - gap <= gap):
            return
        a = self.params["force_limit_N"] / self.params["mass_kg"]
        dv, dx = a * max(gap, 0.0), 0.5 * a * max(gap, 0.0) ** 2
        self.nav.widen(dx ** 2, dv ** 2)
        self.emit("NAV_WIDENED", gap_s=gap)
        self._publish()


def _optional_float(v: Any) -> float | None:
    return None if v is None else float(v)


__all__ = ["EroRelNav", "NAV_MODES"]
