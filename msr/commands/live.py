"""The `--live` options of `msr sil` (sim/live.py): fly paced to the wall clock behind the
link, telemetry to `--ground`, commands on `--link-port`, signed with `--keys`."""
from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Any, Callable, Iterator

import click

from msr.finite import Finite


def _address(value: str | None) -> tuple[str, int] | None:
    if value is None:
        return None
    host, sep, port = value.rpartition(":")
    if not sep or not port.isascii() or not port.isdigit() or not 0 < int(port) < 65536:
        raise click.BadParameter(f"{value!r}: expected HOST:PORT")
    return host or "127.0.0.1", int(port)


def live_options(fn: Callable) -> Callable:
    opts = [
        click.option("--live", is_flag=True,
                     help="fly paced to the wall clock behind the live link (see --ground)"),
        click.option("--ground", default=None, metavar="HOST:PORT",
                     help="with --live: where telemetry goes (msr gds web --link listens there)"),
        click.option("--link-port", type=click.IntRange(0, 65535), default=0, show_default=True,
                     help="with --live: UDP port for commands on 127.0.0.1 (0: any, printed)"),
        click.option("--keys", "keys_file", type=click.Path(path_type=Path), default=None,
                     help="with --live: the command key file (msr keys generate)"),
        click.option("--speed", type=Finite(0, min_open=True), default=1.0, show_default=True,
                     help="with --live: simulated seconds per wall-clock second"),
    ]
    for opt in reversed(opts):
        fn = opt(fn)
    return fn


@contextlib.contextmanager
def live_link(out_dir: Path, *, live: bool, ground: str | None, link_port: int,
              keys_file: Path | None, speed: float) -> Iterator[Any]:
    """A no-op unless --live; else every SIL flight built inside flies live."""
    if not live:
        if ground or keys_file or link_port or speed != 1.0:
            raise click.UsageError("--ground, --link-port, --keys and --speed need --live")
        yield None
        return
    if ground is None or keys_file is None:
        raise click.UsageError("--live needs --ground HOST:PORT and --keys FILE")
    address = _address(ground)
    from msr.commands.link import keys_or_fail
    from sim.live import LiveLink, live

    def ready(link: LiveLink) -> None:
        host, port = link.transport.address
        click.echo(f"live: commands on udp {host}:{port}, telemetry to {ground}, "
                   f"speed {speed:g}x, dictionary {out_dir / 'dictionary.json'}")
        sys.stdout.flush()
    link = LiveLink(keys_or_fail(keys_file), address, port=link_port, speed=speed,
                    out_dir=out_dir, on_ready=ready)
    from fsw.link.errors import LinkError
    try:
        with live(link):
            yield link
    except LinkError as exc:
        raise click.ClickException(str(exc)) from None
