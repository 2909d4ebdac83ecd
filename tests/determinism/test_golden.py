"""Same seed, same bytes, on every machine (docs/determinism.md).

Each case runs as `msr` in a fresh interpreter with the BLAS/numpy environment set explicitly
(both are read once, when numpy loads). Default suite: the four scenarios against the golden
hashes, and the ascent under two variants that used to change its bytes. Slow: the campaign,
and every case under every variant."""
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from msr.golden import CASES, SCENARIOS, Variant, environment, load, run_case, variants

GOLDEN = load()
VARIANTS = {v.name: v for v in variants()}
QUICK = ("blas-prescott", "npy-no-avx512")


def run_many(jobs, root):
    """{(case, variant name): sha256} of several runs, two at a time (the machine has 2 cores)."""
    def one(job):
        case, v = job
        return run_case(case, root / f"{case}-{v.name}", variant=v)
    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip([(c, v.name) for c, v in jobs], pool.map(one, jobs)))


def usable(name):
    v = VARIANTS[name]
    if v.skip:
        pytest.skip(f"variant {name}: {v.skip}")
    return v


@pytest.fixture(scope="module")
def default_runs(tmp_path_factory):
    jobs = [(c, VARIANTS["default"]) for c in ("capture", "fetch", "landing", "ascent")]
    jobs += [("ascent", VARIANTS[n]) for n in QUICK if not VARIANTS[n].skip]
    return run_many(jobs, tmp_path_factory.mktemp("golden"))


def test_the_golden_file_names_every_case():
    assert set(GOLDEN) == set(CASES)
    assert len(set(GOLDEN.values())) == len(CASES)     # distinct logs, not one hash copied


@pytest.mark.timeout(900)
@pytest.mark.parametrize("case", SCENARIOS)
def test_scenario_gives_its_golden_telemetry(default_runs, case):
    assert default_runs[(case, "default")] == GOLDEN[case], \
        f"{case}: telemetry bytes changed; if on purpose, `msr golden update` (docs/determinism.md)"


@pytest.mark.timeout(900)
@pytest.mark.parametrize("name", QUICK)
def test_ascent_bytes_do_not_depend_on_blas_or_cpu_features(default_runs, name):
    usable(name)
    assert default_runs[("ascent", name)] == default_runs[("ascent", "default")] == GOLDEN["ascent"]


CANARY = """
import hashlib, numpy as np
x = np.linspace(-20.0, 20.0, 100003)
a = np.random.default_rng(1).standard_normal((64, 64))
print(hashlib.sha256(np.exp(x).tobytes()).hexdigest()[:16], hashlib.sha256((a @ a @ a).tobytes()).hexdigest()[:16])
"""


def canary(v: Variant) -> tuple[str, str]:
    out = subprocess.run([sys.executable, "-c", CANARY], env=environment(v), capture_output=True,
                         text=True, check=True, timeout=120).stdout.split()
    return out[0], out[1]


def test_the_variants_really_change_what_numpy_computes():
    """Without this, a variant that silently did nothing would pass the tests above."""
    exp_default, gemm_default = canary(VARIANTS["default"])
    if not VARIANTS["npy-no-avx512"].skip:
        assert canary(VARIANTS["npy-no-avx512"])[0] != exp_default      # numpy's SIMD exp
    kernels = [n for n in ("blas-prescott", "blas-haswell", "blas-skylakex") if not VARIANTS[n].skip]
    if kernels:
        gemms = {gemm_default} | {canary(VARIANTS[n])[1] for n in kernels}
        assert len(gemms) >= 2, "no OpenBLAS kernel changed a matrix product: the variants test nothing"


def test_every_run_controls_the_blas_and_cpu_variables(monkeypatch):
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Haswell")
    monkeypatch.setenv("OPENBLAS_L2_SIZE", "1048576")
    env = environment(VARIANTS["default"])
    assert not {"OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "NPY_DISABLE_CPU_FEATURES"} & set(env)
    assert environment(VARIANTS["blas-zen"])["OPENBLAS_CORETYPE"] == "Zen"
    assert os.environ["OPENBLAS_CORETYPE"] == "Haswell"           # the test's own env untouched


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_campaign_gives_its_golden_telemetry(tmp_path):
    assert run_case("campaign", tmp_path / "campaign") == GOLDEN["campaign"]


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_every_case_gives_one_hash_under_every_variant(tmp_path):
    runnable = [v for v in variants() if not v.skip]
    got = run_many([(c, v) for c in CASES for v in runnable], tmp_path)
    wrong = {k: h[:16] for k, h in got.items() if h != GOLDEN[k[0]]}
    assert not wrong, f"runs whose telemetry is not the golden one: {wrong}"
