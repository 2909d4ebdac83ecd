"""Mars atmosphere for entry, descent and landing: density, temperature (speed of sound), winds.

Density is the exponential of MSR_FACTS.md (rho0 ~0.020 kg/m^3 at the datum, scale height
~11.1 km), so the ballistic case can be checked against Allen and Eggers exactly, with the
dispersions a Mars-GRAM run gives an entry Monte Carlo: a density scale, a scale-height
scale and a density wave (fractional amplitude, vertical wavelength, phase). Temperature
only sets the speed of sound (Mach for the parachute's deploy box and its drag): a linear
lapse from `t0_K` at the datum down to `t_min_K` above, plus an offset. Winds are horizontal
(east, north), varying linearly with altitude from the ground values to the high values at
`wind_height_m` and constant above.

Altitudes are above the reference sphere (sim.mars: the equatorial radius), like
`sim.mars.density`; Jezero's floor lies ~2.5 km below it. Plain `math`, no numpy: this is
evaluated four times per integration step.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from sim.mars import ATMOSPHERE

R_CO2 = 188.92       # specific gas constant of the Martian air (~95% CO2), J/(kg K)


@dataclass(frozen=True)
class MarsAtmosphere:
    rho0_kgpm3: float = ATMOSPHERE.rho0_kgpm3
    scale_height_m: float = ATMOSPHERE.scale_height_m
    density_scale: float = 1.0           # dispersion: a denser or thinner day
    scale_height_scale: float = 1.0      # dispersion: a warmer or colder column
    wave_amplitude: float = 0.0          # dispersion: fractional density wave
    wave_length_m: float = 20e3
    wave_phase_rad: float = 0.0
    t0_K: float = 230.0                  # at the datum (estimate: Jezero, afternoon)
    lapse_Kpm: float = 1.8e-3
    t_min_K: float = 145.0
    temperature_offset_K: float = 0.0
    gamma: float = 1.30                  # ratio of specific heats (CO2 at ~200 K: 1.29-1.35)
    wind_east_low_mps: float = 0.0
    wind_north_low_mps: float = 0.0
    wind_east_high_mps: float = 0.0
    wind_north_high_mps: float = 0.0
    wind_height_m: float = 40e3

    def __post_init__(self) -> None:
        for name in ("rho0_kgpm3", "scale_height_m", "density_scale", "scale_height_scale", "wave_length_m",
                     "t_min_K", "gamma"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
                raise ValueError(f"atmosphere {name} must be a positive number, got {v!r}")
        if not 0.0 <= self.wave_amplitude < 1.0:
            raise ValueError(f"atmosphere wave_amplitude must be in [0, 1), got {self.wave_amplitude!r}")

    def density(self, altitude_m: float) -> float:
        h = max(altitude_m, -10e3)
        rho = self.density_scale * self.rho0_kgpm3 * math.exp(-h / (self.scale_height_m * self.scale_height_scale))
        if self.wave_amplitude:
            rho *= 1.0 + self.wave_amplitude * math.sin(2.0 * math.pi * h / self.wave_length_m + self.wave_phase_rad)
        return rho

    def temperature(self, altitude_m: float) -> float:
        return max(self.t0_K - self.lapse_Kpm * altitude_m, self.t_min_K) + self.temperature_offset_K

    def speed_of_sound(self, altitude_m: float) -> float:
        return math.sqrt(self.gamma * R_CO2 * max(self.temperature(altitude_m), 50.0))

    def wind(self, altitude_m: float) -> tuple[float, float]:
        """(east, north) wind in m/s."""
        f = min(max(altitude_m / self.wind_height_m, 0.0), 1.0)
        return (self.wind_east_low_mps + f * (self.wind_east_high_mps - self.wind_east_low_mps),
                self.wind_north_low_mps + f * (self.wind_north_high_mps - self.wind_north_low_mps))


NOMINAL = MarsAtmosphere()

__all__ = ["MarsAtmosphere", "NOMINAL", "R_CO2"]
