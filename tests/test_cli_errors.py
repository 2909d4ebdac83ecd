"""Bad input on the command line: one clear line, a non-zero exit, no traceback, nothing lost.

Every row runs the real `msr` command line (click's CliRunner, in a temporary directory) and
checks that it exits non-zero with exactly one `Error:` line naming the input and what is
allowed, that no Python exception escaped (a crash), and that the run directory it was
pointed at still holds exactly what it held before (data lost). Then a bounded fuzz of
`--set` values over every declared parameter of the four SIL scenarios: the declaration
accepts exactly the values an independent oracle accepts, and every value it refuses is
refused by `msr sil` the same clean way. (Issue 15; the link's and the run directories'
own bad inputs are tested beside their code.)
"""
from __future__ import annotations

import contextlib
import importlib
import json
import math
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings, strategies as st

from msr.cli import cli
from sim.scenario_params import MAX_SEED

SCENARIOS = ("landing", "fetch", "ascent", "capture")
EARLIER_RUN = {"keep.txt": "notes\n", "telemetry.bin": "\x08\x00earlier packets", "summary.json": '{"seed": 7}\n',
               "events.log": "earlier events\n"}      # a previous run's files in the directory named by --out


@dataclass(frozen=True)
class Row:
    what: str                 # input class (the closing table of issue 15 counts by it)
    args: tuple[str, ...]     # after `msr`; OUT stands for the run directory
    words: tuple[str, ...]    # the Error line must name these (the input and what is allowed)


def row(what: str, args: str | list[str], *words: str) -> Row:
    return Row(what, tuple(args.split() if isinstance(args, str) else args), words)


DEEP = "[" * 50_000 + "]" * 50_000
ROWS = [
    # seeds
    row("seed", "sil ascent --seed -1 --out OUT", "--seed", "-1", "0<=x<=9223372036854775807"),
    row("seed", "run --seed -1 --out OUT", "--seed", "-1", "0<=x<="),
    row("seed", f"sil landing --seed {MAX_SEED + 1} --out OUT", "--seed", "0<=x<="),
    row("seed", "faults zone --quick --seed -1 --out OUT", "--seed", "-1", "0<=x<="),
    # --set: type
    row("--set type", "sil landing --set max_time_s=x --out OUT", "max_time_s='x'", "a finite number in [1, 3600]"),
    row("--set type", "sil fetch --set n_tubes=[] --out OUT", "n_tubes=[]", "an integer in [1, 10]"),
    row("--set type", "sil ascent --set imu_noise=1 --out OUT", "imu_noise=1", "true or false"),
    row("--set type", "sil fetch --set delivery=helicopter --out OUT", "delivery='helicopter'",
        "one of fetch, perseverance"),
    row("--set type", "sil capture --set containment_fault=yes --out OUT", "containment_fault='yes'", "true or false"),
    # --set: range
    row("--set range", "sil landing --set terrain_seed=-1 --out OUT", "terrain_seed=-1", "[0, 9223372036854775807]"),
    row("--set range", "sil ascent --set physics_rate_hz=7 --out OUT", "physics_rate_hz=7",
        "a multiple of the 50 Hz base rate"),
    row("--set range", "sil capture --set start_behind_km=-5 --out OUT", "start_behind_km=-5", "[1, 4999]"),
    row("--set range", "sil ascent --set target_alt_km=5000 --out OUT", "target_alt_km=5000", "[100, 1500]"),
    row("--set range", "sil fetch --set n_cells=64 --out OUT", "n_cells=64", "[1024, 4096]"),
    # --set: not finite
    row("--set non-finite", "sil landing --set slope_limit_deg=NaN --out OUT", "slope_limit_deg=nan", "finite number"),
    row("--set non-finite", "sil landing --set max_time_s=Infinity --out OUT", "max_time_s=inf", "finite number"),
    row("--set non-finite", "sil ascent --set grain_initial_C=1e400 --out OUT", "grain_initial_C=inf", "finite"),
    row("--set non-finite", "sil capture --set ero_thrust_N=-Infinity --out OUT", "ero_thrust_N=-inf", "finite"),
    # --set: structured values
    row("--set structure", "sil capture --set os_state=3 --out OUT", "os_state=3", "{r_m: [3], v_mps: [3], t_s}"),
    row("--set structure", "sil ascent --set tube_ids=[1.5] --out OUT", "tube_ids=[1.5]", "integer ids in 1..65535"),
    row("--set structure", "sil fetch --set lander_xy_m=[1] --out OUT", "lander_xy_m=[1]", "[x, y] in metres"),
    row("--set structure", ["sil", "fetch", "--set", 'terrain={"warp": 1}', "--out", "OUT"], "terrain=", "warp",
        "crater_density_per_km2"),
    row("--set structure", ["sil", "landing", "--set", "max_time_s=" + DEEP, "--out", "OUT"], "max_time_s=",
        "finite number"),
    row("--set structure", ["sil", "landing", "--set", "max_time_s=" + "7" * 5000, "--out", "OUT"], "max_time_s=",
        "finite number"),
    # --set: unknown or malformed
    row("--set unknown", "sil landing --set warp=9 --out OUT", "unknown override", "warp", "known:"),
    row("--set unknown", "sil landing --set novalue --out OUT", "--set", "'novalue'", "KEY=VALUE"),
    row("--set unknown", "run --set nophase.x=1 --out OUT", "nophase", "phases:"),
    row("--set unknown", "run --set novalue --out OUT", "--set", "PHASE.KEY=VALUE"),
    # flight-software parameters: the limit is named
    row("flight parameter", "sil ascent --set nav.gm=1 --out OUT", "nav.gm=1", "refused by the flight software",
        "below minimum"),
    row("flight parameter", "sil ascent --set nav.foo=3 --out OUT", "nav.foo=3", "no parameter 'foo'"),
    row("flight parameter", "sil capture --set ccrs.far_start_m=1 --out OUT", "ccrs.far_start_m=1", "minimum 1000"),
    row("flight parameter", "sil landing --set descent.divert_budget_m=5000 --out OUT",
        "descent.divert_budget_m=5000", "above maximum 2000"),
    row("flight parameter", "sil fetch --set rover.max_pos_bound_m=1e9 --out OUT", "rover.max_pos_bound_m",
        "above maximum 20"),
    # the campaign: every phase checked before the landing flies
    row("campaign --set", "run --set delivery.delivery=helicopter --out OUT", "phase delivery",
        "delivery='helicopter'", "one of fetch, perseverance"),
    row("campaign --set", "run --set ascent.physics_rate_hz=7 --out OUT", "phase ascent", "physics_rate_hz=7"),
    row("campaign --set", "run --set capture.ccrs.max_retries=99 --out OUT", "phase capture", "ccrs.max_retries=99",
        "above maximum 20"),
    # hil timing / gds serve options
    row("rate option", "hil timing --rate 0 --out OUT", "--rate", "0", "1<=x<=100000"),
    row("rate option", "hil timing --rate -5 --out OUT", "--rate", "-5", "1<=x<=100000"),
    row("rate option", "hil timing --duration nan --out OUT", "--duration", "not a finite number"),
    row("rate option", "hil timing --duration -1 --out OUT", "--duration", "-1", "0.0<x<=86400"),
    row("rate option", "hil timing --duration 1e-9 --out OUT", "--duration", "0 ticks", "expected 1 to"),
    row("rate option", "hil timing --overrun-every -1 --out OUT", "--overrun-every", "x>=0"),
    row("rate option", "gds serve --keys OUT/none.json --telemetry-divisor 0", "--telemetry-divisor", "x>=1"),
    row("rate option", "gds serve --keys OUT/none.json --duration nan", "--duration", "not a finite number"),
    row("rate option", "gds serve --keys OUT/none.json --duration inf", "--duration", "not a finite number"),
    row("rate option", "sil ascent --speed nan --out OUT", "--speed", "not a finite number"),
    row("rate option", "montecarlo hop --runs 2 --min-success nan --out OUT", "--min-success", "not a finite number"),
    # benches
    row("bench", "hil check --bench BENCH_RT_OFF_GRID", "emulator.step_hz 1000", "physics grid",
        "whole number of physics steps"),
    row("bench", "hil check --bench BENCH_NAN", "bench.overrides", "setpoint_C=nan", "[-60, 40]"),
    # dispersion files
    row("dispersion entry", "montecarlo hop --dispersion DISP_LIST --runs 2 --out OUT", "--dispersion",
        "'thrust_scale'", "unknown dist []", "choose from"),
    row("dispersion entry", "sil ascent --dispersion DISP_TABLE --run 0 --out OUT", "--dispersion",
        "'grain_initial_C'", "unknown dist {}"),
]


def files(tmp_path: Path) -> dict[str, str]:
    """The input files some rows name, written fresh."""
    bench = tmp_path / "bench-rt.toml"
    bench.write_text(f'[bench]\nscenario = "zone"\nmode = "realtime"\noverrides = {{ physics_rate_hz = 400 }}\n'
                     f'[emulator]\nstep_hz = 1000\n[lines.main]\nport = "{tmp_path}/tty"\nbench_port = "pty"\n')
    nan = tmp_path / "bench-nan.toml"
    nan.write_text(f'[bench]\nscenario = "zone"\noverrides = {{ setpoint_C = nan }}\n'
                   f'[lines.main]\nport = "{tmp_path}/tty"\nbench_port = "pty"\n')
    lst = tmp_path / "disp-list.toml"
    lst.write_text('scenario = "hop"\n[dispersions]\nthrust_scale = { dist = [] }\n')
    tbl = tmp_path / "disp-table.toml"
    tbl.write_text('scenario = "ascent"\n[dispersions]\ngrain_initial_C = { dist = {} }\n')
    return {"BENCH_RT_OFF_GRID": str(bench), "BENCH_NAN": str(nan), "DISP_LIST": str(lst), "DISP_TABLE": str(tbl)}


def invoke(args: list[str], tmp_path: Path):
    """Run `msr ARGS` in a scratch directory with a pre-filled run directory OUT."""
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    for name, text in EARLIER_RUN.items():
        (out / name).write_text(text)
    names = {"OUT": str(out), **files(tmp_path)}
    argv = [names.get(a, a.replace("OUT/", f"{out}/")) for a in args]
    with contextlib.chdir(tmp_path):              # a default runs/ lands in the scratch directory
        result = CliRunner().invoke(cli, argv, catch_exceptions=True)
    return result, out


def assert_clean_refusal(result, out: Path, words=()) -> str:
    """Non-zero exit, no escaped exception, exactly one Error line naming `words`, OUT intact."""
    crashed = result.exception is not None and not isinstance(result.exception, SystemExit)
    assert not crashed, f"crashed: {type(result.exception).__name__}: {result.exception}"
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error")]
    assert len(errors) == 1, result.output[-2000:]
    for word in words:
        assert word in errors[0], f"{word!r} not in {errors[0]!r}"
    assert len(errors[0]) < 1000
    assert {p.name: p.read_text() for p in out.iterdir()} == EARLIER_RUN   # nothing written, nothing lost
    return errors[0]


@pytest.mark.parametrize("r", ROWS, ids=[" ".join(r.args)[:60] for r in ROWS])
def test_bad_input_gives_one_clear_line_and_a_non_zero_exit(tmp_path, r):
    result, out = invoke(list(r.args), tmp_path)
    assert_clean_refusal(result, out, r.words)


def test_the_campaign_refuses_a_later_phase_before_the_landing_flies(tmp_path):
    result, out = invoke("run --set delivery.delivery=helicopter --out OUT".split(), tmp_path)
    assert_clean_refusal(result, out)
    assert not (out / "phases").exists()


def test_a_sequence_line_with_a_superscript_digit_is_a_line_numbered_error():
    from fsw.core.sequencer import SequenceError, parse_sequence
    with pytest.raises(SequenceError) as err:
        parse_sequence("R+1 a.B\nA@2000\u00b200000 x.Y\n")
    assert str(err.value).startswith("line 2: bad absolute time") and "ASCII digits" in str(err.value)


# ------------------------------------------------------------------ bounded fuzz of --set values
def declarations():
    out = []
    for name in SCENARIOS:
        module = importlib.import_module(f"sim.scenarios.{name}")
        out += [(name, p) for p in module.PARAMS]
    return out


DECLARED = declarations()
json_like = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats() | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=2),
    max_leaves=6)


def near_limits(p):
    """Values at, inside and just outside a numeric declaration's limits."""
    if p.convert is not None or p.type not in (int, float):
        return st.nothing()
    lo, hi = p.lo, p.hi
    edges = [lo, hi, lo - 1, hi + 1, (lo + hi) / 2, math.nextafter(lo, -math.inf), math.nextafter(hi, math.inf)]
    return st.sampled_from([int(v) if p.type is int and v == int(v) else v for v in edges])


def oracle_accepts(p, v) -> bool | None:
    """What the declaration must accept, decided apart from its code (None: structured value)."""
    if p.convert is not None:
        return None
    if p.type is bool:
        return isinstance(v, bool)
    if p.type is str:
        return isinstance(v, str) and v in p.choices
    if isinstance(v, bool) or not isinstance(v, (int, float)) or (p.type is int and not isinstance(v, int)):
        return False
    return math.isfinite(v) and p.lo <= v <= p.hi


@st.composite
def set_values(draw):
    name, p = draw(st.sampled_from(DECLARED))
    value = draw(json_like | near_limits(p))
    raw = draw(st.sampled_from(["json", "text"])) if isinstance(value, str) else "json"
    text = value if raw == "text" else json.dumps(value, allow_nan=True)
    return name, p, text


@settings(max_examples=150, deadline=None)
@given(set_values())
def test_any_set_value_is_accepted_as_declared_or_refused_in_one_line(tmp_path_factory, case):
    from msr.commands.sil import parse_value
    from sim.deployment import ScenarioError, validate_overrides
    name, p, text = case
    value = parse_value(text)
    try:
        validate_overrides(name, {p.name: value})
        accepted = True
    except ScenarioError as exc:
        accepted = False
        assert str(exc).startswith(f"{p.name}=") and "\n" not in str(exc)
    expected = oracle_accepts(p, value)
    if expected is not None:
        assert accepted == expected, f"{name} {p.name}={value!r}"
    if not accepted:                      # the command line refuses it the same clean way, nothing flies
        tmp = tmp_path_factory.mktemp("cli")
        result, out = invoke(["sil", name, "--set", f"{p.name}={text}", "--out", "OUT"], tmp)
        assert_clean_refusal(result, out, (f"{p.name}=",))


def test_every_declared_default_passes_its_own_declaration():
    for name, p in DECLARED:
        assert p.check(p.default) == p.default, f"{name}.{p.name}"
