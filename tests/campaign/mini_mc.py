"""A short campaign as a Monte Carlo scenario (`scenario = "tests.campaign.mini_mc"`): three
phases of the bench demo vehicle (tests.campaign.mini's scenario), each starting from the end
temperature of the one before, tens of milliseconds a run, so executors can be compared on a
few dozen runs. Rates and durations come from the dispersion file ([fixed.PHASE])."""
from __future__ import annotations

from sim.campaign.montecarlo import CampaignMonteCarlo
from sim.campaign.runner import Phase
from tests.campaign.mini import scenario


def _after(prev: str):
    return lambda s: {"start_temp_C": s[prev].get("final_temp_C", -25.0) - 5.0}


PHASES = (
    Phase("one", scenario.__name__, "warm and sweep", ("wait", 10.0), lambda s: {}),
    Phase("two", scenario.__name__, "again, from the first's end temperature", ("wait", 20.0), _after("one")),
    Phase("three", scenario.__name__, "once more", ("wait", 30.0), _after("two")),
)
MC = CampaignMonteCarlo(PHASES, name="mini")
globals().update(MC.contract(key_figures=("phases.three.sim_time_s",)))
