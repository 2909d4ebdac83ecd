"""A short campaign as a Monte Carlo scenario (`scenario = "tests.campaign.mini_mc"`, its
SCENARIO): three phases of the bench's zone vehicle (tests.campaign.mini's scenario), each
starting from the end temperature of the one before, tens of milliseconds a run, so executors
can be compared on a few dozen runs. Rates and durations come from the dispersion file ([fixed.PHASE]).
The third phase's flight raises for `sweep_s` = BOOM_SWEEP_S (a valid value): a run that
crashes in flight, which no declaration can refuse up front."""
from __future__ import annotations

import dataclasses

from sim.campaign.montecarlo import CampaignMonteCarlo
from sim.campaign.phases import Phase
from tests.campaign.mini import MINI, SCENARIO_PATH

BOOM_SWEEP_S = 0.5


def _flight_that_crashes(devices, clock, overrides=None, protection=None):
    if float((overrides or {}).get("sweep_s", 0.0)) == BOOM_SWEEP_S:
        raise RuntimeError("boom: the test's crash in flight")
    return MINI.flight(devices, clock, overrides, protection=protection)


CRASHY = dataclasses.replace(MINI, name="mini-crashy", flight=_flight_that_crashes)


def _after(prev: str):
    return lambda s: {"start_temp_C": s[prev].get("final_temp_C", -25.0) - 5.0}


PHASES = (
    Phase("one", SCENARIO_PATH, "warm and sweep", ("wait", 10.0), lambda s: {}),
    Phase("two", SCENARIO_PATH, "again, from the first's end temperature", ("wait", 20.0), _after("one")),
    Phase("three", "tests.campaign.mini_mc:CRASHY", "once more", ("wait", 30.0), _after("two")),
)
MC = CampaignMonteCarlo(PHASES, name="mini")
SCENARIO = MC.scenario(key_figures=("phases.three.sim_time_s",))
