"""ERO capture manager: rendezvous with the OS, capture, containment and return.

Navigation is `fsw.gnc.relnav` (angles-only at far range from the narrow-angle camera,
range and range rate from the lidar inside its range), started from a ground-supplied
prior (`REL_STATE_PRIOR`), in curvilinear coordinates about the OS orbit radius
(`orbit_radius_m`; 0 = rectilinear) so that it holds from phasing range (thousands of km)
to capture. Guidance flies *legs* to aim points expressed as the ERO's position relative
to the OS in the Hill frame (x radial, y along-track, z cross-track; the capture cone looks
along +y, so the ERO approaches from behind on V-bar):

- phasing and search: the ERO drifts up to the OS on a lower phasing orbit while the
  narrow-angle camera searches for it (a frame every quiet cycle); `detections_to_acquire`
  detections acquire it;
- far range: the angles-only filter tracks the OS during the drift; once the estimated range
  is under `far_start_m` a CW transfer (`far_transfer_s`) lifts the ERO onto V-bar
  `far_via_m` behind the OS, then two-impulse Clohessy-Wiltshire hops
  (`fsw.gnc.cw_targeting`), re-targeted after each finite burn, reach the far hold point; the
  hops also make range observable;
- close range: a glideslope (`fsw.gnc.glideslope`) with N pulses to the near hold point;
- final approach: a glideslope from the near hold point into the cone, arriving at the
  capture closing speed. Every cycle the estimate is checked against the capture cone
  (lateral offset against a cone around the axis) and a closing-speed bound that follows
  the glideslope profile; a violation backs off to the hold point and retries, up to a
  limit, then SAFE.

Burns are finite (the RCS force is limited per axis): each leg's first impulse is executed
closed loop on the IMU, which also feeds the burn to the filter. After capture the CCRS
steps run one by one and each must be verified (`ccrs`); the EEV transfer needs verified
containment and sterilisation (mode-table guards) and a failed step holds with an event.
Earth cruise is a quiet period of `earth_cruise_s` (compressed), after which the EEV is
released on approach (or on the ground's APPROACH_EARTH).

`quiet()` tells the vehicle when nothing needs the 10 Hz loop: no burn in progress and the
next guidance event more than `quiet_margin_s` away.

Fault protection (fsw.vehicles.ero.faults) reads the device-health channels kept here: runs
of failed reads of the narrow-angle camera and the lidar, of the RCS (its status is polled
every cycle, so a failed thruster bank is seen before it is needed), of measurements the
filter refuses, and containment steps that failed. Losing the target track sends the
manager back to SEARCH: the approach legs are dropped, inside lidar range the relative
velocity is nulled first (a hold where it is), and the far-range plan is made again once the
OS is reacquired. In BREAK_THE_CHAIN and EEV_TRANSFER the two leak checks are read every
cycle: a seal that no longer reads the OS, or a leak-check sensor that stops answering,
holds the OS in CONTAINMENT_HOLD, never onwards to the EEV.

Warm restart: `checkpoint_state` carries custody, verified steps, retries, the filter, the
leg queue and burn, the hold and cruise times; `restore_state` puts them back, and the first
cycle after it (`_resume`) restarts the containment step of the current mode from its start,
re-verifies containment from the leak checks in BREAK_THE_CHAIN and EEV_TRANSFER (so a
reset between CONTAIN and the transfer never hands an unverified OS to the EEV), and
reconciles custody against the capture mechanism and the EEV seat.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any, Mapping

import numpy as np

from fsw.core.component import CommandError, Component, command
from fsw.core.declarations import Arg, Channel, Param
from fsw.core.devices import DEVICE_FAULT
from fsw.core.events import EventDef, Severity
from fsw.core.time import NS_PER_S
from fsw.gnc.cw_targeting import TargetingError, cw_propagate, two_impulse
from fsw.gnc.glideslope import glideslope
from fsw.gnc.relnav import RelNavConfig, RelNavFilter
from fsw.numerics import dot, norm
from fsw.vehicles.custody import CUSTODY_CHECK, CUSTODY_EVENTS, CustodyLedger
from hal.errors import DeviceFault

from . import ccrs
from .devices import EroDevices
from .modes import ERO_MODES

NAV_MODES = ("SEARCH", "FAR_RANGE", "CLOSE_RANGE", "HOLD_POINT", "FINAL_APPROACH", "BACK_OFF",
             "CAPTURE")
BURN_MODES = ("SEARCH", "FAR_RANGE", "CLOSE_RANGE", "HOLD_POINT", "FINAL_APPROACH", "BACK_OFF")
STEP_NAMES = ("orient", "contain", "break_the_chain", "eev_transfer", "eev_release")
WATCHED_CONTAINMENT = ("BREAK_THE_CHAIN", "EEV_TRANSFER")   # seals re-read every cycle


@dataclass
class Leg:
    aim: tuple[float, float, float]      # ERO relative to OS, Hill frame, m
    t_arrive: float                      # onboard time, s
    stop: bool = True                    # null the relative velocity on arrival
    arrive_velocity: tuple[float, float, float] = (0.0, 0.0, 0.0)
    retargeted: bool = False
    corrected: bool = False
    t_start: float = 0.0
    duration_s: float = 0.0              # > 0: t_arrive is set when the leg starts
    free_z: bool = False                 # leave the cross-track motion to a later leg


class EroCaptureManager(Component):
    MODES = ERO_MODES
    CHANNELS = (
        Channel("range_m", float, "m", "estimated"), Channel("range_sigma_m", float, "m"),
        Channel("closing_mps", float, "m/s"), Channel("lateral_m", float, "m"),
        Channel("detections", int), Channel("retries", int),
        Channel("approach_dv_mps", float, "m/s"), Channel("burning", bool),
        Channel("nav_rejected", int),
        Channel("nac_faults", int, doc="consecutive failed camera reads"),
        Channel("lidar_faults", int, doc="consecutive failed lidar reads"),
        Channel("rcs_faults", int, doc="consecutive cycles with the RCS not answering"),
        Channel("nav_refused_run", int, doc="consecutive measurements refused by the filter's gate"),
        Channel("step_failures", int, doc="containment steps failed since the last verified one"),
    )
    EVENTS = CUSTODY_EVENTS + (
        EventDef("TARGET_DETECTED", Severity.ACTIVITY_HI, "OS detected, estimated range {range_m:.0f} m", range_m=float),
        EventDef("TARGET_LOST", Severity.WARNING_HI, "no detection for {for_s:.0f} s", for_s=float),
        EventDef("LEG_PLANNED", Severity.ACTIVITY_LO, "{kind} to {aim} in {t:.0f} s, dv {dv:.3f} m/s", kind=str, aim=object, t=float, dv=float),
        EventDef("CONE_VIOLATION", Severity.WARNING_HI,
                 "back off: lateral {lateral:.2f} m (max {lat_max:.2f}), closing {closing:.3f} m/s (max {cl_max:.3f})", lateral=float, lat_max=float, closing=float, cl_max=float),
        EventDef("CAPTURE_TRIGGERED", Severity.ACTIVITY_HI, "closing {closing:.3f} m/s, lateral {lateral:.3f} m", closing=float, lateral=float),
        EventDef("STEP_VERIFIED", Severity.ACTIVITY_HI, "{step} verified", step=str),
        EventDef("CONTAINMENT_NOT_VERIFIED", Severity.WARNING_HI, "{step}: {reason}; holding", step=str, reason=str),
        EventDef("RETRIES_EXHAUSTED", Severity.WARNING_HI, "{retries} capture attempts failed", retries=int),
        DEVICE_FAULT,
        EventDef("BURN_LIMIT", Severity.WARNING_LO, "steered burn stopped after {spent:.2f} m/s (budget {budget:.2f})", spent=float, budget=float),
        EventDef("NAV_HOLD", Severity.WARNING_HI, "approach dropped at {range_m:.0f} m, nulling {dv:.3f} m/s; reacquiring", range_m=float, dv=float),
        EventDef("RESUMED", Severity.ACTIVITY_HI, "warm restart in {mode}: {action}", mode=str, action=str),
        CUSTODY_CHECK,
    )
    PARAMS = (
        Param("mean_motion_radps", float, 1e-5, 1e-2, default=9.0506e-4),
        Param("mass_kg", float, 100.0, 20000.0, default=5000.0),
        Param("force_limit_N", float, 0.1, 1000.0, default=44.0),
        Param("far_hold_m", float, 100.0, 5000.0, default=800.0),
        Param("near_hold_m", float, 10.0, 500.0, default=100.0),
        Param("hop_time_s", float, 100.0, 10000.0, default=1700.0),
        Param("hop_via_m", float, 500.0, 100000.0, default=2500.0),
        Param("hop_radial_m", float, -5000.0, 5000.0, default=-150.0),
        Param("close_pulses", int, 1, 50, default=5),
        Param("close_rate_mps", float, 0.05, 5.0, default=1.2),
        Param("final_pulses", int, 1, 50, default=6),
        Param("final_rate_mps", float, 0.05, 2.0, default=0.4),
        Param("capture_speed_mps", float, 0.01, 0.5, default=0.06),
        Param("capture_speed_max_mps", float, 0.01, 0.5, default=0.12),
        Param("cone_half_angle_deg", float, 1.0, 45.0, default=10.0),
        Param("cone_margin_m", float, 0.0, 5.0, default=0.15),
        Param("capture_zone_m", float, 0.0, 50.0, default=2.0),
        Param("hold_dwell_s", float, 0.0, 3600.0, default=60.0),
        Param("max_retries", int, 0, 20, default=3),
        Param("lost_after_s", float, 1.0, 36000.0, default=7200.0),
        Param("detections_to_acquire", int, 1, 100, default=3),
        Param("lidar_max_m", float, 10.0, 5000.0, default=1000.0),
        Param("approach_sigma_m", float, 0.01, 100.0, default=2.0),
        Param("os_id", int, 1, 65535, default=1000),
        Param("sterilise_C", float, 0.0, 1000.0, default=200.0),
        Param("sterilise_dwell_s", float, 0.0, 36000.0, default=30.0),
        Param("sterilise_power_W", float, 0.0, 5000.0, default=400.0),
        Param("step_timeout_s", float, 1.0, 36000.0, default=600.0),
        Param("angle_sigma_rad", float, 1e-6, 0.1, default=2e-4),
        Param("accel_noise_mps2", float, 0.0, 1e-2, default=2e-5),
        Param("accel_noise_per_m", float, 0.0, 1e-6, default=3e-9),
        Param("orbit_radius_m", float, 0.0, 1e8, default=0.0),
        Param("far_start_m", float, 1000.0, 1e6, default=65000.0),
        Param("far_via_m", float, 1000.0, 50000.0, default=5000.0),
        Param("far_transfer_s", float, 100.0, 20000.0, default=3100.0),
        Param("quiet_margin_s", float, 10.0, 3600.0, default=90.0),
        Param("earth_cruise_s", float, 0.0, 1e8, default=3600.0),
        Param("steer_above_s", float, 1.0, 3600.0, default=30.0),
        Param("steer_tol_mps", float, 1e-4, 0.1, default=0.003),
    )

    def __init__(self, name: str, devices: EroDevices) -> None:
        super().__init__(name)
        self.dev = devices
        self.custody = CustodyLedger(emit=self.emit)
        self.nav: RelNavFilter | None = None
        self._nav_t: float | None = None
        self._cam_t_ns = -1
        self._last_det_t: float | None = None
        self.detections = 0
        self.detect_range_est: float | None = None
        self.legs: list[Leg] = []
        self.burn_dv = (0.0, 0.0, 0.0)
        self._steer = None
        self.approach_dv = 0.0
        self.retries = 0
        self._hold_since: float | None = None
        self._final_plan = None
        self.capture_stats: dict | None = None
        self._lid_cmd = False
        self._step: ccrs.Step | None = None
        self._verified: set[str] = set()
        self._t = 0.0
        self._last_t: float | None = None
        self._far_planned = False
        self._steer: tuple | None = None
        self._steer_dv0 = 0.0
        self._steer_budget = 0.0
        self._thrusting = False
        self._cruise_until: float | None = None
        self.captured_tubes: list[int] = []
        self.contained_tubes: list[int] = []
        self._rcs_error: DeviceFault | None = None
        self._resume = False
        self._gap_burn = False
        self._saved_t = 0.0

    def _nav_config(self) -> RelNavConfig:
        p = self.params
        return RelNavConfig(n=p["mean_motion_radps"], angle_sigma_rad=p["angle_sigma_rad"],
                            accel_noise_mps2=p["accel_noise_mps2"],
                            accel_noise_per_m=p["accel_noise_per_m"],
                            radius_m=p["orbit_radius_m"] or None)

    def _device_fault(self, channel: str, device: str, exc: Exception) -> None:
        """Count a failed read (a run, reset by the next good one); one event per run."""
        self.tlm[channel] += 1
        if self.tlm[channel] == 1:
            self.emit("DEVICE_FAULT", device=device, error=str(exc))

    def _read_lidar(self):
        try:
            r = self.dev.lidar.read()
        except DeviceFault as exc:
            self._device_fault("lidar_faults", self.dev.lidar.name, exc)
            return None
        self.tlm["lidar_faults"] = 0
        return r

    def _burning(self) -> bool:
        return self._thrusting or max(abs(c) for c in self.burn_dv) > 1e-3

    # ------------------------------------------------------------ guards
    def target_detected(self) -> bool:
        return self.detections >= self.params["detections_to_acquire"]

    def lidar_valid(self) -> bool:
        r = self._read_lidar()
        return r is not None and bool(r.valid) and r.range_m <= self.params["lidar_max_m"]

    def approach_go(self) -> bool:
        return self.nav is not None and self.nav.position_sigma <= self.params["approach_sigma_m"] \
            and self.lidar_valid()

    def capture_triggered(self) -> bool:
        try:
            return bool(self.dev.capture.read().triggered)
        except DeviceFault:
            return False

    def os_captured(self) -> bool:
        try:
            r = self.dev.capture.read()
        except DeviceFault:
            return False
        return bool(r.triggered and r.lid_closed)

    def orientation_verified(self) -> bool:
        return "orient" in self._verified

    def containment_verified(self) -> bool:
        return "contain" in self._verified

    def sterilisation_verified(self) -> bool:
        return "break_the_chain" in self._verified

    def eev_loaded(self) -> bool:
        return "eev_transfer" in self._verified

    def eev_separated(self) -> bool:
        return "eev_release" in self._verified

    # ------------------------------------------------------------ commands
    def _go(self, trigger: str) -> None:
        if not self.trigger(trigger):
            raise CommandError(f"{trigger} refused in {self.mode}")

    @command("BEGIN_SEARCH", modes=("PHASING",))
    def _cmd_begin_search(self) -> None:
        self._go("begin_search")

    @command("REL_STATE_PRIOR", Arg("x", float), Arg("y", float), Arg("z", float),
             Arg("vx", float), Arg("vy", float), Arg("vz", float),
             Arg("sigma_pos_m", float, 0.0, 1e6), Arg("sigma_vel_mps", float, 0.0, 1e3),
             modes=("PHASING", "SEARCH", "FAR_RANGE"),
             doc="Ground estimate of the OS relative to the ERO (Hill frame) at the current time")
    def _cmd_rel_state_prior(self, x, y, z, vx, vy, vz, sigma_pos_m, sigma_vel_mps) -> None:
        self.nav = RelNavFilter(self._nav_config(), (x, y, z, vx, vy, vz),
                                (sigma_pos_m,) * 3 + (sigma_vel_mps,) * 3)
        self._nav_t = self._t

    @command("EXPECT_TUBES", Arg("tubes", str), modes=ERO_MODES.modes[:7])
    def _cmd_expect_tubes(self, tubes: str) -> None:
        """Register the tubes the OS carries (from the MAV's custody record) as in orbit."""
        try:
            ids = sorted({int(x) for x in tubes.split(",") if x.strip()})
        except ValueError:
            raise CommandError(f"bad tube list {tubes!r}") from None
        for t in ids:
            if self.custody.location(t) is None and not self.custody.register(t, "orbit"):
                raise CommandError(f"tube {t} refused")

    @command("RETRY_CONTAINMENT", modes=("CONTAINMENT_HOLD",))
    def _cmd_retry_containment(self) -> None:
        self._verified.clear()
        self._step = None
        self.tlm["step_failures"] = 0
        self._go("retry_containment")

    @command("APPROACH_EARTH", modes=("EARTH_CRUISE",))
    def _cmd_approach_earth(self) -> None:
        self._go("approach_earth")

    @command("SAFE")
    def _cmd_safe(self) -> None:
        self._go("safe")

    @command("RECOVER", modes=("SAFE",))
    def _cmd_recover(self) -> None:
        self._go("recover")

    # ------------------------------------------------------------ mode entry
    def on_enter_SAFE(self) -> None:
        self.legs = []
        self.burn_dv = (0.0, 0.0, 0.0)
        self._steer = None
        self._rcs((0.0, 0.0, 0.0))

    def on_enter_SEARCH(self) -> None:
        """(Re)acquisition: fresh detections are needed. Entered from an approach (the target
        track or a sensor lost), the legs are dropped; inside lidar range the relative
        velocity is nulled (hold where we are) rather than coasting on toward the OS."""
        self.detections = 0
        self.tlm["detections"] = 0
        self._far_planned = False
        if not (self.legs or self._burning()):
            return
        self.legs = []
        self._steer = None
        self.burn_dv = (0.0, 0.0, 0.0)
        dv = 0.0
        if self.nav is not None and self.nav.range <= self.params["lidar_max_m"]:
            s = self.chaser_state()
            self.burn_dv = tuple(-s[3 + i] for i in range(3))
            dv = math.sqrt(sum(c * c for c in self.burn_dv))
        else:
            self._rcs((0.0, 0.0, 0.0))
        self.emit("NAV_HOLD", range_m=self.nav.range if self.nav is not None else -1.0, dv=dv)

    def on_enter_FAR_RANGE(self) -> None:
        self.legs = []
        self._far_planned = False

    def _far_start_range(self, drift: tuple[float, float] | None = None) -> float:
        """Range at which the far-range transfer starts: `far_start_m`, or further out for a
        faster drift (a lower phasing orbit), so the transfer stays close to a Hohmann
        (about 0.6 of the drift over the transfer time; 65 km at 25 km below)."""
        _, closing = self._drift() if drift is None else drift
        return max(self.params["far_start_m"], 0.6 * max(0.0, closing) * self.params["far_transfer_s"])

    def _drift(self) -> tuple[float, float]:
        """(range, closing speed) of the estimate, closing along the line of sight (range
        floored at 1 m for the division); the rate-set choice asks every second."""
        rect = self.nav.rectilinear_floats()
        pos, vel = rect[:3], rect[3:]
        rng = norm(pos)
        return rng, -dot(pos, vel) / max(rng, 1.0)

    def _plan_far_range(self) -> None:
        """From the drift: a transfer to V-bar `far_via_m` behind the OS, then a CW hop to the
        far hold point; from closer in, a hop via `hop_via_m` (off V-bar by `hop_radial_m`,
        for range observability) instead of the transfer."""
        p = self.params
        self.legs = []
        if self.nav.range > p["far_via_m"] * 1.5:
            # the out-of-plane motion (differential nodal regression) is cheaper to null on
            # the quarter-orbit hop that follows than on a near half-orbit transfer
            self.legs.append(Leg((0.0, -p["far_via_m"], 0.0), 0.0, duration_s=p["far_transfer_s"],
                                 free_z=True))
        elif self.nav.range > p["hop_via_m"] * 1.5:
            self.legs.append(Leg((p["hop_radial_m"], -p["hop_via_m"], 0.0), 0.0, duration_s=p["hop_time_s"]))
        self.legs.append(Leg((0.0, -p["far_hold_m"], 0.0), 0.0, duration_s=p["hop_time_s"]))
        self._far_planned = True

    def on_enter_CLOSE_RANGE(self) -> None:
        self._plan_glide(self.params["near_hold_m"], self.params["close_rate_mps"], 0.05,
                         self.params["close_pulses"], stop=True)

    def on_enter_HOLD_POINT(self) -> None:
        self._hold_since = self._t
        self.legs = []

    def on_enter_FINAL_APPROACH(self) -> None:
        p = self.params
        self._final_plan = self._plan_glide(0.0, p["final_rate_mps"], p["capture_speed_mps"],
                                            p["final_pulses"], stop=False)

    def on_enter_BACK_OFF(self) -> None:
        self.retries += 1
        self.tlm["retries"] = self.retries
        self.burn_dv = (0.0, 0.0, 0.0)
        self._steer = None
        self.legs = [Leg((0.0, -self.params["near_hold_m"], 0.0), self._t + 600.0)]

    def on_enter_CAPTURE(self) -> None:
        self.legs = []
        self.burn_dv = (0.0, 0.0, 0.0)
        self._steer = None
        self._rcs((0.0, 0.0, 0.0))
        try:
            self.dev.capture.close_lid()
            self._lid_cmd = True
        except DeviceFault as exc:
            self.emit("DEVICE_FAULT", device=self.dev.capture.name, error=str(exc))

    def on_enter_ORIENT(self) -> None:
        for tube in self.custody.tubes_at("orbit"):
            if self.custody.move(tube, "orbit", "ero"):
                self.captured_tubes.append(tube)
        self._start_step(ccrs.Orient(self.dev, self.params["step_timeout_s"]))

    def on_enter_CONTAIN(self) -> None:
        self._start_step(ccrs.Contain(self.dev, self.params["step_timeout_s"], self.params["os_id"]))

    def on_enter_BREAK_THE_CHAIN(self) -> None:
        p = self.params
        self._start_step(ccrs.BreakTheChain(self.dev, p["step_timeout_s"], p["sterilise_C"],
                                            p["sterilise_dwell_s"], p["sterilise_power_W"]))

    def on_enter_EEV_TRANSFER(self) -> None:
        self._start_step(ccrs.TransferToEev(self.dev, self.params["step_timeout_s"], self.params["os_id"]))

    def on_enter_EARTH_CRUISE(self) -> None:
        self._cruise_until = self._t + self.params["earth_cruise_s"]

    def on_enter_EEV_RELEASE(self) -> None:
        self._start_step(ccrs.ReleaseEev(self.dev, self.params["step_timeout_s"]))

    def on_enter_CONTAINMENT_HOLD(self) -> None:
        self._step = None
        try:
            self.dev.btc_heater.set_power(0.0)
        except DeviceFault:
            pass
        try:   # stop the transfer arm where it is (a hold mid-transfer)
            self.dev.transfer_arm.move_to(self.dev.transfer_arm.read().position_m)
        except DeviceFault:
            pass

    def _start_step(self, step: ccrs.Step) -> None:
        self._step = step
        step.start(self._t)

    # ------------------------------------------------------------ guidance helpers
    def chaser_state(self) -> tuple[float, ...]:
        """ERO relative to OS (guidance convention) from the filter's OS-relative-to-ERO."""
        x = self.nav.x
        return tuple(-float(c) for c in x)

    def _plan_glide(self, end_range: float, rate0: float, rate_end: float, pulses: int,
                    stop: bool):
        if self.nav is None:
            return None
        s = self.chaser_state()
        start = s[:3]
        end = (0.0, -end_range, 0.0)
        try:
            g = glideslope(start, end, -abs(rate0), -abs(rate_end), pulses,
                           self.params["mean_motion_radps"], s[3:])
        except ValueError as exc:
            self.emit("DEVICE_FAULT", device="glideslope", error=str(exc))
            return None
        self.legs = []
        for k in range(1, len(g.waypoints)):
            last = k == len(g.waypoints) - 1
            # intermediate waypoints: the next leg's first impulse is the glideslope pulse;
            # the final approach never stops (it arrives in the cone still closing)
            self.legs.append(Leg(g.waypoints[k], self._t + g.times_s[k], stop=stop and last))
        return g

    def _start_leg(self, leg: Leg, kind: str) -> None:
        s = self.chaser_state()
        dt = leg.t_arrive - self._t
        if dt < 5.0:
            return
        n = self.params["mean_motion_radps"]
        accel = self.params["force_limit_N"] / self.params["mass_kg"]
        try:
            sol = two_impulse(s, leg.aim, n, dt)
        except TargetingError as exc:
            self.emit("DEVICE_FAULT", device="cw_targeting", error=str(exc))
            return
        self.burn_dv = tuple(self.burn_dv[i] + sol.dv1[i] for i in range(3))
        if leg.duration_s > 0.0 and max(abs(c) for c in self.burn_dv) / accel > self.params["steer_above_s"]:
            self._start_steering(("leg", leg))   # a long far-range burn: steer on the velocity to gain
        dv = math.sqrt(sum(c * c for c in sol.dv1))
        self.emit("LEG_PLANNED", kind=kind, aim=tuple(round(c, 1) for c in leg.aim), t=dt, dv=dv)

    def _fly_legs(self) -> bool:
        """Advance the leg queue; True when every leg is flown (and the last burn done)."""
        burning = max(abs(c) for c in self.burn_dv) > 1e-3
        if not self.legs:
            return not burning
        leg = self.legs[0]
        if burning:
            return False
        if not leg.retargeted:
            leg.retargeted = True
            leg.t_start = self._t
            if leg.duration_s > 0.0:
                leg.t_arrive = self._t + leg.duration_s
            if leg.free_z and self.nav is not None:
                z = cw_propagate(self.chaser_state(), self.params["mean_motion_radps"], leg.t_arrive - self._t)[2]
                leg.aim = (leg.aim[0], leg.aim[1], z)
            self._start_leg(leg, "leg")
            return False
        if not leg.corrected and self._t - leg.t_start > 0.3 * (leg.t_arrive - leg.t_start):
            leg.corrected = True   # one mid-course re-targeting, after the first burn
            self._start_leg(leg, "correction")
            return False
        if self._t >= leg.t_arrive - self._half_stop_burn(leg):
            self.legs.pop(0)
            s = self.chaser_state()
            if leg.stop:
                want = leg.arrive_velocity
                if leg.free_z:
                    want = (want[0], want[1], s[5])
                self.burn_dv = tuple(want[i] - s[3 + i] for i in range(3))
                accel = self.params["force_limit_N"] / self.params["mass_kg"]
                if leg.duration_s > 0.0 and max(abs(c) for c in self.burn_dv) / accel > self.params["steer_above_s"]:
                    self._start_steering(("stop", want))
            if self.legs:
                self.legs[0].retargeted = False
            return False
        return False

    def _start_steering(self, what: tuple) -> None:
        self._steer = what
        self._steer_dv0 = self.approach_dv
        self._steer_budget = 1.5 * math.sqrt(sum(c * c for c in self.burn_dv)) + 0.5

    def _to_gain(self, open_loop: tuple[float, float, float]) -> tuple[float, float, float]:
        """Velocity still to gain on a long burn, from the estimate: a burn of minutes in the
        rotating frame cannot be flown as a fixed delta-v (Coriolis is as large as the thrust
        acceleration), so the target velocity is re-solved every cycle; done below
        `steer_tol_mps`."""
        kind, what = self._steer
        s = self.chaser_state()
        spent = self.approach_dv - self._steer_dv0
        if spent > self._steer_budget:
            # not converging (a bad estimate, or too little time left): stop, let the next
            # correction or leg re-plan rather than burn on
            self.emit("BURN_LIMIT", spent=spent, budget=self._steer_budget)
            self._steer = None
            return (0.0, 0.0, 0.0)
        if kind == "stop":
            vtbg = tuple(what[i] - s[3 + i] for i in range(3))
        else:
            left = what.t_arrive - self._t
            if left < max(2.0 * self.params["steer_above_s"], 0.5 * (what.t_arrive - what.t_start)):
                self._steer = None
                return open_loop
            try:
                vtbg = two_impulse(s, what.aim, self.params["mean_motion_radps"], left).dv1
            except TargetingError:
                self._steer = None
                return open_loop
        if max(abs(c) for c in vtbg) < self.params["steer_tol_mps"]:
            self._steer = None
            return (0.0, 0.0, 0.0)
        return vtbg

    def _half_stop_burn(self, leg: Leg) -> float:
        """Half the duration of the finite stop burn at a leg's end (it is started that much
        early, so it acts about the arrival time)."""
        if not leg.stop or self.nav is None:
            return 0.0
        p = self.params
        ahead = max(0.0, leg.t_arrive - self._t)
        v = cw_propagate(self.chaser_state(), p["mean_motion_radps"], ahead)[3:] if ahead else self.chaser_state()[3:]
        return 0.5 * max(abs(leg.arrive_velocity[i] - v[i]) for i in range(3)) * p["mass_kg"] / p["force_limit_N"]

    def _rcs(self, force) -> None:
        self._thrusting = any(force)
        try:
            self.dev.rcs.command(force, (0.0, 0.0, 0.0))
        except DeviceFault as exc:
            self._rcs_error = exc

    def _rcs_health(self) -> None:
        """Poll the RCS status every cycle: a bank that stops answering is seen while the ERO
        coasts, not first when a burn is due."""
        exc, self._rcs_error = self._rcs_error, None
        if exc is None:
            try:
                self.dev.rcs.read()
            except DeviceFault as e:
                exc = e
        if exc is None:
            self.tlm["rcs_faults"] = 0
        else:
            self._device_fault("rcs_faults", self.dev.rcs.name, exc)

    def _execute_burn(self, dt: float) -> None:
        """Fly the remaining delta-v closed loop on the IMU (body frame = Hill frame)."""
        if not self._thrusting and max(abs(c) for c in self.burn_dv) < 1e-3:
            return                      # thrusters off, nothing to fly: no IMU to integrate
        try:
            a = self.dev.imu.read().accel_mps2
        except DeviceFault:
            a = (0.0, 0.0, 0.0)
        dv_done = (a[0] * dt, a[1] * dt, a[2] * dt)
        if self.nav is not None and any(dv_done):
            self.nav.apply_impulse(dv_done)
        self.approach_dv += math.sqrt(sum(c * c for c in dv_done))
        rem = tuple(self.burn_dv[i] - dv_done[i] for i in range(3))
        if self._steer is not None:
            rem = self._to_gain(rem)
        p = self.params
        m, lim = p["mass_kg"], p["force_limit_N"]
        if max(abs(c) for c in rem) < 1e-3:
            rem = (0.0, 0.0, 0.0)
        self.burn_dv = rem
        # force that would finish in one control period, each axis limited
        f = tuple(max(-lim, min(lim, c * m / min(max(dt, 1e-3), 1.0))) for c in rem)
        self._rcs(f)
        self._thrusting = any(f)
        self.tlm["burning"] = self._thrusting

    # ------------------------------------------------------------ navigation
    def _navigate(self, t: float) -> None:
        nav = self.nav
        if nav is not None and self._nav_t is not None:
            nav.predict(t - self._nav_t)
            self._nav_t = t
        try:
            cam = self.dev.nac.read()
        except DeviceFault as exc:
            self._device_fault("nac_faults", self.dev.nac.name, exc)
            return
        self.tlm["nac_faults"] = 0
        if cam.t_ns == self._cam_t_ns:
            return
        self._cam_t_ns = cam.t_ns
        if not cam.detected:
            if self._last_det_t is not None and t - self._last_det_t > self.params["lost_after_s"]:
                self.emit("TARGET_LOST", for_s=t - self._last_det_t)
                self._last_det_t = None
                self.detections = 0
                if self.mode in ("FAR_RANGE", "CLOSE_RANGE", "HOLD_POINT"):
                    self.trigger("lost_target")
            return
        self._last_det_t = t
        self.detections += 1
        self.tlm["detections"] = self.detections
        if self.detections == 1 and nav is not None:
            self.detect_range_est = nav.range
            self.emit("TARGET_DETECTED", range_m=nav.range)
        if nav is None:
            return
        lid = self._read_lidar()
        if lid is not None and lid.valid and lid.range_m <= self.params["lidar_max_m"]:
            ok = nav.update_range_angles(cam.los_unit, lid.range_m, lid.range_rate_mps)
        else:
            ok = nav.update_angles(cam.los_unit)
        self.tlm["nav_refused_run"] = 0 if ok else self.tlm["nav_refused_run"] + 1
        self.tlm["nav_rejected"] = nav.rejected

    def cone_check(self) -> tuple[bool, float, float, float, float]:
        """(ok, lateral, lateral limit, closing, closing limit) from the estimate."""
        p = self.params
        x = self.nav.rectilinear()         # OS relative to ERO; cone axis +y
        along = float(x[1])
        lateral = math.hypot(float(x[0]), float(x[2]))
        closing = -float(x[4])
        lat_max = p["cone_margin_m"] + math.tan(math.radians(p["cone_half_angle_deg"])) * max(along, 0.0)
        # glideslope closing profile at this range, with room for the pulse-to-pulse arcs;
        # inside the last metres only the capture speed limit counts
        a = (p["final_rate_mps"] - p["capture_speed_mps"]) / max(p["near_hold_m"], 1.0)
        profile = a * max(along, 0.0) + p["capture_speed_mps"]
        cl_max = p["capture_speed_max_mps"] if along < p["capture_zone_m"] else \
            max(p["capture_speed_max_mps"], 1.3 * profile + 0.1)
        return lateral <= lat_max and closing <= cl_max, lateral, lat_max, closing, cl_max

    # ------------------------------------------------------------ loop
    def step(self, t_ns: int) -> None:
        t = t_ns / NS_PER_S
        dt = 0.0 if self._last_t is None else t - self._last_t
        self._last_t = t
        self._t = t
        if self._resume:
            self._resume = False
            self._resume_after_restart()
        mode = self.mode
        if mode in NAV_MODES:
            self._navigate(t)
        if self.nav is not None:
            tlm = self.tlm
            rect = self.nav.rectilinear()
            tlm["range_m"] = norm(rect[:3].tolist())
            tlm["range_sigma_m"] = self.nav.position_sigma
            tlm["closing_mps"] = -float(rect[4])
            tlm["lateral_m"] = math.hypot(float(rect[0]), float(rect[2]))
        handler = getattr(self, "_run_" + mode, None)
        if handler is not None:
            handler(t)
        if mode in BURN_MODES and self.mode == mode:
            self._execute_burn(dt)
        self._rcs_health()
        self.tlm["approach_dv_mps"] = self.approach_dv

    def _run_SEARCH(self, t: float) -> None:
        if self.nav is not None and self.target_detected():
            self.trigger("acquire")

    def _run_FAR_RANGE(self, t: float) -> None:
        if not self._far_planned:
            if self.nav is not None and self.nav.range <= self._far_start_range():
                self._plan_far_range()
            return
        if self._fly_legs() and self.lidar_valid():
            self.trigger("lidar_acquired")

    def _run_EARTH_CRUISE(self, t: float) -> None:
        if self._cruise_until is not None and t >= self._cruise_until:
            self.trigger("approach_earth")

    # ------------------------------------------------------------ rate selection
    def _next_event_in(self) -> float:
        """Seconds to the next thing the 10 Hz loop must do (inf: none planned)."""
        if max(abs(c) for c in self.burn_dv) > 1e-3:
            return 0.0
        if not self.legs:
            return math.inf
        leg = self.legs[0]
        if not leg.retargeted:
            return 0.0
        due = leg.t_arrive
        if not leg.corrected:
            due = min(due, leg.t_start + 0.3 * (leg.t_arrive - leg.t_start))
        return due - self._t

    def quiet(self) -> bool:
        """Nothing for the 10 Hz loop to do for a while: a drift, a coast, a dwell, cruise."""
        mode = self.mode
        if mode == "SEARCH" and self._burning():
            return False                     # nulling the relative velocity after a lost track
        if mode in ("PHASING", "SEARCH", "EARTH_CRUISE", "CONTAINMENT_HOLD", "COMPLETE"):
            return mode != "EARTH_CRUISE" or self._cruise_until is None or \
                self._cruise_until - self._t > self.params["quiet_margin_s"]
        if mode == "BREAK_THE_CHAIN":
            return True
        if mode not in ("FAR_RANGE", "CLOSE_RANGE", "BACK_OFF") or self.nav is None:
            return False
        margin = self.params["quiet_margin_s"]
        if mode == "FAR_RANGE" and not self._far_planned:
            drift = self._drift()
            rng, closing = drift
            if closing <= 0.0:
                return True
            return (rng - self._far_start_range(drift)) / closing > margin
        return self._next_event_in() > margin

    def _run_CLOSE_RANGE(self, t: float) -> None:
        if self._fly_legs():
            self.trigger("reach_hold")

    def _run_HOLD_POINT(self, t: float) -> None:
        if self.retries > self.params["max_retries"]:
            self.emit("RETRIES_EXHAUSTED", retries=self.retries)
            self.trigger("safe")
            return
        if t - self._hold_since >= self.params["hold_dwell_s"] and self.approach_go():
            self.trigger("start_final")

    def _run_FINAL_APPROACH(self, t: float) -> None:
        if self.capture_triggered():
            ok, lat, _, closing, _ = self.cone_check()
            self.capture_stats = {"closing_mps": closing, "lateral_m": lat}
            self.emit("CAPTURE_TRIGGERED", closing=closing, lateral=lat)
            self.trigger("triggered")
            return
        ok, lat, lat_max, closing, cl_max = self.cone_check()
        if not ok:
            self.emit("CONE_VIOLATION", lateral=lat, lat_max=lat_max, closing=closing, cl_max=cl_max)
            self.trigger("back_off")
            return
        self._fly_legs()

    def _run_BACK_OFF(self, t: float) -> None:
        if self._fly_legs():
            self.trigger("reach_hold")

    def _run_CAPTURE(self, t: float) -> None:
        if self.os_captured():
            self.trigger("lid_closed")
            return
        try:
            r = self.dev.capture.read()
        except DeviceFault:
            return
        if r.lid_closed and not r.triggered:
            self.trigger("back_off")

    def _run_step(self, verified_trigger: str) -> None:
        step = self._step
        if step is None:
            return
        state = step.poll(self._t)
        if state == ccrs.VERIFIED:
            self._verified.add(step.name)
            self.emit("STEP_VERIFIED", step=step.name)
            self._step = None
            if step.name == "contain":
                self.contained_tubes = self.custody.tubes_at("ero")
            if step.name == "eev_transfer":
                for tube in self.custody.tubes_at("ero"):
                    self.custody.move(tube, "ero", "eev")
            self.trigger(verified_trigger)
            self.tlm["step_failures"] = 0
        elif state == ccrs.FAILED:
            self._hold(step.name, step.reason)

    def _hold(self, step: str, reason: str) -> None:
        """A step not verified: event, counter, CONTAINMENT_HOLD (never onwards)."""
        self.emit("CONTAINMENT_NOT_VERIFIED", step=step, reason=reason)
        self.tlm["step_failures"] += 1
        self._step = None
        self.trigger("transfer_failed" if self.mode == "EEV_TRANSFER" else "containment_failed")

    def containment_intact(self) -> str | None:
        """None while both leak checks read the OS id, else why not (a sensor that does not
        answer cannot vouch for the seal)."""
        os_id = self.params["os_id"]
        for chk in (self.dev.primary_check, self.dev.secondary_check):
            try:
                r = chk.read()
            except DeviceFault as exc:
                return f"{chk.name}: device fault: {exc}"
            if not (r.present and r.tube_id == os_id):
                return f"{chk.name} no longer reads OS {os_id}"
        return None

    def _watch_containment(self) -> bool:
        """BREAK_THE_CHAIN / EEV_TRANSFER: containment must stay verified; False: now holding."""
        if "contain" not in self._verified:
            self._hold("contain", "containment not verified")
            return False
        why = self.containment_intact()
        if why is not None:
            self._verified.discard("contain")
            self._hold("contain", why)
            return False
        return True

    def _run_ORIENT(self, t: float) -> None:
        self._run_step("oriented")

    def _run_CONTAIN(self, t: float) -> None:
        self._run_step("contained")

    def _run_BREAK_THE_CHAIN(self, t: float) -> None:
        if self._watch_containment():
            self._run_step("sterilised")

    def _run_EEV_TRANSFER(self, t: float) -> None:
        if self._watch_containment():
            self._run_step("transferred")

    def _run_EEV_RELEASE(self, t: float) -> None:
        self._run_step("eev_released")

    # ------------------------------------------------------------ warm restart
    def checkpoint_state(self) -> dict:
        nav = self.nav
        steer = None
        if self._steer is not None:
            kind, what = self._steer
            if kind == "stop":
                steer = {"stop": list(what)}
            elif what in self.legs:
                steer = {"leg": self.legs.index(what)}
        return super().checkpoint_state() | {
            "custody": self.custody.snapshot(),
            "verified": sorted(self._verified),
            "retries": self.retries,
            "nav": None if nav is None else {
                "x": [float(c) for c in nav.x], "P": [[float(c) for c in row] for row in nav.P],
                "rejected": nav.rejected, "accepted": nav.accepted, "reinflations": nav.reinflations},
            "nav_t": self._nav_t, "cam_t_ns": self._cam_t_ns, "last_det_t": self._last_det_t,
            "detections": self.detections, "detect_range_est": self.detect_range_est,
            "legs": [asdict(leg) for leg in self.legs], "burn_dv": list(self.burn_dv),
            "steer": steer, "steer_dv0": self._steer_dv0, "steer_budget": self._steer_budget,
            "approach_dv": self.approach_dv, "hold_since": self._hold_since,
            "far_planned": self._far_planned, "cruise_until": self._cruise_until,
            "captured_tubes": list(self.captured_tubes), "contained_tubes": list(self.contained_tubes),
            "capture_stats": self.capture_stats,
            "step_failures": self.tlm["step_failures"], "thrusting": self._thrusting, "t": self._t,
        }

    def restore_state(self, state: Mapping[str, Any]) -> None:
        """Put back what `checkpoint_state` saved; the containment step of the restored mode
        is started again (and containment re-verified) on the first cycle after."""
        super().restore_state(state)
        self.custody.restore((int(t), str(loc)) for t, loc in state.get("custody", ()))
        self._verified = {str(v) for v in state.get("verified", ())} & set(STEP_NAMES)
        self.retries = int(state.get("retries", 0))
        nav = state.get("nav")
        self.nav = None
        if nav is not None:
            x, cov = np.asarray(nav["x"], dtype=float), np.asarray(nav["P"], dtype=float)
            if x.shape != (6,) or cov.shape != (6, 6) or not (np.isfinite(x).all() and np.isfinite(cov).all()):
                raise ValueError("corrupt relative-navigation state")
            self.nav = RelNavFilter(self._nav_config(), x, np.zeros(6))
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
        names = {f.name for f in fields(Leg)}
        self.legs = [Leg(**{k: tuple(v) if isinstance(v, list) else v for k, v in leg.items() if k in names})
                     for leg in state.get("legs", ())]
        self.burn_dv = tuple(float(c) for c in state.get("burn_dv", (0.0, 0.0, 0.0)))
        steer = state.get("steer")
        self._steer = None
        if isinstance(steer, Mapping):
            if "stop" in steer:
                self._steer = ("stop", tuple(float(c) for c in steer["stop"]))
            elif 0 <= int(steer.get("leg", -1)) < len(self.legs):
                self._steer = ("leg", self.legs[int(steer["leg"])])
        self._steer_dv0 = float(state.get("steer_dv0", 0.0))
        self._steer_budget = float(state.get("steer_budget", 0.0))
        self.approach_dv = float(state.get("approach_dv", 0.0))
        self._hold_since = opt(state.get("hold_since"))
        self._far_planned = bool(state.get("far_planned", False))
        self._cruise_until = opt(state.get("cruise_until"))
        self.captured_tubes = [int(t) for t in state.get("captured_tubes", ())]
        self.contained_tubes = [int(t) for t in state.get("contained_tubes", ())]
        self.capture_stats = state.get("capture_stats")
        self._step = None
        self._saved_t = self._t = float(state.get("t", 0.0))
        self._last_t = None        # no dt across the reset: the IMU did not see it
        self._thrusting = False
        self._gap_burn = bool(state.get("thrusting", False)) or self._burning()
        tlm = self.tlm
        tlm["retries"], tlm["detections"] = self.retries, self.detections
        tlm["step_failures"] = int(state.get("step_failures", 0))
        tlm["approach_dv_mps"] = self.approach_dv
        self._resume = True

    def _resume_after_restart(self) -> None:
        """First cycle after a warm restart: re-establish what the mode's entry set up (a
        containment step restarts from its beginning and must verify again), re-verify
        containment before anything moves towards the EEV, reconcile custody."""
        mode = self.mode
        action = "continue"
        gap = self._t - self._saved_t
        if mode in BURN_MODES or mode == "CAPTURE":
            self._rcs((0.0, 0.0, 0.0))   # the RCS holds its last command through the reboot
            if self.nav is not None and (self._gap_burn or self._next_event_in() <= gap):
                self._widen_for_gap(gap)    # a burn may have run unseen since the checkpoint
        if mode in WATCHED_CONTAINMENT:
            # a checkpointed "contain" is not enough to go on towards the EEV: read the seals
            self._verified.discard("contain")
            why = self.containment_intact()
            if why is None:
                self._verified.add("contain")
                self.emit("STEP_VERIFIED", step="contain")
            else:
                self.emit("RESUMED", mode=mode, action="containment not re-verified: holding")
                self._hold("contain", why)
                self._check_custody()
                return
            action = "containment re-verified; step restarted"
        if mode in ("ORIENT", "CONTAIN", "BREAK_THE_CHAIN", "EEV_TRANSFER", "EEV_RELEASE"):
            getattr(self, "on_enter_" + mode)()
            if action == "continue":
                action = "step restarted"
        elif mode == "CAPTURE":
            self.on_enter_CAPTURE()
            action = "lid close commanded again"
        elif mode == "SAFE":
            self._rcs((0.0, 0.0, 0.0))
            action = "thrusters off"
        elif mode == "CONTAINMENT_HOLD":
            self.on_enter_CONTAINMENT_HOLD()
            action = "holding"
        elif self._burning():
            action = f"burn resumed, {math.sqrt(sum(c * c for c in self.burn_dv)):.3f} m/s to go"
        self.emit("RESUMED", mode=mode, action=action)
        self._check_custody()

    def _widen_for_gap(self, gap_s: float) -> None:
        """A burn was under way at the checkpoint: the RCS went on firing (it holds its last
        command through the reboot) and the IMU increments of the gap are lost, so the
        estimate is widened by what full thrust could have done in that time; otherwise the
        next measurements would be refused as outliers."""
        a = self.params["force_limit_N"] / self.params["mass_kg"]
        dv, dx = a * max(gap_s, 0.0), 0.5 * a * max(gap_s, 0.0) ** 2
        self.nav.P[3:, 3:] += np.eye(3) * dv ** 2
        self.nav.P[:3, :3] += np.eye(3) * dx ** 2

    def _check_custody(self) -> None:
        """Custody against the sensors: the OS held by the capture mechanism or seated in the
        EEV. A move the sensors prove happened after the last checkpoint is made once (the
        ledger refuses any second one); a disagreement is reported, never guessed away."""
        seen = []
        try:
            cap = self.dev.capture.read()
            if cap.triggered and cap.lid_closed:
                seen.append("ero")
        except DeviceFault:
            seen.append("ero?")
        try:
            slot = self.dev.eev_slot.read()
            if slot.present and slot.tube_id == self.params["os_id"]:
                seen.append("eev")
        except DeviceFault:
            seen.append("eev?")
        aboard = [t for t in self.custody.tubes_at("orbit")] if "ero" in seen and \
            self.mode not in ("PHASING", "SEARCH", "FAR_RANGE", "CLOSE_RANGE", "HOLD_POINT", "FINAL_APPROACH",
                              "BACK_OFF", "CAPTURE") else []
        for tube in aboard:                       # captured after the checkpoint
            if self.custody.move(tube, "orbit", "ero"):
                self.captured_tubes.append(tube)
        held = sorted({loc for _, loc in self.custody.snapshot()})
        if "eev" in held:
            ok = "eev" in seen or self.mode in ("EEV_RELEASE", "COMPLETE")
        elif "ero" in held:
            ok = "ero" in seen or "ero?" in seen
        else:
            ok = "ero" not in seen or self.mode == "CAPTURE"   # CAPTURE hands it over on ORIENT entry
        self.emit("CUSTODY_CHECK", ledger=",".join(f"{t}@{loc}" for t, loc in self.custody.snapshot()),
                  sensors=",".join(seen) or "none", ok=ok)


def _optional_float(v: Any) -> float | None:
    return None if v is None else float(v)


__all__ = ["EroCaptureManager", "Leg"]
