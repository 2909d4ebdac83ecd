"""MAV flight manager: the mode machine, the ground's commands and the phases that run it.

Ground: thermal conditioning and OS loading, checkout, the count with its five launch
interlocks (grain > -40 C, RCS > 2 C, OS sealed with the expected tubes, checkout passed,
ERO in an acceptable plane): `ground.py`. Flight (`fsw.gnc.ascent_guidance` for the
guidance): ejection by the lander, stage 1 (`stage1.py`), coast, spin-up and stage 2
(`coast.py`), orbit insertion and OS release (`insertion.py`). After ignition a failure
leads to ABORT, never back to the ground modes. Faults by phase: `faults.py` and
`degraded.py`; the warm-restart rule: `restart.py`.

The manager owns the mode table, the commands, the custody ledger and the few facts every
phase shares (launch, ignition times, motor scale, the control law it commanded); each mode
is run by one phase object on the lifecycle of `phase.py` (on_activation / on_active /
on_inactivation). It talks to the other MAV components only through its ports (topics.py):
it reads NAV_STATE, NAV_MODEL, ACS_STATUS and THERMAL_STATUS and publishes ACS_COMMAND,
THRUST_MODEL and FLIGHT_PHASE. Design and requirement ids: DESIGN.md.
"""
from __future__ import annotations

import math
from typing import Any, Mapping

from fsw.core.component import Component, CommandError, command
from fsw.core.conventions import handler_name
from fsw.core.declarations import Arg
from fsw.core.ports import Sub
from fsw.core.time import NS_PER_S
from fsw.gnc.ascent_guidance import AscentTarget, StageModel
from fsw.gnc.kepler import Apsides, apsides, dot, norm
from fsw.vehicles.custody import CustodyLedger

from . import control as ctl
from . import restart
from .coast import Coast, Stage2
from .degraded import DEGRADABLE, Degradation
from .devices import MavDevices
from .flight_decl import FLIGHT_CHANNELS, FLIGHT_EVENTS, FLIGHT_PARAMS
from .ground import Checkout, Count, Loading
from .insertion import End, Insertion
from .modes import MAV_MODES
from .phase import Phase, opt_float, phase_table
from .stage1 import Stage1
from .topics import (ACS_COMMAND, ACS_STATUS, FLIGHT_PHASE, NAV_MODEL, NAV_STATE, THERMAL_STATUS, THRUST_MODEL,
                     UNREAD_C, AcsCommand, AcsStatus, FlightPhase, NavModel, NavState, ThermalStatus,
                     ThrustModel)

G0 = 9.80665
IN_FLIGHT = ("LAUNCH", "STAGE1_BURN", "COAST", "SPIN_UP", "STAGE2_BURN", "ORBIT_INSERTION")
COARSE_MODES = ("STOWED", "THERMAL_CONDITIONING", "OS_LOADING", "CHECKOUT", "COUNTDOWN", "HOLD",
                "COAST", "SPIN_UP", "ORBIT_INSERTION", "OS_RELEASE", "PASSIVE", "SAFE")
COARSE_LAWS = (ctl.OFF, ctl.RCS_POINT, ctl.TRIM)
NO_THERMAL = ThermalStatus(UNREAD_C, UNREAD_C, 0)     # before the first thermometer read
ACS_INITIAL = AcsStatus(0.0, True)
ACS_OFF = AcsCommand(ctl.OFF, (1.0, 0.0, 0.0), 0.0, (0.0, 0.0, 0.0))   # control's power-on state


def trigger_command(name: str, trigger: str, modes: tuple[str, ...] | None):
    """A ground command that only fires `trigger` (refused, with the reason, if the table
    or its guards say no): one line each in the class instead of one method each."""
    def handler(self: "MavFlightManager") -> None:
        self.go(trigger)
    handler.__name__ = handler.__qualname__ = handler_name(name)
    return command(name, modes=modes)(handler)


class MavFlightManager(Component):
    MODES = MAV_MODES
    CHANNELS = FLIGHT_CHANNELS
    EVENTS = FLIGHT_EVENTS
    PARAMS = FLIGHT_PARAMS
    PUBLISHES = (ACS_COMMAND, THRUST_MODEL, FLIGHT_PHASE)
    SUBSCRIBES = (Sub(NAV_STATE, "_on_nav_state"), NAV_MODEL, ACS_STATUS, THERMAL_STATUS)

    def __init__(self, name: str, devices: MavDevices) -> None:
        super().__init__(name)
        self.dev = devices
        self.custody = CustodyLedger(emit=self.emit)
        self.launched = False
        self.launch_t_s: float | None = None   # onboard time of the lander's throw
        self.mode_t0 = 0.0
        self.t_ign: list[float | None] = [None, None]
        self.k1 = 1.0                           # stage-1 motor-scale estimate
        self.acs = ACS_OFF                      # the control law last commanded
        self._thrust = ThrustModel()            # the thrust model last published
        self._last_t: float | None = None
        self._restart_pending = False
        self._restoring = False
        self._orbit_seen = False                # orbit channels set from a navigated state
        self.loading, self.checkout, self.count = Loading(self), Checkout(self), Count(self)
        self.stage1, self.coast, self.stage2 = Stage1(self), Coast(self), Stage2(self)
        self.insertion, self.end = Insertion(self), End(self)
        self.degraded = Degradation(self)
        self.phases: tuple[Phase, ...] = (self.loading, self.checkout, self.count, self.stage1, self.coast,
                                          self.stage2, self.insertion, self.end)
        self.phase_of = phase_table(self.phases, MAV_MODES.modes)

    # ------------------------------------------------------------ ports
    @property
    def nav_state(self) -> NavState | None:
        """The latest NAV_STATE (None before the navigator first published)."""
        return self.ports.latest.get(NAV_STATE.name)

    @property
    def nav_model(self) -> NavModel:
        """The latest NAV_MODEL (the vehicle build publishes it once wired)."""
        return self.ports.latest.get(NAV_MODEL.name)

    @property
    def acs_status(self) -> AcsStatus:
        return self.ports.latest.get(ACS_STATUS.name, ACS_INITIAL)

    @property
    def thermal_status(self) -> ThermalStatus:
        return self.ports.latest.get(THERMAL_STATUS.name, NO_THERMAL)

    def orbit(self, nav: NavState) -> Apsides:
        """The osculating orbit of a navigated state."""
        return apsides(nav.r, nav.v, self.nav_model.gm)

    def _orbit_tlm(self, nav: NavState) -> None:
        ap = self.orbit(nav)
        re = self.nav_model.radius_eq_m
        tlm = self.tlm
        tlm["periapsis_km"] = (ap.periapsis_m - re) / 1e3
        tlm["apoapsis_km"] = (ap.apoapsis_m - re) / 1e3 if math.isfinite(ap.apoapsis_m) else -1.0
        tlm["inclination_deg"] = math.degrees(ap.inclination_rad)

    def _on_nav_state(self, nav: NavState) -> None:
        """The first navigated state (the navigator starts after the step that saw the throw)
        sets the orbit channels at once, as they were set in that step before the split."""
        if not self._orbit_seen and nav.active:
            self._orbit_seen = True
            self._orbit_tlm(nav)

    def set_law(self, law: str, target=None, spin_rate: float | None = None) -> None:
        a = self.acs
        self._command(AcsCommand(law, a.target if target is None else tuple(target),
                                 a.spin_rate if spin_rate is None else spin_rate, a.trim_force))

    def stop_control(self) -> None:
        a = self.acs
        self._command(AcsCommand(ctl.OFF, a.target, a.spin_rate, a.trim_force, stop=True))

    def set_trim_force(self, force: tuple[float, float, float]) -> None:
        a = self.acs
        self._command(AcsCommand(a.law, a.target, a.spin_rate, force))

    def _command(self, cmd: AcsCommand) -> None:
        self.acs = cmd
        self.publish(ACS_COMMAND, cmd)

    def publish_thrust(self, k: int | None) -> None:
        """THRUST_MODEL of stage k from the parameters (None: no motor burns)."""
        self._thrust = ThrustModel() if k is None else \
            ThrustModel(self.stage(k), self.t_ign[k - 1], self.k1 if k == 1 else 1.0)
        self.publish(THRUST_MODEL, self._thrust)

    def rescale_thrust(self) -> None:
        """THRUST_MODEL again with the new stage-1 motor scale (the same stage model, whose
        thrust tables are then built once a burn, as when the navigator held a closure)."""
        self._thrust = ThrustModel(self._thrust.stage, self._thrust.t_ignition_s, self.k1)
        self.publish(THRUST_MODEL, self._thrust)

    def _publish_phase(self) -> None:
        launch_ns = int(round(self.launch_t_s * NS_PER_S)) if self.launched else None
        self.publish(FLIGHT_PHASE, FlightPhase(self.mode, launch_ns))

    # ------------------------------------------------------------ models from parameters
    def target(self) -> AscentTarget:
        p, m = self.params, self.nav_model
        return AscentTarget(m.radius_eq_m + 1e3 * p["target_alt_km"], math.radians(p["target_inc_deg"]), m.gm)

    def stage(self, k: int) -> StageModel:
        p = self.params
        s = f"stage{k}_"
        return StageModel(p[s + "isp_s"] * G0, p[s + "burn_s"], p[s + "mass_ignition_kg"], p[s + "mass_burnout_kg"])

    # ------------------------------------------------------------ guards (modes.py)
    def grain_warm(self) -> bool:
        return self.thermal_status.grain_min_C > self.params["min_grain_C"]

    def rcs_warm(self) -> bool:
        return self.thermal_status.rcs_min_C > self.params["min_rcs_C"]

    def thermal_ok(self) -> bool:
        return self.grain_warm() and self.rcs_warm()

    def os_sealed(self) -> bool:
        return self.loading.os_sealed()

    def checkout_passed(self) -> bool:
        return self.checkout.passed

    def ero_plane_angle_deg(self) -> float:
        """Angle of the launch site (at the planned launch time) out of the ERO's plane."""
        p = self.params
        raan, inc = math.radians(p["ero_raan_deg"]), math.radians(p["ero_inc_deg"])
        n = (math.sin(raan) * math.sin(inc), -math.cos(raan) * math.sin(inc), math.cos(inc))
        r, _ = self.nav_model.site_state(int(p["launch_time_s"] * NS_PER_S))
        return math.degrees(math.asin(max(-1.0, min(1.0, dot(r, n) / norm(r)))))

    def ero_plane_ok(self) -> bool:
        p = self.params
        tol = p["ero_plane_tol_deg"]
        return abs(self.ero_plane_angle_deg()) <= tol and abs(p["ero_inc_deg"] - p["target_inc_deg"]) <= tol

    def spin_ok(self) -> bool:
        return self.coast.spin_ok()

    def in_orbit(self) -> bool:
        nav = self.nav_state
        return self.launched and nav is not None and nav.active and \
            self.orbit(nav).periapsis_m - self.nav_model.radius_eq_m > 1e3 * self.params["in_orbit_periapsis_km"]

    def has_launched(self) -> bool:
        return self.launched

    def failed_interlocks(self) -> list[str]:
        return self.count.failed_interlocks()

    # ------------------------------------------------------------ shared actions
    def go(self, trigger: str) -> None:
        if not self.trigger(trigger):
            raise CommandError(f"{trigger} refused in {self.mode}")

    def abort(self, cause: str) -> None:
        self.emit("ABORT_CAUSE", cause=cause)
        self.go("abort")

    def launched_at(self, t: float) -> None:
        """The lander threw the MAV at t: custody aboard, navigation from the site state
        (FLIGHT_PHASE starts the navigator and turns the enclosure heaters off)."""
        self.launched = True
        self.launch_t_s = t
        for tube in self.custody.tubes_at("os"):
            self.custody.move(tube, "os", "mav")
        self.mode_t0 = t
        self._publish_phase()

    # ------------------------------------------------------------ commands (ground)
    _cmd_start_conditioning = trigger_command("START_CONDITIONING", "start_conditioning", ("STOWED",))
    _cmd_begin_loading = trigger_command("BEGIN_LOADING", "begin_loading", ("THERMAL_CONDITIONING",))
    _cmd_end_loading_session = trigger_command("END_LOADING_SESSION", "end_loading_session", ("OS_LOADING",))
    _cmd_begin_checkout = trigger_command("BEGIN_CHECKOUT", "begin_checkout", ("THERMAL_CONDITIONING",))
    _cmd_hold = trigger_command("HOLD", "hold_count", ("CHECKOUT", "COUNTDOWN", "ARMED"))
    _cmd_resume = trigger_command("RESUME", "resume_count", ("HOLD",))
    _cmd_recheck = trigger_command("RECHECK", "recheck", ("HOLD",))
    _cmd_recondition = trigger_command("RECONDITION", "recondition", ("HOLD",))
    _cmd_safe = trigger_command("SAFE", "safe", None)
    _cmd_recover = trigger_command("RECOVER", "recover", ("SAFE",))
    _cmd_release_os = trigger_command("RELEASE_OS", "release_os", ("ABORT", "SAFE"))

    @command("EXPECT_TUBES", Arg("tubes", str, doc="comma-separated tube ids"),
             modes=("STOWED", "THERMAL_CONDITIONING", "OS_LOADING"))
    def _cmd_expect_tubes(self, tubes: str) -> None:
        self.loading.expect(tubes)

    @command("OS_TUBE_LOADED", Arg("tube", int, 1, 0xFFFF), modes=("OS_LOADING",),
             doc="The lander reports a tube inserted into the OS")
    def _cmd_os_tube_loaded(self, tube: int) -> None:
        self.loading.tube_loaded(tube)

    @command("SEAL_OS", modes=("OS_LOADING", "THERMAL_CONDITIONING"))
    def _cmd_seal_os(self) -> None:
        self.loading.seal()

    @command("ABORT", modes=IN_FLIGHT)
    def _cmd_abort(self) -> None:
        self.abort("ground command")

    # ------------------------------------------------------------ lifecycle
    def on_mode_change(self, source: str, dest: str) -> None:
        if not self._restoring:
            old, new = self.phase_of.get(source), self.phase_of.get(dest)
            if old is not None:
                old.on_inactivation(source)
            if new is not None:
                new.on_activation(dest)
        self._publish_phase()

    def step(self, t_ns: int) -> None:
        t = t_ns / NS_PER_S
        prev = self._last_t
        dt = 0.0 if prev is None else t - prev
        self._last_t = t
        if self._restart_pending:
            self._restart_pending = False
            restart.apply(self, t, prev)
        mode = self.mode
        if mode not in DEGRADABLE or self.degraded.healthy(t_ns, t):
            phase = self.phase_of.get(mode)
            if phase is not None:
                phase.on_active(mode, t, dt)
        nav = self.nav_state
        if nav is not None and nav.active:
            self._orbit_tlm(nav)

    def quiet(self) -> bool:
        """True in a long phase with nothing to control (the settled coast before the spin-up
        preparation, the coast between the insertion trims): the RCS is off and the vehicle
        then runs its 1 Hz quiet rate set (`MavVehicle.install`)."""
        t = self._last_t
        if t is None or self.acs.law != ctl.OFF or "rcs" in self.degraded.causes:
            return False   # a failed RCS is probed by the attitude control, which quiet stepping idles
        if self.mode == "COAST":
            return self.coast.quiet_window(t)
        if self.mode == "ORBIT_INSERTION":
            return self.insertion.quiet(t)
        return False

    def rate_set(self) -> str:
        """The executive rate set this phase needs (`MavVehicle.install`): "quiet" (1 Hz) in a
        settled coast, "coast" (10 Hz) on the ground before arming and whenever the RCS
        only points, trims or rests at low body rates, else "nominal" (50 Hz: the count from
        arming, the burns, spinning and despinning)."""
        if self.quiet():
            return "quiet"
        nav = self.nav_state
        rate = nav.rate if nav is not None else (0.0, 0.0, 0.0)
        if self.mode in COARSE_MODES and self.acs.law in COARSE_LAWS \
                and max(abs(w) for w in rate) < self.params["coarse_rate_max_radps"]:
            return "coast"
        return "nominal"

    @property
    def plan(self):
        """The current stage-2 plan (None before stage-1 burnout)."""
        return self.coast.plan

    # ------------------------------------------------------------ warm restart
    def checkpoint_state(self) -> dict:
        state = super().checkpoint_state() | {
            "custody": self.custody.snapshot(), "launched": self.launched, "launch_t_s": self.launch_t_s,
            "mode_t0": self.mode_t0, "t_ign": list(self.t_ign), "k1": self.k1, "last_t": self._last_t,
            "acs": [self.acs.law, list(self.acs.target), self.acs.spin_rate, list(self.acs.trim_force)]}
        for ph in self.phases + (self.degraded,):
            state |= ph.checkpoint()
        return state

    def restore_state(self, state: Mapping[str, Any]) -> None:
        """Everything `checkpoint_state` saved; the guidance solvers are rebuilt from the
        parameters on first use, warm-started from the saved solution and plan. The restart
        rule runs on the first step (it needs the time)."""
        self._restoring = True
        try:
            super().restore_state(state)
        finally:
            self._restoring = False
        self.custody.restore((int(tube), str(loc)) for tube, loc in state.get("custody", ()))
        self.tlm["tubes_in_os"] = self.custody.count("os")
        self.launched = bool(state.get("launched", False))
        self.launch_t_s = opt_float(state.get("launch_t_s"))
        self.mode_t0 = float(state.get("mode_t0", 0.0))
        t_ign = list(state.get("t_ign", (None, None)))
        if len(t_ign) != 2:
            raise ValueError("flight checkpoint: t_ign needs two entries")
        self.t_ign = [opt_float(x) for x in t_ign]
        self.k1 = float(state.get("k1", 1.0))
        self._last_t = opt_float(state.get("last_t"))
        a = state.get("acs")
        self.acs = ACS_OFF if a is None else AcsCommand(str(a[0]), tuple(float(x) for x in a[1]), float(a[2]),
                                                        tuple(float(x) for x in a[3]))
        for ph in self.phases + (self.degraded,):
            ph.restore(state)
        mode = self.mode
        if mode in ("STAGE1_BURN", "STAGE2_BURN"):
            self.publish_thrust(1 if mode == "STAGE1_BURN" else 2)
        self._publish_phase()
        self._restart_pending = True


__all__ = ["MavFlightManager"]
