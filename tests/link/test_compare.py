"""fsw.link.compare (what `msr diff` computes): units in the last place, tolerances, and the
pairing of packets, property-tested through the real codec (encode -> bytes -> read_log)."""
import math
import struct

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from fsw.core.events import Severity
from fsw.link.compare import Tolerance, compare_packets, float_key, parse_tolerance, ulp_distance
from fsw.link.dictionary import ChannelSpec, ComponentSpec, EventSpec, VehicleSpec
from fsw.link.log import read_log
from fsw.link.telemetry import TelemetryEncoder

floats = st.floats(allow_nan=False)


def next_up(x: float) -> float:
    return math.nextafter(x, math.inf)


@given(floats, floats)
def test_float_key_orders_like_the_floats(a, b):
    assert (float_key(a) < float_key(b)) == (a < b)
    assert ulp_distance(a, b) == ulp_distance(b, a) >= 0


@given(st.floats(-1e308, 1e308))
def test_neighbouring_floats_are_one_ulp_apart(x):
    assert ulp_distance(x, x) == 0
    assert ulp_distance(x, next_up(x)) == 1
    assert ulp_distance(x, next_up(next_up(x))) == 2


def test_ulps_across_zero_and_with_nan():
    assert ulp_distance(-0.0, 0.0) == 0
    assert ulp_distance(-5e-324, 5e-324) == 2
    assert ulp_distance(math.nan, 1.0) is None


@given(floats, floats, st.floats(0.0, 1.0), st.floats(0.0, 10.0))
def test_tolerance_is_symmetric_and_exact_means_same_bits(a, b, rtol, atol):
    tol = Tolerance(rtol, atol)
    assert tol.floats_equal(a, b) == tol.floats_equal(b, a)
    assert Tolerance().floats_equal(a, b) == (struct.pack(">d", a) == struct.pack(">d", b))
    if Tolerance().floats_equal(a, b):
        assert tol.floats_equal(a, b)


def test_tolerance_edges():
    tol = Tolerance(rtol=1e-9)
    assert tol.floats_equal(1.0, 1.0 + 1e-10) and not tol.floats_equal(1.0, 1.0 + 1e-8)
    assert not Tolerance().floats_equal(0.0, -0.0)          # different bytes
    assert Tolerance().floats_equal(math.nan, math.nan)     # same bits
    assert tol.floats_equal(math.inf, math.inf) and not tol.floats_equal(math.inf, 1e308)
    assert not tol.values_equal(1, 1.0)                     # an int is not a float
    with pytest.raises(ValueError):
        Tolerance(rtol=-1.0)


@given(st.floats(0.0, 1e3), st.floats(0.0, 1e3))
def test_parse_tolerance_reads_what_it_says(r, a):
    assert parse_tolerance(f"rel={r!r},abs={a!r}") == Tolerance(r, a)
    assert parse_tolerance(f"atol={a!r}") == Tolerance(0.0, a)


@pytest.mark.parametrize("bad", ["", "rel", "rel=x", "foo=1", "rel=-1", "rel=nan", "abs=inf"])
def test_parse_tolerance_refuses_garbage(bad):
    with pytest.raises(ValueError):
        parse_tolerance(bad)


SPEC = VehicleSpec("testbed", 0x600, (
    ComponentSpec("nav", 0, 0x600, channels=(ChannelSpec("x", "f64"), ChannelSpec("n", "i64"),
                                            ChannelSpec("mode", "string"))),
    ComponentSpec("ctl", 1, 0x601, channels=(ChannelSpec("u", "f64"),),
                  events=(EventSpec(0, "BURN", "ACTIVITY_HI", "burn {dv}"),)),
))

samples = st.lists(st.tuples(st.sampled_from(["nav", "ctl", "event"]),
                             st.floats(-1e6, 1e6), st.integers(-5, 5), st.sampled_from(["A", "B"])),
                   min_size=1, max_size=40)


def encode(rows) -> bytes:
    """A log from (what, float, int, text) rows, one per 20 ms tick."""
    enc = TelemetryEncoder(SPEC)
    out = []
    for k, (what, f, i, s) in enumerate(rows):
        t = 20_000_000 * k
        if what == "nav":
            out.append(enc.channels(t, "nav", {"x": f, "n": i, "mode": s}))
        elif what == "ctl":
            out.append(enc.channels(t, "ctl", {"u": f}))
        else:
            out.append(enc.codec("ctl").event(t, 0, Severity.ACTIVITY_HI, (("dv", f),)))
    return b"".join(out)


def decoded(rows):
    return list(read_log(encode(rows), SPEC))


@settings(max_examples=60)
@given(samples)
def test_a_log_equals_itself(rows):
    cmp = compare_packets(decoded(rows), decoded(rows))
    assert cmp.equal and cmp.first is None and not cmp.differing_channels()
    assert cmp.first_unpaired is None
    assert cmp.only_in_a == cmp.only_in_b == cmp.events_differing == 0


@settings(max_examples=60)
@given(samples, st.data())
def test_one_ulp_anywhere_is_found_where_it_is(rows, data):
    k = data.draw(st.integers(0, len(rows) - 1))
    what, f, i, s = rows[k]
    changed = list(rows)
    changed[k] = (what, next_up(f), i, s)
    cmp = compare_packets(decoded(rows), decoded(changed))
    assert not cmp.equal
    first = cmp.first
    assert first.index == k and first.t_ns == 20_000_000 * k and first.only_in is None
    (d,) = first.values
    assert d.a == f and d.b == next_up(f) and d.ulps == 1
    if what == "event":
        assert cmp.events_differing == 1 and d.name == "arg dv"
    else:
        name = "testbed/nav.x" if what == "nav" else "testbed/ctl.u"
        stats = cmp.channels[name]
        assert stats.differing == 1 and stats.max_ulps == 1 and stats.first_t_ns == 20_000_000 * k
        assert [n for n, _ in cmp.differing_channels()] == [name]
    # ...and a tolerance of a few ulps accepts it
    assert compare_packets(decoded(rows), decoded(changed), Tolerance(rtol=1e-15, atol=1e-300)).equal


@settings(max_examples=60)
@given(samples, st.data())
def test_exact_fields_are_never_tolerated(rows, data):
    k = data.draw(st.integers(0, len(rows) - 1))
    what, f, i, s = rows[k]
    assume(what == "nav")
    changed = list(rows)
    changed[k] = (what, f, i, "B" if s == "A" else "A")
    cmp = compare_packets(decoded(rows), decoded(changed), Tolerance(rtol=1.0, atol=1e9))
    assert not cmp.equal and cmp.first.values[0].name == "mode"


@settings(max_examples=60)
@given(samples, st.data())
def test_a_missing_packet_is_named_and_the_rest_still_pairs(rows, data):
    k = data.draw(st.integers(0, len(rows) - 1))
    a = decoded(rows)
    b = a[:k] + a[k + 1:]
    cmp = compare_packets(a, b)
    assert cmp.first.index == k and cmp.first.only_in == "A"
    assert cmp.first_unpaired == cmp.first
    assert cmp.only_in_a == 1 and cmp.only_in_b == 0
    assert not cmp.differing_channels()          # everything else lines up
    back = compare_packets(b, a)
    assert back.first.only_in == "B" and back.only_in_b == 1
