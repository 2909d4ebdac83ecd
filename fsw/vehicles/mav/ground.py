"""Ground phases: OS loading, checkout, the count (MAV-GND-001..006 in DESIGN.md).

Loading registers every tube in the custody ledger (the lander's OS_TUBE_LOADED and the OS
slot sensors) and seals the OS only with exactly the expected tubes. The checkout exercises
the IMU, the star tracker, a TVC sweep, the igniters (safe) and the thermometers. Every step
of the count re-evaluates the five launch interlocks; one false interlock holds the count
with LAUNCH_HOLD naming it. At the launch time the count fires the lander's ejector.
"""
from __future__ import annotations

import math
from typing import Any, Mapping

from fsw.core.component import CommandError
from fsw.core.devices import failed
from fsw.gnc.kepler import norm

from . import igniters
from .modes import LAUNCH_INTERLOCKS
from .phase import Phase, probe


class Loading(Phase):
    """Thermal conditioning and OS loading: what the OS must hold, and whether it is sealed."""

    MODES = ("THERMAL_CONDITIONING", "OS_LOADING")

    def __init__(self, fm) -> None:
        super().__init__(fm)
        self.expected_tubes: tuple[int, ...] = ()
        self.sealed = False

    def expect(self, tubes: str) -> None:
        try:
            ids = tuple(sorted({int(x) for x in tubes.split(",") if x.strip()}))
        except ValueError:
            raise CommandError(f"bad tube list {tubes!r}") from None
        if not ids or min(ids) < 1 or max(ids) > 0xFFFF:
            raise CommandError("tube ids must be 1..65535 and at least one")
        self.expected_tubes = ids
        self.sealed = False

    def tube_loaded(self, tube: int) -> None:
        fm = self.fm
        if not fm.custody.register(tube, "os"):
            raise CommandError(f"tube {tube} refused by the custody ledger")
        fm.tlm["tubes_in_os"] = fm.custody.count("os")

    def seal(self) -> None:
        fm = self.fm
        self.scan_slots()
        have = tuple(fm.custody.tubes_at("os"))
        if not self.expected_tubes or have != self.expected_tubes:
            missing = sorted(set(self.expected_tubes) - set(have))
            extra = sorted(set(have) - set(self.expected_tubes))
            raise CommandError(f"OS contents differ: missing {missing}, unexpected {extra}")
        self.sealed = True
        fm.emit("OS_SEALED", count=len(have))

    def os_sealed(self) -> bool:
        return self.sealed and bool(self.expected_tubes) and \
            tuple(self.fm.custody.tubes_at("os")) == self.expected_tubes

    def scan_slots(self) -> None:
        fm = self.fm
        for s in fm.dev.os_slots:
            r = fm.device_call(s.read)
            if failed(r):
                continue
            if r.present and r.tube_id and fm.custody.location(r.tube_id) is None:
                fm.custody.register(r.tube_id, "os")
        fm.tlm["tubes_in_os"] = fm.custody.count("os")

    def on_active(self, mode: str, t: float, dt: float) -> None:
        if mode == "OS_LOADING":
            self.scan_slots()

    def checkpoint(self) -> dict[str, Any]:
        return {"sealed": self.sealed, "expected_tubes": list(self.expected_tubes)}

    def restore(self, state: Mapping[str, Any]) -> None:
        self.sealed = bool(state.get("sealed", False))
        self.expected_tubes = tuple(int(x) for x in state.get("expected_tubes", ()))


class Checkout(Phase):
    """IMU (gravity seen), star tracker (a valid solution), TVC sweep, igniters safe, thermometers."""

    MODES = ("CHECKOUT",)

    def __init__(self, fm) -> None:
        super().__init__(fm)
        self.passed = False
        self.state: dict | None = None

    def on_activation(self, mode: str) -> None:
        self.passed = False
        self.state = None

    def on_active(self, mode: str, t: float, dt: float) -> None:
        fm = self.fm
        d = fm.dev
        if self.state is None:
            self.state = {"t0": t, "fail": set(), "star": False, "imu": 0, "swept": False}
            if failed(probe(d.tvc.point, math.radians(1.0), 0.0)):
                self.state["fail"].add("tvc")
        c = self.state
        self._sample(c, t)
        if t - c["t0"] < fm.params["checkout_s"]:
            return
        for ig in (d.ign1, d.ign2):
            r = probe(ig.read)
            if failed(r) or r.armed or r.fired:
                c["fail"].add(ig.name)
        if c["imu"] == 0:
            c["fail"].add("imu")
        if not c["star"]:
            c["fail"].add("star_tracker")
        if fm.thermal_status.sensor_faults:
            c["fail"].add("thermometers")
        self.passed = not c["fail"]
        fm.emit("CHECKOUT_RESULT", passed=self.passed, failures=",".join(sorted(c["fail"])))
        fm.trigger("checkout_done")

    def _sample(self, c: dict, t: float) -> None:
        """One checkout sample: gravity on the IMU, a star-tracker solution, the TVC sweep.
        A failed read marks the unit failed without an event (the result names it)."""
        d = self.fm.dev
        imu = probe(d.imu.read)
        if failed(imu):
            c["fail"].add("imu")
        elif 2.5 < norm(imu.accel_mps2) < 5.0:
            c["imu"] += 1
        star = probe(d.star.read)
        if not failed(star):
            c["star"] |= bool(star.valid)
        if not c["swept"] and t - c["t0"] >= 1.0:
            tvc = probe(d.tvc.read)
            if failed(tvc) or abs(tvc.pitch_rad - math.radians(1.0)) > math.radians(0.2):
                c["fail"].add("tvc")
            if failed(tvc) or failed(probe(d.tvc.point, 0.0, 0.0)):
                c["fail"].add("tvc")
            c["swept"] = True

    def checkpoint(self) -> dict[str, Any]:
        return {"checkout_ok": self.passed,
                "checkout": None if self.state is None else dict(self.state, fail=sorted(self.state["fail"]))}

    def restore(self, state: Mapping[str, Any]) -> None:
        self.passed = bool(state.get("checkout_ok", False))
        ck = state.get("checkout")
        self.state = None if ck is None else dict(ck, fail=set(ck.get("fail", ())))


class Count(Phase):
    """COUNTDOWN -> ARMED -> the throw, interlocks re-checked every step; HOLD safes the igniters."""

    MODES = ("COUNTDOWN", "ARMED", "HOLD")

    def on_activation(self, mode: str) -> None:
        if mode == "HOLD":
            igniters.safe(self.fm)

    def failed_interlocks(self) -> list[str]:
        fm = self.fm
        return [g for g in LAUNCH_INTERLOCKS if not getattr(fm, g)()]

    def _interlocks_hold(self) -> bool:
        """True (and the count held) if an interlock is false."""
        fm = self.fm
        bad = self.failed_interlocks()
        fm.tlm["interlocks_ok"] = not bad
        if bad:
            fm.emit("LAUNCH_HOLD", cause=",".join(bad))
            fm.trigger("hold_count")
        return bool(bad)

    def on_active(self, mode: str, t: float, dt: float) -> None:
        if mode == "HOLD" or self._interlocks_hold():
            return
        fm = self.fm
        p = fm.params
        if mode == "COUNTDOWN":
            if t >= p["launch_time_s"] - p["arm_lead_s"] and fm.trigger("arm"):
                igniters.arm(fm)
        elif t >= p["launch_time_s"] and fm.trigger("launch"):
            fm.launched_at(t)
            igniters.fire(fm, fm.dev.eject)


__all__ = ["Checkout", "Count", "Loading"]
