"""Entry guidance: a numerical predictor-corrector on bank angle, bank reversals, the range trigger.

Range control (after the atmosphere is sensed, above `EntryGuidanceSettings.v_align_mps`): the
onboard model (capsule ballistic coefficient and L/D, an exponential atmosphere scaled by the
density ratio measured on the drag, gravity with J2, Mars rotation) is integrated from the
navigated state to the terminal speed (the nominal parachute deploy speed) with a
bank-magnitude profile linear in speed from `bank0` now to `bank_align_deg` at the alignment
speed, constant below; `bank0` is corrected (secant steps) until the predicted range to go
there is what the parachute phase flies from that state (`chute_range`, the range trigger's
own prediction, so the trigger fires near the nominal Mach with authority both ways). The prediction keeps only the vertical part of the lift (the lateral part
alternates with the reversals), so the range depends on the magnitude only and is monotonic
in it. This is the Apollo-derived scheme MSL and Mars 2020 fly in spirit (they track a
reference trajectory with predictor gains; a predictor-corrector needs no reference and
absorbs large dispersions).

Lateral: the bank's sign is reversed when the cross-range to the target, on the side the
lift does not push towards, leaves a corridor that narrows with speed (`corridor`). Below the
alignment speed, heading alignment keeps the bank magnitude the predictor assumed and turns
its sign towards the target once the cross-range leaves `align_deadband_m`.

Range trigger (Mars 2020): the parachute goes when the range to go along the track has come
down to what the parachute phase will fly (`chute_range`, a short onboard integration), inside
a Mach and dynamic-pressure box; `deploy_decision` says so, or why not yet.

Frames: MCMF (fsw.gnc.site_frame), plain tuples and `math`, fixed operation order.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from .kepler import Vec, cross, dot, norm

G0 = 9.80665


@dataclass(frozen=True)
class EntryModel:
    """The capsule and the air as the flight software knows them (nominal values)."""

    mass_kg: float = 3500.0
    cd_area_m2: float = 1.55 * math.pi * 2.25 * 2.25
    lift_to_drag: float = 0.24
    rho0_kgpm3: float = 0.020
    scale_height_m: float = 11.1e3
    radius_ref_m: float = 3396.2e3
    gm: float = 4.282837e13
    j2: float = 1.96045e-3
    omega_radps: float = 7.0882e-5
    chute_cd_area_m2: float = 0.60 * math.pi * 10.75 * 10.75       # supersonic
    chute_cd_area_subsonic_m2: float = 0.52 * math.pi * 10.75 * 10.75
    chute_delay_s: float = 1.3            # mortar to a full canopy, as drag
    heatshield_mass_kg: float = 385.0
    surface_gravity_mps2: float = 3.71

    def __post_init__(self) -> None:
        # gravity_rotating's constants (it runs ~60k times a landing), each the very float
        # its expression there gave: -GM, 1.5 J2 R R, 2 w, w w (left-to-right products)
        object.__setattr__(self, "_neg_gm", -self.gm)
        object.__setattr__(self, "_j2_rr", 1.5 * self.j2 * self.radius_ref_m * self.radius_ref_m)
        object.__setattr__(self, "_two_w", 2.0 * self.omega_radps)
        object.__setattr__(self, "_ww", self.omega_radps * self.omega_radps)

    @property
    def ballistic_coefficient(self) -> float:
        return self.mass_kg / self.cd_area_m2

    def density(self, altitude_m: float, scale: float = 1.0) -> float:
        return scale * self.rho0_kgpm3 * math.exp(-max(altitude_m, -10e3) / self.scale_height_m)


@dataclass(frozen=True)
class EntryGuidanceSettings:
    v_final_mps: float = 430.0            # prediction ends here: the nominal deploy (~Mach 1.85)
    v_align_mps: float = 1_100.0          # heading alignment below this speed
    bank_align_deg: float = 65.0          # bank magnitude in heading alignment
    bank_min_deg: float = 15.0
    bank_max_deg: float = 165.0
    step_s: float = 2.0                   # predictor step (RK4)
    floor_alt_m: float = 2_000.0          # predictions end here at the latest (above the reference)
    corridor_m: tuple[float, float] = (2_000.0, 3.5)   # cross-range corridor: a + b * speed (m, s)
    align_deadband_m: float = 300.0
    backshell_height_m: float = 2_100.0   # where the parachute phase ends


def gravity_rotating(x: float, y: float, z: float, vx: float, vy: float, m: EntryModel) -> tuple[float, float, float]:
    """Gravity (point mass + J2) with the Coriolis and centrifugal terms of the Mars-fixed frame."""
    r2 = x * x + y * y + z * z
    rn = math.sqrt(r2)
    k = m._neg_gm / (r2 * rn)
    f = m._j2_rr / r2
    zz = 5.0 * z * z / r2
    kxy = k * (1.0 + f * (1.0 - zz))
    w2, ww = m._two_w, m._ww
    return (kxy * x + w2 * vy + ww * x, kxy * y - w2 * vx + ww * y, k * (1.0 + f * (3.0 - zz)) * z)


def predict(r: Vec, v: Vec, bank0_rad: float, s: EntryGuidanceSettings, m: EntryModel,
            density_scale: float = 1.0) -> tuple[Vec, Vec, float]:
    """Integrate the onboard model to the terminal speed (or the floor altitude).

    Bank magnitude: linear in speed from `bank0_rad` at the current speed to the alignment
    bank at `v_align_mps`, constant below. Returns (r, v, time) at the end."""
    v0 = norm(v)
    b_al = math.radians(s.bank_align_deg)
    span = max(v0 - s.v_align_mps, 1.0)
    beta = m.ballistic_coefficient
    ld = m.lift_to_drag
    # The model's numbers taken out of deriv (4 calls a step, ~260 a prediction): the same
    # floats, the same operations; m.density written out.
    two_beta, bank_span = 2.0 * beta, b_al - bank0_rad
    ref, rho_s, scale_h = m.radius_ref_m, density_scale * m.rho0_kgpm3, m.scale_height_m
    sqrt, exp, cos = math.sqrt, math.exp, math.cos

    def deriv(x, y, z, vx, vy, vz):
        gx, gy, gz = gravity_rotating(x, y, z, vx, vy, m)
        rn = sqrt(x * x + y * y + z * z)
        vn = sqrt(vx * vx + vy * vy + vz * vz)
        alt = rn - ref
        rho = rho_s * exp(-(-10e3 if -10e3 > alt else alt) / scale_h)
        d = rho * vn * vn / two_beta
        frac = min(max((v0 - vn) / span, 0.0), 1.0)
        bank = bank0_rad + frac * bank_span
        ux, uy, uz = x / rn, y / rn, z / rn
        dx, dy, dz = vx / vn, vy / vn, vz / vn
        p = ux * dx + uy * dy + uz * dz
        lx, ly, lz = ux - p * dx, uy - p * dy, uz - p * dz
        ln = sqrt(lx * lx + ly * ly + lz * lz)
        lift = ld * d * cos(bank) / ln
        return (vx, vy, vz, gx - d * dx + lift * lx, gy - d * dy + lift * ly, gz - d * dz + lift * lz)

    x, y, z = r
    vx, vy, vz = v
    h, t = s.step_s, 0.0
    floor_r = m.radius_ref_m + s.floor_alt_m
    for _ in range(400):
        k1 = deriv(x, y, z, vx, vy, vz)
        k2 = deriv(x + 0.5 * h * k1[0], y + 0.5 * h * k1[1], z + 0.5 * h * k1[2],
                   vx + 0.5 * h * k1[3], vy + 0.5 * h * k1[4], vz + 0.5 * h * k1[5])
        k3 = deriv(x + 0.5 * h * k2[0], y + 0.5 * h * k2[1], z + 0.5 * h * k2[2],
                   vx + 0.5 * h * k2[3], vy + 0.5 * h * k2[4], vz + 0.5 * h * k2[5])
        k4 = deriv(x + h * k3[0], y + h * k3[1], z + h * k3[2], vx + h * k3[3], vy + h * k3[4], vz + h * k3[5])
        c = h / 6.0
        nx = x + c * (k1[0] + 2.0 * k2[0] + 2.0 * k3[0] + k4[0])
        ny = y + c * (k1[1] + 2.0 * k2[1] + 2.0 * k3[1] + k4[1])
        nz = z + c * (k1[2] + 2.0 * k2[2] + 2.0 * k3[2] + k4[2])
        nvx = vx + c * (k1[3] + 2.0 * k2[3] + 2.0 * k3[3] + k4[3])
        nvy = vy + c * (k1[4] + 2.0 * k2[4] + 2.0 * k3[4] + k4[4])
        nvz = vz + c * (k1[5] + 2.0 * k2[5] + 2.0 * k3[5] + k4[5])
        vn_old = math.sqrt(vx * vx + vy * vy + vz * vz)
        vn_new = math.sqrt(nvx * nvx + nvy * nvy + nvz * nvz)
        rn_new = math.sqrt(nx * nx + ny * ny + nz * nz)
        if vn_new <= s.v_final_mps or rn_new <= floor_r:
            if vn_new <= s.v_final_mps < vn_old:      # back to the terminal speed, linearly
                f = (vn_old - s.v_final_mps) / (vn_old - vn_new)
            else:
                f = 1.0
            return ((x + f * (nx - x), y + f * (ny - y), z + f * (nz - z)),
                    (vx + f * (nvx - vx), vy + f * (nvy - vy), vz + f * (nvz - vz)), t + f * h)
        x, y, z, vx, vy, vz = nx, ny, nz, nvx, nvy, nvz
        t += h
    return (x, y, z), (vx, vy, vz), t


def along_track_m(r: Vec, v: Vec, target: Vec) -> float:
    """Distance to the target along the horizontal direction of motion (negative: passed)."""
    rn = norm(r)
    u = (r[0] / rn, r[1] / rn, r[2] / rn)
    p = dot(v, u)
    hx, hy, hz = v[0] - p * u[0], v[1] - p * u[1], v[2] - p * u[2]
    hn = math.sqrt(hx * hx + hy * hy + hz * hz)
    return ((target[0] - r[0]) * hx + (target[1] - r[1]) * hy + (target[2] - r[2]) * hz) / hn


def crossrange_m(r: Vec, v: Vec, target: Vec) -> float:
    """Signed distance of the target from the plane of motion, positive to the right."""
    n = cross(r, v)
    nn = norm(n)
    tn = norm(target)
    return -tn * math.asin(max(-1.0, min(1.0, dot(target, n) / (nn * tn))))


def _terminal_miss(r: Vec, v: Vec, bank0_rad: float, target: Vec, s: EntryGuidanceSettings, m: EntryModel,
                   density_scale: float) -> tuple[float, float]:
    """(range to go along the track at the terminal speed, what the parachute flies from there)."""
    rf, vf, _ = predict(r, v, bank0_rad, s, m, density_scale)
    datum = norm(target)
    rn = norm(rf)
    vz = dot(vf, rf) / rn
    vh = math.sqrt(max(dot(vf, vf) - vz * vz, 0.0))
    chute = chute_range(rn - datum, vh, vz, m, density_scale, datum - m.radius_ref_m, s.backshell_height_m)
    return along_track_m(rf, vf, target), chute


def range_error(r: Vec, v: Vec, bank0_rad: float, target: Vec, s: EntryGuidanceSettings, m: EntryModel,
                density_scale: float) -> float:
    """Predicted range to go at the terminal speed minus what the parachute flies from there
    (> 0: short). The target lies on the site's datum sphere: heights are above it."""
    to_go, chute = _terminal_miss(r, v, bank0_rad, target, s, m, density_scale)
    return to_go - chute


def correct_bank(r: Vec, v: Vec, bank_rad: float, target: Vec, s: EntryGuidanceSettings, m: EntryModel,
                 density_scale: float, iterations: int = 1) -> tuple[float, float]:
    """Secant steps on the bank magnitude from `bank_rad`; returns (bank, predicted error m).
    A longer range needs less bank (more lift up): the error grows with the bank. The
    parachute's range is taken from the first prediction (the bank moves the terminal state
    by little), so a cycle costs `iterations` + 1 predictions; the guidance runs every cycle,
    so the secant converges across cycles as the state moves."""
    lo, hi = math.radians(s.bank_min_deg), math.radians(s.bank_max_deg)
    b0 = min(max(abs(bank_rad), lo), hi)
    to_go, chute = _terminal_miss(r, v, b0, target, s, m, density_scale)
    e0 = to_go - chute
    step = math.radians(5.0)
    b1 = min(max(b0 - step if e0 > 0.0 else b0 + step, lo), hi)
    e_next = e0
    for _ in range(iterations):
        if b1 == b0:
            break
        rf, vf, _ = predict(r, v, b1, s, m, density_scale)
        e1 = along_track_m(rf, vf, target) - chute
        if e1 == e0:
            break
        b2 = min(max(b1 - e1 * (b1 - b0) / (e1 - e0), lo), hi)
        e_next = e1 + (b2 - b1) * (e1 - e0) / (b1 - b0)      # the secant's own estimate at b2
        b0, e0, b1 = b1, e1, b2
    return b1, e_next


def corridor_m(speed_mps: float, s: EntryGuidanceSettings) -> float:
    a, b = s.corridor_m
    return a + b * max(speed_mps - s.v_align_mps, 0.0)


def lateral_sign(sign: float, crossrange_right_m: float, speed_mps: float, s: EntryGuidanceSettings) -> float:
    """The bank's sign after the reversal logic: reverse once the target lies beyond the
    corridor on the side the lift does not push towards."""
    if sign * crossrange_right_m < -corridor_m(speed_mps, s):
        return -sign
    return sign


def alignment_bank(sign: float, crossrange_right_m: float, s: EntryGuidanceSettings) -> float:
    """Heading alignment: the alignment bank magnitude, its sign towards the target once the
    cross-range leaves the deadband (signed, rad)."""
    if abs(crossrange_right_m) > s.align_deadband_m:
        sign = 1.0 if crossrange_right_m > 0.0 else -1.0
    return sign * math.radians(s.bank_align_deg)


def chute_range(height_m: float, vh_mps: float, vz_mps: float, m: EntryModel, density_scale: float,
                altitude_offset_m: float, end_height_m: float = 2_000.0, step_s: float = 0.5) -> float:
    """Horizontal distance the parachute phase flies from now (flat, still air): mortar delay,
    capsule and full-canopy drag (supersonic to subsonic between ~320 and ~190 m/s, Mach 1.4 and
    0.8), heatshield off after 20 s, down to `end_height_m` above the ground.
    `altitude_offset_m` turns heights above the ground into altitudes for the density."""
    x, z, u, w, t = 0.0, height_m, vh_mps, vz_mps, 0.0
    g = m.surface_gravity_mps2
    # The model's numbers taken out of the loop (it runs ~340 times a call, the range trigger
    # calls it every 10 Hz cycle in its box): the same floats, the same operations on them.
    # A mass or drag area less 0.0 or plus 0.0 is itself; m.density written out.
    mass_full, mass_light = m.mass_kg, m.mass_kg - m.heatshield_mass_kg
    sub, dsup = m.chute_cd_area_subsonic_m2, m.chute_cd_area_m2 - m.chute_cd_area_subsonic_m2
    capsule, delay = m.cd_area_m2, m.chute_delay_s
    rho, scale_h, exp, sqrt = density_scale * m.rho0_kgpm3, m.scale_height_m, math.exp, math.sqrt
    for _ in range(2000):
        if z <= end_height_m:
            break
        mass = mass_light if t >= 20.0 else mass_full
        vn = sqrt(u * u + w * w)
        if t >= delay:
            f = min(max((vn - 190.0) / 130.0, 0.0), 1.0)
            cda = capsule + (sub + f * dsup)
        else:
            cda = capsule
        alt = z + altitude_offset_m
        k = 0.5 * (rho * exp(-(-10e3 if -10e3 > alt else alt) / scale_h)) * vn * cda / mass
        u -= step_s * k * u
        w -= step_s * (k * w + g)
        x += step_s * u
        z += step_s * w
        t += step_s
    return x


@dataclass(frozen=True)
class DeployLimits:
    """Mars 2020's deploy box (Mach 1.6-2.2 published; dynamic pressure an estimate)."""

    mach_max: float = 2.1
    mach_min: float = 1.65
    qbar_max_Pa: float = 900.0
    min_height_m: float = 6_000.0


def deploy_decision(range_to_go_m: float, chute_m: float, mach: float, qbar_Pa: float, height_m: float,
                    lim: DeployLimits) -> str | None:
    """Why to deploy now ("range", "mach_floor", "altitude_floor"), or None to wait."""
    if height_m <= lim.min_height_m:
        return "altitude_floor"
    if mach <= lim.mach_min:
        return "mach_floor"
    if range_to_go_m <= chute_m and mach <= lim.mach_max and qbar_Pa <= lim.qbar_max_Pa:
        return "range"
    return None


__all__ = ["DeployLimits", "EntryGuidanceSettings", "EntryModel", "G0", "alignment_bank", "along_track_m",
           "chute_range", "correct_bank", "corridor_m", "crossrange_m", "deploy_decision", "gravity_rotating",
           "lateral_sign", "predict", "range_error"]
