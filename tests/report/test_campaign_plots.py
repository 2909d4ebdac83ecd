"""The campaign's plots drawn wherever a core is idle (sim/report/campaign_plots.py, the
drawing half of sim/campaign/ahead.py): claimed once, written whole, the same bytes whoever
draws them, and long series thinned without losing their extremes. Fast: small phase
directories made here, no campaign flown."""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra.numpy import arrays

from sim.campaign import ahead
from sim.report import plots
from sim.report.campaign_plots import (TIMELINE, Job, campaign_jobs, claim, draw_missing, phase_jobs,
                                       phase_pngs)

pytest.importorskip("matplotlib")

ROWS = [{"phase": "cruise to Mars", "compressed": True, "start_s": 0.0, "end_s": 1.9e7},
        {"phase": "landing", "title": "EDL", "compressed": False, "start_s": 1.9e7, "end_s": 1.9e7 + 400.5,
         "success": True, "events": []}]


def capture_dir(d: Path, n: int = 30_000) -> Path:
    """A capture phase directory: an approach with a one-sample spike in range."""
    d.mkdir(parents=True)
    t = np.linspace(0.0, 90_000.0, n)
    rng = 3e6 * np.exp(-t / 9_000.0) + 0.3
    rng[n // 3] = 4e6                                               # the spike the plot must keep
    np.savez(d / "truth.npz", t_s=t, range_m=rng, **{"ero.relative_lvlh.0": -rng / 3, "ero.relative_lvlh.1": rng})
    (d / "summary.json").write_text(json.dumps({"success": True}))
    return d


def test_a_plot_is_claimed_by_one_process_only(tmp_path):
    job = Job(plots.timeline, {"timeline": ROWS}, tmp_path / TIMELINE)
    assert claim(tmp_path, job) and not claim(tmp_path, job)


def test_plots_are_written_whole_and_the_same_drawn_anywhere(tmp_path):
    src = capture_dir(tmp_path / "phases" / "capture")
    one = draw_missing(phase_jobs("capture", src, tmp_path / "one"))
    two = draw_missing(phase_jobs("capture", src, tmp_path / "two") + phase_jobs("capture", src, tmp_path / "two"),
                       workers=2)
    assert [p.name for p in one] == phase_pngs("capture") and one[0].stat().st_size > 10_000
    assert one[0].read_bytes() == two[0].read_bytes()
    assert not [p for p in tmp_path.rglob("*.tmp")]                 # temporary names renamed away
    before = one[0].stat().st_mtime_ns
    draw_missing(phase_jobs("capture", src, tmp_path / "one"))      # a plot drawn is kept, not drawn again
    assert one[0].stat().st_mtime_ns == before


def test_the_child_draws_each_phase_marked_done_then_the_timeline(tmp_path):
    """The serving loop of the process flying ahead, run here: it draws a phase's plots only
    once the campaign marks the phase done, skips those already drawn, and ends with the
    timeline once told the campaign has ended."""
    out = tmp_path / "run"
    capture_dir(out / "phases" / "capture")
    root = out / "phases" / ahead.AHEAD_DIR
    for sub in (ahead.DONE, ahead.CLAIMS):
        (root / sub).mkdir(parents=True)
    (root / ahead.DONE / "capture").touch()
    (root / ahead.TIMELINE_ROWS).write_text(json.dumps(ROWS))
    (root / ahead.END).touch()
    ahead._serve(root, ["landing", "capture"])
    drawn = sorted(p.name for p in (out / "plots").iterdir())
    assert drawn == sorted(phase_pngs("capture") + [TIMELINE])      # the landing was never marked done
    jobs = campaign_jobs({"capture": out / "phases" / "capture"}, {"timeline": ROWS}, tmp_path / "in-order")
    for path in draw_missing(jobs):
        assert path.read_bytes() == (out / "plots" / path.name).read_bytes()


def test_a_stopped_drawing_leaves_no_temporary_file(tmp_path):
    (tmp_path / "plots").mkdir()
    (tmp_path / "plots" / f".ero_approach.png.{os.getpid()}.tmp").write_bytes(b"half")
    ahead.discard(tmp_path)
    assert list((tmp_path / "plots").iterdir()) == []


@given(arrays(np.float64, st.integers(1, 3_000), elements=st.floats(-1e6, 1e6)), st.integers(1, 200))
def test_thinning_keeps_the_ends_and_every_run_s_extremes(y, n):
    x = np.arange(len(y), dtype=float)
    tx, ty = plots._thin(n, x, y)
    assert len(tx) <= max(len(y), 4 * n + 2) and np.all(np.diff(tx) > 0)   # samples, in order
    assert np.array_equal(ty, y[tx.astype(int)])
    assert tx[0] == 0 and tx[-1] == len(y) - 1
    assert ty.min() == y.min() and ty.max() == y.max()
    if len(y) > 2 * n:                                                 # each run's least and greatest kept
        width = -(-len(y) // n)
        for start in range(0, len(y), width):
            run = y[start:start + width]
            kept = ty[(tx >= start) & (tx < start + width)]
            assert kept.min() == run.min() and kept.max() == run.max()


@pytest.mark.parametrize("value, label", [(1000.0, "10³"), (1.0, "10⁰"), (0.01, "10⁻²"), (1e6, "10⁶"),
                                          (3000.0, ""), (0.5, ""), (0.0, ""), (-10.0, ""), (float("nan"), "")])
def test_log_axes_are_labelled_in_plain_text_powers_of_ten(value, label):
    """Not mathtext (its first parse costs a drawing process ~0.06 s): the decades read 10³,
    and the ticks between them are unlabelled, as matplotlib's own log labels."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots()
    ax.semilogy([1.0, 2.0], [0.01, 1e6])
    plots._log_labels(ax)
    assert ax.yaxis.get_major_formatter()(value, 0) == label
    assert ax.yaxis.get_minor_formatter()(value, 0) == ""
    plt.close(fig)
