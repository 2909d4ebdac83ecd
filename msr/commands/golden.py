"""`msr golden check|update`: the golden telemetry hashes (msr/golden.json, docs/determinism.md).

check   runs each case (seed 1) and compares its telemetry sha256 with the golden one;
        `--variants` runs every BLAS-kernel / numpy CPU-feature variant too. Exit 1 on a mismatch.
update  runs each case, prints the old and new hash, and where one changed the first divergence
        (`msr diff` against the same case run from a git checkout of --baseline, HEAD by
        default), then writes the new hashes.
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import click

CASE = click.Choice(("landing", "fetch", "ascent", "capture", "campaign"))


def _run_all(jobs: list[tuple], workers: int) -> list:
    """[(case, variant, out_dir)] -> [sha or GoldenError], in order, `workers` at a time."""
    from msr.golden import GoldenError, run_case

    def one(job):
        case, variant, out = job
        try:
            return run_case(case, out, variant=variant)
        except (GoldenError, OSError, subprocess.TimeoutExpired) as exc:
            return GoldenError(str(exc))
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        return list(pool.map(one, jobs))


def _machine() -> str:
    """Where the cases run: the same bytes are expected on every one (an aarch64 board too)."""
    import platform
    from importlib.metadata import version
    return f"{platform.machine()}, Python {platform.python_version()}, numpy {version('numpy')}"


def _baseline_checkout(rev: str, into: Path) -> Path | None:
    """A detached git worktree of `rev` of the repository this package lives in, or None."""
    from msr.golden import REPO
    try:
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(into), rev],
                       check=True, capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.SubprocessError):
        return None
    return into


def _remove_checkout(path: Path) -> None:
    from msr.golden import REPO
    subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(path)],
                   capture_output=True, timeout=120)


def register(cli: click.Group) -> None:
    @cli.group("golden")
    def golden() -> None:
        """Golden telemetry hashes: same seed, same bytes, on every machine."""

    @golden.command("check")
    @click.option("--case", "cases", type=CASE, multiple=True, help="case to run (repeatable; default all)")
    @click.option("--variants", "all_variants", is_flag=True,
                  help="also under every OpenBLAS kernel and numpy CPU-feature level")
    @click.option("--jobs", type=click.IntRange(min=1), default=2, show_default=True)
    @click.option("--keep", type=click.Path(path_type=Path, file_okay=False), default=None,
                  help="keep the run directories under DIR/<case>-<variant>")
    def check(cases: tuple[str, ...], all_variants: bool, jobs: int, keep: Path | None) -> None:
        """Run the cases and compare their telemetry sha256 with the golden ones."""
        from msr.golden import CASES, GoldenError, load, variants
        try:
            want = load()
        except GoldenError as exc:
            raise click.ClickException(str(exc)) from None
        chosen = variants() if all_variants else variants()[:1]
        click.echo(f"machine {_machine()}")
        for v in chosen:
            if v.skip:
                click.echo(f"skipped variant {v.name}: {v.skip}")
        runnable = [v for v in chosen if not v.skip]
        with tempfile.TemporaryDirectory(prefix="msr-golden-") as tmp:
            root = keep or Path(tmp)
            jobs_list = [(c, v, root / f"{c}-{v.name}") for c in (cases or CASES) for v in runnable]
            results = _run_all(jobs_list, jobs)
        bad = 0
        click.echo(f"{'case':<10} {'variant':<15} {'telemetry sha256':<66} result")
        for (case, v, _), got in zip(jobs_list, results):
            if isinstance(got, Exception):
                bad += 1
                click.echo(f"{case:<10} {v.name:<15} {'-':<66} ERROR {got}")
                continue
            ok = got == want.get(case)
            bad += not ok
            click.echo(f"{case:<10} {v.name:<15} {got:<66} {'ok' if ok else 'MISMATCH (golden ' + str(want.get(case))[:16] + '...)'}")
        click.echo(f"{len(results) - bad} of {len(results)} runs match the golden hashes")
        if bad:
            raise SystemExit(1)

    @golden.command("update")
    @click.option("--case", "cases", type=CASE, multiple=True, help="case to update (repeatable; default all)")
    @click.option("--baseline", default="HEAD", show_default=True,
                  help="git revision to diff a changed case against")
    @click.option("--no-diff", is_flag=True, help="do not run the baseline to show the first divergence")
    @click.option("--jobs", type=click.IntRange(min=1), default=2, show_default=True)
    def update(cases: tuple[str, ...], baseline: str, no_diff: bool, jobs: int) -> None:
        """Record the current telemetry sha256 of each case; show what changed."""
        from msr.commands.diff import compare_runs
        from msr import golden as g
        from msr.golden import CASES, GoldenError, load, save, variants
        try:
            old = load() if g.GOLDEN_FILE.exists() else {}
        except GoldenError as exc:
            click.echo(f"note: {exc}; writing a new file")
            old = {}
        default = variants()[0]
        todo = list(cases or CASES)
        with tempfile.TemporaryDirectory(prefix="msr-golden-") as tmp:
            root = Path(tmp)
            results = _run_all([(c, default, root / "new" / c) for c in todo], jobs)
            new = dict(old)
            changed = []
            for case, got in zip(todo, results):
                if isinstance(got, Exception):
                    raise click.ClickException(str(got))
                was = old.get(case)
                click.echo(f"{case:<10} {was or '(none)':<64} -> {got}  {'unchanged' if was == got else 'NEW' if was is None else 'CHANGED'}")
                new[case] = got
                if was is not None and was != got:
                    changed.append(case)
            if changed and not no_diff:
                base = _baseline_checkout(baseline, root / "baseline")
                if base is None:
                    click.echo(f"note: no git checkout of {baseline}: first divergences not shown")
                else:
                    try:
                        with ThreadPoolExecutor(max_workers=jobs) as pool:
                            before = list(pool.map(lambda c: _run_baseline(c, root / "old" / c, base, default),
                                                   changed))
                        for case, (sha, why) in zip(changed, before):
                            click.echo("")
                            click.echo(f"== {case}: {baseline} gives {sha or why}")
                            if sha:
                                for line in compare_runs(root / "old" / case, root / "new" / case)[1]:
                                    click.echo(f"   {line}")
                    finally:
                        _remove_checkout(base)
                        shutil.rmtree(base, ignore_errors=True)
        click.echo(f"wrote {save(new)} ({len(changed)} changed)")


def _run_baseline(case: str, out: Path, base: Path, variant) -> tuple[str | None, str]:
    """(sha256 or None, why not) of a case run from the baseline checkout."""
    from msr.golden import GoldenError, run_case
    try:
        return run_case(case, out, variant=variant, cwd=base), ""
    except (GoldenError, OSError, subprocess.TimeoutExpired) as exc:
        return None, f"no log ({exc})"
