"""`msr hil ...`: the HIL bench. `emulate` (bench side), `run` (board side), `check`,
`timing` (latency of the fixed-step loop beside cyclictest), `deploy` (offline bundle) and
`products` (the ground's files a flight side loads, e.g. the landing's onboard map)."""
from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

import click

from msr.finite import Seconds
from msr.outdir import output_dir, prepare as prepare_out

BENCH = click.option("--bench", "bench_file", required=True,
                     type=click.Path(exists=True, dir_okay=False, path_type=Path), help="bench TOML file")
MODE = click.option("--mode", type=click.Choice(["lockstep", "realtime"]), default=None,
                    help="override the bench file's mode")


MAX_TIMING_TICKS = 10_000_000   # latencies are kept in memory: 160 MB at most


def _load(bench_file: Path):
    from hil.bench import BenchConfigError, load_bench
    try:
        return load_bench(bench_file)
    except BenchConfigError as exc:
        raise click.ClickException(str(exc)) from None


def register(cli: click.Group) -> None:
    @cli.group("hil")
    def hil_group() -> None:
        """Hardware-in-the-loop bench: emulator, board runner, timing, deploy."""

    @hil_group.command("check")
    @BENCH
    def check(bench_file: Path) -> None:
        """Validate a bench file and print its wiring."""
        bench = _load(bench_file)
        click.echo(f"scenario {bench.scenario} (seed {bench.seed}), mode {bench.mode}, clock on line {bench.clock_line}")
        for name, line in sorted(bench.lines.items()):
            click.echo(f"line {name}: board {line.port} <-> bench {line.bench_port} @ {line.baud} baud")
        config = bench.deployment.device_config()
        for dev, (line, address) in sorted(bench.addresses.items()):
            click.echo(f"  {dev:16s} {config[dev]['kind']:18s} line {line} address {address}")
        from hil.emulator import realtime_step_problem
        problem = realtime_step_problem(bench.deployment.plant(), bench.step_hz)
        if problem and bench.mode == "realtime":
            raise click.ClickException(problem)
        if problem:
            click.echo(f"note: lockstep is fine, but --mode realtime would fail: {problem}")

    @hil_group.command("emulate")
    @BENCH
    @MODE
    @click.option("--duration", "duration_s", type=Seconds(0), default=None,
                  help="stop after this many wall seconds (default: when the flight side leaves)")
    def emulate(bench_file: Path, mode: str | None, duration_s: float | None) -> None:
        """Bench side: run the plant and answer the device protocol on the bench lines."""
        from hal.errors import DeviceFault
        from hil.emulator import Emulator, EmulatorError
        bench = _load(bench_file)
        try:
            em = Emulator(bench, mode=mode)
        except (EmulatorError, DeviceFault, OSError) as exc:
            raise click.ClickException(f"emulator cannot start: {exc}") from None
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        with em:
            for name, line in sorted(bench.lines.items()):
                where = f"{line.port} -> {em.transports[name].slave_path}" if line.makes_pty else line.bench_port
                click.echo(f"emulator ready ({em.mode}): line {name} at {where}", err=True)
            try:
                waited = 0.0
                while not stop.is_set() and not em.wait(0.1):
                    waited += 0.1
                    if duration_s is not None and waited >= duration_s:
                        break
            except KeyboardInterrupt:
                pass
            s = em.summary()
            rejected = {n: r.decoder.rejected for n, r in em.responders.items()}
        click.echo(f"emulator done: plant at t={s['plant_t_ns'] / 1e9:.3f} s, {s['advances']} clock steps, "
                   f"{s['steps']} real-time steps ({s['overruns']} late); "
                   + "; ".join(f"line {n}: {why}" for n, why in sorted(s["ended"].items()))
                   + "".join(f"; line {n}: {k} frames rejected (CRC/COBS: baud or noise?)"
                             for n, k in sorted(rejected.items()) if k))

    @hil_group.command("run")
    @BENCH
    @MODE
    @click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
                  help="write DIR/telemetry.bin and DIR/run.json")
    @click.option("--no-rt", is_flag=True, help="skip the real-time set-up (real-time mode)")
    @click.option("--connect-timeout", type=Seconds(0), default=10.0, show_default=True,
                  help="seconds to wait for the serial ports to appear")
    @click.option("--checkpoint", "checkpoint_dir", type=click.Path(path_type=Path, file_okay=False), default=None,
                  help="keep durable warm-restart checkpoints in DIR, logs fsynced at each "
                       "(default with --out: OUT/checkpoint; without either: in memory)")
    @click.option("--resume", is_flag=True, help="restore the newest checkpoint and carry on (after a crash)")
    @click.option("--no-protection", is_flag=True,
                  help="fly WITHOUT fault protection (no monitors, no warm restart); run.json says so")
    def run(bench_file: Path, mode: str | None, out_dir: Path | None, no_rt: bool, connect_timeout: float,
            checkpoint_dir: Path | None, resume: bool, no_protection: bool) -> None:
        """Board side: the flight software over the bench's serial lines."""
        from hil.footprint import Footprint, summary_lines
        footprint = Footprint()
        footprint.mark("command")
        from hal.errors import DeviceFault
        from hil.bench import BenchConfigError
        from sim.deployment import ScenarioError
        from hil.runner import (events_whole_prefix, open_log_for_resume, run_flight, telemetry_whole_prefix,
                                write_run)
        footprint.mark("imports")
        from sim.deployment import DICTIONARY
        if checkpoint_dir is None and out_dir is not None and not no_protection:
            checkpoint_dir = out_dir / "checkpoint"
        if resume and checkpoint_dir is None:
            raise click.UsageError("--resume needs --checkpoint DIR (or --out DIR)")
        if resume and no_protection:
            raise click.UsageError("--resume needs the flight's warm restart: drop --no-protection")
        bench = _load(bench_file)
        log_file = event_file = None
        if out_dir is not None:
            prepare_out(out_dir)
            if resume:
                log_file = open_log_for_resume(out_dir / "telemetry.bin", telemetry_whole_prefix)
                event_file = open_log_for_resume(out_dir / "events.log", events_whole_prefix)
            else:
                log_file = open(out_dir / "telemetry.bin", "wb")
                event_file = open(out_dir / "events.log", "wb")
        try:
            report, log = run_flight(bench, mode=mode, log_out=log_file, apply_rt=not no_rt,
                                   connect_timeout_s=connect_timeout, checkpoint_dir=checkpoint_dir,
                                   resume=resume, event_out=event_file, footprint=footprint,
                                   protection=not no_protection)
        except (BenchConfigError, DeviceFault, ScenarioError) as exc:
            raise click.ClickException(str(exc)) from None
        finally:
            for f in (log_file, event_file):
                if f is not None:
                    f.close()
        warning = report.rt.get("warning")
        if warning:
            click.echo(f"warning: {warning}", err=True)
        r = report.result
        click.echo(f"{report.mode} run: {r.ticks} ticks over {r.elapsed_ns / 1e9:.3f} s, stopped by {r.stopped_by}; "
                   f"modes {report.modes}; slips {report.slips}; {report.log_packets} telemetry packets "
                   f"({report.log_format})")
        from fsw.core.protection import protection_lines
        for line in protection_lines(report.protection):
            click.echo(line)
        if report.restart:
            click.echo(f"warm restart: {report.restart}")
        for setting, where in report.products.items():
            click.echo(f"ground product {setting}: {where}")
        for line in summary_lines(report.footprint):
            click.echo(line)
        if out_dir is not None:
            with output_dir(out_dir, create=False):
                (out_dir / DICTIONARY).write_text(log.dictionary().to_json())   # as SIL: `msr gds decode` reads it
                click.echo(f"run: {write_run(report, out_dir)}")
        if r.fault:
            click.echo(f"device fault: {r.fault}", err=True)
            sys.exit(1)

    @hil_group.command("timing")
    @click.option("--rate", "rate_hz", type=click.IntRange(1, 100_000), default=1000, show_default=True,
                  help="loop rate, Hz")
    @click.option("--duration", "duration_s", type=Seconds(0.0, 86_400.0, min_open=True), default=10.0,
                  show_default=True, help="seconds")
    @click.option("--out", "out_dir", type=click.Path(path_type=Path), required=True)
    @click.option("--priority", type=click.IntRange(0, 99), default=80, show_default=True,
                  help="SCHED_FIFO priority (0: none)")
    @click.option("--cpu", "cpus", type=int, multiple=True, help="pin to this CPU (repeatable)")
    @click.option("--overrun-every", type=click.IntRange(min=0), default=0, show_default=True,
                  help="inject an overrun every N ticks (0: none)")
    @click.option("--no-cyclictest", is_flag=True, help="do not run cyclictest")
    def timing(rate_hz: int, duration_s: float, out_dir: Path, priority: int, cpus: tuple[int, ...],
               overrun_every: int, no_cyclictest: bool) -> None:
        """Wake-up latency, slips and drift of the fixed-step loop with the MAV guidance."""
        from hil.bench import RealtimeSettings
        from hil.timing import summary_lines, timing_run
        if not 1 <= round(duration_s * rate_hz) <= MAX_TIMING_TICKS:
            raise click.BadParameter(f"{duration_s:g} s at {rate_hz} Hz is {round(duration_s * rate_hz)} ticks; "
                                     f"expected 1 to {MAX_TIMING_TICKS}", param_hint="--duration")
        settings = RealtimeSettings(priority=priority, cpus=tuple(cpus))
        try:
            with output_dir(out_dir):
                result = timing_run(rate_hz, duration_s, out_dir, overrun_every=overrun_every, settings=settings,
                                    with_cyclictest=not no_cyclictest)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        for line in summary_lines(result):
            click.echo(line)
        click.echo(f"timing: {out_dir / 'timing.json'}, histogram: {out_dir / 'latency_hist.png'}")

    @hil_group.command("deploy")
    @BENCH
    @click.option("--target", type=click.Path(file_okay=False, path_type=Path), required=True,
                  help="bundle directory (created; must be empty)")
    @click.option("--platform", default=None,
                  help="the board: a profile (aarch64, x86_64: Debian/Raspberry Pi OS bookworm) or raw pip "
                       "platform tags, comma-separated (default: this machine)")
    @click.option("--python-version", default=None, help="Python version of the board (default: the profile's)")
    @click.option("--wheels", "extra_wheels", type=click.Path(exists=True, file_okay=False, path_type=Path),
                  default=None, help="wheels built on the board itself (preferred where their tags fit)")
    @click.option("--project", type=click.Path(file_okay=False, path_type=Path), default=None,
                  help="project source tree (default: the one this command runs from)")
    def deploy(bench_file: Path, target: Path, platform: str | None, python_version: str | None,
               extra_wheels: Path | None, project: Path | None) -> None:
        """Build a self-contained bundle for an offline board."""
        from hil.deploy import DeployError, build_bundle
        _load(bench_file)
        try:
            report = build_bundle(bench_file, target, platform=platform, python_version=python_version,
                                  project=project, extra_wheels=extra_wheels)
        except DeployError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"bundle: {report.target} ({len(report.wheels)} wheels, Python {report.python_version}, "
                   f"{report.board})")
        for row in report.listing():
            click.echo(f"  {row}")
        for note in report.notes:
            click.echo(f"note: {note}")
        click.echo(f"install on the board: {report.target}/install.sh PREFIX")

    @hil_group.command("products")
    @BENCH
    @click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                  help="directory to write them into (default: the bench's products directory)")
    def products(bench_file: Path, out_dir: Path | None) -> None:
        """Bench side (the ground): write the products the bench's flight side loads (an onboard map)."""
        from sim.deployment import ScenarioError
        bench = _load(bench_file)
        dep = bench.deployment
        try:
            with output_dir(out_dir or bench.products_dir):
                made = dep.make_products(out_dir or bench.products_dir)
        except ScenarioError as exc:
            raise click.ClickException(str(exc)) from None
        if not made:
            click.echo(f"scenario {bench.scenario}: its flight side loads no ground products")
        for setting, path in made.items():
            click.echo(f"{setting}: {path} ({path.stat().st_size / 1e6:.1f} MB)")

    @hil_group.command("board-check")
    @BENCH
    @click.option("--manifest", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
                  help="the bundle's manifest.json (checks the installed versions against it)")
    def board_check(bench_file: Path, manifest: Path | None) -> None:
        """Self-check of the board: imports, compiled CRC/COBS, clock, SCHED_FIFO, mlockall, ports."""
        from hil.board_check import check_board
        bench = _load(bench_file)
        items = check_board(bench, manifest)
        for item in items:
            click.echo(item.line())
        failed = [i.name for i in items if i.failed]
        if failed:
            click.echo(f"board check: {len(failed)} item(s) missing: {', '.join(failed)}", err=True)
            sys.exit(1)
        click.echo("board check: ready")
