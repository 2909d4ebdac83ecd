"""MAV enclosure thermal control: 16 heater zones, thermostats with hysteresis, and the
temperatures the launch interlocks need (coldest grain sensor, coldest RCS sensor).

Zone i has heater i and thermometer i. Conditioning raises the set point from survival to
launch temperature; a thermometer fault keeps its last value and is counted. The zones and
their heaters belong to the lander's enclosure: once the MAV is thrown (`in_flight`) only
the MAV's own grain and RCS thermometers are read.

Ports (topics.py): the flight manager's phase (FLIGHT_PHASE) switches conditioning on (its
THERMAL_CONDITIONING) and the enclosure off (the throw); the interlock temperatures and the
sensor-fault count go out after every read (THERMAL_STATUS).
"""
from __future__ import annotations

from typing import Any, Mapping

from fsw.core.component import Component
from fsw.core.declarations import Channel, Param
from fsw.core.events import EventDef, Severity
from fsw.core.ports import Sub
from hal.devices import Heater, Thermometer
from hal.errors import DeviceFault

from .topics import FLIGHT_PHASE, THERMAL_STATUS, UNREAD_C, FlightPhase, ThermalStatus


class MavThermal(Component):
    CHANNELS = (
        Channel("grain_min_C", float, "C"), Channel("rcs_min_C", float, "C"),
        Channel("heater_power_W", float, "W"), Channel("conditioning", bool),
        Channel("sensor_faults", int),
    )
    EVENTS = (EventDef("THERMO_FAULT", Severity.WARNING_LO, "{device}: {reason}", device=str, reason=str),)
    PUBLISHES = (THERMAL_STATUS,)
    SUBSCRIBES = (Sub(FLIGHT_PHASE, "_on_flight_phase"),)
    PARAMS = (
        Param("survival_setpoint_C", float, -60.0, 40.0, default=-30.0),
        Param("conditioning_setpoint_C", float, -60.0, 40.0, default=10.0),
        Param("hysteresis_C", float, 0.1, 10.0, default=1.5),
        Param("zone_power_W", float, 0.0, 200.0, default=12.0),
        Param("flight_period_s", float, 1.0, 600.0, default=10.0,
              doc="period of the grain and RCS temperature reads once in flight"),
    )

    def __init__(self, name: str, heaters: list[Heater], zones: list[Thermometer],
                 grain: list[Thermometer], rcs: list[Thermometer]) -> None:
        super().__init__(name)
        if len(zones) != len(heaters):
            raise ValueError("one thermometer per heater zone")
        self.heaters = heaters
        self.zones = zones
        self.zone_C = [UNREAD_C] * len(zones)
        self.grain = grain
        self.rcs = rcs
        self.conditioning = False
        self.grain_C = [UNREAD_C] * len(grain)
        self.rcs_C = [UNREAD_C] * len(rcs)
        self._on = [False] * len(heaters)
        self.enabled = True
        self.in_flight = False
        self._next_flight_read_ns = 0

    @property
    def grain_min_C(self) -> float:
        return min(self.grain_C)

    @property
    def rcs_min_C(self) -> float:
        return min(self.rcs_C)

    def _on_flight_phase(self, phase: FlightPhase) -> None:
        if phase.mode == "THERMAL_CONDITIONING":
            self.conditioning = True
        if phase.launch_ns is not None:
            self.in_flight = True

    def _publish_status(self) -> None:
        self.publish(THERMAL_STATUS, ThermalStatus(self.grain_min_C, self.rcs_min_C, self.tlm["sensor_faults"]))

    def _read(self, sensors: list[Thermometer], store: list[float]) -> None:
        for i, s in enumerate(sensors):
            try:
                store[i] = s.read().temp_C
            except DeviceFault as exc:
                self.tlm["sensor_faults"] += 1
                self.emit("THERMO_FAULT", device=s.name, reason=str(exc))

    def step(self, t_ns: int) -> None:
        if self.in_flight:
            if t_ns < self._next_flight_read_ns:
                return
            self._next_flight_read_ns = t_ns + int(self.params["flight_period_s"] * 1e9)
        self._read(self.grain, self.grain_C)
        self._read(self.rcs, self.rcs_C)
        tlm = self.tlm
        tlm["grain_min_C"] = self.grain_min_C
        tlm["rcs_min_C"] = self.rcs_min_C
        if self.in_flight:
            tlm["heater_power_W"] = 0.0
            self._publish_status()
            return
        self._read(self.zones, self.zone_C)
        p = self.params
        sp = p["conditioning_setpoint_C"] if self.conditioning else p["survival_setpoint_C"]
        hyst = p["hysteresis_C"]
        total = 0.0
        for i, h in enumerate(self.heaters):
            t = self.zone_C[i]
            on = self._on[i]
            if not self.enabled:
                on = False
            elif t < sp - hyst:
                on = True
            elif t > sp + hyst:
                on = False
            if on != self._on[i] or t_ns == 0:
                try:
                    h.set_power(p["zone_power_W"] if on else 0.0)
                    self._on[i] = on
                except DeviceFault as exc:
                    self.tlm["sensor_faults"] += 1
                    self.emit("THERMO_FAULT", device=h.name, reason=str(exc))
            total += p["zone_power_W"] if self._on[i] else 0.0
        tlm["heater_power_W"] = total
        tlm["conditioning"] = self.conditioning
        self._publish_status()

    def checkpoint_state(self) -> dict:
        return super().checkpoint_state() | {
            "conditioning": self.conditioning, "enabled": self.enabled, "in_flight": self.in_flight,
            "grain_C": list(self.grain_C), "rcs_C": list(self.rcs_C), "zone_C": list(self.zone_C),
            "heaters_on": list(self._on), "next_flight_read_ns": self._next_flight_read_ns}

    def restore_state(self, state: Mapping[str, Any]) -> None:
        """The set point, the phase and the last temperatures come back (the interlocks must
        not see the power-on -50 C before the first read); heaters held their command."""
        super().restore_state(state)
        self.conditioning = bool(state.get("conditioning", False))
        self.enabled = bool(state.get("enabled", True))
        self.in_flight = bool(state.get("in_flight", False))
        for key, store in (("grain_C", self.grain_C), ("rcs_C", self.rcs_C), ("zone_C", self.zone_C)):
            saved = state.get(key)
            if saved is not None:
                if len(saved) != len(store):
                    raise ValueError(f"thermal checkpoint: {key} has {len(saved)} values, not {len(store)}")
                store[:] = [float(x) for x in saved]
        on = state.get("heaters_on")
        if on is not None and len(on) == len(self._on):
            self._on = [bool(x) for x in on]
        self._next_flight_read_ns = int(state.get("next_flight_read_ns", 0))
        self.tlm["grain_min_C"] = self.grain_min_C
        self.tlm["rcs_min_C"] = self.rcs_min_C
        self._publish_status()


__all__ = ["MavThermal"]
