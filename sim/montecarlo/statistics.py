"""Summaries of a batch: success rate, percentiles of key figures, outliers to retain."""
from __future__ import annotations

import math
from typing import Iterable, Mapping, Sequence

import numpy as np

PERCENTILES = (1, 5, 50, 95, 99)


def numeric(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def figure_values(records: Sequence[dict], figure: str) -> list[tuple[int, float]]:
    """(run, value) of one output over the runs that produced it."""
    return [(r["run"], float(r["outputs"][figure])) for r in records
            if numeric(r["outputs"].get(figure))]


def default_key_figures(records: Sequence[dict]) -> tuple[str, ...]:
    """Every numeric output that all non-crashed runs report."""
    ran = [r for r in records if r["status"] != "crashed"]
    if not ran:
        return ()
    common = set.intersection(*(set(k for k, v in r["outputs"].items()
                                    if numeric(v) and not k.startswith(PROTECTION)) for r in ran))
    return tuple(sorted(common))


PROTECTION = "protection."   # outputs from the run summary's protection section


def protection(records: Sequence[dict]) -> dict | None:
    """The campaign's fault-protection section: how many runs flew protected, and the monitor
    trips, step faults and warm restarts over all runs (with the runs that had any); None for
    a scenario whose runs report no protection section (not flight software)."""
    ran = [r for r in records if f"{PROTECTION}installed" in r.get("outputs", {})]
    if not ran:
        return None

    def total(key: str) -> tuple[int, list[int]]:
        values = [(r["run"], int(r["outputs"].get(PROTECTION + key) or 0)) for r in ran]
        return sum(v for _, v in values), [k for k, v in values if v]  # integer sum
    out: dict = {"runs": len(ran), "installed": sum(bool(r["outputs"][f"{PROTECTION}installed"]) for r in ran)}  # integer sum
    for key in ("trips", "step_faults", "restarts"):
        out[key], out[f"runs_with_{key}"] = total(key)
    return out


def describe(values: Iterable[float]) -> dict[str, float | int | None]:
    v = np.asarray(list(values), dtype=float)
    if v.size == 0:
        return {"count": 0}
    out: dict[str, float | int | None] = {"count": int(v.size), "mean": float(v.mean()),
                                          "std": float(v.std()), "min": float(v.min()),
                                          "max": float(v.max())}
    for p, q in zip(PERCENTILES, np.percentile(v, PERCENTILES)):
        out[f"p{p}"] = float(q)
    return out


def outliers(records: Sequence[dict], figures: Sequence[str], count: int) -> list[int]:
    """For each figure, the `count` runs farthest from its median (ties: lower run index)."""
    chosen: set[int] = set()
    for figure in figures:
        pairs = figure_values([r for r in records if r["status"] != "crashed"], figure)
        if not pairs:
            continue
        median = float(np.median([v for _, v in pairs]))
        ranked = sorted(pairs, key=lambda kv: (-abs(kv[1] - median), kv[0]))
        chosen.update(k for k, _ in ranked[:count])
    return sorted(chosen)


def requirements(records: Sequence[dict], bands: Mapping[str, tuple[float, float]]) -> dict:
    """Share of runs whose figures all lie in their [lo, hi] bands (a crashed run, or one
    missing a figure, does not meet them), and the share per figure."""
    if not bands:
        return {}

    def inside(r: dict, fig: str) -> bool:
        v = r["outputs"].get(fig)
        return numeric(v) and bands[fig][0] <= v <= bands[fig][1]
    n = len(records)
    met = sum(all(inside(r, f) for f in bands) for r in records)  # integer sum
    return {"bands": {f: list(b) for f, b in sorted(bands.items())}, "met": met,
            "rate": met / n if n else None,
            "rate_per_figure": {f: sum(inside(r, f) for r in records) / n for f in sorted(bands)}}  # integer sum
