"""A small example component (a heater-zone controller) used to exercise the core."""
from fsw.core import Arg, Channel, Component, EventDef, ModeTable, Param, Severity, T, command


class HeaterZone(Component):
    MODES = ModeTable(
        modes=("OFF", "WARMUP", "REGULATE", "SAFE", "FAILED"),
        initial="OFF", safe="SAFE", terminal=("FAILED",),
        transitions=(
            T("enable", "OFF", "WARMUP", "power_ok"),
            T("at_setpoint", "WARMUP", "REGULATE", "temp_in_band"),
            T("cool", "REGULATE", "WARMUP", unless=("temp_in_band",)),
            T("disable", ("WARMUP", "REGULATE"), "OFF"),
            T("safe", "*", "SAFE"),
            T("recover", "SAFE", "OFF", "power_ok"),
            T("fail", "SAFE", "FAILED"),
        ),
    )
    CHANNELS = (Channel("temp_C", float, "degC"), Channel("power_W", float, "W"))
    EVENTS = (EventDef("OVERTEMP", Severity.WARNING_HI, "zone at {temp_C} C", temp_C=float),)
    PARAMS = (Param("setpoint_C", float, -40.0, 40.0, default=5.0),
              Param("band_C", float, 0.1, 10.0, default=2.0),
              Param("heater_W", float, 0.0, 50.0, default=20.0))

    def __init__(self, name: str, temp_C: float = -50.0) -> None:
        super().__init__(name)
        self.temp_C = temp_C
        self.bus_V = 28.0

    def power_ok(self) -> bool:
        return self.bus_V > 24.0

    def temp_in_band(self) -> bool:
        return abs(self.temp_C - self.params["setpoint_C"]) <= self.params["band_C"]

    @command("SET_SETPOINT", Arg("temp_C", float, -40.0, 40.0), modes=("OFF", "WARMUP", "REGULATE"))
    def _cmd_set_setpoint(self, temp_C: float) -> None:
        self.params["setpoint_C"] = temp_C

    def step(self, t_ns: int) -> None:
        power = self.params["heater_W"] if self.mode in ("WARMUP", "REGULATE") and \
            self.temp_C < self.params["setpoint_C"] else 0.0
        self.temp_C += 0.01 * power - 0.02 * (self.temp_C + 60.0) * 0.1
        self.tlm["temp_C"] = self.temp_C
        self.tlm["power_W"] = power
        if self.mode == "WARMUP" and self.temp_in_band():
            self.trigger("at_setpoint")
