"""Walking a damaged or crafted telemetry log: records recovered and wall time (issue 15).

    .venv/bin/python bench/log_scan.py                       # this tree
    .venv/bin/python bench/log_scan.py --against /work/wt/base   # before/after, interleaved

Cases: a ~100 kB log with one flipped length byte in its last 64 KiB (records recovered),
crafted input whose every other byte starts a header claiming 64 KiB (80 kB and 240 kB), and
a clean 1 MB log (the normal path must not get slower). Medians of the rounds are printed.
"""
from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
ROUNDS = 5


def crafted(size: int) -> bytes:
    unit = bytes([0x08, 0x08, 0xC0, 0xC0, 0xFF, 0xFF, 0xFF, 0x08])
    return (unit * (size // len(unit) + 1))[:size]


def once(tree: Path) -> dict:
    sys.path.insert(0, str(tree))
    from fsw.core import Channel, Component, Topology
    from fsw.link.log import TelemetryLogWriter, iter_records

    class Probe(Component):
        CHANNELS = (Channel("x", float), Channel("n", int))

    def make(n: int) -> bytes:
        topo = Topology("testbed", [Probe("probe")])
        tlm = TelemetryLogWriter.for_topology(topo)
        for k in range(n):
            topo["probe"].tlm.update(x=k * 0.25, n=k)
            topo.sample_telemetry(k)
        return tlm.getvalue()

    def walk(data: bytes) -> tuple[int, float]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t0 = time.perf_counter()
            n = sum(1 for _ in iter_records(data))
            return n, time.perf_counter() - t0

    log = make(3000)
    offsets = [o for o, _ in iter_records(log)]
    victim = next(i for i, o in enumerate(offsets) if o > len(log) - 60_000)
    damaged = bytearray(log)
    damaged[offsets[victim] + 4] = 0xFF          # its length now points past the end
    out = {"records": len(offsets), "after_victim": len(offsets) - victim - 1,
           "recovered": walk(bytes(damaged))[0]}
    for size in (80_000, 240_000):
        out[f"crafted_{size // 1000}k_s"] = walk(crafted(size))[1]
    clean = make(30_000)
    out["clean_mb"] = len(clean) / 1e6
    out["clean_s"] = walk(clean)[1]
    return out


def run(tree: Path) -> dict:
    res = subprocess.run([sys.executable, __file__, "--once", str(tree)], capture_output=True,
                         text=True, check=True)
    return json.loads(res.stdout)


def main(argv: list[str]) -> None:
    if argv[:1] == ["--once"]:
        print(json.dumps(once(Path(argv[1]))))
        return
    trees = {"after": HERE}
    if argv[:1] == ["--against"]:
        trees = {"before": Path(argv[1]).resolve(), **trees}
    rounds: dict[str, list[dict]] = {k: [] for k in trees}
    for _ in range(ROUNDS):                       # interleaved: before, after, before, ...
        for name, tree in trees.items():
            rounds[name].append(run(tree))
    for name, rs in rounds.items():
        med = {k: statistics.median(r[k] for r in rs) for k in rs[0]}
        print(f"{name:>6}: one flipped length byte: {med['recovered']:.0f} of {med['records'] - 1:.0f} "
              f"good records recovered ({med['after_victim']:.0f} after the damage); crafted 80 kB "
              f"{med['crafted_80k_s']:.3f} s, 240 kB {med['crafted_240k_s']:.3f} s; clean "
              f"{med['clean_mb']:.1f} MB {med['clean_s']:.3f} s  (medians of {ROUNDS})")


if __name__ == "__main__":
    main(sys.argv[1:])
