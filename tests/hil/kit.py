"""Shared pieces of the hil tests: a bench over a pty pair in a temp dir, an emulator that
is always closed, and scenario modules that can be deployed."""
from __future__ import annotations

import contextlib
import warnings
from pathlib import Path
from typing import Any, Iterator

from fsw.link.log import iter_records
from hil.bench import Bench, parse_bench
from hil.emulator import Emulator
from sim import registry

# scenarios the equivalence property must hold for
EQUIVALENCE_SCENARIOS = ("zone", "ascent", "capture")


def deployable(name: str) -> str | None:
    """None if the scenario can be deployed, else why not (for a skip reason)."""
    try:
        scenario = registry.scenario(name)
    except registry.RegistryError as exc:
        return str(exc)
    return None if scenario.deployable else f"scenario {name} declares no deployment split"


def bench_data(tmp_path: Path, **bench: Any) -> dict[str, Any]:
    return {"bench": {"scenario": "zone", "seed": 1, **bench},
            "realtime": {"priority": 0, "mlockall": False, "gc": "on"},
            "lines": {"main": {"port": str(tmp_path / "fsw-tty"), "bench_port": "pty",
                               "timeout_s": 0.3, "retries": 1}}}


def pty_bench(tmp_path: Path, **bench: Any) -> Bench:
    return parse_bench(bench_data(tmp_path, **bench), str(tmp_path / "bench.toml"))


def write_bench(tmp_path: Path, data: dict[str, Any]) -> Path:
    def val(v: Any) -> str:
        if isinstance(v, str):
            return '"' + v + '"'
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, dict):
            return "{ " + ", ".join(f"{k} = {val(x)}" for k, x in v.items()) + " }"
        if isinstance(v, (list, tuple)):
            return "[" + ", ".join(val(x) for x in v) + "]"
        return repr(v)
    lines = []
    for table, body in data.items():
        if table in ("lines", "devices"):
            for name, entry in body.items():
                lines.append(f"[{table}.{name}]")
                lines += [f"{k} = {val(v)}" for k, v in entry.items()]
        else:
            lines.append(f"[{table}]")
            lines += [f"{k} = {val(v)}" for k, v in body.items()]
    path = tmp_path / "bench.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


@contextlib.contextmanager
def running_emulator(bench: Bench, **kw: Any) -> Iterator[Emulator]:
    em = Emulator(bench, **kw)
    try:
        yield em.start()
    finally:
        em.close()


def whole_records(data: bytes) -> int:
    """Bytes covered by contiguous whole telemetry records from the start (a warning or a gap
    fails the test)."""
    end = 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for off, rec in iter_records(data):
            assert off == end
            end += len(rec)
    return end
