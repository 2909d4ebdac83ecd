"""Run the campaign: landing, tube delivery, ascent, capture, one SIL phase after another.

Each phase is a scenario deployment (`sim.deployment.run_scenario`) with its own seed drawn
from the campaign seed, writing its run directory under `phases/`; each phase's results
become the next one's overrides (`chain`). Quiet periods between phases (cruise, the wait
on the surface, Earth return) are not simulated tick by tick: they appear on the timeline,
compressed. The campaign's telemetry log is the phases' CCSDS logs in phase order (the
vehicles have distinct APIDs), with one dictionary for all of them.
"""
from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from fsw.core.eventlog import read_event_log
from fsw.link.dictionary import Dictionary
from sim import rundir
from sim import registry
from sim.deployment import (DICTIONARY, EVENT_LOG, TELEMETRY_LOG, ScenarioError, run_scenario,
                            sha256_file, validate_overrides)
from sim.report.campaign_plots import TIMELINE, campaign_jobs, phase_pngs

from . import chain
from .ahead import FlightAhead, discard as discard_ahead

DAY_S = 86_400.0


@dataclass(frozen=True)
class Phase:
    name: str
    scenario: str
    title: str
    quiet_before: tuple[str, float]   # what happens, compressed, before this phase (label, s)
    inputs: Callable[[Mapping[str, Mapping[str, Any]]], dict[str, Any]]
    # from this phase's own campaign overrides alone (never from what earlier phases give it),
    # the summary (what the next phase reads of it) it ends with if all goes to plan: lets
    # the phases after it fly ahead on another core from the campaign's start (ahead.py),
    # each of them reading only the summary of the phase before it (as PHASES' inputs do)
    predict: Callable[[Mapping[str, Any]], dict[str, Any]] | None = None


PHASES: tuple[Phase, ...] = (
    Phase("landing", "landing", "SRL entry, descent and landing on a safe site",
          ("cruise to Mars", 220 * DAY_S), lambda s: {}),
    Phase("delivery", "fetch", "tubes brought to the lander and sealed in the OS",
          ("lander checkout on the surface", 14 * DAY_S), lambda s: chain.after_landing(s["landing"]),
          predict=chain.predict_delivery),
    Phase("ascent", "ascent", "MAV conditioning, checkout, launch, ascent, OS release",
          ("MAV thermal conditioning wait", 30 * DAY_S), lambda s: chain.after_fetch(s["delivery"])),
    Phase("capture", "capture", "ERO search, rendezvous, capture, containment, EEV release",
          ("ERO phasing towards the OS", 3 * DAY_S), lambda s: chain.after_ascent(s["ascent"])),
)


@dataclass
class CampaignResult:
    summary: dict[str, Any]
    out_dir: Path
    phase_dirs: dict[str, Path] = field(default_factory=dict)


def phase_seeds(seed: int, n: int) -> list[int]:
    """Independent, reproducible phase seeds from the campaign seed."""
    return [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(seed).spawn(n)]


def key_events(path: Path, limit: int = 40) -> list[dict[str, Any]]:
    """Mode changes and warnings of a phase, for the timeline."""
    out = []
    for rec in read_event_log(path.read_bytes()):
        if rec["event"] == "MODE_CHANGED" or rec["severity"] in ("WARNING_HI", "FATAL"):
            args = rec["args"]
            text = (f"{args.get('source')} -> {args.get('dest')}" if rec["event"] == "MODE_CHANGED"
                    else rec["event"] + (": " + ", ".join(f"{k}={v}" for k, v in args.items()) if args else ""))
            out.append({"t_s": rec["t_ns"] / 1e9, "component": rec["component"], "event": rec["event"],
                        "text": text})
    if len(out) > limit:
        out = out[: limit // 2] + out[-limit // 2:]
    return out


def merge_logs(out_dir: Path, phase_dirs: list[Path]) -> str:
    """Concatenate the phases' telemetry and event logs; one dictionary for all vehicles.
    Each file is replaced whole (temporary name, fsync, rename)."""
    vehicles = []
    tm_tmp, ev_tmp = out_dir / f".{TELEMETRY_LOG}.tmp", out_dir / f".{EVENT_LOG}.tmp"
    with open(tm_tmp, "wb") as tm, open(ev_tmp, "wb") as ev:
        for d in phase_dirs:
            if not (d / TELEMETRY_LOG).exists():
                continue
            tm.write((d / TELEMETRY_LOG).read_bytes())
            ev.write((d / EVENT_LOG).read_bytes())
            vehicles.extend(v for v in Dictionary.from_json((d / DICTIONARY).read_text()).vehicles
                            if v not in vehicles)   # a vehicle flying two phases is one entry
        rundir.sync_stream(tm)
        rundir.sync_stream(ev)
    os.replace(tm_tmp, out_dir / TELEMETRY_LOG)
    os.replace(ev_tmp, out_dir / EVENT_LOG)
    rundir.atomic_write(out_dir / DICTIONARY, Dictionary(tuple(vehicles)).to_json())
    return sha256_file(out_dir / TELEMETRY_LOG)


FIGURES = {  # phase -> figure name -> dotted path in that phase's summary
    "landing": {"chosen_site": "chosen_site", "site_safety": "site_safety",
                "touchdown_error_m": "touchdown.error_from_site_m",
                "touchdown_vertical_mps": "touchdown.vertical_speed_mps",
                "touchdown_horizontal_mps": "touchdown.horizontal_speed_mps",
                "touchdown_xy_m": "touchdown_xy_m", "propellant_used_kg": "propellant_used_kg",
                "entry_speed_mps": "edl.entry_speed_mps", "peak_decel_g": "edl.peak_decel_g",
                "parachute_deploy_mach": "edl.parachute_deploy_mach",
                "parachute_deploy_alt_km": "edl.parachute_deploy_alt_km", "trn_error_m": "edl.trn_error_m",
                "entry_to_touchdown_s": "edl.entry_to_touchdown_s"},
    "delivery": {"delivery": "delivery", "tubes_collected": "tubes_collected",
                 "tubes_delivered": "tubes_delivered", "distance_driven_m": "distance_driven_m",
                 "hazards_entered": "hazards_entered"},
    "ascent": {"periapsis_km": "periapsis_km", "apoapsis_km": "apoapsis_km",
               "inclination_deg": "inclination_deg", "periapsis_error_km": "periapsis_error_km",
               "apoapsis_error_km": "apoapsis_error_km", "inclination_error_deg": "inclination_error_deg",
               "delta_v_sensed_mps": "delta_v_sensed_mps", "os_released": "os_released"},
    "capture": {"detection_range_km": "detection_range_m", "approach_delta_v_mps": "approach_delta_v_mps",
                "closing_speed_mps": "closing_speed_mps", "capture_offset_m": "capture_offset_m",
                "retries": "retries", "eev_released": "eev_released"},
}


def figures(summaries: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The headline figures of each vehicle phase (as the vehicle issues define them)."""
    out: dict[str, Any] = {}
    for phase, wanted in FIGURES.items():
        got = {name: chain.first(summaries.get(phase, {}), path) for name, path in wanted.items()}
        if got.get("detection_range_km") is not None:
            got["detection_range_km"] = round(got["detection_range_km"] / 1e3, 1)
        out[phase] = {k: v for k, v in got.items() if v is not None}
    return out


def protection_totals(summaries: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The campaign's `protection` section: every phase's, added up (installed only if in all)."""
    sections = {name: s.get("protection") or {} for name, s in summaries.items()}
    totals = {key: sum(int(p.get(key) or 0) for p in sections.values())  # integer sum
              for key in ("trips", "step_faults", "restarts", "checkpoints")}
    totals["checkpoint_store"] = "/".join(sorted({str(p.get("checkpoint_store")) for p in sections.values()}))
    return {"installed": bool(sections) and all(p.get("installed") for p in sections.values()), **totals,
            "step_fault_lines": [f"{n}: {line}" for n, p in sections.items() for line in p.get("step_fault_lines", [])],
            "monitors_tripped": {f"{n}.{m}": k for n, p in sections.items()
                                 for m, k in (p.get("monitors_tripped") or {}).items()},
            "phases": {n: {k: p.get(k) for k in ("installed", "trips", "step_faults", "restarts")}
                       for n, p in sections.items()}}


KIND = "campaign"
# Summary fields measured on the wall clock: the only ones in which two runs of the same
# campaign (one of them resumed) may differ. "phases.wall_time_s" is each phase row's.
WALL_FIELDS = ("wall_time_s", "phases.wall_time_s")
OUTPUTS = (TELEMETRY_LOG, EVENT_LOG, DICTIONARY, rundir.SUMMARY, rundir.MANIFEST, "phases", "plots")


class RunDirError(ScenarioError):
    """The run directory cannot be used as asked (not empty, nothing to resume, other setup)."""


def without_wall_fields(summary: Mapping[str, Any]) -> dict[str, Any]:
    """The summary less its WALL_FIELDS: equal for an interrupted-and-resumed run and an
    uninterrupted one of the same seed and overrides."""
    out = {k: v for k, v in summary.items() if k not in WALL_FIELDS}
    out["phases"] = [{k: v for k, v in row.items() if f"phases.{k}" not in WALL_FIELDS}
                     for row in summary.get("phases", [])]
    return out


def resume_setup(out_dir: Path) -> tuple[int, dict[str, dict[str, Any]], bool]:
    """(seed, overrides, protection) of the campaign whose run directory is `out_dir` (for --resume)."""
    manifest = rundir.read_manifest(Path(out_dir))
    if manifest is None or manifest.get("kind") != KIND:
        raise RunDirError(f"{out_dir}: no campaign run directory to resume (no readable {rundir.MANIFEST})")
    setup = manifest["setup"]
    return (int(setup["seed"]), {k: dict(v) for k, v in setup["overrides"].items()},
            bool(setup.get("protection", True)))


def _prepare(out_dir: Path, setup: dict[str, Any], resume: bool, force: bool) -> tuple[dict[str, Any], list[str]]:
    """The run directory's manifest and the phases already complete in it."""
    if resume:
        manifest = rundir.read_manifest(out_dir)
        if manifest is None or manifest.get("kind") != KIND:
            raise RunDirError(f"{out_dir}: no campaign run directory to resume (no readable {rundir.MANIFEST})")
        if rundir.dump_json(manifest.get("setup")) != rundir.dump_json(setup):
            raise RunDirError(f"{out_dir} holds another campaign ({json.dumps(manifest.get('setup'), sort_keys=True)}); "
                              "resume it with its own seed and overrides")
        done = []
        for name in manifest.get("phases_complete", []):
            if not rundir.is_complete(out_dir / "phases" / name, "sil"):
                break
            done.append(name)
        for name in [p for p in setup["phases"] if p not in done]:    # to be flown again: so drawn again
            for png in phase_pngs(name) + [TIMELINE]:
                (out_dir / "plots" / png).unlink(missing_ok=True)
        return {**manifest, "state": rundir.RUNNING, "phases_complete": done}, done
    if out_dir.is_dir() and any(out_dir.iterdir()) and not force:
        raise RunDirError(f"run directory {out_dir} is not empty: --force replaces the campaign "
                          "in it, --resume finishes the one it holds")
    manifest = rundir.begin(out_dir, KIND, setup, phases_complete=[])   # the old run is void from here
    for name in OUTPUTS:        # only what a campaign writes; anything else stays
        path = out_dir / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists() and name != rundir.MANIFEST:
            path.unlink()
    return manifest, []


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
    manifest, done = _prepare(out_dir, setup, resume, force)
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
        result = _conclude(out_dir, seed, seeds, phases, summaries, timeline, phase_dirs, protection, wall0)
        if drawing is not None:
            drawing.join_plots(campaign_jobs(phase_dirs, result.summary, out_dir / "plots"))
    finally:
        if drawing is not None:
            drawing.close(out_dir)
        discard_ahead(out_dir)
    rundir.finish(out_dir, manifest, result.summary, [TELEMETRY_LOG, EVENT_LOG, DICTIONARY])
    return result


def _conclude(out_dir: Path, seed: int, seeds: Sequence[int], phases: Sequence[Phase],
              summaries: Mapping[str, Mapping[str, Any]], timeline: list[dict[str, Any]],
              phase_dirs: dict[str, Path], protection: bool, wall0: float) -> CampaignResult:
    """The campaign's merged logs and its summary, from the phases flown."""
    t_campaign = timeline[-1]["end_s"] if timeline else 0.0
    sha = merge_logs(out_dir, [phase_dirs[p] for p in phase_dirs])
    custody = chain.custody(summaries)
    flown = [p.name for p in phases if p.name in summaries]
    custody_ok = bool(custody["loaded"]) and all(
        custody[k] == custody["loaded"] for k in ("in_orbit", "captured", "contained", "in_eev"))
    success = len(flown) == len(phases) and all(s.get("success") for s in summaries.values()) and custody_ok
    summary = {
        "seed": seed,
        "phase_seeds": dict(zip(flown, seeds)),
        "telemetry_sha256": sha,
        "phases": [{"phase": n, "scenario": summaries[n]["scenario"], "success": bool(summaries[n].get("success")),
                    "sim_time_s": summaries[n].get("sim_time_s"), "wall_time_s": summaries[n].get("wall_time_s"),
                    "telemetry_sha256": summaries[n].get("telemetry_sha256")} for n in flown],
        "custody": custody,
        "custody_consistent": custody_ok,
        "figures": figures(summaries),
        "timeline": timeline,
        "protection": protection_totals(summaries),
        "campaign_time_days": round(t_campaign / DAY_S, 3),
        "wall_time_s": round(time.perf_counter() - wall0, 3),
        "success": success,
    }
    return CampaignResult(summary, out_dir, phase_dirs)


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
