"""CommandIngest: accepted commands run exactly once; every kind of bad command runs nothing."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from fsw.link.auth import ReplayWindow, Verdict
from fsw.link.ccsds import crc16
from fsw.link.telecommand import TelecommandEncoder
from fsw.link.telemetry import AckStatus

from .kit import KEYS, linked_testbed


MAC_END = 2 + 1  # a byte of the MAC counted from the end (CRC is the last 2)


def setup():
    topology, ingest, spec = linked_testbed()
    return topology, ingest, TelecommandEncoder(spec, KEYS)


def inc(enc, seq, by=1, key_id=1):
    return enc.encode("counter.INCREMENT", {"by": by}, key_id=key_id, auth_seq=seq)


def test_accepted_command_executes_exactly_once_and_replays_are_rejected():
    topology, ingest, enc = setup()
    pkt = inc(enc, 10, by=5)
    first = ingest.process(pkt)
    assert first.status is AckStatus.OK and first.cmd_seq == 10
    for _ in range(3):
        assert ingest.process(pkt).status is AckStatus.REPLAY
    assert topology["counter"].tlm["count"] == 5
    assert ingest.tlm["accepted"] == 1 and ingest.tlm["rejected_replay"] == 3
    assert [e.name for e in topology.events].count("TC_REPLAY") == 3
    assert [e.name for e in topology.events].count("COUNTED") == 1


def test_each_rejection_has_its_status_counter_and_event_and_runs_nothing():
    topology, ingest, enc = setup()
    assert ingest.process(inc(enc, 100)).status is AckStatus.OK
    tampered = bytearray(inc(enc, 101, by=2))
    tampered[-MAC_END] ^= 1  # inside the MAC
    tampered[-2:] = crc16(bytes(tampered[:-2])).to_bytes(2, "big")
    forged = TelecommandEncoder(ingest.vehicle, {1: b"\x01" * 32}).encode(
        "counter.INCREMENT", {"by": 2}, key_id=1, auth_seq=102)
    unknown = TelecommandEncoder(ingest.vehicle, {9: b"\x01" * 32}).encode(
        "counter.INCREMENT", {"by": 2}, key_id=9, auth_seq=103)
    cases = [(bytes(tampered), AckStatus.BAD_MAC, "rejected_auth", "TC_BAD_MAC"),
             (forged, AckStatus.BAD_MAC, "rejected_auth", "TC_BAD_MAC"),
             (unknown, AckStatus.UNKNOWN_KEY, "rejected_key", "TC_UNKNOWN_KEY"),
             (inc(enc, 104)[:-5], AckStatus.BAD_FORMAT, "rejected_format", "TC_BAD_FORMAT"),
             (b"\x00" * 3, AckStatus.BAD_FORMAT, "rejected_format", "TC_BAD_FORMAT"),
             (inc(enc, 100 - 64), AckStatus.STALE, "rejected_stale", "TC_STALE"),
             (inc(enc, 100), AckStatus.REPLAY, "rejected_replay", "TC_REPLAY")]
    for pkt, status, counter, event in cases:
        before = ingest.tlm[counter]
        n_events = len(topology.events)
        ack = ingest.process(pkt)
        assert ack.status is status, (status, ack)
        assert ingest.tlm[counter] == before + 1
        assert topology.events[n_events].name == event
        assert topology["counter"].tlm["count"] == 1
    assert ingest.tlm["accepted"] == 1


def test_a_signed_command_with_bad_content_consumes_its_sequence_number():
    topology, ingest, enc = setup()
    bad = enc.encode("counter.INCREMENT", {"by": 0}, key_id=1, auth_seq=7, validate=False)
    ack = ingest.process(bad)
    assert ack.status is AckStatus.REJECTED and "below minimum" in ack.reason
    assert ingest.process(bad).status is AckStatus.REPLAY
    assert topology["counter"].tlm["count"] == 0


def test_failed_and_out_of_mode_commands_are_acknowledged_as_such():
    topology, ingest, enc = setup()
    assert ingest.process(enc.encode("counter.FAIL", {}, key_id=1, auth_seq=1)).status \
        is AckStatus.FAILED
    assert ingest.process(enc.encode("heater.RECOVER", {}, key_id=1, auth_seq=2)).status \
        is AckStatus.REJECTED
    assert topology["heater"].mode == "IDLE"
    ack = ingest.process(enc.encode("heater.ACTIVATE", {}, key_id=1, auth_seq=4))
    assert ack.status is AckStatus.OK and topology["heater"].mode == "ACTIVE"
    assert ingest.tlm["failed"] == 1 and ingest.tlm["rejected_command"] == 1


def test_keys_have_independent_windows_and_windows_survive_a_checkpoint():
    topology, ingest, enc = setup()
    assert ingest.process(inc(enc, 50, key_id=1)).status is AckStatus.OK
    assert ingest.process(inc(enc, 50, key_id=2)).status is AckStatus.OK
    saved = ingest.checkpoint_state()["windows"]
    _, fresh, _ = linked_testbed()
    fresh.restore_windows(saved)
    fresh_enc = TelecommandEncoder(fresh.vehicle, KEYS)
    assert fresh.process(inc(fresh_enc, 50, key_id=1)).status is AckStatus.REPLAY
    assert fresh.process(inc(fresh_enc, 51, key_id=1)).status is AckStatus.OK


def test_a_handler_exception_is_a_failure_not_a_crash():
    topology, ingest, enc = setup()

    def boom(**_):
        raise RuntimeError("bug")
    topology["counter"]._cmd_increment = boom
    ack = ingest.process(inc(enc, 1))
    assert ack.status is AckStatus.FAILED and "bug" in ack.reason


@settings(max_examples=200)
@given(st.lists(st.binary(max_size=60), max_size=5))
def test_random_input_never_raises_and_never_executes(blobs):
    topology, ingest, _ = setup()
    for b in blobs:
        assert ingest.process(b).status is not AckStatus.OK
    assert topology["counter"].tlm["count"] == 0
    assert topology["heater"].mode == "IDLE"


@given(st.lists(st.integers(0, 300), max_size=60), st.integers(1, 70))
def test_replay_window_matches_a_set_oracle(seqs, size):
    w = ReplayWindow(size)
    seen: set[int] = set()
    for s in seqs:
        highest = max(seen, default=0)
        if s <= 0 or s <= highest - size:
            expect = Verdict.STALE
        elif s in seen:
            expect = Verdict.REPLAY
        else:
            expect = Verdict.NEW
        assert w.accept(s) is expect
        if expect is Verdict.NEW:
            seen.add(s)


@pytest.mark.parametrize("size", [0, -3])
def test_window_size_must_be_positive(size):
    with pytest.raises(ValueError):
        ReplayWindow(size)


# ---------------------------------------------------------------- cost of junk, bounded
class Inbox:
    """An uplink holding (packet, source) pairs; the ground is `peer`."""

    def __init__(self, items, peer="ground"):
        self.items = list(items)
        self.peer = peer
        self.polled = []
        self.verified_sources = []

    def poll(self, budget):
        out, self.items = self.items[:budget], self.items[budget:]
        self.polled.append(len(out))
        return out

    def verified(self, source):
        self.verified_sources.append(source)


def forgeries(spec, n, start=1000):
    forger = TelecommandEncoder(spec, {1: b"\x66" * 32})
    return [forger.encode("counter.INCREMENT", {"by": 1}, key_id=1, auth_seq=start + i)
            for i in range(n)]


def test_rejection_events_are_rate_limited_and_summed_up_once_per_second():
    from fsw.link.rejections import RejectionReport
    topology, ingest, enc = setup()
    ingest.report = RejectionReport(per_window=8)
    for pkt in forgeries(ingest.vehicle, 100) + [b"junk"] * 20:
        ingest.process(pkt)
    names = [e.name for e in topology.events]
    assert names.count("TC_BAD_MAC") == 8 and "TC_BAD_FORMAT" not in names
    assert ingest.tlm["rejected_auth"] == 100 and ingest.tlm["rejected_format"] == 20
    assert ingest.tlm["events_suppressed"] == 112
    ingest.time.now_ns = 1_000_000_000          # a second later, the next tick
    ingest.step(ingest.time.now_ns)
    summary = topology.events[-1]
    assert summary.name == "TC_REJECTIONS_SUPPRESSED"
    assert dict(summary.args) == {"count": 112, "format": 20, "key": 0, "auth": 92, "stale": 0,
                                  "replay": 0, "shed": 0}
    ingest.step(ingest.time.now_ns + 10)       # nothing new: no second summary
    assert topology.events[-1] is summary


def test_nothing_that_fails_before_its_mac_reaches_an_ack_sink():
    topology, ingest, enc = setup()
    acks = []
    ingest.ack_sinks.append(acks.append)
    unknown = TelecommandEncoder(ingest.vehicle, {9: b"\x01" * 32}).encode(
        "counter.INCREMENT", {"by": 2}, key_id=9, auth_seq=3)
    for pkt in [b"\x00", unknown, *forgeries(ingest.vehicle, 3)]:
        assert ingest.process(pkt).status in (AckStatus.BAD_FORMAT, AckStatus.UNKNOWN_KEY,
                                              AckStatus.BAD_MAC)
    assert acks == []
    good = inc(enc, 5)
    ingest.process(good, source="ground")
    ingest.process(good, source="elsewhere")
    assert [(a.status, a.reply_to) for a in acks] == [(AckStatus.OK, None),
                                                      (AckStatus.REPLAY, "elsewhere")]


def test_a_poll_is_bounded_and_the_grounds_command_is_verified_first():
    topology, ingest, enc = setup()
    ingest.drain_per_tick, ingest.verify_per_tick = 1000, 100
    junk = [(p, ("192.0.2.7", 1)) for p in forgeries(ingest.vehicle, 1500)]
    ingest.uplink = Inbox(junk[:900] + [(inc(enc, 1), "ground")] + junk[900:])
    ingest.step(0)
    assert sum(ingest.uplink.polled) == 1000            # the rest waits in the socket
    assert topology["counter"].tlm["count"] == 1         # the ground's, among 900 forgeries
    assert ingest.uplink.verified_sources == ["ground"]
    assert ingest.tlm["rejected_auth"] == 99 and ingest.tlm["shed"] == 900
    assert [e.name for e in topology.events].count("TC_OVER_BUDGET") == 1
    ingest.step(1)
    assert ingest.tlm["received"] == 1501 and len(ingest.uplink.items) == 0


def test_a_failing_ack_sink_does_not_silence_the_others_or_drop_the_poll():
    topology, ingest, enc = setup()
    got = []

    def broken(ack):
        raise OSError(28, "No space left on device")
    ingest.ack_sinks[:0] = [broken]
    ingest.ack_sinks.append(got.append)
    ingest.uplink = Inbox([(inc(enc, s), "ground") for s in (1, 2, 3)])
    ingest.step(0)
    assert topology["counter"].tlm["count"] == 3 and len(got) == 3
    assert ingest.tlm["sink_errors"] == 3


@given(st.lists(st.tuples(st.integers(0, 3_000_000_000), st.sampled_from(
    ["format", "key", "auth", "stale", "replay", "shed"])), max_size=80), st.integers(0, 5))
def test_rejection_report_accounts_for_every_rejection(events, per_window):
    from fsw.link.rejections import RejectionReport
    r = RejectionReport(per_window=per_window)
    reported = summed = 0
    for t, kind in sorted(events):
        left = r.roll(t)
        summed += sum(left.values()) if left else 0
        reported += r.allow(kind)
    left = r.roll(10**12)
    summed += sum(left.values()) if left else 0
    assert reported + summed == len(events)
    assert r.suppressed_total == summed
