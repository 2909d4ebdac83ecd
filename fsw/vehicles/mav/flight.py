"""MAV flight manager: the mode machine, launch interlocks, and the ascent sequence.

Ground: thermal conditioning and OS loading (the OS slot sensors are read and every tube is
entered in the custody ledger), checkout (IMU, star tracker, TVC sweep, igniters safe,
thermometers), the count. Every step of the count re-evaluates the five launch interlocks
(grain > -40 C, RCS > 2 C, OS sealed with the expected tubes, checkout passed, ERO in an
acceptable plane); one false interlock holds the count with LAUNCH_HOLD naming it.

Flight (see `fsw.gnc.ascent_guidance` for the guidance): ejection by the lander, stage-1
ignition in the air, pitch program then closed-loop linear-tangent steering through TVC,
burnout and separation, a coast whose end (stage-2 ignition) and attitude are planned
from the navigated state, spin-up, the spin-stabilised stage-2 burn, despin, an RCS trim
to the target orbit, OS release. After ignition a failure leads to ABORT, never back to
the ground modes.

Faults by phase (docs/faults.md): on the ground a fault holds the count. In the steered
stage-1 burn a lost IMU, TVC or navigation aborts (fault table). In the coast, the spin-up
and the orbit insertion nothing is urgent: a lost IMU, a crashed navigator or a failed RCS
*degrades* the vehicle (RCS off, navigation on the gravity model and star tracker, the phase
waits) and the phase resumes when the fault clears; it aborts only if the fault outlasts
what the plan absorbs (`degraded_ignition_slip_s` after the planned start of the spin,
`insertion_degraded_max_s` in the insertion). The spin-stabilised stage-2 burn needs no
steering: it rides through, navigating on the motor model while the IMU is out.

Warm restart: `checkpoint_state`/`restore_state` carry custody, the launch and ignition
times, the guidance state and the trims; the first step after a restore applies the
restart rule (`RESTART_RULE` says which): a reset in the count goes to HOLD and the
checkout must be repeated; in a burn the ascent continues if the restored navigation is
at most `restart_nav_max_age_s` old, else it aborts; elsewhere it continues.
"""
from __future__ import annotations

import math
from typing import Any, Mapping

from fsw.core.component import Component, CommandError, command
from fsw.core.declarations import Arg, Channel, Param
from fsw.core.devices import DEVICE_FAULT
from fsw.core.events import EventDef, Severity
from fsw.core.time import NS_PER_S
from fsw.gnc.ascent_guidance import (AscentTarget, Stage1Solution, Stage1Solver, Stage2Plan,
                                     Stage2Planner, StageModel, guidance_frame, insertion_trim,
                                     pitch_program, steering_direction)
from fsw.gnc.attitude import qrot
from fsw.gnc.kepler import dot, norm
from fsw.vehicles.custody import CUSTODY_EVENTS, CustodyLedger
from hal.errors import DeviceFault

from . import control as ctl
from .control import MavAttitudeControl
from .devices import MavDevices
from .modes import LAUNCH_INTERLOCKS, MAV_MODES
from .navigation import MavNavigator
from .thermal import MavThermal

G0 = 9.80665
GROUND_CMD_MODES = ("STOWED", "THERMAL_CONDITIONING", "OS_LOADING", "CHECKOUT", "COUNTDOWN",
                    "ARMED", "HOLD", "SAFE")
IN_FLIGHT = ("LAUNCH", "STAGE1_BURN", "COAST", "SPIN_UP", "STAGE2_BURN", "ORBIT_INSERTION")
COARSE_MODES = ("STOWED", "THERMAL_CONDITIONING", "OS_LOADING", "CHECKOUT", "COUNTDOWN", "HOLD",
                "COAST", "SPIN_UP", "ORBIT_INSERTION", "OS_RELEASE", "PASSIVE", "SAFE")
COARSE_LAWS = (ctl.OFF, ctl.RCS_POINT, ctl.TRIM)
DEGRADABLE = ("COAST", "SPIN_UP", "ORBIT_INSERTION")    # a fault waits here, the phase resumes
COUNT_MODES = ("CHECKOUT", "COUNTDOWN", "ARMED")        # a reset here holds the count
ARMED_IN_FLIGHT = ("LAUNCH", "STAGE1_BURN", "COAST", "SPIN_UP")   # an igniter still to fire is armed
POWERED = ("LAUNCH", "STAGE1_BURN", "STAGE2_BURN")      # a reset here obeys the navigation age


class MavFlightManager(Component):
    MODES = MAV_MODES
    CHANNELS = (
        Channel("t_burn_s", float, "s"), Channel("motor_scale", float),
        Channel("lt_a", float), Channel("lt_b", float, "1/s"), Channel("lt_c", float),
        Channel("lt_converged", bool), Channel("stage2_ignition_s", float, "s"),
        Channel("plan_periapsis_km", float, "km"), Channel("plan_apoapsis_km", float, "km"),
        Channel("periapsis_km", float, "km"), Channel("apoapsis_km", float, "km"),
        Channel("inclination_deg", float, "deg"), Channel("trim_remaining_mps", float, "m/s"),
        Channel("trim_used_mps", float, "m/s"), Channel("tubes_in_os", int),
        Channel("interlocks_ok", bool),
    )
    EVENTS = CUSTODY_EVENTS + (
        EventDef("LAUNCH_HOLD", Severity.WARNING_HI, "count held: {cause}", cause=str),
        EventDef("CHECKOUT_RESULT", Severity.ACTIVITY_HI, "passed={passed} {failures}", passed=bool, failures=str),
        EventDef("OS_SEALED", Severity.ACTIVITY_HI, "OS sealed with {count} tubes", count=int),
        EventDef("IGNITION", Severity.ACTIVITY_HI, "stage {stage} ignition", stage=int),
        EventDef("BURNOUT", Severity.ACTIVITY_HI, "stage {stage} burnout after {t_burn:.1f} s", stage=int, t_burn=float),
        EventDef("STAGE2_PLAN", Severity.ACTIVITY_LO,
                 "ignite at {t_ig:.1f} s, predicted {rp_km:.1f} x {ra_km:.1f} km, converged {ok}", t_ig=float, rp_km=float, ra_km=float, ok=bool),
        EventDef("GUIDANCE_NOT_CONVERGED", Severity.WARNING_LO, "{phase}: residual {residual}", phase=str, residual=float),
        EventDef("TRIM_DONE", Severity.ACTIVITY_HI, "trim {used:.2f} m/s, residual {left:.3f} m/s", used=float, left=float),
        EventDef("ABORT_CAUSE", Severity.WARNING_HI, "{cause}", cause=str),
        DEVICE_FAULT,
        EventDef("RESTART_RULE", Severity.WARNING_HI, "after a reset in {mode}: {rule}", mode=str, rule=str),
        EventDef("DEGRADED", Severity.WARNING_HI, "{cause} failed in {mode}: {action}", cause=str, mode=str, action=str),
        EventDef("RECOVERED", Severity.ACTIVITY_HI, "{cause} back after {after:.1f} s: {mode} resumes", cause=str, after=float, mode=str),
    )
    PARAMS = (
        Param("target_alt_km", float, 100.0, 1500.0, default=343.0),
        Param("target_inc_deg", float, 0.0, 180.0, default=25.0),
        Param("stage1_isp_s", float, 100.0, 400.0, default=285.0),
        Param("stage1_burn_s", float, 5.0, 200.0, default=55.0),
        Param("stage1_mass_ignition_kg", float, 50.0, 2000.0, default=400.0),
        Param("stage1_mass_burnout_kg", float, 10.0, 2000.0, default=195.0),
        Param("stage2_isp_s", float, 100.0, 400.0, default=295.0),
        Param("stage2_burn_s", float, 5.0, 200.0, default=35.0),
        Param("stage2_mass_ignition_kg", float, 10.0, 2000.0, default=160.0),
        Param("stage2_mass_burnout_kg", float, 5.0, 2000.0, default=85.0),
        Param("pp_start_elev_deg", float, 0.0, 90.0, default=80.0),
        Param("pp_end_elev_deg", float, 0.0, 90.0, default=65.0),
        Param("pp_end_s", float, 1.0, 100.0, default=15.0),
        Param("ignition_delay_s", float, 0.1, 10.0, default=1.0),
        Param("launch_time_s", float, 0.0, 1e9, default=60.0),
        Param("arm_lead_s", float, 1.0, 600.0, default=10.0),
        Param("spin_lead_s", float, 10.0, 600.0, default=60.0),
        Param("spin_up_time_s", float, 1.0, 120.0, default=15.0),
        Param("spin_rate_radps", float, 0.5, 30.0, default=10.0),
        Param("burnout_accel_mps2", float, 0.1, 10.0, default=1.0),
        Param("trim_budget_mps", float, 0.0, 200.0, default=60.0),
        Param("trim_tolerance_mps", float, 0.001, 5.0, default=0.05),
        Param("single_trim_km", float, 0.0, 1000.0, default=1000.0,
              doc="burnout radius error above which a second trim half an orbit later "
                  "circularises (Mars' J2 moves osculating apsides by ~10 km per orbit)"),
        Param("min_grain_C", float, -100.0, 50.0, default=-40.0),
        Param("min_rcs_C", float, -100.0, 50.0, default=2.0),
        Param("ero_raan_deg", float, -360.0, 360.0, default=0.0),
        Param("ero_inc_deg", float, 0.0, 180.0, default=25.0),
        Param("ero_plane_tol_deg", float, 0.0, 30.0, default=1.0),
        Param("checkout_s", float, 1.0, 600.0, default=5.0),
        Param("abort_pointing_deg", float, 5.0, 180.0, default=30.0),
        Param("abort_persist_s", float, 0.1, 60.0, default=3.0),
        Param("in_orbit_periapsis_km", float, 0.0, 1000.0, default=100.0),
        Param("stage1_solve_period_s", float, 0.1, 10.0, default=1.0),
        Param("coast_plan_period_s", float, 0.5, 120.0, default=5.0),
        Param("stage1_freeze_s", float, 0.0, 60.0, default=8.0),
        Param("quiet_margin_s", float, 1.0, 600.0, default=10.0),
        Param("coarse_rate_max_radps", float, 0.0, 10.0, default=0.2,
              doc="body rates above which the 10 Hz coast rate set is left for 50 Hz"),
        Param("stage1_apoapsis_bias_km", float, -50.0, 50.0, default=5.0),
        Param("stage2_dv_margin_mps", float, -500.0, 1000.0, default=15.0,
              doc="stage-2 delta-v held back when stage 1 shapes the coast orbit (covers "
                  "the drag of the early coast, which the onboard predictor ignores)"),
        Param("restart_nav_max_age_s", float, 0.0, 60.0, default=2.0,
              doc="after a reset in a burn: continue if the restored navigation is at most this "
                  "old (checkpoints every 1 s and on key events, 0.2 s reboot), else abort"),
        Param("degraded_ignition_slip_s", float, 0.0, 120.0, default=20.0,
              doc="a fault in the coast or the spin-up still present this long after the planned "
                  "start of the spin (stage-2 ignition - spin_up_time_s) aborts"),
        Param("insertion_degraded_max_s", float, 1.0, 36000.0, default=600.0,
              doc="a fault in the orbit insertion lasting longer aborts (the OS is released "
                  "into the orbit reached)"),
    )

    def __init__(self, name: str, devices: MavDevices, nav: MavNavigator,
                 control: MavAttitudeControl, thermal: MavThermal) -> None:
        super().__init__(name)
        self.dev = devices
        self.nav = nav
        self.control = control
        self.thermal = thermal
        self.custody = CustodyLedger(emit=self.emit)
        self.expected_tubes: tuple[int, ...] = ()
        self.sealed = False
        self.checkout_ok = False
        self.launched = False
        self.launch_t_s: float | None = None   # onboard time of the lander's throw
        self._mode_t0 = 0
        self._checkout: dict | None = None
        self._t_ign = [None, None]
        self._k1 = 1.0
        self._s1: Stage1Solver | None = None
        self._s1_sol = None
        self._s1_t = 0.0
        self._s2: Stage2Planner | None = None
        self.plan = None
        self._plan_t = -1e9
        self._bad_pointing_s = 0.0
        self.trim_used = 0.0
        self._trim_phase = 1
        self._trim2_t = math.inf
        self._release_t: float | None = None
        self._last_t: float | None = None
        self._restart_pending = False
        self._degraded: tuple[str, ...] = ()      # causes of a degraded coast/insertion
        self._degraded_t = 0.0
        self._resume: tuple | None = None          # control law to resume (law, target, spin rate)
        self._spin_due_s: float | None = None      # planned ignition when the spin-up fell due

    # ------------------------------------------------------------ models from parameters
    def target(self) -> AscentTarget:
        p = self.params
        return AscentTarget(self.nav.params["radius_eq_m"] + 1e3 * p["target_alt_km"],
                            math.radians(p["target_inc_deg"]), self.nav.params["gm"])

    def stage(self, k: int) -> StageModel:
        p = self.params
        s = f"stage{k}_"
        return StageModel(p[s + "isp_s"] * G0, p[s + "burn_s"], p[s + "mass_ignition_kg"],
                          p[s + "mass_burnout_kg"])

    # ------------------------------------------------------------ guards
    def grain_warm(self) -> bool:
        return self.thermal.grain_min_C > self.params["min_grain_C"]

    def rcs_warm(self) -> bool:
        return self.thermal.rcs_min_C > self.params["min_rcs_C"]

    def thermal_ok(self) -> bool:
        return self.grain_warm() and self.rcs_warm()

    def os_sealed(self) -> bool:
        return self.sealed and bool(self.expected_tubes) and \
            tuple(self.custody.tubes_at("os")) == self.expected_tubes

    def checkout_passed(self) -> bool:
        return self.checkout_ok

    def ero_plane_angle_deg(self) -> float:
        """Angle of the launch site (at the planned launch time) out of the ERO's plane."""
        p = self.params
        raan, inc = math.radians(p["ero_raan_deg"]), math.radians(p["ero_inc_deg"])
        n = (math.sin(raan) * math.sin(inc), -math.cos(raan) * math.sin(inc), math.cos(inc))
        r, _ = self.nav.site_state(int(p["launch_time_s"] * NS_PER_S))
        return math.degrees(math.asin(max(-1.0, min(1.0, dot(r, n) / norm(r)))))

    def ero_plane_ok(self) -> bool:
        p = self.params
        tol = p["ero_plane_tol_deg"]
        return abs(self.ero_plane_angle_deg()) <= tol and abs(p["ero_inc_deg"] - p["target_inc_deg"]) <= tol

    def spin_ok(self) -> bool:
        c = self.control
        rate = self.nav.rate[0]
        target = self.params["spin_rate_radps"]
        return c.law == ctl.SPIN and abs(rate - target) < 0.1 * target and c.error_rad < math.radians(2.0)

    def in_orbit(self) -> bool:
        return self.launched and self.nav.active and \
            self.nav.orbit().periapsis_m - self.nav.params["radius_eq_m"] > 1e3 * self.params["in_orbit_periapsis_km"]

    def has_launched(self) -> bool:
        return self.launched

    def failed_interlocks(self) -> list[str]:
        return [g for g in LAUNCH_INTERLOCKS if not getattr(self, g)()]

    # ------------------------------------------------------------ commands (ground)
    def _go(self, trigger: str) -> None:
        if not self.trigger(trigger):
            raise CommandError(f"{trigger} refused in {self.mode}")

    @command("START_CONDITIONING", modes=("STOWED",))
    def _cmd_start_conditioning(self) -> None:
        self._go("start_conditioning")

    @command("BEGIN_LOADING", modes=("THERMAL_CONDITIONING",))
    def _cmd_begin_loading(self) -> None:
        self._go("begin_loading")

    @command("END_LOADING_SESSION", modes=("OS_LOADING",))
    def _cmd_end_loading_session(self) -> None:
        self._go("end_loading_session")

    @command("EXPECT_TUBES", Arg("tubes", str, doc="comma-separated tube ids"),
             modes=("STOWED", "THERMAL_CONDITIONING", "OS_LOADING"))
    def _cmd_expect_tubes(self, tubes: str) -> None:
        try:
            ids = tuple(sorted({int(x) for x in tubes.split(",") if x.strip()}))
        except ValueError:
            raise CommandError(f"bad tube list {tubes!r}") from None
        if not ids or min(ids) < 1 or max(ids) > 0xFFFF:
            raise CommandError("tube ids must be 1..65535 and at least one")
        self.expected_tubes = ids
        self.sealed = False

    @command("OS_TUBE_LOADED", Arg("tube", int, 1, 0xFFFF), modes=("OS_LOADING",),
             doc="The lander reports a tube inserted into the OS")
    def _cmd_os_tube_loaded(self, tube: int) -> None:
        if not self.custody.register(tube, "os"):
            raise CommandError(f"tube {tube} refused by the custody ledger")
        self.tlm["tubes_in_os"] = self.custody.count("os")

    @command("SEAL_OS", modes=("OS_LOADING", "THERMAL_CONDITIONING"))
    def _cmd_seal_os(self) -> None:
        self._scan_os_slots()
        have = tuple(self.custody.tubes_at("os"))
        if not self.expected_tubes or have != self.expected_tubes:
            missing = sorted(set(self.expected_tubes) - set(have))
            extra = sorted(set(have) - set(self.expected_tubes))
            raise CommandError(f"OS contents differ: missing {missing}, unexpected {extra}")
        self.sealed = True
        self.emit("OS_SEALED", count=len(have))

    @command("BEGIN_CHECKOUT", modes=("THERMAL_CONDITIONING",))
    def _cmd_begin_checkout(self) -> None:
        self._go("begin_checkout")

    @command("HOLD", modes=("CHECKOUT", "COUNTDOWN", "ARMED"))
    def _cmd_hold(self) -> None:
        self._go("hold_count")

    @command("RESUME", modes=("HOLD",))
    def _cmd_resume(self) -> None:
        self._go("resume_count")

    @command("RECHECK", modes=("HOLD",))
    def _cmd_recheck(self) -> None:
        self._go("recheck")

    @command("RECONDITION", modes=("HOLD",))
    def _cmd_recondition(self) -> None:
        self._go("recondition")

    @command("ABORT", modes=IN_FLIGHT)
    def _cmd_abort(self) -> None:
        self._abort("ground command")

    @command("SAFE")
    def _cmd_safe(self) -> None:
        self._go("safe")

    @command("RECOVER", modes=("SAFE",))
    def _cmd_recover(self) -> None:
        self._go("recover")

    @command("RELEASE_OS", modes=("ABORT", "SAFE"))
    def _cmd_release_os(self) -> None:
        self._go("release_os")

    # ------------------------------------------------------------ mode entry hooks
    def on_enter_THERMAL_CONDITIONING(self) -> None:
        self.thermal.conditioning = True

    def on_enter_CHECKOUT(self) -> None:
        self.checkout_ok = False
        self._checkout = None

    def on_enter_HOLD(self) -> None:
        self._safe_igniters()

    def on_enter_SAFE(self) -> None:
        self._safe_igniters()
        self.control.stop()

    def on_enter_ABORT(self) -> None:
        self._safe_igniters()

    def _safe_igniters(self) -> None:
        for ig in (self.dev.ign1, self.dev.ign2):
            try:
                if not self.launched or not ig.read().fired:
                    ig.safe()
            except DeviceFault as exc:
                self.emit("DEVICE_FAULT", device=ig.name, error=str(exc))

    def _abort(self, cause: str) -> None:
        self.emit("ABORT_CAUSE", cause=cause)
        self._go("abort")

    # ------------------------------------------------------------ loop
    def step(self, t_ns: int) -> None:
        t = t_ns / NS_PER_S
        prev = self._last_t
        dt = 0.0 if prev is None else t - prev
        self._last_t = t
        if self._restart_pending:
            self._restart_pending = False
            self._after_restart(t, prev)
        runs = self.mode not in DEGRADABLE or self._healthy(t_ns, t)
        handler = getattr(self, "_run_" + self.mode, None)
        if handler is not None and runs:
            handler(t, dt)
        if self.nav.active:
            ap = self.nav.orbit()
            re = self.nav.params["radius_eq_m"]
            tlm = self.tlm
            tlm["periapsis_km"] = (ap.periapsis_m - re) / 1e3
            tlm["apoapsis_km"] = (ap.apoapsis_m - re) / 1e3 if math.isfinite(ap.apoapsis_m) else -1.0
            tlm["inclination_deg"] = math.degrees(ap.inclination_rad)

    # ground -------------------------------------------------------------------------------
    def _scan_os_slots(self) -> None:
        for s in self.dev.os_slots:
            try:
                r = s.read()
            except DeviceFault as exc:
                self.emit("DEVICE_FAULT", device=s.name, error=str(exc))
                continue
            if r.present and r.tube_id and self.custody.location(r.tube_id) is None:
                self.custody.register(r.tube_id, "os")
        self.tlm["tubes_in_os"] = self.custody.count("os")

    def _run_OS_LOADING(self, t: float, dt: float) -> None:
        self._scan_os_slots()

    def _run_CHECKOUT(self, t: float, dt: float) -> None:
        d = self.dev
        if self._checkout is None:
            self._checkout = {"t0": t, "fail": set(), "star": False, "imu": 0, "swept": False}
            try:
                d.tvc.point(math.radians(1.0), 0.0)
            except DeviceFault:
                self._checkout["fail"].add("tvc")
        c = self._checkout
        try:
            a = d.imu.read().accel_mps2
            g = norm(a)
            if 2.5 < g < 5.0:
                c["imu"] += 1
        except DeviceFault:
            c["fail"].add("imu")
        try:
            c["star"] |= bool(d.star.read().valid)
        except DeviceFault:
            pass
        if not c["swept"] and t - c["t0"] >= 1.0:
            try:
                if abs(d.tvc.read().pitch_rad - math.radians(1.0)) > math.radians(0.2):
                    c["fail"].add("tvc")
                d.tvc.point(0.0, 0.0)
            except DeviceFault:
                c["fail"].add("tvc")
            c["swept"] = True
        if t - c["t0"] < self.params["checkout_s"]:
            return
        for ig in (d.ign1, d.ign2):
            try:
                r = ig.read()
                if r.armed or r.fired:
                    c["fail"].add(ig.name)
            except DeviceFault:
                c["fail"].add(ig.name)
        if c["imu"] == 0:
            c["fail"].add("imu")
        if not c["star"]:
            c["fail"].add("star_tracker")
        if self.thermal.tlm["sensor_faults"]:
            c["fail"].add("thermometers")
        self.checkout_ok = not c["fail"]
        self.emit("CHECKOUT_RESULT", passed=self.checkout_ok, failures=",".join(sorted(c["fail"])))
        self.trigger("checkout_done")

    def _check_interlocks(self) -> bool:
        failed = self.failed_interlocks()
        self.tlm["interlocks_ok"] = not failed
        if failed:
            self.emit("LAUNCH_HOLD", cause=",".join(failed))
            self.trigger("hold_count")
            return False
        return True

    def _run_COUNTDOWN(self, t: float, dt: float) -> None:
        if not self._check_interlocks():
            return
        if t >= self.params["launch_time_s"] - self.params["arm_lead_s"]:
            if self.trigger("arm"):
                for ig in (self.dev.ign1, self.dev.ign2):
                    ig.arm()

    def _run_ARMED(self, t: float, dt: float) -> None:
        if not self._check_interlocks():
            return
        if t >= self.params["launch_time_s"] and self.trigger("launch"):
            self._launched(t)
            try:
                self.dev.eject.fire()
            except DeviceFault as exc:
                self.emit("DEVICE_FAULT", device=self.dev.eject.name, error=str(exc))

    def _launched(self, t: float) -> None:
        """The lander threw the MAV at t: custody aboard, navigation from the site state."""
        self.launched = True
        self.launch_t_s = t
        self.thermal.in_flight = True
        for tube in self.custody.tubes_at("os"):
            self.custody.move(tube, "os", "mav")
        self.nav.start(int(round(t * NS_PER_S)))
        self._mode_t0 = t

    # flight -------------------------------------------------------------------------------
    def _run_LAUNCH(self, t: float, dt: float) -> None:
        if t - self._mode_t0 < self.params["ignition_delay_s"]:
            return
        try:
            self.dev.ign1.fire()
        except DeviceFault as exc:
            self.emit("DEVICE_FAULT", device=self.dev.ign1.name, error=str(exc))
            return
        self._ignited1(t, t)
        self.emit("IGNITION", stage=1)

    def _ignited1(self, t_ign: float, t: float) -> None:
        self._t_ign[0] = t_ign
        self._k1 = 1.0
        self._s1 = self._stage1_solver()
        self._s1_sol = None
        self.nav.thrust_model = self._thrust_model(1)
        if not self.trigger("ignite_stage1"):
            self.force_mode("STAGE1_BURN")
        self._steer_stage1(t)
        self.control.set_law(ctl.TVC)

    def _stage1_solver(self) -> Stage1Solver:
        # stage 1 aims the coast apoapsis a little above the target: stage 2 can then meet
        # the target radius on the way up (pitching down costs little), never below it
        tgt = self.target()
        aim = AscentTarget(tgt.radius_m + 1e3 * self.params["stage1_apoapsis_bias_km"],
                           tgt.inclination_rad, tgt.gm)
        return Stage1Solver(aim, self.stage(1), self.stage(2).delta_v - self.params["stage2_dv_margin_mps"])

    def _thrust_model(self, k: int):
        """Nominal specific force of stage k against onboard time (the navigator bridges a
        missing accelerometer or a gap in navigation with it)."""
        stage = self.stage(k)
        i = k - 1

        def accel(t_s: float) -> float:
            t0 = self._t_ign[i]
            return 0.0 if t0 is None else stage.accel(t_s - t0, self._k1 if k == 1 else 1.0)
        return accel

    def _steer_stage1(self, t: float) -> None:
        p = self.params
        nav = self.nav
        tb = t - self._t_ign[0]
        s1 = self.stage(1)
        if 0.25 * s1.burn_time_s < tb < 0.85 * s1.burn_time_s / self._k1 and nav.accel_valid \
                and nav.accel_mag > 1.0:
            model = s1.accel(tb, self._k1)
            if model > 0.0:
                ratio = max(0.8, min(1.25, nav.accel_mag / model))
                self._k1 = max(0.8, min(1.25, self._k1 * ratio ** 0.1))
        self.tlm["t_burn_s"] = tb
        self.tlm["motor_scale"] = self._k1
        if tb < p["pp_end_s"]:
            table = ((0.0, p["pp_start_elev_deg"]), (p["pp_end_s"], p["pp_end_elev_deg"]))
            el = pitch_program(tb, table)
            e_r, e_t, n = guidance_frame(nav.r, nav.v, math.radians(p["target_inc_deg"]))
            self.control.set_law(ctl.TVC, target=steering_direction(e_r, e_t, n, math.tan(el), 0.0))
            return
        t_rem = s1.burn_time_s / self._k1 - tb
        frozen = self._s1_sol is not None and t_rem < p["stage1_freeze_s"]
        if not frozen and (self._s1_sol is None or t - self._s1_t >= p["stage1_solve_period_s"] - 1e-9):
            first = self._s1_sol is None
            sol = self._s1.solve(t, nav.r, nav.v, tb, self._k1,
                                 initial_elevation=math.radians(p["pp_end_elev_deg"]),
                                 iterations=8 if first else 3)
            self._s1_sol, self._s1_t = sol, t
            self.tlm["lt_a"], self.tlm["lt_b"], self.tlm["lt_c"] = sol.a, sol.b, sol.c
            self.tlm["lt_converged"] = sol.converged
        self.control.set_law(ctl.TVC, target=self._s1_sol.direction(t - self._s1_t))

    def _monitor_pointing(self, dt: float) -> bool:
        if self.control.error_rad > math.radians(self.params["abort_pointing_deg"]):
            self._bad_pointing_s += dt
        else:
            self._bad_pointing_s = 0.0
        if self._bad_pointing_s > self.params["abort_persist_s"]:
            self._abort("attitude error beyond limit")
            return False
        return True

    def _run_STAGE1_BURN(self, t: float, dt: float) -> None:
        tb = t - self._t_ign[0]
        if not self._monitor_pointing(dt):
            return
        s1 = self.stage(1)
        if tb > 0.7 * s1.burn_time_s / self._k1 and self.nav.accel_valid \
                and self.nav.accel_mag < self.params["burnout_accel_mps2"]:
            self.nav.thrust_model = None
            try:
                self.dev.sep1.fire()
            except DeviceFault as exc:
                self.emit("DEVICE_FAULT", device=self.dev.sep1.name, error=str(exc))
            self.emit("BURNOUT", stage=1, t_burn=tb)
            self.trigger("stage1_burnout")
            self.control.set_law(ctl.RCS_POINT, target=qrot(self.nav.q, (1.0, 0.0, 0.0)))
            self._s2 = Stage2Planner(self.target(), self.stage(2))
            self._replan(t)
            return
        if tb > 1.5 * s1.burn_time_s:
            self._abort("stage 1 burnout not detected")
            return
        self._steer_stage1(t)

    def _replan(self, t: float, point: bool = True) -> None:
        plan = self._s2.plan(t, self.nav.r, self.nav.v)
        self.plan, self._plan_t = plan, t
        re = self.nav.params["radius_eq_m"]
        self.tlm["stage2_ignition_s"] = plan.t_ignition_s
        self.tlm["plan_periapsis_km"] = (plan.predicted_periapsis_m - re) / 1e3
        self.tlm["plan_apoapsis_km"] = (plan.predicted_apoapsis_m - re) / 1e3
        self.emit("STAGE2_PLAN", t_ig=plan.t_ignition_s, rp_km=self.tlm["plan_periapsis_km"],
                  ra_km=self.tlm["plan_apoapsis_km"], ok=plan.converged)
        if point:
            self.control.set_law(ctl.RCS_POINT, target=plan.direction)

    def _run_COAST(self, t: float, dt: float) -> None:
        p = self.params
        c = self.control
        in_window = t < self.plan.t_ignition_s - p["spin_lead_s"] - p["quiet_margin_s"]
        if t - self._plan_t >= p["coast_plan_period_s"]:
            self._replan(t, point=not (in_window and c.law == ctl.OFF))
        if in_window and c.law == ctl.RCS_POINT and c.error_rad < math.radians(1.0) \
                and max(abs(w) for w in self.nav.rate) < 2e-3:
            c.stop()   # settled: drift freely until the spin-up preparation (a quiet phase)
        if t >= self.plan.t_ignition_s - p["spin_lead_s"]:
            self._replan(t)
            self.trigger("begin_spin_up")

    def _run_SPIN_UP(self, t: float, dt: float) -> None:
        p = self.params
        t_ig = self.plan.t_ignition_s
        if self.control.law == ctl.RCS_POINT and t >= t_ig - p["spin_up_time_s"]:
            self.control.set_law(ctl.SPIN, spin_rate=p["spin_rate_radps"])
        if t >= t_ig and self.spin_ok():
            try:
                self.dev.ign2.fire()
            except DeviceFault as exc:
                self.emit("DEVICE_FAULT", device=self.dev.ign2.name, error=str(exc))
                return
            self._t_ign[1] = t
            self.nav.thrust_model = self._thrust_model(2)
            self.emit("IGNITION", stage=2)
            self.trigger("ignite_stage2")
        elif t > t_ig + 30.0:
            self._abort("spin-up not achieved")

    def _run_STAGE2_BURN(self, t: float, dt: float) -> None:
        tb = t - self._t_ign[1]
        self.tlm["t_burn_s"] = tb
        s2 = self.stage(2)
        nav = self.nav
        measured = nav.accel_valid and nav.accel_mag < self.params["burnout_accel_mps2"]
        modelled = not nav.accel_valid and tb > s2.burn_time_s + 2.0   # IMU out: the motor model
        if tb > 0.7 * s2.burn_time_s and (measured or modelled):
            nav.thrust_model = None
            self.emit("BURNOUT", stage=2, t_burn=tb)
            self.trigger("stage2_burnout")
            self.control.set_law(ctl.DESPIN)
        elif tb > 1.5 * s2.burn_time_s:
            self._abort("stage 2 burnout not detected")

    def _run_ORBIT_INSERTION(self, t: float, dt: float) -> None:
        """Despin, trim 1 (far apsis to target), coast half an orbit, trim 2 (circularise)."""
        p = self.params
        c = self.control
        tgt = self.target()
        if c.law == ctl.DESPIN:
            if abs(self.nav.rate[0]) < 0.05:
                c.set_law(ctl.TRIM)
                near = abs(norm(self.nav.r) - tgt.radius_m) < 1e3 * p["single_trim_km"]
                self._trim_phase = 2 if near else 1
            return
        if self._trim_phase == 0:  # coasting to the far apsis
            if t >= self._trim2_t:
                self._trim_phase = 2
                c.set_law(ctl.TRIM)
            return
        dv = insertion_trim(self.nav.r, self.nav.v, tgt)
        left = norm(dv)
        self.tlm["trim_remaining_mps"] = left
        self.trim_used += (self.nav.accel_mag if self.nav.accel_valid else 0.0) * dt
        self.tlm["trim_used_mps"] = self.trim_used
        if left < p["trim_tolerance_mps"] or self.trim_used >= p["trim_budget_mps"]:
            c.trim_force_inertial = (0.0, 0.0, 0.0)
            c.stop()
            self.emit("TRIM_DONE", used=self.trim_used, left=left)
            if self._trim_phase == 1 and self.trim_used < p["trim_budget_mps"]:
                ap = self.nav.orbit()
                self._trim2_t = t + math.pi * math.sqrt(ap.sma_m ** 3 / self.nav.params["gm"])
                self._trim_phase = 0
                return
            c.stop()
            self.trigger("insertion_done")
            return
        mass = p["stage2_mass_burnout_kg"]
        tau = 2.0  # s: time constant of the closed-loop trim
        c.trim_force_inertial = (dv[0] * mass / tau, dv[1] * mass / tau, dv[2] * mass / tau)

    def quiet(self) -> bool:
        """True in a long phase with nothing to control (the settled coast before the spin-up
        preparation, the coast between the insertion trims): the RCS is off and a scenario
        the vehicle then runs its 1 Hz quiet rate set (`MavVehicle.install`)."""
        if self._last_t is None or self.control.law != ctl.OFF or "rcs" in self._degraded:
            return False   # a failed RCS is probed by the attitude control, which quiet stepping idles
        margin = self.params["quiet_margin_s"]
        if self.mode == "COAST":
            return self._last_t < self.plan.t_ignition_s - self.params["spin_lead_s"] - margin
        if self.mode == "ORBIT_INSERTION":
            return self._trim_phase == 0 and self._last_t < self._trim2_t - margin
        return False

    def rate_set(self) -> str:
        """The executive rate set this phase needs (`MavVehicle.install`): "quiet" (1 Hz) in a
        settled coast, "coast" (10 Hz) on the ground before arming and whenever the RCS
        only points, trims or rests at low body rates, else "nominal" (50 Hz: the count from
        arming, the burns, spinning and despinning)."""
        if self.quiet():
            return "quiet"
        if self.mode in COARSE_MODES and self.control.law in COARSE_LAWS \
                and max(abs(w) for w in self.nav.rate) < self.params["coarse_rate_max_radps"]:
            return "coast"
        return "nominal"

    def _run_OS_RELEASE(self, t: float, dt: float) -> None:
        if self._release_t is None:
            self.control.stop()
            try:
                self.dev.os_release.fire()
            except DeviceFault as exc:
                self.emit("DEVICE_FAULT", device=self.dev.os_release.name, error=str(exc))
                return
            self._release_t = t
            return
        try:
            fired = self.dev.os_release.read().fired
        except DeviceFault:
            fired = 0
        if fired:
            for tube in self.custody.tubes_at("mav"):
                self.custody.move(tube, "mav", "orbit")
            self.trigger("os_released")
        elif t - self._release_t > 5.0:
            self._release_t = None  # fire again

    def _run_ABORT(self, t: float, dt: float) -> None:
        self.control.stop()
        if self.in_orbit():
            self.trigger("release_os")

    # ------------------------------------------------------------ faults by phase
    def _failed_units(self, t_ns: int) -> tuple[str, ...]:
        causes = []
        if not self.nav.updated_at(t_ns):
            causes.append("nav")
        elif not self.nav.imu_valid:
            causes.append("imu")
        if not self.control.rcs_ok:
            causes.append("rcs")
        return tuple(causes)

    def _healthy(self, t_ns: int, t: float) -> bool:
        """In a coast, spin-up or insertion: degrade on a failed unit, resume when it is back.
        True when the phase may run this step."""
        causes = self._failed_units(t_ns)
        if causes:
            if not self._degraded:
                c = self.control
                self._degraded_t = t
                self._resume = (c.law, tuple(c.target), c.spin_rate)
                self.emit("DEGRADED", cause=",".join(causes), mode=self.mode,
                          action="RCS off, navigation on gravity and star tracker, phase waits")
                c.trim_force_inertial = (0.0, 0.0, 0.0)
                c.stop()
            self._degraded = causes
            if self.mode == "COAST" and "nav" not in causes and self.plan is not None \
                    and t - self._plan_t >= self.params["coast_plan_period_s"]:
                self._replan(t, point=False)   # the navigated state still moves the plan
            self._degraded_deadline(t)
            return False
        if self._degraded:
            self.emit("RECOVERED", cause=",".join(self._degraded), after=t - self._degraded_t, mode=self.mode)
            self._degraded = ()
            law, target, spin = self._resume or (ctl.OFF, None, None)
            if law != ctl.OFF:
                self.control.set_law(law, target=target, spin_rate=spin)
        return True

    def _degraded_deadline(self, t: float) -> None:
        p = self.params
        cause = ",".join(self._degraded)
        if self.mode in ("COAST", "SPIN_UP") and self.plan is not None:
            # the ignition the spin-up was due for (the planner slides a late ignition to "now")
            if self._spin_due_s is None and t >= self.plan.t_ignition_s - p["spin_lead_s"]:
                self._spin_due_s = self.plan.t_ignition_s
            due = self.plan.t_ignition_s if self.mode == "SPIN_UP" else self._spin_due_s
            if due is not None and t > due - p["spin_up_time_s"] + p["degraded_ignition_slip_s"]:
                self._abort(f"{cause} failed for {t - self._degraded_t:.1f} s: no time left to spin up")
        elif self.mode == "ORBIT_INSERTION" and t - self._degraded_t > p["insertion_degraded_max_s"]:
            self._abort(f"{cause} failed for {t - self._degraded_t:.1f} s in the insertion")

    # ------------------------------------------------------------ warm restart
    @staticmethod
    def _fired(device) -> bool:
        try:
            return bool(device.read().fired)
        except DeviceFault:
            return False

    def _rule(self, rule: str) -> None:
        self.emit("RESTART_RULE", mode=self.mode, rule=rule)

    def _rearm_igniters(self) -> None:
        """An igniter command carries both arm and fire, and this boot does not remember the
        arm the count sent: a fire() from it would say arm=0 and be refused by the armed
        device (found by the HIL power-cut tests). Re-send the arm of every igniter that has
        not fired, as the count left it."""
        for ig in (self.dev.ign1, self.dev.ign2):
            try:
                if not ig.read().fired:
                    ig.arm()
            except DeviceFault as exc:
                self.emit("DEVICE_FAULT", device=ig.name, error=str(exc))

    def _after_restart(self, t: float, prev: float | None) -> None:
        """The restart rule, on the first step after a warm restart (see the module doc).
        The pyro and igniter read-backs catch what happened between the checkpoint and the
        reset (a throw, an ignition)."""
        p = self.params
        mode = self.mode
        if mode in COUNT_MODES:
            if self._fired(self.dev.eject):      # thrown after the checkpoint: we are flying
                t_launch = max(p["launch_time_s"], prev if prev is not None else t)
                if not self.trigger("launch"):
                    self.force_mode("LAUNCH")
                self._launched(t_launch)
                self._rule(f"the MAV was thrown at {t_launch:.2f} s after the checkpoint: flight resumes")
                return
            self.checkout_ok = False
            self._rule("count held; the checkout must be repeated (RECHECK) before the count resumes")
            self.emit("LAUNCH_HOLD", cause="processor reset")
            self.trigger("hold_count")
            return
        if mode in ARMED_IN_FLIGHT:
            self._rearm_igniters()
        if mode == "LAUNCH" and self._fired(self.dev.ign1):
            self._ignited1(self._mode_t0 + p["ignition_delay_s"], t)
            mode = self.mode
        elif mode == "SPIN_UP" and self._fired(self.dev.ign2):
            self._t_ign[1] = max(self.plan.t_ignition_s, prev if prev is not None else t)
            self.nav.thrust_model = self._thrust_model(2)
            if not self.trigger("ignite_stage2"):
                self.force_mode("STAGE2_BURN")
            mode = self.mode
        if mode in POWERED:
            restored = self.nav.restored_ns
            age = math.inf if restored is None else t - restored / NS_PER_S
            limit = p["restart_nav_max_age_s"]
            if age <= limit:
                self._rule(f"continue: navigation {age:.2f} s old <= {limit:g} s (gap bridged by the motor model)")
            else:
                self._rule(f"abort: navigation {age:.2f} s old > {limit:g} s")
                self._abort(f"restart with navigation {age:.2f} s old")
            return
        if mode in DEGRADABLE:
            self._rule("continue: navigation propagated over the gap on the gravity model")
        else:
            self._rule("continue")

    def checkpoint_state(self) -> dict:
        s1 = self._s1_sol
        plan = self.plan
        return super().checkpoint_state() | {
            "custody": self.custody.snapshot(), "sealed": self.sealed,
            "expected_tubes": list(self.expected_tubes), "checkout_ok": self.checkout_ok,
            "launched": self.launched, "launch_t_s": self.launch_t_s, "mode_t0": self._mode_t0,
            "t_ign": list(self._t_ign), "k1": self._k1, "last_t": self._last_t,
            "s1": None if s1 is None else {"a": s1.a, "b": s1.b, "c": s1.c, "converged": s1.converged,
                                           "residual": list(s1.residual),
                                           "frame": [list(v) for v in s1.frame], "t": self._s1_t},
            "plan": None if plan is None else {
                "t_ignition_s": plan.t_ignition_s, "direction": list(plan.direction),
                "elevation_rad": plan.elevation_rad, "out_of_plane_rad": plan.out_of_plane_rad,
                "converged": plan.converged, "predicted_periapsis_m": plan.predicted_periapsis_m,
                "predicted_apoapsis_m": plan.predicted_apoapsis_m, "t": self._plan_t},
            "bad_pointing_s": self._bad_pointing_s, "trim_used": self.trim_used,
            "trim_phase": self._trim_phase,
            "trim2_t": None if math.isinf(self._trim2_t) else self._trim2_t,
            "release_t": self._release_t,
            "checkout": None if self._checkout is None else
            dict(self._checkout, fail=sorted(self._checkout["fail"])),
            "degraded": list(self._degraded), "degraded_t": self._degraded_t, "spin_due_s": self._spin_due_s,
            "resume": None if self._resume is None else
            [self._resume[0], None if self._resume[1] is None else list(self._resume[1]), self._resume[2]]}

    def restore_state(self, state: Mapping[str, Any]) -> None:
        """Everything `checkpoint_state` saved; the guidance solvers are rebuilt from the
        parameters and warm-started from the saved solution and plan. The restart rule runs
        on the first step (it needs the time)."""
        super().restore_state(state)
        opt = (lambda v: None if v is None else float(v))
        self.custody.restore((int(tube), str(loc)) for tube, loc in state.get("custody", ()))
        self.tlm["tubes_in_os"] = self.custody.count("os")
        self.sealed = bool(state.get("sealed", False))
        self.expected_tubes = tuple(int(x) for x in state.get("expected_tubes", ()))
        self.checkout_ok = bool(state.get("checkout_ok", False))
        self.launched = bool(state.get("launched", False))
        self.launch_t_s = opt(state.get("launch_t_s"))
        self._mode_t0 = float(state.get("mode_t0", 0.0))
        t_ign = list(state.get("t_ign", (None, None)))
        if len(t_ign) != 2:
            raise ValueError("flight checkpoint: t_ign needs two entries")
        self._t_ign = [opt(x) for x in t_ign]
        self._k1 = float(state.get("k1", 1.0))
        self._last_t = opt(state.get("last_t"))
        s1 = state.get("s1")
        if self._t_ign[0] is not None:
            self._s1 = self._stage1_solver()
        if s1 is not None:
            frame = tuple(tuple(float(x) for x in v) for v in s1["frame"])
            self._s1_sol = Stage1Solution(float(s1["a"]), float(s1["b"]), float(s1["c"]), bool(s1["converged"]),
                                          tuple(float(x) for x in s1["residual"]), frame)
            self._s1_t = float(s1["t"])
            if self._s1 is not None:
                self._s1.last, self._s1._last_t = self._s1_sol, self._s1_t
        plan = state.get("plan")
        if plan is not None:
            self.plan = Stage2Plan(float(plan["t_ignition_s"]), tuple(float(x) for x in plan["direction"]),
                                   float(plan["elevation_rad"]), float(plan["out_of_plane_rad"]),
                                   bool(plan["converged"]), float(plan["predicted_periapsis_m"]),
                                   float(plan["predicted_apoapsis_m"]))
            self._plan_t = float(plan["t"])
            self._s2 = Stage2Planner(self.target(), self.stage(2))
            self._s2.last = self.plan
            self.tlm["stage2_ignition_s"] = self.plan.t_ignition_s
        self._bad_pointing_s = float(state.get("bad_pointing_s", 0.0))
        self.trim_used = float(state.get("trim_used", 0.0))
        self._trim_phase = int(state.get("trim_phase", 1))
        t2 = state.get("trim2_t")
        self._trim2_t = math.inf if t2 is None else float(t2)
        self._release_t = opt(state.get("release_t"))
        ck = state.get("checkout")
        self._checkout = None if ck is None else dict(ck, fail=set(ck.get("fail", ())))
        self._degraded = tuple(str(c) for c in state.get("degraded", ()))
        self._degraded_t = float(state.get("degraded_t", 0.0))
        self._spin_due_s = opt(state.get("spin_due_s"))
        r = state.get("resume")
        self._resume = None if r is None else (str(r[0]), None if r[1] is None else tuple(r[1]), r[2])
        mode = self.mode
        if mode in ("STAGE1_BURN", "STAGE2_BURN"):
            self.nav.thrust_model = self._thrust_model(1 if mode == "STAGE1_BURN" else 2)
        self._restart_pending = True


__all__ = ["MavFlightManager"]
