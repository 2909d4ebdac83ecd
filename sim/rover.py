"""Sample Fetch Rover: kinematics over the terrain height map, slope-dependent slip, odometry,
and a tube-handling arm/gripper with stowage slots.

Frame: the terrain's local frame (x east, y north, z up). Heading is measured from +x (east)
counter-clockwise; positive curvature turns left. Body frame: x forward, y left, z up,
origin on the ground under the rover centre. The arm base frame is the body frame shifted to
`arm_base_m`.

Odometry is what the wheels say: distance and heading from wheel turns and commanded
curvature, blind to slip. The truth moves less uphill (longitudinal slip that grows with
slope and in sand), slides down a side slope, and picks up a small yaw drift drawn from the
plant's Generator.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from sim.terrain import Terrain, Tube
from fsw.numerics import fixed_sum


@dataclass(frozen=True)
class RoverParams:
    """Fetch rover (MSR_FACTS.md: 4 wheels, ~130 kg, ~7 cm/s)."""

    mass_kg: float = 130.0
    max_speed_mps: float = 0.07
    accel_mps2: float = 0.05
    max_curvature_1pm: float = 2.0
    slip_onset_deg: float = 5.0          # no slip on gentler uphill slopes
    slip_full_deg: float = 28.0          # slope at which the rover stops making progress
    sand_slip: float = 0.15              # extra slip on dune sand
    sand_slip_gain: float = 1.6          # slope slip multiplied on sand
    downhill_skid: float = 0.05          # negative slip per 10 deg downhill (rolls a bit further)
    side_slip_gain: float = 0.25         # lateral slide per m driven per unit of cross-slope
    yaw_drift_sigma_rad_per_m: float = 0.003
    start_pose: tuple[float, float, float] = (0.0, 0.0, 0.0)   # x, y, heading
    arm_base_m: tuple[float, float, float] = (0.55, 0.0, 0.45)
    arm_reach_m: float = 1.3
    arm_speed_mps: float = 0.08
    arm_at_target_tol_m: float = 0.005
    grasp_tol_m: float = 0.04
    stow_point_m: tuple[float, float, float] = (-0.7, 0.0, 0.35)  # in the arm base frame
    stow_tol_m: float = 0.05
    n_slots: int = 10
    tube_height_m: float = 0.02          # tube axis above the ground


def slip_fraction(uphill_deg: float, on_sand: bool, p: RoverParams) -> float:
    """Longitudinal slip 1 - ground distance / wheel distance (0 none, 1 no progress, < 0 skid)."""
    if uphill_deg < 0.0:
        s = p.downhill_skid * uphill_deg / 10.0
    else:
        x = max(0.0, (uphill_deg - p.slip_onset_deg) / (p.slip_full_deg - p.slip_onset_deg))
        s = x * x
    if on_sand:
        s = s * p.sand_slip_gain + p.sand_slip
    return max(-0.2, min(1.0, s))


class NormalDraws:
    """`float(rng.standard_normal())`, one at a time, from blocks of BLOCK draws: one numpy call
    per block instead of one per physics step. `standard_normal(n)` fills element by element
    from the same stream as n single draws, so the numbers are the same. Whoever else draws
    from `rng` calls `sync()` first: it puts the generator where the draws taken so far leave
    it (the state before the block, then as many draws as were taken), so they get the very
    numbers they got before."""

    BLOCK = 256

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self._buf: list[float] = []
        self._i = 0
        self._state: dict | None = None

    def next(self) -> float:
        i, buf = self._i, self._buf
        if i == len(buf):                    # the generator is where the block left it
            self._state = self.rng.bit_generator.state
            buf = self._buf = self.rng.standard_normal(self.BLOCK).tolist()
            i = 0
        self._i = i + 1
        return buf[i]

    def sync(self) -> None:
        if self._i < len(self._buf):
            self.rng.bit_generator.state = self._state
            if self._i:
                self.rng.standard_normal(self._i)
        self._buf, self._i = [], 0


@dataclass
class TubeState:
    tube: Tube
    where: str = "ground"                # ground | gripper | slot<k>
    xy: tuple[float, float] = (0.0, 0.0)


@dataclass
class Rover:
    params: RoverParams
    terrain: Terrain
    rng: np.random.Generator
    x: float = 0.0
    y: float = 0.0
    heading: float = 0.0
    speed: float = 0.0                    # wheel speed (m/s)
    speed_cmd: float = 0.0
    curvature_cmd: float = 0.0
    odometer_m: float = 0.0
    odo_heading: float = 0.0
    ground_distance_m: float = 0.0
    last_slip: float = 0.0
    yaw_rate: float = 0.0
    ee_m: tuple[float, float, float] = (0.3, 0.0, 0.2)
    ee_target_m: tuple[float, float, float] = (0.3, 0.0, 0.2)
    gripper_closed: bool = False
    held: int = 0
    slots: list[int] = field(default_factory=list)
    tubes: dict[int, TubeState] = field(default_factory=dict)
    events: list[tuple[float, str]] = field(default_factory=list)
    t: float = 0.0

    def __post_init__(self) -> None:
        self._drift = NormalDraws(self.rng)      # the yaw drift's draws (not a field)
        self.x, self.y, self.heading = self.params.start_pose
        self.odo_heading = self.heading
        self.slots = [0] * self.params.n_slots
        self.tubes = {tb.tube_id: TubeState(tb, "ground", (tb.x_m, tb.y_m)) for tb in self.terrain.tubes}

    # --- commands -----------------------------------------------------------------------------
    def drive(self, speed_mps: float, curvature_1pm: float) -> None:
        p = self.params
        self.speed_cmd = max(-p.max_speed_mps, min(p.max_speed_mps, speed_mps))
        self.curvature_cmd = max(-p.max_curvature_1pm, min(p.max_curvature_1pm, curvature_1pm))

    def arm_to(self, target_m: tuple[float, float, float]) -> None:
        n = math.sqrt(fixed_sum(c * c for c in target_m))
        reach = self.params.arm_reach_m
        self.ee_target_m = tuple(c * reach / n for c in target_m) if n > reach else tuple(target_m)

    def grip(self, close: bool) -> None:
        if close and not self.gripper_closed:
            self.gripper_closed = True
            tid = self._tube_at_ee()
            if tid:
                self.held = tid
                self.tubes[tid].where = "gripper"
                self.events.append((self.t, f"picked tube {tid}"))
        elif not close and self.gripper_closed:
            self.gripper_closed = False
            if self.held:
                self._release()

    def _release(self) -> None:
        tid, self.held = self.held, 0
        st = self.tubes[tid]
        if _dist(self.ee_m, self.params.stow_point_m) <= self.params.stow_tol_m and 0 in self.slots:
            k = self.slots.index(0)
            self.slots[k] = tid
            st.where = f"slot{k}"
            self.events.append((self.t, f"stowed tube {tid} in slot {k}"))
        else:
            wx, wy, _ = self.ee_world()
            st.where, st.xy = "ground", (wx, wy)
            self.events.append((self.t, f"dropped tube {tid}"))

    # --- geometry -----------------------------------------------------------------------------
    _frame_cache = (None, None, None, None)   # x, y, heading objects; frame (class defaults: not fields)
    _z_cache = (None, None, None)             # x, y objects; ground z

    def _frame(self) -> tuple:
        """(pitch, roll, ch, sh, cp, sp, cr, sr) at the current pose, kept while the pose is the
        very same float objects (a physics step assigns new ones): the IMU, the navcam (its
        mount and every tube), the arm and the truth all ask at one pose between two steps,
        and a function of the same operands gives the same bits."""
        x, y, h = self.x, self.y, self.heading
        cx, cy, ch_, frame = self._frame_cache
        if x is cx and y is cy and h is ch_:
            return frame
        gx, gy = self.terrain.gradient_at(x, y)
        c, s = math.cos(h), math.sin(h)
        pitch, roll = math.atan(gx * c + gy * s), math.atan(-gx * s + gy * c)
        frame = (pitch, roll, c, s, math.cos(pitch), math.sin(pitch), math.cos(roll), math.sin(roll))
        self._frame_cache = (x, y, h, frame)
        return frame

    def ground_z(self) -> float:
        """The height under the rover, kept like the frame (the navcam and the lander's two
        cameras ask at one place)."""
        x, y = self.x, self.y
        cx, cy, z = self._z_cache
        if x is cx and y is cy:
            return z
        z = self.terrain.height_at(x, y)
        self._z_cache = (x, y, z)
        return z

    def tilt(self) -> tuple[float, float]:
        """(pitch, roll) of the body from the local slope (pitch > 0 nose up, roll > 0 left side up)."""
        f = self._frame()
        return f[0], f[1]

    def body_to_world(self, v: tuple[float, float, float]) -> tuple[float, float, float]:
        """Rotate a body vector to the local frame (heading, then pitch and roll)."""
        _, _, ch, sh, cp, sp, cr, sr = self._frame()
        x, y, z = v
        # roll about x, pitch about -y (nose up), yaw about z
        y, z = cr * y - sr * z, sr * y + cr * z
        x, z = cp * x - sp * z, sp * x + cp * z
        return ch * x - sh * y, sh * x + ch * y, z

    def world_to_body(self, v: tuple[float, float, float]) -> tuple[float, float, float]:
        _, _, ch, sh, cp, sp, cr, sr = self._frame()
        x, y, z = ch * v[0] + sh * v[1], -sh * v[0] + ch * v[1], v[2]
        x, z = cp * x + sp * z, -sp * x + cp * z
        y, z = cr * y + sr * z, -sr * y + cr * z
        return x, y, z

    def ee_world(self) -> tuple[float, float, float]:
        b = self.params.arm_base_m
        off = self.body_to_world(tuple(b[i] + self.ee_m[i] for i in range(3)))
        return self.x + off[0], self.y + off[1], self.ground_z() + off[2]

    def tube_world(self, tid: int) -> tuple[float, float, float]:
        st = self.tubes[tid]
        if st.where == "gripper":
            return self.ee_world()
        if st.where.startswith("slot"):
            return self.x, self.y, self.ground_z() + 0.5
        x, y = st.xy
        return x, y, self.terrain.height_at(x, y) + self.params.tube_height_m

    def _tube_at_ee(self) -> int:
        ee = self.ee_world()
        best, best_d = 0, self.params.grasp_tol_m
        for tid in sorted(self.tubes):
            if self.tubes[tid].where == "ground":
                d = _dist(ee, self.tube_world(tid))
                if d <= best_d:
                    best, best_d = tid, d
        return best

    # --- physics ------------------------------------------------------------------------------
    def step(self, dt: float) -> None:
        p = self.params
        self.t += dt
        dv = p.accel_mps2 * dt
        speed = self.speed
        a = self.speed_cmd - speed
        a = a if a < dv else dv                        # max(-dv, min(dv, a)): the same choices,
        self.speed = speed = speed + (a if a > -dv else -dv)   # NaN included (min/max keep their first)
        ds_w = speed * dt
        # Arm: straight-line motion toward the target at a speed limit (the sums of `sum()`,
        # from 0.0 and left to right, written out: this runs every physics step). At the
        # target (the very tuple, which is what reaching it assigns) it stays there: skipped.
        ee, target = self.ee_m, self.ee_target_m
        lim = p.arm_speed_mps * dt
        if ee is not target or lim < 0.0:
            d0, d1, d2 = target[0] - ee[0], target[1] - ee[1], target[2] - ee[2]
            dn = math.sqrt(0.0 + d0 * d0 + d1 * d1 + d2 * d2)
            self.ee_m = target if dn <= lim else (ee[0] + d0 * lim / dn, ee[1] + d1 * lim / dn, ee[2] + d2 * lim / dn)
        if ds_w == 0.0:
            self.yaw_rate = 0.0
            return
        x, y, heading = self.x, self.y, self.heading
        terrain = self.terrain
        gx, gy = terrain.gradient_at(x, y)
        c, s = math.cos(heading), math.sin(heading)
        along = gx * c + gy * s                       # rise per metre forward
        cross = -gx * s + gy * c                      # rise per metre to the left
        direction = 1.0 if ds_w > 0 else -1.0
        uphill_deg = math.degrees(math.atan(along * direction))
        # slip_fraction(uphill_deg, dune_at(x, y), p) written out, its min/max as conditionals
        # that keep the same operand (NaN included)
        if uphill_deg < 0.0:
            slip = p.downhill_skid * uphill_deg / 10.0
        else:
            f = (uphill_deg - p.slip_onset_deg) / (p.slip_full_deg - p.slip_onset_deg)
            f = f if f > 0.0 else 0.0
            slip = f * f
        if terrain.dune_at(x, y):
            slip = slip * p.sand_slip_gain + p.sand_slip
        slip = slip if slip < 1.0 else 1.0
        slip = slip if slip > -0.2 else -0.2
        self.last_slip = slip
        ds_g = ds_w * (1.0 - slip)
        curvature = self.curvature_cmd
        dpsi_odo = curvature * ds_w
        dpsi = curvature * ds_g + p.yaw_drift_sigma_rad_per_m * math.sqrt(abs(ds_w)) * self._drift.next()
        hmid = heading + 0.5 * dpsi
        side = -p.side_slip_gain * cross * abs(ds_w)  # slide toward lower ground (to the right if left is up)
        ch, sh = math.cos(hmid), math.sin(hmid)
        self.x = x + (ds_g * ch - side * sh)
        self.y = y + (ds_g * sh + side * ch)
        self.heading = (heading + dpsi + math.pi) % (2 * math.pi) - math.pi
        self.odo_heading = (self.odo_heading + dpsi_odo + math.pi) % (2 * math.pi) - math.pi
        self.odometer_m += abs(ds_w)
        self.ground_distance_m += math.hypot(ds_g, side)
        self.yaw_rate = dpsi / dt


def _dist(a, b) -> float:
    return math.sqrt(fixed_sum((a[i] - b[i]) ** 2 for i in range(3)))
