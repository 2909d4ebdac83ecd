"""ERO and OS in Mars orbit: both propagated nonlinearly (two-body + J2), ERO thrust as commanded,
and the capture cone with its trigger and lid.

ERO attitude is not modelled: its body frame is its own Hill frame (x radial, y along-track,
z cross-track), which is where a rendezvous controller wants its thrust anyway. The OS is a
passive sphere. The capture cone opens along `cone_axis_body`; the OS trips the trigger when
its centre reaches `trigger_depth_m` inside the cone at a closing speed no higher than
`max_capture_speed_mps`; faster, it bounces out (restitution). Once triggered the OS rests in
the cone; closing the lid takes `lid_close_time_s`, after which it is captured.

Phasing: `phasing_state` puts the ERO on an orbit coelliptic with the OS's, a given arc
behind and height below it, so it drifts up to it (a coelliptic approach). Long coasts
are cheap: with the thrusters off and the OS far from the cone, `advance` takes one RK4 step
per call of up to `quiet_step_s` instead of the physics step (RK4 at 10 s is good to well
under a millimetre here). `lateral_kick_mps` is a test hook: a cross-track velocity error
given to the ERO the first time the OS comes within `kick_range_m`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from fsw.numerics import elementwise, fixed_sum
from sim.ascent import G0
from sim.mars import MARS, MarsParams
from sim.orbit import Elements, elements_to_state, propagate_j2, propagate_two_body, state_to_elements
from sim.relative import inertial_to_lvlh, lvlh_to_inertial, lvlh_vector_to_inertial


def phasing_state(os_state, behind_m: float, below_m: float, gm: float,
                  node_offset_rad: float = 0.0) -> tuple[float, ...]:
    """ERO state on a phasing orbit coelliptic with the OS's (same eccentricity vector and
    plane, semi-major axis `below_m` smaller), `behind_m` of arc (on the OS's semi-major axis)
    behind it in argument of latitude; `node_offset_rad` then turns it about the spin axis
    (its node moves by that much), e.g. to pre-compensate the differential J2 nodal
    regression of the lower orbit over the drift."""
    el = state_to_elements(os_state, gm)
    u = el.argp_rad + el.true_anomaly_rad - behind_m / el.sma_m
    ero = Elements(el.sma_m - below_m, el.ecc, el.inc_rad, el.raan_rad, el.argp_rad, u - el.argp_rad)
    state = elements_to_state(ero, gm)
    c, s = math.cos(node_offset_rad), math.sin(node_offset_rad)
    return (c * state[0] - s * state[1], s * state[0] + c * state[1], state[2],
            c * state[3] - s * state[4], s * state[3] + c * state[4], state[5])


def cone_coordinates_arrays(rel: Sequence[np.ndarray], axis: Sequence[float]
                            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`OrbitPair.cone_coordinates` over arrays of relative states (six arrays), elementwise
    in its order; the squares by the C library's pow, as Python's `x ** 2` takes them."""
    a0, a1, a2 = axis
    x, y, z, vx, vy, vz = (np.asarray(c, dtype=np.float64) for c in rel)
    along = 0.0 + x * a0 + y * a1 + z * a2
    square = lambda v: v ** 2                      # noqa: E731 - Python's float pow, element by element
    q = 0.0 + elementwise(square, x) + elementwise(square, y) + elementwise(square, z) - along * along
    lat = np.sqrt(np.where(q > 0.0, q, 0.0))       # max(0.0, q)
    closing = -(0.0 + vx * a0 + vy * a1 + vz * a2)
    return along, lat, closing


@dataclass(frozen=True)
class RendezvousParams:
    os_elements: Elements = Elements(MARS.radius_eq_m + 343e3, 0.0, math.radians(25.0), 0.0, 0.0, 0.0)
    os_state: tuple[float, ...] | None = None       # overrides os_elements (e.g. from the ascent)
    ero_rel_to_os_lvlh: tuple[float, ...] = (0.0, -3000.0, 0.0, 0.0, 0.0, 0.0)  # 3 km behind on V-bar
    ero_mass_kg: float = 5000.0
    ero_isp_s: float = 230.0
    thrust_limit_N: float = 44.0                    # per body axis
    include_j2: bool = True
    mars: MarsParams = MARS
    cone_axis_body: tuple[float, float, float] = (0.0, 1.0, 0.0)
    cone_depth_m: float = 1.2
    cone_mouth_radius_m: float = 0.6
    cone_apex_radius_m: float = 0.2
    trigger_depth_m: float = 0.35
    max_capture_speed_mps: float = 0.15
    restitution: float = 0.3
    lid_close_time_s: float = 1.5
    ero_state: tuple[float, ...] | None = None      # overrides ero_rel_to_os_lvlh (phasing)
    quiet_step_s: float = 10.0                      # largest step of a thrust-free coast
    quiet_min_range_m: float = 50.0                 # closer than this: always the physics step
    lateral_kick_mps: float = 0.0
    kick_range_m: float = 5.0


@dataclass
class CaptureState:
    triggered: bool = False
    lid_closing_since_s: float | None = None
    lid_closed: bool = False
    captured: bool = False
    held_rel_m: tuple[float, float, float] | None = None
    impacts: list[tuple[float, float]] = field(default_factory=list)   # (time, closing speed)
    trigger_closing_mps: float | None = None
    trigger_lateral_m: float | None = None


class OrbitPair:
    """The two spacecraft and the capture mechanism."""

    def __init__(self, p: RendezvousParams = RendezvousParams()):
        self.p = p
        gm = p.mars.gm_m3ps2
        self.os = tuple(p.os_state) if p.os_state is not None else elements_to_state(p.os_elements, gm)
        self.ero = tuple(p.ero_state) if p.ero_state is not None else \
            lvlh_to_inertial(self.os, p.ero_rel_to_os_lvlh)
        self.ero_mass = p.ero_mass_kg
        self.kicked = False
        self.quiet_steps = 0
        self.force_body = (0.0, 0.0, 0.0)
        self.delta_v_used = 0.0
        self.capture = CaptureState()
        self.t = 0.0

    def command_force(self, f: tuple[float, float, float]) -> tuple[float, float, float]:
        lim = self.p.thrust_limit_N
        self.force_body = tuple(max(-lim, min(lim, c)) for c in f)
        return self.force_body

    def relative(self) -> tuple[float, ...]:
        """OS relative to the ERO in the ERO body (= Hill) frame."""
        return inertial_to_lvlh(self.ero, self.os)

    def _prop(self, s, dt, accel=(0.0, 0.0, 0.0), n=1):
        if self.p.include_j2:
            return propagate_j2(s, dt, n, self.p.mars, accel)
        return propagate_two_body(s, dt, n, self.p.mars.gm_m3ps2, accel)

    def quiet(self) -> bool:
        """Thrusters off and nothing near the cone: a coast that may take large steps."""
        f = self.force_body
        if f[0] or f[1] or f[2] or (self.capture.lid_closing_since_s is not None and not self.capture.lid_closed):
            return False
        if self.capture.held_rel_m is not None:
            return True
        o, e = self.os, self.ero
        d2 = 0.0 + (o[0] - e[0]) ** 2 + (o[1] - e[1]) ** 2 + (o[2] - e[2]) ** 2   # = sum(), unrolled
        return d2 > self.p.quiet_min_range_m ** 2

    def advance(self, n: int, dt: float) -> None:
        """n physics steps of dt; a quiet coast in as few RK4 steps as `quiet_step_s` allows."""
        if n > 1 and self.quiet():
            total = n * dt
            k = math.ceil(total / self.p.quiet_step_s - 1e-9)
            k = k if k > 1 else 1           # max(1, k)
            h = total / k
            self.ero = self._prop(self.ero, h, n=k)
            if self.capture.held_rel_m is not None:
                self.os = lvlh_to_inertial(self.ero, self.capture.held_rel_m + (0.0, 0.0, 0.0))
            else:
                self.os = self._prop(self.os, h, n=k)
            self.t += total
            self.quiet_steps += k
            return
        for _ in range(n):
            self.step(dt)

    def _kick(self) -> None:
        if self.kicked or not self.p.lateral_kick_mps or self.capture.held_rel_m is not None:
            return
        d2 = fixed_sum((self.os[i] - self.ero[i]) ** 2 for i in range(3))
        if d2 < self.p.kick_range_m ** 2:
            self.kicked = True
            kick = lvlh_vector_to_inertial(self.ero, (0.0, 0.0, self.p.lateral_kick_mps))
            self.ero = tuple(self.ero[:3]) + tuple(self.ero[3 + i] + kick[i] for i in range(3))

    def step(self, dt: float) -> None:
        p = self.p
        self._kick()
        f = self.force_body
        fn = abs(f[0]) + abs(f[1]) + abs(f[2])
        acc = (0.0, 0.0, 0.0)
        if fn > 0.0:
            acc = lvlh_vector_to_inertial(self.ero, tuple(c / self.ero_mass for c in f))
            self.delta_v_used += math.sqrt(fixed_sum(c * c for c in f)) / self.ero_mass * dt
            self.ero_mass -= fn / (p.ero_isp_s * G0) * dt
        self.ero = self._prop(self.ero, dt, acc)
        self.t += dt
        c = self.capture
        if c.held_rel_m is not None:
            self.os = lvlh_to_inertial(self.ero, c.held_rel_m + (0.0, 0.0, 0.0))
        else:
            self.os = self._prop(self.os, dt, (0.0, 0.0, 0.0))
            self._check_cone()
        if c.lid_closing_since_s is not None and not c.lid_closed and self.t - c.lid_closing_since_s >= p.lid_close_time_s - 1e-9:
            c.lid_closed = True
            c.captured = c.triggered

    def close_lid(self) -> None:
        if self.capture.lid_closing_since_s is None:
            self.capture.lid_closing_since_s = self.t

    def cone_coordinates(self, rel=None) -> tuple[float, float, float]:
        """(depth along the cone axis, lateral offset, closing speed) of the OS."""
        rel = self.relative() if rel is None else rel
        a0, a1, a2 = self.p.cone_axis_body
        x, y, z, vx, vy, vz = rel
        # the sums of `sum()` (from 0.0, left to right), unrolled: truth samples this every second
        along = 0.0 + x * a0 + y * a1 + z * a2
        lat = math.sqrt(max(0.0, 0.0 + x ** 2 + y ** 2 + z ** 2 - along * along))
        closing = -(0.0 + vx * a0 + vy * a1 + vz * a2)
        return along, lat, closing

    def _check_cone(self) -> None:
        p, c = self.p, self.capture
        d2 = (self.os[0] - self.ero[0]) ** 2 + (self.os[1] - self.ero[1]) ** 2 + (self.os[2] - self.ero[2]) ** 2
        if d2 > (p.cone_depth_m + p.cone_mouth_radius_m) ** 2:
            return                       # far from the cone: skip the frame change
        rel = self.relative()
        along, lat, closing = self.cone_coordinates(rel)
        if c.lid_closed or not 0.0 < along <= p.trigger_depth_m:
            return
        radius = p.cone_apex_radius_m + (p.cone_mouth_radius_m - p.cone_apex_radius_m) * along / p.cone_depth_m
        if lat > radius:
            return
        if closing < 0.0:
            return                       # on its way out (after a bounce): nothing to trigger
        if closing <= p.max_capture_speed_mps:
            c.triggered = True
            c.trigger_closing_mps, c.trigger_lateral_m = closing, lat
            c.held_rel_m = tuple(rel[:3])
            self.os = lvlh_to_inertial(self.ero, c.held_rel_m + (0.0, 0.0, 0.0))
        else:
            # Bounce: reverse and damp the along-axis relative velocity.
            ax = p.cone_axis_body
            dv = (1.0 + p.restitution) * closing
            new_rel = tuple(rel[:3]) + tuple(rel[3 + i] + dv * ax[i] for i in range(3))
            self.os = lvlh_to_inertial(self.ero, new_rel)
            c.impacts.append((self.t, closing))
