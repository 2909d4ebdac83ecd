"""Telemetry log: writer is a topology sink, reader round-trips it, damage gives warnings."""
from __future__ import annotations

import hashlib
import warnings

import pytest
from hypothesis import given, settings, strategies as st

from fsw.core.clock import SimClock
from fsw.core.executive import Executive
from fsw.link.log import LogWarning, TelemetryLogWriter, iter_records, read_log
from fsw.link.telecommand import TelecommandEncoder
from fsw.link.telemetry import AckPacket, ChannelPacket, EventPacket, RawPacket

from .kit import KEYS, spec_of_testbed, linked_testbed


def run_testbed(ticks=200, out=None):
    """A 50 Hz SIL run of the testbed vehicle with a few commands, logged."""
    topology, ingest, spec = linked_testbed()
    log = TelemetryLogWriter.for_topology(topology, out)
    ingest.ack_sinks.append(lambda a: log.on_ack(a, ingest))
    enc = TelecommandEncoder(spec, KEYS)
    script = {10: enc.encode("heater.ACTIVATE", {}, key_id=1, auth_seq=1),
              20: enc.encode("heater.SET_SETPOINT", {"celsius": -20}, key_id=1, auth_seq=2),
              30: enc.encode("counter.INCREMENT", {"by": 4}, key_id=1, auth_seq=3),
              31: enc.encode("counter.INCREMENT", {"by": 4}, key_id=1, auth_seq=3)}
    ex = Executive(SimClock(), 50)
    tick = {"k": 0}

    def uplink(t_ns):
        pkt = script.get(tick["k"])
        if pkt is not None:
            ingest.process(pkt)
        tick["k"] += 1
    ex.add_group("uplink", 1, [uplink, ingest])
    ex.add_group("fsw", 1, [topology["heater"], topology["counter"]])
    ex.add_group("tlm", 10, [topology.sample_telemetry])
    ex.run(ticks=ticks)
    return topology, log


def test_log_round_trips_everything_the_topology_emitted():
    topology, log = run_testbed()
    packets = list(read_log(log.getvalue(), spec_of_testbed()))
    assert len(packets) == log.packets
    events = [p.to_event() for p in packets if isinstance(p, EventPacket)]
    assert events == topology.events
    acks = [(p.cmd_seq, p.status.name) for p in packets if isinstance(p, AckPacket)]
    assert acks == [(1, "OK"), (2, "OK"), (3, "OK"), (3, "REPLAY")]
    counts = [p.values["count"] for p in packets
              if isinstance(p, ChannelPacket) and p.component == "counter"]
    assert counts[0] == 0 and counts[-1] == 4 and len(counts) == 20
    times = [p.t_ns for p in packets]
    assert times == sorted(times)


def test_same_run_gives_a_byte_identical_log_and_files_match_memory(tmp_path):
    a = run_testbed()[1].sha256()
    b = run_testbed()[1].sha256()
    path = tmp_path / "tm.bin"
    with open(path, "wb") as f:
        run_testbed(out=f)[1].flush()
    assert a == b == hashlib.sha256(path.read_bytes()).hexdigest()
    assert len(list(read_log(path, spec_of_testbed()))) > 60


def test_truncated_last_record_stops_with_a_warning():
    data = run_testbed(ticks=40)[1].getvalue()
    whole = list(read_log(data, spec_of_testbed()))
    for cut in (1, 5, 17):
        with pytest.warns(LogWarning, match="ends inside a record"):
            got = list(read_log(data[:-cut], spec_of_testbed()))
        assert got == whole[:-1]


def test_corrupt_record_is_skipped_and_the_walk_resynchronises():
    data = bytearray(run_testbed(ticks=40)[1].getvalue())
    whole = list(read_log(bytes(data), spec_of_testbed()))
    offsets = [o for o, _ in iter_records(bytes(data))]
    data[offsets[2] + 10] ^= 0xFF
    with pytest.warns(LogWarning, match="skipped"):
        got = list(read_log(bytes(data), spec_of_testbed()))
    assert got == whole[:2] + whole[3:]


def test_wrong_dictionary_gives_raw_packets_not_exceptions():
    from fsw.link.dictionary import VehicleSpec
    data = run_testbed(ticks=20)[1].getvalue()
    got = list(read_log(data, VehicleSpec("other", 0x500, ())))
    assert got and all(isinstance(p, RawPacket) and "not in the dictionary" in p.error
                       for p in got)


@settings(max_examples=200)
@given(st.binary(max_size=200), st.integers(0, 3))
def test_random_bytes_and_spliced_logs_never_raise(blob, where):
    good = SAMPLE[:where * 40]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LogWarning)
        list(read_log(good + blob + SAMPLE, spec_of_testbed()))


SAMPLE = run_testbed(ticks=20)[1].getvalue()
