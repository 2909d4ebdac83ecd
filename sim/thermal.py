"""MAV thermal model: 16 heater zones in an insulated enclosure, the propellant grain, the RCS
hydrazine, and Mars' diurnal ambient.

A lumped linear network C dT/dt = -G T + g_amb T_amb(t) + P. With constant heater powers
and a sinusoidal ambient the solution is closed-form (modal decomposition of the symmetrised
network), so a jump of any length costs the same: the MAV may wait on the surface for
months and a sol of simulated time takes microseconds. Temperatures in degrees C.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

SOL_S = 88775.244


@dataclass(frozen=True)
class ThermalParams:
    """Estimates chosen to give hours-long zone and day-long grain time constants."""

    n_zones: int = 16
    zone_capacity_JpK: float = 1800.0          # structure and air of a zone
    zone_to_ambient_WpK: float = 0.10          # through the enclosure insulation
    zone_to_zone_WpK: float = 0.40             # neighbours around the ring
    grain_capacity_JpK: float = 2.8e5          # ~280 kg of propellant and case
    grain_zones: tuple[int, ...] = tuple(range(12))
    zone_to_grain_WpK: float = 0.30
    rcs_capacity_JpK: float = 1.5e4            # hydrazine and tank
    rcs_zones: tuple[int, ...] = (12, 13, 14, 15)
    zone_to_rcs_WpK: float = 0.15
    heater_max_W: float = 12.0
    ambient_mean_C: float = -60.0              # Jezero: about -100 C at night, -20 C by day
    ambient_amplitude_C: float = 40.0
    ambient_peak_s: float = 0.6 * SOL_S        # warmest in the early afternoon
    initial_C: float = -20.0
    grain_min_C: float = -40.0                 # MSR_FACTS.md: the grain must stay above
    rcs_freeze_C: float = 2.0                  # hydrazine freezes


class ThermalModel:
    """Node order: zones 0..n-1, grain, rcs."""

    def __init__(self, p: ThermalParams = ThermalParams()):
        self.p = p
        n = p.n_zones
        N = n + 2
        G = np.zeros((N, N))

        def link(a: int, b: int, g: float) -> None:
            G[a, a] += g; G[b, b] += g; G[a, b] -= g; G[b, a] -= g

        for i in range(n):
            link(i, (i + 1) % n, p.zone_to_zone_WpK)
        for i in p.grain_zones:
            link(i, n, p.zone_to_grain_WpK)
        for i in p.rcs_zones:
            link(i, n + 1, p.zone_to_rcs_WpK)
        g_amb = np.zeros(N)
        g_amb[:n] = p.zone_to_ambient_WpK
        G += np.diag(g_amb)
        C = np.array([p.zone_capacity_JpK] * n + [p.grain_capacity_JpK, p.rcs_capacity_JpK])
        s = 1.0 / np.sqrt(C)
        lam, V = np.linalg.eigh(-(s[:, None] * G * s[None, :]))   # symmetric, negative definite
        self._lam, self._V, self._s = lam, V, s
        self._b_amb = V.T @ (s * g_amb)                              # modal ambient input
        self._omega = 2.0 * math.pi / SOL_S
        self.temps = np.full(N, float(p.initial_C))
        self.heater_W = np.zeros(n)
        self.t = 0.0

    def ambient_C(self, t: float | None = None) -> float:
        t = self.t if t is None else t
        p = self.p
        return p.ambient_mean_C + p.ambient_amplitude_C * math.cos(self._omega * (t - p.ambient_peak_s))

    def set_heater(self, zone: int, power_W: float) -> float:
        """Clamp to [0, max] and apply from now on; returns the power actually drawn."""
        w = min(max(float(power_W), 0.0), self.p.heater_max_W)
        self.heater_W[zone] = w
        return w

    def advance(self, dt: float) -> None:
        """Exact solution over dt with the heater powers held constant."""
        if dt <= 0.0:
            return
        p, lam, w = self.p, self._lam, self._omega
        s = self._s
        power = np.zeros(len(self.temps))
        power[: p.n_zones] = self.heater_W
        # Modal coordinates y = V^T C^{1/2} T obey dy/dt = lam y + c0 + Re(c1 e^{i w t}).
        y = self._V.T @ (self.temps / s)
        c0 = self._V.T @ (s * power) + self._b_amb * p.ambient_mean_C
        c1 = self._b_amb * p.ambient_amplitude_C * np.exp(-1j * w * p.ambient_peak_s)

        def particular(t: float) -> np.ndarray:
            return -c0 / lam + np.real(c1 * np.exp(1j * w * t) / (1j * w - lam))

        t0, t1 = self.t, self.t + dt
        y1 = np.exp(lam * dt) * (y - particular(t0)) + particular(t1)
        self.temps = s * (self._V @ y1)
        self.t = t1

    @property
    def zones_C(self) -> np.ndarray:
        return self.temps[: self.p.n_zones]

    @property
    def grain_C(self) -> float:
        return float(self.temps[self.p.n_zones])

    @property
    def rcs_C(self) -> float:
        return float(self.temps[self.p.n_zones + 1])
