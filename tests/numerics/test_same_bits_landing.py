"""The landing's speed-ups (issue 23, session 5) give the very bits of the code they replaced.

Each reference below is the routine as it was written before; the fast version must agree
bit for bit (signed zeros included) on any input of its domain: the landing's golden
telemetry hash holds only because of that, and these tests say where it would break."""
from __future__ import annotations

import math
import struct

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from fsw.gnc import map_product
from fsw.gnc.site_select import periodic_height
from fsw.gnc.trn import _window_sums, ncc
from sim.atmosphere import MarsAtmosphere
from sim.entry import EntryVehicle
from sim.mars import MARS


def bits(x) -> list[bytes]:
    flat = np.asarray(x, dtype=np.float64).ravel().tolist()
    return [struct.pack("<d", v) for v in flat]


# ---------------------------------------------------------------- references: the code before
def ref_periodic_height(h, res, corner_x, corner_y, x_m, y_m):
    n0, n1 = h.shape
    fx = (x_m - corner_x) / res - 0.5
    fy = (y_m - corner_y) / res - 0.5
    j, i = math.floor(fx), math.floor(fy)
    tx, ty = fx - j, fy - i
    j0, i0 = j % n1, i % n0
    j1, i1 = (j0 + 1) % n1, (i0 + 1) % n0
    top = float(h[i0, j0]) * (1 - tx) + float(h[i0, j1]) * tx
    bottom = float(h[i1, j0]) * (1 - tx) + float(h[i1, j1]) * tx
    return top * (1 - ty) + bottom * ty


def ref_ncc(template, search):
    h, w = template.shape
    oh, ow = search.shape[0] - h + 1, search.shape[1] - w + 1
    corr = np.zeros((oh, ow), dtype=np.int64)
    for u in range(h):
        for v in range(w):
            t = int(template[u, v])
            if t:
                corr += t * search[u:u + oh, v:v + ow]
    n = h * w
    st_ = int(template.sum())
    st2 = int((template * template).sum())
    sm, sm2 = _window_sums(search, h, w)
    num = (n * corr - st_ * sm).astype(np.float64)
    var_t = float(n * st2 - st_ * st_)
    var_m = (n * sm2 - sm * sm).astype(np.float64)
    den = np.sqrt(np.maximum(var_m, 0.0) * var_t)
    return np.where(den > 0.0, num / np.where(den > 0.0, den, 1.0), 0.0)


# ---------------------------------------------------------------- the map's heights
coord = st.floats(-5e3, 5e3, allow_nan=False, allow_infinity=False)


@settings(max_examples=200, deadline=None)
@given(st.integers(4, 12), st.sampled_from(["<f4", "<f8"]), st.floats(0.1, 3.0), coord, coord,
       st.lists(st.tuples(coord, coord), min_size=1, max_size=20), st.integers(0, 2**32 - 1))
def test_periodic_height_by_rows_is_the_cell_by_cell_one(tmp_path_factory, n, dtype, res, cx, cy, points, seed):
    """The flight's map (a product's layer, through its row cache) and the simulator's plain
    (an array) give the heights the four float(h[i, j]) reads gave."""
    a = (np.random.default_rng(seed).standard_normal((n, n)) * 30).astype(np.dtype(dtype))
    path = tmp_path_factory.mktemp("p") / "h.msrmap"
    map_product.write(path, {"h": a}, {})
    layer = map_product.read(path).layer("h")
    for x, y in points:
        want = bits(ref_periodic_height(a, res, cx, cy, x, y))
        assert bits(periodic_height(a, res, cx, cy, x, y)) == want
        assert bits(periodic_height(layer, res, cx, cy, x, y)) == want


# ---------------------------------------------------------------- TRN's correlation
@settings(max_examples=100, deadline=None)
@given(st.integers(1, 9), st.integers(1, 9), st.integers(0, 8), st.integers(0, 8), st.integers(0, 2**32 - 1),
       st.booleans())
def test_ncc_over_window_views_is_the_shifted_sums_one(h, w, extra_h, extra_w, seed, flat):
    """Every correlation of the strided windows is the loop over the template's cells,
    bit for bit, blank (zero-variance) windows and templates included."""
    rng = np.random.default_rng(seed)
    template = rng.integers(0, 256, (h, w)).astype(np.int64)
    search = rng.integers(0, 256, (h + extra_h, w + extra_w)).astype(np.int64)
    if flat:
        search[: h + extra_h // 2] = 7
    got = ncc(template, search)
    assert got.dtype == np.float64 and bits(got) == bits(ref_ncc(template, search))


# ---------------------------------------------------------------- the entry plant
class RefEntry(EntryVehicle):
    """The capsule with its derivative as written before (every constant from its params)."""

    def _deriv(self, t, bank, x, y, z, vx, vy, vz):
        m = self.mars
        r2 = x * x + y * y + z * z
        rn = math.sqrt(r2)
        k = -m.gm_m3ps2 / (r2 * rn)
        f = 1.5 * m.j2 * m.radius_eq_m * m.radius_eq_m / r2
        zz = 5.0 * z * z / r2
        kxy = k * (1.0 + f * (1.0 - zz))
        w = m.omega_radps
        ax = kxy * x + 2.0 * w * vy + w * w * x
        ay = kxy * y - 2.0 * w * vx + w * w * y
        az = k * (1.0 + f * (3.0 - zz)) * z
        h = rn - m.radius_eq_m
        we, wn = self.atm.wind(h) if self._windy else (0.0, 0.0)
        ux_, uy_, uz_ = vx, vy, vz
        if we or wn:
            rxy = math.sqrt(x * x + y * y)
            ex, ey = -y / rxy, x / rxy
            px, py, pz = x / rn, y / rn, z / rn
            nx, ny, nz = -pz * ey, pz * ex, px * ey - py * ex
            ux_ -= we * ex + wn * nx
            uy_ -= we * ey + wn * ny
            uz_ -= wn * nz
        va = math.sqrt(ux_ * ux_ + uy_ * uy_ + uz_ * uz_)
        sx = sy = sz = 0.0
        if va > 1e-6:
            rho = self.atm.density(h)
            q = 0.5 * rho * va * va
            d = q * self._cda / self.mass
            dx, dy, dz = ux_ / va, uy_ / va, uz_ / va
            cd_chute = 0.0
            if self.chute_deploy_t is not None:
                frac = self.chute.area_fraction(t - self.chute_deploy_t)
                if frac > 0.0:
                    mach = va / self.atm.speed_of_sound(h)
                    cd_chute = q * self.chute.cd(mach) * self.chute.area_m2 * frac / self.mass
            total = d + cd_chute
            sx, sy, sz = -total * dx, -total * dy, -total * dz
            if self._ld and self.chute_deploy_t is None:
                px, py, pz = x / rn, y / rn, z / rn
                pd = px * dx + py * dy + pz * dz
                lx, ly, lz = px - pd * dx, py - pd * dy, pz - pd * dz
                ln = math.sqrt(lx * lx + ly * ly + lz * lz)
                lx, ly, lz = lx / ln, ly / ln, lz / ln
                rx, ry, rz = dy * lz - dz * ly, dz * lx - dx * lz, dx * ly - dy * lx
                cb, sb = math.cos(bank), math.sin(bank)
                lift = self._ld * d
                sx += lift * (cb * lx + sb * rx)
                sy += lift * (cb * ly + sb * ry)
                sz += lift * (cb * lz + sb * rz)
        return vx, vy, vz, ax + sx, ay + sy, az + sz, (sx, sy, sz)


def entry_state(s) -> list[bytes]:
    return bits([*s.r, *s.v, *s.specific_force, s.decel_g, s.mach, s.dynamic_pressure, s.bank, s.bank_rate, s.t])


@settings(max_examples=60, deadline=None)
@given(st.floats(5e3, 125e3), st.floats(300.0, 6000.0), st.floats(-0.4, 0.05), st.floats(-3.0, 3.0),
       st.floats(-400.0, 400.0), st.floats(-30.0, 30.0), st.floats(-30.0, 30.0), st.integers(0, 40),
       st.booleans(), st.floats(0.005, 0.05))
def test_the_entry_plant_with_its_constants_made_once_flies_the_same_bits(h, speed, fpa, bank, torque, we, wn,
                                                                          deploy_at, lift, dt):
    atm = MarsAtmosphere(wind_east_low_mps=we, wind_north_high_mps=wn, wave_amplitude=0.1)
    r0 = (0.3 * (MARS.radius_eq_m + h), 0.8 * (MARS.radius_eq_m + h), 0.0)
    r0 = (r0[0], r0[1], math.sqrt((MARS.radius_eq_m + h) ** 2 - r0[0] ** 2 - r0[1] ** 2))
    v0 = (speed * math.cos(fpa), -speed * 0.3, speed * math.sin(fpa))
    a, b = (cls(r0, v0, atmosphere=atm, bank_rad=bank, lift=lift) for cls in (EntryVehicle, RefEntry))
    for k in range(60):
        for ev in (a, b):
            ev.torque_cmd = torque
            if k == deploy_at:
                ev.deploy_chute()
            if k == deploy_at + 30:
                ev.separate_heatshield()
            ev.step(dt)
        assert entry_state(a) == entry_state(b)
