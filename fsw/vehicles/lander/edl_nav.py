"""EDL navigation: the IMU integrated from the entry state, then radar and map fixes.

From the uplinked entry state (`ENTRY_STATE`: Mars-fixed position and Mars-relative velocity
at the entry interface, as the ground's orbit determination knows them, kilometres off), the
navigator integrates the IMU's specific force with the onboard gravity (point mass + J2) and
Mars rotation, Heun's rule with the force interpolated between samples. The 3-DOF IMU gives
the force on the site frame's axes (attitude known) and the bank rate, whose integral is the
bank estimate entry guidance steers. Aiding once the heatshield is off: the radar altimeter
(the first range takes the altitude wholesale, later ones are gated and blended), the three
terminal-descent-sensor beams (their Doppler rates solved for the velocity) and the
terrain-relative fixes (`apply_fix`: position, from the TRN component). At backshell
separation the lander takes the state (`handover`) and this navigator stops.

Riding through: a missing, frozen or implausible IMU sample is replaced by the last good
specific force, held in the velocity-aligned frame and scaled with the model's dynamic
pressure (drag follows the air); a gap with no step at all (a processor reset, a crashed
step) is propagated the same way. Mach uses the onboard temperature profile; the dynamic
pressure and the density scale (measured drag over the model's) come from the accelerometer.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Mapping

from fsw.core.component import Component, CommandError, command
from fsw.core.declarations import Arg, Channel, Param
from fsw.core.events import EventDef, Severity
from fsw.core.time import NS_PER_S
from fsw.gnc.entry_guidance import EntryModel
from fsw.gnc.entry_nav import from_frame, propagate, solve3, to_frame, velocity_frame
from fsw.gnc.kepler import norm
from fsw.gnc.site_frame import SiteFrame

from .edl_common import DeviceReader, NavState

Vec = tuple[float, float, float]


class EdlNavigator(Component):
    CHANNELS = (
        Channel("active", bool), Channel("x_m", float, "m"), Channel("y_m", float, "m"), Channel("z_m", float, "m"),
        Channel("vx_mps", float, "m/s"), Channel("vy_mps", float, "m/s"), Channel("vz_mps", float, "m/s"),
        Channel("height_m", float, "m", "above the map's ground under the estimate"),
        Channel("speed_mps", float, "m/s"), Channel("mach", float), Channel("qbar_Pa", float, "Pa"),
        Channel("decel_g", float, "g", "measured specific force, Earth g"), Channel("density_scale", float),
        Channel("bank_deg", float, "deg"), Channel("pos_sigma_m", float, "m"),
        Channel("imu_valid", bool), Channel("imu_faults", int), Channel("radar_locked", bool),
        Channel("radar_faults", int), Channel("radar_rejects", int), Channel("tds_faults", int),
        Channel("velocity_updates", int), Channel("trn_fixes", int), Channel("nav_gaps", int),
    )
    EVENTS = (
        EventDef("NAV_STARTED", Severity.ACTIVITY_HI, "entry navigation from the uplinked state"),
        EventDef("NAV_DEVICE_FAULT", Severity.WARNING_HI, "{device}: {reason}", device=str, reason=str),
        EventDef("RADAR_LOCK", Severity.ACTIVITY_HI, "radar altitude {height_m} m, navigation off by {residual_m} m", height_m=float, residual_m=float),
        EventDef("NAV_GAP", Severity.WARNING_HI, "no navigation for {gap_s} s: propagated on the aero model", gap_s=float),
        EventDef("TRN_APPLIED", Severity.ACTIVITY_HI, "map fix moved navigation {dx_m}, {dy_m} m (sigma {sigma_m} m)", dx_m=float, dy_m=float, sigma_m=float),
        EventDef("HANDED_OVER", Severity.ACTIVITY_HI, "navigation handed to the lander at {height_m} m", height_m=float),
    )
    PARAMS = (
        Param("entry_pos_sigma_m", float, 1.0, 1e5, default=1000.0, doc="knowledge of the entry position, 1 sigma"),
        Param("vel_sigma_mps", float, 0.0, 100.0, default=0.5, doc="velocity knowledge: position sigma grows at this"),
        Param("accel_max_mps2", float, 10.0, 1000.0, default=250.0, doc="specific force above this is rejected"),
        Param("t0_K", float, 100.0, 350.0, default=230.0), Param("lapse_Kpm", float, 0.0, 0.01, default=1.8e-3),
        Param("t_min_K", float, 80.0, 300.0, default=145.0), Param("gamma", float, 1.0, 2.0, default=1.30),
        Param("density_gain", float, 0.0, 1.0, default=0.05, doc="per 50 Hz sample"),
        Param("radar_first_gate_m", float, 10.0, 20000.0, default=5000.0),
        Param("radar_gate_m", float, 1.0, 1000.0, default=40.0),
        Param("radar_gain", float, 0.0, 1.0, default=0.1),
        Param("tds_first_gate_mps", float, 0.1, 2000.0, default=600.0),
        Param("model_sigma_mps", float, 0.0, 1000.0, default=30.0,
              doc="position uncertainty grows at this while the aero model stands in for the IMU"),
        Param("tds_gate_mps", float, 0.1, 100.0, default=3.0),
        Param("tds_gain", float, 0.0, 1.0, default=0.03, doc="per 10 Hz sample: the IMU carries the velocity between"),
        Param("stale_reads", int, 1, 100, default=2),
    )

    def __init__(self, name: str = "edlnav", *, imu=None, altimeter=None, beams=(), beam_dirs: tuple[Vec, ...] = (),
                 site: SiteFrame = SiteFrame.from_deg(), model: EntryModel = EntryModel(),
                 ground_height: Callable[[float, float], float] = lambda x, y: 0.0,
                 radar_on: Callable[[], bool] = lambda: False, capsule_only: Callable[[], bool] = lambda: True,
                 rate_hz: int = 50, tds_divisor: int = 5) -> None:
        super().__init__(name)
        self.imu, self.altimeter, self.beams = imu, altimeter, tuple(beams)
        self.beam_dirs = tuple(beam_dirs)
        self.site, self.model, self.ground_height, self.radar_on = site, model, ground_height, radar_on
        self.capsule_only = capsule_only      # no parachute yet: the drag is the capsule's
        self.dt = 1.0 / rate_hz
        self.tds_divisor = tds_divisor
        self.reader = DeviceReader(self._device_fault)
        self.active = False
        self.handed_over = False
        self.r: Vec = (0.0, 0.0, 0.0)
        self.v: Vec = (0.0, 0.0, 0.0)
        self.f: Vec = (0.0, 0.0, 0.0)            # specific force used last (Mars-fixed)
        self.f_ok_frame: Vec = (0.0, 0.0, 0.0)   # last good force: along -v, lift-up, right
        self.q_ok = 0.0                          # model dynamic pressure when it was measured
        self.bank = 0.0
        self.bank_rate = 0.0
        self.density_scale = 1.0
        self.imu_ok = False
        self.radar_locked = False
        self.tds_locked = False
        self.t_ns: int | None = None
        self.t_fix_ns = 0
        self.sigma_fix = 0.0
        self._ticks = 0
        self._cache: NavState | None = None

    # ------------------------------------------------------------ interface for the others
    def state(self) -> NavState | None:
        """The current estimate (computed once per step; a fix invalidates it)."""
        if not self.active:
            return None
        c = self._cache
        if c is not None and c.t_ns == (self.t_ns or 0):
            return c
        p = self.site.to_local(self.r)
        vl = self.site.vec_to_local(self.v)
        speed = norm(self.v)
        alt = norm(self.r) - self.model.radius_ref_m
        self._cache = NavState(self.t_ns or 0, self.r, self.v, p, vl, p[2] - self.ground_height(p[0], p[1]), speed,
                               speed / self.speed_of_sound(alt),
                               0.5 * self.model.density(alt, self.density_scale) * speed * speed,
                               norm(self.f), self.density_scale, self.bank, self.bank_rate, self.pos_sigma(),
                               self.imu_ok, self.radar_locked)
        return self._cache

    def pos_sigma(self) -> float:
        t = 0 if self.t_ns is None else self.t_ns - self.t_fix_ns
        return self.sigma_fix + self.params["vel_sigma_mps"] * t / NS_PER_S

    def apply_fix(self, dx_m: float, dy_m: float, sigma_m: float) -> bool:
        """A terrain-relative fix (site frame: the position it measures minus the estimate),
        weighed against the estimate's own sigma (a scalar Kalman update per axis)."""
        if not self.active or self.handed_over:
            return False
        p2, r2 = self.pos_sigma() ** 2, max(float(sigma_m), 1e-3) ** 2
        k = p2 / (p2 + r2)
        dx_m, dy_m, sigma_m = k * dx_m, k * dy_m, math.sqrt(p2 * r2 / (p2 + r2))
        e, n = self.site.east, self.site.north
        self.r = (self.r[0] + dx_m * e[0] + dy_m * n[0], self.r[1] + dx_m * e[1] + dy_m * n[1],
                  self.r[2] + dx_m * e[2] + dy_m * n[2])
        self.sigma_fix, self.t_fix_ns = float(sigma_m), self.t_ns or 0
        self._cache = None
        self.tlm["trn_fixes"] += 1
        self.emit("TRN_APPLIED", dx_m=round(dx_m, 2), dy_m=round(dy_m, 2), sigma_m=round(sigma_m, 2))
        return True

    def handover(self) -> tuple[Vec, Vec]:
        """The local state for powered descent; this navigator stops."""
        s = self.state()
        self.handed_over = True
        self.tlm["active"] = False
        self.emit("HANDED_OVER", height_m=round(s.height_m, 1))
        return s.p_local, s.v_local

    def speed_of_sound(self, altitude_m: float) -> float:
        p = self.params
        return math.sqrt(p["gamma"] * 188.92 * max(p["t0_K"] - p["lapse_Kpm"] * altitude_m, p["t_min_K"]))

    # ------------------------------------------------------------ commands
    @command("ENTRY_STATE", Arg("x_m", float, -1e7, 1e7), Arg("y_m", float, -1e7, 1e7), Arg("z_m", float, -1e7, 1e7),
             Arg("vx_mps", float, -1e4, 1e4), Arg("vy_mps", float, -1e4, 1e4), Arg("vz_mps", float, -1e4, 1e4),
             Arg("bank_deg", float, -180.0, 180.0), doc="Entry state (Mars-fixed, Mars-relative velocity)")
    def _cmd_entry_state(self, x_m, y_m, z_m, vx_mps, vy_mps, vz_mps, bank_deg) -> None:
        if self.handed_over:
            raise CommandError("navigation already handed over")
        if not 3.0e6 < math.sqrt(x_m * x_m + y_m * y_m + z_m * z_m) < 4.0e6:
            raise CommandError("entry position is not near Mars")
        self.r, self.v = (x_m, y_m, z_m), (vx_mps, vy_mps, vz_mps)
        self.bank, self.bank_rate, self.f = math.radians(bank_deg), 0.0, (0.0, 0.0, 0.0)
        self.active, self.t_ns, self._cache = True, None, None
        self.sigma_fix, self.t_fix_ns = self.params["entry_pos_sigma_m"], 0
        self.tlm["active"] = True
        self.emit("NAV_STARTED")

    # ------------------------------------------------------------ navigation
    def _device_fault(self, device: str, reason: str) -> None:
        self.emit("NAV_DEVICE_FAULT", device=device, reason=reason)

    def _model_force(self) -> Vec:
        """The last good specific force, held in the velocity frame, scaled with the dynamic
        pressure; under the parachute (its drag dwarfs what was measured before it opened)
        the drag of the capsule and the canopy from the onboard model."""
        alt = norm(self.r) - self.model.radius_ref_m
        if not self.capsule_only():
            m = self.model
            vn = norm(self.v)
            k = 0.5 * m.density(alt, self.density_scale) * vn * (m.cd_area_m2 + m.chute_cd_area_subsonic_m2) / m.mass_kg
            return (-k * self.v[0], -k * self.v[1], -k * self.v[2])
        if self.q_ok <= 0.0:
            return self.f
        s = self.model.density(alt) * norm(self.v) ** 2 / self.q_ok
        return from_frame(self.f_ok_frame, velocity_frame(self.r, self.v), s)

    def _integrate(self, dt: float, f_new: Vec) -> None:
        self.r, self.v = propagate(self.r, self.v, self.f, f_new, dt, self.model)
        self.f = f_new

    def step(self, t_ns: int) -> None:
        if not self.active or self.handed_over:
            return
        self._cache = None
        dt = self.dt
        if self.t_ns is not None:
            gap = (t_ns - self.t_ns) / NS_PER_S - dt
            if gap > 0.5 * dt:                # a reset or a crashed step: no samples for `gap`
                n = max(1, math.ceil(gap / 0.1))
                for _ in range(n):
                    self._integrate(gap / n, self._model_force())
                self.sigma_fix += self.params["model_sigma_mps"] * gap
                self.tlm["nav_gaps"] += 1
                self.emit("NAV_GAP", gap_s=round(gap, 3))
        first = self.t_ns is None
        self.t_ns = t_ns
        self.reader.stale_reads = self.params["stale_reads"]
        s = self.reader.read(self.imu)
        f_new = None
        if s is not None:
            fl = s.accel_mps2
            if math.sqrt(fl[0] * fl[0] + fl[1] * fl[1] + fl[2] * fl[2]) <= self.params["accel_max_mps2"]:
                f_new = self.site.vec_to_mcmf(fl)
                self.bank_rate = float(s.rate_radps[0])
        self.imu_ok = f_new is not None
        if f_new is None:
            self.tlm["imu_faults"] += 1
            f_new = self._model_force()
            self.sigma_fix += (self.params["model_sigma_mps"] - self.params["vel_sigma_mps"]) * dt
        if not first:
            self._integrate(dt, f_new)
            self.bank = math.remainder(self.bank + dt * self.bank_rate, 2.0 * math.pi)
        else:
            self.f = f_new
        if self.imu_ok:
            self._learn_force(f_new)
        self._ticks += 1
        if self.radar_on():
            self._radar()
            if self._ticks % self.tds_divisor == 0:
                self._velocimeter()
        self._publish()

    def _learn_force(self, f: Vec) -> None:
        """Keep the force in the velocity frame (for outages) and the measured density scale."""
        alt = norm(self.r) - self.model.radius_ref_m
        vn = norm(self.v)
        q = self.model.density(alt) * vn * vn
        fm = norm(f)
        if q <= 0.0 or fm < 0.05:
            return
        self.f_ok_frame = to_frame(f, velocity_frame(self.r, self.v))
        self.q_ok = q
        if fm > 2.0 and self.f_ok_frame[0] > 0.0 and self.capsule_only():   # density over the model's
            drag = fm / math.sqrt(1.0 + self.model.lift_to_drag ** 2)
            measured = 2.0 * self.model.ballistic_coefficient * drag / q
            self.density_scale += self.params["density_gain"] * (measured - self.density_scale)

    def _radar(self) -> None:
        s = self.reader.read(self.altimeter)
        if s is None:
            self.tlm["radar_faults"] = self.reader.faults
            return
        if not s.valid:
            return
        p = self.site.to_local(self.r)
        resid = float(s.range_m) + self.ground_height(p[0], p[1]) - p[2]
        gate = self.params["radar_gate_m"] if self.radar_locked else self.params["radar_first_gate_m"]
        if abs(resid) > gate:
            self.tlm["radar_rejects"] += 1
            return
        gain = self.params["radar_gain"] if self.radar_locked else 1.0
        if not self.radar_locked:
            self.radar_locked = True
            self.emit("RADAR_LOCK", height_m=round(float(s.range_m), 1), residual_m=round(resid, 1))
        u = self.site.up
        k = gain * resid
        self.r = (self.r[0] + k * u[0], self.r[1] + k * u[1], self.r[2] + k * u[2])
        self._cache = None

    def _velocimeter(self) -> None:
        rates = []
        for dev in self.beams:
            s = self.reader.read(dev)
            if s is None or not s.valid:
                self.tlm["tds_faults"] = self.reader.faults if s is None else self.tlm["tds_faults"]
                return
            rates.append(-float(s.range_rate_mps))
        vm = solve3(self.beam_dirs, (rates[0], rates[1], rates[2]))
        vl = self.site.vec_to_local(self.v)
        res = (vm[0] - vl[0], vm[1] - vl[1], vm[2] - vl[2])
        gate = self.params["tds_gate_mps"] if self.tds_locked else self.params["tds_first_gate_mps"]
        if norm(res) > gate:
            return
        k = self.params["tds_gain"] if self.tds_locked else 1.0
        self.tds_locked = True
        dv = self.site.vec_to_mcmf((k * res[0], k * res[1], k * res[2]))
        self.v = (self.v[0] + dv[0], self.v[1] + dv[1], self.v[2] + dv[2])
        self._cache = None
        self.tlm["velocity_updates"] += 1

    def _publish(self) -> None:
        s = self.state()
        tl = self.tlm
        tl["x_m"], tl["y_m"], tl["z_m"] = s.p_local
        tl["vx_mps"], tl["vy_mps"], tl["vz_mps"] = s.v_local
        tl["height_m"], tl["speed_mps"], tl["mach"], tl["qbar_Pa"] = s.height_m, s.speed_mps, s.mach, s.qbar_Pa
        tl["decel_g"] = s.decel_mps2 / 9.80665
        tl["density_scale"], tl["bank_deg"], tl["pos_sigma_m"] = s.density_scale, math.degrees(s.bank_rad), s.pos_sigma_m
        tl["imu_valid"], tl["radar_locked"] = s.imu_ok, s.radar_locked

    # ------------------------------------------------------------ warm restart
    def checkpoint_state(self) -> dict[str, Any]:
        return super().checkpoint_state() | {"nav": {
            "active": self.active, "handed_over": self.handed_over, "t_ns": self.t_ns, "r": list(self.r),
            "v": list(self.v), "f": list(self.f), "f_ok_frame": list(self.f_ok_frame), "q_ok": self.q_ok,
            "bank": self.bank, "bank_rate": self.bank_rate, "density_scale": self.density_scale,
            "radar_locked": self.radar_locked, "tds_locked": self.tds_locked, "t_fix_ns": self.t_fix_ns,
            "sigma_fix": self.sigma_fix, "ticks": self._ticks,
            "tlm": {k: self.tlm[k] for k in ("imu_faults", "radar_faults", "radar_rejects", "tds_faults",
                                             "velocity_updates", "trn_fixes", "nav_gaps")}}}

    def restore_state(self, state: Mapping[str, Any]) -> None:
        """The whole estimate; the next step propagates it over the reset's gap on the model."""
        super().restore_state(state)
        n = state.get("nav")
        if not n:
            return
        self.active, self.handed_over = bool(n["active"]), bool(n["handed_over"])
        self.t_ns = None if n["t_ns"] is None else int(n["t_ns"])
        self.r, self.v, self.f = (tuple(float(c) for c in n[k]) for k in ("r", "v", "f"))
        self.f_ok_frame = tuple(float(c) for c in n["f_ok_frame"])
        self.q_ok, self.bank, self.bank_rate = float(n["q_ok"]), float(n["bank"]), float(n["bank_rate"])
        self.density_scale = float(n["density_scale"])
        self.radar_locked, self.tds_locked = bool(n["radar_locked"]), bool(n["tds_locked"])
        self.t_fix_ns, self.sigma_fix, self._ticks = int(n["t_fix_ns"]), float(n["sigma_fix"]), int(n["ticks"])
        for k, v in n.get("tlm", {}).items():
            if k in self.tlm:
                self.tlm[k] = v
        self.tlm["active"] = self.active and not self.handed_over
        self._cache = None


__all__ = ["EdlNavigator"]
