"""Map-relative localisation (Lander Vision System style): a descent image against the orbital map.

Given an 8-bit nadir image (north-up), the boresight lean the IMU measured, the navigated
position and height, the localiser finds where the image lies on the onboard orbital map:

1. coarse (when the prior is kilometres): the image binned `coarse_factor` x `coarse_factor`
   is correlated (normalised cross-correlation) with the map resampled to the binned
   pixels, over every offset within `search_m`; the peak must stand out (`min_peak`, and
   `min_ratio` over the best offset more than two pixels away);
2. fine: a grid of landmark patches is each matched in a small window around the coarse
   solution at the image's own pixel size, the peak refined to a fraction of a pixel
   (a parabola through the peak and its neighbours, each axis); landmarks off the median
   by more than `max_spread_px` are dropped and the rest averaged.

The map is resampled by box sums over its cells (integral images), and every correlation
sum is computed on integers, so the result does not depend on summation order; the floats
after that are elementwise IEEE operations, `math` and `math.fsum`. The map wraps round (the
orbital map covers one period of the regional albedo), as the plain it shows.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


@dataclass(frozen=True)
class CameraModel:
    pixels: int = 63
    fov_deg: float = 45.0

    @property
    def tan_step(self) -> float:
        """Tangent of the angle one pixel subtends at nadir."""
        return 2.0 * math.tan(math.radians(0.5 * self.fov_deg)) / self.pixels


@dataclass(frozen=True)
class OrbitalMap:
    """8-bit map (row i north, column j east), `res_m` cells, centred on the site, periodic."""

    image: np.ndarray
    res_m: float

    @property
    def n(self) -> int:
        return self.image.shape[0]


@dataclass(frozen=True)
class TrnSettings:
    coarse_factor: int = 3
    min_peak: float = 0.5
    min_ratio: float = 1.08
    landmark_px: int = 13
    landmark_grid: int = 3
    fine_search_px: int = 3
    landmark_min_peak: float = 0.55
    min_landmarks: int = 4
    max_spread_px: float = 1.0
    max_search_m: float = 8_000.0


@dataclass(frozen=True)
class TrnFix:
    """Horizontal correction to the navigated position (east, north), or why there is none."""

    dx_m: float = 0.0
    dy_m: float = 0.0
    sigma_m: float = 0.0
    peak: float = 0.0
    landmarks: int = 0
    gsd_m: float = 0.0
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.reason is None


def map_boxes(m: OrbitalMap, x0: float, y0: float, spacing: float, nx: int, ny: int) -> np.ndarray:
    """Mean map value (integer) over boxes of ~`spacing` centred at x0 + k spacing, y0 + l spacing."""
    res, n = m.res_m, m.n
    b = max(1, int(round(spacing / res)))
    half = 0.5 * n * res
    xs = x0 + spacing * np.arange(nx, dtype=np.float64) - 0.5 * b * res
    ys = y0 + spacing * np.arange(ny, dtype=np.float64) - 0.5 * b * res
    js = np.floor((xs + half) / res + 0.5).astype(np.int64)      # nearest cell edge: no half-cell bias
    is_ = np.floor((ys + half) / res + 0.5).astype(np.int64)
    j0, i0 = int(js[0]), int(is_[0])
    cols = np.arange(j0, int(js[-1]) + b) % n
    rows = np.arange(i0, int(is_[-1]) + b) % n
    # The integral image built in place, one int64 array (a coarse search's window is ~1300^2
    # cells: 14 MB, where a copy per step made 54 MB); integer sums, the same in any order.
    s = np.zeros((len(rows) + 1, len(cols) + 1), dtype=np.int64)
    s[1:, 1:] = m.image[np.ix_(rows, cols)]
    np.cumsum(s, axis=0, out=s)
    np.cumsum(s, axis=1, out=s)
    ri, cj = (is_ - i0)[:, None], (js - j0)[None, :]
    total = s[ri + b, cj + b] - s[ri, cj + b] - s[ri + b, cj] + s[ri, cj]
    return total // (b * b)


def _window_sums(a: np.ndarray, h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """Sums of a and a^2 over every h x w window (integers)."""
    out = []
    for x in (a, a * a):
        s = np.zeros((x.shape[0] + 1, x.shape[1] + 1), dtype=np.int64)
        s[1:, 1:] = x.cumsum(axis=0).cumsum(axis=1)
        out.append(s[h:, w:] - s[:-h, w:] - s[h:, :-w] + s[:-h, :-w])
    return out[0], out[1]


def ncc(template: np.ndarray, search: np.ndarray) -> np.ndarray:
    """Normalised cross-correlation of an integer template at every offset in `search`."""
    h, w = template.shape
    # Every offset's sum of products at once, over the windows as a strided view (no copy):
    # integers, so the order of the sums is free (a landmark's 13 x 13 at 13 x 13 offsets was
    # 169 numpy operations on small arrays, ten times the time of this one)
    corr = np.einsum("ijuv,uv->ij", sliding_window_view(search.astype(np.int64, copy=False), (h, w)),
                     template.astype(np.int64, copy=False))
    n = h * w
    st = int(template.sum())
    st2 = int((template * template).sum())
    sm, sm2 = _window_sums(search, h, w)
    num = (n * corr - st * sm).astype(np.float64)
    var_t = float(n * st2 - st * st)
    var_m = (n * sm2 - sm * sm).astype(np.float64)
    den = np.sqrt(np.maximum(var_m, 0.0) * var_t)
    return np.where(den > 0.0, num / np.where(den > 0.0, den, 1.0), 0.0)


def _subpixel(c: np.ndarray, i: int, j: int) -> tuple[float, float] | None:
    """Parabola vertex offsets (row, column) about a peak not on the border."""
    if not (0 < i < c.shape[0] - 1 and 0 < j < c.shape[1] - 1):
        return None
    out = []
    for lo, mid, hi in ((c[i - 1, j], c[i, j], c[i + 1, j]), (c[i, j - 1], c[i, j], c[i, j + 1])):
        d = float(lo) - 2.0 * float(mid) + float(hi)
        out.append(0.0 if d >= 0.0 else 0.5 * (float(lo) - float(hi)) / d)
    return out[0], out[1]


def _coarse(img: np.ndarray, cx: float, cy: float, gsd: float, m: OrbitalMap, search_m: float,
            s: TrnSettings) -> tuple[float, float, float, str | None]:
    c = s.coarse_factor
    nc = img.shape[0] // c
    t = img[:nc * c, :nc * c].reshape(nc, c, nc, c).sum(axis=(1, 3)) // (c * c)
    gc = gsd * c
    k = max(2, int(math.ceil(min(search_m, s.max_search_m) / gc)))
    first = -k - 0.5 * nc + 0.5
    boxes = map_boxes(m, cx + first * gc, cy + first * gc, gc, nc + 2 * k, nc + 2 * k)
    corr = ncc(t, boxes)
    flat = int(np.argmax(corr))
    i, j = divmod(flat, corr.shape[1])
    peak = float(corr[i, j])
    masked = corr.copy()
    masked[max(i - 2, 0):i + 3, max(j - 2, 0):j + 3] = -1.0
    second = float(masked.max())
    if peak < s.min_peak:
        return 0.0, 0.0, peak, f"coarse peak {peak:.2f} below {s.min_peak}"
    if second > 0.0 and peak < s.min_ratio * second:
        return 0.0, 0.0, peak, f"ambiguous: peak {peak:.2f}, next {second:.2f}"
    return (j - k) * gc, (i - k) * gc, peak, None


def localise(image: np.ndarray, look_rad: tuple[float, float], nav_xy: tuple[float, float], height_m: float,
             cam: CameraModel, m: OrbitalMap, search_m: float, s: TrnSettings = TrnSettings()) -> TrnFix:
    """The correction (east, north) that puts the image where the map says it was taken."""
    n = cam.pixels
    if image.shape != (n, n) or not height_m > 0.0:
        return TrnFix(reason="no usable image")
    img = image.astype(np.int64)
    gsd = height_m * cam.tan_step
    cx = nav_xy[0] + height_m * look_rad[0]
    cy = nav_xy[1] + height_m * look_rad[1]
    fine_reach = s.fine_search_px * gsd
    ox = oy = 0.0
    peak = 0.0
    if search_m > 0.5 * fine_reach:
        ox, oy, peak, why = _coarse(img, cx, cy, gsd, m, search_m, s)
        if why is not None:
            return TrnFix(peak=peak, gsd_m=gsd, reason=why)
        reach = s.fine_search_px + s.coarse_factor
    else:
        reach = s.fine_search_px + int(math.ceil(search_m / gsd))
    lm, g = s.landmark_px, s.landmark_grid
    found: list[tuple[float, float, float]] = []
    for a in range(g):
        for b in range(g):
            r0 = int(round((a + 0.5) * n / g - 0.5 * lm))
            c0 = int(round((b + 0.5) * n / g - 0.5 * lm))
            tpl = img[r0:r0 + lm, c0:c0 + lm]
            first_x = cx + ox + (c0 - reach + 0.5 - 0.5 * n) * gsd
            first_y = cy + oy + (r0 - reach + 0.5 - 0.5 * n) * gsd
            area = map_boxes(m, first_x, first_y, gsd, lm + 2 * reach, lm + 2 * reach)
            corr = ncc(tpl, area)
            i, j = divmod(int(np.argmax(corr)), corr.shape[1])
            sub = _subpixel(corr, i, j)
            if sub is None or float(corr[i, j]) < s.landmark_min_peak:
                continue
            found.append((ox + (j - reach + sub[1]) * gsd, oy + (i - reach + sub[0]) * gsd, float(corr[i, j])))
    if len(found) < s.min_landmarks:
        return TrnFix(peak=peak, landmarks=len(found), gsd_m=gsd, reason=f"{len(found)} landmarks matched")
    mx = sorted(f[0] for f in found)[len(found) // 2]
    my = sorted(f[1] for f in found)[len(found) // 2]
    keep = [f for f in found if abs(f[0] - mx) <= s.max_spread_px * gsd and abs(f[1] - my) <= s.max_spread_px * gsd]
    if len(keep) < s.min_landmarks:
        return TrnFix(peak=peak, landmarks=len(keep), gsd_m=gsd, reason=f"{len(keep)} landmarks agree")
    k = len(keep)
    dx = math.fsum(f[0] for f in keep) / k
    dy = math.fsum(f[1] for f in keep) / k
    spread = math.sqrt(math.fsum((f[0] - dx) ** 2 + (f[1] - dy) ** 2 for f in keep) / k)
    sigma = max(0.1 * gsd, spread / math.sqrt(k))
    lm_peak = math.fsum(f[2] for f in keep) / k
    return TrnFix(dx, dy, sigma, max(peak, lm_peak), k, gsd)


__all__ = ["CameraModel", "OrbitalMap", "TrnFix", "TrnSettings", "localise", "map_boxes", "ncc"]
