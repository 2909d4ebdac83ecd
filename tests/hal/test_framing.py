"""Properties of the frame codec and the stream decoder."""
import pytest
from hypothesis import given, settings, strategies as st

from hal.errors import FrameError
from hal.serial.framing import (
    MAX_ENCODED, MAX_PAYLOAD, Frame, FrameDecoder, decode_frame, encode_frame, seq_delta,
)

frames = st.builds(
    Frame,
    device=st.integers(0, 255),
    msg=st.integers(0, 255),
    seq=st.integers(0, 0xFFFF),
    payload=st.binary(max_size=300),
)


def chunked(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    edges = [0, *points, len(data)]
    return [data[a:b] for a, b in zip(edges, edges[1:])]


@given(frames)
def test_round_trip(frame):
    wire = encode_frame(frame)
    assert wire[0] == 0 and wire[-1] == 0 and 0 not in wire[1:-1]
    assert decode_frame(wire[1:-1]) == frame


@given(st.lists(frames, max_size=8), st.lists(st.integers(0, 10_000), max_size=10))
def test_any_chunking_yields_the_same_frames(fs, cuts):
    wire = b"".join(encode_frame(f) for f in fs)
    dec = FrameDecoder()
    out = [f for chunk in chunked(wire, cuts) for f in dec.feed(chunk)]
    assert out == fs
    assert dec.rejected == 0


@given(st.lists(st.tuples(st.binary(max_size=60), frames), max_size=8), st.binary(max_size=60),
       st.lists(st.integers(0, 10_000), max_size=10))
def test_frames_embedded_in_garbage_are_all_recovered_in_order(pairs, tail, cuts):
    wire = b"".join(garbage + encode_frame(f) for garbage, f in pairs) + tail
    dec = FrameDecoder()
    out = [f for chunk in chunked(wire, cuts) for f in dec.feed(chunk)]
    # garbage can contain a valid frame only by a 2^-32 CRC accident; the sent frames are a
    # subsequence of what came out, in order, and nothing else appeared
    assert out == [f for _, f in pairs]


@given(frames, st.data())
def test_every_frame_with_one_corrupted_byte_is_rejected(frame, data):
    wire = bytearray(encode_frame(frame))
    i = data.draw(st.integers(0, len(wire) - 1), label="position")
    new = data.draw(st.integers(0, 255).filter(lambda b: b != wire[i]), label="value")
    wire[i] = new
    dec = FrameDecoder()
    # a clean frame after it proves the decoder resynchronised
    good = Frame(1, 2, 3, b"after")
    out = dec.feed(bytes(wire)) + dec.feed(b"\x00" + encode_frame(good))
    assert out == [good]


@given(frames, st.data())
def test_burst_corruption_is_rejected(frame, data):
    wire = bytearray(encode_frame(frame))
    start = data.draw(st.integers(1, len(wire) - 2))
    n = data.draw(st.integers(1, min(8, len(wire) - 1 - start)))
    burst = data.draw(st.binary(min_size=n, max_size=n))
    if bytes(wire[start:start + n]) == burst:
        return
    wire[start:start + n] = burst
    assert FrameDecoder().feed(bytes(wire) + b"\x00") == []


@given(st.binary(max_size=2000))
def test_decode_frame_of_any_bytes_raises_only_frame_error(data):
    try:
        decode_frame(data)
    except FrameError:
        pass


@given(st.lists(st.binary(max_size=500), max_size=10))
def test_decoder_never_raises_on_arbitrary_bytes(chunks):
    dec = FrameDecoder()
    for c in chunks:
        for f in dec.feed(c):
            assert isinstance(f, Frame)
    assert dec.bytes_in == sum(map(len, chunks))


@settings(max_examples=20)
@given(frames)
def test_overlong_run_without_delimiter_is_dropped_and_decoder_recovers(frame):
    dec = FrameDecoder()
    assert dec.feed(b"\x01" * (MAX_ENCODED + 10)) == []
    assert dec.feed(b"\x01" * 100) == []
    assert dec.overflows == 1
    assert dec.feed(encode_frame(frame)) == [frame]


def test_oversize_payload_is_refused():
    with pytest.raises(ValueError):
        encode_frame(Frame(0, 1, 0, bytes(MAX_PAYLOAD + 1)))


def test_length_field_must_match():
    from cobs import cobs
    from hal.serial.framing import CRC, HEADER, crc32c
    body = HEADER.pack(1, 2, 3, 5) + b"abcd"  # claims 5, carries 4
    with pytest.raises(FrameError, match="length"):
        decode_frame(cobs.encode(body + CRC.pack(crc32c(body))))


@given(st.integers(0, 0xFFFF), st.integers(-32768, 32767))
def test_seq_delta_inverts_modular_addition(old, d):
    assert seq_delta((old + d) % 65536, old) == d
