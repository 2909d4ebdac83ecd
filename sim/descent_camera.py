"""The descent camera (a Lander Vision System camera): renders the ground under the lander.

A nadir camera on the lander under the parachute, uncovered when the heatshield goes:
`pixels` x `pixels` 8-bit images over a `fov_deg` field, north-up (row i northwards, column j
eastwards: the lander rectifies with its IMU attitude). The backshell swings on its risers, so
the boresight leans from nadir by a random angle per image (`swing_sigma_rad`); the camera
reports the lean it measured (`look_rad`, east and north tilt: the HAL adds the attitude
knowledge error as that field's noise and bias). The ground is the local plane (relief of tens
of metres seen from kilometres: parallax is not modelled).

Each image: radiance (sim.landing_world: regional albedo times the relief's shading under the
landing-time sun, not the orbital map's sun) sampled on `supersample`^2 points per pixel and
averaged (the pixel's footprint), blurred by the optics (a [1 2 1]/4 kernel each way), shot
and read noise from the camera's own generator, quantised to 8 bits. Images are at most 4 KB
so a bench can carry them in one serial frame (hal.serial.framing.MAX_PAYLOAD).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.landing_world import ALBEDO_MEAN, LandingWorld


@dataclass(frozen=True)
class CameraParams:
    pixels: int = 63
    fov_deg: float = 45.0
    supersample: int = 3
    sun_elevation_deg: float = 30.0       # landing in the afternoon; the orbital map has its own sun
    sun_azimuth_deg: float = 250.0
    gain_dn: float = 110.0 / ALBEDO_MEAN  # DN per unit of albedo x shading (fixed exposure)
    read_noise_dn: float = 1.5
    shot_noise_dn: float = 0.25           # variance per DN of signal
    swing_sigma_rad: float = 0.035        # ~2 deg of backshell swing on the parachute

    @property
    def tan_half_fov(self) -> float:
        return math.tan(math.radians(0.5 * self.fov_deg))

    def gsd_m(self, height_m: float) -> float:
        """Ground sample distance at nadir from `height_m` above the ground plane."""
        return 2.0 * height_m * self.tan_half_fov / self.pixels


def _blur(a: np.ndarray) -> np.ndarray:
    """[1 2 1]/4 along both axes, edges replicated (fixed-order adds)."""
    p = np.pad(a, 1, mode="edge")
    a = 0.25 * (p[:-2, :] + 2.0 * p[1:-1, :] + p[2:, :])
    return 0.25 * (a[:, :-2] + 2.0 * a[:, 1:-1] + a[:, 2:])


def render(world: LandingWorld, x_m: float, y_m: float, height_m: float, look_rad: tuple[float, float],
           cam: CameraParams, rng: np.random.Generator) -> np.ndarray:
    """One image (uint8, pixels x pixels) from (x, y) and `height_m` above the ground plane,
    the boresight leaning by `look_rad` (east, north)."""
    n, s = cam.pixels, cam.supersample
    step = 2.0 * cam.tan_half_fov / n
    sub = (np.arange(n * s, dtype=np.float64) + 0.5) / s - 0.5 * n     # pixel units from the centre
    tx = sub * step + look_rad[0]
    ty = sub * step + look_rad[1]
    rad = world.radiance_grid(x_m + height_m * tx, y_m + height_m * ty, cam.sun_elevation_deg, cam.sun_azimuth_deg)
    acc = np.zeros((n, n))
    for a in range(s):                 # the pixel's footprint, fixed order
        for b in range(s):
            acc += rad[a::s, b::s]
    dn = _blur(acc * (cam.gain_dn / (s * s)))
    sigma = np.sqrt(cam.read_noise_dn * cam.read_noise_dn + cam.shot_noise_dn * np.maximum(dn, 0.0))
    dn = dn + sigma * rng.standard_normal((n, n))
    return np.clip(np.rint(dn), 0, 255).astype(np.uint8)


__all__ = ["CameraParams", "render"]
