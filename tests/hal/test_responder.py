"""The device side never breaks on hostile input, and the flight side's message decoders
raise only declared errors."""
from hypothesis import given, strategies as st

from hal.catalog import KINDS
from hal.errors import DeviceProtocolError
from hal.serial.framing import BROADCAST, Frame, FrameDecoder, MsgType
from hal.serial.messages import ErrorCode, decode_command, decode_error, decode_identity, decode_reading
from hal.serial.responder import Responder
from hal.table_plant import TablePlant

from .kit import ALL_DEVICES, plant_channels

KIND_IDS = [k.kind_id for k in KINDS.values()]


class Capture:
    """A transport that records what the responder writes."""

    name = "capture"

    def __init__(self):
        self.data = b""

    def read_available(self, deadline):
        return b""

    def write(self, data):
        self.data += data

    def close(self):
        pass


requests = st.builds(
    Frame,
    device=st.sampled_from([*KIND_IDS, 0, 99, BROADCAST]),
    msg=st.sampled_from([*map(int, MsgType), 0, 12, 200]),
    seq=st.integers(0, 0xFFFF),
    payload=st.one_of(st.binary(max_size=80), st.sampled_from([b"", b"\x01", b"\x00" * 8])),
)


@given(st.lists(requests, max_size=20))
def test_any_request_sequence_gets_well_formed_answers(frames):
    plant = TablePlant(ALL_DEVICES)
    out = Capture()
    responder = Responder(out, plant_channels(plant), on_advance=plant.advance_to)
    for f in frames:
        responder.handle(f)
    replies = FrameDecoder().feed(out.data)
    assert len(replies) <= len(frames)
    for r in replies:
        assert r.msg in (MsgType.READING, MsgType.ACK, MsgType.IDENTITY, MsgType.ADVANCED, MsgType.ERROR)
        if r.msg == MsgType.ERROR:
            code, _ = decode_error(r.payload)
            assert code in (ErrorCode.UNKNOWN_DEVICE, ErrorCode.UNKNOWN_MESSAGE, ErrorCode.BAD_PAYLOAD,
                            ErrorCode.DEVICE_FAULT, ErrorCode.NOT_SUPPORTED)
        elif r.msg == MsgType.READING:
            kind = next(k for k in KINDS.values() if k.kind_id == r.device)
            decode_reading(kind, r.payload)  # well formed


@given(st.sampled_from(list(KINDS.values())), st.binary(max_size=100))
def test_message_decoders_raise_only_protocol_errors(kind, payload):
    for fn in (lambda: decode_reading(kind, payload), lambda: decode_command(kind, payload),
               lambda: decode_identity(payload)):
        try:
            fn()
        except DeviceProtocolError:
            pass
    decode_error(payload)


def test_bad_command_payload_is_refused_and_not_executed():
    plant = TablePlant(ALL_DEVICES)
    out = Capture()
    responder = Responder(out, plant_channels(plant))
    gimbal = KINDS["gimbal"].kind_id
    responder.handle(Frame(gimbal, MsgType.COMMAND, 1, b"\x00" * 15))           # one byte short
    nan = b"\x00\x00\x00\x00\x00\x00\xf8\x7f" + b"\x00" * 8                      # NaN pitch
    responder.handle(Frame(gimbal, MsgType.COMMAND, 2, nan))
    replies = FrameDecoder().feed(out.data)
    assert [r.msg for r in replies] == [MsgType.ERROR, MsgType.ERROR]
    assert all(decode_error(r.payload)[0] == ErrorCode.BAD_PAYLOAD for r in replies)
    assert plant.commands["gimbal"] == []


def test_old_request_is_dropped_as_out_of_order_and_hello_resets():
    plant = TablePlant(ALL_DEVICES)
    out = Capture()
    responder = Responder(out, plant_channels(plant))
    pyro = KINDS["pyro"].kind_id
    responder.handle(Frame(pyro, MsgType.COMMAND, 10, b"\x01"))
    responder.handle(Frame(pyro, MsgType.COMMAND, 9, b"\x01"))
    assert responder.stats.out_of_order == 1 and len(plant.commands["pyro"]) == 1
    responder.handle(Frame(BROADCAST, MsgType.HELLO, 1))
    responder.handle(Frame(pyro, MsgType.COMMAND, 2, b"\x00"))   # a restarted flight side
    assert len(plant.commands["pyro"]) == 2
