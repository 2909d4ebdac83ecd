"""Power cuts on the real vehicles (issue 18): SIGKILL the board's flight process at seeded
random points, restart it with --resume, and check what survives.

Lockstep HIL over a pty: the bench emulator runs in this process (it holds the plant while
the board is down, as a bench does); `msr hil run --checkpoint CK --out OUT` is the board, a
subprocess killed with SIGKILL in the phase under test. The test holds the board end of the
pty open so the line survives the board's death, as a UART does. The kill point: the first
clock step at or after a seeded random time in the phase (the emulator holds that step), then
the step is let through and the board killed a seeded random few milliseconds later, mid-tick.

After every kill: the telemetry and event logs read whole up to the byte counts the newest
checkpoint says were fsynced. After the last resume: the flight ends by the vehicle's rule
(the MAV in orbit, or held by its restart rule for a kill in the count; the lander down and
safe; the ERO's tubes contained and in the EEV), every tube is in custody exactly once, the
logs read whole end to end (the torn tails cut at resume), the bytes fsynced before each
kill are still there, and there is one WARM_RESTART per kill.

The lander flies its EDL landing from the entry interface: two flights killed twice each in
the powered descent, one killed in the entry, on the parachute and in terrain-relative
navigation (the EDL components and their pyros restored on a real board's restart).

Bounded: a board whose simulated time stands still for a minute is hung (a loaded machine is
slow but moving, so no fixed deadline), and each flight has a 30 min pytest timeout; the nine
flights take about two and a half minutes on the reference 2-core machine (the ERO's, to
containment ~9000 simulated seconds in, the longest); 24 kills in all. The kill table is printed at the
end of the module (and written to the session's temp directory as kill-table.md).
"""
from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import tempfile
import termios
import threading
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import pytest

from fsw.core.checkpoint import CheckpointError, CheckpointStore
from fsw.core.eventlog import read_event_log
from hil.bench import load_bench
from sim.deployment import Deployment, run_sil

from .kit import bench_data, running_emulator, whole_records, write_bench

pytestmark = pytest.mark.slow

MSR = [sys.executable, "-c", "from msr.cli import main; main()"]
TUBES = list(range(1, 11))
KILLS: list["Kill"] = []


@dataclass
class Kill:
    vehicle: str
    seed: int
    phase: str
    target_s: float
    kill_s: float = float("nan")
    restored_from_s: float | None = None
    outcome: str = ""
    tubes: str = ""


@dataclass
class Flight:
    """One flight of a vehicle, killed once in each of `phases` (in flight order)."""

    vehicle: str
    scenario: str
    seed: int
    phases: tuple[str, ...]              # "component:MODE" (or several modes "c:A|B")
    overrides: dict = field(default_factory=dict)


POWERED = "lander:POWERED_DESCENT|HAZARD_DIVERT"
FLIGHTS = [
    Flight("MAV", "ascent", 11, ("flight:COUNTDOWN|ARMED",)),
    Flight("MAV", "ascent", 12, ("flight:CHECKOUT|COUNTDOWN",)),
    Flight("MAV", "ascent", 13, ("flight:STAGE1_BURN", "flight:COAST", "flight:STAGE2_BURN", "flight:ORBIT_INSERTION")),
    Flight("MAV", "ascent", 14, ("flight:STAGE1_BURN", "flight:COAST", "flight:STAGE2_BURN", "flight:ORBIT_INSERTION")),
    Flight("MAV", "ascent", 15, ("flight:STAGE1_BURN", "flight:COAST", "flight:STAGE2_BURN", "flight:ORBIT_INSERTION")),
    # the EDL landing's powered descent: from backshell separation (~2 km up) to touchdown; the
    # lander spends 0.1 s in POWERED_DESCENT before steering for its chosen site (HAZARD_DIVERT)
    Flight("lander", "landing", 21, (POWERED, POWERED)),
    Flight("lander", "landing", 22, (POWERED, POWERED)),
    Flight("lander", "landing", 23, ("lander:ENTRY", "lander:PARACHUTE", "lander:TERRAIN_NAV")),
    Flight("ERO", "capture", 31, ("ccrs:CONTAIN", "ccrs:BREAK_THE_CHAIN", "ccrs:BREAK_THE_CHAIN|EEV_TRANSFER"),
           {"start_behind_km": 100.0, "earth_cruise_s": 60.0}),
]


# ---------------------------------------------------------------- the kill point
class KillGate:
    """Wraps the emulator's clock step: holds the first step at or after `target_ns` until
    the test lets it through (then the test kills the board a few milliseconds later)."""

    def __init__(self, responder) -> None:
        self.inner = responder.on_advance
        responder.on_advance = self
        self.target_ns: int | None = None
        self.hit = threading.Event()
        self.go = threading.Event()

    def arm(self, target_ns: int) -> None:
        self.hit.clear()
        self.go.clear()
        self.target_ns = target_ns

    def __call__(self, t_ns: int):
        if self.target_ns is not None and t_ns >= self.target_ns:
            self.target_ns = None
            self.hit.set()
            self.go.wait(60)
        return self.inner(t_ns)


def phase_windows(scenario: str, seed: int, overrides: dict) -> dict[str, tuple[float, float]]:
    """component:MODE -> (entered, left) in simulated s, from the SIL run (lockstep HIL runs
    the very same ticks)."""
    out = run_sil(Deployment(scenario, seed, dict(overrides)))
    changes = [(e.t_ns / 1e9, e.component, dict(e.args)["dest"]) for e in out.topology.events
               if e.name == "MODE_CHANGED"]
    end = out.result.end_ns / 1e9
    windows: dict[str, tuple[float, float]] = {}
    for i, (t, comp, mode) in enumerate(changes):
        left = next((t2 for t2, c2, _ in changes[i + 1:] if c2 == comp), end)
        key = f"{comp}:{mode}"
        if key not in windows and left > t:
            windows[key] = (t, left)
    return windows


def window(windows: dict[str, tuple[float, float]], phase: str) -> tuple[float, float]:
    comp, _, modes = phase.partition(":")
    spans = [windows[f"{comp}:{m}"] for m in modes.split("|") if f"{comp}:{m}" in windows]
    assert spans, f"phase {phase} not flown in the nominal run: {sorted(windows)}"
    return min(s[0] for s in spans), max(s[1] for s in spans)


# ---------------------------------------------------------------- logs
def events(data: bytes) -> list[dict]:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return list(read_event_log(data))


def checkpoint(ck: Path) -> dict:
    try:
        return CheckpointStore(ck / "checkpoint.json").load()
    except CheckpointError as exc:
        pytest.fail(f"no checkpoint after the kill: {exc}")


# ---------------------------------------------------------------- outcomes
def mav_outcome(em, state: dict, names: list[str], texts: list[str]) -> tuple[str, str]:
    from sim.plants import AscentPlant
    part = next(p for p in em.plant.parts if isinstance(p, AscentPlant))
    truth = part.truth()
    flight = state["components"]["flight"]
    custody = flight["custody"]
    ids = sorted(int(t) for t, _ in custody)
    assert ids == TUBES and len(custody) == len(TUBES), f"custody {custody}"   # each tube once
    where = sorted({loc for _, loc in custody})
    mode = flight["mode"]
    if mode == "PASSIVE":
        el = truth["elements"]
        assert truth["os_state"] is not None and el is not None and el["periapsis_alt_m"] > 300e3, truth
        assert where == ["orbit"]
        return (f"orbit {el['periapsis_alt_m'] / 1e3:.1f} x {el['apoapsis_alt_m'] / 1e3:.1f} km, OS released",
                f"10/10 in orbit")
    if mode == "HOLD":   # a reset in the count: held by the restart rule, tubes still in the OS
        assert any("count held" in t for t in texts), texts
        assert truth["stowed"] and where == ["os"]
        return "count held (restart rule: RECHECK before RESUME)", "10/10 in the OS on the deck"
    if mode == "ABORT":  # allowed only by the rule: navigation too old at the restart
        assert any(t.startswith("abort: navigation") for t in texts), texts
        return "abort by the restart rule (navigation too old)", f"{len(ids)}/10 in the OS"
    pytest.fail(f"MAV ended in {mode}: {texts[-5:]}")


def lander_outcome(em, state: dict, names: list[str], texts: list[str]) -> tuple[str, str]:
    from sim.faults.cases import _landing_lost
    lost = _landing_lost(SimpleNamespace(plant=em.plant, topology=None))
    assert lost is None, lost
    td = em.plant.truth()["touchdown"]
    assert state["components"]["lander"]["mode"] in ("TOUCHDOWN", "SURFACE_IDLE")
    tubes = state["components"]["sta"].get("custody", [])
    assert not tubes                                         # nothing aboard during EDL
    return (f"landed {td['vertical_speed_mps']:.2f} m/s vertical, {td['horizontal_speed_mps']:.2f} m/s "
            f"horizontal", "none aboard (EDL)")


def ero_outcome(em, state: dict, names: list[str], texts: list[str]) -> tuple[str, str]:
    ccrs = state["components"]["ccrs"]
    assert ccrs["mode"] == "COMPLETE", (ccrs["mode"], texts[-5:])
    custody = ccrs["custody"]
    assert sorted(int(t) for t, _ in custody) == TUBES and len(custody) == len(TUBES), custody
    assert sorted(ccrs["contained_tubes"]) == TUBES
    where = sorted({loc for _, loc in custody})
    return "contained, EEV released", f"10/10 {'/'.join(where)}"


OUTCOMES = {"ascent": mav_outcome, "landing": lander_outcome, "capture": ero_outcome}


# ---------------------------------------------------------------- the flight
def board(bench_file: Path, out: Path, ck: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(MSR + ["hil", "run", "--bench", str(bench_file), "--out", str(out),
                                   "--checkpoint", str(ck), *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def kill_targets(flight: Flight, windows: dict[str, tuple[float, float]]
                 ) -> list[tuple[float, float]]:
    """The (lo, hi) span each kill's target is drawn from: in flight order, a phase named k
    times in a row split into k equal parts."""
    spans: list[tuple[float, float]] = []
    phases = list(flight.phases)
    i = 0
    while i < len(phases):
        n = 1
        while i + n < len(phases) and phases[i + n] == phases[i]:
            n += 1
        lo, hi = window(windows, phases[i])
        margin = min(1.0, (hi - lo) / (4 * n))
        lo, hi = lo + margin, hi - margin
        spans += [(lo + j * (hi - lo) / n, lo + (j + 1) * (hi - lo) / n) for j in range(n)]
        i += n
    return spans


def scratch_dir() -> tempfile.TemporaryDirectory:
    """The board's run and checkpoint directories: on a tmpfs where there is one. Each
    checkpoint fsyncs the checkpoint, its directory and both logs; on a loaded shared disk
    that was most of a flight's wall time, and a SIGKILL (unlike a power cut of the whole
    machine) loses nothing the page cache holds, so the files under test are the same."""
    ram = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    return tempfile.TemporaryDirectory(prefix="msr-power-cut-", dir=ram)


STALL_S = 60.0     # a board whose simulated time stands still this long (wall) is hung


class Stall:
    """True once the plant's simulated time has not advanced for STALL_S of wall time: a hang
    guard that a loaded machine (slow, but moving) never trips, unlike a fixed deadline."""

    def __init__(self, plant) -> None:
        self.plant, self.seen, self.since = plant, plant.now_ns(), time.monotonic()

    def __call__(self) -> bool:
        now = self.plant.now_ns()
        if now != self.seen:
            self.seen, self.since = now, time.monotonic()
        return time.monotonic() - self.since > STALL_S


def fly_with_power_cuts(tmp_path: Path, flight: Flight) -> list[Kill]:
    rng = random.Random(flight.seed)
    windows = phase_windows(flight.scenario, flight.seed, flight.overrides)
    spans = kill_targets(flight, windows)
    data = bench_data(tmp_path, scenario=flight.scenario, seed=flight.seed, mode="lockstep",
                      overrides=flight.overrides)
    data["lines"]["main"].update(timeout_s=2.0, retries=2)
    bench_file = write_bench(tmp_path, data)
    bench = load_bench(bench_file)
    scratch = scratch_dir()
    out, ck = Path(scratch.name) / "out", Path(scratch.name) / "ck"
    kills: list[Kill] = []
    durable: list[tuple[int, int, bytes, bytes]] = []
    with scratch, running_emulator(bench) as em:
        gate = KillGate(em.responders[bench.clock_line])
        line = os.open(bench.lines["main"].port, os.O_RDWR | os.O_NOCTTY)   # the wire stays connected
        try:
            for k, (phase, (lo, hi)) in enumerate(zip(flight.phases, spans)):
                if kills:   # after where the last kill landed (it ran on a little after its target)
                    lo = max(lo, kills[-1].kill_s + 0.5)
                assert lo < hi, f"no room left in {phase} after the kill at {kills[-1].kill_s} s"
                kill = Kill(flight.vehicle, flight.seed, phase, round(rng.uniform(lo, hi), 3))
                gate.arm(int(kill.target_s * 1e9))
                termios.tcflush(line, termios.TCIOFLUSH)    # no stale bytes for the next board
                p = board(bench_file, out, ck, *(("--resume",) if k else ()))
                stalled = Stall(em.plant)
                while not gate.hit.wait(0.05):
                    assert p.poll() is None, f"board ended before the kill point {kill}:\n{p.stdout.read()}"
                    assert not stalled(), f"board never reached {kill}: no simulated time for {STALL_S} s"
                gate.go.set()
                time.sleep(rng.uniform(0.0, 0.02))           # mid-tick, somewhere
                p.send_signal(signal.SIGKILL)
                p.wait(10)
                p.stdout.close()
                kill.kill_s = round(em.plant.now_ns() / 1e9, 3)
                state = checkpoint(ck)
                kill.restored_from_s = round(state["executive"]["t_ns"] / 1e9, 3)
                tlm, ev = (out / "telemetry.bin").read_bytes(), (out / "events.log").read_bytes()
                n_tlm, n_ev = state["logs"]["telemetry.bin"], state["logs"]["events.log"]
                # everything up to the last fsync is there and reads whole
                assert len(tlm) >= n_tlm and whole_records(tlm[:n_tlm]) == n_tlm
                assert len(ev) >= n_ev and ev[:n_ev].endswith(b"\n") and events(ev[:n_ev])
                durable.append((n_tlm, n_ev, tlm[:n_tlm], ev[:n_ev]))
                kills.append(kill)
            termios.tcflush(line, termios.TCIOFLUSH)
            last = board(bench_file, out, ck, "--resume")
            stalled = Stall(em.plant)
            while last.poll() is None:
                assert not stalled(), f"the last board stalled: no simulated time for {STALL_S} s"
                time.sleep(0.05)
            output = last.stdout.read()
            assert last.returncode == 0, output
        finally:
            os.close(line)
        final = checkpoint(ck)
        tlm, ev = (out / "telemetry.bin").read_bytes(), (out / "events.log").read_bytes()
        assert whole_records(tlm) == len(tlm)                # torn tails were cut, not kept
        records = events(ev)
        for n_tlm, n_ev, tlm_k, ev_k in durable:             # no record before a fsync lost
            assert tlm[:n_tlm] == tlm_k and ev[:n_ev] == ev_k
        names = [r["event"] for r in records]
        assert names.count("WARM_RESTART") == len(kills)
        texts = [r["args"].get("rule", "") for r in records if r["event"] == "RESTART_RULE"]
        outcome, tubes = OUTCOMES[flight.scenario](em, final, names, texts)
    for kill in kills:
        kill.outcome, kill.tubes = outcome, tubes
    return kills


@pytest.fixture(scope="module")
def kill_table(request, tmp_path_factory):
    yield KILLS
    lines = ["| vehicle | seed | phase | target s | kill s | restored from s | outcome | tubes |",
             "|---|---|---|---|---|---|---|---|"]
    lines += [f"| {k.vehicle} | {k.seed} | {k.phase} | {k.target_s:.3f} | {k.kill_s:.3f} | {k.restored_from_s} "
              f"| {k.outcome} | {k.tubes} |" for k in KILLS]
    lines.append(f"{len(KILLS)} kills")
    path = tmp_path_factory.getbasetemp() / "kill-table.md"
    path.write_text("\n".join(lines) + "\n")
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and KILLS:
        with capture.global_and_fixture_disabled() if capture is not None else contextlib.nullcontext():
            reporter.write_line("")
            reporter.write_sep("=", "power-cut kill table")
            for line in lines:
                reporter.write_line(line)
            reporter.write_line(f"(also in {path})")


@pytest.mark.timeout(1800)
@pytest.mark.parametrize("flight", FLIGHTS, ids=[f"{f.vehicle}-{f.seed}-{'+'.join(p.split(':')[1] for p in f.phases)}"
                                                 for f in FLIGHTS])
def test_power_cuts_leave_the_vehicle_flying_by_its_rules_and_every_tube_accounted(tmp_path, flight, kill_table):
    if not hasattr(termios, "tcflush"):
        pytest.skip("needs POSIX ttys")
    kills = fly_with_power_cuts(tmp_path, flight)
    kill_table.extend(kills)
    assert len(kills) == len(flight.phases)

