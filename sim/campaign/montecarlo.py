"""The whole campaign as a Monte Carlo scenario: `msr montecarlo campaign --runs N`.

Each run flies every phase (`sim.campaign.run_campaign`) with its own campaign seed and
each phase's dispersed overrides; the campaign runner's chaining carries the dispersed
outcome on (the landing's touchdown to the delivery, the sealed tubes to the MAV, the
released OS to the ERO). The dispersion file has a table per phase:

    scenario = "campaign"
    [dispersions.landing]
    "entry_fpa_deg" = { dist = "truncnorm", mean = -15.8, sigma = 0.033, lo = -15.9, hi = -15.7 }
    [dispersions.ascent]
    "mav.stage1_thrust_scale" = { dist = "truncnorm", mean = 1.0, sigma = 0.01, lo = 0.97, hi = 1.03 }

so a run's inputs are "PHASE.KEY" overrides. A key a phase receives from the one before
(delivery's `lander_xy_m`, the ascent's `tube_ids`, ...) cannot be dispersed: the chain
sets it. The report adds per-phase success, the distribution of tubes reaching the Earth
Entry Vehicle and the phase where each failed run failed; `msr run --seed S --dispersion F
--run k` reproduces run k.

`CampaignMonteCarlo(phases)` makes the same for other phase lists (the tests' short one);
its `scenario()` is the registry declaration (`SCENARIO` here, entry point `campaign`).
"""
from __future__ import annotations

import collections
import dataclasses
import re
import tempfile
from pathlib import Path
from typing import Any, Mapping, Sequence

from fsw.vehicle import Vehicle
from sim import registry, rundir
from sim.campaign import results, runner
from sim.campaign.phases import PHASES, Phase
from sim.montecarlo.dispersions import DispersionError, DispersionSet
from sim.montecarlo.statistics import describe
from sim.scenario_params import ScenarioError, ScenarioParam

CUSTODY_STAGES = ("delivered", "loaded", "in_orbit", "captured", "contained", "in_eev")
CRASH = re.compile(r"campaign phase (\w+) raised")


class CampaignPhaseError(RuntimeError):
    """A phase raised: the message names it, so a crashed run says where it crashed."""


def split_inputs(inputs: Mapping[str, Any], phases: Sequence[Phase] = PHASES) -> dict[str, dict[str, Any]]:
    """{"landing.start_x_m": v} -> {"landing": {"start_x_m": v}} (phases in campaign order)."""
    names = [p.name for p in phases]
    out: dict[str, dict[str, Any]] = {}
    for key in sorted(inputs):
        phase, dot, name = key.partition(".")
        if not dot or phase not in names:
            raise DispersionError(f"{key!r}: campaign inputs are PHASE.KEY, phases {', '.join(names)}")
        out.setdefault(phase, {})[name] = inputs[key]
    return {p: out[p] for p in names if p in out}


class CampaignMonteCarlo:
    """A Monte Carlo scenario (sim.registry.Scenario, with the report hooks) of a campaign
    of `phases`."""

    def __init__(self, phases: Sequence[Phase] = PHASES, name: str = "campaign") -> None:
        self.phases = tuple(phases)
        self.name = name

    # ------------------------------------------------------------ what a file may disperse
    def _scenario(self, phase: Phase) -> registry.Scenario:
        return registry.scenario(phase.scenario)

    def chained(self, phase: Phase) -> set[str]:
        """Keys the phase receives from the phases before it (probed with empty summaries)."""
        try:
            return set(phase.inputs(collections.defaultdict(dict)))
        except Exception:           # an input function that needs real summaries: none known
            return set()

    def params(self) -> tuple[ScenarioParam, ...]:
        """Each phase's declared parameters as PHASE.KEY (less the keys the chain sets)."""
        out = []
        for p in self.phases:
            chained = self.chained(p)
            out += [dataclasses.replace(param, name=f"{p.name}.{param.name}")
                    for param in self._scenario(p).params if param.name not in chained]
        return tuple(sorted(out, key=lambda param: param.name))

    def parameters(self) -> list[str]:
        return [param.name for param in self.params()]

    def prefixes(self) -> tuple[str, ...]:
        return tuple(f"{p.name}.{prefix}" for p in self.phases for prefix in self._scenario(p).prefixes)

    def check_overrides(self, overrides: Mapping[str, Any]) -> None:
        """PHASE.KEY names, and each phase's values through its own declaration: what the
        campaign runner refuses before the first phase flies, refused here before any run."""
        try:
            by_phase = split_inputs(overrides, self.phases)
        except DispersionError as exc:
            raise ScenarioError(str(exc)) from None
        for p in self.phases:
            values = by_phase.get(p.name)
            if not values:
                continue
            chained = sorted(self.chained(p) & set(values))
            if chained:
                raise ScenarioError(f"{p.name}.{chained[0]}: set by the phase before {p.name} (the campaign chains it)")
            try:
                self._scenario(p).check_overrides(values)
            except ScenarioError as exc:
                raise ScenarioError(f"phase {p.name}: {exc}") from None

    def check_dispersions(self, d: DispersionSet) -> None:
        """Refuse keys the chain sets (the message says which phase sets them)."""
        names = {p.name: p for p in self.phases}
        for key in sorted({*d.dists, *d.fixed}):
            phase, _, name = key.partition(".")
            if phase in names and name in self.chained(names[phase]):
                raise DispersionError(f"{d.source}: {key!r} is set by the phase before {phase} (the campaign "
                                      "chains it); disperse what causes it instead")
            if phase not in names:
                raise DispersionError(f"{d.source}: {key!r} names no phase; phases: {', '.join(names)}")

    # ------------------------------------------------------------ one run
    def run(self, *, seed: int, out_dir: Path | None, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Fly the campaign of `seed` with the PHASE.KEY overrides; the summary a Monte Carlo
        record is made of (per-phase success, tube counts, figures, failed phase)."""
        by_phase = split_inputs(dict(overrides or {}), self.phases)
        with tempfile.TemporaryDirectory(prefix="mc-campaign-") as scratch:
            where = Path(out_dir) if out_dir is not None else Path(scratch) / "campaign"
            try:
                result = runner.run_campaign(seed, where, overrides=by_phase, phases=self.phases, force=True)
            except Exception as exc:
                phase = self._phase_in_flight(where)
                raise CampaignPhaseError(f"campaign phase {phase} raised: {type(exc).__name__}: {exc}") from exc
        return outcome(result.summary, self.phases)

    def _phase_in_flight(self, where: Path) -> str:
        """The phase a campaign that raised was at: the first its manifest does not list as
        complete ("setup" before the manifest was written: refused inputs)."""
        manifest = rundir.read_manifest(where)
        if manifest is None:
            return "setup"
        done = set(manifest.get("phases_complete") or ())
        return next((p.name for p in self.phases if p.name not in done), "setup")

    # ------------------------------------------------------------ the report
    def reproduce_command(self, source: str, record: Mapping[str, Any]) -> str:
        if self.name == "campaign":
            return f"msr run --seed {record['seed']} --dispersion {source} --run {record['run']}"
        return (f"sim.montecarlo.reproduce.rerun({self.name!r}, {source!r}, run={record['run']}, "
                f"run_seed={record['seed']})")

    def failed_phase(self, record: Mapping[str, Any]) -> str | None:
        """Where a run failed: the first phase that did not succeed, "custody" when every
        phase did but the tubes do not add up, the crashed phase, or None for a success."""
        if record["success"]:
            return None
        if record["status"] == "crashed":
            m = CRASH.search(record.get("error") or "")
            return m.group(1) if m else "setup"
        return record["outputs"].get("failed_phase") or "unknown"

    def phase_outcomes(self, record: Mapping[str, Any]) -> dict[str, bool]:
        """{phase: succeeded} for the phases the run flew. A phase starts only after the one
        before succeeded, so a crashed run flew every phase up to the one that raised."""
        if record["status"] != "crashed":
            return {p.name: bool(record["outputs"][f"phases.{p.name}.success"]) for p in self.phases
                    if f"phases.{p.name}.success" in record["outputs"]}
        crashed = self.failed_phase(record)
        out: dict[str, bool] = {}
        for p in self.phases:
            if p.name == crashed:
                out[p.name] = False
                break
            out[p.name] = True
        return out if crashed in out else {}

    def describe_failure(self, record: Mapping[str, Any]) -> dict[str, Any]:
        return {"failed_phase": self.failed_phase(record),
                "tubes_in_eev": int(record["outputs"].get("tubes.in_eev") or 0)}

    def report_sections(self, records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        """Per-phase success, tubes in the EEV, and failures by phase."""
        n = len(records)
        outcomes = [self.phase_outcomes(r) for r in records]
        phases = {}
        for p in self.phases:
            flown = [o[p.name] for o in outcomes if p.name in o]
            ok = sum(1 for flew_ok in flown if flew_ok)   # integer sum: a count, printed with :d
            phases[p.name] = {"flown": len(flown), "succeeded": ok, "rate": ok / n if n else None,
                              "rate_when_flown": ok / len(flown) if flown else None}
        tubes = [int(r["outputs"].get("tubes.in_eev") or 0) for r in records]
        loaded = [int(r["outputs"].get("tubes.loaded") or 0) for r in records]
        counts = collections.Counter(tubes)
        where = collections.Counter(self.failed_phase(r) for r in records if not r["success"])
        return {
            "phases": phases,
            "end_to_end": {"succeeded": sum(bool(r["success"]) for r in records),  # integer sum
                           "rate": sum(bool(r["success"]) for r in records) / n if n else None},  # integer sum
            "tubes_in_eev": {"histogram": {str(k): counts[k] for k in sorted(counts)},
                             "all_loaded_in_eev": sum(1 for t, lo in zip(tubes, loaded) if t == lo and t > 0),  # integer sum
                             **describe(tubes)},
            "failed_in": {name: where[name] for name in [p.name for p in self.phases] + ["custody", "setup",
                                                                                          "unknown"]
                          if where[name]},
        }

    def report_lines(self, report: Mapping[str, Any]) -> list[str]:
        n = report["n_runs"]
        lines = ["  phase      flown  succeeded   rate"]
        for name, ph in report["phases"].items():
            lines.append(f"  {name:<10}{ph['flown']:6d}{ph['succeeded']:11d}   {100 * (ph['rate'] or 0):5.1f} %")
        e2e = report["end_to_end"]
        lines.append(f"  end to end{'':6}{e2e['succeeded']:11d}   {100 * (e2e['rate'] or 0):5.1f} %  of {n} runs")
        t = report["tubes_in_eev"]
        hist = ", ".join(f"{k}: {v}" for k, v in t["histogram"].items())
        lines.append(f"  tubes in the EEV: mean {t.get('mean', 0):.2f}, min {t.get('min', 0):.0f}, "
                     f"max {t.get('max', 0):.0f}; runs by count {{{hist}}}")
        if report["failed_in"]:
            lines.append("  failed in: " + ", ".join(f"{k} {v}" for k, v in report["failed_in"].items()))
        return lines

    def write_plots(self, report: Mapping[str, Any], out_dir: Path) -> list[Path]:
        from sim.montecarlo import plots
        def completed(record: dict) -> int:
            return sum(1 for ok in self.phase_outcomes(record).values() if ok)   # integer sum
        return (plots.campaign_plots(dict(report), out_dir, [p.name for p in self.phases], completed=completed)
                + plots.write_plots(dict(report), out_dir, scatter=False))

    def inputs_for_run(self, scenario: str, dispersion_file: str | Path, *, run: int, run_seed: int
                       ) -> tuple[int, dict[str, dict[str, Any]], dict[str, Any]]:
        """What reproduces run k: (campaign seed, overrides by phase, the run's flat inputs)."""
        from sim.montecarlo.reproduce import sil_inputs
        plan = sil_inputs(scenario, dispersion_file, run=run, run_seed=run_seed)
        return plan.scenario_seed, split_inputs(plan.inputs, self.phases), dict(plan.inputs)

    def summary_lines(self, summary: Mapping[str, Any]) -> list[str]:
        """One run's outcome (`outcome`): where it failed, and the tubes at each custody stage."""
        failed = summary.get("failed_phase")
        tubes = summary.get("tubes", {})
        return [f"{self.name}: {'success' if summary.get('success') else f'failed in {failed}'}",
                "  tubes: " + ", ".join(f"{stage} {tubes.get(stage, 0)}" for stage in CUSTODY_STAGES)]

    def scenario(self, key_figures: Sequence[str] = ()) -> registry.Scenario:
        """The registry's declaration of this campaign as a Monte Carlo scenario (a module
        making one of its phases declares `SCENARIO = mc.scenario(...)`)."""
        return registry.Scenario(
            self.name, Vehicle(self.name), self.summary_lines, run=self.run, params=self.params(),
            prefixes=self.prefixes(), check=self.check_overrides, key_figures=tuple(key_figures),
            wall_fields=results.WALL_FIELDS, check_dispersions=self.check_dispersions,
            reproduce_command=self.reproduce_command, describe_failure=self.describe_failure,
            report_sections=self.report_sections, report_lines=self.report_lines,
            write_plots=self.write_plots, doc=__doc__ or "")


def outcome(summary: Mapping[str, Any], phases: Sequence[Phase] = PHASES) -> dict[str, Any]:
    """A campaign summary as a Monte Carlo run's figures: the summary's own scalars and
    figures, per-phase success, tube counts at each custody stage and the failed phase."""
    rows = {row["phase"]: row for row in summary.get("phases", [])}
    failed = next((p.name for p in phases if p.name in rows and not rows[p.name]["success"]), None)
    if failed is None and not summary.get("success"):
        failed = "custody" if len(rows) == len(phases) else "unknown"
    custody = summary.get("custody", {})
    return {
        **{k: v for k, v in summary.items() if k not in ("phases", "timeline")},
        "phases": {name: {"success": bool(row["success"]), "sim_time_s": row.get("sim_time_s")}
                   for name, row in rows.items()},
        "tubes": {stage: len(custody.get(stage) or []) for stage in CUSTODY_STAGES},
        "failed_phase": failed,
    }


_CAMPAIGN = CampaignMonteCarlo()
SCENARIO = _CAMPAIGN.scenario(key_figures=(
    "tubes.in_eev", "figures.landing.touchdown_error_m", "figures.ascent.periapsis_error_km",
    "figures.capture.capture_offset_m"))


def inputs_for_run(dispersion_file: str | Path, *, run: int, run_seed: int
                   ) -> tuple[int, dict[str, dict[str, Any]], dict[str, Any]]:
    """What `msr run --seed S --dispersion FILE --run k` flies: (campaign seed, overrides by
    phase, the run's flat inputs), exactly run k of the Monte Carlo campaign."""
    return _CAMPAIGN.inputs_for_run("campaign", dispersion_file, run=run, run_seed=run_seed)
