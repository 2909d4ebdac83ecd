"""A small built-in vehicle ("testbed") so the link, the dictionary and the ground tool can be
exercised without any real vehicle: a heater controller with modes and an event counter."""
from __future__ import annotations

import enum

from fsw.core.component import CommandError, Component, command
from fsw.core.declarations import Arg, Channel, Param
from fsw.core.events import EventDef, Severity
from fsw.core.modes import ModeTable, T


class Level(enum.Enum):
    LOW = 1
    MEDIUM = 2
    HIGH = 3


class Heater(Component):
    """Thermostat: heats towards a setpoint while ACTIVE; SAFE switches the heater off."""

    MODES = ModeTable(modes=("IDLE", "ACTIVE", "SAFE"), initial="IDLE",
                      transitions=(T("activate", "IDLE", "ACTIVE"), T("safe", "*", "SAFE"),
                                   T("recover", "SAFE", "IDLE")), safe="SAFE")
    CHANNELS = (Channel("temp_c", float, "degC", "zone temperature"),
                Channel("setpoint_c", float, "degC"),
                Channel("heater_on", bool),
                Channel("mode", str))
    EVENTS = (EventDef("HEATER_SWITCHED", Severity.ACTIVITY_LO, "heater {state} at {temp_c:.2f} C", state=str, temp_c=float),)
    PARAMS = (Param("gain_c_per_step", float, 0.0, 5.0, default=0.5),)

    def __init__(self, name: str = "heater") -> None:
        super().__init__(name)
        self.tlm.update(temp_c=-30.0, setpoint_c=-10.0, mode=self.mode)

    @command("ACTIVATE", modes=("IDLE",), doc="Start thermostat control")
    def _cmd_activate(self) -> None:
        self.trigger("activate")

    @command("SAFE", doc="Heater off, stop control")
    def _cmd_safe(self) -> None:
        if not self.trigger("safe"):
            raise CommandError("already SAFE")

    @command("RECOVER", modes=("SAFE",), doc="Leave SAFE for IDLE")
    def _cmd_recover(self) -> None:
        self.trigger("recover")

    @command("SET_SETPOINT", Arg("celsius", float, -60.0, 40.0, doc="target temperature"),
             modes=("IDLE", "ACTIVE"), doc="Change the thermostat setpoint")
    def _cmd_set_setpoint(self, celsius: float) -> None:
        self.tlm["setpoint_c"] = celsius

    def step(self, t_ns: int) -> None:
        tlm = self.tlm
        want = self.mode == "ACTIVE" and tlm["temp_c"] < tlm["setpoint_c"]
        if want != tlm["heater_on"]:
            tlm["heater_on"] = want
            self.emit("HEATER_SWITCHED", state="on" if want else "off", temp_c=tlm["temp_c"])
        tlm["temp_c"] += self.params["gain_c_per_step"] if want else -0.01
        tlm["mode"] = self.mode


class Counter(Component):
    """Counts what it is told to count; lets tests prove a command ran exactly once."""

    CHANNELS = (Channel("count", int, "counts"), Channel("label", str), Channel("level", str))
    EVENTS = (EventDef("COUNTED", Severity.ACTIVITY_LO, "count {count} (+{by})", count=int, by=int),)

    @command("INCREMENT", Arg("by", int, 1, 1000), doc="Add `by` to the count")
    def _cmd_increment(self, by: int) -> None:
        self.tlm["count"] += by
        self.emit("COUNTED", count=self.tlm["count"], by=by)

    @command("LABEL", Arg("text", str), Arg("level", Level), Arg("loud", bool),
             doc="Set a label and a level")
    def _cmd_label(self, text: str, level: Level, loud: bool) -> None:
        self.tlm["label"] = text.upper() if loud else text
        self.tlm["level"] = level.name

    @command("FAIL", doc="Always refused by its handler (tests the FAILED path)")
    def _cmd_fail(self) -> None:
        raise CommandError("refused on purpose")


TESTBED_COMPONENTS: dict[str, type[Component]] = {"heater": Heater, "counter": Counter}
MODE_COMPONENTS = TESTBED_COMPONENTS
