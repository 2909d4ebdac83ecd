"""ERO approach guidance and burns (requirements ERO-GDN-001..007 in DESIGN.md): the legs
the capture manager flies and the finite burns that fly them; no device and no mode of its
own (the manager reads the IMU, commands the RCS through its component and changes mode).

Guidance flies *legs* to aim points expressed as the ERO's position relative to the OS in
the Hill frame (x radial, y along-track, z cross-track; the capture cone looks along +y, so
the ERO approaches from behind on V-bar):

- far range: once the estimated range is under `far_start_range()` a CW transfer
  (`far_transfer_s`) lifts the ERO onto V-bar `far_via_m` behind the OS, then two-impulse
  Clohessy-Wiltshire hops (`fsw.gnc.cw_targeting`), re-targeted after each finite burn, reach
  the far hold point; the hops also make range observable;
- close range and final approach: a glideslope (`fsw.gnc.glideslope`) with N pulses;
- the cone check: lateral offset against a cone around the axis and a closing-speed bound
  that follows the glideslope profile.

Burns are finite (the RCS force is limited per axis): each leg's first impulse is flown
closed loop on the IMU; a long far-range burn is steered on the velocity still to gain. The
estimate (`RelNavEstimate`) comes from relative navigation; an IMU increment not yet applied
there (`pending_dv`) is added here so that a burn steers on the estimate it just changed.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any, Callable, Mapping

from fsw.core.declarations import Param
from fsw.gnc.cw_targeting import TargetingError, cw_propagate, two_impulse
from fsw.gnc.glideslope import glideslope
from fsw.numerics import dot, fixed_sum, norm

from .topics import RelNavEstimate

ZERO = (0.0, 0.0, 0.0)
# what guidance reads from its owner's parameter table (the manager declares them)
GUIDANCE_PARAMS = (
        Param("mean_motion_radps", float, 1e-5, 1e-2, default=9.0506e-4),
        Param("mass_kg", float, 100.0, 20000.0, default=5000.0),
        Param("force_limit_N", float, 0.1, 1000.0, default=44.0),
        Param("far_hold_m", float, 100.0, 5000.0, default=800.0),
        Param("near_hold_m", float, 10.0, 500.0, default=100.0),
        Param("hop_time_s", float, 100.0, 10000.0, default=1700.0),
        Param("hop_via_m", float, 500.0, 100000.0, default=2500.0),
        Param("hop_radial_m", float, -5000.0, 5000.0, default=-150.0),
        Param("close_pulses", int, 1, 50, default=5),
        Param("close_rate_mps", float, 0.05, 5.0, default=1.2),
        Param("final_pulses", int, 1, 50, default=6),
        Param("final_rate_mps", float, 0.05, 2.0, default=0.4),
        Param("capture_speed_mps", float, 0.01, 0.5, default=0.06),
        Param("capture_speed_max_mps", float, 0.01, 0.5, default=0.12),
        Param("cone_half_angle_deg", float, 1.0, 45.0, default=10.0),
        Param("cone_margin_m", float, 0.0, 5.0, default=0.15),
        Param("capture_zone_m", float, 0.0, 50.0, default=2.0),
        Param("far_start_m", float, 1000.0, 1e6, default=65000.0),
        Param("far_via_m", float, 1000.0, 50000.0, default=5000.0),
        Param("far_transfer_s", float, 100.0, 20000.0, default=3100.0),
        Param("steer_above_s", float, 1.0, 3600.0, default=30.0),
        Param("steer_tol_mps", float, 1e-4, 0.1, default=0.003),
)


def drift(rect: tuple[float, ...]) -> tuple[float, float]:
    """(range, closing speed) of a rectilinear estimate, closing along the line of sight (range
    floored at 1 m for the division)."""
    pos, vel = rect[:3], rect[3:]
    rng = norm(pos)
    return rng, -dot(pos, vel) / max(rng, 1.0)


def far_start_range(closing: float, far_start_m: float, far_transfer_s: float) -> float:
    """Range at which the far-range transfer starts: `far_start_m`, or further out for a
    faster drift (a lower phasing orbit), so the transfer stays close to a Hohmann (about 0.6
    of the drift over the transfer time; 65 km at 25 km below)."""
    return max(far_start_m, 0.6 * max(0.0, closing) * far_transfer_s)


@dataclass
class Leg:
    aim: tuple[float, float, float]      # ERO relative to OS, Hill frame, m
    t_arrive: float                      # onboard time, s
    stop: bool = True                    # null the relative velocity on arrival
    arrive_velocity: tuple[float, float, float] = (0.0, 0.0, 0.0)
    retargeted: bool = False
    corrected: bool = False
    t_start: float = 0.0
    duration_s: float = 0.0              # > 0: t_arrive is set when the leg starts
    free_z: bool = False                 # leave the cross-track motion to a later leg


LEG_FIELDS = tuple(f.name for f in fields(Leg))


def leg_dict(leg: Leg) -> dict[str, Any]:
    """`dataclasses.asdict(leg)` without its recursion and deep copies (every warm-restart
    save takes the legs): a Leg's fields are numbers, bools and tuples of numbers, which
    are immutable, so the copies asdict made were equal to what they copied."""
    return {name: getattr(leg, name) for name in LEG_FIELDS}


class ApproachGuidance:
    """Leg queue, burn and steering state; `params` is the manager's parameter table."""

    def __init__(self, params: Mapping[str, Any], emit: Callable[..., Any]) -> None:
        self.params = params
        self.emit = emit
        self.est: RelNavEstimate | None = None
        self.pending_dv: tuple[float, float, float] | None = None
        self.t = 0.0
        self.legs: list[Leg] = []
        self.burn_dv = ZERO
        self.steer: tuple | None = None
        self.steer_dv0 = 0.0
        self.steer_budget = 0.0
        self.approach_dv = 0.0
        self.thrusting = False
        self.far_planned = False

    # ------------------------------------------------------------ the estimate
    def chaser_state(self) -> tuple[float, ...]:
        """ERO relative to OS (guidance convention) from the OS-relative-to-ERO estimate."""
        x = self.est.x
        if self.pending_dv is None:
            return tuple(-c for c in x)
        d = self.pending_dv        # -(v - d) == -v + d exactly: what the filter will hold
        return (-x[0], -x[1], -x[2], -x[3] + d[0], -x[4] + d[1], -x[5] + d[2])

    def range(self) -> float:
        return norm(self.est.rect[:3])

    def burning(self) -> bool:
        return self.thrusting or max(abs(c) for c in self.burn_dv) > 1e-3

    def null_velocity(self) -> float:
        """A burn that nulls the relative velocity (hold where we are); returns its size."""
        s = self.chaser_state()
        self.burn_dv = tuple(-s[3 + i] for i in range(3))
        return math.sqrt(fixed_sum(c * c for c in self.burn_dv))

    def drop(self) -> None:
        """No legs, no burn (the RCS is the manager's to stop)."""
        self.legs = []
        self.burn_dv = ZERO
        self.steer = None

    # ------------------------------------------------------------ far range
    def far_start_range(self) -> float:
        """Where the far-range transfer starts for the drift of the estimate."""
        return far_start_range(drift(self.est.rect)[1], self.params["far_start_m"], self.params["far_transfer_s"])

    def plan_far_range(self) -> None:
        """From the drift: a transfer to V-bar `far_via_m` behind the OS, then a CW hop to the
        far hold point; from closer in, a hop via `hop_via_m` (off V-bar by `hop_radial_m`,
        for range observability) instead of the transfer."""
        p = self.params
        self.legs = []
        rng = self.range()
        if rng > p["far_via_m"] * 1.5:
            # the out-of-plane motion (differential nodal regression) is cheaper to null on
            # the quarter-orbit hop that follows than on a near half-orbit transfer
            self.legs.append(Leg((0.0, -p["far_via_m"], 0.0), 0.0, duration_s=p["far_transfer_s"], free_z=True))
        elif rng > p["hop_via_m"] * 1.5:
            self.legs.append(Leg((p["hop_radial_m"], -p["hop_via_m"], 0.0), 0.0, duration_s=p["hop_time_s"]))
        self.legs.append(Leg((0.0, -p["far_hold_m"], 0.0), 0.0, duration_s=p["hop_time_s"]))
        self.far_planned = True

    # ------------------------------------------------------------ glideslopes
    def plan_close_range(self) -> None:
        p = self.params
        self.plan_glide(p["near_hold_m"], p["close_rate_mps"], 0.05, p["close_pulses"], stop=True)

    def plan_final_approach(self):
        p = self.params
        return self.plan_glide(0.0, p["final_rate_mps"], p["capture_speed_mps"], p["final_pulses"], stop=False)

    def plan_back_off(self) -> None:
        """No burn left, one leg back out to the near hold point in 600 s."""
        self.burn_dv = ZERO
        self.steer = None
        self.legs = [Leg((0.0, -self.params["near_hold_m"], 0.0), self.t + 600.0)]

    def plan_glide(self, end_range: float, rate0: float, rate_end: float, pulses: int, stop: bool):
        if self.est is None:
            return None
        s = self.chaser_state()
        end = (0.0, -end_range, 0.0)
        try:
            g = glideslope(s[:3], end, -abs(rate0), -abs(rate_end), pulses, self.params["mean_motion_radps"], s[3:])
        except ValueError as exc:
            self.emit("DEVICE_FAULT", device="glideslope", error=str(exc))
            return None
        self.legs = []
        for k in range(1, len(g.waypoints)):
            last = k == len(g.waypoints) - 1
            # intermediate waypoints: the next leg's first impulse is the glideslope pulse;
            # the final approach never stops (it arrives in the cone still closing)
            self.legs.append(Leg(g.waypoints[k], self.t + g.times_s[k], stop=stop and last))
        return g

    def cone_check(self) -> tuple[bool, float, float, float, float]:
        """(ok, lateral, lateral limit, closing, closing limit) from the estimate."""
        p = self.params
        x = self.est.rect                  # OS relative to ERO; cone axis +y
        along = x[1]
        lateral = math.hypot(x[0], x[2])
        closing = -x[4]
        lat_max = p["cone_margin_m"] + math.tan(math.radians(p["cone_half_angle_deg"])) * max(along, 0.0)
        # glideslope closing profile at this range, with room for the pulse-to-pulse arcs;
        # inside the last metres only the capture speed limit counts
        a = (p["final_rate_mps"] - p["capture_speed_mps"]) / max(p["near_hold_m"], 1.0)
        profile = a * max(along, 0.0) + p["capture_speed_mps"]
        cl_max = p["capture_speed_max_mps"] if along < p["capture_zone_m"] else \
            max(p["capture_speed_max_mps"], 1.3 * profile + 0.1)
        return lateral <= lat_max and closing <= cl_max, lateral, lat_max, closing, cl_max

    # ------------------------------------------------------------ legs
    def _accel(self) -> float:
        return self.params["force_limit_N"] / self.params["mass_kg"]

    def _start_leg(self, leg: Leg, kind: str) -> None:
        s = self.chaser_state()
        dt = leg.t_arrive - self.t
        if dt < 5.0:
            return
        try:
            sol = two_impulse(s, leg.aim, self.params["mean_motion_radps"], dt)
        except TargetingError as exc:
            self.emit("DEVICE_FAULT", device="cw_targeting", error=str(exc))
            return
        self.burn_dv = tuple(self.burn_dv[i] + sol.dv1[i] for i in range(3))
        if leg.duration_s > 0.0 and max(abs(c) for c in self.burn_dv) / self._accel() > self.params["steer_above_s"]:
            self._start_steering(("leg", leg))   # a long far-range burn: steer on the velocity to gain
        dv = math.sqrt(fixed_sum(c * c for c in sol.dv1))
        self.emit("LEG_PLANNED", kind=kind, aim=tuple(round(c, 1) for c in leg.aim), t=dt, dv=dv)

    def fly_legs(self) -> bool:
        """Advance the leg queue; True when every leg is flown (and the last burn done)."""
        burning = max(abs(c) for c in self.burn_dv) > 1e-3
        if not self.legs:
            return not burning
        leg = self.legs[0]
        if burning:
            return False
        t = self.t
        if not leg.retargeted:
            leg.retargeted = True
            leg.t_start = t
            if leg.duration_s > 0.0:
                leg.t_arrive = t + leg.duration_s
            if leg.free_z and self.est is not None:
                z = cw_propagate(self.chaser_state(), self.params["mean_motion_radps"], leg.t_arrive - t)[2]
                leg.aim = (leg.aim[0], leg.aim[1], z)
            self._start_leg(leg, "leg")
            return False
        if not leg.corrected and t - leg.t_start > 0.3 * (leg.t_arrive - leg.t_start):
            leg.corrected = True   # one mid-course re-targeting, after the first burn
            self._start_leg(leg, "correction")
            return False
        if t >= leg.t_arrive - self._half_stop_burn(leg):
            self.legs.pop(0)
            s = self.chaser_state()
            if leg.stop:
                want = leg.arrive_velocity
                if leg.free_z:
                    want = (want[0], want[1], s[5])
                self.burn_dv = tuple(want[i] - s[3 + i] for i in range(3))
                if leg.duration_s > 0.0 and max(abs(c) for c in self.burn_dv) / self._accel() > self.params["steer_above_s"]:
                    self._start_steering(("stop", want))
            if self.legs:
                self.legs[0].retargeted = False
        return False

    def _half_stop_burn(self, leg: Leg) -> float:
        """Half the duration of the finite stop burn at a leg's end (it is started that much
        early, so it acts about the arrival time)."""
        if not leg.stop or self.est is None:
            return 0.0
        p = self.params
        ahead = max(0.0, leg.t_arrive - self.t)
        v = cw_propagate(self.chaser_state(), p["mean_motion_radps"], ahead)[3:] if ahead else self.chaser_state()[3:]
        return 0.5 * max(abs(leg.arrive_velocity[i] - v[i]) for i in range(3)) * p["mass_kg"] / p["force_limit_N"]

    def next_event_in(self) -> float:
        """Seconds to the next thing the 10 Hz loop must do (inf: none planned)."""
        if max(abs(c) for c in self.burn_dv) > 1e-3:
            return 0.0
        if not self.legs:
            return math.inf
        leg = self.legs[0]
        if not leg.retargeted:
            return 0.0
        due = leg.t_arrive
        if not leg.corrected:
            due = min(due, leg.t_start + 0.3 * (leg.t_arrive - leg.t_start))
        return due - self.t

    # ------------------------------------------------------------ burns
    def _start_steering(self, what: tuple) -> None:
        self.steer = what
        self.steer_dv0 = self.approach_dv
        self.steer_budget = 1.5 * math.sqrt(fixed_sum(c * c for c in self.burn_dv)) + 0.5

    def _to_gain(self, open_loop: tuple[float, float, float]) -> tuple[float, float, float]:
        """Velocity still to gain on a long burn, from the estimate: a burn of minutes in the
        rotating frame cannot be flown as a fixed delta-v (Coriolis is as large as the thrust
        acceleration), so the target velocity is re-solved every cycle; done below
        `steer_tol_mps`."""
        kind, what = self.steer
        s = self.chaser_state()
        spent = self.approach_dv - self.steer_dv0
        if spent > self.steer_budget:
            # not converging (a bad estimate, or too little time left): stop, let the next
            # correction or leg re-plan rather than burn on
            self.emit("BURN_LIMIT", spent=spent, budget=self.steer_budget)
            self.steer = None
            return ZERO
        if kind == "stop":
            vtbg = tuple(what[i] - s[3 + i] for i in range(3))
        else:
            left = what.t_arrive - self.t
            if left < max(2.0 * self.params["steer_above_s"], 0.5 * (what.t_arrive - what.t_start)):
                self.steer = None
                return open_loop
            try:
                vtbg = two_impulse(s, what.aim, self.params["mean_motion_radps"], left).dv1
            except TargetingError:
                self.steer = None
                return open_loop
        if max(abs(c) for c in vtbg) < self.params["steer_tol_mps"]:
            self.steer = None
            return ZERO
        return vtbg

    def burn_step(self, dt: float, accel: tuple[float, float, float]) -> tuple[float, ...]:
        """One control period of the burn: `accel` the IMU's (body frame = Hill frame); the
        velocity change it measured is `pending_dv` until navigation applies it; returns
        the force that would finish in one period, each axis limited."""
        dv_done = (accel[0] * dt, accel[1] * dt, accel[2] * dt)
        self.pending_dv = dv_done if self.est is not None and any(dv_done) else None
        self.approach_dv += math.sqrt(fixed_sum(c * c for c in dv_done))
        rem = tuple(self.burn_dv[i] - dv_done[i] for i in range(3))
        if self.steer is not None:
            rem = self._to_gain(rem)
        p = self.params
        m, lim = p["mass_kg"], p["force_limit_N"]
        if max(abs(c) for c in rem) < 1e-3:
            rem = ZERO
        self.burn_dv = rem
        return tuple(max(-lim, min(lim, c * m / min(max(dt, 1e-3), 1.0))) for c in rem)

    # ------------------------------------------------------------ warm restart
    def checkpoint(self) -> dict:
        steer = None
        if self.steer is not None:
            kind, what = self.steer
            if kind == "stop":
                steer = {"stop": list(what)}
            elif what in self.legs:
                steer = {"leg": self.legs.index(what)}
        return {"legs": [leg_dict(leg) for leg in self.legs], "burn_dv": list(self.burn_dv), "steer": steer,
                "steer_dv0": self.steer_dv0, "steer_budget": self.steer_budget, "approach_dv": self.approach_dv,
                "far_planned": self.far_planned, "thrusting": self.thrusting}

    def restore(self, state: Mapping[str, Any]) -> None:
        names = {f.name for f in fields(Leg)}
        self.legs = [Leg(**{k: tuple(v) if isinstance(v, list) else v for k, v in leg.items() if k in names})
                     for leg in state.get("legs", ())]
        self.burn_dv = tuple(float(c) for c in state.get("burn_dv", ZERO))
        steer = state.get("steer")
        self.steer = None
        if isinstance(steer, Mapping):
            if "stop" in steer:
                self.steer = ("stop", tuple(float(c) for c in steer["stop"]))
            elif 0 <= int(steer.get("leg", -1)) < len(self.legs):
                self.steer = ("leg", self.legs[int(steer["leg"])])
        self.steer_dv0 = float(state.get("steer_dv0", 0.0))
        self.steer_budget = float(state.get("steer_budget", 0.0))
        self.approach_dv = float(state.get("approach_dv", 0.0))
        self.far_planned = bool(state.get("far_planned", False))
        self.thrusting = False
        self.pending_dv = None


__all__ = ["GUIDANCE_PARAMS", "ApproachGuidance", "Leg", "drift", "far_start_range"]
