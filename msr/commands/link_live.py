"""The live-link commands: `msr gds serve`, `msr gds send` and `msr keys rotate`."""
from __future__ import annotations

import contextlib
import signal
import sys
from pathlib import Path
from typing import Any, Iterator

import click

from msr.finite import Seconds

from fsw.link.errors import DictionaryError, EncodeError, KeyFileError, LinkError
from fsw.link.keys import KeyRing, load_keyring, write_keyring
from fsw.link.seqcounter import SequenceCounter, SequenceError, default_path
from fsw.link.telemetry import AckStatus, EventPacket

from .link import build_components, load_dictionary, parse_args

NO_ACK_HINT = ("the flight side acknowledges only authenticated commands: check --keys and "
               "--key-id (its link.TC_BAD_MAC / TC_UNKNOWN_KEY events and counters say more)")


def keyring_or_fail(path: Path) -> KeyRing:
    try:
        return load_keyring(path)
    except KeyFileError as exc:
        raise click.ClickException(str(exc)) from None


def host_port(text: str | None) -> tuple[str, int] | None:
    if text is None:
        return None
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise click.BadParameter(f"{text!r}: expected HOST:PORT", param_hint="--ground")
    return host, int(port)


def vehicle_of(dict_file: Path | None, vehicle: str) -> Any:
    try:
        return load_dictionary(dict_file, (vehicle,)).vehicle(vehicle)
    except DictionaryError as exc:
        raise click.ClickException(str(exc)) from None


def ground_transport(host: str, port: int | None, serial_url: str | None) -> Any:
    from fsw.link.ground import SerialClient, UdpClient
    if (port is None) == (serial_url is None):
        raise click.UsageError("give exactly one of --port and --serial")
    try:
        return SerialClient(serial_url) if serial_url else UdpClient(host, port)
    except LinkError as exc:
        raise click.ClickException(str(exc)) from None


def reserve(counter: SequenceCounter, key_id: int, key: bytes, seq: int | None,
            force: bool) -> int:
    try:
        return counter.reserve(key_id, key, seq, force=force)
    except SequenceError as exc:
        raise click.ClickException(str(exc)) from None


@contextlib.contextmanager
def closed_on_error(client: Any) -> Iterator[None]:
    """Whatever goes wrong before the exchange is one line, and the socket is closed."""
    try:
        yield
    except EncodeError as exc:
        client.transport.close()
        raise click.ClickException(str(exc)) from None
    except click.ClickException:
        client.transport.close()
        raise


def exchange(client: Any, pkt: bytes, key_id: int, seq: int, timeout: float) -> Any:
    """Send, wait for the ack, print the events that came back; exit 2 without an ack."""
    try:
        ex = client.exchange(pkt, key_id=key_id, auth_seq=seq, timeout_s=timeout)
    except LinkError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        client.transport.close()
    for p in ex.other:
        if isinstance(p, EventPacket):
            click.echo(f"  event {p.component}.{p.name}: {p.text}")
    if ex.ack is not None:
        a = ex.ack
        click.echo(f"ack: {a.status.name}" + (f" ({a.reason})" if a.reason else ""))
    return ex


@contextlib.contextmanager
def realtime_loop(priority: int, asked: bool) -> Iterator[None]:
    """SCHED_FIFO for the loop, as the HIL board runs it, so the other jobs of the machine
    cannot take its ticks. Where the system refuses, the loop runs with normal scheduling
    and says so in one line."""
    if priority <= 0:
        yield
        return
    from hil.bench import RealtimeSettings
    from hil.rt import realtime
    with realtime(RealtimeSettings(priority=priority, mlockall=False, gc="on")) as report:
        if "sched_fifo" in report.refused:
            why = report.details.get("sched_fifo", report.steps["sched_fifo"])
            click.echo(f"{'warning' if asked else 'note'}: normal scheduling, SCHED_FIFO "
                       f"{priority} refused ({why}); a flood or a busy machine can make the "
                       f"loop slip", err=True)
        yield


def transport_options(fn: Any) -> Any:
    for opt in reversed((
            click.option("--host", default="127.0.0.1", show_default=True),
            click.option("--port", type=click.IntRange(1, 65535), default=None),
            click.option("--serial", "serial_url", default=None),
            click.option("--vehicle", default="testbed", show_default=True),
            click.option("--dict", "dict_file",
                         type=click.Path(exists=True, dir_okay=False, path_type=Path)),
            click.option("--seq-file", type=click.Path(dir_okay=False, path_type=Path),
                         default=None, help="the ground's sequence counters (default: "
                                            "KEYS.seq beside the key file)"),
            click.option("--timeout", type=Seconds(0, min_open=True), default=2.0,
                         show_default=True))):
        fn = opt(fn)
    return fn


def register_live(keys_group: click.Group, gds: click.Group) -> None:
    @gds.command("serve")
    @click.option("--vehicle", default="testbed", show_default=True)
    @click.option("--keys", "keys_file", type=click.Path(path_type=Path), required=True)
    @click.option("--host", default="127.0.0.1", show_default=True)
    @click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True,
                  help="UDP port (0: any free port, printed)")
    @click.option("--ground", default=None, metavar="HOST:PORT",
                  help="send the downlink only there (default: to the sender of the last "
                       "verified command)")
    @click.option("--serial", "serial_url", default=None, help="serve on a serial URL instead of UDP")
    @click.option("--rate", type=click.IntRange(1, 10_000), default=50, show_default=True,
                  help="base rate, Hz (a divisor of 1e9)")
    @click.option("--telemetry-divisor", type=click.IntRange(1), default=50, show_default=True)
    @click.option("--duration", type=Seconds(0), default=None,
                  help="stop after this many seconds")
    @click.option("--log", "log_file", type=click.Path(dir_okay=False, path_type=Path),
                  default=None, help="also write a telemetry log")
    @click.option("--priority", type=click.IntRange(0, 99), default=None,
                  help="SCHED_FIFO priority of the loop, as on a flight computer "
                       "[default: 50 where permitted; 0: normal scheduling]")
    def serve(vehicle: str, keys_file: Path, host: str, port: int, ground: str | None,
              serial_url: str | None, rate: int, telemetry_divisor: int,
              duration: float | None, log_file: Path | None, priority: int | None) -> None:
        """Run a flight-software instance in real time behind a live link."""
        from fsw.core.time import seconds_to_ns
        from fsw.link.dictionary import topology_spec
        from fsw.link.log import TelemetryLogWriter
        from fsw.link.server import LinkServer, link_topology
        from fsw.link.transport import SerialLink, UdpLink
        ring = keyring_or_fail(keys_file)
        ground_addr = host_port(ground)
        from sim import registry
        try:
            base = registry.apid_base(registry.vehicle(vehicle))
        except registry.RegistryError as exc:
            raise click.ClickException(str(exc)) from None
        topology, ingest = link_topology(vehicle, build_components(vehicle), ring.keys,
                                         master_keys=ring.master, apid_base=base)
        try:
            log_fh = open(log_file, "wb") if log_file else None
        except OSError as exc:
            raise click.ClickException(f"cannot write telemetry log {log_file}: "
                                       f"{exc.strerror or exc}") from None
        try:
            transport = (SerialLink(serial_url) if serial_url
                         else UdpLink(host, port, ground=ground_addr))
            log = TelemetryLogWriter(topology_spec(topology), log_fh) if log_fh else None
            server = LinkServer(topology, ingest, transport, rate_hz=rate,
                                telemetry_divisor=telemetry_divisor, log=log)
        except (LinkError, ValueError) as exc:
            if log_fh:
                log_fh.close()
            raise click.ClickException(str(exc)) from None
        where = serial_url or "udp {}:{}".format(*transport.address)
        click.echo(f"serving {vehicle} on {where} (keys {sorted(ring.keys)}"
                   + (f", master {sorted(ring.master)}" if ring.master else "") + ")")
        sys.stdout.flush()
        stop = {"now": False}

        def ask_stop(*_: Any) -> None:
            stop["now"] = True
        signal.signal(signal.SIGTERM, ask_stop)
        signal.signal(signal.SIGINT, ask_stop)
        close_error = None
        try:
            with realtime_loop(50 if priority is None else priority, priority is not None):
                ex = server.executive
                ex.restart_at(ex.clock.now_ns())   # the set-up above took time: start now
                until = None if duration is None else ex.start_ns + seconds_to_ns(duration)
                server.run(until_ns=until, stop_when=lambda: stop["now"])
        finally:
            transport.close()
            if log_fh:
                try:
                    log_fh.close()
                except OSError as exc:  # the last buffered records did not fit either
                    close_error = exc
        st = server.executive.stats()["_total"]
        t = ingest.tlm
        up = server.executive.stats()["uplink"]
        click.echo(f"stopped: {t['received']} received, {t['accepted']} accepted; "
                   f"slips {st['slips']}")
        click.echo(f"uplink: rejected format {t['rejected_format']} key {t['rejected_key']} "
                   f"MAC {t['rejected_auth']} stale {t['rejected_stale']} replay "
                   f"{t['rejected_replay']}, over budget {t['shed']}; step mean "
                   f"{up['exec_us_mean']:.0f} us, max {up['exec_us_max']:.0f} us")
        failures = (server.log.failures if server.log else 0) + (close_error is not None)
        if failures:
            first = server.log.first_error if server.log and server.log.first_error else close_error
            raise click.ClickException(f"telemetry log {log_file} is incomplete: {failures} "
                                       f"writes failed ({first}); commanding was not affected")

    @gds.command("send")
    @click.argument("target")
    @click.argument("args", nargs=-1)
    @click.option("--keys", "keys_file", type=click.Path(path_type=Path), required=True)
    @click.option("--key-id", type=click.IntRange(0, 0xFFFF), required=True)
    @click.option("--seq", type=click.IntRange(1, (1 << 64) - 1), default=None,
                  help="anti-replay sequence number (default: the key's persisted counter + 1)")
    @click.option("--force", is_flag=True,
                  help="send a --seq that was used already or jumps far ahead")
    @click.option("--no-validate", is_flag=True,
                  help="skip ground-side range checks (to test the flight side's)")
    @click.option("--save", type=click.Path(dir_okay=False, path_type=Path), default=None,
                  help="also write the signed packet to this file")
    @transport_options
    def send(target: str, args: tuple[str, ...], keys_file: Path, key_id: int,
             seq: int | None, force: bool, no_validate: bool, save: Path | None, host: str,
             port: int | None, serial_url: str | None, vehicle: str, dict_file: Path | None,
             seq_file: Path | None, timeout: float) -> None:
        """Send signed TARGET ("component.COMMAND") with name=value ARGS; print the ack.

        Exit status: 0 on an OK ack, 1 on any other ack, 2 without one."""
        from fsw.link.ground import GroundClient
        ring = keyring_or_fail(keys_file)
        if key_id in ring.master:
            raise click.ClickException(f"key id {key_id} is a master key: it signs only key "
                                       f"rotations (msr keys rotate)")
        if key_id not in ring.keys:
            raise click.ClickException(f"{keys_file} has no key id {key_id} "
                                       f"(has {sorted(ring.keys)})")
        spec = vehicle_of(dict_file, vehicle)
        values = parse_args(args)
        client = GroundClient(spec, ring.keys, ground_transport(host, port, serial_url))
        with closed_on_error(client):
            client.encoder.encode(target, values, key_id=key_id, auth_seq=1,
                                  validate=not no_validate)   # refuse a bad command first
            counter = SequenceCounter(seq_file or default_path(keys_file))
            auth_seq = reserve(counter, key_id, ring.keys[key_id], seq, force)
            pkt = client.encoder.encode(target, values, key_id=key_id, auth_seq=auth_seq,
                                        validate=not no_validate)
            if save:
                try:
                    save.write_bytes(pkt)
                except OSError as exc:
                    raise click.ClickException(f"cannot write {save}: "
                                               f"{exc.strerror or exc}") from None
        click.echo(f"sent {target} key {key_id} seq {auth_seq} ({len(pkt)} bytes)")
        ex = exchange(client, pkt, key_id, auth_seq, timeout)
        if ex.ack is None:
            click.echo(f"no acknowledgement within {timeout} s ({NO_ACK_HINT})", err=True)
            sys.exit(2)
        sys.exit(0 if ex.ack.status is AckStatus.OK else 1)

    @keys_group.command("rotate")
    @click.option("--keys", "keys_file", type=click.Path(path_type=Path), required=True)
    @click.option("--key-id", type=click.IntRange(0, 0xFFFF), required=True,
                  help="session key to replace")
    @click.option("--generation", type=click.IntRange(1, (1 << 31) - 1), default=None,
                  help="generation to rotate to (default: the file's + 1; give it again to "
                       "retry a rotation whose ack was lost)")
    @click.option("--master-id", type=click.IntRange(0, 0xFFFF), default=None,
                  help="master key that signs the rotation (default: the file's only one)")
    @transport_options
    def keys_rotate(keys_file: Path, key_id: int, generation: int | None,
                    master_id: int | None, host: str, port: int | None,
                    serial_url: str | None, vehicle: str, dict_file: Path | None,
                    seq_file: Path | None, timeout: float) -> None:
        """Replace a session key on the vehicle and in KEYS (e.g. one whose sequence numbers
        are burnt): link.ROTATE_KEY, signed with the master key, makes both sides derive the
        key's next generation from the master key; no key travels over the link."""
        from fsw.link.auth import derive_key
        from fsw.link.ground import GroundClient
        ring = keyring_or_fail(keys_file)
        if master_id is None:
            if len(ring.master) != 1:
                raise click.ClickException(
                    f"{keys_file} has {len(ring.master)} master keys: " + (
                        "give --master-id" if ring.master else
                        "rotation needs one (msr keys generate makes one; see docs/link.md)"))
            master_id = next(iter(ring.master))
        if master_id not in ring.master:
            raise click.ClickException(f"{keys_file} has no master key id {master_id}")
        if key_id in ring.master:
            raise click.ClickException(f"key id {key_id} is a master key: not rotated over "
                                       f"the link")
        gen = generation if generation is not None else ring.generations.get(key_id, 0) + 1
        spec = vehicle_of(dict_file, vehicle)
        client = GroundClient(spec, ring.master, ground_transport(host, port, serial_url))
        counter = SequenceCounter(seq_file or default_path(keys_file))
        with closed_on_error(client):
            client.encoder.lookup("link.ROTATE_KEY")
            seq = reserve(counter, master_id, ring.master[master_id], None, False)
            pkt = client.encoder.encode("link.ROTATE_KEY", {"key_id": key_id, "generation": gen},
                                        key_id=master_id, auth_seq=seq)
        click.echo(f"sent link.ROTATE_KEY key id {key_id} generation {gen} "
                   f"(master key {master_id} seq {seq})")
        ex = exchange(client, pkt, master_id, seq, timeout)
        if ex.ack is None:
            click.echo(f"no acknowledgement within {timeout} s: the vehicle may or may not have "
                       f"rotated; run again with --generation {gen} (a rotation already done is "
                       f"acknowledged OK)", err=True)
            sys.exit(2)
        if ex.ack.status is not AckStatus.OK:
            sys.exit(1)
        ring.keys[key_id] = derive_key(ring.master[master_id], key_id, gen)
        ring.generations[key_id] = gen
        try:
            write_keyring(keys_file, ring, overwrite=True)
        except KeyFileError as exc:
            raise click.ClickException(f"the vehicle rotated key id {key_id} to generation "
                                       f"{gen} but {exc}; rerun with --generation {gen} once "
                                       f"fixed") from None
        click.echo(f"key id {key_id} is now generation {gen} on both sides ({keys_file} "
                   f"rewritten; its sequence numbers start again at 1)")
