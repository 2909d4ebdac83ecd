"""The board self-check (`msr hil board-check`): can this board fly the bench it was given?

Each item is one line, ok or not, with the figure or the reason; nothing is left unsaid:

    python      the interpreter the bundle was built for
    imports     the flight software and every runtime dependency (versions vs the manifest)
    crc         CRC-32C (google-crc32c: C or its pure-Python fallback) and CRC-16 (stdlib C)
    cobs        COBS framing: C extension or pure Python
    frame codec measured cost of one serial frame (encode + decode, 40-byte payload)
    clock       clock_nanosleep with TIMER_ABSTIME (absolute deadlines, no drift)
    sched_fifo  SCHED_FIFO at the bench's priority, tried and undone   (real time: required)
    mlockall    mlockall(MCL_CURRENT|MCL_FUTURE), tried and undone     (real time: required)
    port <line> the bench's board-side serial port is there and read/writable
    product <s> each ground product the flight side loads (the landing's onboard map) is
                installed beside the bench file and intact (header and layer CRCs)

Statuses: "ok"; "slow" (works, on a pure-Python path: the cost is on the line);
"missing" (fails the check when the bench needs it, else said as "missing (not needed: ...)").
"""
from __future__ import annotations

import importlib
import json
import os
import sys
import time
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

from hil.bench import Bench

OK, SLOW, MISSING = "ok", "slow", "missing"
# the modules the flight side imports, by distribution name
RUNTIME_MODULES = {"numpy": "numpy", "pyserial": "serial", "transitions": "transitions", "cobs": "cobs",
                   "google-crc32c": "google_crc32c", "click": "click", "tqdm": "tqdm"}


@dataclass
class Item:
    name: str
    status: str
    detail: str
    required: bool = True

    @property
    def failed(self) -> bool:
        return self.status == MISSING and self.required

    def line(self) -> str:
        detail = self.detail if self.required or self.status != MISSING else f"{self.detail} [not needed: lockstep]"
        return f"  {self.status:8s} {self.name:12s} {detail}"


def _imports(manifest: dict[str, Any] | None) -> list[Item]:
    bundled = {w["name"]: w["version"] for w in (manifest or {}).get("wheels", [])}
    found, bad = [], []
    for dist, module in [("msr-fsw", "hil.runner"), *RUNTIME_MODULES.items()]:
        try:
            importlib.import_module(module)
            v = version(dist)
        except Exception as exc:  # an import that fails for any reason is the finding
            bad.append(f"{dist}: {type(exc).__name__}: {exc}")
            continue
        want = bundled.get(dist)
        if want is not None and want != v:
            bad.append(f"{dist} {v}, bundle has {want}")
        else:
            found.append(f"{dist} {v}")
    return [Item("imports", MISSING if bad else OK, "; ".join(bad) if bad else ", ".join(found))]


def frame_codec_us(n: int = 2000) -> float:
    """Microseconds for one encode + decode of a frame with a 40-byte payload."""
    from hal.serial.framing import Frame, decode_frame, encode_frame
    frame = Frame(1, 2, 513, bytes(range(40)))
    t0 = time.perf_counter()
    for _ in range(n):
        decode_frame(encode_frame(frame)[1:-1])
    return (time.perf_counter() - t0) / n * 1e6


def _codec() -> list[Item]:
    try:
        import google_crc32c
        from cobs import cobs
    except Exception as exc:
        return [Item("crc", MISSING, f"{type(exc).__name__}: {exc}")]
    c_crc = google_crc32c.implementation == "c"
    c_cobs = cobs.encode.__module__.endswith("_ext")
    us = frame_codec_us()
    return [
        Item("crc", OK if c_crc else SLOW,
             f"CRC-32C google-crc32c {'C' if c_crc else 'pure Python (C extension not importable)'}; "
             f"CRC-16 binascii.crc_hqx (standard library C)"),
        Item("cobs", OK if c_cobs else SLOW, "C extension" if c_cobs else "pure Python (no wheel built for "
             "this board: see docs/board.md to build one here)"),
        Item("frame codec", OK, f"{us:.1f} us per frame (encode + decode, 40-byte payload)"),
    ]


def _clock() -> Item:
    from fsw.core.clock import LinuxClock
    clock = LinuxClock()
    if not clock.absolute:
        return Item("clock", MISSING, "no clock_nanosleep in the C library: relative sleeps only")
    late = clock.sleep_until(clock.now_ns() + 1_000_000)
    return Item("clock", OK, f"clock_nanosleep TIMER_ABSTIME (1 ms sleep woke {late / 1e3:.0f} us late)")


def _realtime(bench: Bench) -> list[Item]:
    from hil.rt import OK as RT_OK, SKIPPED, realtime
    need = bench.mode == "realtime"
    settings = bench.realtime
    with realtime(settings) as rt:
        pass   # tried and undone at once: only whether the kernel lets us
    items = []
    for step in ("sched_fifo", "mlockall"):
        st = rt.steps.get(step, SKIPPED)
        why = rt.details.get(step, "")
        if st == RT_OK:
            items.append(Item(step, OK, why or "permitted"))
        elif st == SKIPPED:
            items.append(Item(step, OK, f"not asked for by the bench file{': ' + why if why else ''}"))
        else:
            fix = "run as root or give the unit LimitRTPRIO/LimitMEMLOCK (see msr-fsw.service)"
            items.append(Item(step, MISSING, f"{st}: {why} ({fix})" if why else f"{st} ({fix})", need))
    return items


def _ports(bench: Bench) -> list[Item]:
    items = []
    for name, line in sorted(bench.lines.items()):
        label = f"port {name}"
        if line.makes_pty:
            items.append(Item(label, OK, f"{line.port}: a pty that `msr hil emulate` makes on this machine"))
        elif "://" in line.port:
            items.append(Item(label, OK, f"{line.port}: a pyserial URL (not checked)"))
        elif not os.path.exists(line.port):
            items.append(Item(label, MISSING, f"{line.port} does not exist (adapter unplugged? udev rule? "
                                              f"see docs/board.md)"))
        elif not os.access(line.port, os.R_OK | os.W_OK):
            items.append(Item(label, MISSING, f"{line.port}: no read/write permission (group dialout?)"))
        else:
            real = os.path.realpath(line.port)
            items.append(Item(label, OK, f"{line.port}" + (f" -> {real}" if real != line.port else "")
                              + f" @ {line.baud} baud"))
    return items


def _products(bench: Bench) -> list[Item]:
    from fsw.gnc.map_product import MapProductError, read
    try:
        wanted = bench.deployment.products()
    except ValueError as exc:
        return [Item("products", MISSING, f"the scenario cannot name its products: {exc}")]
    items = []
    for setting, name in wanted.items():
        path = bench.products_dir / name
        label = f"product {setting}"
        if not path.is_file():
            items.append(Item(label, MISSING, f"{path} is not installed (`msr hil deploy` bundles it, install.sh "
                                              f"puts it beside the bench file)"))
            continue
        try:
            p = read(path)
        except MapProductError as exc:
            items.append(Item(label, MISSING, str(exc)))
            continue
        layers = ", ".join(p.layers)
        items.append(Item(label, OK, f"{path} ({p.nbytes / 1e6:.1f} MB, CRC ok: {layers})"))
    return items


def check_board(bench: Bench, manifest_path: Path | None = None) -> list[Item]:
    manifest = None
    items: list[Item] = []
    py = f"{sys.version_info.major}.{sys.version_info.minor}"
    if manifest_path is not None:
        try:
            manifest = json.loads(Path(manifest_path).read_text())
        except (OSError, ValueError) as exc:
            items.append(Item("manifest", MISSING, f"{manifest_path}: {exc}"))
    want = (manifest or {}).get("python")
    items.append(Item("python", MISSING if want and want != py else OK,
                      f"{sys.version.split()[0]} on {os.uname().machine}" + (f", bundle built for {want}" if want else "")))
    items += _imports(manifest)
    if not any(i.failed for i in items):
        items += _codec()
    items.append(_clock())
    items += _realtime(bench)
    items += _ports(bench)
    items += _products(bench)
    return items


__all__ = ["Item", "check_board", "frame_codec_us", "OK", "SLOW", "MISSING"]
