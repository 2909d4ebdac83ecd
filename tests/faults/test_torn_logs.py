"""A log cut short by a crash reads back up to its last whole record, with a warning."""
import io
import warnings

from hypothesis import given, settings, strategies as st

from fsw.core import Channel, Component, EventDef, Severity, Topology
from fsw.core.eventlog import EventLogWarning, EventLogWriter, read_event_log
from fsw.link.log import LogWarning, TelemetryLogWriter, iter_records
from hil.runner import events_whole_prefix, telemetry_whole_prefix


class Thing(Component):
    CHANNELS = (Channel("x", float), Channel("n", int))
    EVENTS = (EventDef("PING", Severity.ACTIVITY_LO, "{k}", k=int),)


def logs(n=30):
    topo = Topology("zone", [Thing("thing")])
    tlm = TelemetryLogWriter.for_topology(topo)
    ev = io.BytesIO()
    topo.attach(EventLogWriter(ev))
    ends_t, ends_e = [], []
    for k in range(n):
        topo["thing"].tlm.update(x=k * 0.5, n=k)
        topo.sample_telemetry(k)
        topo["thing"].emit("PING", k=k)
        ends_t.append(len(tlm.getvalue()))
        ends_e.append(len(ev.getvalue()))
    return tlm.getvalue(), ev.getvalue()


TLM, EV = logs()


@settings(max_examples=150, deadline=None)
@given(st.integers(0, len(TLM)))
def test_telemetry_cut_anywhere_gives_every_whole_record_before_the_cut(cut):
    data = TLM[:cut]
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        got = [bytes(r) for _, r in iter_records(data)]
    full = [bytes(r) for _, r in iter_records(TLM)]
    assert got == full[:len(got)]
    assert sum(map(len, got)) == telemetry_whole_prefix(data)
    assert sum(map(len, got)) > cut - max(map(len, full)) - 1
    torn = sum(map(len, got)) != cut
    assert torn == any(issubclass(x.category, LogWarning) for x in w)


@settings(max_examples=150, deadline=None)
@given(st.integers(0, len(EV)))
def test_event_log_cut_anywhere_gives_every_whole_line_before_the_cut(cut):
    data = EV[:cut]
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        got = list(read_event_log(data))
    assert got == list(read_event_log(EV))[:len(got)]
    assert len(got) == data.count(b"\n") and events_whole_prefix(data) == data.rfind(b"\n") + 1
    assert (not data.endswith(b"\n") and data != b"") == any(issubclass(x.category, EventLogWarning) for x in w)
