"""Campaign plots (matplotlib, the `plots` extra, Agg backend): a histogram per key figure and
a grid of scatters, dispersed input against outcome, failures in red; for a whole-campaign
Monte Carlo also the success of each phase, the tubes that reached the Earth Entry Vehicle
and the worst runs."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from sim.montecarlo.statistics import numeric


def _pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def write_plots(report: dict, out_dir: Path, scatter: bool = True) -> list[Path]:
    """Write PNGs into out_dir; return their paths (none if matplotlib is missing). Without
    `scatter`, the key figures' histograms only (a campaign has too many inputs for a grid)."""
    try:
        plt = _pyplot()
    except ImportError:
        return []
    out_dir.mkdir(parents=True, exist_ok=True)
    runs = [r for r in report["runs"] if r["status"] != "crashed"]
    figures = report["key_figures"]
    params = [p for p in report["dispersions"]
              if all(numeric(r["inputs"].get(p)) for r in runs)]
    written = []
    for fig_name in figures:
        values = [r["outputs"][fig_name] for r in runs if numeric(r["outputs"].get(fig_name))]
        if not values:
            continue
        fig, ax = plt.subplots(figsize=(6, 4))
        ax.hist(values, bins=min(50, max(10, len(values) // 10)), color="tab:blue")
        ax.set_xlabel(fig_name)
        ax.set_ylabel("runs")
        ax.set_title(f"{report['scenario']}: {fig_name} ({len(values)} runs)")
        path = out_dir / f"hist_{fig_name.replace('/', '_')}.png"
        fig.tight_layout()
        fig.savefig(path, dpi=100)
        plt.close(fig)
        written.append(path)
    if scatter and figures and params:
        fig, axes = plt.subplots(len(figures), len(params), squeeze=False,
                                 figsize=(3.2 * len(params), 2.8 * len(figures)))
        for i, fig_name in enumerate(figures):
            for j, param in enumerate(params):
                ax = axes[i][j]
                for ok, colour in ((True, "tab:blue"), (False, "tab:red")):
                    pts = [(r["inputs"][param], r["outputs"][fig_name]) for r in runs
                           if r["success"] == ok and numeric(r["outputs"].get(fig_name))]
                    if pts:
                        ax.scatter(*zip(*pts), s=6, color=colour, label="ok" if ok else "failed")
                if i == len(figures) - 1:
                    ax.set_xlabel(param, fontsize=8)
                if j == 0:
                    ax.set_ylabel(fig_name, fontsize=8)
                ax.tick_params(labelsize=7)
        fig.suptitle(f"{report['scenario']}: dispersions against outcomes (red: failed)")
        fig.tight_layout()
        path = out_dir / "scatter.png"
        fig.savefig(path, dpi=90)
        plt.close(fig)
        written.append(path)
    return written


def campaign_plots(report: dict, out_dir: Path, phases: list[str], worst: int = 20,
                   completed: Callable[[dict], int] | None = None) -> list[Path]:
    """phase_success.png (runs flown and succeeded per phase, and end to end),
    tubes_in_eev.png (how many runs ended with each count of tubes in the EEV) and
    worst_runs.png (the runs with the fewest tubes in the EEV: how far each got)."""
    try:
        plt = _pyplot()
    except ImportError:
        return []
    out_dir.mkdir(parents=True, exist_ok=True)
    n = report["n_runs"]
    written = []
    fig, ax = plt.subplots(figsize=(7, 4))
    names = phases + ["end to end"]
    flown = [report["phases"][p]["flown"] for p in phases] + [n]
    ok = [report["phases"][p]["succeeded"] for p in phases] + [report["end_to_end"]["succeeded"]]
    x = range(len(names))
    ax.bar(x, flown, color="tab:gray", alpha=0.4, label="flown")
    ax.bar(x, ok, color="tab:green", label="succeeded")
    for i, (f, s) in enumerate(zip(flown, ok)):
        ax.text(i, s, f"{100 * s / n:.0f} %", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(list(x), names)
    ax.set_ylabel("runs")
    ax.set_title(f"campaign: success by phase ({n} runs)")
    ax.legend(fontsize=8)
    written.append(_save(fig, plt, out_dir / "phase_success.png"))
    fig, ax = plt.subplots(figsize=(6, 4))
    hist = report["tubes_in_eev"]["histogram"]
    counts = {int(k): v for k, v in hist.items()}
    top = max([10, *counts])
    ax.bar(range(top + 1), [counts.get(k, 0) for k in range(top + 1)], color="tab:blue")
    ax.set_xlabel("tubes in the Earth Entry Vehicle")
    ax.set_ylabel("runs")
    ax.set_title(f"campaign: tubes reaching the EEV ({n} runs)")
    written.append(_save(fig, plt, out_dir / "tubes_in_eev.png"))
    runs = sorted(report["runs"], key=lambda r: (r["outputs"].get("tubes.in_eev") or 0, r["success"], r["run"]))
    runs = runs[:worst]
    if runs:
        fig, ax = plt.subplots(figsize=(7, 0.35 * len(runs) + 1.2))
        reached = [completed(r) if completed is not None else
                   sum(bool(r["outputs"].get(f"phases.{p}.success")) for p in phases) for r in runs]
        y = range(len(runs))
        colours = ["tab:green" if r["success"] else "tab:red" for r in runs]
        ax.barh(y, reached, color=colours)
        for i, r in enumerate(runs):
            ax.text(reached[i] + 0.05, i, f"{r['outputs'].get('tubes.in_eev') or 0} tubes"
                    + ("" if r["success"] else f", {r['status']}"), va="center", fontsize=7)
        ax.set_yticks(list(y), [f"run {r['run']}" for r in runs], fontsize=7)
        ax.set_xticks(range(len(phases) + 1), ["none"] + phases, fontsize=8)
        ax.set_xlim(0, len(phases) + 1.2)
        ax.invert_yaxis()
        ax.set_xlabel("phases completed")
        ax.set_title(f"campaign: the {len(runs)} runs with the fewest tubes in the EEV (red: failed)")
        written.append(_save(fig, plt, out_dir / "worst_runs.png"))
    return written


def _save(fig, plt, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
