"""A flood of junk on the live link (loopback, bounded count and time) costs the ground
nothing: at least 95 % of the valid commands sent during it execute, exactly once, and the
attacker gets (almost) nothing back. Slips and throughput are measured in
bench/link_flood.py, where a loaded machine cannot fail the suite."""
from __future__ import annotations

import os
import socket

import pytest

from .flood import fifo_allowed, run_flood

PRIORITY = 50 if fifo_allowed() else 0   # the loop SCHED_FIFO, as on a flight computer


def rate_the_socket_buffer_absorbs(seconds: float = 0.2, most: int = 15_000) -> int:
    """Junk datagrams per second whose `seconds` fit in the server's receive buffer here
    (the kernel caps it at net.core.rmem_max; ~1 KiB of buffer per small datagram), so a
    loaded machine that delays the server by a tick or two does not drop commands."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    got = probe.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
    probe.close()
    return max(500, min(most, int(got / 1024 / seconds)))


def check(r, rate_bound_s: float) -> None:
    print(r.line())
    assert r.junk_sent > 0 and r.valid_sent >= 20
    assert r.valid_executed >= 0.95 * r.valid_sent, r.line()
    assert r.valid_executed <= r.valid_sent                   # nothing ran twice
    assert r.valid_acked >= 0.95 * r.valid_sent, r.line()
    # only rate-limited answers to authentic replays (at most 8 per second), no downlink
    assert r.got_back <= 8 * (rate_bound_s + 1), r.line()


def test_a_junk_flood_does_not_stop_the_grounds_commands():
    rate = rate_the_socket_buffer_absorbs()
    r = run_flood(2 * rate, rate=rate, valid_hz=25, priority=PRIORITY)   # about 2 s
    check(r, r.flood_s + 1.5)


@pytest.mark.slow
def test_the_review_flood_of_100000_datagrams():
    load, cores = os.getloadavg()[0], os.cpu_count() or 1
    if not PRIORITY and load > cores:
        pytest.skip(f"the machine is loaded (load average {load:.1f} on {cores} cores) and "
                    f"the loop cannot run SCHED_FIFO here: a 64,000/s flood would measure the "
                    f"other jobs, not the link")
    r = run_flood(100_000, rate=64_000, valid_hz=50, priority=PRIORITY)
    check(r, r.flood_s + 1.5)
    if PRIORITY:
        assert r.slips == 0, r.line()          # with the loop's priority, no slip


def test_the_tick_slice_ends_the_drain_when_its_share_of_the_tick_is_used():
    from fsw.core.component import TimeRef
    from fsw.link.server import TickSlice

    from .kit import linked_testbed
    from .test_ingest import Inbox

    class Clock:          # each read is 1 ms later: as if each chunk took 1 ms
        t = 0

        def now_ns(self):
            self.t += 1_000_000
            return self.t

    _, ingest, _ = linked_testbed()
    inbox = Inbox([(b"junk", ("192.0.2.1", 9))] * 20_000)
    tick = TimeRef(0)
    ingest.uplink = TickSlice(inbox, Clock(), tick, slice_ns=5_000_000)
    ingest.drain_per_tick = 10_000
    ingest.step(0)
    assert len(inbox.polled) == 4 and ingest.tlm["received"] == 4 * 256   # 1..4 ms, not 5
    assert ingest.uplink.peer == "ground"
