"""Run the campaign: landing, tube delivery, ascent, capture, one SIL phase after another.

The phases (`phases.py`) fly in order, each into its run directory under `phases/`, each
given what the one before it ended with (`chain`); with `ahead`, those after a phase that
predicts its outcome fly meanwhile on a second core (`ahead.py`). The run directory
(`campaign_dir.py`) says which phases are complete, so an interrupted campaign resumes where
it stopped; the merged logs and the summary (`results.py`) are written last.
"""
from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from sim import rundir
from sim import registry
from sim.deployment import EVENT_LOG, DICTIONARY, TELEMETRY_LOG, ScenarioError, run_scenario, validate_overrides
from sim.report.campaign_plots import campaign_jobs

from . import chain
from .ahead import FlightAhead, discard as discard_ahead
from .campaign_dir import KIND, prepare
from .phases import PHASES, Phase, phase_seeds
from .results import CampaignResult, conclude, key_events


def run_campaign(seed: int, out_dir: Path, *, overrides: Mapping[str, Mapping[str, Any]] | None = None,
                 on_phase: Callable[[Phase, int, float], Any] | None = None,
                 phases: Sequence[Phase] = PHASES, resume: bool = False,
                 force: bool = False, protection: bool = True, ahead: bool = False,
                 plots: bool = False) -> CampaignResult:
    """Fly every phase in order; `overrides[phase]` adds scenario overrides for that phase.

    `on_phase(phase, seed, duration_s)` may return a clock observer (a progress bar). The run
    directory must be empty unless `force` (replace the campaign in it) or `resume` (finish
    it: phases it completed are read back, the first one it did not is flown again). Its
    manifest says whether it is complete; summary.json is written last.
    `protection=False` flies every phase without fault protection (said in the summaries and
    kept in the manifest's setup, so a resume flies the same way). With `ahead` (the default
    campaign on two cores or more), the phases after one that predicts its outcome fly ahead
    in a second process from the campaign's start and are taken when the prediction held
    (`ahead.py`): the same bytes, in less wall time. With `plots` too, that process draws the
    campaign's plots in its idle time, each as soon as its phase is complete, and the campaign
    ends with them drawn; without a process flying ahead (or with its phases thrown away),
    `plots` draws none here: the caller draws them after (`campaign_plots(missing_only=True)`)."""
    out_dir = Path(out_dir)
    overrides = {k: dict(v) for k, v in (overrides or {}).items()}
    unknown = set(overrides) - {p.name for p in phases}
    if unknown:
        raise ScenarioError(f"unknown campaign phase(s) {sorted(unknown)}; phases: {[p.name for p in phases]}")
    for phase in phases:   # every phase's overrides checked before the first one flies (or a file is touched)
        try:
            validate_overrides(phase.scenario, overrides.get(phase.name, {}))
        except ScenarioError as exc:
            raise ScenarioError(f"phase {phase.name}: {exc}") from None
    setup = {"seed": seed, "overrides": overrides, "phases": [p.name for p in phases]}
    if not protection:
        setup["protection"] = False     # only when off: a protected campaign's setup is as before
    manifest, done = prepare(out_dir, setup, resume, force)
    if resume and rundir.is_complete(out_dir, KIND):
        return CampaignResult(json.loads((out_dir / rundir.SUMMARY).read_text()), out_dir,
                              {n: out_dir / "phases" / n for n in done})
    seeds = phase_seeds(seed, len(phases))
    summaries: dict[str, dict[str, Any]] = {}
    timeline: list[dict[str, Any]] = []
    phase_dirs: dict[str, Path] = {}
    wall0 = time.perf_counter()
    discard_ahead(out_dir)                     # what an interrupted campaign flew ahead
    drawing: FlightAhead | None = None
    try:
        drawing = _fly_all(out_dir, phases, seeds, done, overrides, on_phase, manifest, summaries, timeline,
                           phase_dirs, protection, ahead=ahead and phases is PHASES and (os.cpu_count() or 1) > 1,
                           plots=plots)
        if drawing is not None:
            drawing.end(timeline)
        result = conclude(out_dir, seed, seeds, phases, summaries, timeline, phase_dirs, protection, wall0)
        if drawing is not None:
            drawing.join_plots(campaign_jobs(phase_dirs, result.summary, out_dir / "plots"))
    finally:
        if drawing is not None:
            drawing.close(out_dir)
        discard_ahead(out_dir)
    rundir.finish(out_dir, manifest, result.summary, [TELEMETRY_LOG, EVENT_LOG, DICTIONARY])
    return result


def _fly_all(out_dir: Path, phases: Sequence[Phase], seeds: Sequence[int], done: Sequence[str],
             overrides: Mapping[str, Mapping[str, Any]], on_phase: Callable[[Phase, int, float], Any] | None,
             manifest: dict[str, Any], summaries: dict[str, dict[str, Any]], timeline: list[dict[str, Any]],
             phase_dirs: dict[str, Path], protection: bool, ahead: bool, plots: bool = False) -> FlightAhead | None:
    """The phases in order (each read back from its directory), until one fails; with
    `ahead`, those after a predicting phase fly ahead meanwhile (taken if the prediction held).
    Returns the process flying ahead if it is still drawing plots (`plots`), else None."""
    t_campaign = 0.0
    flight_ahead = _start_ahead(out_dir, phases, seeds, done, overrides, protection, plots) if ahead else None
    try:
        for i, (phase, pseed) in enumerate(zip(phases, seeds)):
            label, quiet_s = phase.quiet_before
            timeline.append({"phase": label, "compressed": True, "start_s": t_campaign,
                             "end_s": t_campaign + quiet_s})
            t_campaign += quiet_s
            pdir = out_dir / "phases" / phase.name
            extra = overrides.get(phase.name, {})
            if phase.name not in done:
                if flight_ahead is not None and flight_ahead.install(phase.name, pdir):
                    _show(phase, pseed, pdir, on_phase)
                else:
                    fly_phase(phase, pseed, pdir, summaries, extra, on_phase, protection)
                manifest["phases_complete"].append(phase.name)
                rundir.update(out_dir, manifest)
            # read back from disk either way, so a resumed campaign sees exactly what it wrote
            summary = json.loads((pdir / rundir.SUMMARY).read_text())
            summaries[phase.name] = summary
            if flight_ahead is not None:
                flight_ahead.phase_done(phase.name)     # its plots may be drawn (and it is awaited)
            if flight_ahead is not None and flight_ahead.taken is None and phase.name == flight_ahead.current:
                nxt = phases[i + 1]
                extra_next = overrides.get(nxt.name, {})
                flight_ahead.decide(bool(summary.get("success")) and phase_values(nxt, summaries, extra_next)
                                    == phase_values(nxt, flight_ahead.predicted, extra_next))
            phase_dirs[phase.name] = pdir
            sim_s = float(summary.get("sim_time_s", 0.0))
            timeline.append({"phase": phase.name, "title": phase.title, "compressed": False,
                             "start_s": t_campaign, "end_s": t_campaign + sim_s,
                             "success": bool(summary.get("success")),
                             "events": key_events(pdir / EVENT_LOG) if (pdir / EVENT_LOG).exists() else []})
            t_campaign += sim_s
            if not summary.get("success"):
                break  # a failed phase ends the campaign: later vehicles have nothing to fly
    except BaseException:
        if flight_ahead is not None:
            flight_ahead.close(out_dir)
        raise
    if flight_ahead is not None and not flight_ahead.drawing:
        flight_ahead.close(out_dir)
        return None
    return flight_ahead


def _start_ahead(out_dir: Path, phases: Sequence[Phase], seeds: Sequence[int], done: Sequence[str],
                 overrides: Mapping[str, Mapping[str, Any]], protection: bool,
                 plots: bool = False) -> FlightAhead | None:
    """From the campaign's start, fly the phases after the first predicting phase not yet
    complete, from its predicted summary (made from its own overrides: nothing an earlier
    phase gives it), while it and the phases before it fly here. None if there is none, or
    it cannot predict (its inputs are refused, and flying it will say so)."""
    for i, phase in enumerate(phases[:-1]):
        if phase.name in done or phase.predict is None:
            continue
        try:
            predicted = phase.predict(dict(overrides.get(phase.name, {})))
        except Exception:
            return None
        return FlightAhead(out_dir, [p.name for p in phases[i + 1:]], seeds[i + 1:], {}, phase.name,
                           predicted, overrides, protection, plots)
    return None


def _show(phase: Phase, pseed: int, pdir: Path, on_phase: Callable[[Phase, int, float], Any] | None) -> None:
    """A phase flown ahead, on the progress display: announced, and at its end."""
    if on_phase is None:
        return
    summary = json.loads((pdir / rundir.SUMMARY).read_text())
    module = registry.scenario(phase.scenario)
    values = summary.get("inputs", {})
    duration = module.duration_s(values) if module.duration_s is not None else 0.0
    observer = on_phase(phase, pseed, float(duration))
    if callable(getattr(observer, "advance_to", None)):
        observer.advance_to(int(round(float(summary.get("sim_time_s") or 0.0) * 1e9)))


def phase_values(phase: Phase, summaries: Mapping[str, Mapping[str, Any]], extra: Mapping[str, Any]) -> dict[str, Any]:
    """The overrides a phase flies with: what the chain gives it (that its scenario declares),
    then the campaign's own overrides for it."""
    values = chain.accepted(registry.scenario(phase.scenario), phase.inputs(summaries))
    values.update(extra)
    return values


def fly_phase(phase: Phase, pseed: int, pdir: Path, summaries: Mapping[str, Mapping[str, Any]],
              extra: Mapping[str, Any], on_phase: Callable[[Phase, int, float], Any] | None,
              protection: bool = True) -> None:
    """Fly one phase into a fresh `pdir`, which ends complete with its summary.json."""
    if pdir.exists():
        shutil.rmtree(pdir)     # what an interrupted attempt left
    module = registry.scenario(phase.scenario)
    values = phase_values(phase, summaries, extra)
    duration = module.duration_s(values) if module.duration_s is not None else 0.0
    observer = on_phase(phase, pseed, float(duration)) if on_phase else None
    if module.summarize is not None:
        run_scenario(module, seed=pseed, out_dir=pdir, overrides=values,
                     observers=(observer,) if observer is not None else (), extra_summary={"inputs": values},
                     protection=protection)
    else:  # a scenario not yet on the deployment split: no logs to merge from it
        manifest = rundir.begin(pdir, "sil", {"scenario": phase.scenario, "seed": pseed, "overrides": values})
        summary = module.fly(seed=pseed, out_dir=pdir, overrides=values)
        rundir.finish(pdir, manifest, {**summary, "inputs": values}, [])
