"""Ground-link commands: `msr keys generate`, `msr dict export`, `msr gds decode|serve|send`."""
from __future__ import annotations

import csv
import importlib
import json
import secrets
import signal
import sys
import time
from pathlib import Path
from typing import Any, Iterable

import click

from fsw.link.demo import DEMO_COMPONENTS
from fsw.link.dictionary import Dictionary, VehicleSpec, vehicle_spec
from fsw.link.errors import DictionaryError, KeyFileError, LinkError
from fsw.link.keys import load_keys, write_key_file
from fsw.link.log import read_log
from fsw.link.telemetry import AckPacket, AckStatus, ChannelPacket, EventPacket, Packet

VEHICLES = ("lander", "rover", "mav", "ero")


# ---------------------------------------------------------------- dictionary gathering
def vehicle_classes(name: str) -> dict:
    """{component name: class} of a vehicle (demo is built in; the others are imported)."""
    if name == "demo":
        return dict(DEMO_COMPONENTS)
    module = importlib.import_module(f"fsw.vehicles.{name}")
    return dict(module.MODE_COMPONENTS)


def gather(names: Iterable[str] | None = None, *, quiet: bool = False) -> Dictionary:
    """Dictionary of the named vehicles, or of every vehicle that imports, plus demo."""
    explicit = names is not None and len(tuple(names)) > 0
    wanted = tuple(names) if explicit else (*VEHICLES, "demo")
    specs: list[VehicleSpec] = []
    for name in wanted:
        try:
            specs.append(vehicle_spec(name, vehicle_classes(name)))
        except (ImportError, AttributeError, DictionaryError) as exc:
            if explicit:
                raise click.ClickException(f"vehicle {name}: {exc}") from None
            if not quiet:
                click.echo(f"note: vehicle {name} left out ({type(exc).__name__}: {exc})", err=True)
    return Dictionary(tuple(specs))


def load_dictionary(dict_file: Path | None, vehicles: tuple[str, ...]) -> Dictionary:
    if dict_file is not None:
        try:
            return Dictionary.from_json(dict_file.read_text(), str(dict_file))
        except OSError as exc:
            raise click.ClickException(f"{dict_file}: {exc}") from None
        except DictionaryError as exc:
            raise click.ClickException(str(exc)) from None
    return gather(vehicles, quiet=True)


def keys_or_fail(path: Path) -> dict[int, bytes]:
    try:
        return load_keys(path)
    except KeyFileError as exc:
        raise click.ClickException(str(exc)) from None


# ---------------------------------------------------------------- decode formatting
def _value(v: Any) -> str:
    return repr(v) if isinstance(v, float) else str(v)


def describe(p: Packet) -> tuple[str, str]:
    """(kind, content) of a packet for the table."""
    if isinstance(p, ChannelPacket):
        return "channels", " ".join(f"{k}={_value(v)}" for k, v in p.values.items())
    if isinstance(p, EventPacket):
        return "event", f"{p.severity.name} {p.name}: {p.text}"
    if isinstance(p, AckPacket):
        return "ack", f"key {p.key_id} seq {p.cmd_seq} {p.status.name} {p.reason}".rstrip()
    return "raw", f"kind {p.packet_kind} {p.payload.hex()} ({p.error})"


def rows_csv(p: Packet) -> list[list[Any]]:
    """Long format: one row per channel value; events and acks one row each."""
    head = [p.t_ns, f"{p.apid:#05x}", p.seq, getattr(p, "vehicle", ""), getattr(p, "component", "")]
    if isinstance(p, ChannelPacket):
        return [head + ["channel", k, _value(v)] for k, v in p.values.items()]
    if isinstance(p, EventPacket):
        return [head + ["event", p.name, f"{p.severity.name}: {p.text}"]]
    if isinstance(p, AckPacket):
        return [head + ["ack", p.status.name, f"key {p.key_id} seq {p.cmd_seq} {p.reason}".rstrip()]]
    return [head + ["raw", str(p.packet_kind), p.error]]


def as_json(p: Packet) -> dict[str, Any]:
    d: dict[str, Any] = {"kind": p.kind, "t_ns": p.t_ns, "apid": p.apid, "seq": p.seq}
    if isinstance(p, ChannelPacket):
        d |= {"vehicle": p.vehicle, "component": p.component, "values": p.values}
    elif isinstance(p, EventPacket):
        d |= {"vehicle": p.vehicle, "component": p.component, "event": p.name,
              "severity": p.severity.name, "args": dict(p.args), "text": p.text}
    elif isinstance(p, AckPacket):
        d |= {"vehicle": p.vehicle, "component": p.component, "key_id": p.key_id,
              "cmd_seq": p.cmd_seq, "status": p.status.name, "reason": p.reason}
    else:
        d |= {"packet_kind": p.packet_kind, "payload": p.payload.hex(), "error": p.error}
    return d


def _json_safe(o: Any) -> Any:
    return o if isinstance(o, (str, int, float, bool, type(None))) else str(o)


# ---------------------------------------------------------------- live link helpers
def parse_args(items: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{item!r}: expected name=value")
        out[key] = value
    return out


def build_components(vehicle: str) -> list:
    try:
        classes = vehicle_classes(vehicle)
    except (ImportError, AttributeError) as exc:
        raise click.ClickException(f"vehicle {vehicle}: {exc}") from None
    try:
        return [cls(name) for name, cls in classes.items()]
    except TypeError as exc:
        raise click.ClickException(f"vehicle {vehicle}: its components cannot be built from "
                                   f"their names alone ({exc}); use --vehicle demo") from None


def register(cli: click.Group) -> None:
    @cli.group("keys")
    def keys_group() -> None:
        """Command-authentication keys."""

    @keys_group.command("generate")
    @click.option("--out", "out", type=click.Path(path_type=Path), required=True)
    @click.option("--key-id", "key_ids", type=click.IntRange(0, 0xFFFF), multiple=True,
                  help="key id to create (repeatable; default 1)")
    @click.option("--force", is_flag=True, help="overwrite an existing file")
    def keys_generate(out: Path, key_ids: tuple[int, ...], force: bool) -> None:
        """Write a new key file (mode 0600) with 32-byte random keys."""
        try:
            write_key_file(out, {k: secrets.token_bytes(32) for k in (key_ids or (1,))},
                           overwrite=force)
        except KeyFileError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"wrote {out} (key ids {', '.join(map(str, key_ids or (1,)))})")

    @cli.group("dict")
    def dict_group() -> None:
        """The command/telemetry/event dictionary."""

    @dict_group.command("export")
    @click.option("--format", "fmt", type=click.Choice(["json", "xtce"]), default="json",
                  show_default=True)
    @click.option("--out", "out", type=click.Path(path_type=Path), required=True)
    @click.option("--vehicle", "vehicles", multiple=True,
                  help="vehicle to include (repeatable; default: every vehicle that imports, and demo)")
    def dict_export(fmt: str, out: Path, vehicles: tuple[str, ...]) -> None:
        """Export the dictionary as JSON or XTCE 1.2."""
        d = gather(vehicles)
        if fmt == "json":
            text = d.to_json()
        else:
            from fsw.link.xtce import to_xtce
            try:
                text = to_xtce(d)
            except DictionaryError as exc:
                raise click.ClickException(str(exc)) from None
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text)
        click.echo(f"wrote {out} ({', '.join(v.name for v in d.vehicles)})")

    @cli.group("gds")
    def gds() -> None:
        """Ground data system: decode telemetry logs, serve and command a live link."""

    @gds.command("decode")
    @click.argument("log", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table",
                  show_default=True, help="json writes one JSON object per line")
    @click.option("--dict", "dict_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                  help="dictionary JSON (default: dictionary.json beside LOG if there is one, "
                       "else built from the vehicles' classes)")
    @click.option("--vehicle", "vehicles", multiple=True)
    def decode(log: Path, fmt: str, dict_file: Path | None, vehicles: tuple[str, ...]) -> None:
        """Decode a telemetry log (CCSDS packets back to back)."""
        import warnings
        beside = log.parent / "dictionary.json"
        if dict_file is None and not vehicles and beside.is_file():
            dict_file = beside
        d = load_dictionary(dict_file, vehicles)
        out = sys.stdout
        writer = csv.writer(out, lineterminator="\n") if fmt == "csv" else None
        if writer:
            writer.writerow(["t_ns", "apid", "seq", "vehicle", "component", "kind", "name", "value"])
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for p in read_log(log, d):
                if fmt == "table":
                    kind, content = describe(p)
                    comp = getattr(p, "component", "?")
                    out.write(f"{p.t_ns / 1e9:14.6f}  {p.apid:#05x} {p.seq:5d}  {comp:<12} "
                              f"{kind:<8} {content}\n")
                elif writer:
                    writer.writerows(rows_csv(p))
                else:
                    out.write(json.dumps(as_json(p), default=_json_safe) + "\n")
        for w in caught:
            click.echo(f"warning: {w.message}", err=True)

    @gds.command("serve")
    @click.option("--vehicle", default="demo", show_default=True)
    @click.option("--keys", "keys_file", type=click.Path(path_type=Path), required=True)
    @click.option("--host", default="127.0.0.1", show_default=True)
    @click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True,
                  help="UDP port (0: any free port, printed)")
    @click.option("--serial", "serial_url", default=None, help="serve on a serial URL instead of UDP")
    @click.option("--rate", type=int, default=50, show_default=True, help="base rate, Hz")
    @click.option("--telemetry-divisor", type=click.IntRange(min=1), default=50, show_default=True)
    @click.option("--duration", type=float, default=None, help="stop after this many seconds")
    @click.option("--log", "log_file", type=click.Path(path_type=Path), default=None,
                  help="also write a telemetry log")
    def serve(vehicle: str, keys_file: Path, host: str, port: int, serial_url: str | None,
              rate: int, telemetry_divisor: int, duration: float | None,
              log_file: Path | None) -> None:
        """Run a flight-software instance in real time behind a live link."""
        from fsw.core.time import seconds_to_ns
        from fsw.link.dictionary import topology_spec
        from fsw.link.log import TelemetryLogWriter
        from fsw.link.server import LinkServer, link_topology
        from fsw.link.transport import SerialLink, UdpLink
        keys = keys_or_fail(keys_file)
        topology, ingest = link_topology(vehicle, build_components(vehicle), keys)
        try:
            transport = SerialLink(serial_url) if serial_url else UdpLink(host, port)
        except LinkError as exc:
            raise click.ClickException(str(exc)) from None
        log_fh = open(log_file, "wb") if log_file else None
        log = TelemetryLogWriter(topology_spec(topology), log_fh) if log_fh else None
        server = LinkServer(topology, ingest, transport, rate_hz=rate,
                            telemetry_divisor=telemetry_divisor, log=log)
        where = serial_url or "udp {}:{}".format(*transport.address)
        click.echo(f"serving {vehicle} on {where} (keys {sorted(keys)})", nl=True)
        sys.stdout.flush()
        stop = {"now": False}

        def ask_stop(*_: Any) -> None:
            stop["now"] = True
        signal.signal(signal.SIGTERM, ask_stop)
        signal.signal(signal.SIGINT, ask_stop)
        until = None if duration is None else server.executive.start_ns + seconds_to_ns(duration)
        try:
            server.run(until_ns=until, stop_when=lambda: stop["now"])
        finally:
            transport.close()
            if log_fh:
                log_fh.close()
        st = server.executive.stats()["_total"]
        click.echo(f"stopped: {ingest.tlm['received']} received, {ingest.tlm['accepted']} "
                   f"accepted; slips {st['slips']}")

    @gds.command("send")
    @click.argument("target")
    @click.argument("args", nargs=-1)
    @click.option("--keys", "keys_file", type=click.Path(path_type=Path), required=True)
    @click.option("--key-id", type=click.IntRange(0, 0xFFFF), required=True)
    @click.option("--host", default="127.0.0.1", show_default=True)
    @click.option("--port", type=click.IntRange(1, 65535), default=None)
    @click.option("--serial", "serial_url", default=None)
    @click.option("--vehicle", default="demo", show_default=True)
    @click.option("--dict", "dict_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--seq", type=click.IntRange(1, (1 << 64) - 1), default=None,
                  help="anti-replay sequence number (default: wall-clock ns, always increasing)")
    @click.option("--timeout", type=float, default=2.0, show_default=True)
    @click.option("--no-validate", is_flag=True, help="skip ground-side range checks")
    @click.option("--save", type=click.Path(path_type=Path), default=None,
                  help="also write the signed packet to this file")
    def send(target: str, args: tuple[str, ...], keys_file: Path, key_id: int, host: str,
             port: int | None, serial_url: str | None, vehicle: str, dict_file: Path | None,
             seq: int | None, timeout: float, no_validate: bool, save: Path | None) -> None:
        """Send signed TARGET ("component.COMMAND") with name=value ARGS; print the ack."""
        from fsw.link.errors import EncodeError
        from fsw.link.ground import GroundClient, SerialClient, UdpClient
        if (port is None) == (serial_url is None):
            raise click.UsageError("give exactly one of --port and --serial")
        keys = keys_or_fail(keys_file)
        try:
            spec = load_dictionary(dict_file, (vehicle,)).vehicle(vehicle)
        except DictionaryError as exc:
            raise click.ClickException(str(exc)) from None
        try:
            transport = SerialClient(serial_url) if serial_url else UdpClient(host, port)
        except LinkError as exc:
            raise click.ClickException(str(exc)) from None
        client = GroundClient(spec, keys, transport)
        auth_seq = seq if seq is not None else time.time_ns()
        try:
            pkt = client.encoder.encode(target, parse_args(args), key_id=key_id,
                                        auth_seq=auth_seq, validate=not no_validate)
        except EncodeError as exc:
            raise click.ClickException(str(exc)) from None
        if save:
            save.write_bytes(pkt)
        click.echo(f"sent {target} key {key_id} seq {auth_seq} ({len(pkt)} bytes)")
        try:
            ex = client.exchange(pkt, key_id=key_id, auth_seq=auth_seq, timeout_s=timeout)
        except LinkError as exc:
            raise click.ClickException(str(exc)) from None
        finally:
            transport.close()
        for p in ex.other:
            if isinstance(p, EventPacket):
                click.echo(f"  event {p.component}.{p.name}: {p.text}")
        if ex.ack is None:
            click.echo(f"no acknowledgement within {timeout} s", err=True)
            sys.exit(2)
        a = ex.ack
        click.echo(f"ack: {a.status.name}" + (f" ({a.reason})" if a.reason else ""))
        sys.exit(0 if a.status is AckStatus.OK else 1)
