"""Walking a telemetry log: every good record, past any damage, in time linear in its size.

A log is CCSDS TM records back to back. A record counts only if its CRC checks, so a length
field is never trusted on its own: when the record at an offset does not check (a flipped
bit, a torn write, garbage), the walk looks for the next offset where a whole record with a
good CRC starts and reports the bytes it skipped. A bad length, even one that points past
the end of the log, costs only the damaged record.

Checking a candidate by running the CRC over its claimed length (up to 64 KiB) at every
offset would cost 64 KiB a byte on crafted input. CRC-16 is linear over GF(2), so the CRC of
any span follows from running CRC states Q (kept every `BLOCK` bytes, built once):

    crc(data[a:b]) = Q[b] ^ (Q[a] ^ INIT) * x^(8 (b - a))  mod G

and each candidate costs O(BLOCK) whatever length it claims. While the log checks, records
are verified directly (one C call each); direct checks that fail are paid from a budget of
the bytes already accepted, so the total stays linear on any input.
"""
from __future__ import annotations

import re
from array import array
from dataclasses import dataclass, field
from typing import Iterator

from . import ccsds
from .ccsds import CRC_SIZE, MAX_PACKET, PRIMARY_SIZE

INIT = 0xFFFF                      # CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF, no reflection
POLY = 0x11021
BLOCK = 64
MIN_RECORD = PRIMARY_SIZE + 1 + CRC_SIZE
# A TM record starts with version 0, type TM, secondary header flag set (0x08..0x0F), and its
# third byte holds the "unsegmented" sequence flags (0b11......).
CANDIDATE = re.compile(rb"[\x08-\x0f].[\xc0-\xff]", re.S)


@dataclass
class ScanReport:
    """What a walk found besides the records: the caller's account of damage and cost."""

    skipped: list[tuple[int, int]] = field(default_factory=list)  # [start, end): no good record
    torn_at: int | None = None     # the log ends inside the record that starts here
    records: int = 0
    work: int = 0                  # bytes run through the CRC + offsets examined


def _mulmod(a: int, b: int) -> int:
    """a * b mod G for 16-bit polynomials over GF(2)."""
    r = 0
    while b:
        if b & 1:
            r ^= a
        b >>= 1
        a <<= 1
        if a & 0x10000:
            a ^= POLY
    return r


_ZEROS = bytes(BLOCK)
_X_BLOCKS: list[int] = []          # x^(8 BLOCK i) mod G, i = 0 .. MAX_PACKET // BLOCK + 1


def _x_blocks() -> list[int]:
    if not _X_BLOCKS:
        step = ccsds.crc16(_ZEROS, 1)          # 1 * x^(8 BLOCK) mod G
        x = 1
        for _ in range(MAX_PACKET // BLOCK + 2):
            _X_BLOCKS.append(x)
            x = _mulmod(x, step)
    return _X_BLOCKS


class _CrcSpans:
    """CRC of any span of `data` in O(BLOCK), from running states every BLOCK bytes."""

    def __init__(self, data: memoryview, report: ScanReport) -> None:
        self.data = data
        self.report = report
        self.base = -1
        self.states = array("H")

    def _state(self, pos: int) -> int:
        crc16, data, states = ccsds.crc16, self.data, self.states
        while self.base + len(states) * BLOCK <= pos:
            start = self.base + (len(states) - 1) * BLOCK
            states.append(crc16(data[start:start + BLOCK], states[-1]))
            self.report.work += BLOCK
        i = (pos - self.base) // BLOCK
        start = self.base + i * BLOCK
        self.report.work += pos - start
        return crc16(data[start:pos], states[i])

    def crc(self, a: int, b: int) -> int:
        """CRC of data[a:b]; `a` never decreases from one call to the next."""
        if a < self.base or a >= self.base + len(self.states) * BLOCK:
            self.base, self.states = a, array("H", [0])   # past what is built: start afresh
        k = b - a
        shifted = _mulmod(self._state(a) ^ INIT, _x_blocks()[k // BLOCK])
        self.report.work += k % BLOCK
        return self._state(b) ^ ccsds.crc16(_ZEROS[:k % BLOCK], shifted)


def _claimed(data: memoryview, off: int) -> int:
    return PRIMARY_SIZE + 1 + ((data[off + 4] << 8) | data[off + 5])


def _stored_crc(data: memoryview, end: int) -> int:
    return (data[end - 2] << 8) | data[end - 1]


def scan(data: bytes | bytearray | memoryview, report: ScanReport | None = None
         ) -> Iterator[tuple[int, memoryview]]:
    """(offset, record bytes) of every record with a good CRC, in order; damage goes to
    `report.skipped` (byte ranges) and a cut-short last record to `report.torn_at`."""
    report = report if report is not None else ScanReport()
    view = memoryview(data).cast("B") if not isinstance(data, memoryview) else data.cast("B")
    buf = data if isinstance(data, (bytes, bytearray)) else view      # fastest to index
    n = len(view)
    spans = _CrcSpans(view, report)
    crc16 = ccsds.crc16
    budget = 2 * MAX_PACKET        # direct-check bytes we may still waste on bad records
    off = work = 0
    while off < n:
        work += 1
        length = PRIMARY_SIZE + 1 + ((buf[off + 4] << 8) | buf[off + 5]) if n - off >= PRIMARY_SIZE \
            else MAX_PACKET + 1
        end = off + length
        if end <= n and length >= MIN_RECORD and buf[off] >> 3 == 0b00001 and buf[off + 2] >> 6 == 0b11:
            stored = (buf[end - 2] << 8) | buf[end - 1]
            if length <= budget:
                work += length
                good = crc16(view[off:end - CRC_SIZE]) == stored
                budget += length if good else -length
            else:
                good = spans.crc(off, end - CRC_SIZE) == stored
            if good:
                report.records += 1
                report.work += work
                work = 0
                yield off, view[off:end]
                off = end
                continue
        report.work += work
        work = 0
        found = _next_record(view, off + 1, spans, report)
        if found is None:
            if end > n:
                report.torn_at = off
            else:
                report.skipped.append((off, n))
            return
        start, length = found
        report.skipped.append((off, start))
        report.records += 1
        yield start, view[start:start + length]
        off = start + length
    report.work += work


def _next_record(view: memoryview, start: int, spans: _CrcSpans, report: ScanReport
                 ) -> tuple[int, int] | None:
    """(offset, length) of the first record with a good CRC at or after `start`."""
    n = len(view)
    search = CANDIDATE.search
    while True:
        m = search(view, start)
        if m is None:
            return None
        o = m.start()
        report.work += 1
        start = o + 1
        if n - o < PRIMARY_SIZE:
            return None
        length = _claimed(view, o)
        if length < MIN_RECORD or o + length > n:
            continue
        if spans.crc(o, o + length - CRC_SIZE) == _stored_crc(view, o + length):
            return o, length


__all__ = ["ScanReport", "scan"]
