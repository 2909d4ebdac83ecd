"""Tube custody ledger: a tube is never lost or counted twice, whatever is asked of it."""
from hypothesis import settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from fsw.vehicles.custody import DEFAULT_ROUTES, CustodyLedger

LOCATIONS = sorted(DEFAULT_ROUTES)


class LedgerMachine(RuleBasedStateMachine):
    """Random registrations and moves (legal or not) against a plain model of where tubes are."""

    def __init__(self):
        super().__init__()
        self.events = []
        self.ledger = CustodyLedger(emit=lambda name, **a: self.events.append((name, a)))
        self.model: dict[int, str] = {}

    @rule(tube=st.integers(-2, 12), loc=st.sampled_from(LOCATIONS + ["nowhere"]))
    def register(self, tube, loc):
        ok = self.ledger.register(tube, loc)
        want = tube > 0 and loc in DEFAULT_ROUTES and tube not in self.model
        assert ok == want
        if ok:
            self.model[tube] = loc
        else:
            assert self.events[-1][0] == "CUSTODY_REFUSED"

    @rule(tube=st.integers(1, 12), src=st.sampled_from(LOCATIONS), dst=st.sampled_from(LOCATIONS))
    def move(self, tube, src, dst):
        ok = self.ledger.move(tube, src, dst)
        want = self.model.get(tube) == src and dst in DEFAULT_ROUTES[src]
        assert ok == want
        if ok:
            self.model[tube] = dst
            assert self.events[-1] == ("TUBE_MOVED", {"tube": tube, "source": src, "dest": dst})
        else:
            assert self.events[-1][0] == "CUSTODY_REFUSED"

    @rule()
    def warm_restart(self):
        snap = self.ledger.snapshot()
        fresh = CustodyLedger()
        fresh.restore(snap)
        assert fresh.snapshot() == snap
        self.ledger._where = dict(fresh._where)

    @invariant()
    def agrees_with_model(self):
        assert dict(self.ledger.snapshot()) == self.model
        assert sum(self.ledger.count(loc) for loc in LOCATIONS) == len(self.model)


LedgerMachine.TestCase.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)
TestLedger = LedgerMachine.TestCase


def test_campaign_route_and_refusals():
    led = CustodyLedger()
    assert led.register(7, "depot")
    assert led.move(7, "depot", "rover") and led.move(7, "rover", "sta") and led.move(7, "sta", "os")
    assert not led.move(7, "sta", "os")                  # counted twice: refused
    assert not led.move(7, "os", "eev")                   # skipping steps: refused
    assert led.tubes_at("os") == [7] and led.refusals == 2


def test_corrupt_snapshot_is_refused():
    import pytest
    led = CustodyLedger()
    with pytest.raises(ValueError):
        led.restore([(1, "depot"), (1, "rover")])
    with pytest.raises(ValueError):
        led.restore([(1, "mars")])
