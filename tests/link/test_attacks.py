"""Attacks on the command path: every class of bad input is rejected cleanly, nothing
crashes, no valid command is lost or run twice (tests/link/attacks.py), and hypothesis
fuzzes the decoders and the ingest with random and mutated packets."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from fsw.link.ccsds import crc16
from fsw.link.errors import DecodeError
from fsw.link.telecommand import (TelecommandEncoder, decode_command, header_of, parse_header,
                                  quick_check)
from fsw.link.telemetry import AckStatus, TelemetryDecoder, TelemetryEncoder

from .attacks import run_all
from .kit import KEYS, linked_testbed


@pytest.mark.parametrize("row", run_all(scale=300), ids=lambda r: r.name)
def test_each_attack_class_is_rejected_cleanly_with_nothing_lost(row):
    assert row.tried > 0
    assert (row.rejected, row.crashed, row.lost) == (row.tried, 0, 0)


TOPOLOGY, INGEST, SPEC = linked_testbed()
ENC = TelecommandEncoder(SPEC, KEYS)
GOOD = [ENC.encode("counter.INCREMENT", {"by": 3}, key_id=1, auth_seq=1),
        ENC.encode("counter.LABEL", {"text": "héllo", "level": "HIGH", "loud": False},
                   key_id=2, auth_seq=2),
        ENC.encode("heater.SET_SETPOINT", {"celsius": -12.5}, key_id=1, auth_seq=3)]


def mutate(data, pkt: bytes, fix_crc: bool) -> bytes:
    b = bytearray(pkt)
    for _ in range(data.draw(st.integers(1, 4))):
        b[data.draw(st.integers(0, len(b) - 1))] = data.draw(st.integers(0, 255))
    if data.draw(st.booleans()):
        b = b[:data.draw(st.integers(0, len(b)))]
    if fix_crc and len(b) >= 2:
        b[-2:] = crc16(bytes(b[:-2])).to_bytes(2, "big")
    return bytes(b)


@settings(max_examples=300)
@given(st.data())
def test_the_telecommand_decoders_raise_only_decode_error(data):
    pkt = mutate(data, data.draw(st.sampled_from(GOOD)), data.draw(st.booleans())) \
        if data.draw(st.booleans()) else data.draw(st.binary(max_size=120))
    ok = quick_check(pkt)
    try:
        hdr = parse_header(pkt)
    except DecodeError:
        assert not ok                      # the cheap screen agrees with the full one
        return
    assert ok and header_of(pkt) == hdr
    try:
        decode_command(SPEC, hdr, pkt)
    except DecodeError:
        pass


@settings(max_examples=300)
@given(st.data())
def test_the_ingest_never_raises_and_never_runs_a_mutated_command(data):
    topology, ingest, _ = linked_testbed()
    original = data.draw(st.sampled_from(GOOD))
    pkt = mutate(data, original, fix_crc=data.draw(st.booleans()))
    before = topology["counter"].tlm["count"], topology["heater"].tlm["setpoint_c"]
    ack = ingest.process(pkt)
    if pkt == original:                    # a mutation that changed nothing
        return
    assert ack.status not in (AckStatus.OK, AckStatus.FAILED)
    assert (topology["counter"].tlm["count"], topology["heater"].tlm["setpoint_c"]) == before
    assert topology["counter"].tlm["label"] == ""


@settings(max_examples=200)
@given(st.lists(st.binary(max_size=80), max_size=30), st.integers(0, 30))
def test_a_batch_of_junk_with_valid_commands_inside_runs_each_valid_one_once(junk, where):
    topology, ingest, spec = linked_testbed()
    enc = TelecommandEncoder(spec, KEYS)
    valid = [enc.encode("counter.INCREMENT", {"by": 1}, key_id=1, auth_seq=s) for s in (5, 6)]
    batch = junk[:where] + [valid[0]] + junk[where:] + [valid[1], valid[0]]
    ingest.ingest([(p, None) for p in batch])
    assert topology["counter"].tlm["count"] == 2
    assert ingest.tlm["received"] == len(batch)


@settings(max_examples=300)
@given(st.data())
def test_the_telemetry_decoder_raises_only_decode_error(data):
    enc = TelemetryEncoder(SPEC)
    samples = [enc.channels(1, "counter", {"count": 3, "label": "x", "level": "LOW"}),
               enc.ack(2, "link", 1, 9, AckStatus.REPLAY, "again"),
               enc.codec("counter").event(3, 0, 2, (("count", 1), ("by", None)))]
    pkt = mutate(data, data.draw(st.sampled_from(samples)), data.draw(st.booleans()))
    try:
        TelemetryDecoder(SPEC).decode(pkt)
    except DecodeError:
        pass


def test_a_bool_argument_byte_other_than_0_or_1_is_a_bad_argument():
    topology, ingest, spec = linked_testbed()
    from .attacks import _resign
    pkt = bytearray(TelecommandEncoder(spec, KEYS).encode(
        "counter.LABEL", {"text": "x", "level": "LOW", "loud": True}, key_id=1, auth_seq=9))
    assert pkt[-19] == 1
    pkt[-19] = 2
    ack = ingest.process(_resign(pkt, KEYS[1]))
    assert ack.status is AckStatus.BAD_FORMAT and "loud: bool byte 2 is not 0 or 1" in ack.reason
    assert topology["counter"].tlm["label"] == ""
    tm = bytearray(TelemetryEncoder(spec).channels(1, "heater", {
        "temp_c": 1.0, "setpoint_c": 2.0, "heater_on": True, "mode": "IDLE"}))
    tm[-2 - 2 - 4 - 1] = 7                 # heater_on, before the "IDLE" string and the CRC
    tm[-2:] = crc16(bytes(tm[:-2])).to_bytes(2, "big")
    with pytest.raises(DecodeError, match="heater_on: bool byte 7"):
        TelemetryDecoder(spec).decode(bytes(tm))
