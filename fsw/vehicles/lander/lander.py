"""The lander's mode manager ("lander"): EDL-to-surface modes, commands and interlocks.

Through entry and the parachute the EDL components (entry navigation, entry guidance, the EDL
sequence, terrain-relative navigation: `EdlLinks`) do the work and the manager follows their
phases. From backshell separation descent navigation (`descent_nav.py`) and powered-descent
guidance (`descent_guidance.py`) fly the lander; the manager starts powered descent once
navigation has the hand-over and the altimeter is valid, diverts when guidance chose a site
away from the target, and declares touchdown on navigation's word (altimeter contact and an
arrested descent), in the same control cycle, whereupon guidance cuts the engines. On the
surface it follows the arm (sample transfer) and the ground (MAV go, departure).
It owns no device: it reads only its topics. Requirements LDR-MGR-* (DESIGN.md).
"""
from __future__ import annotations

from typing import Any, Mapping

from fsw.core.component import Component, CommandError, command
from fsw.core.declarations import Arg
from fsw.core.events import EventDef, Severity
from fsw.core.ports import Sub

from .edl_common import EdlLinks
from .modes import LANDER_MODES
from .topics import DESCENT_NAV, DESCENT_PLAN, LANDER_MODE, STA_STATUS, DescentNav, DescentPlan

EDL_MODES = ("POWERED_DESCENT", "HAZARD_DIVERT")


class Lander(Component):
    MODES = LANDER_MODES
    PUBLISHES = (LANDER_MODE,)
    SUBSCRIBES = (STA_STATUS, Sub(DESCENT_NAV, "_on_descent_nav"), Sub(DESCENT_PLAN, "_on_descent_plan"))
    EVENTS = (
        EventDef("TOUCHDOWN_DETECTED", Severity.ACTIVITY_HI, "range {range_m} m, vz {vz_mps} m/s", range_m=float, vz_mps=float),
    )

    def __init__(self, name: str = "lander", *, links: EdlLinks | None = None) -> None:
        super().__init__(name)
        self.links = links or EdlLinks()
        self.nav: DescentNav | None = None       # descent navigation as last delivered
        self.plan: DescentPlan | None = None     # powered-descent guidance as last delivered
        self.flags = {"cruise_stage_separated": False, "mav_go": False, "mav_departed": False}

    # ------------------------------------------------------------ inputs
    def _on_descent_nav(self, nav: DescentNav) -> None:
        """Every control cycle: touchdown is declared in the cycle navigation sees it."""
        self.nav = nav
        if self.mode in EDL_MODES and nav.contact and nav.arrested:
            self.emit("TOUCHDOWN_DETECTED", range_m=round(nav.range_m, 3), vz_mps=round(nav.v[2], 3))
            self.trigger("touchdown")

    def _on_descent_plan(self, plan: DescentPlan) -> None:
        self.plan = plan

    def on_mode_change(self, source: str, dest: str) -> None:
        self.publish(LANDER_MODE, dest)

    # ------------------------------------------------------------ guards
    def cruise_stage_separated(self) -> bool:
        return self.flags["cruise_stage_separated"]

    def entry_navigation_ready(self) -> bool:
        return self.links.nav() is not None

    def chute_deployed(self) -> bool:
        return self.links.edl_phase() in ("ON_CHUTE", "HEATSHIELD_OFF", "BACKSHELL_OFF")

    def heatshield_separated(self) -> bool:
        return self.links.edl_phase() in ("HEATSHIELD_OFF", "BACKSHELL_OFF")

    def radar_locked(self) -> bool:
        nav = self.links.nav()
        return nav is not None and nav.radar_locked

    def backshell_separated(self) -> bool:
        return self.links.edl_phase() == "BACKSHELL_OFF"

    def altimeter_valid(self) -> bool:
        return self.nav is not None and self.nav.range_valid

    def safe_site_chosen(self) -> bool:
        return self.plan is not None and self.plan.site_chosen

    def altimeter_contact(self) -> bool:
        return self.nav is not None and self.nav.contact

    def descent_arrested(self) -> bool:
        return self.nav is not None and self.nav.arrested

    def engines_off(self) -> bool:
        return self.plan is None or self.plan.engines_off

    def sta_ready(self) -> bool:
        s = self.received(STA_STATUS)
        return s is not None and s.mode == "READY"

    def sta_busy(self) -> bool:
        s = self.received(STA_STATUS)
        return s is not None and s.busy

    def os_sealed(self) -> bool:
        s = self.received(STA_STATUS)
        return s is not None and s.sealed

    def mav_go(self) -> bool:
        return self.flags["mav_go"]

    def mav_departed(self) -> bool:
        return self.flags["mav_departed"]

    # ------------------------------------------------------------ commands
    @command("SEPARATE_CRUISE_STAGE", modes=("CRUISE",), doc="Cruise-stage separation done")
    def _cmd_separate_cruise_stage(self) -> None:
        self.flags["cruise_stage_separated"] = True

    @command("MODE", Arg("trigger", str), doc="Fire a mode trigger (ground or sequence)")
    def _cmd_mode(self, trigger: str) -> None:
        if not self.trigger(trigger):
            raise CommandError(f"trigger {trigger} refused in {self.mode}")

    @command("MAV_GO", Arg("go", bool), modes=("MAV_PREP", "LAUNCH_SUPPORT"), doc="MAV go/no-go")
    def _cmd_mav_go(self, go: bool) -> None:
        self.flags["mav_go"] = go

    @command("MAV_DEPARTED", modes=("LAUNCH_SUPPORT",), doc="MAV has left the launch rail")
    def _cmd_mav_departed(self) -> None:
        self.flags["mav_departed"] = True

    # ------------------------------------------------------------ guidance rate: per-mode work
    def guidance_step(self, t_ns: int) -> None:
        self.during()

    def during_ENTRY(self) -> None:
        if self.chute_deployed() and self.trigger("deploy_chute"):
            self.during_PARACHUTE()            # the EDL phases may follow each other in one cycle

    def during_PARACHUTE(self) -> None:
        if self.heatshield_separated() and self.radar_locked():
            self.trigger("start_trn")
        self._after_backshell()

    def during_TERRAIN_NAV(self) -> None:
        self._after_backshell()

    def _after_backshell(self) -> None:
        """Powered descent once the backshell is gone and navigation has taken the hand-over
        (descent navigation takes it in this cycle, after the manager: the trigger waits a cycle)."""
        if self.backshell_separated() and self.nav is not None:
            self.trigger("start_powered_descent")

    def during_POWERED_DESCENT(self) -> None:
        if self.plan is not None and self.plan.divert:
            self.trigger("divert")

    def during_TOUCHDOWN(self) -> None:
        if self.engines_off():
            self.trigger("secure")

    def during_SURFACE_IDLE(self) -> None:
        if not self._prepare_mav_if_sealed() and self.sta_ready() and self.sta_busy():
            self.trigger("begin_transfer")

    def during_SAMPLE_TRANSFER(self) -> None:
        if not self._prepare_mav_if_sealed() and not self.sta_busy():
            self.trigger("pause_transfer")

    def _prepare_mav_if_sealed(self) -> bool:
        """A sealed container ends the surface work, transferring or not."""
        if self.os_sealed():
            self.trigger("prepare_mav")
            return True
        return False

    def during_MAV_PREP(self) -> None:
        if self.mav_go():
            self.trigger("support_launch")

    def during_LAUNCH_SUPPORT(self) -> None:
        if self.mav_departed():
            self.trigger("launched")

    # ------------------------------------------------------------ warm restart
    def checkpoint_state(self) -> dict[str, Any]:
        """The flags; descent navigation and guidance checkpoint their own state and publish it
        again on their next cycle."""
        return super().checkpoint_state() | {"flags": dict(self.flags)}

    def restore_state(self, state: Mapping[str, Any]) -> None:
        super().restore_state(state)
        self.flags.update({k: bool(v) for k, v in state.get("flags", {}).items() if k in self.flags})


class SurfaceLander(Lander):
    """The same manager in a surface-only topology (`build_surface_flight` of the fetch
    scenario holds the manager, the arm and the tracker, not the descent components): no
    descent inputs, so it sees no altimeter contact and engines that are off."""

    SUBSCRIBES = (STA_STATUS,)
