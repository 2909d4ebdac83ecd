"""Entry guidance: flies the bank angle from the entry interface to the parachute.

Phases (the mode table): PREBANK holds the initial bank until the drag is sensed (0.2 g),
RANGE_CONTROL runs the predictor-corrector (fsw.gnc.entry_guidance) every
`guidance_period_s` with bank reversals in the cross-range corridor, HEADING_ALIGNMENT steers
out the cross-range below the alignment speed (the bank's sign only), DONE once the parachute is
out (the RCS goes quiet under the canopy). Every control cycle the bank command is shaped to
the RCS's limits (`rate_max_dps`, `accel_max_dps2`; a reversal goes through lift-up, the
short way) and tracked with a PD law on the navigator's bank estimate and the gyro's rate,
as a roll torque to the RCS.
"""
from __future__ import annotations

import math
from typing import Any, Mapping

from fsw.core.component import Component
from fsw.core.declarations import Channel, Param
from fsw.core.events import EventDef, Severity
from fsw.core.modes import ModeTable, T
from fsw.core.time import NS_PER_S
from fsw.gnc import entry_guidance as eg
from fsw.gnc.site_frame import SiteFrame
from hal.errors import DeviceFault

from .edl_common import EdlLinks

ENTRY_MODES = ModeTable(
    modes=("IDLE", "PREBANK", "RANGE_CONTROL", "HEADING_ALIGNMENT", "DONE"),
    initial="IDLE",
    terminal=("DONE",),
    transitions=(
        T("start", "IDLE", "PREBANK", "entry_interface_passed"),
        T("sense_atmosphere", "PREBANK", "RANGE_CONTROL", "drag_sensed"),
        T("align", ("PREBANK", "RANGE_CONTROL"), "HEADING_ALIGNMENT", "below_alignment_speed"),
        T("finish", ("IDLE", "PREBANK", "RANGE_CONTROL", "HEADING_ALIGNMENT"), "DONE", "parachute_out"),
    ),
)


class EntryGuidance(Component):
    MODES = ENTRY_MODES
    CHANNELS = (
        Channel("bank_cmd_deg", float, "deg"), Channel("bank_ref_deg", float, "deg"),
        Channel("torque_Nm", float, "N m"), Channel("range_error_m", float, "m", "predicted, > 0: short"),
        Channel("range_to_go_m", float, "m"), Channel("crossrange_m", float, "m", "target right of the track"),
        Channel("reversals", int), Channel("guidance_cycles", int), Channel("rcs_faults", int),
    )
    EVENTS = (
        EventDef("BANK_REVERSAL", Severity.ACTIVITY_LO, "bank to {bank_deg} deg: cross-range {crossrange_m} m at {speed_mps} m/s", bank_deg=float, crossrange_m=float, speed_mps=float),
        EventDef("RCS_FAULT", Severity.WARNING_HI, "{error}", error=str),
    )
    PARAMS = (
        Param("initial_bank_deg", float, 0.0, 180.0, default=60.0),
        Param("drag_sensed_g", float, 0.01, 2.0, default=0.2),
        Param("guidance_period_s", float, 0.2, 20.0, default=2.0),
        Param("rate_max_dps", float, 1.0, 90.0, default=20.0),
        Param("accel_max_dps2", float, 0.5, 50.0, default=4.5),
        Param("kp", float, 0.0, 100.0, default=1.2), Param("kd", float, 0.0, 100.0, default=2.0),
        Param("inertia_kgm2", float, 1.0, 1e6, default=4500.0),
    )

    def __init__(self, name: str = "entry", *, rcs=None, links: EdlLinks | None = None,
                 model: eg.EntryModel = eg.EntryModel(), settings: eg.EntryGuidanceSettings = eg.EntryGuidanceSettings(),
                 site: SiteFrame = SiteFrame.from_deg(), rate_hz: int = 50) -> None:
        super().__init__(name)
        self.rcs = rcs
        self.links = links or EdlLinks()
        self.model, self.settings = model, settings
        self.site = site
        self.dt = 1.0 / rate_hz
        self.bank_cmd = 0.0            # signed, rad
        self.sign = 1.0
        self.ref = 0.0                 # shaped reference and its rate
        self.ref_rate = 0.0
        self._next_guidance_ns = 0
        self._nav = None

    # ------------------------------------------------------------ guards
    def entry_interface_passed(self) -> bool:
        return self.links.lander_mode() == "ENTRY" and self.links.nav() is not None

    def drag_sensed(self) -> bool:
        return self._nav is not None and self._nav.decel_mps2 >= self.params["drag_sensed_g"] * eg.G0

    def below_alignment_speed(self) -> bool:
        return self._nav is not None and self._nav.speed_mps < self.settings.v_align_mps

    def parachute_out(self) -> bool:
        return self.links.edl_phase() not in (None, "IDLE", "ARMED")

    # ------------------------------------------------------------ step (control rate)
    def step(self, t_ns: int) -> None:
        self._nav = nav = self.links.nav()
        mode = self.mode
        if mode == "DONE":
            return
        if self.parachute_out():
            self.trigger("finish")
            self._torque(0.0)
            return
        if mode == "IDLE":
            if not self.entry_interface_passed():
                return
            self.trigger("start")
            self.ref = nav.bank_rad
            self.bank_cmd = math.copysign(math.radians(self.params["initial_bank_deg"]), self.sign)
        if nav is None:
            return
        if self.mode == "PREBANK" and self.drag_sensed():
            self.trigger("sense_atmosphere")
            self._next_guidance_ns = t_ns
        if self.mode in ("PREBANK", "RANGE_CONTROL") and self.below_alignment_speed():
            self.trigger("align")
        if self.mode == "RANGE_CONTROL" and t_ns >= self._next_guidance_ns:
            self._next_guidance_ns = t_ns + int(self.params["guidance_period_s"] * NS_PER_S)
            self._range_control(nav)
        elif self.mode == "HEADING_ALIGNMENT":
            xr = eg.crossrange_m(nav.r, nav.v, self._target())
            self.tlm["crossrange_m"] = xr
            self.bank_cmd = eg.alignment_bank(math.copysign(1.0, self.bank_cmd), xr, self.settings)
        self._control(nav)

    def _range_control(self, nav) -> None:
        s = self.settings
        target = self._target()
        mag, err = eg.correct_bank(nav.r, nav.v, abs(self.bank_cmd), target, s, self.model, nav.density_scale)
        self.tlm["guidance_cycles"] += 1
        xr = eg.crossrange_m(nav.r, nav.v, target)
        sign = eg.lateral_sign(self.sign, xr, nav.speed_mps, s)
        if sign != self.sign:
            self.sign = sign
            self.tlm["reversals"] += 1
            self.emit("BANK_REVERSAL", bank_deg=round(math.degrees(sign * mag), 1), crossrange_m=round(xr, 0),
                      speed_mps=round(nav.speed_mps, 0))
        self.bank_cmd = sign * mag
        self.tlm["range_error_m"], self.tlm["crossrange_m"] = err, xr
        self.tlm["range_to_go_m"] = eg.along_track_m(nav.r, nav.v, target)

    def _target(self):
        tx, ty = self.links.target()
        return self.site.to_mcmf((tx, ty, 0.0))

    def _control(self, nav) -> None:
        """Shape the command to the RCS's rate and acceleration limits; PD on the estimate."""
        p, dt = self.params, self.dt
        w_max, a_max = math.radians(p["rate_max_dps"]), math.radians(p["accel_max_dps2"])
        err = math.remainder(self.bank_cmd - self.ref, 2.0 * math.pi)
        want = math.copysign(min(w_max, math.sqrt(2.0 * a_max * abs(err))), err)
        dw = max(-a_max * dt, min(a_max * dt, want - self.ref_rate))
        self.ref_rate += dw
        self.ref = math.remainder(self.ref + self.ref_rate * dt, 2.0 * math.pi)
        e = math.remainder(self.ref - nav.bank_rad, 2.0 * math.pi)
        acc = dw / dt + p["kp"] * e + p["kd"] * (self.ref_rate - nav.bank_rate_radps)
        self._torque(p["inertia_kgm2"] * acc)
        self.tlm["bank_cmd_deg"], self.tlm["bank_ref_deg"] = math.degrees(self.bank_cmd), math.degrees(self.ref)

    def _torque(self, tau: float) -> None:
        self.tlm["torque_Nm"] = tau
        if self.rcs is None:
            return
        try:
            self.rcs.command((0.0, 0.0, 0.0), (tau, 0.0, 0.0))
        except DeviceFault as exc:
            self.tlm["rcs_faults"] += 1
            if self.tlm["rcs_faults"] == 1:
                self.emit("RCS_FAULT", error=str(exc))

    # ------------------------------------------------------------ warm restart
    def checkpoint_state(self) -> dict[str, Any]:
        return super().checkpoint_state() | {"guidance": {
            "bank_cmd": self.bank_cmd, "sign": self.sign, "ref": self.ref, "ref_rate": self.ref_rate,
            "next_ns": self._next_guidance_ns,
            "tlm": {k: self.tlm[k] for k in ("reversals", "guidance_cycles", "rcs_faults")}}}

    def restore_state(self, state: Mapping[str, Any]) -> None:
        super().restore_state(state)
        g = state.get("guidance")
        if not g:
            return
        self.bank_cmd, self.sign = float(g["bank_cmd"]), float(g["sign"])
        self.ref, self.ref_rate, self._next_guidance_ns = float(g["ref"]), float(g["ref_rate"]), int(g["next_ns"])
        for k, v in g.get("tlm", {}).items():
            self.tlm[k] = v


__all__ = ["ENTRY_MODES", "EntryGuidance"]
