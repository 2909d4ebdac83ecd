"""Flying ahead (sim/campaign/ahead.py): the ascent and the capture flown on a second core from
the delivery's predicted outcome give the very bytes of flying in order; a wrong prediction
is thrown away and the phases are flown in order. The campaigns are slow (tens of seconds)."""
from __future__ import annotations

import pytest

from sim.campaign import chain, runner
from sim.campaign.ahead import AHEAD_DIR, FlightAhead
from sim.campaign.runner import run_campaign, without_wall_fields

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def in_order(tmp_path_factory):
    return run_campaign(1, tmp_path_factory.mktemp("c") / "in-order").summary


def test_flying_ahead_gives_the_bytes_of_flying_in_order(in_order, tmp_path, monkeypatch):
    taken = []
    install = FlightAhead.install

    def spy(self, name, pdir):
        ok = install(self, name, pdir)
        taken.append((name, ok))
        return ok
    monkeypatch.setattr(FlightAhead, "install", spy)
    ahead = run_campaign(1, tmp_path / "ahead", ahead=True).summary
    assert ("ascent", True) in taken and ("capture", True) in taken     # it did fly ahead
    assert ahead["telemetry_sha256"] == in_order["telemetry_sha256"]
    assert without_wall_fields(ahead) == without_wall_fields(in_order)
    assert not (tmp_path / "ahead" / "phases" / AHEAD_DIR).exists()


def test_a_wrong_prediction_is_thrown_away(in_order, tmp_path, monkeypatch):
    real = chain.predict_delivery
    wrong = lambda values: {"sealed_tube_ids": real(values)["sealed_tube_ids"][:3]}   # noqa: E731
    phases = tuple(p if p.name != "delivery" else runner.Phase(p.name, p.scenario, p.title, p.quiet_before,
                                                               p.inputs, predict=wrong) for p in runner.PHASES)
    monkeypatch.setattr(runner, "PHASES", phases)
    decided = []
    decide = FlightAhead.decide
    monkeypatch.setattr(FlightAhead, "decide", lambda self, same: (decided.append(same), decide(self, same))[1])
    again = run_campaign(1, tmp_path / "wrong", ahead=True, phases=phases).summary
    assert decided == [False]
    assert without_wall_fields(again) == without_wall_fields(in_order)
