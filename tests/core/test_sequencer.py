"""Sequences: parse errors name the line; relative/absolute timing; outcomes as events."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fsw.core import Executive, NS_PER_MS, NS_PER_S, SimClock, Topology
from fsw.core.sequencer import SequenceError, Sequencer, parse_sequence

from .thermal_example import HeaterZone

SEQ = """
# warm up zone 3 then regulate
R+0.5        z3.NOOP
R+00:00:01.5 z3.SET_SETPOINT temp_C=10      # relative to the previous one
A3           z3.SET_PARAM param=band_C value=1.5
A@3500000000 z3.SET_SETPOINT temp_C=99     # out of range: fails, sequence goes on
R+0.1        z3.NOOP
"""


def test_parse_times_and_args():
    e = parse_sequence(SEQ)
    assert [(x.line, x.relative, x.t_ns) for x in e] == [
        (3, True, 500 * NS_PER_MS), (4, True, 1500 * NS_PER_MS), (5, False, 3 * NS_PER_S),
        (6, False, 3500 * NS_PER_MS), (7, True, 100 * NS_PER_MS)]
    assert dict(e[2].args) == {"param": "band_C", "value": "1.5"}


def test_sequence_runs_through_the_router_at_the_right_ticks():
    topo = Topology("zone", [HeaterZone("z3")])
    seq = topo.add(Sequencer("seq", topo.dispatch))
    seq.load(parse_sequence(SEQ))
    ex = Executive(SimClock(), 10)
    ex.add_group("g", 1, list(topo.components.values()))
    assert seq.dispatch("START").ok
    ex.run(until_ns=5 * NS_PER_S)
    done = [(e.t_ns, dict(e.args)) for e in topo.events if e.name in ("SEQ_CMD", "SEQ_CMD_FAILED")]
    assert [t for t, _ in done] == [500 * NS_PER_MS, 2000 * NS_PER_MS, 3000 * NS_PER_MS,
                                    3500 * NS_PER_MS, 3600 * NS_PER_MS]
    assert "above maximum" in done[3][1]["reason"]
    assert topo["z3"].params["setpoint_C"] == 10.0 and topo["z3"].params["band_C"] == 1.5
    assert seq.mode == "DONE" and seq.tlm["commands_ok"] == 4 and seq.tlm["commands_failed"] == 1


@pytest.mark.parametrize("text, line, reason", [
    ("R+1 a.B\nR+x a.B", 2, "bad time"),
    ("\n\nT+1 a.B", 3, "must start with R+"),
    ("R+1 nodot", 1, "bad command target"),
    ("R+1 a.B key", 1, "want name=value"),
    ("R+1 a.B k=1 k=2", 1, "given twice"),
    ("A5 a.B\nA4 a.B", 2, "backwards"),
    ("A@12x a.B", 1, "bad absolute time"),
    ("R+-1 a.B", 1, "negative"),
    ("R+1 a.B 'open", 1, "cannot split"),
    ("R+1 a.B\nA@2000\u00b200000 x.Y", 2, "bad absolute time"),     # a bare ValueError before (issue 15)
    ("A@\u0663 a.B", 1, "bad absolute time"),                      # Arabic-Indic 3: no ASCII digit
    ("R+\u0663 a.B", 1, "bad time"),
    ("R+\u0661:00:00 a.B", 1, "bad time"),
    ("R+1e9999999 a.B", 1, "bad time"),                             # no exponents (10**9999999 to build)
    ("A@99999999999999999999 a.B", 1, "bad absolute time"),
    ("R+9999999999999999999 a.B", 1, "beyond"),
])
def test_malformed_sequences_name_line_and_reason(text, line, reason):
    with pytest.raises(SequenceError) as err:
        parse_sequence(text)
    assert err.value.line == line and reason in err.value.reason


@given(st.text(max_size=200))
def test_arbitrary_text_gives_entries_or_sequence_error(text):
    try:
        parse_sequence(text)
    except SequenceError:
        pass


time_chars = st.sampled_from("0123456789.:+-@ARe\u00b2\u00b3\u0663\u0661\uff11_/ ")


@given(st.text(time_chars, max_size=24), st.integers(1, 3))
def test_any_time_token_gives_an_entry_or_a_line_numbered_error(when, line):
    text = "\n" * (line - 1) + when.replace(" ", "") + " a.B"
    try:
        entries = parse_sequence(text)
    except SequenceError as exc:
        assert exc.line == line and str(exc).startswith(f"line {line}: ")
        return
    assert all(0 <= e.t_ns <= 2**63 - 1 for e in entries)
    assert all(c in "0123456789.:+-@AR" for c in when.replace(" ", ""))


entry = st.tuples(st.booleans(), st.integers(0, 10**6), st.sampled_from(["a.B", "mav.ARM", "x_1.Y_2"]),
                  st.dictionaries(st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True),
                                  st.from_regex(r"[A-Za-z0-9_.+-]{1,8}", fullmatch=True), max_size=3))


@given(st.lists(entry, max_size=8))
def test_rendered_sequences_round_trip(items):
    lines, t_abs = [], 0
    for rel, ms, target, args in items:
        if rel:
            when = f"R+{ms / 1000}"
        else:
            t_abs += ms
            when = f"A@{t_abs * NS_PER_MS}"
        lines.append(" ".join([when, target, *(f"{k}={v}" for k, v in args.items())]))
    parsed = parse_sequence("\n".join(lines))
    assert [(p.target, dict(p.args)) for p in parsed] == [(t, a) for _, _, t, a in items]
    t_abs = 0
    for p, (rel, ms, _, _) in zip(parsed, items):
        if not rel:
            t_abs += ms
        assert p.relative == rel and p.t_ns == (ms * NS_PER_MS if rel else t_abs * NS_PER_MS)


def _flight():
    topo = Topology("zone", [HeaterZone("z3")])
    seq = topo.add(Sequencer("seq", topo.dispatch))
    seq.load(parse_sequence(SEQ))
    return topo, seq


def test_a_warm_restart_resumes_the_sequence_at_the_next_command():
    from fsw.core.restart import capture, restore
    topo, seq = _flight()
    ex = Executive(SimClock(), 10)
    ex.add_group("g", 1, list(topo.components.values()))
    seq.dispatch("START")
    ex.run(until_ns=2500 * NS_PER_MS)             # two commands done, the third due at 3 s
    state = capture(topo, ex)
    topo2, seq2 = _flight()                       # rebuilt after the reset, same sequence loaded
    ex2 = Executive(SimClock(2700 * NS_PER_MS), 10)
    ex2.add_group("g", 1, list(topo2.components.values()))
    restore(topo2, ex2, state, 2700 * NS_PER_MS)
    ex2.run(until_ns=5 * NS_PER_S)
    done = [e.t_ns for e in topo2.events if e.name in ("SEQ_CMD", "SEQ_CMD_FAILED")]
    assert done == [3000 * NS_PER_MS, 3500 * NS_PER_MS, 3600 * NS_PER_MS]   # nothing re-run
    assert seq2.mode == "DONE" and seq2.tlm["commands_ok"] == 4 and seq2.tlm["commands_failed"] == 1


def test_a_restore_onto_another_sequence_stops_it_instead_of_guessing():
    from fsw.core.restart import capture, restore
    topo, seq = _flight()
    ex = Executive(SimClock(), 10)
    ex.add_group("g", 1, list(topo.components.values()))
    seq.dispatch("START")
    ex.run(until_ns=2500 * NS_PER_MS)
    state = capture(topo, ex)
    topo2, seq2 = _flight()
    seq2.load(parse_sequence("R+1 z3.NOOP"))
    restore(topo2, Executive(SimClock(2700 * NS_PER_MS), 10), state, 2700 * NS_PER_MS)
    assert seq2.mode == "IDLE"
