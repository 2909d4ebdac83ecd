"""The emulated aarch64 board of the slow board test: the image of tools/board, a bundle
installed in it offline, benches whose ports the host's emulator makes inside the image,
and a comparison of two telemetry logs that says where they part."""
from __future__ import annotations

import subprocess
import tomllib
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hil.bench import Bench, parse_bench

ROOT = Path(__file__).resolve().parents[2]
BOARD_SCRIPT = ROOT / "tools" / "board" / "board-image.sh"
BENCHES = ROOT / "examples" / "benches"
CANNOT = 3   # board-image.sh: this machine cannot (reason on the last stderr line)


class BoardUnavailable(Exception):
    """The machine cannot provide an emulated board (the reason is the message)."""


@dataclass
class Board:
    root: Path          # the board's root file system on the host

    def run(self, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
        """A command on the board (chroot, /dev bound, network unshared)."""
        return subprocess.run([str(BOARD_SCRIPT), "run", str(self.root), *args], capture_output=True,
                              text=True, timeout=timeout)

    def host_path(self, board_path: str) -> Path:
        return self.root / board_path.lstrip("/")


def unpack_board(root: Path) -> Board:
    """A fresh board root file system from the cached image (built the first time)."""
    proc = subprocess.run([str(BOARD_SCRIPT), "unpack", str(root)], capture_output=True, text=True,
                          timeout=1800)
    if proc.returncode == CANNOT:
        raise BoardUnavailable(proc.stderr.strip().splitlines()[-1])
    if proc.returncode != 0:
        raise RuntimeError(f"board-image.sh unpack failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return Board(root)


def host_bench(example: Path, board: Board) -> Bench:
    """The example bench as the host's emulator sees it: its pty links inside the board's /tmp."""
    data: dict[str, Any] = tomllib.loads(example.read_text())
    for line in data["lines"].values():
        line["port"] = str(board.host_path(line["port"]))
    return parse_bench(data, str(example))


def first_difference(a: bytes, b: bytes, dictionary: Any) -> str:
    """Where two telemetry logs part: the first differing packet, its differing channels or
    event arguments, and per channel how many samples differ (first time)."""
    from fsw.link.log import read_log
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pa, pb = list(read_log(a, dictionary)), list(read_log(b, dictionary))
    lines = [f"{len(pa)} vs {len(pb)} packets, {len(a)} vs {len(b)} bytes"]
    first = next((i for i, (x, y) in enumerate(zip(pa, pb)) if x != y), None)
    if first is None:
        lines.append("no packet differs" if len(pa) == len(pb) else f"one log stops at packet {min(len(pa), len(pb))}")
        return "\n".join(lines)
    x, y = pa[first], pb[first]
    where = f"packet {first} ({x.kind} of {getattr(x, 'component', '?')} at t={x.t_ns / 1e9:.3f} s)"
    if x.kind == y.kind == "channels" and x.component == y.component:
        diffs = [f"{k}: {x.values[k]!r} vs {y.values.get(k)!r}" for k in x.values if x.values[k] != y.values.get(k)]
        lines.append(f"first difference at {where}: " + "; ".join(diffs[:6]))
    else:
        lines.append(f"first difference at {where}: {x!r} vs {y!r}")
    per: dict[str, list[float]] = {}
    for x, y in zip(pa, pb):
        if x.kind == y.kind == "channels" and x.component == y.component:
            for k, v in x.values.items():
                if v != y.values.get(k):
                    per.setdefault(f"{x.component}.{k}", []).append(x.t_ns / 1e9)
    for name, ts in sorted(per.items(), key=lambda kv: kv[1][0])[:15]:
        lines.append(f"  {name}: {len(ts)} samples differ, first at t={ts[0]:.3f} s")
    return "\n".join(lines)


__all__ = ["BENCHES", "BOARD_SCRIPT", "Board", "BoardUnavailable", "first_difference", "host_bench",
           "unpack_board"]
