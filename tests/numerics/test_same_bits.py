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


_GRID = np.random.default_rng(7).standard_normal((32, 32)).astype(np.float32)


def _small_terrain(res: float) -> Terrain:
    return Terrain(TerrainParams(n_cells=32, resolution_m=res), _GRID, np.zeros((32, 32), bool),
                   np.zeros((0, 2)), np.zeros(0), np.zeros((0, 3)), ())


@given(st.floats(-12.0, 12.0, allow_nan=False), st.floats(-12.0, 12.0, allow_nan=False),
       st.sampled_from([0.25, 0.5, 0.3]))
def test_written_out_gradient_is_four_height_lookups(x, y, res):
    """`gradient_at` computes its four heights inline (shared rows and weights): the bits of
    the central difference of four `height_at` calls, at the map edges (clamped) too."""
    t = _small_terrain(res)
    ref = ((t.height_at(x + res, y) - t.height_at(x - res, y)) / (2 * res),
           (t.height_at(x, y + res) - t.height_at(x, y - res)) / (2 * res))
    assert bits(t.gradient_at(x, y)) == bits(ref)


def ref_rover_step(self, dt):
    """sim.rover.Rover.step as it was (before the delivery's speed-up of issue 23)."""
    from sim.rover import slip_fraction
    p = self.params
    self.t += dt
    dv = p.accel_mps2 * dt
    a = self.speed_cmd - self.speed
    a = a if a < dv else dv
    self.speed += a if a > -dv else -dv
    ds_w = self.speed * dt
    ee, target = self.ee_m, self.ee_target_m
    d0, d1, d2 = target[0] - ee[0], target[1] - ee[1], target[2] - ee[2]
    dn = math.sqrt(0.0 + d0 * d0 + d1 * d1 + d2 * d2)
    lim = p.arm_speed_mps * dt
    self.ee_m = target if dn <= lim else (ee[0] + d0 * lim / dn, ee[1] + d1 * lim / dn, ee[2] + d2 * lim / dn)
    if ds_w == 0.0:
        self.yaw_rate = 0.0
        return
    gx, gy = self.terrain.gradient_at(self.x, self.y)
    c, s = math.cos(self.heading), math.sin(self.heading)
    along = gx * c + gy * s
    cross = -gx * s + gy * c
    direction = 1.0 if ds_w > 0 else -1.0
    uphill_deg = math.degrees(math.atan(along * direction))
    slip = slip_fraction(uphill_deg, self.terrain.dune_at(self.x, self.y), p)   # the function it inlines
    self.last_slip = slip
    ds_g = ds_w * (1.0 - slip)
    dpsi_odo = self.curvature_cmd * ds_w
    dpsi = self.curvature_cmd * ds_g + p.yaw_drift_sigma_rad_per_m * math.sqrt(abs(ds_w)) * float(self.rng.standard_normal())
    hmid = self.heading + 0.5 * dpsi
    side = -p.side_slip_gain * cross * abs(ds_w)
    self.x += ds_g * math.cos(hmid) - side * math.sin(hmid)
    self.y += ds_g * math.sin(hmid) + side * math.cos(hmid)
    self.heading = (self.heading + dpsi + math.pi) % (2 * math.pi) - math.pi
    self.odo_heading = (self.odo_heading + dpsi_odo + math.pi) % (2 * math.pi) - math.pi
    self.odometer_m += abs(ds_w)
    self.ground_distance_m += math.hypot(ds_g, side)
    self.yaw_rate = dpsi / dt


ROVER_STATE = ("x", "y", "heading", "speed", "odometer_m", "odo_heading", "ground_distance_m", "last_slip",
               "yaw_rate", "t")


@given(st.floats(-6.0, 6.0), st.floats(-6.0, 6.0), st.floats(-math.pi, math.pi),
       st.lists(st.tuples(st.floats(-0.1, 0.1), st.floats(-3.0, 3.0), st.integers(0, 8),
                          st.tuples(st.floats(-1.0, 1.0), st.floats(-1.0, 1.0), st.floats(0.0, 1.0))),
                min_size=1, max_size=6),
       st.integers(0, 2**32 - 1))
def test_written_out_rover_step_is_the_old_one(x, y, heading, commands, seed):
    """The rover's physics step (slip written out, the arm at its target skipped) moves the
    rover, its odometry and its arm to the very bits the old step gives, on a steep rough map
    with dune cells (slip clamps both ways), stopping, reversing and turning."""
    from sim.rover import Rover, RoverParams
    grid = (_GRID * 3.0).astype(np.float32)
    dunes = np.random.default_rng(3).random((32, 32)) > 0.6
    terrains = [Terrain(TerrainParams(n_cells=32, resolution_m=0.5), grid, dunes, np.zeros((0, 2)), np.zeros(0),
                        np.zeros((0, 3)), ()) for _ in range(2)]
    params = RoverParams(start_pose=(x, y, heading))
    new, old = (Rover(params, t, np.random.default_rng(seed)) for t in terrains)
    for speed, curvature, n, arm in commands:
        for rv in (new, old):
            rv.drive(speed, curvature)
            rv.arm_to(arm)
        for _ in range(n):
            new.step(0.02)
            ref_rover_step(old, 0.02)
        assert bits([getattr(new, k) for k in ROVER_STATE]) == bits([getattr(old, k) for k in ROVER_STATE])
        assert bits(new.ee_m) == bits(old.ee_m)


@given(st.lists(st.tuples(st.floats(-0.1, 0.1), st.floats(-2.0, 2.0), st.integers(1, 40),
                          st.tuples(st.floats(-1.0, 1.0), st.floats(-1.0, 1.0), st.floats(0.0, 1.5))),
                min_size=1, max_size=5),
       st.integers(0, 2**32 - 1))
def test_surface_plant_steps_are_step_and_record(commands, seed):
    """The surface plant's written-out physics loop (`advance_to`) leaves the plant exactly as
    `_step` then `_record` per step did: the rover, the STA, the hazard monitor, the track."""
    from sim.plants.surface_ops import SurfaceOpsPlant
    from sim.rover import RoverParams
    grid = (_GRID * 3.0).astype(np.float32)
    dunes = np.random.default_rng(3).random((32, 32)) > 0.6
    hazard = np.random.default_rng(4).random((24, 24)) > 0.7

    def plant():
        t = Terrain(TerrainParams(n_cells=32, resolution_m=0.5), grid, dunes, np.zeros((0, 2)), np.zeros(0),
                    np.zeros((0, 3)), ())
        return SurfaceOpsPlant(t, (-3.0, 1.0), RoverParams(start_pose=(0.5, -0.5, 0.3)), seed=seed,
                               hazard_px=hazard, hazard_corner_m=(-6.0, -6.0), hazard_pixel_m=0.5)
    new, old = plant(), plant()
    for speed, curvature, n, target in commands:
        for p in (new, old):
            p.actuate("wheels", {"speed_mps": speed, "curvature_1pm": curvature})
            p.actuate("sta_arm", {"target_m": target})
        new.advance_to(new.now_ns() + n * new.step_ns)
        for _ in range(n):                       # the loop as it was: _step, count, _record
            old._step(old.dt)
            old.steps += 1
            old._record(old._start_ns + old.steps * old.step_ns)
        old._now_ns = new.now_ns()
        assert bits([getattr(new.rover, k) for k in ROVER_STATE]) == bits([getattr(old.rover, k) for k in ROVER_STATE])
        assert bits(new.sta.ee) == bits(old.sta.ee) and list(new._dpsi) == list(old._dpsi)
        assert (new.steps, new.hazards_entered, new.hazard_entries, new._in_hazard, new.track) == \
            (old.steps, old.hazards_entered, old.hazard_entries, old._in_hazard, old.track)


# ---- the surface plant's readings as they were computed (no pose cache, generators, fixed_sum)
def ref_tilt(rv):
    gx, gy = rv.terrain.gradient_at(rv.x, rv.y)
    c, s = math.cos(rv.heading), math.sin(rv.heading)
    return math.atan(gx * c + gy * s), math.atan(-gx * s + gy * c)


def ref_body_to_world(rv, v):
    pitch, roll = ref_tilt(rv)
    x, y, z = v
    cr, sr = math.cos(roll), math.sin(roll)
    y, z = cr * y - sr * z, sr * y + cr * z
    cp, sp = math.cos(pitch), math.sin(pitch)
    x, z = cp * x - sp * z, sp * x + cp * z
    ch, sh = math.cos(rv.heading), math.sin(rv.heading)
    return ch * x - sh * y, sh * x + ch * y, z


def ref_world_to_body(rv, v):
    pitch, roll = ref_tilt(rv)
    ch, sh = math.cos(rv.heading), math.sin(rv.heading)
    x, y, z = ch * v[0] + sh * v[1], -sh * v[0] + ch * v[1], v[2]
    cp, sp = math.cos(pitch), math.sin(pitch)
    x, z = cp * x + sp * z, -sp * x + cp * z
    cr, sr = math.cos(roll), math.sin(roll)
    y, z = cr * y + sr * z, -sr * y + cr * z
    return x, y, z


def ref_sense(p, device):
    from fsw.numerics import fixed_sum
    from sim.sensors import off_axis_angle
    rv = p.rover
    ground = rv.terrain.height_at(rv.x, rv.y)
    if device in p.camera_xyz:
        cam = p.camera_xyz[device]
        target = (rv.x, rv.y, ground + p.cameras.target_height_m)
        d = tuple(target[i] - cam[i] for i in range(3))
        rng = math.sqrt(fixed_sum(c * c for c in d))
        if rng > p.cameras.max_range_m or rng == 0.0:
            return {"los_unit": (0.0, 0.0, 0.0), "detected": 0, "brightness": 0.0}
        return {"los_unit": tuple(c / rng for c in d), "detected": 1, "brightness": 1.0}
    if device == "imu0":
        return {"accel_mps2": ref_world_to_body(rv, (0.0, 0.0, p.g)), "rate_radps": (0.0, 0.0, p.imu_yaw_rate())}
    assert device == "navcam"
    cam = p.navcam
    cam_w = ref_body_to_world(rv, cam.mount_m)
    origin = (rv.x + cam_w[0], rv.y + cam_w[1], ground + cam_w[2])
    best = None
    for tid in sorted(rv.tubes):
        if rv.tubes[tid].where != "ground":
            continue
        x, y = rv.tubes[tid].xy
        tw = (x, y, rv.terrain.height_at(x, y) + rv.params.tube_height_m)
        d_world = tuple(tw[i] - origin[i] for i in range(3))
        rng = math.sqrt(fixed_sum(c * c for c in d_world))
        if rng > cam.max_range_m or rng == 0.0:
            continue
        d_body = ref_world_to_body(rv, d_world)
        if off_axis_angle(d_body, cam.boresight) > cam.half_fov_rad:
            continue
        if best is None or rng < best[0]:
            best = (rng, tid, d_body)
    if best is None:
        return {"los_unit": (0.0, 0.0, 0.0), "detected": 0, "brightness": 0.0}
    rng, _, d = best
    return {"los_unit": tuple(c / rng for c in d), "detected": 1, "brightness": min(1.0, 1.5 / max(rng, 1e-3))}


def reading_bits(r):
    return {k: bits(v) for k, v in r.items()}


@given(st.lists(st.tuples(st.floats(-0.1, 0.1), st.floats(-2.0, 2.0), st.integers(0, 30)), min_size=1, max_size=6),
       st.lists(st.tuples(st.floats(-7.0, 7.0), st.floats(-7.0, 7.0)), min_size=0, max_size=6),
       st.floats(-math.pi, math.pi), st.integers(0, 2**32 - 1))
def test_surface_plant_geometry_readings_are_the_old_ones(commands, tubes, heading, seed):
    """The IMU, navcam and lander-camera readings (pose frame kept between steps, tube
    heights kept, sums written out) are the bits the per-call geometry gave, as the rover
    drives, stops (the kept frame reused) and turns among tubes near and far."""
    from sim.plants.surface_ops import SurfaceOpsPlant
    from sim.rover import RoverParams
    from sim.terrain import Tube
    grid = (_GRID * 3.0).astype(np.float32)
    t = Terrain(TerrainParams(n_cells=32, resolution_m=0.5), grid, np.zeros((32, 32), bool), np.zeros((0, 2)),
                np.zeros(0), np.zeros((0, 3)), tuple(Tube(k + 1, x, y) for k, (x, y) in enumerate(tubes)))
    p = SurfaceOpsPlant(t, (-4.0, 1.0), RoverParams(start_pose=(0.5, -0.5, heading)), seed=seed)
    for speed, curvature, n in commands:
        p.actuate("wheels", {"speed_mps": speed, "curvature_1pm": curvature})
        p.advance_to(p.now_ns() + n * p.step_ns)
        for device in ("imu0", "navcam", "lander_cam_l", "lander_cam_r", "navcam", "imu0"):
            assert reading_bits(p.sense(device)) == reading_bits(ref_sense(p, device)), device
        rv = p.rover
        assert bits(rv.tilt()) == bits(ref_tilt(rv))
        assert bits(rv.ground_z()) == bits(rv.terrain.height_at(rv.x, rv.y))
        arm = (0.4, -0.1, 0.3)
        assert bits(rv.body_to_world(arm)) == bits(ref_body_to_world(rv, arm))


@given(st.lists(st.tuples(st.floats(0.01, 0.1), st.floats(-1.0, 1.0), st.integers(1, 300), st.booleans()),
                min_size=1, max_size=6), st.integers(0, 2**32 - 1))
def test_drift_draws_in_blocks_give_a_fault_hook_the_same_numbers(legs, seed):
    """The rover's yaw-drift normals come from blocks of draws; a random dropout fault (a hook
    drawing `random()` from the same plant generator between physics steps) still sees the
    numbers it saw when every step drew its own, and so do the steps after it."""
    from sim.plants.surface_ops import SurfaceOpsPlant
    from sim.rover import RoverParams
    from sim.sensors import Fault

    def plant():
        t = Terrain(TerrainParams(n_cells=32, resolution_m=0.5), (_GRID * 3.0).astype(np.float32),
                    np.zeros((32, 32), bool), np.zeros((0, 2)), np.zeros(0), np.zeros((0, 3)), ())
        return SurfaceOpsPlant(t, (-6.0, 1.0), RoverParams(start_pose=(0.0, 0.0, 0.2)), seed=seed)
    new, old = plant(), plant()
    old.rover._drift.BLOCK = 1                   # one draw a step: the scalar stream as it was
    for p in (new, old):
        p.inject_fault(Fault("lander_cam_l", "dropout", probability=0.5))
    for speed, curvature, n, read in legs:
        for p in (new, old):
            p.actuate("wheels", {"speed_mps": speed, "curvature_1pm": curvature})
            p.advance_to(p.now_ns() + n * p.step_ns)
        if read:
            assert new.sense("lander_cam_l") == old.sense("lander_cam_l")
        assert bits([getattr(new.rover, k) for k in ROVER_STATE]) == bits([getattr(old.rover, k) for k in ROVER_STATE])
    new.rover._drift.sync()
    assert new.rng.bit_generator.state == old.rng.bit_generator.state


# ---------------------------------------------------------------- pure pursuit: the repeated closest point
@given(st.lists(st.tuples(st.floats(-50, 50), st.floats(-50, 50)), min_size=1, max_size=8),
       st.lists(st.tuples(st.floats(-60, 60), st.floats(-60, 60), st.floats(-4, 4), st.floats(-0.2, 0.2),
                          st.booleans()), min_size=1, max_size=12))
def test_pursuit_asked_twice_at_one_estimate_is_the_search(path, steps):
    """A control step asks progress then curvature at the same NavState floats (and a parked
    rover keeps its floats across steps): the kept answer is the search's, bit for bit, and a
    new estimate or a moved segment searches again. The reference is `_search`, the old
    `_closest` body unchanged, run at every ask."""
    from fsw.gnc.pure_pursuit import PurePursuit
    fast, ref = PurePursuit(list(path)), PurePursuit(list(path))
    ref._closest = ref._search
    x = y = None
    for nx, ny, heading, speed, same in steps:
        if not same or x is None:
            x, y = nx, ny                     # a new estimate (new float objects)
        assert bits(fast.progress(x, y)) == bits(ref.progress(x, y))
        assert bits(fast.curvature(x, y, heading, speed)) == bits(ref.curvature(x, y, heading, speed))
        assert fast._seg == ref._seg
        assert bits(fast.progress(x, y)) == bits(ref.progress(x, y))


# ---------------------------------------------------------------- the disc test over one mask, many radii
@given(st.integers(1, 40), st.integers(1, 40), st.floats(0.0, 1.0), st.integers(0, 2**31 - 1),
       st.lists(st.floats(-1.0, 45.0), min_size=1, max_size=6))
def test_within_radius_with_the_columns_once_is_the_one_call(n, m, density, seed, radii):
    """The planner's clearance asks the disc test at 32 radii over one hazard map: the column
    distances computed once and capped per radius give the very masks of the one-call form
    (and `column_distance(mask, cap)` is the old capped array, dtype included)."""
    from fsw.gnc import hazard
    mask = np.random.default_rng(seed).random((n, m)) < density
    columns = hazard.column_distances(mask)
    for r in radii:
        assert np.array_equal(hazard.within_radius(mask, r, columns), hazard.within_radius(mask, r))
        cap = int(math.floor(r)) + 1
        old = ref_column_distance(mask, cap)
        new = hazard.column_distance(mask, cap)
        assert new.dtype == old.dtype and np.array_equal(new, old)


def ref_column_distance(hazard_mask, cap):
    """fsw.gnc.hazard.column_distance as it was (capped in place)."""
    n = hazard_mask.shape[0]
    idx = np.arange(n, dtype=np.int32)[:, None]
    big = np.int32(1 << 29)
    last = np.where(hazard_mask, idx, -big)
    np.maximum.accumulate(last, axis=0, out=last)
    np.subtract(idx, last, out=last)
    nxt = np.where(hazard_mask, idx, big)
    nxt = np.minimum.accumulate(nxt[::-1], axis=0)[::-1]
    np.subtract(nxt, idx, out=nxt)
    np.minimum(last, nxt, out=last)
    np.minimum(last, cap, out=last)
    return last.astype(np.int16 if cap < 32767 else np.int32)


# ---------------------------------------------------------------- the planner's clearance, all radii at once
def ref_clearance_cells(hazard_px, pixel_m, f, cap_m):
    """fsw.gnc.path_planner.clearance_cells as it was: one disc test per 0.25 m radius."""
    from fsw.gnc import hazard
    from fsw.gnc.path_planner import INFLATION_STEP_M
    q = np.where(hazard_px, np.float32(-1.0), np.float32(0.0))
    columns = hazard.column_distances(hazard_px)
    for k in range(1, int(round(cap_m / INFLATION_STEP_M)) + 1):
        r = k * INFLATION_STEP_M
        q[~hazard.within_radius(hazard_px, r / pixel_m, columns)] = np.float32(r)
    n = hazard_px.shape[0] // f
    return q[: n * f, : n * f].reshape(n, f, n, f).min(axis=(1, 3))


@given(st.integers(1, 48), st.floats(0.0, 0.3), st.integers(0, 2**31 - 1),
       st.sampled_from([0.5, 0.25, 0.3, 0.7, 1.0, 2.0]), st.integers(1, 4), st.sampled_from([8.0, 3.0, 0.25, 1.1]))
def test_clearance_for_all_radii_at_once_is_the_per_radius_loop(n, density, seed, pixel_m, f, cap_m):
    """The clearance map from the first covering radius per pixel is the array the loop of
    `within_radius` calls gave (values, dtype), on sparse and dense maps, odd pixel sizes
    and caps, maps narrower than the largest disc."""
    from fsw.gnc.path_planner import clearance_cells
    mask = np.random.default_rng(seed).random((n, n)) < density
    old, new = ref_clearance_cells(mask, pixel_m, f, cap_m), clearance_cells(mask, pixel_m, f, cap_m)
    assert new.dtype == old.dtype and new.shape == old.shape
    assert new.tobytes() == old.tobytes()
