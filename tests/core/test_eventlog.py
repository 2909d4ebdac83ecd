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
