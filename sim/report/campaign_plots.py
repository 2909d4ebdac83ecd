"""Which plots a campaign draws, and drawing them wherever a core is idle.

A phase's plots are a function of its run directory alone (truth, artifacts, summary; never a
wall-clock field), so they may be drawn by any process as soon as the phase is complete where
it is read from, and give the same PNG bytes: `msr run` draws them after the campaign, or the
process flying ahead (`sim/campaign/ahead.py`) draws them in its idle time while the delivery
still flies. Every PNG is written whole (temporary name, rename): a plot that exists is complete.
Two processes drawing from one list claim each plot first (a file made with O_EXCL), so none is
drawn twice; whoever draws last draws what is still missing, claimed or not (a claimant that
was stopped leaves its plot missing, never half written).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, NamedTuple

from . import plots as P

TIMELINE = "campaign_timeline.png"
PHASE_PLOTS: dict[str, tuple[tuple[Callable[[Path, Path], Path], str], ...]] = {
    "landing": ((P.landing_map, "landing_safety_map.png"), (P.edl_profile, "landing_edl_profile.png"),
                (P.edl_ground_track, "landing_ground_track.png"), (P.trn_fixes, "landing_trn_fixes.png")),
    "delivery": ((P.rover_traverse, "rover_traverse.png"),),
    "ascent": ((P.mav_ascent, "mav_ascent.png"),),
    "capture": ((P.ero_approach, "ero_approach.png"),),
}


class Job(NamedTuple):
    draw: Callable[[Any, Path], Path]
    source: Any          # the phase's run directory, or the campaign summary (the timeline)
    out: Path


def phase_jobs(phase: str, source: Path, plots_dir: Path) -> list[Job]:
    """The plots of one phase, read from `source`, written into `plots_dir`."""
    return [Job(fn, Path(source), Path(plots_dir) / name) for fn, name in PHASE_PLOTS.get(phase, ())]


def phase_pngs(phase: str) -> list[str]:
    return [name for _, name in PHASE_PLOTS.get(phase, ())]


def campaign_jobs(phase_dirs: Mapping[str, Path], summary: Mapping[str, Any], plots_dir: Path) -> list[Job]:
    """Every plot of a campaign: each flown phase's, then the timeline."""
    jobs = [job for phase, d in phase_dirs.items() for job in phase_jobs(phase, d, plots_dir)]
    return jobs + [Job(P.timeline, summary, Path(plots_dir) / TIMELINE)]


def claim(claims: Path, job: Job) -> bool:
    """True for the one process that may draw `job` (among those sharing `claims`)."""
    try:
        os.close(os.open(claims / job.out.name, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        return True
    except FileExistsError:
        return False


def draw(job: Job) -> Path:
    job.out.parent.mkdir(parents=True, exist_ok=True)
    return job.draw(job.source, job.out)


def draw_missing(jobs: Iterable[Job], workers: int = 1) -> list[Path]:
    """Draw the plots of `jobs` that do not exist yet; returns every job's path. With `workers`
    > 1 they are drawn in that many forked processes, the same files either way."""
    jobs = list(jobs)
    todo = [job for job in jobs if not job.out.exists()]
    if workers <= 1 or len(todo) < 2:
        for job in todo:
            draw(job)
        return [job.out for job in jobs]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    todo.sort(key=lambda job: job.draw is not P.ero_approach)      # the longest first
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        for future in [pool.submit(draw, job) for job in todo]:
            future.result()
    return [job.out for job in jobs]


def campaign_plots(result: Any, workers: int = 1, missing_only: bool = False) -> list[Path]:
    """Write every campaign plot that has a phase behind it; returns the paths. With
    `missing_only`, those already drawn (ahead, or before an interruption) are kept."""
    plots_dir = Path(result.out_dir) / "plots"
    jobs = campaign_jobs(result.phase_dirs, result.summary, plots_dir)
    if not missing_only:
        for job in jobs:
            job.out.unlink(missing_ok=True)
    return draw_missing(jobs, workers)
