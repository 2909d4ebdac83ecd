"""The EDL sequence: parachute (range trigger, backup timer), heatshield, backshell.

ARMED from the entry interface: the parachute goes on the range trigger (Mars 2020: the
range to go along the track has come down to what the parachute phase will fly, inside the
Mach and dynamic-pressure box; `fsw.gnc.entry_guidance.deploy_decision`), or at the Mach or
altitude floor; only on a healthy IMU (navigation on the aero model is not trusted to time
it). The backup timer deploys regardless, `backup_after_peak_s` after the peak deceleration
(or `backup_after_entry_s` after the entry interface if no peak was seen). The heatshield
goes `heatshield_delay_s` after the mortar fired, subsonic (or at `heatshield_latest_s`);
then radar, velocimeter and camera see the ground. The backshell goes at
`backshell_height_m` above the ground (radar-locked navigation; `backshell_latest_s` after the
heatshield otherwise). Each step is a pyro fired every cycle until its read-back says fired
(a failed pyro command is counted and tried again); the mode moves on the read-back.
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
from hal.errors import DeviceFault

from .edl_common import DeviceReader, EdlLinks

EDL_SEQUENCE_MODES = ModeTable(
    modes=("IDLE", "ARMED", "ON_CHUTE", "HEATSHIELD_OFF", "BACKSHELL_OFF"),
    initial="IDLE",
    terminal=("BACKSHELL_OFF",),
    transitions=(
        T("arm", "IDLE", "ARMED", "entry_started"),
        T("chute_confirmed", "ARMED", "ON_CHUTE", "chute_fired"),
        T("heatshield_confirmed", "ON_CHUTE", "HEATSHIELD_OFF", "heatshield_fired"),
        T("backshell_confirmed", "HEATSHIELD_OFF", "BACKSHELL_OFF", "backshell_fired"),
    ),
)
PYROS = ("chute", "heatshield", "backshell")


class EdlSequencer(Component):
    MODES = EDL_SEQUENCE_MODES
    CHANNELS = (
        Channel("range_to_go_m", float, "m"), Channel("chute_range_m", float, "m"),
        Channel("deploy_reason", str), Channel("pyro_faults", int), Channel("backup_deploys", int),
        Channel("peak_decel_g", float, "g"),
    )
    EVENTS = (
        EventDef("PYRO_FIRE", Severity.ACTIVITY_HI, "{pyro}: {reason}", pyro=str, reason=str),
        EventDef("PARACHUTE_DEPLOY", Severity.ACTIVITY_HI,
                 "{reason}: Mach {mach}, {height_m} m up, range to go {range_m} m (parachute flies {chute_m} m)", reason=str, mach=float, height_m=float, range_m=float, chute_m=float),
        EventDef("BACKUP_DEPLOY", Severity.WARNING_HI, "parachute by the backup timer, {after_s} s after {since}", after_s=float, since=str),
        EventDef("PYRO_FAULT", Severity.WARNING_HI, "{pyro}: {error}", pyro=str, error=str),
    )
    PARAMS = (
        Param("mach_max", float, 1.0, 3.0, default=2.1), Param("mach_min", float, 0.8, 3.0, default=1.65),
        Param("qbar_max_Pa", float, 100.0, 5000.0, default=900.0),
        Param("min_deploy_height_m", float, 1000.0, 30000.0, default=6000.0),
        Param("trigger_mach", float, 1.0, 5.0, default=2.6, doc="the range trigger is evaluated below this"),
        Param("backup_after_peak_s", float, 10.0, 600.0, default=150.0,
              doc="nominal deploys come 110-130 s after the peak deceleration"),
        Param("backup_after_entry_s", float, 60.0, 900.0, default=250.0),
        Param("heatshield_delay_s", float, 5.0, 120.0, default=20.0),
        Param("heatshield_mach", float, 0.2, 1.5, default=0.8),
        Param("heatshield_latest_s", float, 10.0, 200.0, default=25.0),
        Param("backshell_height_m", float, 500.0, 6000.0, default=2100.0),
        Param("backshell_latest_s", float, 30.0, 600.0, default=150.0),
    )

    def __init__(self, name: str = "edl", *, pyros: Mapping[str, Any] | None = None, links: EdlLinks | None = None,
                 model: eg.EntryModel = eg.EntryModel()) -> None:
        super().__init__(name)
        self.pyros = dict(pyros or {})
        self.links = links or EdlLinks()
        self.model = model
        self.reader = DeviceReader(lambda dev, why: self.emit("PYRO_FAULT", pyro=dev, error=why), stale_reads=10**6)
        self.fired: dict[str, bool] = {p: False for p in PYROS}
        self.t_entry_ns: int | None = None
        self.t_peak_ns: int | None = None
        self.t_step_ns: int | None = None       # when the current step's pyro fired
        self._peak = 0.0
        self._firing: str | None = None

    # ------------------------------------------------------------ guards
    def entry_started(self) -> bool:
        return self.links.lander_mode() == "ENTRY"

    def chute_fired(self) -> bool:
        return self._readback("chute")

    def heatshield_fired(self) -> bool:
        return self._readback("heatshield")

    def backshell_fired(self) -> bool:
        return self._readback("backshell")

    def _readback(self, pyro: str) -> bool:
        s = self.reader.read(self.pyros.get(pyro))
        if s is not None and s.fired:
            self.fired[pyro] = True
        return self.fired[pyro]

    # ------------------------------------------------------------ step (10 Hz)
    def step(self, t_ns: int) -> None:
        mode = self.mode
        if mode == "IDLE":
            if self.entry_started() and self.trigger("arm"):
                self.t_entry_ns = t_ns
            return
        if mode == "BACKSHELL_OFF":
            return
        nav = self.links.nav()
        if self._firing is not None:
            self._fire(self._firing, "retry")
            self._advance()
            return
        if mode == "ARMED":
            self._armed(t_ns, nav)
        elif mode == "ON_CHUTE":
            since = (t_ns - self.t_step_ns) / NS_PER_S
            if since >= self.params["heatshield_latest_s"] or (
                    since >= self.params["heatshield_delay_s"] and nav is not None and nav.imu_ok
                    and nav.mach <= self.params["heatshield_mach"]):
                self._fire("heatshield", f"{since:.1f} s after deploy", t_ns)
        elif mode == "HEATSHIELD_OFF":
            since = (t_ns - self.t_step_ns) / NS_PER_S
            low = nav is not None and nav.radar_locked and nav.height_m <= self.params["backshell_height_m"]
            if low or since >= self.params["backshell_latest_s"]:
                self._fire("backshell", f"{nav.height_m:.0f} m up" if low else f"{since:.0f} s after the heatshield", t_ns)
        self._advance()

    def _armed(self, t_ns: int, nav) -> None:
        p = self.params
        if nav is not None and nav.imu_ok and nav.decel_mps2 > self._peak:
            self._peak, self.t_peak_ns = nav.decel_mps2, t_ns
            self.tlm["peak_decel_g"] = self._peak / eg.G0
        reason = None
        if nav is not None and nav.imu_ok and nav.mach <= p["trigger_mach"]:
            tx, ty = self.links.target()
            (x, y, _), (vx, vy, vz) = nav.p_local, nav.v_local
            vh = math.sqrt(vx * vx + vy * vy)
            to_go = ((tx - x) * vx + (ty - y) * vy) / max(vh, 1e-3)
            alt_offset = nav.p_local[2] - nav.height_m + self._datum_offset_m()
            chute = eg.chute_range(nav.height_m, vh, vz, self.model, nav.density_scale, alt_offset,
                                   p["backshell_height_m"])
            self.tlm["range_to_go_m"], self.tlm["chute_range_m"] = to_go, chute
            lim = eg.DeployLimits(p["mach_max"], p["mach_min"], p["qbar_max_Pa"], p["min_deploy_height_m"])
            reason = eg.deploy_decision(to_go, chute, nav.mach, nav.qbar_Pa, nav.height_m, lim)
            if reason is not None:
                self.emit("PARACHUTE_DEPLOY", reason=reason, mach=round(nav.mach, 3), height_m=round(nav.height_m, 0),
                          range_m=round(to_go, 0), chute_m=round(chute, 0))
        if reason is None:
            since_peak = None if self.t_peak_ns is None or self._peak < 2.0 else (t_ns - self.t_peak_ns) / NS_PER_S
            since_entry = (t_ns - self.t_entry_ns) / NS_PER_S
            if since_peak is not None and since_peak >= p["backup_after_peak_s"]:
                reason = "backup timer"
                self.emit("BACKUP_DEPLOY", after_s=round(since_peak, 1), since="peak deceleration")
            elif since_entry >= p["backup_after_entry_s"]:
                reason = "backup timer"
                self.emit("BACKUP_DEPLOY", after_s=round(since_entry, 1), since="entry interface")
            if reason is not None:
                self.tlm["backup_deploys"] += 1
        if reason is not None:
            self.tlm["deploy_reason"] = reason
            self._fire("chute", reason, t_ns)

    def _datum_offset_m(self) -> float:
        """Site-frame z to altitude above the reference sphere (the density's argument)."""
        return self.links.extras.get("site_datum_m", -2500.0)

    def _fire(self, pyro: str, reason: str, t_ns: int | None = None) -> None:
        if t_ns is not None:
            self.t_step_ns = t_ns
            self.emit("PYRO_FIRE", pyro=pyro, reason=reason)
        self._firing = pyro
        dev = self.pyros.get(pyro)
        if dev is None:
            return
        try:
            dev.fire()
        except DeviceFault as exc:
            self.tlm["pyro_faults"] += 1
            self.emit("PYRO_FAULT", pyro=pyro, error=str(exc))

    def _advance(self) -> None:
        """Move on once the read-back confirms the pyro that is firing."""
        pyro = self._firing
        if pyro is None:
            return
        trig = {"chute": "chute_confirmed", "heatshield": "heatshield_confirmed", "backshell": "backshell_confirmed"}[pyro]
        if self._readback(pyro) and self.trigger(trig):
            self._firing = None

    # ------------------------------------------------------------ warm restart
    def checkpoint_state(self) -> dict[str, Any]:
        return super().checkpoint_state() | {"sequence": {
            "fired": dict(self.fired), "t_entry_ns": self.t_entry_ns, "t_peak_ns": self.t_peak_ns,
            "t_step_ns": self.t_step_ns, "peak": self._peak, "firing": self._firing,
            "tlm": {k: self.tlm[k] for k in ("pyro_faults", "backup_deploys", "deploy_reason", "peak_decel_g")}}}

    def restore_state(self, state: Mapping[str, Any]) -> None:
        """Times and read-backs; a pyro that was firing is fired again (its read-back decides)."""
        super().restore_state(state)
        s = state.get("sequence")
        if not s:
            return
        self.fired.update({k: bool(v) for k, v in s["fired"].items() if k in self.fired})
        self.t_entry_ns, self.t_peak_ns, self.t_step_ns = (None if s[k] is None else int(s[k])
                                                           for k in ("t_entry_ns", "t_peak_ns", "t_step_ns"))
        self._peak, self._firing = float(s["peak"]), s["firing"]
        for k, v in s.get("tlm", {}).items():
            self.tlm[k] = v


__all__ = ["EDL_SEQUENCE_MODES", "EdlSequencer", "PYROS"]
