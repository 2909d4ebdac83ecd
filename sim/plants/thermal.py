"""ThermalPlant: the MAV stowed in its enclosure on the lander (16 heater zones).

Devices: heater0..heater15 (heater), tz0..tz15 (thermometer, zone), t_grain, t_rcs,
t_ambient (thermometer). The physics is exact for any step (sim.thermal), so the grid only
keeps lockstep with the other plants. Advancing is lazy: time moves on the grid for free and
the model jumps (one closed-form step) only when something looks at it or changes a heater,
so a 50 Hz flight loop that reads the thermometers once a second costs one jump a second and
the result does not depend on how the time was chunked into advances. `truth()` looks
without committing a jump (a report sampling the truth must not move the floating-point
path the flight software sees); its minimum temperatures are those seen at the jumps.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from fsw.numerics import fixed_sum
from hal.catalog import DeviceKind
from sim.plants.base import FixedStepPlant
from sim.thermal import ThermalModel, ThermalParams


def thermal_devices(n_zones: int) -> dict[str, str]:
    d = {f"heater{k}": "heater" for k in range(n_zones)}
    d.update({f"tz{k}": "thermometer" for k in range(n_zones)})
    d.update({"t_grain": "thermometer", "t_rcs": "thermometer", "t_ambient": "thermometer"})
    return d


class ThermalPlant(FixedStepPlant):
    def __init__(self, params: ThermalParams = ThermalParams(), physics_rate_hz: int = 50,
                 seed: int | np.random.Generator = 0, start_time_of_sol_s: float = 0.0):
        super().__init__(physics_rate_hz, thermal_devices(params.n_zones), seed)
        self.model = ThermalModel(params)
        self.model.t = float(start_time_of_sol_s)
        self._t0 = float(start_time_of_sol_s)
        self.min_grain_C = self.model.grain_C
        self.min_rcs_C = self.model.rcs_C

    def _advance_steps(self, n: int) -> None:
        self.steps += n   # the model catches up in _sync, when needed

    def _sync(self) -> None:
        """One exact jump to now; the model time comes from the integer step count (no drift)."""
        dt = self._t0 + self.t_s - self.model.t
        if dt > 0.0:
            self.model.advance(dt)
            self.min_grain_C = min(self.min_grain_C, self.model.grain_C)
            self.min_rcs_C = min(self.min_rcs_C, self.model.rcs_C)

    def _sense(self, device: str, kind: DeviceKind) -> dict[str, Any]:
        self._sync()
        m = self.model
        if kind.name == "heater":
            return {"power_W": float(m.heater_W[int(device[6:])])}
        if device == "t_grain":
            return {"temp_C": m.grain_C}
        if device == "t_rcs":
            return {"temp_C": m.rcs_C}
        if device == "t_ambient":
            return {"temp_C": m.ambient_C()}
        return {"temp_C": float(m.zones_C[int(device[2:])])}

    def _actuate(self, device: str, kind: DeviceKind, command: dict[str, Any]) -> None:
        self._sync()   # the old power up to now, the new one from now on
        if "power_W" in command:
            self.model.set_heater(int(device[6:]), command["power_W"])

    def truth(self) -> dict[str, Any]:
        m = self.model
        saved = (m.temps, m.t)
        dt = self._t0 + self.t_s - m.t
        if dt > 0.0:
            m.advance(dt)
        try:
            return self._truth(m)
        finally:
            m.temps, m.t = saved

    def _truth(self, m: ThermalModel) -> dict[str, Any]:
        return {
            "t_s": self.t_s, "zones_C": tuple(float(x) for x in m.zones_C), "grain_C": m.grain_C, "rcs_C": m.rcs_C,
            "ambient_C": m.ambient_C(), "heater_W": tuple(float(x) for x in m.heater_W),
            "total_heater_W": fixed_sum(m.heater_W), "min_grain_C": min(self.min_grain_C, m.grain_C),
            "min_rcs_C": min(self.min_rcs_C, m.rcs_C),
            "grain_ok": m.grain_C > m.p.grain_min_C, "rcs_ok": m.rcs_C > m.p.rcs_freeze_C,
        }
