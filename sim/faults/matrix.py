"""The fault x phase matrix: for each scenario, a nominal baseline, then one bounded SIL run per
(phase, fault), each judged on detection, response, outcome, custody and exceptions.

Row fields: detected (a FAULT_DETECTED after the injection), monitor, ticks (executive ticks
from injection to detection), response (the monitor's actions and their results), outcome
(continued / hold / safe / abort / lost vehicle: the worst vehicle mode entered after the
injection, or plant truth for a lost vehicle), tubes_lost / tubes_duplicated (against the
baseline's custody), exceptions (steps that raised other than an injected crash, or an
exception out of the run). The baseline must have no detection at all (no false alarm).
"""
from __future__ import annotations

import statistics
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any, Iterable

from sim import registry
from sim.deployment import Deployment

from .cases import ScenarioCases
from .install import table_module
from .run import FaultRun, fly_with_faults
from .spec import FaultSpec

SEVERITY = ("continued", "hold", "safe", "abort", "lost vehicle")


class MatrixError(ValueError):
    """The matrix cannot run a scenario (no cases, or the scenario is not deployable yet)."""


def scenario_cases(name: str) -> ScenarioCases:
    """The fault cases the scenario declares; MatrixError (one line) when it has none or is unknown."""
    try:
        sc = registry.scenario(name)
    except registry.RegistryError as exc:
        raise MatrixError(str(exc)) from None
    if sc.fault_cases is None:
        with_cases = [n for n in registry.scenario_names() if registry.scenario(n).fault_cases is not None]
        raise MatrixError(f"scenario {name!r} declares no fault cases (Scenario.fault_cases); "
                          f"scenarios with cases: {', '.join(with_cases)}")
    if not sc.deployable:
        raise MatrixError(f"scenario {name!r} cannot be flown with faults: it declares no plant, devices and flight")
    return sc.fault_cases


def scenario_ready(name: str) -> str | None:
    """None if the scenario can be flown with faults, else why not."""
    try:
        scenario_cases(name)
    except MatrixError as exc:
        return str(exc)
    return None


def _custody(run: FaultRun) -> dict[int, list[tuple[str, str]]]:
    """tube -> [(ledger, location)] over every ledger on board."""
    where: dict[int, list[tuple[str, str]]] = {}
    for name, ledger in run.ledgers().items():
        for tube, loc in ledger.snapshot():
            where.setdefault(tube, []).append((name, loc))
    return where


def _duplicated(tubes: dict[int, list[tuple[str, str]]], holds: dict[str, tuple[str, ...]]) -> list[int]:
    """Tubes two ledgers each place in their own hands (see ScenarioCases.holds)."""
    out = []
    for tube, views in tubes.items():
        claims = [(name, loc) for name, loc in views if name not in holds or loc in holds[name]]
        holders = [name for name, _ in claims if name in holds]
        if len({loc for _, loc in claims}) > 1 or len(holders) > 1:
            out.append(tube)
    return sorted(out)


def _outcome(run: FaultRun, cases: ScenarioCases, after_tick: int) -> tuple[str, str]:
    tables = table_module(registry.scenario(run.scenario).vehicle)
    rules = getattr(tables, "OUTCOME_MODES", {})
    worst, why = "continued", ""
    for r in run.records:
        if r.name == "MODE_CHANGED" and r.tick >= after_tick:
            o = rules.get(r.component, {}).get(r.args.get("dest"))
            if o is not None and SEVERITY.index(o) > SEVERITY.index(worst):
                worst, why = o, f"{r.component} -> {r.args.get('dest')} ({r.args.get('trigger')})"
    if cases.lost is not None and run.topology is not None:
        lost = cases.lost(run)
        if lost:
            worst, why = "lost vehicle", lost
    return worst, why


def judge(run: FaultRun, cases: ScenarioCases, baseline_tubes: dict[int, list[str]] | None) -> dict[str, Any]:
    inj = run.injector.injections[0] if run.injector.injections else None
    spec = inj.spec if inj else None
    row: dict[str, Any] = {"scenario": run.scenario, "phase": spec.when if spec else None,
                           "fault": spec.kind if spec else "none", "target": spec.target if spec else "",
                           "spec": spec.as_dict() if spec else None}
    start = inj.start_tick if inj and inj.start_tick is not None else 0
    row["injected"] = inj is not None and inj.start_tick is not None and inj.error is None
    row["injected_t_s"] = round(inj.start_ns / 1e9, 3) if inj and inj.start_ns is not None and row["injected"] else None
    row["inject_error"] = inj.error if inj else None
    det = next((r for r in run.records if r.name == "FAULT_DETECTED" and r.tick >= start), None)
    row["detected"] = det is not None
    row["monitor"] = det.args["monitor"] if det else None
    row["ticks_to_detection"] = (det.tick - start) if det else None
    row["detections"] = sorted({r.args["monitor"] for r in run.records if r.name == "FAULT_DETECTED"})
    row["response"] = [f"{r.args['action']} -> {r.args['result']}" for r in run.records
                       if r.name == "FAULT_RESPONSE" and det is not None and r.args["monitor"] == det.args["monitor"]]
    row["outcome"], row["outcome_why"] = _outcome(run, cases, start)
    row["loss_explained"] = (cases.loss_explained(row["phase"], row["fault"], row["target"])
                             if row["outcome"] == "lost vehicle" else None)
    crash = spec.target if spec and spec.kind == "crash" else None
    row["exceptions"] = [f"{r.args['component']}: {r.args['error']}: {r.args.get('message', '')} at "
                         f"{r.args.get('where', '?')}" for r in run.records
                         if r.name == "STEP_FAULT" and r.args.get("component") != crash]
    if run.unhandled:
        row["exceptions"].append("unhandled: " + run.unhandled.splitlines()[0])
    tubes = _custody(run)
    row["tubes"] = len(tubes)
    ref = set(baseline_tubes or {})
    row["tubes_lost"] = sorted(ref - set(tubes))
    row["tubes_duplicated"] = _duplicated(tubes, cases.holds) + sorted(
        {r.args.get("tube") for r in run.records if r.name == "CUSTODY_REFUSED"
         and "already registered" in str(r.args.get("reason"))})
    row["restarts"] = run.restarts
    row["restore"] = run.restore_notes
    row["final_modes"] = {k: v for k, v in run.topology.modes().items() if v is not None} if run.topology else {}
    row["sim_end_s"] = round(run.end_ns / 1e9, 3)
    return row


def _phase_times(run: FaultRun) -> dict[str, float]:
    out: dict[str, float] = {}
    for r in run.records:
        if r.name == "MODE_CHANGED":
            out.setdefault(f"{r.component}:{r.args['dest']}", r.t_ns / 1e9)
    return out


@dataclass(frozen=True)
class Case:
    scenario: str
    seed: int
    spec: FaultSpec | None
    duration_s: float | None


def run_case(case: Case) -> dict[str, Any]:
    cases = scenario_cases(case.scenario)
    dep = Deployment(case.scenario, case.seed, dict(cases.overrides))
    run = fly_with_faults(dep, [case.spec] if case.spec else [], duration_s=case.duration_s)
    return {"row": judge(run, cases, None), "tubes": _custody(run), "phase_times": _phase_times(run),
            "start_s": run.start_ns / 1e9}


def plan(scenario: str, *, quick: bool = False, phase_times: dict[str, float], seed: int = 1,
         start_s: float = 0.0) -> tuple[list[Case], list[str]]:
    cases = scenario_cases(scenario)
    todo: list[Case] = []
    skipped: list[str] = []
    for phase in cases.phases:
        if quick and phase not in cases.quick:
            continue
        if phase not in phase_times:
            skipped.append(f"{scenario} {phase}: phase not reached in the nominal run")
            continue
        for spec in cases.specs(phase):
            if quick and spec.kind in ("noise", "stuck") and not cases.quick_all_kinds:
                continue
            extra = spec.duration_s if spec.kind == "link_loss" else 0.0
            bound = phase_times[phase] - start_s + spec.delay_s + max(cases.settle_s, extra + 3.0)
            todo.append(Case(scenario, seed, spec, bound))
    return todo, skipped


def run_matrix(scenarios: Iterable[str], *, quick: bool = False, seed: int = 1, jobs: int = 1,
               progress=None) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    baselines: dict[str, Any] = {}
    skipped: list[str] = []
    for name in scenarios:
        why = scenario_ready(name)
        if why:
            skipped.append(f"{name}: {why}")
            continue
        base = run_case(Case(name, seed, None, None))
        base_tubes = base["tubes"]
        base["row"]["tubes_lost"] = []
        baselines[name] = base["row"]
        todo, skip = plan(name, quick=quick, phase_times=base["phase_times"], seed=seed, start_s=base["start_s"])
        skipped += skip
        if jobs > 1:
            with ProcessPoolExecutor(jobs) as pool:
                results = list(pool.map(run_case, todo))
        else:
            results = []
            for c in todo:
                results.append(run_case(c))
                if progress:
                    progress(results[-1]["row"])
        for res in results:
            row = res["row"]
            row["tubes_lost"] = sorted(set(base_tubes) - set(res["tubes"]))
            rows.append(row)
    return {"rows": rows, "baselines": baselines, "skipped": skipped, "figures": figures(rows, baselines)}


def figures(rows: list[dict[str, Any]], baselines: dict[str, Any]) -> dict[str, Any]:
    injected = [r for r in rows if r["injected"]]
    detected = [r for r in injected if r["detected"]]
    ticks = [r["ticks_to_detection"] for r in detected]
    outcomes = {o: sum(1 for r in injected if r["outcome"] == o) for o in SEVERITY}  # integer sum
    return {
        "runs": len(rows), "injected": len(injected), "detected": len(detected),
        "not_injected": [f"{r['scenario']} {r['phase']} {r['fault']}: {r['inject_error']}" for r in rows
                         if not r["injected"]],
        "undetected": [f"{r['scenario']} {r['phase']} {r['fault']}({r['target']})" for r in injected
                       if not r["detected"]],
        "median_ticks_to_detection": statistics.median(ticks) if ticks else None,
        "max_ticks_to_detection": max(ticks) if ticks else None,
        "outcomes": outcomes,
        "tubes_lost": sum(len(r["tubes_lost"]) for r in rows),  # integer sum
        "tubes_duplicated": sum(len(r["tubes_duplicated"]) for r in rows),  # integer sum
        "exceptions": sum(len(r["exceptions"]) for r in rows),  # integer sum
        "false_alarms": {k: b["detections"] for k, b in baselines.items() if b["detections"]},
        "lost_vehicles": [f"{r['scenario']} {r['phase']} {r['fault']}({r['target']}): {r['outcome_why']}"
                          + (f" - explained: {r['loss_explained']}" if r.get("loss_explained") else "")
                          for r in rows if r["outcome"] == "lost vehicle"],
        "unexplained_losses": [f"{r['scenario']} {r['phase']} {r['fault']}({r['target']}): {r['outcome_why']}"
                               for r in rows if r["outcome"] == "lost vehicle" and not r.get("loss_explained")],
    }


def table_lines(result: dict[str, Any]) -> list[str]:
    """The readable matrix (Markdown)."""
    head = ("| scenario | phase | fault | target | detected | monitor | ticks | response | outcome | "
            "tubes lost | dup | exceptions |")
    lines = [head, "|" + "---|" * 12]
    for r in result["rows"]:
        lines.append("| " + " | ".join(str(x) for x in (
            r["scenario"], r["phase"], r["fault"], r["target"] or "-",
            "yes" if r["detected"] else ("NOT INJECTED" if not r["injected"] else "NO"),
            r["monitor"] or "-", r["ticks_to_detection"] if r["ticks_to_detection"] is not None else "-",
            "; ".join(r["response"]) or "-", r["outcome"] + (f" ({r['outcome_why']})" if r["outcome_why"] else ""),
            len(r["tubes_lost"]), len(r["tubes_duplicated"]), len(r["exceptions"]))) + " |")
    f = result["figures"]
    lines += ["", f"faults injected {f['injected']}, detected {f['detected']}, median ticks to detection "
              f"{f['median_ticks_to_detection']}, max {f['max_ticks_to_detection']}; tubes lost {f['tubes_lost']}, "
              f"duplicated {f['tubes_duplicated']}; exceptions {f['exceptions']}; outcomes {f['outcomes']}"]
    for key, label in (("undetected", "undetected"), ("not_injected", "not injected"),
                       ("lost_vehicles", "lost vehicle"), ("unexplained_losses", "UNEXPLAINED loss")):
        lines += [f"- {label}: {x}" for x in f[key]]
    if f["false_alarms"]:
        lines.append(f"- false alarms in nominal runs: {f['false_alarms']}")
    lines += [f"- skipped: {s}" for s in result["skipped"]]
    return lines


__all__ = ["Case", "MatrixError", "SEVERITY", "figures", "judge", "plan", "run_case", "run_matrix",
           "scenario_ready", "table_lines"]
