"""The board side: the scenario's flight software with serial devices and a bench clock.

Exactly the SIL flight code (`Deployment.flight`), with the device set built from the
bench's serial lines and either the lockstep-over-serial clock (bit-identical to SIL) or
the Linux monotonic clock with the real-time set-up of the bench file. A dead or hung
emulator ends the run with a clear device fault (never a hang): in lockstep the clock
step fails within the line timeout; in real time a disconnected line stops the loop.

The flight side is the scenario's flight build with its fault protection (Health, fault
table, generic monitors, link watch, warm restart; the loop watchdog runs in real time), the
same objects as in SIL; the bench stands in for the ground's heartbeat (`Deployment.flight`).
With `checkpoint_dir` warm-restart checkpoints are durable (`fsw.core.checkpoint.CheckpointStore`:
atomic, fsynced), saved on key events and every second after flushing and fsyncing the
logs; without it they stay in memory (a SIGKILL then loses them). `resume=True` restores the
newest one after a crash or SIGKILL and carries on from there: in real time the plant went on
meanwhile; in lockstep the board first asks the bench for its plant's time (the bench held it
while the board was down) and resumes `BOOT_S` later on its old tick grid, as the in-process
reset of a SIL fault run does. Its logs are first cut back to their last whole record, then
appended to.
"""
from __future__ import annotations

import contextlib
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from fsw.core.checkpoint import CheckpointStore
from fsw.core.clock import LinuxClock
from fsw.core.eventlog import EventLogWriter
from fsw.core.protection import protection_summary
from fsw.core.time import seconds_to_ns
from hal.config import build_devices
from hal.errors import DeviceFault
from hil.bench import Bench, BenchConfigError
from hil.clock import LockstepSerialClock
from hil.footprint import Footprint
from hil.rt import RtReport, realtime
from sim.deployment import FlightResult, attach_log, fly


@dataclass
class RunReport:
    mode: str
    result: FlightResult
    modes: dict[str, str | None]
    slips: int
    ticks_skipped: int
    max_lateness_us: float
    log_format: str
    log_packets: int
    rt: dict[str, Any] = field(default_factory=dict)
    links: dict[str, dict[str, int]] = field(default_factory=dict)
    step_faults: dict[str, int] = field(default_factory=dict)
    restart: dict[str, Any] = field(default_factory=dict)
    protection: dict[str, Any] = field(default_factory=dict)
    footprint: dict[str, Any] = field(default_factory=dict)
    products: dict[str, str] = field(default_factory=dict)   # ground product -> where it came from

    @property
    def ok(self) -> bool:
        return self.result.fault is None

    def as_dict(self) -> dict[str, Any]:
        d = {k: v for k, v in vars(self).items() if k != "result"}
        d["result"] = vars(self.result)
        d["ok"] = self.ok
        return d


def wait_for_ports(paths: list[str], timeout_s: float) -> None:
    """Wait until every board-side port path exists (an emulator making ptys starts first)."""
    deadline = time.monotonic() + timeout_s
    missing = [p for p in paths if "://" not in p and not os.path.exists(p)]
    while missing:
        if time.monotonic() >= deadline:
            raise DeviceFault(f"serial port(s) {', '.join(missing)} did not appear within {timeout_s:g} s "
                              f"(start `msr hil emulate` first, or check the wiring)", "bench")
        time.sleep(0.05)
        missing = [p for p in missing if not os.path.exists(p)]


CHECKPOINT_FILE = "checkpoint.json"
BOOT_S = 0.2   # lockstep resume: the processor is away this long (as sim.faults.run.BOOT_S)


def _durable(name: str, f: BinaryIO | None):
    """A flusher for WarmRestart: flush and fsync `f`, report its size on disk."""
    def flush() -> dict[str, int]:
        if f is None:
            return {}
        f.flush()
        os.fsync(f.fileno())
        return {name: f.tell()}
    return flush


def run_flight(bench: Bench, *, mode: str | None = None, log_out: BinaryIO | None = None,
               apply_rt: bool = True, connect_timeout_s: float = 10.0, checkpoint_dir: Path | None = None,
               resume: bool = False, event_out: BinaryIO | None = None,
               footprint: Footprint | None = None, protection: bool = True) -> tuple[RunReport, Any]:
    """Run the flight side to the end of the scenario; returns (report, telemetry log writer).

    Device faults that end the run are in `report.result.fault`; config errors raise.
    `protection=False` (`--no-protection`) flies without fault protection, reported.
    `footprint` (hil.footprint) measures memory, start-up and CPU per tick.
    """
    if resume and checkpoint_dir is None:
        raise BenchConfigError("resume needs a checkpoint directory")
    if resume and not protection:
        raise BenchConfigError("resume needs the flight's warm restart (drop --no-protection)")
    mode = mode or bench.mode
    dep = bench.deployment
    dep.protection = protection
    config = bench.flight_device_config()
    for entry in config.values():
        entry["hello"] = True   # a fresh session: the emulator forgets old sequence numbers
    wait_for_ports(sorted({ln.port for ln in bench.lines.values()}), connect_timeout_s)
    devices = build_devices(config)
    try:
        clock_link = devices.links[bench.lines[bench.clock_line].port]
        clock = LockstepSerialClock(clock_link) if mode == "lockstep" else LinuxClock()
        store = CheckpointStore(Path(checkpoint_dir) / CHECKPOINT_FILE) if checkpoint_dir is not None else None
        flushers = (_durable("telemetry.bin", log_out), _durable("events.log", event_out)) \
            if checkpoint_dir is not None else ()
        topology, executive = dep.flight(devices, clock, store=store, flushers=flushers)
        if bench.base_rate_hz is not None and executive.base_rate_hz != bench.base_rate_hz:
            raise BenchConfigError(f"{bench.path}: bench.base_rate_hz: {bench.base_rate_hz} Hz, but scenario "
                                   f"{bench.scenario!r} runs at {executive.base_rate_hz} Hz")
        prot = topology.protection
        restart = prot.restart if prot is not None else None
        log = attach_log(topology, log_out)
        if event_out is not None:
            topology.attach(EventLogWriter(event_out))
        if footprint is not None:
            footprint.mark("flight_built")
            footprint.instrument(executive)

        def watch() -> str | None:
            for url, link in devices.links.items():
                if not link.connected:
                    return f"serial line {url} disconnected (emulator gone?)"
                if link.stats.timeouts:
                    return (f"serial line {url}: {link.stats.timeouts} request(s) unanswered after "
                            f"{link.retries} retries (emulator hung?)")
            return None

        rt_report = RtReport()
        if mode == "realtime":
            executive.start_ns = clock.now_ns() + executive.period_ns  # first tick one period from now
        restored = None
        if restart is not None and resume:
            if mode == "lockstep":   # the bench held its plant while the board was down
                clock.sync()
                restored = restart.resume(clock.now_ns() + seconds_to_ns(BOOT_S))
            else:
                restored = restart.resume(clock.now_ns())
        watchdog = prot.watchdog if prot is not None and mode == "realtime" else None
        try:
            with watchdog if watchdog is not None else contextlib.nullcontext():
                if mode == "realtime" and apply_rt:
                    with realtime(bench.realtime) as rt_report:
                        result = fly(topology, executive, dep.duration_s(), dep.done(), watch)
                else:
                    result = fly(topology, executive, dep.duration_s(), dep.done(), watch)
        except DeviceFault as exc:
            result = FlightResult(executive.tick, executive.now_ns(), "fault", f"{type(exc).__name__}: {exc}",
                                  executive.now_ns() - executive.start_ns)
        log.flush()
        if restart is not None and checkpoint_dir is not None:
            restart.save()   # the end state, logs included
        report = RunReport(
            mode=mode, result=result, modes={k: v for k, v in topology.modes().items() if v is not None},
            slips=executive.slips,
            ticks_skipped=executive.ticks_skipped, max_lateness_us=executive.max_lateness_ns / 1e3,
            log_format="ccsds", log_packets=log.packets, rt=rt_report.as_dict(),
            links={url: {**{k: v for k, v in vars(link.stats).items() if isinstance(v, int)},
                         "rejected_frames": link.decoder.rejected}   # bad CRC/COBS: baud or noise
                   for url, link in devices.links.items()},
            step_faults=dict(executive.step_faults),
            restart={} if restart is None else {
                "restarts": restart.tlm["restarts"], "saves": restart.tlm["saves"],
                "generation": restart.store.generation, "save_failures": restart.tlm["save_failures"],
                "restored_from_s": None if restored is None else restored.t_saved_ns / 1e9,
                "not_restored": {} if restored is None else restored.not_restored},
            protection=protection_summary(topology, executive),
            footprint={} if footprint is None else footprint.report(), products=dict(dep.product_sources))
        return report, log
    finally:
        devices.close()


def write_run(report: RunReport, out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "run.json"
    path.write_text(json.dumps(report.as_dict(), indent=2, sort_keys=True, default=str) + "\n")
    return path


def telemetry_whole_prefix(data: bytes) -> int:
    """Length of the leading whole CCSDS records of a telemetry log (a torn tail excluded)."""
    import warnings

    from fsw.link.log import iter_records
    end = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for off, rec in iter_records(data):
            if off != end:   # damage in the middle: keep only what precedes it
                break
            end = off + len(rec)
    return end


def events_whole_prefix(data: bytes) -> int:
    """Length of the leading whole lines of an event log."""
    return data.rfind(b"\n") + 1


def open_log_for_resume(path: Path, whole_prefix) -> BinaryIO:
    """Open a log to append after a crash: first cut it back to its last whole record
    (`whole_prefix(data) -> int`, the length of the longest prefix of whole records)."""
    f = open(path, "r+b") if path.exists() else open(path, "w+b")
    data = f.read()
    keep = whole_prefix(data)
    f.truncate(keep)
    f.seek(keep)
    return f


__all__ = ["RunReport", "events_whole_prefix", "open_log_for_resume", "telemetry_whole_prefix", "run_flight", "wait_for_ports", "write_run"]
