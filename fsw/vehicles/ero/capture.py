"""ERO capture manager ("ccrs"): the rendezvous and capture mode machine (requirements
ERO-MGR-001..007 in DESIGN.md).

It owns the ERO's mode table (`modes.py`) and flies the approach with `guidance.py` on the
estimate relative navigation publishes (`relnav.estimate`; the component runs before this
one, so the estimate of this tick is flown this tick). Per mode (`during_<MODE>`):

- SEARCH: the ERO drifts up to the OS on its phasing orbit; `detections_to_acquire`
  detections (counted by relative navigation) acquire it;
- FAR_RANGE: the drift, then the far-range legs once inside `far_start_range`; the lidar in
  range moves on to CLOSE_RANGE;
- CLOSE_RANGE, BACK_OFF: glideslope legs to the near hold point; HOLD_POINT: a dwell, then
  the final approach when the estimate is good and the lidar sees the OS;
- FINAL_APPROACH: every cycle the estimate is checked against the capture cone; a violation
  backs off to the hold point and retries, up to `max_retries`, then SAFE; the capture
  mechanism's trigger moves on to CAPTURE, and the lid closed on the OS to ORIENT.

From ORIENT on, containment (`containment.py`) runs the verified steps and asks this
component for each next mode (`containment.request`). Burns: the IMU is read here each
control period, the velocity change goes to relative navigation (`relnav.impulse`) and the
thrust to the RCS component (`rcs.force`), both delivered as soon as this step returns.

Its outlook (`ccrs.outlook`: burns, the next guidance event, the far-range plan, its clock)
goes to the rate-set choice (`rates.py`), which decides when nothing needs the 10 Hz loop.
Losing the target track (relative navigation's `relnav.lost`, or fault protection's
`lost_target`) sends the manager back to SEARCH: the legs are dropped, inside lidar range
the relative velocity is nulled first.

Warm restart: retries, the guidance state (legs, burn, steering, far-range plan), the hold
time and capture figures are checkpointed; the first cycle after a restore commands the RCS
off (it holds its last command through the reboot) and re-flies the burn, and in CAPTURE
commands the lid again. (Relative navigation widens its own estimate for a burn that may
have run unseen; containment restarts its own steps.)
"""
from __future__ import annotations

import math
from typing import Any, Mapping

from fsw.core.component import CommandError, Component, command
from fsw.core.declarations import Channel, Param
from fsw.core.devices import DEVICE_FAULT, failed
from fsw.core.events import EventDef, Severity
from fsw.core.ports import Sub
from fsw.core.time import NS_PER_S

from .devices import EroDevices
from .guidance import GUIDANCE_PARAMS, ApproachGuidance, Leg
from .modes import ERO_MODES
from .rcs import RunCounted
from .topics import (APPROACH_OUTLOOK, BURN_OUTLOOK, CONTAINMENT_REQUEST, CONTAINMENT_STATUS, ERO_MODE, RCS_FORCE,
                     RELNAV_ESTIMATE, RELNAV_IMPULSE, TARGET_LOST, ApproachOutlook, BurnOutlook, RelNavEstimate)
from fsw.numerics import fixed_sum

BURN_MODES = ("SEARCH", "FAR_RANGE", "CLOSE_RANGE", "HOLD_POINT", "FINAL_APPROACH", "BACK_OFF")
ZERO = (0.0, 0.0, 0.0)


def _step_verified(step: str):
    """A guard: containment's last status lists `step` as verified."""
    def guard(self: Component) -> bool:
        s = self.received(CONTAINMENT_STATUS)
        return s is not None and step in s.verified
    guard.__name__ = guard.__qualname__ = f"{step}_verified"
    return guard


class EroCaptureManager(RunCounted, Component):
    MODES = ERO_MODES
    CHANNELS = (
        Channel("retries", int), Channel("approach_dv_mps", float, "m/s"), Channel("burning", bool),
        Channel("lidar_guard_faults", int, doc="consecutive failed lidar reads of the mode guards"),
        Channel("capture_faults", int, doc="consecutive failed reads of the capture mechanism"),
        Channel("imu_faults", int, doc="consecutive failed IMU reads during burns"),
    )
    EVENTS = (
        EventDef("LEG_PLANNED", Severity.ACTIVITY_LO, "{kind} to {aim} in {t:.0f} s, dv {dv:.3f} m/s", kind=str, aim=object, t=float, dv=float),
        EventDef("CONE_VIOLATION", Severity.WARNING_HI,
                 "back off: lateral {lateral:.2f} m (max {lat_max:.2f}), closing {closing:.3f} m/s (max {cl_max:.3f})", lateral=float, lat_max=float, closing=float, cl_max=float),
        EventDef("CAPTURE_TRIGGERED", Severity.ACTIVITY_HI, "closing {closing:.3f} m/s, lateral {lateral:.3f} m", closing=float, lateral=float),
        EventDef("RETRIES_EXHAUSTED", Severity.WARNING_HI, "{retries} capture attempts failed", retries=int),
        DEVICE_FAULT,
        EventDef("BURN_LIMIT", Severity.WARNING_LO, "steered burn stopped after {spent:.2f} m/s (budget {budget:.2f})", spent=float, budget=float),
        EventDef("NAV_HOLD", Severity.WARNING_HI, "approach dropped at {range_m:.0f} m, nulling {dv:.3f} m/s; reacquiring", range_m=float, dv=float),
        EventDef("RESUMED", Severity.ACTIVITY_HI, "warm restart in {mode}: {action}", mode=str, action=str),
    )
    PARAMS = GUIDANCE_PARAMS + (
        Param("hold_dwell_s", float, 0.0, 3600.0, default=60.0),
        Param("max_retries", int, 0, 20, default=3),
        Param("detections_to_acquire", int, 1, 100, default=3),
        Param("lidar_max_m", float, 10.0, 5000.0, default=1000.0),
        Param("approach_sigma_m", float, 0.01, 100.0, default=2.0),
    )
    PUBLISHES = (ERO_MODE, RCS_FORCE, RELNAV_IMPULSE, BURN_OUTLOOK, APPROACH_OUTLOOK)
    SUBSCRIBES = (CONTAINMENT_STATUS, Sub(CONTAINMENT_REQUEST, "_on_containment_request"),
                  Sub(RELNAV_ESTIMATE, "_on_estimate"), Sub(TARGET_LOST, "_on_target_lost"))

    def __init__(self, name: str, devices: EroDevices) -> None:
        super().__init__(name)
        self.dev = devices
        self.RUNS = {devices.lidar.name: "lidar_guard_faults", devices.capture.name: "capture_faults",
                     devices.imu.name: "imu_faults"}
        self.g = ApproachGuidance(self.params, self.emit)
        self.retries = 0
        self._hold_since: float | None = None
        self.capture_stats: dict | None = None
        self._t = 0.0
        self._last_t: float | None = None
        self._resume = False

    # ------------------------------------------------------------ ports
    def on_mode_change(self, source: str, dest: str) -> None:
        self.publish(ERO_MODE, dest)
        self._publish_outlook()

    def _publish_outlook(self) -> None:
        """For the rate-set choice (`rates.py`): on every change of the burns, legs or clock
        (a step, a mode change, a restore)."""
        g, p = self.g, self.params
        self.publish(APPROACH_OUTLOOK, ApproachOutlook(self._t, g.burning(), g.next_event_in(), g.far_planned,
                                                       p["far_start_m"], p["far_transfer_s"]))

    def _on_containment_request(self, trigger: str) -> None:
        """Containment verified a step (or failed one, or the cruise is over): next mode."""
        self.trigger(trigger)

    def _on_estimate(self, est: RelNavEstimate) -> None:
        self.g.est = est
        self.g.pending_dv = None        # navigation has applied the last IMU increment

    def _on_target_lost(self, for_s: float) -> None:
        if self.mode in ("FAR_RANGE", "CLOSE_RANGE", "HOLD_POINT"):
            self.trigger("lost_target")

    def _rcs(self, force) -> None:
        self.g.thrusting = any(force)
        self.publish(RCS_FORCE, tuple(force))

    # ------------------------------------------------------------ guards
    def target_detected(self) -> bool:
        est = self.g.est
        return est is not None and est.detections >= self.params["detections_to_acquire"]

    def lidar_valid(self) -> bool:
        r = self.device_call(self.dev.lidar.read)
        if failed(r):
            return False
        self.device_ok(self.dev.lidar.name)
        return bool(r.valid) and r.range_m <= self.params["lidar_max_m"]

    def approach_go(self) -> bool:
        est = self.g.est
        return est is not None and est.sigma_m <= self.params["approach_sigma_m"] and self.lidar_valid()

    def _capture_reading(self):
        r = self.device_call(self.dev.capture.read)
        if not failed(r):
            self.device_ok(self.dev.capture.name)
        return r

    def capture_triggered(self) -> bool:
        r = self._capture_reading()
        return not failed(r) and bool(r.triggered)

    def os_captured(self) -> bool:
        r = self._capture_reading()
        return not failed(r) and bool(r.triggered and r.lid_closed)

    # the mode table's containment guards: what containment reports verified
    orientation_verified = _step_verified("orient")
    containment_verified = _step_verified("contain")
    sterilisation_verified = _step_verified("break_the_chain")
    eev_loaded = _step_verified("eev_transfer")
    eev_separated = _step_verified("eev_release")

    # ------------------------------------------------------------ commands
    def _go(self, trigger: str) -> None:
        if not self.trigger(trigger):
            raise CommandError(f"{trigger} refused in {self.mode}")

    @command("BEGIN_SEARCH", modes=("PHASING",))
    def _cmd_begin_search(self) -> None:
        self._go("begin_search")

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
        self.g.drop()
        self._rcs(ZERO)

    def on_enter_SEARCH(self) -> None:
        """(Re)acquisition (relative navigation counts detections again). Entered from an
        approach (the target track or a sensor lost), the legs are dropped; inside lidar
        range the relative velocity is nulled (hold where we are) rather than coasting on."""
        g = self.g
        g.far_planned = False
        if not (g.legs or g.burning()):
            return
        g.drop()
        near = g.est is not None and g.range() <= self.params["lidar_max_m"]
        dv = g.null_velocity() if near else 0.0
        if not near:
            self._rcs(ZERO)
        self.emit("NAV_HOLD", range_m=g.range() if g.est is not None else -1.0, dv=dv)

    def on_enter_FAR_RANGE(self) -> None:
        self.g.legs = []
        self.g.far_planned = False

    def on_enter_CLOSE_RANGE(self) -> None:
        self.g.plan_close_range()

    def on_enter_HOLD_POINT(self) -> None:
        self._hold_since = self._t
        self.g.legs = []

    def on_enter_FINAL_APPROACH(self) -> None:
        self.g.plan_final_approach()

    def on_enter_BACK_OFF(self) -> None:
        self.retries += 1
        self.tlm["retries"] = self.retries
        self.g.plan_back_off()

    def on_enter_CAPTURE(self) -> None:
        self.g.drop()
        self._rcs(ZERO)
        self.device_call(self.dev.capture.close_lid)

    # ------------------------------------------------------------ per mode
    def during_SEARCH(self) -> None:
        if self.g.est is not None and self.target_detected():
            self.trigger("acquire")

    def during_FAR_RANGE(self) -> None:
        g = self.g
        if not g.far_planned:
            if g.est is not None and g.range() <= g.far_start_range():
                g.plan_far_range()
            return
        if g.fly_legs() and self.lidar_valid():
            self.trigger("lidar_acquired")

    def during_CLOSE_RANGE(self) -> None:
        if self.g.fly_legs():
            self.trigger("reach_hold")

    def during_HOLD_POINT(self) -> None:
        if self.retries > self.params["max_retries"]:
            self.emit("RETRIES_EXHAUSTED", retries=self.retries)
            self.trigger("safe")
            return
        if self._t - self._hold_since >= self.params["hold_dwell_s"] and self.approach_go():
            self.trigger("start_final")

    def during_FINAL_APPROACH(self) -> None:
        if self.capture_triggered():
            ok, lat, _, closing, _ = self.g.cone_check()
            self.capture_stats = {"closing_mps": closing, "lateral_m": lat}
            self.emit("CAPTURE_TRIGGERED", closing=closing, lateral=lat)
            self.trigger("triggered")
            return
        ok, lat, lat_max, closing, cl_max = self.g.cone_check()
        if not ok:
            self.emit("CONE_VIOLATION", lateral=lat, lat_max=lat_max, closing=closing, cl_max=cl_max)
            self.trigger("back_off")
            return
        self.g.fly_legs()

    def during_BACK_OFF(self) -> None:
        if self.g.fly_legs():
            self.trigger("reach_hold")

    def during_CAPTURE(self) -> None:
        if self.os_captured():
            self.trigger("lid_closed")
            return
        r = self._capture_reading()
        if not failed(r) and r.lid_closed and not r.triggered:
            self.trigger("back_off")

    # ------------------------------------------------------------ loop
    def step(self, t_ns: int) -> None:
        t = t_ns / NS_PER_S
        dt = 0.0 if self._last_t is None else t - self._last_t
        self._last_t = t
        self._t = self.g.t = t
        if self._resume:
            self._resume = False
            self._resume_after_restart()
        mode = self.mode
        self.during()
        if mode in BURN_MODES and self.mode == mode:
            self._execute_burn(dt)
        self.tlm["approach_dv_mps"] = self.g.approach_dv
        if self.mode in BURN_MODES or self.mode == "CAPTURE":
            self.publish(BURN_OUTLOOK, BurnOutlook(self.g.burning(), self.g.next_event_in()))
        self._publish_outlook()

    def _execute_burn(self, dt: float) -> None:
        """Fly the remaining delta-v closed loop on the IMU (body frame = Hill frame)."""
        g = self.g
        if not g.thrusting and max(abs(c) for c in g.burn_dv) < 1e-3:
            return                      # thrusters off, nothing to fly: no IMU to integrate
        r = self.device_call(self.dev.imu.read)
        if not failed(r):
            self.device_ok(self.dev.imu.name)
        force = g.burn_step(dt, ZERO if failed(r) else r.accel_mps2)
        if g.pending_dv is not None:
            self.publish(RELNAV_IMPULSE, g.pending_dv)
        self._rcs(force)
        self.tlm["burning"] = g.thrusting

    # ------------------------------------------------------------ warm restart
    def checkpoint_state(self) -> dict:
        return super().checkpoint_state() | self.g.checkpoint() | {
            "retries": self.retries, "hold_since": self._hold_since, "capture_stats": self.capture_stats,
            "t": self._t}

    def restore_state(self, state: Mapping[str, Any]) -> None:
        """Put back what `checkpoint_state` saved; the first cycle after it stops the RCS and
        re-flies the burn."""
        super().restore_state(state)
        self.g.restore(state)
        self.retries = int(state.get("retries", 0))
        hold = state.get("hold_since")
        self._hold_since = None if hold is None else float(hold)
        self.capture_stats = state.get("capture_stats")
        self._t = self.g.t = float(state.get("t", 0.0))
        self._last_t = None        # no dt across the reset: the IMU did not see it
        self.tlm["retries"] = self.retries
        self.tlm["approach_dv_mps"] = self.g.approach_dv
        self._resume = True
        self._publish_outlook()

    def _resume_after_restart(self) -> None:
        """First cycle after a warm restart: thrusters as the mode wants them (the RCS holds
        its last command through the reboot), the lid commanded again in CAPTURE."""
        mode = self.mode
        action = "continue"
        if mode in BURN_MODES or mode in ("CAPTURE", "SAFE"):
            self._rcs(ZERO)
        if mode == "CAPTURE":
            self.on_enter_CAPTURE()
            action = "lid close commanded again"
        elif mode == "SAFE":
            action = "thrusters off"
        elif mode not in BURN_MODES and mode != "PHASING":
            return                        # containment's modes: containment reports its resume
        elif self.g.burning():
            action = f"burn resumed, {math.sqrt(fixed_sum(c * c for c in self.g.burn_dv)):.3f} m/s to go"
        self.emit("RESUMED", mode=mode, action=action)


__all__ = ["EroCaptureManager", "Leg"]
