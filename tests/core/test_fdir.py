"""FDIR: persistence, one response per trip, re-arming, mode gating, and the three monitor kinds."""
import pytest

from fsw.core import Channel, Component, ModeTable, T, Topology
from fsw.core.fdir import Action, FaultProtection, Monitor


class Sensors(Component):
    MODES = ModeTable(("RUN", "SAFE"), "RUN", (T("safe", "RUN", "SAFE"), T("resume", "SAFE", "RUN")),
                      safe="SAFE")
    CHANNELS = (Channel("temp_C", float), Channel("gyro_a", float), Channel("gyro_b", float),
                Channel("count", int))


def setup(table):
    topo = Topology("t", [Sensors("s")])
    fp = topo.add(FaultProtection("fp", topo, table))
    return topo, topo["s"], fp


def run(fp, n, t0=0):
    for k in range(n):
        fp.time.now_ns = (t0 + k) * 1000
        fp.step((t0 + k) * 1000)


def test_limit_trips_after_persistence_and_responds_once():
    topo, s, fp = setup((Monitor("hot", "limit", "s.temp_C", hi=50.0, persistence=3,
                                 response=(Action("s", "safe"),)),))
    s.tlm["temp_C"] = 60.0
    run(fp, 2)
    assert s.mode == "RUN" and not fp.state["hot"].tripped
    run(fp, 5, t0=2)
    assert s.mode == "SAFE" and fp.state["hot"].trips == 1 and fp.tlm["responses_total"] == 1
    ev = [e for e in topo.events if e.name == "FAULT_DETECTED"]
    assert len(ev) == 1 and dict(ev[0].args)["persisted"] == 3 and ev[0].t_ns == 2000


def test_transient_below_persistence_never_trips():
    _, s, fp = setup((Monitor("hot", "limit", "s.temp_C", hi=50.0, persistence=3),))
    for k in range(20):
        s.tlm["temp_C"] = 60.0 if k % 3 != 2 else 20.0
        run(fp, 1, t0=k)
    assert fp.state["hot"].trips == 0


def test_rearms_only_after_clear_persistence():
    _, s, fp = setup((Monitor("hot", "limit", "s.temp_C", hi=50.0, persistence=2),))
    s.tlm["temp_C"] = 60.0
    run(fp, 3)
    s.tlm["temp_C"] = 20.0
    run(fp, 1, 3)
    s.tlm["temp_C"] = 60.0
    run(fp, 3, 4)
    assert fp.state["hot"].trips == 1  # one clear cycle is not enough to re-arm
    s.tlm["temp_C"] = 20.0
    run(fp, 2, 7)
    s.tlm["temp_C"] = 60.0
    run(fp, 2, 9)
    assert fp.state["hot"].trips == 2


def test_nan_is_a_limit_violation():
    _, s, fp = setup((Monitor("hot", "limit", "s.temp_C", lo=-40.0, hi=50.0),))
    s.tlm["temp_C"] = float("nan")
    run(fp, 1)
    assert fp.state["hot"].tripped


def test_stale_and_disagree():
    _, s, fp = setup((Monitor("frozen", "stale", "s.count", stale_ticks=4),
                      Monitor("gyros", "disagree", "s.gyro_a", other="s.gyro_b", tolerance=0.1, persistence=2)))
    for k in range(4):
        s.tlm["count"] = k
        run(fp, 1, k)
    assert not fp.state["frozen"].tripped
    run(fp, 4, 4)
    assert fp.state["frozen"].tripped
    s.tlm["gyro_a"], s.tlm["gyro_b"] = 1.0, 1.05
    run(fp, 3, 8)
    assert not fp.state["gyros"].tripped
    s.tlm["gyro_b"] = 1.5
    run(fp, 2, 11)
    assert fp.state["gyros"].tripped


def test_mode_gating_and_commands():
    topo, s, fp = setup((Monitor("hot", "limit", "s.temp_C", hi=50.0, when=("s", ("SAFE",))),))
    s.tlm["temp_C"] = 99.0
    run(fp, 3)
    assert not fp.state["hot"].tripped
    s.trigger("safe")
    run(fp, 1, 3)
    assert fp.state["hot"].tripped
    assert fp.dispatch("MONITOR_RESET", {"monitor": "hot"}).ok and not fp.state["hot"].tripped
    assert fp.dispatch("MONITOR_ENABLE", {"monitor": "nope", "enabled": False}).status.value == "failed"


@pytest.mark.parametrize("kw", [dict(kind="bogus"), dict(kind="limit"), dict(kind="stale"),
                                dict(kind="disagree"), dict(kind="limit", hi=1, persistence=0)])
def test_bad_monitor_declarations_refused(kw):
    with pytest.raises(ValueError):
        Monitor("m", channel="s.temp_C", **kw)


def test_unknown_channel_refused():
    with pytest.raises(ValueError, match="no telemetry channel"):
        setup((Monitor("m", "limit", "s.nope", hi=1.0),))


def test_restored_monitor_keeps_its_trip_and_does_not_respond_again():
    topo, s, fp = setup((Monitor("hot", "limit", "s.temp_C", hi=50.0, response=(Action("s", "safe"),)),))
    s.tlm["temp_C"] = 60.0
    run(fp, 1)
    saved = fp.checkpoint_state()
    topo2, s2, fp2 = setup((Monitor("hot", "limit", "s.temp_C", hi=50.0, response=(Action("s", "safe"),)),))
    fp2.restore_state(saved)
    s2.tlm["temp_C"] = 60.0
    run(fp2, 3)
    assert fp2.state["hot"].trips == 1 and fp2.tlm["responses_total"] == 0 and s2.mode == "RUN"


def test_a_trip_ends_when_its_modes_end_so_the_fault_trips_again_on_return():
    topo, s, fp = setup((Monitor("hot", "limit", "s.temp_C", hi=50.0, when=("s", ("RUN",)),
                                 response=(Action("s", "safe"),)),))
    s.tlm["temp_C"] = 60.0
    run(fp, 1)
    assert s.mode == "SAFE" and fp.state["hot"].trips == 1
    run(fp, 1, t0=1)                                  # gated out in SAFE: the trip is over
    assert not fp.state["hot"].tripped
    s.trigger("resume")                               # back to RUN, still hot
    run(fp, 1, t0=2)
    assert s.mode == "SAFE" and fp.state["hot"].trips == 2
    assert [e.name for e in topo.events if e.name.startswith("FAULT_")].count("FAULT_DETECTED") == 2
