"""Wall and CPU time of the campaign's capture phase (`capture` as the campaign flies it: ERO
search, rendezvous, capture, containment), this tree against baselines, interleaved; and the
telemetry sha256 of every run.

    .venv/bin/python bench/capture.py --against /work/wt/s6base --rounds 3
    .venv/bin/python bench/capture.py --run-dir runs/campaign    # that campaign's capture inputs

Each run is a fresh interpreter (the tree's own `.venv` if it has one) that times
`run_scenario` of the capture alone (its truth.npz written, as the campaign's child process
does), into a scratch directory. Rounds rotate the order of the trees so a machine whose speed
drifts favours none; the table gives medians. In the campaign the capture is flown by the
child process after the ascent, beside the landing and the delivery: it is on the critical
path of the campaign's <= 10 s (issue 23).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from phase_bench import interleaved, print_table, run_child, scenario_child  # noqa: E402

HERE = Path(__file__).resolve().parents[1]

# The campaign's capture at campaign seed 1 (its phases/capture/manifest.json): the phase seed
# and the OS the ascent released, with the tubes sealed in it.
CAMPAIGN_SEED1 = {
    "seed": 3056722145,
    "overrides": {"os_state": {"r_m": [-230962.47786661034, 3451298.849291019, 1419767.7080271165],
                               "t_s": 702.5799999999695,
                               "v_mps": [-3291.4103002217, -478.6476168689721, 627.8745647289783]},
                  "tube_ids": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]},
}

CHILD = scenario_child("capture")


def run_once(tree: Path, setup: dict) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-capture-") as scratch:
        return run_child(tree, CHILD, setup, scratch)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--against", action="append", default=[], help="a directory holding a checkout (repeatable)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--run-dir", type=Path, help="a campaign run directory whose capture inputs to fly")
    args = ap.parse_args()
    setup = CAMPAIGN_SEED1
    if args.run_dir is not None:
        m = json.loads((args.run_dir / "phases" / "capture" / "manifest.json").read_text())["setup"]
        setup = {"seed": m["seed"], "overrides": m["overrides"]}
    trees = {(Path(p).resolve().name or p): Path(p).resolve() for p in args.against}
    trees["this"] = HERE
    runs = interleaved(trees, args.rounds, lambda tree: run_once(tree, setup),
                       lambda res: f"{res['wall_s']:6.2f} s wall, {res['cpu_s']:6.2f} s cpu, truth.npz "
                                   f"{res['truth_mb']:5.1f} MB, success {res['success']}, sha {res['sha'][:12]}")
    load = os.getloadavg()
    print(f"\ncapture (phase seed {setup['seed']}), medians of {args.rounds} rounds, "
          f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} CPUs")
    print_table(runs)


if __name__ == "__main__":
    main()
