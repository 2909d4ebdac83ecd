"""Telecommands: round trip, and forged, tampered, truncated, unknown-key bytes are refused."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from fsw.link.auth import MAC_SIZE
from fsw.link.ccsds import crc16
from fsw.link.errors import AuthError, DecodeError, EncodeError, TruncatedError
from fsw.link.telecommand import TelecommandEncoder, decode_telecommand

from .kit import KEYS, component_specs, spec_of_testbed, one_component_vehicle, value_of


@given(st.data())
def test_telecommands_round_trip(data):
    spec = data.draw(component_specs())
    if not spec.commands:
        return
    vehicle = one_component_vehicle(spec)
    cmd = data.draw(st.sampled_from(spec.commands))
    args = {a.name: data.draw(value_of(a.type, a.choices, a.lo, a.hi, finite=True)) for a in cmd.args}
    key_id = data.draw(st.sampled_from(sorted(KEYS)))
    auth_seq = data.draw(st.integers(1, (1 << 64) - 1))
    pkt = TelecommandEncoder(vehicle, KEYS).encode(f"{spec.name}.{cmd.name}", args,
                                                   key_id=key_id, auth_seq=auth_seq)
    tc = decode_telecommand(vehicle, KEYS, pkt)
    assert (tc.target, tc.args, tc.key_id, tc.auth_seq, tc.apid) == (
        f"{spec.name}.{cmd.name}", args, key_id, auth_seq, spec.apid)


def _packet(seq=5, key_id=1, target="counter.INCREMENT", args=None):
    return TelecommandEncoder(spec_of_testbed(), KEYS).encode(target, args or {"by": 3}, key_id=key_id,
                                                        auth_seq=seq)


def test_truncations_are_truncated_errors():
    pkt = _packet()
    for n in range(len(pkt)):
        with pytest.raises(TruncatedError):
            decode_telecommand(spec_of_testbed(), KEYS, pkt[:n])


@given(st.data())
def test_tampering_with_a_recomputed_crc_fails_the_mac(data):
    pkt = bytearray(_packet(args={"by": 7}))
    i = data.draw(st.integers(0, len(pkt) - 3))
    pkt[i] ^= data.draw(st.integers(1, 255))
    pkt[-2:] = crc16(bytes(pkt[:-2])).to_bytes(2, "big")
    with pytest.raises(DecodeError):  # AuthError, or header/length checks before it
        decode_telecommand(spec_of_testbed(), KEYS, bytes(pkt))


def test_forged_and_unknown_key_commands_are_auth_errors():
    pkt = _packet()
    forged = TelecommandEncoder(spec_of_testbed(), {1: b"\x55" * 32}).encode(
        "counter.INCREMENT", {"by": 3}, key_id=1, auth_seq=5)
    with pytest.raises(AuthError, match="MAC"):
        decode_telecommand(spec_of_testbed(), KEYS, forged)
    with pytest.raises(AuthError, match="unknown key"):
        decode_telecommand(spec_of_testbed(), {2: KEYS[2]}, pkt)
    assert len(pkt) == 6 + 2 + 8 + 2 + 8 + MAC_SIZE + 2  # headers, opcode, i64 arg, MAC, CRC


@settings(max_examples=300)
@given(st.binary(max_size=80))
def test_random_bytes_raise_only_decode_error(blob):
    try:
        decode_telecommand(spec_of_testbed(), KEYS, blob)
    except DecodeError:
        pass


def test_ground_refuses_bad_commands_before_sending():
    enc = TelecommandEncoder(spec_of_testbed(), KEYS)
    for target, args, kw in [("counter.INCREMENT", {"by": 0}, {}),         # below minimum
                             ("counter.INCREMENT", {}, {}),                # missing
                             ("counter.INCREMENT", {"by": 1, "x": 2}, {}),  # unexpected
                             ("counter.NOPE", {}, {}), ("nobody.NOOP", {}, {}),
                             ("counter.NOOP", {}, {"key_id": 9}),
                             ("counter.NOOP", {}, {"auth_seq": 0}),
                             ("counter.LABEL", {"text": "a", "level": "HUGE", "loud": 1}, {})]:
        with pytest.raises(EncodeError):
            enc.encode(target, args, **({"key_id": 1, "auth_seq": 1} | kw))
    # validate=False lets an out-of-range value through for flight-side tests
    enc.encode("counter.INCREMENT", {"by": 0}, key_id=1, auth_seq=1, validate=False)


@pytest.mark.parametrize("target, args, sent", [
    ("counter.INCREMENT", {"by": "5"}, {"by": 5}),
    ("counter.INCREMENT", {"by": "0"}, {"by": 0}),
    ("counter.INCREMENT", {"by": "-5"}, {"by": -5}),
    ("counter.INCREMENT", {"by": "0x10"}, {"by": 16}),
    ("heater.SET_SETPOINT", {"celsius": "1e3"}, {"celsius": 1000.0}),
    ("counter.LABEL", {"text": "5", "level": "LOW", "loud": "0"},
     {"text": "5", "level": "LOW", "loud": False}),
    ("counter.LABEL", {"text": "x", "level": "HIGH", "loud": "true"},
     {"text": "x", "level": "HIGH", "loud": True}),
])
def test_without_validation_text_arguments_are_parsed_by_wire_type_only(target, args, sent):
    enc = TelecommandEncoder(spec_of_testbed(), KEYS)
    pkt = enc.encode(target, args, key_id=1, auth_seq=9, validate=False)
    assert decode_telecommand(spec_of_testbed(), KEYS, pkt).args == sent


def test_without_validation_nan_reaches_the_vehicle_and_bad_text_is_an_encode_error():
    import math
    enc = TelecommandEncoder(spec_of_testbed(), KEYS)
    pkt = enc.encode("heater.SET_SETPOINT", {"celsius": "nan"}, key_id=1, auth_seq=9,
                     validate=False)
    assert math.isnan(decode_telecommand(spec_of_testbed(), KEYS, pkt).args["celsius"])
    for args, says in (({"by": "five"}, "is not an integer"), ({"by": str(1 << 70)}, "i64")):
        with pytest.raises(EncodeError, match=says):
            enc.encode("counter.INCREMENT", args, key_id=1, auth_seq=9, validate=False)
