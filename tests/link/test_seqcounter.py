"""The ground's persisted sequence counter: monotonic across runs and clock steps, private,
atomic, shared safely by concurrent senders, and it refuses numbers that would burn a key."""
from __future__ import annotations

import multiprocessing
import stat

import pytest
from hypothesis import given, settings, strategies as st

from fsw.link.seqcounter import JUMP_LIMIT, SEQ_MAX, SequenceCounter, SequenceError

KEY = b"\x11" * 32


def test_numbers_go_on_from_the_file_across_instances_and_are_private(tmp_path):
    path = tmp_path / "keys.json.seq"
    assert [SequenceCounter(path).reserve(7, KEY) for _ in range(3)] == [1, 2, 3]
    assert SequenceCounter(path).last(7, KEY) == 3
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keys.json.seq", "keys.json.seq.lock"]
    assert SequenceCounter(path).reserve(8, KEY) == 1          # per key id
    assert SequenceCounter(path).reserve(7, b"\x22" * 32) == 1  # a rotated key starts again


def test_the_wall_clock_plays_no_part(tmp_path, monkeypatch):
    import time
    path = tmp_path / "s.seq"
    first = SequenceCounter(path).reserve(1, KEY)
    monkeypatch.setattr(time, "time_ns", lambda: 0)           # the clock stepped back
    assert SequenceCounter(path).reserve(1, KEY) == first + 1


def test_explicit_numbers_must_not_be_reused_or_burn_the_key(tmp_path):
    c = SequenceCounter(tmp_path / "s.seq")
    assert c.reserve(1, KEY, 100) == 100
    with pytest.raises(SequenceError, match="already used with key id 1 \\(last 100\\)"):
        c.reserve(1, KEY, 100)
    assert c.reserve(1, KEY, 50, force=True) == 50            # for testing a replay...
    assert c.last(1, KEY) == 100                              # ...without going back
    with pytest.raises(SequenceError, match="burns the key's numbers"):
        c.reserve(1, KEY, SEQ_MAX)
    with pytest.raises(SequenceError, match="burns"):
        c.reserve(1, KEY, 100 + JUMP_LIMIT + 1)
    assert c.reserve(1, KEY, 100 + JUMP_LIMIT) == 100 + JUMP_LIMIT
    assert c.reserve(1, KEY, SEQ_MAX, force=True) == SEQ_MAX
    with pytest.raises(SequenceError, match="used its last sequence number: rotate it"):
        c.reserve(1, KEY)
    for bad in (0, SEQ_MAX + 1):
        with pytest.raises(SequenceError):
            c.reserve(2, KEY, bad, force=True)


@pytest.mark.parametrize("content", ["{", "[]", '{"format": "msr-seq/1", "keys": 3}',
                                     '{"format": "msr-seq/1", "keys": {"1": {"fingerprint": '
                                     '"%s", "last": -4}}}'])
def test_a_damaged_file_is_a_one_line_error_not_a_restart_at_1(tmp_path, content):
    from fsw.link.seqcounter import fingerprint
    path = tmp_path / "s.seq"
    path.write_text(content.replace("%s", fingerprint(KEY)))
    with pytest.raises(SequenceError) as err:
        SequenceCounter(path).reserve(1, KEY)
    assert str(path) in str(err.value) and "\n" not in str(err.value)


def test_a_symbolic_link_is_not_written_through(tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("keep")
    (tmp_path / "s.seq").symlink_to(victim)
    with pytest.raises(SequenceError, match="symbolic link"):
        SequenceCounter(tmp_path / "s.seq").reserve(1, KEY)
    assert victim.read_text() == "keep"


def _take(path, n, out):
    c = SequenceCounter(path)
    out.put([c.reserve(3, KEY) for _ in range(n)])


def test_concurrent_senders_never_get_the_same_number(tmp_path):
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    procs = [ctx.Process(target=_take, args=(tmp_path / "s.seq", 40, out)) for _ in range(3)]
    for p in procs:
        p.start()
    got = [n for _ in procs for n in out.get(timeout=60)]
    for p in procs:
        p.join(10)
    assert sorted(got) == list(range(1, 121))


@settings(max_examples=60)
@given(st.lists(st.one_of(st.none(), st.integers(1, SEQ_MAX)), max_size=12), st.booleans())
def test_the_counter_never_goes_back(tmp_path_factory, wants, force):
    c = SequenceCounter(tmp_path_factory.mktemp("s") / "s.seq")
    last = 0
    for want in wants:
        try:
            seq = c.reserve(1, KEY, want, force=force)
        except SequenceError:
            assert want is not None and not force or last == SEQ_MAX
            continue
        if not force:
            assert seq > last
        last = max(last, seq)
        assert c.last(1, KEY) == last
