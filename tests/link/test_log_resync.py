"""A damaged telemetry log loses only the damaged records, says which bytes it skipped, and is
walked in time linear in its size whatever it holds (work counted, not timed; wall time is
in bench/log_scan.py)."""
from __future__ import annotations

import warnings

import pytest
from click.testing import CliRunner
from hypothesis import given, settings, strategies as st

from fsw.core import Channel, Component, EventDef, Severity, Topology
from fsw.link import ccsds
from fsw.link.log import LogWarning, ScanReport, TelemetryLogWriter, iter_records


class Probe(Component):
    CHANNELS = (Channel("x", float), Channel("n", int))
    EVENTS = (EventDef("PING", Severity.ACTIVITY_LO, "{k}", k=int),)


def make_log(n: int) -> tuple[bytes, TelemetryLogWriter]:
    topo = Topology("testbed", [Probe("probe")])
    tlm = TelemetryLogWriter.for_topology(topo)
    for k in range(n):
        topo["probe"].tlm.update(x=k * 0.25, n=k)
        topo.sample_telemetry(k * 1_000_000)
        if k % 3 == 0:
            topo["probe"].emit("PING", k=k)
    return tlm.getvalue(), tlm


def records(data: bytes, report: ScanReport | None = None) -> list[tuple[int, bytes]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LogWarning)
        return [(off, bytes(rec)) for off, rec in iter_records(data, report)]


BIG, _ = make_log(3000)              # ~100 kB, several hundred records in its last 64 KiB
SMALL, SMALL_WRITER = make_log(40)
GOOD_BIG = records(BIG)
GOOD_SMALL = records(SMALL)


def test_a_flipped_length_byte_near_the_end_costs_only_that_record():
    """The review's case: the length field of a record in the last 64 KiB points past the end
    of the log; every record after it used to be dropped (725 of them)."""
    victim = next(i for i, (off, _) in enumerate(GOOD_BIG) if off > len(BIG) - 60_000)
    off, rec = GOOD_BIG[victim]
    data = bytearray(BIG)
    data[off + 4] = 0xFF                        # length now past the end of the log
    report = ScanReport()
    with pytest.warns(LogWarning, match=rf"skipped {len(rec)} bad bytes at {off}\.\.{off + len(rec) - 1}"):
        got = [(o, bytes(r)) for o, r in iter_records(bytes(data), report)]
    assert len(GOOD_BIG) - victim > 700
    assert got == GOOD_BIG[:victim] + GOOD_BIG[victim + 1:]
    assert report.skipped == [(off, off + len(rec))] and report.torn_at is None


def overlaps(off: int, length: int, damaged: set[int]) -> bool:
    return any(off <= d < off + length for d in damaged)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(SMALL) - 1), st.integers(1, 255)), min_size=1, max_size=6),
       st.one_of(st.none(), st.tuples(st.integers(0, len(SMALL) - 1), st.binary(min_size=1, max_size=80))))
def test_any_corruption_loses_only_the_records_it_touches(flips, overwrite):
    data = bytearray(SMALL)
    damaged = set()
    for pos, mask in flips:
        data[pos] ^= mask
        damaged.add(pos)
    if overwrite is not None:
        at, blob = overwrite
        blob = blob[:len(data) - at]
        for i, b in enumerate(blob):
            if data[at + i] != b:
                data[at + i] = b
                damaged.add(at + i)
    damaged = {d for d in damaged if data[d] != SMALL[d]}
    report = ScanReport()
    got = records(bytes(data), report)
    untouched = [(o, r) for o, r in GOOD_SMALL if not overlaps(o, len(r), damaged)]
    assert set(untouched) <= set(got)
    # nothing invented: a record is an original one, or lies over the damaged bytes
    assert all((o, r) in GOOD_SMALL or overlaps(o, len(r), damaged) for o, r in got)
    # every byte is accounted for: in a record, in a skipped range, or in a torn tail
    covered = sorted([(o, o + len(r)) for o, r in got] + report.skipped
                     + ([(report.torn_at, len(data))] if report.torn_at is not None else []))
    assert [a for a, _ in covered] == [0] + [b for _, b in covered[:-1]]
    assert covered[-1][1] == len(data)


def crafted_headers(size: int) -> bytes:
    """Every second byte or so starts a plausible TM header claiming about size/2 bytes."""
    hi = max(1, min(0xFF, size // 2 // 257))
    unit = bytes([0x08, 0x08, 0xC0, 0xC0, hi, hi, hi, 0x08])
    return (unit * (size // len(unit) + 1))[:size]


def crafted_between_records(size: int) -> bytes:
    """A good record, then a header claiming 64 KiB, again and again: each bad header used to
    cost a 64 KiB CRC before the walk moved on by one record."""
    good = GOOD_SMALL[0][1]
    unit = good + bytes([0x08, 0x00, 0xC0, 0x00, 0xFF, 0xFF])
    return (unit * (size // len(unit) + 1))[:size]


def crc_work(data: bytes, monkeypatch) -> int:
    """Bytes the walk runs through the CRC (the cost that used to grow with input squared)."""
    counted = {"bytes": 0}
    real = ccsds.crc16

    def counting(buf, *crc):
        counted["bytes"] += len(buf)
        return real(buf, *crc)
    for module in ("fsw.link.ccsds", "fsw.link.log", "fsw.link.logscan"):
        monkeypatch.setattr(f"{module}.crc16", counting, raising=False)
    records(data)
    return counted["bytes"]


@pytest.mark.parametrize("craft", [crafted_headers, crafted_between_records])
def test_work_grows_linearly_with_crafted_input(craft, monkeypatch):
    sizes = (20_000, 40_000, 80_000, 160_000)
    work = [crc_work(craft(n), monkeypatch) for n in sizes]
    per_byte = [w / n for w, n in zip(work, sizes)]
    # linear: the cost per input byte does not grow with the input (it did, about n/16)
    assert per_byte[-1] <= 1.3 * per_byte[0] + 2, per_byte
    assert max(per_byte) < 400, per_byte


def test_a_clean_log_is_checked_once():
    report = ScanReport()
    got = records(BIG, report)
    assert report.records == len(got) and report.skipped == [] and report.torn_at is None
    assert report.work <= 1.05 * len(BIG) + len(got)


def test_gds_decode_prints_the_skipped_range_and_decodes_the_rest(tmp_path):
    from msr.cli import cli
    data = bytearray(SMALL)
    off, rec = GOOD_SMALL[5]
    data[off + 5] ^= 0x40
    log = tmp_path / "telemetry.bin"
    log.write_bytes(bytes(data))
    (tmp_path / "dictionary.json").write_text(SMALL_WRITER.dictionary().to_json())
    result = CliRunner().invoke(cli, ["gds", "decode", str(log), "--format", "json"])
    assert f"warning: skipped {len(rec)} bad bytes at {off}..{off + len(rec) - 1}" in result.output
    assert sum(line.startswith("{") for line in result.output.splitlines()) == len(GOOD_SMALL) - 1
