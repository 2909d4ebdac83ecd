"""What a campaign ends with: its merged logs, its summary and the figures in it.

The campaign's telemetry log is the phases' CCSDS logs in phase order (the vehicles have
distinct APIDs), with one dictionary for all of them; the summary gathers each phase's
headline figures, the custody chain and the fault-protection totals.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from fsw.core.eventlog import read_event_log
from fsw.link.dictionary import Dictionary
from sim import rundir
from sim.deployment import DICTIONARY, EVENT_LOG, TELEMETRY_LOG, sha256_file

from . import chain
from .phases import DAY_S, Phase

# Summary fields measured on the wall clock: the only ones in which two runs of the same
# campaign (one of them resumed) may differ. "phases.wall_time_s" is each phase row's.
WALL_FIELDS = ("wall_time_s", "phases.wall_time_s")


@dataclass
class CampaignResult:
    summary: dict[str, Any]
    out_dir: Path
    phase_dirs: dict[str, Path] = field(default_factory=dict)


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


def without_wall_fields(summary: Mapping[str, Any]) -> dict[str, Any]:
    """The summary less its WALL_FIELDS: equal for an interrupted-and-resumed run and an
    uninterrupted one of the same seed and overrides."""
    out = {k: v for k, v in summary.items() if k not in WALL_FIELDS}
    out["phases"] = [{k: v for k, v in row.items() if f"phases.{k}" not in WALL_FIELDS}
                     for row in summary.get("phases", [])]
    return out


def conclude(out_dir: Path, seed: int, seeds: Sequence[int], phases: Sequence[Phase],
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
