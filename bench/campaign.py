"""Wall time of the campaign and of each phase, this tree against a baseline, interleaved.

    .venv/bin/python bench/campaign.py                          # this tree, seed 2030, 3 rounds
    .venv/bin/python bench/campaign.py --against s3-base        # a git ref (exported to a temp dir)
    .venv/bin/python bench/campaign.py --against /work/wt/base --seed 1 --rounds 5
    .venv/bin/python bench/campaign.py --against /work/wt/base --against main   # two baselines

Every run is a fresh interpreter running `sim.campaign.run_campaign` from the tree given (its
own `.venv` if it has one, else this interpreter with the tree first on sys.path), into a
scratch directory. The configurations: the baselines (each --against; the first is "base",
the next ones are named by their argument), this tree flying its phases in order,
and this tree flying the ascent and the capture ahead on a second core (`ahead`). Rounds
rotate their order so a machine whose speed drifts between minutes favours none; the table
gives medians per phase (flown in order) and in all, the real-time factor of each phase, the
campaign with `ahead`, and whether every run wrote the same telemetry bytes.

The map products and the site terrain are kept in the product cache between runs
(sim/product_cache.py; ~/.cache/msr): the first run of a tree makes them, `--cold` runs
every configuration without it.

Goal (issue 23): the campaign in <= 10 s of wall time on the 2-core machine.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
PHASES = ("landing", "delivery", "ascent", "capture")

# Runs inside the child interpreter: argv = tree, seed, scratch directory, ahead (0/1).
CHILD = r"""
import json, sys, time
tree, seed, scratch, ahead = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4] == "1"
sys.path.insert(0, tree)
from pathlib import Path
import sim.campaign
assert sim.campaign.__file__.startswith(tree), (sim.campaign.__file__, tree)
import inspect
from sim.campaign import run_campaign, runner
kw = {"ahead": ahead} if "ahead" in inspect.signature(run_campaign).parameters else {}
cpu_of = {}
flown = runner.run_scenario
def timed(module, **k):                 # this process's CPU per phase flown here (a loaded
    c = time.process_time()             # machine stretches wall time, far less CPU time)
    try:
        return flown(module, **k)
    finally:
        cpu_of[Path(str(k["out_dir"])).name] = time.process_time() - c
runner.run_scenario = timed
t0, c0 = time.perf_counter(), time.process_time()
s = run_campaign(seed, Path(scratch) / "campaign", **kw).summary
wall, cpu = time.perf_counter() - t0, time.process_time() - c0
print(json.dumps({"wall_s": wall, "cpu_s": cpu, "success": s["success"], "sha": s["telemetry_sha256"],
                  "phases": {p["phase"]: {"wall_s": p["wall_time_s"], "sim_s": p["sim_time_s"],
                                          "cpu_s": cpu_of.get(p["phase"])} for p in s["phases"]}}))
"""


def export_ref(ref: str, dest: Path) -> Path:
    """A git ref of this repository as a plain tree in `dest` (nothing in the repository changes)."""
    archive = subprocess.run(["git", "-C", str(HERE), "archive", "--format=tar", ref],
                             check=True, capture_output=True).stdout
    import io
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(dest, filter="data")
    return dest


def interpreter(tree: Path) -> str:
    own = tree / ".venv" / "bin" / "python"
    return str(own) if own.exists() else sys.executable


def run_once(tree: Path, seed: int, ahead: bool, cold: bool = False) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-campaign-") as scratch:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        if cold:        # no product cache (sim/product_cache.py): the map products made in the run
            env["MSR_CACHE_DIR"] = "off"
        out = subprocess.run([interpreter(tree), "-c", CHILD, str(tree), str(seed), scratch, str(int(ahead))],
                             check=True, capture_output=True, text=True, env=env, cwd=scratch)
    return json.loads(out.stdout.strip().splitlines()[-1])


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def table(name: str, runs: list[dict]) -> dict[str, float]:
    med = {p: median([r["phases"][p]["wall_s"] for r in runs if p in r["phases"]]) for p in PHASES}
    med["campaign"] = median([r["wall_s"] for r in runs])
    med["cpu"] = median([r["cpu_s"] for r in runs])
    for p in PHASES:       # None: flown in the process flying ahead
        med[f"{p} cpu"] = median([r["phases"][p]["cpu_s"] for r in runs
                                  if p in r["phases"] and r["phases"][p].get("cpu_s") is not None])
    return med


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--against", action="append", default=[],
                    help="baseline: a directory holding a checkout, or a git ref (repeatable)")
    ap.add_argument("--seed", type=int, default=2030)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--cold", action="store_true",
                    help="every run without the product cache (MSR_CACHE_DIR=off): what a first run pays")
    args = ap.parse_args()
    load0 = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-base-") as tmp:
        # (tree, fly ahead on a second core) per configuration; per-phase times compare the
        # phases flown in order ("base", "this"); "ahead" overlaps phases, its total is what counts
        trees = {}
        for k, ref in enumerate(args.against):
            base = Path(ref)
            label = "base" if k == 0 else base.name or ref
            trees[label] = (base.resolve() if base.is_dir() else export_ref(ref, Path(tmp) / str(k)), False)
        trees.update({"this": (HERE, False), "ahead": (HERE, True)})
        runs: dict[str, list[dict]] = {k: [] for k in trees}
        for r in range(args.rounds):
            order = list(trees)[r % len(trees):] + list(trees)[:r % len(trees)]
            for name in order:
                res = run_once(trees[name][0], args.seed, trees[name][1], args.cold)
                runs[name].append(res)
                print(f"round {r + 1} {name:4s}: {res['wall_s']:6.2f} s wall, {res['cpu_s']:6.2f} s cpu, "
                      + ", ".join(f"{p} {v['wall_s']:.2f}" for p, v in res["phases"].items()), flush=True)
    meds = {k: table(k, v) for k, v in runs.items()}
    sim_s = {p: runs["this"][0]["phases"].get(p, {}).get("sim_s") for p in PHASES}
    load = os.getloadavg()[0]
    cache = "without the product cache (--cold)" if args.cold else "product cache warm after the first run"
    print(f"\ncampaign seed {args.seed}, medians of {args.rounds} rounds, {cache} "
          f"(load average at the start {load0:.1f}, now {load:.1f})")
    cols = [c for c in trees if c != "ahead"]
    bases = cols[:-1]
    print(f"{'phase':<14}{'sim s':>6}" + "".join(f"{c[:7] + ' wall s':>15}{'x real':>9}" for c in cols)
          + "".join(f"{'vs ' + c[:7]:>11}" for c in bases))
    for p in (*PHASES, "campaign", "cpu", *(f"{q} cpu" for q in PHASES)):
        line = f"{p:<14}{sim_s.get(p) or '':>6}"
        for c in cols:
            v = meds[c][p]
            rtf = f"{sim_s[p] / v:8.0f}x" if p in sim_s and sim_s[p] and v else f"{'':9}"
            line += f"{v:15.2f}{rtf}"
        for c in bases:
            line += f"{meds[c][p] / meds['this'][p]:10.2f}x"
        print(line)
    base_s = f" ({meds['base']['campaign'] / meds['ahead']['campaign']:.2f}x the base)" if "base" in cols else ""
    print(f"{'ahead':<14}{'':>6}{meds['ahead']['campaign']:15.2f}   campaign wall with the ascent and capture "
          f"flown ahead on a second core{base_s}; cpu of the main process {meds['ahead']['cpu']:.2f} s")
    for c in trees:
        same = {r["sha"] for r in runs[c]}
        print(f"telemetry {c}: {'the same bytes in every run' if len(same) == 1 else 'DIFFERENT bytes'} "
              f"(sha256 {'/'.join(sorted(s[:12] for s in same))})")
    best = min(meds["this"]["campaign"], meds["ahead"]["campaign"])
    print(f"goal: campaign <= 10 s wall; this tree: {best:.2f} s (load average {load:.1f} on {os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
