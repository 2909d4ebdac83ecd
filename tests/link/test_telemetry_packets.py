"""Telemetry packets: round trips of every kind, and bad bytes give only DecodeError."""
from __future__ import annotations

import math
import struct

import pytest
from hypothesis import given, settings, strategies as st

from fsw.core.events import Event, Severity
from fsw.link.ccsds import crc16
from fsw.link.errors import CrcError, DecodeError, EncodeError, TruncatedError
from fsw.link.telemetry import (AckPacket, AckStatus, ChannelPacket, EventPacket,
                                TelemetryDecoder, TelemetryEncoder)

from .kit import channel_values, component_specs, spec_of_testbed, event_values, one_component_vehicle


@given(st.data())
def test_channel_packets_round_trip(data):
    spec = data.draw(component_specs())
    vehicle = one_component_vehicle(spec)
    values = data.draw(channel_values(spec))
    t_ns = data.draw(st.integers(0, (1 << 64) - 1))
    enc = TelemetryEncoder(vehicle)
    pkt = enc.channels(t_ns, spec.name, values)
    got = TelemetryDecoder(vehicle).decode(pkt)
    assert got == ChannelPacket(spec.apid, 0, t_ns, "testbed", spec.name, values)
    assert list(got.values) == [c.name for c in spec.channels]  # declaration order


@given(st.data())
def test_event_packets_round_trip(data):
    spec = data.draw(component_specs())
    vehicle = one_component_vehicle(spec)
    eid = data.draw(st.integers(0, len(spec.events) - 1))
    args = tuple(data.draw(st.lists(st.tuples(st.text(max_size=8), event_values), max_size=6)))
    sev = Severity[spec.events[eid].severity]
    t_ns = data.draw(st.integers(0, (1 << 64) - 1))
    ev = Event(t_ns, spec.name, eid, spec.events[eid].name, sev, args)
    got = TelemetryDecoder(vehicle).decode(TelemetryEncoder(vehicle).event(ev))
    assert isinstance(got, EventPacket)
    assert got.to_event() == ev


@given(key_id=st.integers(0, 0xFFFF), cmd_seq=st.integers(0, (1 << 64) - 1),
       status=st.sampled_from(list(AckStatus)), reason=st.text(max_size=50),
       t_ns=st.integers(0, (1 << 64) - 1))
def test_ack_packets_round_trip(key_id, cmd_seq, status, reason, t_ns):
    v = spec_of_testbed()
    got = TelemetryDecoder(v).decode(TelemetryEncoder(v).ack(t_ns, "link", key_id, cmd_seq,
                                                             status, reason))
    link = v.by_name["link"]
    assert got == AckPacket(link.apid, 0, t_ns, "testbed", "link", key_id, cmd_seq, status, reason)


def test_nan_and_infinities_survive_bit_exact():
    v = spec_of_testbed()
    enc, dec = TelemetryEncoder(v), TelemetryDecoder(v)
    for x in (math.nan, math.inf, -math.inf, -0.0):
        vals = {"temp_c": x, "setpoint_c": 1.0, "heater_on": True, "mode": "IDLE"}
        got = dec.decode(enc.channels(1, "heater", vals)).values["temp_c"]
        assert struct.pack(">d", got) == struct.pack(">d", x)


def test_sequence_count_is_per_apid_and_wraps_at_14_bits():
    v = spec_of_testbed()
    enc, dec = TelemetryEncoder(v), TelemetryDecoder(v)
    vals = {"count": 1, "label": "", "level": ""}
    seqs = [dec.decode(enc.channels(0, "counter", vals)).seq for _ in range(3)]
    assert seqs == [0, 1, 2]
    assert dec.decode(enc.ack(0, "link", 1, 1, AckStatus.OK)).seq == 0  # other APID
    enc.codec("counter").seq = 0x3FFF
    assert [dec.decode(enc.channels(0, "counter", vals)).seq for _ in range(2)] == [0x3FFF, 0]


def test_wrong_types_are_converted_or_refused_with_encode_error():
    v = spec_of_testbed()
    enc, dec = TelemetryEncoder(v), TelemetryDecoder(v)
    got = dec.decode(enc.channels(0, "counter", {"count": 3.0, "label": "a", "level": "b"}))
    assert got.values["count"] == 3 and isinstance(got.values["count"], int)
    for bad in ({"count": 2.5, "label": "", "level": ""}, {"count": 1, "label": 5, "level": ""},
                {"count": 1 << 70, "label": "", "level": ""}, {"count": 1, "label": ""}):
        with pytest.raises(EncodeError):
            enc.channels(0, "counter", bad)
    with pytest.raises(EncodeError):
        enc.channels(-1, "counter", {"count": 1, "label": "", "level": ""})


def _sample_packets():
    v = spec_of_testbed()
    enc = TelemetryEncoder(v)
    return v, [enc.channels(123, "heater", {"temp_c": 1.5, "setpoint_c": 2.0, "heater_on": True,
                                            "mode": "ACTIVE"}),
               enc.channels(5, "counter", {"count": 7, "label": "x", "level": "LOW"}),
               enc.event(Event(9, "counter", 7, "COUNTED", Severity.ACTIVITY_LO,
                               (("count", 3), ("by", 1)))),
               enc.ack(10, "link", 1, 99, AckStatus.REPLAY, "again")]


def test_every_truncation_is_a_truncated_error():
    v, pkts = _sample_packets()
    dec = TelemetryDecoder(v)
    for pkt in pkts:
        for n in range(len(pkt)):
            with pytest.raises(TruncatedError):
                dec.decode(pkt[:n])


@given(st.data())
def test_any_single_byte_mutation_is_caught(data):
    v, pkts = _sample_packets()
    pkt = bytearray(data.draw(st.sampled_from(pkts)))
    i = data.draw(st.integers(0, len(pkt) - 1))
    pkt[i] ^= data.draw(st.integers(1, 255))
    with pytest.raises(DecodeError):
        TelemetryDecoder(v).decode(bytes(pkt))


@given(st.data())
def test_mutated_packets_with_a_fixed_crc_decode_or_raise_decode_error(data):
    v, pkts = _sample_packets()
    pkt = bytearray(data.draw(st.sampled_from(pkts)))
    for _ in range(data.draw(st.integers(1, 4))):
        pkt[data.draw(st.integers(0, len(pkt) - 3))] = data.draw(st.integers(0, 255))
    pkt[-2:] = crc16(bytes(pkt[:-2])).to_bytes(2, "big")
    try:
        TelemetryDecoder(v).decode(bytes(pkt))
    except DecodeError:
        pass


@settings(max_examples=300)
@given(st.binary(max_size=80))
def test_random_bytes_raise_only_decode_error(blob):
    try:
        TelemetryDecoder(spec_of_testbed()).decode(blob)
    except DecodeError:
        pass


def test_crc_error_and_wrong_dictionary_are_reported():
    v, pkts = _sample_packets()
    bad = bytearray(pkts[0])
    bad[-1] ^= 1
    with pytest.raises(CrcError):
        TelemetryDecoder(v).decode(bytes(bad))
    from fsw.link.dictionary import ComponentSpec, VehicleSpec
    heater = v.by_name["heater"]
    other = VehicleSpec("testbed", 0x600, (ComponentSpec("heater", 0, heater.apid,
                                                      channels=heater.channels[:2]),))
    with pytest.raises(DecodeError, match="signature"):
        TelemetryDecoder(other).decode(pkts[0])
