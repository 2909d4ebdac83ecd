"""The console's bridge without a browser: the WebSocket feed, historical queries, commanding
through the HTTP API, and its refusals (loopback only, a few seconds)."""
from __future__ import annotations

import asyncio
import json

import pytest
from hypothesis import given, strategies as st

from fsw.link.dictionary import Dictionary
from fsw.link.log import read_log
from fsw.link.telemetry import ChannelPacket, EventPacket, RawPacket
from msr.commands.link import as_json

from .kit import (KEYS, LinkedFlight, Feed, log_of_testbed, get_json, post_json, serving)
from ground.commanding import Commander
from ground.server import Console
from ground.sources import FollowSource, ReplaySource, UdpSource, complete_records
from ground.store import Series, TelemetryStore, datum_of, json_value


def run(coro):
    return asyncio.run(coro)


@pytest.fixture
def log_file(tmp_path):
    data, spec = log_of_testbed()
    path = tmp_path / "telemetry.bin"
    path.write_bytes(data)
    (tmp_path / "dictionary.json").write_text(Dictionary((spec,)).to_json())
    return path, data, Dictionary((spec,))


def test_replay_streams_every_packet_as_msr_gds_decode_reads_it(log_file):
    path, data, d = log_file
    expected = [as_json(p) for p in read_log(data, d)]

    async def main():
        console = Console(d, describe="replay")
        async with serving(console) as base:
            feed = await Feed.open(base)
            source = ReplaySource(path, speed=0)
            await source.run(console.publish)
            got = await feed.until(lambda ds: sum(x["k"] != "hello" for x in ds) >= len(expected))
            status = await get_json(base, "/api/status")
        return [x for x in got if x["k"] != "hello"], status

    got, status = run(main())
    assert len(got) == len(expected) == status["received"] == status["forwarded"]
    for g, e in zip(got, expected):
        assert (g["t_ns"], g["apid"], g["seq"]) == (e["t_ns"], e["apid"], e["seq"])
        if e["kind"] == "channels":
            assert g["values"] == {k: json_value(v) for k, v in e["values"].items()}
        elif e["kind"] == "event":
            assert (g["name"], g["severity"], g["text"]) == (e["event"], e["severity"], e["text"])


def test_history_answers_time_ranges_and_latest(log_file):
    path, data, d = log_file
    series = [(p.t_ns, p.values["count"]) for p in read_log(data, d)
              if isinstance(p, ChannelPacket) and p.component == "counter"]
    events = [p for p in read_log(data, d) if isinstance(p, EventPacket)]

    async def main():
        console = Console(d)
        async with serving(console) as base:
            await ReplaySource(path, speed=0).run(console.publish)
            whole = await get_json(base, "/api/telemetry?key=ch:testbed.counter.count")
            t1, t2 = series[5][0] / 1e6, series[9][0] / 1e6
            part = await get_json(base, f"/api/telemetry?key=ch:testbed.counter.count&start={t1}&end={t2}")
            last = await get_json(base, "/api/telemetry?key=ch:testbed.counter.count&latest=1")
            evs = await get_json(base, "/api/telemetry?key=ev:testbed")
            evs_counter = await get_json(base, "/api/telemetry?key=ev:testbed.counter")
            unknown = await get_json(base, "/api/telemetry?key=ch:testbed.nope.x")
            with pytest.raises(Exception, match="400"):
                await get_json(base, "/api/telemetry?key=ch:testbed.counter.count&start=soon")
            dictionary = await get_json(base, "/api/dictionary")
        return whole, part, last, evs, evs_counter, unknown, dictionary

    whole, part, last, evs, evs_counter, unknown, dictionary = run(main())
    assert [(r["t_ns"], r["value"]) for r in whole] == series
    assert [(r["t_ns"], r["value"]) for r in part] == series[5:10]
    assert [(r["t_ns"], r["value"]) for r in last] == series[-1:]
    assert [e["name"] for e in evs] == [e.name for e in events]
    assert {e["component"] for e in evs_counter} == {"counter"} and evs_counter
    assert unknown == []
    assert [v["name"] for v in dictionary["vehicles"]] == ["testbed"]
    assert dictionary["console"]["commanding"] is False


def test_commands_are_signed_sent_acknowledged_and_executed_once():
    async def main():
        flight, addr = await LinkedFlight.start()
        source = UdpSource("127.0.0.1", 0, addr)
        d = Dictionary((flight.spec,))
        console = Console(d, source=source, commander=Commander(flight.spec, KEYS, 1, source.send))
        async with serving(console) as base:
            await source.run(console.publish)
            feed = await Feed.open(base)
            code, rec = await post_json(base, "/api/commands",
                                        {"target": "counter.INCREMENT", "args": {"by": 3}})
            assert code == 200 and rec["status"] == "SENT"
            await feed.until(lambda ds: any(x["k"] == "cmd" and x["status"] == "OK" for x in ds))
            history = await get_json(base, "/api/commands")
            refusals = [
                await post_json(base, "/api/commands", {"target": "counter.NOPE"}),
                await post_json(base, "/api/commands", {"target": "counter.INCREMENT", "args": {"by": 10**6}}),
                await post_json(base, "/api/commands", {"target": "counter.INCREMENT", "args": [1]}),
                await post_json(base, "/api/commands", b"{not json"),
                await post_json(base, "/api/commands", {"target": "counter.INCREMENT", "args": {"by": 1}},
                                header=False),
            ]
            acks = await get_json(base, "/api/telemetry?key=ack:testbed")
        source.close()
        return flight, rec, history, refusals, acks, feed.datums

    flight, rec, history, refusals, acks, datums = run(main())
    assert flight.topology["counter"].tlm["count"] == 3          # executed, once
    assert flight.ingest.tlm["accepted"] == 1 and flight.ingest.tlm["received"] == 1
    assert [h["status"] for h in history] == ["OK"] and history[0]["seq"] == rec["seq"]
    assert [a["status"] for a in acks] == ["OK"] and acks[0]["cmd_seq"] == rec["seq"]
    assert any(x["k"] == "ev" and x["name"] == "TC_EXECUTED" for x in datums)
    codes = [c for c, _ in refusals]
    assert codes == [400, 400, 400, 400, 403]
    assert "NOPE" in refusals[0][1]["error"] and "1000000" in refusals[1][1]["error"]


def test_a_read_only_console_refuses_commands(log_file):
    _, _, d = log_file

    async def main():
        async with serving(Console(d)) as base:
            return await post_json(base, "/api/commands", {"target": "counter.INCREMENT"})
    code, body = run(main())
    assert code == 409 and "--link" in body["error"]


def test_follow_reads_a_growing_log_once_whole_records_only(tmp_path, log_file):
    _, data, d = log_file
    path = tmp_path / "growing.bin"
    path.write_bytes(b"")
    got: list[bytes] = []

    async def main():
        task = asyncio.create_task(FollowSource(path, poll_s=0.01).run(got.append))
        cuts = [0, 7, 100, 101, len(data) // 2, len(data) - 3, len(data)]
        for a, b in zip(cuts, cuts[1:]):
            with open(path, "ab") as f:
                f.write(data[a:b])
            await asyncio.sleep(0.05)
        task.cancel()
    run(main())
    assert b"".join(got) == data


@given(st.binary(max_size=64), st.integers(0, 200))
def test_complete_records_never_returns_a_partial_or_bad_record(junk, cut):
    data, d = log_of_testbed(3)
    buf = junk + data[:cut]
    recs, used = complete_records(buf)
    assert used <= len(buf)
    assert b"".join(recs) in buf[:used] or not recs
    for r in recs:
        assert list(read_log(r, Dictionary((d,)))) != []


@given(st.lists(st.integers(0, 10**6), max_size=60), st.integers(0, 10**6), st.integers(0, 10**6))
def test_series_range_query_matches_a_sorted_filter(times, a, b):
    s = Series()
    for i, t in enumerate(times):
        s.add(t, {"i": i, "t": t})
    lo, hi = min(a, b), max(a, b)
    got = [r["t"] for r in s.between(lo, hi)]
    assert got == sorted(t for t in times if lo <= t <= hi)


def test_store_answers_nothing_for_foreign_keys_and_keeps_non_finite_values_as_text():
    store = TelemetryStore()
    store.add({"k": "ch", "t_ns": 5, "utc": 5e-6, "vehicle": "v", "component": "c",
               "values": {"x": json_value(float("nan"))}})
    assert store.query("ch:v.c.x") == [{"utc": 5e-6, "t_ns": 5, "value": "nan"}]
    assert store.query("zz:v") == [] and store.query("ch:") == []
    assert json.loads(json.dumps(store.query("ch:v.c.x")))
    assert datum_of(RawPacket(0x600, 0, 0, 9, b"", "unknown kind")) is None


def test_console_commands_continue_the_ground_sequence_counter(tmp_path):
    """The console and `msr gds send` share the persisted per-key counter: a number one of
    them used is never signed again by the other (the flight would reject it as a replay)."""
    from fsw.link.seqcounter import SequenceCounter
    from ground.commanding import Commander
    counter = SequenceCounter(tmp_path / "keys.json.seq")
    counter.reserve(1, KEYS[1], 41)                      # `msr gds send --seq 41` happened
    sent: list[bytes] = []
    _, spec = log_of_testbed(ticks=1)
    commander = Commander(spec, KEYS, 1, sent.append, counter=counter)
    first = commander.send("counter.NOOP", {})
    second = commander.send("counter.NOOP", {})
    assert (first.seq, second.seq) == (42, 43)
    assert SequenceCounter(tmp_path / "keys.json.seq").last(1, KEYS[1]) == 43
