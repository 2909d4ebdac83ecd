"""Flying ahead (sim/campaign/ahead.py): the ascent and the capture flown on a second core from
the campaign's start, from the delivery's predicted outcome, give the very bytes of flying in
order; a wrong prediction is thrown away and the phases are flown in order. The campaigns are
slow (tens of seconds)."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sim import rundir
from sim.campaign import chain, runner
from sim.campaign import ahead as ahead_module
from sim.campaign.ahead import AHEAD_DIR, CHILD_PID, FlightAhead
from sim.campaign.results import without_wall_fields
from sim.campaign.runner import run_campaign
from sim.report import campaign_plots as campaign_plots_module
from sim.report.campaign_plots import campaign_plots, phase_pngs

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def in_order_result(tmp_path_factory):
    return run_campaign(1, tmp_path_factory.mktemp("c") / "in-order")


@pytest.fixture(scope="module")
def in_order(in_order_result):
    return in_order_result.summary


@pytest.fixture(scope="module")
def in_order_plots(in_order_result):
    """The campaign's plots drawn after it, in one process (the --one-core way)."""
    return {p.name: p.read_bytes() for p in campaign_plots(in_order_result)}


def pngs(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in (out / "plots").iterdir()} if (out / "plots").exists() else {}


def test_plots_drawn_ahead_are_the_plots_drawn_in_order(in_order_plots, tmp_path, monkeypatch):
    """With plots, the process flying ahead draws in its idle time (its own phases' plots, then
    each phase completed here, then the timeline): the campaign ends with every plot, the very
    bytes of drawing them after it, most of them not drawn by this process."""
    here = []
    real = campaign_plots_module.draw

    def spy(job):
        here.append(job.out.name)
        return real(job)
    monkeypatch.setattr(campaign_plots_module, "draw", spy)
    monkeypatch.setattr(ahead_module, "draw", spy)
    result = run_campaign(1, tmp_path / "ahead", ahead=True, plots=True)
    assert pngs(tmp_path / "ahead") == in_order_plots
    assert len(here) < len(in_order_plots)              # the process flying ahead drew the others
    drawn_here = len(here)
    campaign_plots(result, missing_only=True)           # what `msr run` draws after: nothing is left
    assert len(here) == drawn_here
    assert not (tmp_path / "ahead" / "phases" / AHEAD_DIR).exists()


def test_flying_ahead_gives_the_bytes_of_flying_in_order(in_order, tmp_path, monkeypatch):
    taken, started = [], []
    install, init = FlightAhead.install, FlightAhead.__init__

    def at_start(self, out_dir, *args, **kw):
        started.append(list(rundir.read_manifest(out_dir)["phases_complete"]))
        init(self, out_dir, *args, **kw)
    monkeypatch.setattr(FlightAhead, "__init__", at_start)

    def spy(self, name, pdir):
        ok = install(self, name, pdir)
        taken.append((name, ok))
        return ok
    monkeypatch.setattr(FlightAhead, "install", spy)
    ahead = run_campaign(1, tmp_path / "ahead", ahead=True).summary
    assert ("ascent", True) in taken and ("capture", True) in taken     # it did fly ahead
    assert started == [[]]                          # from the start, beside the landing
    assert ahead["telemetry_sha256"] == in_order["telemetry_sha256"]
    assert without_wall_fields(ahead) == without_wall_fields(in_order)
    assert not (tmp_path / "ahead" / "phases" / AHEAD_DIR).exists()


def test_a_wrong_prediction_is_thrown_away(in_order, in_order_plots, tmp_path, monkeypatch):
    real = chain.predict_delivery
    wrong = lambda values: {"sealed_tube_ids": real(values)["sealed_tube_ids"][:3]}   # noqa: E731
    phases = tuple(p if p.name != "delivery" else runner.Phase(p.name, p.scenario, p.title, p.quiet_before,
                                                               p.inputs, predict=wrong) for p in runner.PHASES)
    monkeypatch.setattr(runner, "PHASES", phases)
    decided = []
    decide = FlightAhead.decide
    monkeypatch.setattr(FlightAhead, "decide", lambda self, same: (decided.append(same), decide(self, same))[1])
    result = run_campaign(1, tmp_path / "wrong", ahead=True, phases=phases, plots=True)
    again = result.summary
    assert decided == [False]       # once, after the delivery (not after the landing)
    assert again["telemetry_sha256"] == in_order["telemetry_sha256"]     # the bytes of --one-core
    assert without_wall_fields(again) == without_wall_fields(in_order)
    thrown = set(phase_pngs("ascent") + phase_pngs("capture"))
    assert not thrown & set(pngs(tmp_path / "wrong"))   # the plots of phases thrown away went with them
    campaign_plots(result, missing_only=True)           # what `msr run` draws after the campaign
    assert pngs(tmp_path / "wrong") == in_order_plots


FLY = ("import sys; from pathlib import Path; from sim.campaign.runner import run_campaign; "
       "run_campaign(1, Path(sys.argv[1]), protection=False, ahead=True, resume=sys.argv[2] == 'resume', plots=True)")


def _flying_ahead(pid_file: Path) -> bool:
    """The process flying ahead (its pid in `pid_file`) still runs: neither gone nor a zombie
    (a forked child its killed parent left is reaped by init)."""
    try:
        stat = Path(f"/proc/{int(pid_file.read_text())}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.timeout(1800)
def test_killed_while_flying_ahead_unprotected_resumes_to_the_bytes_of_flying_in_order(tmp_path):
    """SIGKILL while the landing flies and the ascent is flown ahead: the child goes with the
    campaign, the resume throws away what was flown ahead and ends with the bytes (and the
    summary) of an uninterrupted unprotected campaign flown in order; the phases flown ahead
    carried --no-protection."""
    ref_result = run_campaign(1, tmp_path / "ref", protection=False)
    ref = ref_result.summary
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-c", FLY, str(out), "fresh"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ahead_log = out / "phases" / AHEAD_DIR / "ascent" / "telemetry.bin"
    deadline = time.monotonic() + 900
    while not (ahead_log.exists() and ahead_log.stat().st_size > 0):     # the ascent flown ahead
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    assert rundir.read_manifest(out)["phases_complete"] == []             # the landing in flight
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    plan = out / "phases" / AHEAD_DIR / "plan.json"
    assert json.loads(plan.read_text())["protection"] is False
    deadline = time.monotonic() + 30
    while _flying_ahead(out / "phases" / AHEAD_DIR / CHILD_PID):           # it ends with its parent
        assert time.monotonic() < deadline, "the process flying ahead outlived the campaign"
        time.sleep(0.1)
    subprocess.run([sys.executable, "-c", FLY, str(out), "resume"], check=True, timeout=900)
    again = json.loads((out / rundir.SUMMARY).read_text())
    assert again["telemetry_sha256"] == ref["telemetry_sha256"]
    assert without_wall_fields(again) == without_wall_fields(ref)
    assert not again["protection"]["installed"] and not (out / "phases" / AHEAD_DIR).exists()
    campaign_plots(ref_result)                          # plots missing after the resume: none
    assert pngs(out) == pngs(tmp_path / "ref") and len(pngs(out)) == 8
