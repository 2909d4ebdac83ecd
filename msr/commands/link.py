"""Ground-link commands: `msr keys generate`, `msr dict export`, `msr gds decode|serve|send`."""
from __future__ import annotations

import csv
import json
import secrets
import sys
from pathlib import Path
from typing import Any, Iterable

import click

from fsw.link.dictionary import Dictionary, VehicleSpec
from fsw.link.linked import linked_vehicle_spec
from fsw.link.errors import DictionaryError, KeyFileError
from fsw.link.keys import load_keys, write_key_file
from fsw.link.log import read_log
from fsw.link.telemetry import AckPacket, ChannelPacket, EventPacket, Packet

# ---------------------------------------------------------------- dictionary gathering
def vehicle_classes(name: str) -> dict:
    """{component name: class} of a registered vehicle (`sim.registry`)."""
    from sim import registry
    return registry.vehicle(name).component_classes()


def registered_spec(name: str) -> VehicleSpec:
    """The dictionary of a registered vehicle, at the APID base the registry gives it."""
    from sim import registry
    v = registry.vehicle(name)
    return linked_vehicle_spec(v.name, v.component_classes(), apid_base=registry.apid_base(v))


def gather(names: Iterable[str] | None = None, *, quiet: bool = False) -> Dictionary:
    """Dictionary of the named vehicles, or of every registered vehicle that imports."""
    from sim import registry
    explicit = names is not None and len(tuple(names)) > 0
    wanted = tuple(names) if explicit else tuple(registry.vehicle_names())
    specs: list[VehicleSpec] = []
    for name in wanted:
        try:
            specs.append(registered_spec(name))
        except (ImportError, AttributeError, DictionaryError, registry.RegistryError) as exc:
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
    except (ImportError, AttributeError, ValueError) as exc:
        raise click.ClickException(f"vehicle {vehicle}: {exc}") from None
    try:
        return [cls(name) for name, cls in classes.items()]
    except TypeError:
        from sim import registry
        flown = [n for n in registry.scenario_names() if registry.scenario(n).vehicle.name == vehicle]
        raise click.ClickException(f"vehicle {vehicle}: its components need their devices; serve it while "
                                   f"it flies: msr sil {flown[0] if flown else 'SCENARIO'} --live --keys KEYS") from None


def register(cli: click.Group) -> None:
    @cli.group("keys")
    def keys_group() -> None:
        """Command-authentication keys."""

    @keys_group.command("generate")
    @click.option("--out", "out", type=click.Path(path_type=Path), required=True)
    @click.option("--key-id", "key_ids", type=click.IntRange(0, 0xFFFF), multiple=True,
                  help="session key id to create (repeatable; default 1)")
    @click.option("--master-id", type=click.IntRange(0, 0xFFFF), default=0, show_default=True,
                  help="id of the master key that signs key rotations")
    @click.option("--no-master", is_flag=True, help="no master key (keys cannot be rotated)")
    @click.option("--force", is_flag=True,
                  help="replace an existing file (never through a symbolic link)")
    def keys_generate(out: Path, key_ids: tuple[int, ...], master_id: int, no_master: bool,
                      force: bool) -> None:
        """Write a new key file (mode 0600) with 32-byte random keys."""
        ids = key_ids or (1,)
        if not no_master and master_id in ids:
            raise click.BadParameter(f"{master_id} is also the master key id; choose another "
                                     f"--master-id", param_hint="--key-id")
        master = {} if no_master else {master_id: secrets.token_bytes(32)}
        try:
            write_key_file(out, {k: secrets.token_bytes(32) for k in ids}, master=master,
                           overwrite=force)
        except KeyFileError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"wrote {out} (key ids {', '.join(map(str, ids))}"
                   + ("" if no_master else f"; master key id {master_id}") + ")")

    @cli.group("dict")
    def dict_group() -> None:
        """The command/telemetry/event dictionary."""

    @dict_group.command("export")
    @click.option("--format", "fmt", type=click.Choice(["json", "xtce"]), default="json",
                  show_default=True)
    @click.option("--out", "out", type=click.Path(path_type=Path), required=True)
    @click.option("--vehicle", "vehicles", multiple=True,
                  help="vehicle to include (repeatable; default: every registered vehicle)")
    @click.option("--from", "source", type=click.Path(exists=True, path_type=Path), default=None,
                  help="a run directory or its dictionary.json: the flight's own APIDs")
    def dict_export(fmt: str, out: Path, vehicles: tuple[str, ...], source: Path | None) -> None:
        """Export the dictionary as JSON or XTCE 1.2."""
        if source is not None and vehicles:
            raise click.UsageError("give --from or --vehicle, not both")
        d = gather(vehicles) if source is None else load_dictionary(
            source / "dictionary.json" if source.is_dir() else source, ())
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
        try:
            data = log.read_bytes()
        except OSError as exc:
            raise click.ClickException(f"{log}: cannot be read: {exc.strerror or exc}") from None
        total = raw = 0
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for p in read_log(data, d):
                total += 1
                raw += p.kind == "raw"
                if fmt == "table":
                    kind, content = describe(p)
                    comp = getattr(p, "component", "?")
                    out.write(f"{p.t_ns / 1e9:14.6f}  {p.apid:#05x} {p.seq:5d}  {comp:<12} "
                              f"{kind:<8} {content}\n")
                elif writer:
                    writer.writerows(rows_csv(p))
                else:
                    out.write(json.dumps(as_json(p), default=_json_safe) + "\n")
        for w in caught[:20]:
            click.echo(f"warning: {w.message}", err=True)
        if len(caught) > 20:
            click.echo(f"warning: ... {len(caught) - 20} more", err=True)
        if total == 0 and data:
            raise click.ClickException(f"{log}: no telemetry packet in {len(data)} bytes "
                                       f"(not a telemetry log?)")
        if raw * 2 > total:
            raise click.ClickException(f"{log}: {raw} of {total} packets could not be decoded "
                                       f"with this dictionary (wrong dictionary? give --dict "
                                       f"or --vehicle)")

    from .link_live import register_live
    register_live(keys_group, gds)
