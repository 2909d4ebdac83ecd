"""Golden telemetry hashes: what each scenario's log must hash to, on any machine.

`golden.json` (beside this file) holds the sha256 of `telemetry.bin` of every case at seed 1:
the four SIL scenarios (`msr sil NAME --seed 1`) and the campaign (`msr run --seed 1`). The
tests check them, so a change of bytes is always a visible decision; `msr golden update`
records new ones and says what changed. Cases run as subprocesses of the `msr` command line,
so that an environment VARIANT (a BLAS kernel, numpy CPU features: read once, when numpy is
imported) applies to the whole run; every variant must give the one golden hash.
"""
from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from sim.deployment import sha256_file

GOLDEN_FILE = Path(__file__).with_name("golden.json")
REPO = Path(__file__).resolve().parents[1]      # the checkout (for `update`'s baseline runs)
FORMAT = "msr-golden/1"
SEED = 1
SCENARIOS = ("landing", "fetch", "ascent", "capture")
CASES = (*SCENARIOS, "campaign")
# Environment variables that pick a BLAS kernel or numpy's SIMD paths: every run sets all of
# them explicitly (None: removed), since a machine may set them for its own reasons.
CONTROLLED = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "NPY_DISABLE_CPU_FEATURES")
BLAS_KERNELS = ("Prescott", "Haswell", "SkylakeX", "Zen")


class GoldenError(Exception):
    """A golden file that cannot be read, or a case that did not produce a log."""


def case_argv(case: str, seed: int, out_dir: Path) -> list[str]:
    """The `msr` arguments of a case (the same commands a person types)."""
    if case == "campaign":
        return ["run", "--seed", str(seed), "--out", str(out_dir), "--no-plots", "--quiet"]
    if case in SCENARIOS:
        return ["sil", case, "--seed", str(seed), "--out", str(out_dir)]
    raise GoldenError(f"unknown case {case!r}; cases: {', '.join(CASES)}")


@dataclass(frozen=True)
class Variant:
    """An environment a case runs under: `env` sets (str) or removes (None) CONTROLLED names."""

    name: str
    env: Mapping[str, str | None]
    skip: str | None = None     # why this machine cannot run it


def _numpy_dispatch() -> tuple[list[str], list[str]]:
    """numpy's dispatchable CPU-feature names and those this CPU has (names differ between
    numpy versions: 1.x says AVX512_SKX, 2.x groups them as X86_V4)."""
    from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__
    return list(__cpu_dispatch__), [k for k, v in __cpu_features__.items() if v]


def variants() -> list[Variant]:
    """Default (nothing set), each OpenBLAS kernel, numpy without AVX-512, without AVX2/FMA."""
    base = dict.fromkeys(CONTROLLED)
    out = [Variant("default", base)]
    x86 = platform.machine().lower() in ("x86_64", "amd64")
    for k in BLAS_KERNELS:
        out.append(Variant(f"blas-{k.lower()}", base | {"OPENBLAS_CORETYPE": k},
                           None if x86 else "OpenBLAS x86 kernel on another architecture"))
    try:
        dispatch, found = _numpy_dispatch()
    except ImportError:                      # pragma: no cover - a numpy without the module
        dispatch, found = [], []
    avx512 = [f for f in dispatch if "512" in f or f == "X86_V4"]
    avx2 = avx512 + [f for f in dispatch if f in ("X86_V3", "AVX2", "FMA3", "F16C", "AVX")]
    for name, names, what in (("npy-no-avx512", avx512, "AVX-512"), ("npy-no-avx2", avx2, "AVX2/FMA")):
        have = [f for f in names if f in found]
        skip = None if have else f"this CPU or numpy has no {what} paths to take away"
        out.append(Variant(name, base | {"NPY_DISABLE_CPU_FEATURES": " ".join(have)}, skip))
    return out


def environment(variant: Variant, base: Mapping[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ if base is None else base)
    for k, v in variant.env.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return env


def run_case(case: str, out_dir: Path, *, seed: int = SEED, variant: Variant | None = None,
             cwd: Path | None = None, timeout_s: float = 900.0) -> str:
    """Run one case in a fresh interpreter; the sha256 of its telemetry log. `cwd` runs the
    code found there (a checkout of another commit) instead of the installed one."""
    variant = variant or variants()[0]
    argv = [sys.executable, "-c", "import sys; from msr.cli import main; sys.argv[0] = 'msr'; main()",
            *case_argv(case, seed, out_dir)]
    env = environment(variant)
    if cwd is not None:
        env["PYTHONPATH"] = str(cwd)
    proc = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout_s)
    log = out_dir / "telemetry.bin"
    if not log.is_file():
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        raise GoldenError(f"{case} ({variant.name}): no telemetry log (exit {proc.returncode}: {tail[0]})")
    return sha256_file(log)


def load(path: Path | None = None) -> dict[str, str]:
    """{case: sha256} of the golden file; GoldenError (one line) if it is not one."""
    path = GOLDEN_FILE if path is None else path
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise GoldenError(f"{path}: {exc}") from None
    hashes = doc.get("telemetry_sha256") if isinstance(doc, dict) else None
    if doc.get("format") != FORMAT or doc.get("seed") != SEED or not isinstance(hashes, dict) \
            or not all(isinstance(v, str) and len(v) == 64 for v in hashes.values()):
        raise GoldenError(f"{path}: not a {FORMAT} file for seed {SEED}")
    return dict(hashes)


def save(hashes: Mapping[str, str], path: Path | None = None) -> Path:
    import numpy
    path = GOLDEN_FILE if path is None else path
    doc = {"format": FORMAT, "seed": SEED,
           "telemetry_sha256": {c: hashes[c] for c in CASES if c in hashes},
           "recorded_with": {"python": platform.python_version(), "numpy": numpy.__version__,
                             "machine": platform.machine()}}
    path.write_text(json.dumps(doc, indent=1) + "\n")
    return path


__all__ = ["CASES", "CONTROLLED", "GOLDEN_FILE", "REPO", "GoldenError", "SCENARIOS", "SEED", "Variant", "case_argv",
           "environment", "load", "run_case", "save", "sha256_file", "variants"]
