"""`--out DIR` for every command: make the directory, prove it writable, and turn any OSError
while the command writes there (full disk, read-only file system, a path below a file) into
one line naming the path and the reason, with exit status 1: never a traceback.

    with output_dir(out_dir):          # after the command's own argument checks
        ... fly, write ...
"""
from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path
from typing import Iterator

import click


def describe(exc: OSError, path: Path, option: str = "--out") -> str:
    """One line: which option and path, which file, and why (from the OS)."""
    where = exc.filename if exc.filename is not None else path
    why = exc.strerror or str(exc)
    if exc.errno == errno.ENOTDIR:
        blocker = next((p for p in Path(where).parents if p.exists() and not p.is_dir()), None)
        if blocker is not None:
            why += f" ({blocker} is a file)"
    w, p = Path(str(where)).absolute(), Path(path).absolute()
    if w.is_relative_to(p) or p.is_relative_to(w):      # the directory, above it or inside it
        return f"{option} {path}: cannot write {where}: {why}"
    return f"{where}: {why}"


def prepare(path: Path, option: str = "--out") -> Path:
    """mkdir -p and write-probe `path` (a few bytes, fsynced, removed): a directory that cannot
    take a file fails here, before any work is done."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / f".write-probe-{os.getpid()}"
        try:
            with open(probe, "wb") as f:
                f.write(b"probe\n")
                f.flush()
                os.fsync(f.fileno())
        finally:
            with contextlib.suppress(OSError):
                probe.unlink()
    except OSError as exc:
        raise click.ClickException(describe(exc, path, option)) from None
    return path


@contextlib.contextmanager
def output_dir(path: Path, option: str = "--out", *, create: bool = True) -> Iterator[Path]:
    """Prepare `path` (unless `create` is False) and report an OSError in the block as one line."""
    try:
        yield prepare(path, option) if create else path
    except OSError as exc:
        raise click.ClickException(describe(exc, path, option)) from None


__all__ = ["describe", "output_dir", "prepare"]
