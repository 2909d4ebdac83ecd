"""`msr diff`: equal runs exit 0, different ones exit 1 naming the first divergence, bad input
exits 2 with one line."""
import shutil

import pytest
from click.testing import CliRunner

from msr.cli import cli
from sim.scenarios import ascent

SHORT = {"max_time_s": 30.0}     # a prefix of the ascent: the thermal conditioning starts at 1 s


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    for name, seed in (("a", 1), ("b", 1), ("c", 2)):
        ascent.run(seed=seed, out_dir=root / name, overrides=SHORT)
    return root


def diff(*args):
    return CliRunner().invoke(cli, ["diff", *map(str, args)])


def test_two_runs_of_one_seed_are_identical(runs):
    r = diff(runs / "a", runs / "b")
    assert r.exit_code == 0, r.output
    assert r.output.startswith("identical:")


def test_another_seed_is_different_and_the_first_divergence_is_named(runs):
    r = diff(runs / "a", runs / "c")
    assert r.exit_code == 1, r.output
    first = next(line for line in r.output.splitlines() if line.startswith("first difference:"))
    assert "APID 0x3" in first and "mav/" in first and "t = " in first
    assert "channels that differ:" in r.output and "ulps" in r.output
    assert r.output.rstrip().splitlines()[-1].startswith("DIFFERENT (")


def test_a_log_file_with_its_dictionary_beside_it_works_like_the_directory(runs):
    r = diff(runs / "a" / "telemetry.bin", runs / "c")
    assert r.exit_code == 1 and "first difference:" in r.output


def test_a_tolerance_decides_on_the_size_of_the_differences(runs):
    # over the first 30 s the seeds differ only in thermometer noise, a few per cent of a degree
    loose = diff(runs / "a", runs / "c", "--tolerance", "rel=0.5")
    assert loose.exit_code == 0 and "equal within tolerance rel=0.5" in loose.output
    tight = diff(runs / "a", runs / "c", "--rtol", "1e-6", "--atol", "1e-9")
    assert tight.exit_code == 1 and "tolerance rel=1e-06, abs=1e-09" in tight.output


def test_a_copy_is_identical_whatever_the_tolerance(runs, tmp_path):
    shutil.copytree(runs / "a", tmp_path / "a")
    r = diff(runs / "a", tmp_path / "a", "--rtol", "1e-9")
    assert r.exit_code == 0 and r.output.startswith("identical:")


@pytest.mark.parametrize("case", ["missing", "not_a_log", "no_dictionary", "bad_dictionary",
                                  "empty_dir", "bad_tolerance"])
def test_bad_input_is_one_line_and_exit_2(runs, tmp_path, case):
    good = runs / "a"
    if case == "missing":
        args = (tmp_path / "nope", good)
    elif case == "not_a_log":
        (tmp_path / "x.bin").write_bytes(b"hello, this is no telemetry at all" * 10)
        args = (tmp_path / "x.bin", good)
    elif case in ("no_dictionary", "bad_dictionary"):
        (tmp_path / "d").mkdir()
        shutil.copy(runs / "c" / "telemetry.bin", tmp_path / "d" / "telemetry.bin")
        if case == "bad_dictionary":
            (tmp_path / "d" / "dictionary.json").write_text("{not json")
            args = (tmp_path / "d", good)
        else:
            shutil.copy(good / "telemetry.bin", tmp_path / "other.bin")
            args = (tmp_path / "d", tmp_path / "other.bin")
    elif case == "empty_dir":
        args = (tmp_path, good)
    else:
        args = (good, good, "--tolerance", "rel=fast")
    r = diff(*args)
    assert r.exit_code == 2, r.output
    lines = r.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "Traceback" not in r.output


def test_a_log_without_dictionary_borrows_the_other_runs(runs, tmp_path):
    shutil.copy(runs / "c" / "telemetry.bin", tmp_path / "hil.bin")
    r = diff(runs / "a", tmp_path / "hil.bin")
    assert r.exit_code == 1 and "first difference:" in r.output
    assert "B has no dictionary.json; decoded with" in r.output
