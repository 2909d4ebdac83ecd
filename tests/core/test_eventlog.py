"""The event log reads back every whole record; a torn tail or a corrupt line only warns."""
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fsw.core import Event, Severity
from fsw.core.eventlog import EventLogWarning, EventLogWriter, read_event_log


def events(n):
    return [Event(k * 1000, "mav", 3, "LAUNCH_HOLD", Severity.WARNING_HI, (("cause", f"grain {k}"), ("t", 1.5)))
            for k in range(n)]


def write(evs):
    buf = io.BytesIO()
    w = EventLogWriter(buf)
    for e in evs:
        w.on_event(e, None)
    return buf.getvalue()


def test_round_trip():
    recs = list(read_event_log(write(events(3))))
    assert [r["t_ns"] for r in recs] == [0, 1000, 2000]
    assert recs[1]["args"] == {"cause": "grain 1", "t": 1.5} and recs[1]["severity"] == "WARNING_HI"


def test_truncated_tail_reads_whole_records_with_a_warning():
    data = write(events(5))
    with pytest.warns(EventLogWarning, match="ends inside a record"):
        recs = list(read_event_log(data[:-10]))
    assert len(recs) == 4


@given(st.integers(0, 10_000), st.integers(0, 255))
def test_corruption_never_raises_and_never_returns_a_wrong_record(pos, value):
    data = bytearray(write(events(4)))
    pos %= len(data)
    original = list(read_event_log(bytes(data)))
    data[pos] = value
    with warnings_ok():
        recs = list(read_event_log(bytes(data)))
    assert all(r in original for r in recs)
    assert len(recs) >= len(original) - 2


class warnings_ok:
    def __enter__(self):
        import warnings
        self._cm = warnings.catch_warnings()
        self._cm.__enter__()
        warnings.simplefilter("ignore", EventLogWarning)

    def __exit__(self, *a):
        self._cm.__exit__(*a)


def signed(body: bytes) -> bytes:
    """A line with a valid CRC: what anyone can craft (a CRC is no signature)."""
    import zlib
    return b"%08x %s\n" % (zlib.crc32(body), body)


CRAFTED = [
    b"[" * 100_000 + b"]" * 100_000,                                   # RecursionError in json
    b'{"t_ns":1e400,"component":"a","event":"E","id":1,"severity":"X","args":{}}',   # inf, no int
    b'{"t_ns":' + b"9" * 400 + b',"component":"a","event":"E","id":1,"severity":"X","args":{}}',
    b'{"t_ns":1,"component":"a","event":"E","id":1,"severity":"X","args":{"x":' + b"[" * 500 + b"]" * 500 + b"}}",
    b'{"t_ns":1,"component":"a","event":"E","id":1,"severity":"X"}',       # a key missing
    b'{"t_ns":true,"component":"a","event":"E","id":1,"severity":"X","args":{}}',
    b'"just a string"',
    b"12",
]


@pytest.mark.parametrize("body", CRAFTED, ids=range(len(CRAFTED)))
def test_checksum_valid_crafted_lines_are_skipped_and_no_good_record_lost(body):
    good = write(events(2))
    first, second = good.split(b"\n")[:2]
    with pytest.warns(EventLogWarning, match="line 2: skipped"):
        recs = list(read_event_log(first + b"\n" + signed(body) + second + b"\n"))
    assert recs == list(read_event_log(good))           # both good records, in order


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=4),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner,
                                                                                      max_size=3), max_leaves=12)
record_like = st.fixed_dictionaries({}, optional={"t_ns": json_values, "component": json_values,
                                                  "event": json_values, "id": json_values,
                                                  "severity": json_values, "args": json_values})


@given(st.one_of(json_values, record_like))
def test_any_checksum_valid_json_is_a_clean_record_or_skipped(value):
    import json
    line = signed(json.dumps(value).encode())
    with warnings_ok():
        recs = list(read_event_log(line))
    for r in recs:                                      # what consumers rely on
        assert isinstance(r["t_ns"], int) and abs(r["t_ns"]) < 2**63 and isinstance(r["args"], dict)
        assert r["t_ns"] / 1e9 is not None and all(not isinstance(v, (list, dict)) for v in r["args"].values())
