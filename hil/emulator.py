"""The bench side: the scenario's plant behind the serial device protocol.

The emulator serves the very same `hal` simulated devices (same config, same seed) that the
SIL run gives the flight code, over the bench lines, with `hal.serial.responder`. In
lockstep mode the plant only moves when the flight side's clock asks (ADVANCE); in
real-time mode a fixed-step loop on the Linux monotonic clock steps it and ADVANCE is
refused. One thread per line plus (real time) the stepper, all under one lock, so a
request never sees a half-stepped plant.
"""
from __future__ import annotations

import contextlib
import os
import threading
import time
import tty
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from fsw.core.clock import LinuxClock
from hal.catalog import DeviceKind
from hal.errors import DeviceDisconnected, PeerClosed
from hal.serial.port import FdPort, Port, PortSettings
from hal.serial.responder import Responder, Transport
from hal.values import Sample
from hil.bench import Bench, Line


class EmulatorError(RuntimeError):
    """The emulator cannot start (port in use, plant refuses the step rate)."""


class LockedChannel:
    """A device channel whose reads and writes hold the emulator's plant lock."""

    def __init__(self, channel: Any, lock: threading.RLock) -> None:
        self.channel = channel
        self.name: str = channel.name
        self.kind: DeviceKind = channel.kind
        self._lock = lock

    def read(self) -> Sample:
        with self._lock:
            return self.channel.read()

    def write(self, command: Mapping[str, Any]) -> None:
        with self._lock:
            self.channel.write(command)

    def close(self) -> None:
        self.channel.close()

    def set_fault(self, fault: str | None) -> None:
        self.channel.set_fault(fault)


class PtyEnd(FdPort):
    """The master of a pty pair whose slave path is linked at the board-side port path.

    The slave fd is held open until the flight side's first bytes arrive (so opening and
    closing the port early cannot hang it up); after that, the flight side closing its end
    ends the session (read raises DeviceDisconnected), as a cable pulled would.
    """

    def __init__(self, link_path: str, name: str) -> None:
        master, slave = os.openpty()
        tty.setraw(slave)
        super().__init__(master, name)
        self.slave = slave
        self.slave_path = os.ttyname(slave)
        self.link_path = link_path
        p = Path(link_path)
        if p.is_symlink():
            p.unlink()
        elif p.exists():
            os.close(master)
            os.close(slave)
            raise EmulatorError(f"{link_path} exists and is not a link this emulator may replace")
        os.symlink(self.slave_path, link_path)

    def read_available(self, deadline: float) -> bytes:
        data = super().read_available(deadline)
        if data and self.slave is not None:
            self._release_slave()
        return data

    def _release_slave(self) -> None:
        slave, self.slave = self.slave, None
        if slave is not None:
            with contextlib.suppress(OSError):
                os.close(slave)

    def close(self) -> None:
        self._release_slave()
        super().close()
        p = Path(self.link_path)
        with contextlib.suppress(OSError):
            if p.is_symlink() and os.readlink(p) == self.slave_path:
                p.unlink()


def open_bench_end(line: Line) -> Transport:
    if line.makes_pty:
        return PtyEnd(line.port, f"bench:{line.name}")
    port = Port(PortSettings(line.bench_port, baudrate=line.baud), f"bench:{line.name}")
    return port


def realtime_step_problem(plant: Any, step_hz: int) -> str | None:
    """Why a real-time emulator stepping `plant` at `step_hz` would die on its first step (the
    step is off some part's physics grid), or None; `msr hil check` asks before a bench runs."""
    step_ns = 1_000_000_000 // step_hz
    for part in getattr(plant, "parts", (plant,)):
        if hasattr(part, "check_time"):
            try:
                part.check_time(part.now_ns() + step_ns)
            except ValueError as exc:
                return (f"emulator.step_hz {step_hz}: {exc}; expected a step_hz whose period is a whole "
                        f"number of physics steps (real-time mode)")
    return None


@dataclass
class EmulatorStats:
    advances: int = 0
    steps: int = 0
    overruns: int = 0       # real time: plant steps that started after their deadline + 1 period


class Emulator:
    """Plant + simulated devices of a bench's scenario, served on its lines.

    `transports` (line name -> Transport) replaces opening the bench's ports (tests pass a
    pty master here); `mode` defaults to the bench's.
    """

    def __init__(self, bench: Bench, *, mode: str | None = None,
                 transports: Mapping[str, Transport] | None = None) -> None:
        self.bench = bench
        self.mode = mode or bench.mode
        dep = bench.deployment
        self.plant = dep.plant()
        self.devices = dep.sim_devices(self.plant)
        self.lock = threading.RLock()
        self.stats = EmulatorStats()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.ended: dict[str, str] = {}   # line -> why its server ended
        self.responders: dict[str, Responder] = {}
        self.step_ns = 1_000_000_000 // bench.step_hz
        if self.mode == "realtime":
            problem = realtime_step_problem(self.plant, bench.step_hz)
            if problem:
                raise EmulatorError(problem)
        self.transports: dict[str, Transport] = {}
        try:
            for name, line in bench.lines.items():
                self.transports[name] = transports[name] if transports and name in transports \
                    else open_bench_end(line)
        except BaseException:
            self.close()
            raise
        for name, devs in bench.channels_by_line().items():
            channels = {addr: LockedChannel(self.devices[dev].channel, self.lock) for dev, addr in devs.items()}
            clocked = self.mode == "lockstep" and name == bench.clock_line
            self.responders[name] = Responder(self.transports[name], channels,
                                              on_advance=self._advance if clocked else None)

    # ---- plant time ----------------------------------------------------------------------
    def _advance(self, t_ns: int) -> int:
        """Step the plant to `t_ns`; a time already past steps nothing and is answered with
        the plant's own (a board that resumed after a reset asks where the plant is)."""
        with self.lock:
            now = self.plant.now_ns()
            if t_ns <= now:
                return now
            self.plant.advance_to(t_ns)
            self.stats.advances += 1
            return t_ns

    def _step_realtime(self) -> None:
        clock = LinuxClock()
        start = clock.now_ns()
        t0 = self.plant.now_ns()
        k = 0
        while not self._stop.is_set():
            k += 1
            deadline = start + k * self.step_ns
            clock.sleep_until(deadline)
            try:
                with self.lock:
                    self.plant.advance_to(t0 + k * self.step_ns)
            except Exception as exc:  # the plant refused: end the session loudly, not silently
                self.ended["plant"] = f"plant error: {type(exc).__name__}: {exc}"
                self._stop.set()
                for tr in self.transports.values():
                    tr.close()
                return
            self.stats.steps += 1
            if time.monotonic_ns() > deadline + self.step_ns:
                self.stats.overruns += 1

    # ---- serving -------------------------------------------------------------------------
    def _serve(self, name: str, responder: Responder) -> None:
        try:
            while not self._stop.is_set():
                responder.step(0.02)
            self.ended[name] = "stopped"
        except PeerClosed:
            self.ended[name] = "flight side finished (closed the line)"
        except DeviceDisconnected as exc:
            self.ended[name] = f"flight side gone: {exc}"
        except Exception as exc:  # keep the reason; the CLI reports it
            self.ended[name] = f"error: {type(exc).__name__}: {exc}"

    def start(self) -> "Emulator":
        for name, responder in self.responders.items():
            t = threading.Thread(target=self._serve, args=(name, responder), name=f"emulator-{name}", daemon=True)
            t.start()
            self._threads.append(t)
        if self.mode == "realtime":
            t = threading.Thread(target=self._step_realtime, name="emulator-plant", daemon=True)
            t.start()
            self._threads.append(t)
        return self

    def wait(self, timeout_s: float | None = None) -> bool:
        """Wait until every line's session ended (or `timeout_s`); True if they all did."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while len(self.ended) < len(self.responders):
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(0.02)
        return True

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=5)
        self._threads.clear()

    def close(self) -> None:
        self.stop()
        for tr in self.transports.values():
            tr.close()
        self.devices.close()

    def __enter__(self) -> "Emulator":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def summary(self) -> dict[str, Any]:
        return {"mode": self.mode, "advances": self.stats.advances, "steps": self.stats.steps,
                "overruns": self.stats.overruns, "plant_t_ns": self.plant.now_ns(),
                "lines": {n: vars(r.stats).copy() for n, r in self.responders.items()},
                "ended": dict(self.ended)}


__all__ = ["Emulator", "EmulatorError", "LockedChannel", "PtyEnd", "open_bench_end"]
