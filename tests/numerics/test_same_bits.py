"""The speed-ups of issue 23 give the very bits of the code they replaced.

Each reference below is the routine as it was written before (loops, generators, numpy
element access, `sum()`); the fast version (unrolled, scalar, cached, vectorised after the
run) must agree bit for bit, signed zeros included, on any finite input: the golden
telemetry hashes hold only because of that, and these tests say where it would break."""
from __future__ import annotations

import math
import struct

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from fsw.gnc import relnav
from fsw.numerics import matmul, matvec, sandwich
from fsw.numerics.matrix import _rowdot as ref_rowdot          # the loop the kernels write out
from sim.orbit import _cross, _dot, _norm, propagate_j2
from sim.relative import inertial_to_lvlh, inertial_to_lvlh_arrays
from sim.rendezvous import OrbitPair, RendezvousParams, cone_coordinates_arrays
from sim.terrain import Terrain, TerrainParams

real = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)    # zeros of both signs included


def bits(x) -> list[bytes]:
    flat = np.asarray(x, dtype=np.float64).ravel().tolist()
    return [struct.pack("<d", v) for v in flat]


# ---------------------------------------------------------------- references: the code before
def ref_matmul(a, b):
    cols = list(zip(*[list(r) for r in b]))
    return [[ref_rowdot(row, col) for col in cols] for row in a]


def ref_propagate_j2(state, dt, n_steps, gm, j2, re, accel=(0.0, 0.0, 0.0)):
    c15 = 1.5 * j2 * re * re
    ax0, ay0, az0 = accel
    sqrt = math.sqrt

    def acc(x, y, z):
        r2 = x * x + y * y + z * z
        k = -gm / (r2 * sqrt(r2))
        f = c15 / r2
        zz = 5.0 * z * z / r2
        kxy = k * (1.0 + f * (1.0 - zz))
        return kxy * x + ax0, kxy * y + ay0, k * (1.0 + f * (3.0 - zz)) * z + az0

    x, y, z, vx, vy, vz = (float(s) for s in state)
    h = float(dt)
    h2 = 0.5 * h
    h6 = h / 6.0
    for _ in range(n_steps):
        a1x, a1y, a1z = acc(x, y, z)
        vx2 = vx + h2 * a1x; vy2 = vy + h2 * a1y; vz2 = vz + h2 * a1z          # noqa: E702
        a2x, a2y, a2z = acc(x + h2 * vx, y + h2 * vy, z + h2 * vz)
        vx3 = vx + h2 * a2x; vy3 = vy + h2 * a2y; vz3 = vz + h2 * a2z          # noqa: E702
        a3x, a3y, a3z = acc(x + h2 * vx2, y + h2 * vy2, z + h2 * vz2)
        vx4 = vx + h * a3x; vy4 = vy + h * a3y; vz4 = vz + h * a3z             # noqa: E702
        a4x, a4y, a4z = acc(x + h * vx3, y + h * vy3, z + h * vz3)
        x += h6 * (vx + 2.0 * (vx2 + vx3) + vx4)
        y += h6 * (vy + 2.0 * (vy2 + vy3) + vy4)
        z += h6 * (vz + 2.0 * (vz2 + vz3) + vz4)
        vx += h6 * (a1x + 2.0 * (a2x + a3x) + a4x)
        vy += h6 * (a1y + 2.0 * (a2y + a3y) + a4y)
        vz += h6 * (a1z + 2.0 * (a2z + a3z) + a4z)
    return x, y, z, vx, vy, vz


def ref_inertial_to_lvlh(chief, deputy):
    r, v = chief[:3], chief[3:6]
    rn = _norm(r)
    h = _cross(r, v)
    hn = _norm(h)
    xh = tuple(c / rn for c in r)
    zh = tuple(c / hn for c in h)
    yh = _cross(zh, xh)
    w = hn / (rn * rn)
    dr = tuple(deputy[i] - chief[i] for i in range(3))
    dv = tuple(deputy[3 + i] - chief[3 + i] for i in range(3))
    wxr = _cross(tuple(w * c for c in zh), dr)
    dvr = tuple(dv[i] - wxr[i] for i in range(3))
    return (_dot(dr, xh), _dot(dr, yh), _dot(dr, zh), _dot(dvr, xh), _dot(dvr, yh), _dot(dvr, zh))


def ref_cone(rel, ax):
    along = sum(rel[i] * ax[i] for i in range(3))
    lat = math.sqrt(max(0.0, sum(rel[i] ** 2 for i in range(3)) - along * along))
    closing = -sum(rel[3 + i] * ax[i] for i in range(3))
    return along, lat, closing


def ref_curvilinear(state, R):
    x, y, z, vx, vy, vz = (float(c) for c in state)
    th = y / R
    s, c = math.sin(th), math.cos(th)
    rect = np.array((x - R * (1.0 - c), R * s, z, vx - s * vy, c * vy, vz))
    J = np.eye(6)
    J[0, 1], J[1, 1], J[3, 1], J[3, 4], J[4, 1], J[4, 4] = -s, c, -c * vy / R, -s, -s * vy / R, c
    return rect, J


# ---------------------------------------------------------------- the comparisons
@given(st.integers(1, 7), st.one_of(st.integers(1, 7), st.just(18)), st.integers(1, 7), st.data())
def test_unrolled_matmul_and_matvec_are_the_loop(n, k, m, data):
    a = data.draw(st.lists(st.lists(real, min_size=k, max_size=k), min_size=n, max_size=n))
    b = data.draw(st.lists(st.lists(real, min_size=m, max_size=m), min_size=k, max_size=k))
    x = data.draw(st.lists(real, min_size=k, max_size=k))
    assert bits(matmul(a, b)) == bits(ref_matmul(a, b))
    assert bits(matmul(np.array(a), np.array(b))) == bits(ref_matmul(a, b))
    assert bits(matvec(a, x)) == bits([ref_rowdot(r, x) for r in a])


@given(st.integers(1, 7), st.integers(1, 7), st.booleans(), st.data())
def test_sandwich_reading_a_rows_as_the_columns_of_a_t_is_the_two_products(n, k, as_array, data):
    a = data.draw(st.lists(st.lists(real, min_size=k, max_size=k), min_size=n, max_size=n))
    p = data.draw(st.lists(st.lists(real, min_size=k, max_size=k), min_size=k, max_size=k))
    old = ref_matmul(ref_matmul(a, p), [list(c) for c in zip(*a)])      # (A P) then times A^T
    if as_array:
        a, p = np.array(a), np.array(p)
    assert bits(sandwich(a, p)) == bits(old)
    assert bits(sandwich(a, p, np.array(a).T.tolist())) == bits(old)


def test_ragged_rows_still_take_the_loop():
    assert matvec([[1.0, 2.0, 3.0], [4.0, 5.0]], [1.0, 1.0, 1.0]) == [6.0, 9.0]


orbit = st.tuples(st.floats(3.5e6, 4.0e6), st.floats(-2e5, 2e5), st.floats(-2e5, 2e5),
                  st.floats(-100.0, 100.0), st.floats(3.0e3, 3.6e3), st.floats(-1.5e3, 1.5e3))
small = st.floats(-1e3, 1e3, allow_nan=False)


@given(orbit, st.floats(0.01, 20.0), st.integers(1, 4), st.tuples(small, small, small).map(
    lambda a: tuple(c * 1e-4 for c in a)))
def test_written_out_j2_step_is_the_old_one(state, dt, n, accel):
    from sim.mars import MARS
    new = propagate_j2(state, dt, n, MARS, accel)
    old = ref_propagate_j2(state, dt, n, MARS.gm_m3ps2, MARS.j2, MARS.radius_eq_m, accel)
    assert bits(new) == bits(old)


@given(orbit, st.tuples(*[st.floats(-5e4, 5e4)] * 3 + [st.floats(-20.0, 20.0)] * 3))
def test_hill_frame_scalar_and_arrays_are_the_old_one(chief, offset):
    deputy = tuple(c + d for c, d in zip(chief, offset))
    old = ref_inertial_to_lvlh(chief, deputy)
    assert bits(inertial_to_lvlh(chief, deputy)) == bits(old)
    cols = inertial_to_lvlh_arrays([np.array([c, c]) for c in chief], [np.array([d, d]) for d in deputy])
    assert bits([c[1] for c in cols]) == bits(old)


@given(st.tuples(*[real] * 6), st.sampled_from([(0.0, 1.0, 0.0), (0.6, 0.8, 0.0), (0.0, -1.0, 0.0)]))
def test_cone_coordinates_scalar_and_arrays_are_the_old_ones(rel, axis):
    pair = OrbitPair(RendezvousParams(cone_axis_body=axis))
    old = ref_cone(rel, axis)
    assert bits(pair.cone_coordinates(rel)) == bits(old)
    arrays = cone_coordinates_arrays([np.array([c]) for c in rel], axis)
    assert bits([a[0] for a in arrays]) == bits(old)


@given(st.tuples(*[real] * 6), st.floats(3.5e6, 4.0e6))
def test_rectilinear_state_and_jacobian_are_the_old_ones(state, R):
    rect, J = relnav.curvilinear_to_rectilinear(state, R)
    ref_rect, ref_J = ref_curvilinear(state, R)
    assert bits(rect) == bits(ref_rect) and bits(J) == bits(ref_J)
    f = relnav.RelNavFilter(relnav.RelNavConfig(n=1e-3, radius_m=R), state, [1.0] * 6)
    assert bits(f.rectilinear_floats()) == bits(ref_rect) and bits(f.rectilinear()) == bits(ref_rect)


def test_height_rows_gradient_and_dunes_are_the_array_reads():
    rng = np.random.default_rng(5)
    n, res = 64, 0.5
    h = rng.standard_normal((n, n)).astype(np.float32)
    dunes = rng.random((n, n)) > 0.5
    t = Terrain(TerrainParams(n_cells=n, resolution_m=res), h, dunes, np.zeros((0, 2)), np.zeros(0),
                np.zeros((0, 3)), ())

    def ref_height(x, y):
        fx = min(max((x + t.half_extent_m) / res - 0.5, 0.0), n - 1 - 1e-9)
        fy = min(max((y + t.half_extent_m) / res - 0.5, 0.0), n - 1 - 1e-9)
        j, i = int(fx), int(fy)
        tx, ty = fx - j, fy - i
        h00, h01, h10, h11 = float(h[i, j]), float(h[i, j + 1]), float(h[i + 1, j]), float(h[i + 1, j + 1])
        return (h00 * (1 - tx) + h01 * tx) * (1 - ty) + (h10 * (1 - tx) + h11 * tx) * ty

    for x, y in rng.uniform(-20.0, 20.0, (300, 2)).tolist() + [(-0.0, 0.0), (0.0, -0.0), (99.0, -99.0)]:
        assert bits(t.height_at(x, y)) == bits(ref_height(x, y))
        ref_grad = ((ref_height(x + res, y) - ref_height(x - res, y)) / (2 * res),
                    (ref_height(x, y + res) - ref_height(x, y - res)) / (2 * res))
        assert bits(t.gradient_at(x, y)) == bits(ref_grad)
        assert bits(t.gradient_at(x, y)) == bits(ref_grad)              # again: the kept one
        i, j = t.cell_of(x, y)
        assert t.dune_at(x, y) == bool(dunes[i, j])


@given(st.lists(st.tuples(real, st.integers(-2**60, 2**60), st.booleans()), min_size=1, max_size=40))
def test_truth_series_are_the_rows_as_sampled(rows):
    """sim.truth's declared samples come back bit for bit, ints and bools as doubles (an
    array('d') buffer was tried for speed: its extend converts slower than numpy's row copy)."""
    from sim.truth import TruthRecorder

    class Plant:
        def __init__(self):
            self.row = None

        def truth(self):
            return {}

        def truth_fields(self):
            return ("a", "b", "c")

        def truth_values(self):
            return list(self.row)
    plant = Plant()
    rec = TruthRecorder(plant, 1)
    table = np.empty((len(rows), 3))
    for i, row in enumerate(rows):
        plant.row = row
        rec.advance_to(i)
        table[i] = row
    series = rec.series()
    assert all(bits(series[name]) == bits(table[:, j]) for j, name in enumerate("abc"))


def ref_polar_propagate(state, n, radius_m, dt, max_step_s=10.0):
    x, y, z, vx, vy, vz = (float(c) for c in state)
    R = float(radius_m)
    mu = n * n * R ** 3
    r, rd, w = R - x, -vx, -vy / R

    def f(r, rd, w):
        a = n + w
        return rd, r * a * a - mu / (r * r), -2.0 * rd * a / r

    steps = max(1, math.ceil(abs(dt) / max_step_s))
    h = dt / steps
    th = -y / R
    for _ in range(steps):
        k1 = f(r, rd, w)
        k2 = f(r + 0.5 * h * k1[0], rd + 0.5 * h * k1[1], w + 0.5 * h * k1[2])
        k3 = f(r + 0.5 * h * k2[0], rd + 0.5 * h * k2[1], w + 0.5 * h * k2[2])
        k4 = f(r + h * k3[0], rd + h * k3[1], w + h * k3[2])
        th += h / 6.0 * (w + 2.0 * (w + 0.5 * h * k1[2]) + 2.0 * (w + 0.5 * h * k2[2]) + (w + h * k3[2]))
        r += h / 6.0 * (k1[0] + 2.0 * k2[0] + 2.0 * k3[0] + k4[0])
        rd += h / 6.0 * (k1[1] + 2.0 * k2[1] + 2.0 * k3[1] + k4[1])
        w += h / 6.0 * (k1[2] + 2.0 * k2[2] + 2.0 * k3[2] + k4[2])
    c, s = math.cos(n * dt), math.sin(n * dt)
    return np.array((R - r, -R * th, c * z + s / n * vz, -rd, -R * w, -n * s * z + c * vz))


@given(st.tuples(*[st.floats(-5e4, 5e4)] * 3 + [st.floats(-20.0, 20.0)] * 3), st.floats(3.5e6, 4.0e6),
       st.floats(0.0, 35.0))
def test_written_out_polar_propagation_is_the_old_one(state, R, dt):
    n = math.sqrt(4.2828e13 / R ** 3)
    assert bits(relnav.polar_propagate(state, n, R, dt)) == bits(ref_polar_propagate(state, n, R, dt))


def ref_ccrs_step(self, dt):
    """CcrsPlant._step as it was (min/max calls, the seal loop building the pyro's name)."""
    from sim.plants.ccrs import EEV_SEAT_M
    p = self.p
    lim = p.slew_radps * dt
    g, cmd = self.gimbal, self.gimbal_cmd
    g[0] += max(-lim, min(lim, cmd[0] - g[0]))
    g[1] += max(-lim, min(lim, cmd[1] - g[1]))
    arm, target = self.arm, self.arm_target
    d0, d1, d2 = target[0] - arm[0], target[1] - arm[1], target[2] - arm[2]
    dn = math.sqrt(0.0 + d0 * d0 + d1 * d1 + d2 * d2)
    step = p.arm_speed_mps * dt
    if dn <= step:
        self.arm = list(target)
    else:
        self.arm = [arm[0] + d0 * step / dn, arm[1] + d1 * step / dn, arm[2] + d2 * step / dn]
    if self.sealed["secondary"] and not self.in_eev and math.dist(self.arm, EEV_SEAT_M) <= p.seat_tolerance_m:
        self.in_eev = True
    t_inf = p.ambient_C + self.heater_W / p.heat_loss_W_per_K
    tau = p.heat_capacity_J_per_K / p.heat_loss_W_per_K
    self.temp_C = t_inf + (self.temp_C - t_inf) * math.exp(-dt / tau)
    self.max_temp_C = max(self.max_temp_C, self.temp_C)
    if self.fired["eev_sep"] is not None and self.in_eev:
        self.eev_gap_m += p.eev_sep_speed_mps * dt
    t = self.t_s + dt
    for seal in ("primary", "secondary"):
        since = self.fired["seal_" + seal]
        if since is not None and not self.sealed[seal] and t - since >= p.seal_close_s:
            self._close(seal)


angle = st.floats(-4.0, 4.0)


@given(st.lists(st.tuples(angle, angle, angle, angle, st.floats(-50.0, 80.0), st.floats(-50.0, 80.0),
                          st.floats(0.0, 30.0), st.sampled_from([0.1, 1.0, 30.0])), min_size=1, max_size=4),
       st.sampled_from([None, 0.0, 5.0]), st.integers(0, 400))
def test_ccrs_step_without_min_max_calls_is_the_old_one(states, fired_at, steps):
    from sim.plants.ccrs import CcrsPlant
    new, old = CcrsPlant(), CcrsPlant()
    for plant in (new, old):
        plant.steps = steps
        plant.fired["seal_primary"] = plant.fired["seal_secondary"] = fired_at
    for g0, g1, c0, c1, temp, max_temp, heater, dt in states:
        for plant in (new, old):
            plant.gimbal, plant.gimbal_cmd = [g0, g1], [c0, c1]
            plant.temp_C, plant.max_temp_C, plant.heater_W = temp, max_temp, heater
        new._step(dt)
        ref_ccrs_step(old, dt)
        assert bits(new.gimbal + [new.temp_C, new.max_temp_C]) == bits(old.gimbal + [old.temp_C, old.max_temp_C])
        assert new.sealed == old.sealed and new.leak_rate == old.leak_rate
