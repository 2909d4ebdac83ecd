"""`msr gds web`: the ground console in the browser (NASA Open MCT) on 127.0.0.1.

Sources (exactly one): `--replay LOG` (paced by `--speed`), `--follow LOG` (a log a SIL or
HIL run is still writing), or `--link` (a live UDP link with `msr sil ... --live` or
`msr gds serve`; with `--keys` and `--key-id` the console can command). The dictionary is
`--dict FILE`, else the `dictionary.json` beside the log. Needs the `console` extra
(tornado) and Open MCT (`--install` runs npm ci of the pinned version once).
"""
from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path
from typing import Any

import click

from msr.finite import Finite

from msr.commands.link import keys_or_fail, load_dictionary
from msr.commands.live import _address


def _dictionary(dict_file: Path | None, log: Path | None):
    if dict_file is None and log is not None and (log.parent / "dictionary.json").is_file():
        dict_file = log.parent / "dictionary.json"
    if dict_file is None:
        raise click.UsageError("no dictionary: give --dict FILE (a run's dictionary.json)")
    d = load_dictionary(dict_file, ())
    if not d.vehicles:
        raise click.ClickException(f"{dict_file}: no vehicle in the dictionary")
    return d


def _openmct(install: bool):
    from ground import openmct
    dist = openmct.dist_dir()
    if dist is None and install:
        try:
            dist = openmct.install(echo=click.echo)
        except openmct.InstallError as exc:
            raise click.ClickException(str(exc)) from None
    return dist


async def _serve(console: Any, source: Any, host: str, port: int, dist: Any,
                 banner: str) -> None:
    from ground.server import listen, make_app
    try:
        server, bound = listen(make_app(console, dist), host, port)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc}") from None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    task = asyncio.create_task(source.run(console.publish))
    click.echo(f"console on http://{host}:{bound}/ ({banner})")
    if dist is None:
        click.echo("note: Open MCT is not installed (msr gds web --install); serving the API only")
    sys.stdout.flush()
    done = asyncio.create_task(stop.wait())
    await asyncio.wait([task, done], return_when=asyncio.FIRST_COMPLETED)
    if task.done() and task.exception() is not None:
        raise task.exception()
    if task.done() and not stop.is_set():
        await done   # a finished replay stays on view until stopped
    task.cancel()
    server.stop()
    click.echo(f"stopped: {console.store.received} packets received, "
               f"{console.forwarded} forwarded to browsers")


def register(cli: click.Group) -> None:
    gds = cli.commands["gds"]

    @gds.command("web")
    @click.option("--replay", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                  help="play a telemetry log back (RUN/telemetry.bin)")
    @click.option("--follow", type=click.Path(dir_okay=False, path_type=Path),
                  help="show a log another process is still writing (a SIL or HIL run)")
    @click.option("--link", is_flag=True, help="live UDP link with a flight instance")
    @click.option("--speed", type=Finite(min=0), default=1.0, show_default=True,
                  help="replay speed (x spacecraft time; 0: all at once)")
    @click.option("--dict", "dict_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                  help="dictionary JSON (default: dictionary.json beside the log)")
    @click.option("--host", default="127.0.0.1", show_default=True)
    @click.option("--port", type=click.IntRange(0, 65535), default=8090, show_default=True,
                  help="HTTP port (0: any free port, printed)")
    @click.option("--udp-port", type=click.IntRange(0, 65535), default=0, show_default=True,
                  help="with --link: ground UDP port for telemetry (0: any, printed)")
    @click.option("--flight", default=None, metavar="HOST:PORT",
                  help="with --link: the flight's command port (default: learnt from its telemetry)")
    @click.option("--keys", "keys_file", type=click.Path(path_type=Path), default=None,
                  help="with --link: key file to sign commands with")
    @click.option("--key-id", type=click.IntRange(0, 0xFFFF), default=None)
    @click.option("--install", is_flag=True,
                  help="install the pinned Open MCT with npm first (once; then it is cached)")
    def web(replay: Path | None, follow: Path | None, link: bool, speed: float,
            dict_file: Path | None, host: str, port: int, udp_port: int, flight: str | None,
            keys_file: Path | None, key_id: int | None, install: bool) -> None:
        """Ground console in the browser: telemetry, plots, events, commands (Open MCT)."""
        try:
            from ground.commanding import Commander
            from ground.server import Console
            from ground.sources import FollowSource, ReplaySource, UdpSource
        except ImportError as exc:
            raise click.ClickException(f"the console needs its extra: pip install "
                                       f"'msr-fsw[console]' ({exc})") from None
        if sum(map(bool, (replay, follow, link))) != 1:
            if install and not (replay or follow or link):
                dist = _openmct(True)
                click.echo(f"Open MCT ready in {dist}")
                return
            raise click.UsageError("give exactly one of --replay LOG, --follow LOG and --link")
        if (keys_file or key_id is not None or flight or udp_port) and not link:
            raise click.UsageError("--keys, --key-id, --flight and --udp-port need --link")
        if (keys_file is None) != (key_id is None):
            raise click.UsageError("commanding needs both --keys and --key-id")
        d = _dictionary(dict_file, replay or follow)
        dist = _openmct(install)
        commander = None
        if replay:
            source, banner = ReplaySource(replay, speed), f"replay of {replay} at {speed:g}x"
        elif follow:
            source, banner = FollowSource(follow), f"following {follow}"
        else:
            source = UdpSource(host, udp_port, _address(flight))
            banner = "live link"
            if keys_file is not None:
                from fsw.link.errors import EncodeError
                try:
                    from fsw.link.seqcounter import SequenceCounter, default_path
                    commander = Commander(d.vehicles[0], keys_or_fail(keys_file), key_id,
                                          source.send, counter=SequenceCounter(default_path(keys_file)))
                except EncodeError as exc:
                    raise click.ClickException(str(exc)) from None
        console = Console(d, source=source, commander=commander, describe=banner)
        if link:
            asyncio.run(_live(console, source, host, port, dist))
        else:
            asyncio.run(_serve(console, source, host, port, dist, banner))


async def _live(console: Any, source: Any, host: str, port: int, dist: Any) -> None:
    from fsw.link.errors import LinkError
    try:
        await source.bind()
    except LinkError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"ground udp {source.host}:{source.port}"
               + (f", commands to {source.flight[0]}:{source.flight[1]}" if source.flight else ""))
    try:
        await _serve(console, source, host, port, dist, "live link")
    finally:
        source.close()
