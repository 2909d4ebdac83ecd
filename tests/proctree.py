"""Processes by /proc (Linux): the descendants of a process, and whether they still live.

A process is named by (pid, start time) so a recycled pid is never taken for a survivor.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

PROC = Path("/proc")


def available() -> bool:
    return (PROC / "self" / "stat").exists()


def _stat(pid: int) -> tuple[int, int, str] | None:
    """(ppid, start time in clock ticks, state) of a live process, or None."""
    try:
        raw = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2:].split()
    return int(fields[1]), int(fields[19]), fields[0]


def descendants(root: int) -> set[tuple[int, int]]:
    """(pid, start) of every live descendant of `root`."""
    children: dict[int, list[int]] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            st = _stat(int(entry.name))
            if st is not None:
                children.setdefault(st[0], []).append(int(entry.name))
    out, todo = set(), [root]
    while todo:
        for pid in children.get(todo.pop(), []):
            st = _stat(pid)
            if st is not None:
                out.add((pid, st[1]))
                todo.append(pid)
    return out


def alive(procs: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """Those still running (zombies count as gone: they no longer run anything)."""
    live = set()
    for pid, start in procs:
        st = _stat(pid)
        if st is not None and st[1] == start and st[2] != "Z":
            live.add((pid, start))
    return live


def wait_gone(procs: set[tuple[int, int]], timeout_s: float) -> set[tuple[int, int]]:
    """Poll until none of `procs` runs or the time is up; returns the survivors."""
    deadline = time.monotonic() + timeout_s
    left = alive(procs)
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = alive(left)
    return left


def kill_all(procs: set[tuple[int, int]]) -> None:
    """Clean up after a failed check (only the processes named, and only if still the same)."""
    import signal
    for pid, _ in alive(procs):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
