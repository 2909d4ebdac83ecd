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

from fsw.numerics import matvec, symmetric_eigen, transpose

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
    """Node order: zones 0..n-1, grain, rcs.

    Deterministic numerics (fsw.numerics, docs/determinism.md): the temperatures reach the
    MAV's telemetry, so the modal decomposition is a fixed-order Jacobi, the products are
    fixed-order sums and the diurnal term is real arithmetic with the C library's exp/cos
    (LAPACK's eigh, BLAS products and numpy's complex exp each changed the last bits by CPU).
    """

    def __init__(self, p: ThermalParams = ThermalParams()):
        self.p = p
        n = p.n_zones
        N = n + 2
        G = [[0.0] * N for _ in range(N)]

        def link(a: int, b: int, g: float) -> None:
            G[a][a] += g; G[b][b] += g; G[a][b] -= g; G[b][a] -= g

        for i in range(n):
            link(i, (i + 1) % n, p.zone_to_zone_WpK)
        for i in p.grain_zones:
            link(i, n, p.zone_to_grain_WpK)
        for i in p.rcs_zones:
            link(i, n + 1, p.zone_to_rcs_WpK)
        g_amb = [p.zone_to_ambient_WpK] * n + [0.0, 0.0]
        for i in range(N):
            G[i][i] += g_amb[i]
        C = [p.zone_capacity_JpK] * n + [p.grain_capacity_JpK, p.rcs_capacity_JpK]
        s = [1.0 / math.sqrt(c) for c in C]
        sym = [[-(s[i] * G[i][j] * s[j]) for j in range(N)] for i in range(N)]
        lam, V = symmetric_eigen(sym)                                # symmetric, negative definite
        self._lam, self._V, self._Vt, self._s = lam, V, transpose(V), s
        self._b_amb = matvec(self._Vt, [si * gi for si, gi in zip(s, g_amb)])   # modal ambient input
        self._omega = 2.0 * math.pi / SOL_S
        self.temps = [float(p.initial_C)] * N
        self.heater_W = [0.0] * n
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
        p, lam, w, s = self.p, self._lam, self._omega, self._s
        power = list(self.heater_W) + [0.0, 0.0]
        # Modal coordinates y = V^T C^{1/2} T obey dy/dt = lam y + c0 + b A cos(w (t - t_peak)),
        # whose particular solution is -c0 / lam + b A (w sin(phi) - lam cos(phi)) / (lam^2 + w^2).
        y = matvec(self._Vt, [t / si for t, si in zip(self.temps, s)])
        c0 = [a + b * p.ambient_mean_C
              for a, b in zip(matvec(self._Vt, [si * q for si, q in zip(s, power)]), self._b_amb)]
        amp = [b * p.ambient_amplitude_C / (lk * lk + w * w) for b, lk in zip(self._b_amb, lam)]

        def particular(t: float) -> list[float]:
            phi = w * (t - p.ambient_peak_s)
            c, sn = math.cos(phi), math.sin(phi)
            return [-ck / lk + ak * (w * sn - lk * c) for ck, lk, ak in zip(c0, lam, amp)]

        t0, t1 = self.t, self.t + dt
        p0, p1 = particular(t0), particular(t1)
        y1 = [math.exp(lk * dt) * (yk - ak) + bk for lk, yk, ak, bk in zip(lam, y, p0, p1)]
        self.temps = [si * x for si, x in zip(s, matvec(self._V, y1))]
        self.t = t1

    @property
    def zones_C(self) -> list[float]:
        return self.temps[: self.p.n_zones]

    @property
    def grain_C(self) -> float:
        return float(self.temps[self.p.n_zones])

    @property
    def rcs_C(self) -> float:
        return float(self.temps[self.p.n_zones + 1])
