"""CPU cost of warm-restart checkpoint saves: this tree's encoder against a baseline's, in one run.

    .venv/bin/python bench/checkpoint.py --against /work/wt/s5base           # the campaign's delivery
    .venv/bin/python bench/checkpoint.py --against /work/wt/s5base --scenario capture --seed 1

One flight of the scenario with this tree; at every save the captured state is kept two
ways: `base`, the baseline's `_encode` (its `fsw/core/checkpoint.py` loaded on its own; what
its in-memory store does at a save), and `this`, what this tree's in-memory store (SIL) does
at a save (`defer`: checked whole, the text of what changed left for a read). The order
alternates save by save so neither always finds the caches warm, and after the timing both
must give the same bytes. That is the cost in place, between ticks of a real flight (its
caches cold). `capture` (every component's `checkpoint_state()`) is timed at the same saves.
Then the recorded states are kept again back to back, `--rounds` times each way, interleaved
(warm caches); the tables give medians. (The durable store encodes the whole at every save,
as before.)
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import pickle
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE / "bench"))


def load_baseline(tree: Path):
    """The baseline tree's checkpoint module, standalone (it imports only the standard library)."""
    spec = importlib.util.spec_from_file_location("baseline_checkpoint", tree / "fsw" / "core" / "checkpoint.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fly(scenario: str, seed: int | None, base) -> tuple[list[bytes], dict[str, list[float]], list[int], str]:
    """Fly once; at every save time capture and both encoders. Returns the states (pickled),
    the per-save times, the checkpoints' sizes and the telemetry sha256."""
    from fsw.core import checkpoint, restart
    from sim.deployment import run_scenario

    times: dict[str, list[float]] = {"capture": [], "base": [], "this": []}
    states: list[bytes] = []
    sizes: list[int] = []
    clock = time.perf_counter
    captured = restart.capture

    def timed_capture(*args):
        t0 = clock()
        state = captured(*args)
        times["capture"].append(clock() - t0)
        return state
    restart.capture = timed_capture

    def save(store, state):
        store.generation += 1
        generation = store.generation
        ways = [("base", lambda: base._encode(state, generation)),
                ("this", lambda: store._encoder.defer(state))]
        k = len(states) % 2
        got = {}
        for name, keep in ways[k:] + ways[:k]:
            t0 = clock()
            try:
                got[name] = keep()
            except (ValueError, TypeError) as exc:   # a state JSON refuses: all must refuse it
                got[name] = f"{type(exc).__name__}: {exc}"
            times[name].append(clock() - t0)
        if not isinstance(got["this"], str):
            got["this"] = checkpoint._frame(got["this"].text(), generation)
        if got["base"] != got["this"]:
            raise SystemExit(f"save {len(states) + 1}: the encoders disagree")
        if isinstance(got["this"], str):
            raise ValueError(got["this"].split(": ", 1)[1])
        states.append(pickle.dumps((state, generation)))
        sizes.append(len(got["this"]))
        store._write(got["this"])
        store.saves += 1
        return generation
    stored = checkpoint._Store.save
    checkpoint._Store.save = save
    with tempfile.TemporaryDirectory(prefix="bench-checkpoint-") as scratch:
        if scenario == "delivery":
            from delivery import CAMPAIGN_SEED1
            from sim.scenarios import fetch
            fetch.surface_site(fetch.settings(CAMPAIGN_SEED1["overrides"])[0])
            summary = run_scenario("fetch", seed=CAMPAIGN_SEED1["seed"], out_dir=Path(scratch) / "run",
                                   overrides=CAMPAIGN_SEED1["overrides"])
        else:
            summary = run_scenario(scenario, seed=seed if seed is not None else 1, out_dir=Path(scratch) / "run")
    restart.capture, checkpoint._Store.save = captured, stored
    return states, times, sizes, summary["telemetry_sha256"]


def replay(states: list[bytes], base, rounds: int) -> dict[str, list[float]]:
    """Keep the recorded states back to back, each way in turn, `rounds` times."""
    from fsw.core.canonical import CanonicalEncoder
    plain = [pickle.loads(s) for s in states]
    totals: dict[str, list[float]] = {"base": [], "this": []}
    for r in range(rounds):
        for name in (("base", "this") if r % 2 == 0 else ("this", "base")):
            encoder = CanonicalEncoder()
            t0 = time.process_time()
            if name == "base":
                for state, generation in plain:
                    base._encode(state, generation)
            else:
                for state, generation in plain:
                    encoder.defer(state)
            totals[name].append(time.process_time() - t0)
    return totals


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--against", type=Path, required=True, help="a checkout holding the baseline")
    ap.add_argument("--scenario", default="delivery",
                    help="delivery (the campaign's, seed 1) or a scenario name (landing, fetch, ascent, capture)")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    base = load_baseline(args.against.resolve())
    states, times, sizes, sha = fly(args.scenario, args.seed, base)
    n = len(times["capture"])
    us = {k: statistics.median(v) * 1e6 for k, v in times.items()}
    tot = {k: sum(v) for k, v in times.items()}
    print(f"{args.scenario}: {n} saves of {statistics.mean(sizes):.0f} bytes on average, "
          f"telemetry sha256 {sha[:16]}")
    print("\nin flight (every save kept both ways, order alternating; per save median, and total)")
    print(f"{'':>10} {'capture':>10} {'keep':>10} {'capture+keep':>13} {'total s':>9} {'vs base':>8}")
    whole = {k: tot["capture"] + tot[k] for k in ("base", "this")}
    for k in ("base", "this"):
        print(f"{k:>10} {us['capture']:8.1f}us {us[k]:8.1f}us {us['capture'] + us[k]:11.1f}us "
              f"{whole[k]:9.3f} {whole['base'] / whole[k]:7.2f}x")
    print(f"keep alone: base/this {us['base'] / us['this']:.2f}x (medians)")
    totals = replay(states, base, args.rounds)
    med = {k: statistics.median(v) for k, v in totals.items()}
    print(f"\nback to back ({args.rounds} rounds interleaved, CPU s to keep all {len(states)} states, median)")
    for k, v in med.items():
        print(f"{k:>10} {v:8.3f} s  {v / max(len(states), 1) * 1e6:7.1f} us a save  {med['base'] / v:5.2f}x")
    print(json.dumps({"saves": n, "in_flight_us": us, "back_to_back_s": med}), file=sys.stderr)


if __name__ == "__main__":
    main()
