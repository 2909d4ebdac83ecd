"""A run directory says whether it is complete: DIR/manifest.json, replaced atomically.

A run first writes its manifest in state "running" (and removes the summary a previous run
left), then its files, fsyncs them, writes summary.json, and last the manifest in state
"complete" with the size of every file it promises. A reader trusts a directory only when
its manifest says complete (`is_complete`); after a crash (SIGKILL, power cut) the manifest
still says "running", and nothing from an earlier run sits beside the new run's files
looking finished.

Every replacement is atomic: temporary file in the same directory, fsync, rename, fsync of
the directory. `durable(False)` skips the fsyncs for scratch directories deleted afterwards
(Monte Carlo runs that keep nothing).
"""
from __future__ import annotations

import contextlib
import json
import os
import secrets
from contextvars import ContextVar
from pathlib import Path
from typing import IO, Any, Iterator, Mapping

MANIFEST = "manifest.json"
SUMMARY = "summary.json"
FORMAT = "msr-run-dir/1"
RUNNING, COMPLETE = "running", "complete"

_DURABLE: ContextVar[bool] = ContextVar("durable", default=True)


@contextlib.contextmanager
def durable(on: bool) -> Iterator[None]:
    """Within this block, fsync (True) or not (False) what run directories write."""
    token = _DURABLE.set(on)
    try:
        yield
    finally:
        _DURABLE.reset(token)


def fsync_dir(path: Path) -> None:
    if not _DURABLE.get():
        return
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_file(path: Path) -> None:
    if not _DURABLE.get():
        return
    with open(path, "rb") as f:
        os.fsync(f.fileno())


def fsync_tree(path: Path) -> None:
    """fsync every file under `path`, then the directories (a copied run directory)."""
    if not _DURABLE.get():
        return
    for root, dirs, files in os.walk(path, topdown=False):
        for name in files:
            fsync_file(Path(root) / name)
        fsync_dir(Path(root))
    fsync_dir(Path(path).parent)


def sync_stream(f: IO) -> None:
    """Flush a file being written and, when durable, fsync it."""
    f.flush()
    if _DURABLE.get():
        os.fsync(f.fileno())


@contextlib.contextmanager
def writing(path: Path) -> Iterator[None]:
    """An OSError in the block that names no file (a buffered write, a zip archive) names `path`."""
    try:
        yield
    except OSError as exc:
        if exc.filename is None:
            raise OSError(exc.errno, exc.strerror, str(path)) from exc
        raise


def atomic_write(path: Path, data: bytes | str) -> Path:
    """Replace `path` with `data` all at once: after a crash it holds the old or the new bytes."""
    path = Path(path)
    raw = data.encode() if isinstance(data, str) else data
    tmp = path.parent / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    with writing(path):
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)   # umask applies, as for open()
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(raw)
                sync_stream(f)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        fsync_dir(path.parent)
    return path


def dump_json(obj: Any) -> str:
    """The one JSON layout of run-directory files (sorted keys: same run, same bytes)."""
    return json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n"


def write_json(path: Path, obj: Any) -> Path:
    return atomic_write(path, dump_json(obj))


def read_manifest(out_dir: Path) -> dict[str, Any] | None:
    """The directory's manifest, or None when there is none or it cannot be read."""
    try:
        manifest = json.loads((Path(out_dir) / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) and manifest.get("format") == FORMAT else None


def is_complete(out_dir: Path, kind: str | None = None) -> bool:
    """The manifest says complete, and every file it promises is there at its size."""
    m = read_manifest(out_dir)
    if m is None or m.get("state") != COMPLETE or (kind is not None and m.get("kind") != kind):
        return False
    files = m.get("files")
    if not isinstance(files, dict):
        return False
    for name, size in files.items():
        try:
            if (Path(out_dir) / name).stat().st_size != size:
                return False
        except OSError:
            return False
    return True


def begin(out_dir: Path, kind: str, setup: Mapping[str, Any], **extra: Any) -> dict[str, Any]:
    """Mark `out_dir` as a run in progress (before any of its files is written) and drop the
    summary an earlier run left there. Returns the manifest."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest = {"format": FORMAT, "kind": kind, "state": RUNNING, "setup": dict(setup), **extra}
    write_json(out_dir / MANIFEST, manifest)
    with contextlib.suppress(FileNotFoundError):
        (out_dir / SUMMARY).unlink()
    return manifest


def update(out_dir: Path, manifest: dict[str, Any]) -> None:
    """Rewrite the manifest (progress of a run in several steps), atomically."""
    write_json(Path(out_dir) / MANIFEST, manifest)


def finish(out_dir: Path, manifest: dict[str, Any], summary: Mapping[str, Any],
           files: list[str]) -> Path:
    """Write summary.json, then mark the directory complete, promising `files` (fsynced here)
    and the summary at their sizes. Returns the summary's path."""
    out_dir = Path(out_dir)
    for name in files:
        fsync_file(out_dir / name)
    path = write_json(out_dir / SUMMARY, summary)
    promised = {name: (out_dir / name).stat().st_size for name in [*files, SUMMARY]}
    update(out_dir, {**manifest, "state": COMPLETE, "files": dict(sorted(promised.items()))})
    return path


class GuardedFile:
    """A log file for flight-side writers: a write error (full disk, I/O error) is kept, not
    raised into the flight loop (which would count it as a component fault and fly on);
    later writes are dropped and the run is stopped and reported by its owner (`error`)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._f = open(self.path, "wb")
        self.error: OSError | None = None

    def __enter__(self) -> "GuardedFile":
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self._f.close()
        except OSError as err:          # the buffer's last flush: already reported, or report it
            if self.error is None:
                self._fail(err)
                raise self.error from err

    def write(self, data: bytes) -> int:
        if self.error is None:
            try:
                return self._f.write(data)
            except OSError as exc:
                self._fail(exc)
        return 0

    def flush(self) -> None:
        if self.error is None:
            try:
                self._f.flush()
            except OSError as exc:
                self._fail(exc)

    def fileno(self) -> int:
        return self._f.fileno()

    def _fail(self, exc: OSError) -> None:
        self.error = OSError(exc.errno, exc.strerror, str(self.path))

    def sync(self) -> None:
        """Flush and (when durable) fsync; raises the kept error, if any."""
        self.flush()
        if self.error is None:
            try:
                sync_stream(self._f)
            except OSError as exc:
                self._fail(exc)
        if self.error is not None:
            raise self.error


__all__ = ["COMPLETE", "GuardedFile", "MANIFEST", "RUNNING", "SUMMARY", "atomic_write", "begin",
           "dump_json", "durable", "finish", "fsync_dir", "fsync_file", "fsync_tree", "is_complete",
           "read_manifest", "sync_stream", "update", "write_json", "writing"]
