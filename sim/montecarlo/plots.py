"""Campaign plots (matplotlib, the `plots` extra, Agg backend): a histogram per key figure and
a grid of scatters, dispersed input against outcome, failures in red."""
from __future__ import annotations

from pathlib import Path

from sim.montecarlo.statistics import numeric


def _pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def write_plots(report: dict, out_dir: Path) -> list[Path]:
    """Write PNGs into out_dir; return their paths (none if matplotlib is missing)."""
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
    if figures and params:
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
