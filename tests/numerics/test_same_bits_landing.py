"""The landing's speed-ups (issue 23, session 5) give the very bits of the code they replaced.

Each reference below is the routine as it was written before; the fast version must agree
bit for bit (signed zeros included) on any input of its domain: the landing's golden
telemetry hash holds only because of that, and these tests say where it would break."""
from __future__ import annotations

import math
import struct
from types import SimpleNamespace

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from fsw.gnc import entry_guidance as eg
from fsw.gnc import map_product
from fsw.gnc.descent_guidance import G_MARS
from fsw.gnc.entry_nav import to_frame
from fsw.gnc.kepler import norm
from fsw.gnc.site_select import periodic_height
from fsw.gnc.trn import _window_sums, ncc
from fsw.vehicles.lander.descent_nav import DescentNavigator
from sim import landing_world
from sim.atmosphere import MarsAtmosphere
from sim.descent import G0 as DESCENT_G0, DescentParams, DescentVehicle
from sim.entry import EntryVehicle
from sim.landing_world import RegionParams, TiledTerrain
from sim.mars import MARS

real = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


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


# ---------------------------------------------------------------- entry guidance's predictors
def ref_gravity_rotating(x: float, y: float, z: float, vx: float, vy: float, m: eg.EntryModel) -> tuple[float, float, float]:
    """Gravity (point mass + J2) with the Coriolis and centrifugal terms of the Mars-fixed frame."""
    r2 = x * x + y * y + z * z
    rn = math.sqrt(r2)
    k = -m.gm / (r2 * rn)
    f = 1.5 * m.j2 * m.radius_ref_m * m.radius_ref_m / r2
    zz = 5.0 * z * z / r2
    kxy = k * (1.0 + f * (1.0 - zz))
    w = m.omega_radps
    return (kxy * x + 2.0 * w * vy + w * w * x, kxy * y - 2.0 * w * vx + w * w * y, k * (1.0 + f * (3.0 - zz)) * z)


def ref_predict(r: Vec, v: Vec, bank0_rad: float, s: eg.EntryGuidanceSettings, m: eg.EntryModel,
            density_scale: float = 1.0) -> tuple[Vec, Vec, float]:
    """Integrate the onboard model to the terminal speed (or the floor altitude).

    Bank magnitude: linear in speed from `bank0_rad` at the current speed to the alignment
    bank at `v_align_mps`, constant below. Returns (r, v, time) at the end."""
    v0 = norm(v)
    b_al = math.radians(s.bank_align_deg)
    span = max(v0 - s.v_align_mps, 1.0)
    beta = m.ballistic_coefficient
    ld = m.lift_to_drag

    def deriv(x, y, z, vx, vy, vz):
        gx, gy, gz = ref_gravity_rotating(x, y, z, vx, vy, m)
        rn = math.sqrt(x * x + y * y + z * z)
        vn = math.sqrt(vx * vx + vy * vy + vz * vz)
        rho = m.density(rn - m.radius_ref_m, density_scale)
        d = rho * vn * vn / (2.0 * beta)
        frac = min(max((v0 - vn) / span, 0.0), 1.0)
        bank = bank0_rad + frac * (b_al - bank0_rad)
        ux, uy, uz = x / rn, y / rn, z / rn
        dx, dy, dz = vx / vn, vy / vn, vz / vn
        p = ux * dx + uy * dy + uz * dz
        lx, ly, lz = ux - p * dx, uy - p * dy, uz - p * dz
        ln = math.sqrt(lx * lx + ly * ly + lz * lz)
        lift = ld * d * math.cos(bank) / ln
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


def ref_chute_range(height_m: float, vh_mps: float, vz_mps: float, m: eg.EntryModel, density_scale: float,
                altitude_offset_m: float, end_height_m: float = 2_000.0, step_s: float = 0.5) -> float:
    """Horizontal distance the parachute phase flies from now (flat, still air): mortar delay,
    capsule and full-canopy drag (supersonic to subsonic between ~320 and ~190 m/s, Mach 1.4 and
    0.8), heatshield off after 20 s, down to `end_height_m` above the ground.
    `altitude_offset_m` turns heights above the ground into altitudes for the density."""
    x, z, u, w, t = 0.0, height_m, vh_mps, vz_mps, 0.0
    g = m.surface_gravity_mps2
    for _ in range(2000):
        if z <= end_height_m:
            break
        mass = m.mass_kg - (m.heatshield_mass_kg if t >= 20.0 else 0.0)
        vn = math.sqrt(u * u + w * w)
        f = min(max((vn - 190.0) / 130.0, 0.0), 1.0)
        chute = m.chute_cd_area_subsonic_m2 + f * (m.chute_cd_area_m2 - m.chute_cd_area_subsonic_m2)
        cda = m.cd_area_m2 + (chute if t >= m.chute_delay_s else 0.0)
        k = 0.5 * m.density(z + altitude_offset_m, density_scale) * vn * cda / mass
        u -= step_s * k * u
        w -= step_s * (k * w + g)
        x += step_s * u
        z += step_s * w
        t += step_s
    return x


MODELS = [eg.EntryModel(), eg.EntryModel(mass_kg=3100.0, cd_area_m2=22.1, rho0_kgpm3=0.017, scale_height_m=10.2e3,
                                           omega_radps=0.0, j2=0.0)]
state_st = st.tuples(st.floats(-60e3, 130e3), st.floats(-0.3, 0.3), st.floats(300.0, 6000.0), st.floats(-0.5, 0.2),
                     st.floats(-1.0, 1.0))


def mcmf(h, lat, speed, fpa, az):
    rr = eg.EntryModel().radius_ref_m + h
    r = (rr * math.cos(lat), 0.0, rr * math.sin(lat))
    v = (speed * math.sin(fpa) * math.cos(lat), speed * math.cos(fpa) * math.cos(az),
         speed * math.sin(fpa) * math.sin(lat) + speed * math.cos(fpa) * math.sin(az))
    return r, v


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(MODELS), state_st)
def test_gravity_with_its_constants_made_once_is_the_same(m, state):
    (x, y, z), (vx, vy, vz) = mcmf(*state)
    assert bits(eg.gravity_rotating(x, y, z, vx, vy, m)) == bits(ref_gravity_rotating(x, y, z, vx, vy, m))


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(MODELS), state_st, st.floats(0.0, 3.0), st.floats(0.2, 3.0))
def test_predict_with_the_model_written_out_is_the_same(m, state, bank0, scale):
    r, v = mcmf(*state)
    s = eg.EntryGuidanceSettings()
    (r1, v1, t1), (r2, v2, t2) = eg.predict(r, v, bank0, s, m, scale), ref_predict(r, v, bank0, s, m, scale)
    assert bits([*r1, *v1, t1]) == bits([*r2, *v2, t2])


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(MODELS), st.floats(1e3, 30e3), st.floats(0.0, 800.0), st.floats(-400.0, 50.0),
       st.floats(0.2, 3.0), st.floats(-12e3, 2e3), st.floats(0.0, 3e3), st.sampled_from([0.5, 0.25, 1.0]))
def test_chute_range_with_the_model_written_out_is_the_same(m, h, vh, vz, scale, offset, end, step):
    """Below the density's floor altitude (-10 km) too, and across the heatshield's 20 s."""
    assert bits(eg.chute_range(h, vh, vz, m, scale, offset, end, step)) == bits(
        ref_chute_range(h, vh, vz, m, scale, offset, end, step))


# ---------------------------------------------------------------- the landing world
@settings(max_examples=40, deadline=None)
@given(st.sampled_from([4, 8, 16]), st.sampled_from([1, 2, 4]), st.integers(0, 2**32 - 1),
       st.sampled_from(["<f4", "<f8"]))
def test_coarse_heights_cast_cell_by_cell_are_the_copy_s(cells, f, seed, dtype):
    """Each block's fixed-order sum of the map's cells made float64 as they are added is the
    sum over a float64 copy of the map."""
    n = cells * f
    h = (np.random.default_rng(seed).standard_normal((n, n)) * 40).astype(np.dtype(dtype))
    tiled = TiledTerrain.__new__(TiledTerrain)
    tiled._h, tiled.n, tiled.res, tiled.period_m = h, n, 0.5, n * 0.5
    ref = np.zeros((cells, cells))
    h64 = h.astype(np.float64).reshape(cells, f, cells, f)
    for a in range(f):
        for b in range(f):
            ref += h64[:, a, :, b]
    assert bits(tiled.coarse_heights(0.5 * f)) == bits(ref / (f * f))


def test_the_albedo_kept_on_disk_is_the_one_made(tmp_path, monkeypatch):
    monkeypatch.setenv("MSR_CACHE_DIR", str(tmp_path))
    made = landing_world._make_albedo(7, RegionParams())
    first, again = landing_world.regional_albedo(7, RegionParams()), landing_world.regional_albedo(7, RegionParams())
    assert len(list(tmp_path.rglob("albedo-*"))) == 1
    for a in (first, again):
        assert a.dtype == made.dtype and a.shape == made.shape and a.tobytes() == made.tobytes()
    assert landing_world.regional_albedo(8, RegionParams()).tobytes() != made.tobytes()


# ---------------------------------------------------------------- entry navigation, powered descent
vec = st.tuples(real, real, real)


@given(vec, st.tuples(vec, vec, vec))
def test_to_frame_written_out_is_the_generator_s(f, frame):
    want = tuple(f[0] * e[0] + f[1] * e[1] + f[2] * e[2] for e in frame)
    assert bits(to_frame(f, frame)) == bits(want)


class RefDescent(DescentVehicle):
    """Powered descent with the step and the feet's clearance as written before."""

    def clearance(self, pos=None) -> float:
        x, y, z = self.pos if pos is None else pos
        hmax = max(self.terrain.height_at(x + fx, y + fy) for fx, fy in self.feet)
        return z - self.params.leg_height_m - hmax

    def step(self, dt: float) -> None:
        p = self.params
        self.t += dt
        if self.landed:
            self.specific_force = (0.0, 0.0, p.gravity_mps2)
            self.throttle = 0.0 if self.throttle_cmd == 0.0 else self.throttle
            return
        lim = p.throttle_rate_per_s * dt
        target = self.throttle_cmd
        if target == 0.0 and self.throttle <= p.min_throttle + lim:
            self.throttle = 0.0
        else:
            base = max(self.throttle, p.min_throttle) if target > 0.0 else self.throttle
            self.throttle = base + max(-lim, min(lim, target - base))
        thrust = self.thrust_N()
        m0 = self.mass
        mdot = thrust / (p.isp_s * DESCENT_G0)
        used = min(self.propellant_kg, mdot * dt)
        m_mid = m0 - 0.5 * used
        sf1, a1 = self._accel(self.vel, m0, thrust)
        v_mid = tuple(self.vel[i] + 0.5 * dt * a1[i] for i in range(3))
        sf, a2 = self._accel(v_mid, m_mid, thrust)
        new_pos = tuple(self.pos[i] + dt * v_mid[i] for i in range(3))
        new_vel = tuple(self.vel[i] + dt * a2[i] for i in range(3))
        self.propellant_kg -= used
        self.specific_force = sf
        if self.clearance(new_pos) <= 0.0:
            self._touch(new_pos, new_vel)
        else:
            self.pos, self.vel = new_pos, new_vel


class Hills:
    """Ground for the descent: smooth hills (the test needs no site map)."""

    def height_at(self, x: float, y: float) -> float:
        return 3.0 * math.sin(0.05 * x) * math.cos(0.07 * y)

    def cell_of(self, x: float, y: float) -> tuple[int, int]:
        return 0, 0

    max_rock_m = np.zeros((1, 1))


@settings(max_examples=40, deadline=None)
@given(st.tuples(st.floats(-200, 200), st.floats(-200, 200), st.floats(5.0, 80.0)),
       st.tuples(st.floats(-3, 3), st.floats(-3, 3), st.floats(-12, 1)), st.floats(0.0, 1.0),
       st.tuples(st.floats(-0.2, 0.2), st.floats(-0.2, 0.2)), st.sampled_from([0.005, 0.02]))
def test_the_descent_written_out_flies_the_same_bits_to_touchdown(pos, vel, throttle, lean, dt):
    p = DescentParams(initial_position_m=pos, initial_velocity_mps=vel)
    a, b = DescentVehicle(p, Hills()), RefDescent(p, Hills())
    for k in range(int(40.0 / dt)):
        for v in (a, b):
            v.command(throttle if k < 200 else 0.15, (lean[0], lean[1], 1.0))   # then below hover: down
            v.step(dt)
        assert bits([*a.pos, *a.vel, *a.specific_force, a.throttle, a.propellant_kg, a.t]) == bits(
            [*b.pos, *b.vel, *b.specific_force, b.throttle, b.propellant_kg, b.t])
        if a.landed:
            break
    assert (a.touchdown is None) == (b.touchdown is None) and repr(a.touchdown) == repr(b.touchdown)


@settings(max_examples=100, deadline=None)
@given(st.integers(2, 9), st.integers(2, 9), st.floats(0.5, 20.0), st.integers(0, 2**32 - 1),
       st.lists(st.floats(-500.0, 500.0), min_size=1, max_size=12),
       st.lists(st.floats(-500.0, 500.0), min_size=1, max_size=12))
def test_bilinear_on_a_lattice_is_the_pointwise_one(n0, n1, res, seed, xs, ys):
    """The camera's and the orbital map's samples: per column and per row, the same floats as
    every point of the meshgrid on its own (wrapping round, either sign)."""
    grid = np.random.default_rng(seed).uniform(0.05, 0.5, (n0, n1))
    xs, ys = np.array(xs), np.array(ys)
    want = landing_world.bilinear_periodic(grid, res, *np.meshgrid(xs, ys))
    assert bits(landing_world.bilinear_periodic_grid(grid, res, xs, ys)) == bits(want)


@given(vec, vec, vec, st.sampled_from([0.02, 0.1, 0.013]))
def test_descent_navigation_by_components_is_the_arrays(r, v, accel, dt):
    """The lander's IMU integration in powered descent, per component, against the arrays'
    (the sensed force plus (0, 0, -g): its + 0.0 turns -0.0 into 0.0 in both)."""
    nav = SimpleNamespace(r=np.array(r, dtype=float), v=np.array(v, dtype=float))
    DescentNavigator._integrate(nav, accel, dt)
    r_ref, v_ref = np.array(r, dtype=float), np.array(v, dtype=float)
    a = np.asarray(accel, dtype=float) + np.array([0.0, 0.0, -G_MARS])
    r_ref += v_ref * dt + 0.5 * a * dt * dt
    v_ref += a * dt
    assert bits(nav.r) == bits(r_ref) and bits(nav.v) == bits(v_ref)
    assert nav.r.dtype == np.float64 and nav.v.dtype == np.float64
