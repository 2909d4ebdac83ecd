"""A short campaign for crash-consistency tests: three phases of the bench's zone vehicle
(sim/scenarios/zone.py) chained by their summaries, about a second of wall time each, and a runner that
stops itself at a chosen point (a phase boundary, or mid-phase inside the flight loop) so a
test can SIGKILL it exactly there:

    python -m tests.campaign.mini OUT SEED [--stop-before PHASE | --stop-in PHASE@SIM_S] [--resume|--force]

A stop writes OUT.stopped and waits to be killed.
"""
from __future__ import annotations

import dataclasses
import sys
import time
from pathlib import Path
from typing import Any

from sim.campaign.phases import Phase
from sim.campaign.runner import run_campaign
from sim.scenarios import zone


def summarize(outcome: Any) -> dict[str, Any]:
    zone = outcome.topology["zone"]
    return {"success": zone.mode == "DONE", "final_mode": zone.mode,
            "final_temp_C": round(float(zone.tlm["temp_C"]), 6)}


# a scenario of its own (the zone vehicle with this summary), found by its dotted path
MINI = dataclasses.replace(zone.SCENARIO, name="mini", summarize=summarize,
                           summary_lines=lambda s: [f"mini: {s['final_mode']}"])
SCENARIO_PATH = "tests.campaign.mini:MINI"

SLOW = {"sweep_s": 40.0, "duration_s": 60.0}
PHASES = (
    Phase("one", SCENARIO_PATH, "warm and sweep", ("wait", 10.0), lambda s: dict(SLOW)),
    Phase("two", SCENARIO_PATH, "again, to the first's end temperature", ("wait", 20.0),
          lambda s: {**SLOW, "start_temp_C": s["one"]["final_temp_C"] - 5.0}),
    Phase("three", SCENARIO_PATH, "once more", ("wait", 30.0),
          lambda s: {**SLOW, "start_temp_C": s["two"]["final_temp_C"] - 5.0}),
)


def stop_here(out: Path) -> None:
    Path(f"{out}.stopped").write_text("stopped\n")
    while True:                      # wait for the SIGKILL
        time.sleep(1.0)


class StopAt:
    """A clock observer that stops the process at a simulated time of its phase."""

    def __init__(self, out: Path, t_s: float) -> None:
        self.out, self.t_ns = out, int(t_s * 1e9)

    def advance_to(self, t_ns: int) -> None:
        if t_ns >= self.t_ns:
            stop_here(self.out)


def main(argv: list[str]) -> None:
    out, seed = Path(argv[0]), int(argv[1])
    stop_before = stop_in = None
    if "--stop-before" in argv:
        stop_before = argv[argv.index("--stop-before") + 1]
    if "--stop-in" in argv:
        name, at = argv[argv.index("--stop-in") + 1].split("@")
        stop_in = (name, float(at))

    def on_phase(phase: Phase, pseed: int, duration_s: float) -> Any:
        if phase.name == stop_before:
            stop_here(out)
        if stop_in is not None and phase.name == stop_in[0]:
            return StopAt(out, stop_in[1])
        return None
    run_campaign(seed, out, phases=PHASES, on_phase=on_phase, resume="--resume" in argv,
                 force="--force" in argv)


if __name__ == "__main__":
    main(sys.argv[1:])
