"""`msr diff A B`: where two runs part (SIL vs HIL, two machines, before/after a change).

A and B are run directories (DIR/telemetry.bin decoded with DIR/dictionary.json) or telemetry
logs (decoded with dictionary.json beside them, or --dict). Exit 0 when the logs are equal
(byte-identical, or within --tolerance), 1 when they differ, 2 on bad input.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from msr.finite import Finite

from fsw.link.compare import Comparison, Tolerance, ValueDiff, compare_packets, parse_tolerance
from fsw.link.dictionary import Dictionary
from fsw.link.errors import DictionaryError
from fsw.link.log import LogWarning, iter_records, read_log

LOG_NAME = "telemetry.bin"
DICT_NAME = "dictionary.json"
EVENT_LOG = "events.log"


class InputError(click.ClickException):
    """Bad input: one line, exit status 2 (1 means "the runs differ")."""

    exit_code = 2


@dataclass
class RunInput:
    label: str
    log: Path
    data: bytes
    dictionary_file: Path | None


def resolve(label: str, path: Path, dict_file: Path | None) -> RunInput:
    """The log and dictionary of one side; InputError with one line if they are not there."""
    if path.is_dir():
        log = path / LOG_NAME
        if not log.is_file():
            raise InputError(f"{label}: {path} is a directory without {LOG_NAME}")
    elif path.is_file():
        log = path
    else:
        raise InputError(f"{label}: {path} does not exist")
    try:
        data = log.read_bytes()
    except OSError as exc:
        raise InputError(f"{label}: {log}: {exc.strerror or exc}") from None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LogWarning)
        if data and next(iter_records(data), None) is None:
            raise InputError(f"{label}: {log} is not a telemetry log (no CCSDS telemetry packet in it)")
    beside = log.parent / DICT_NAME
    return RunInput(label, log, data, dict_file or (beside if beside.is_file() else None))


def load_dictionary(run: RunInput, fallback: RunInput) -> tuple[Dictionary, str | None]:
    """The run's own dictionary; else the other run's (same vehicles), with a note saying so."""
    note = None
    path = run.dictionary_file
    if path is None:
        if fallback.dictionary_file is None:
            raise InputError(f"{run.label}: no {DICT_NAME} beside {run.log}; pass --dict FILE")
        path = fallback.dictionary_file
        note = f"note: {run.label} has no {DICT_NAME}; decoded with {path}"
    try:
        return Dictionary.from_json(path.read_text(), str(path)), note
    except OSError as exc:
        raise InputError(f"{run.label}: {path}: {exc.strerror or exc}") from None
    except (DictionaryError, UnicodeDecodeError) as exc:
        raise InputError(f"{run.label}: {path}: not a dictionary ({exc})") from None


def decode(run: RunInput, dictionary: Dictionary) -> tuple[list, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", LogWarning)
        packets = list(read_log(run.data, dictionary))
    return packets, [f"warning: {run.label}: {w.message}" for w in caught]


def fmt_value(v: Any) -> str:
    return repr(v) if isinstance(v, (float, str)) else str(v)


def fmt_num(x: float | int | None, spec: str = ".3g") -> str:
    if x is None:
        return "-"
    return format(x, spec) if isinstance(x, float) and math.isfinite(x) else str(x)


def value_lines(values: tuple[ValueDiff, ...]) -> list[str]:
    w = max([len(d.name) for d in values] + [7])
    lines = [f"  {'channel':<{w}}  {'A':>24}  {'B':>24}  {'abs diff':>9}  {'rel diff':>9}  {'ulps':>6}"]
    for d in values:
        lines.append(f"  {d.name:<{w}}  {fmt_value(d.a):>24}  {fmt_value(d.b):>24}  {fmt_num(d.abs_diff):>9}"
                     f"  {fmt_num(d.rel_diff):>9}  {fmt_num(d.ulps, 'd'):>6}")
    return lines


def report_lines(cmp: Comparison, max_rows: int) -> list[str]:
    f = cmp.first
    if f is None:
        return []
    where = (f"packet {f.index} (t = {f.t_ns / 1e9:.9f} s, APID {f.apid:#05x}, "
             f"{f.vehicle}/{f.component}, {f.kind})")
    if f.only_in:
        lines = [f"first difference: {where} is only in {f.only_in}"]
    else:
        lines = [f"first difference: {where}"] + value_lines(f.values)
    rows = cmp.differing_channels()
    if rows:
        w = max(len(k) for k, _ in rows[:max_rows])
        lines += ["", f"channels that differ: {len(rows)} of {len(cmp.channels)}",
                  f"  {'channel':<{w}}  {'differ':>7} / {'samples':<7}  {'max abs':>9}  {'max rel':>9}"
                  f"  {'max ulps':>20}  {'first t (s)':>14}"]
        for k, s in rows[:max_rows]:
            lines.append(f"  {k:<{w}}  {s.differing:>7} / {s.compared:<7}  {fmt_num(s.max_abs):>9}"
                         f"  {fmt_num(s.max_rel):>9}  {s.max_ulps:>20}  {s.first_t_ns / 1e9:>14.6f}")
        if len(rows) > max_rows:
            lines.append(f"  ... {len(rows) - max_rows} more (--max-rows)")
    u = cmp.first_unpaired
    if u is not None:
        lines += ["", f"timelines part at packet {u.index} (t = {u.t_ns / 1e9:.9f} s, {u.vehicle}/{u.component}): "
                      f"{cmp.only_in_a} packets of A and {cmp.only_in_b} of B have no counterpart "
                      f"at the same time (the table compares the paired samples)"]
    lines.append("")
    lines.append(f"events: {cmp.events_differing} of {cmp.events_compared} paired events differ; "
                 f"packets only in A: {cmp.only_in_a}, only in B: {cmp.only_in_b}"
                 + (f"; other packets differing: {cmp.other_differing}" if cmp.other_differing else ""))
    return lines


def compare_runs(a: Path, b: Path, tol: Tolerance = Tolerance(), dict_file: Path | None = None,
                 max_rows: int = 40) -> tuple[bool, list[str]]:
    """(equal, report lines) of two runs, as `msr diff` prints them (also `msr golden update`)."""
    ra, rb = resolve("A", a, dict_file), resolve("B", b, dict_file)
    if ra.data == rb.data:
        return True, [f"identical: {ra.log} and {rb.log} are the same {len(ra.data)} bytes"]
    (da, na), (db, nb) = load_dictionary(ra, rb), load_dictionary(rb, ra)
    (pa, wa), (pb, wb) = decode(ra, da), decode(rb, db)
    cmp = compare_packets(pa, pb, tol)
    lines = [n for n in (na, nb) if n] + wa + wb
    lines += [f"A: {ra.log} ({len(ra.data)} bytes, {len(pa)} packets)",
              f"B: {rb.log} ({len(rb.data)} bytes, {len(pb)} packets)"]
    if cmp.equal:
        lines.append(f"equal within tolerance {tol}: every paired value agrees, no packet is missing"
                     if not tol.exact else
                     "equal: every packet decodes to the same values (the bytes differ outside them)")
        return True, lines
    lines += report_lines(cmp, max_rows)
    n = len(cmp.differing_channels())
    lines.append(f"DIFFERENT ({n} channels, {cmp.events_differing} events differ; tolerance {tol})")
    return False, lines


def register(cli: click.Group) -> None:
    @cli.command("diff")
    @click.argument("a", type=click.Path(path_type=Path))
    @click.argument("b", type=click.Path(path_type=Path))
    @click.option("--dict", "dict_file", type=click.Path(path_type=Path, dir_okay=False), default=None,
                  help="dictionary JSON for both logs (default: each log's own dictionary.json)")
    @click.option("--tolerance", "tolerance", default=None, metavar="rel=X[,abs=Y]",
                  help="floats within abs + rel * max(|a|, |b|) count as equal")
    @click.option("--rtol", type=Finite(0), default=None, help="relative tolerance (same as --tolerance rel=X)")
    @click.option("--atol", type=Finite(0), default=None, help="absolute tolerance (same as --tolerance abs=Y)")
    @click.option("--max-rows", type=click.IntRange(min=1), default=40, show_default=True,
                  help="channels listed in the table")
    def diff(a: Path, b: Path, dict_file: Path | None, tolerance: str | None, rtol: float | None,
             atol: float | None, max_rows: int) -> None:
        """Compare two runs' telemetry: say where they part, channel by channel."""
        try:
            tol = parse_tolerance(tolerance) if tolerance else Tolerance()
            if rtol is not None or atol is not None:
                tol = Tolerance(rtol if rtol is not None else tol.rtol, atol if atol is not None else tol.atol)
        except ValueError as exc:
            raise InputError(str(exc)) from None
        if dict_file is not None and not dict_file.is_file():
            raise InputError(f"--dict: {dict_file} does not exist")
        equal, lines = compare_runs(a, b, tol, dict_file, max_rows)
        for line in lines:
            click.echo(line, err=line.startswith(("note:", "warning:")))
        if not equal:
            raise SystemExit(1)
