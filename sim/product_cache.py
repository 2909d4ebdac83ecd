"""The ground products SIL makes (the landing's site and orbital maps), kept on disk between runs.

Making the landing's two map products costs about a second and a half in every fresh process
(the safety assessment, the orbital map), and the site terrain they are made from half a
second more (`sim.terrain.generate` keeps it here too); a campaign or `msr sil landing` run
again, or a Monte Carlo worker, finds them here instead. An entry is addressed by its
content: its directory is a digest of the code that makes products (every source file of
hal, fsw and sim: any edit starts a new directory), its file name the product's own name
(`Scenario.products`: a digest of the settings, seed, limits and format that make it). So an
entry is used only where the same code, given the same inputs, would write the same bytes.

Where: `$MSR_CACHE_DIR`, else `$XDG_CACHE_HOME/msr`, else `~/.cache/msr`, under `products/`;
`MSR_CACHE_DIR=off` turns the cache off (products are made into a temporary directory, as
before). An entry is written by `map_product.write` (a temporary file renamed into place, so
concurrent writers of one entry each install a whole file of the same bytes) and read back
through `map_product.read` (header and every layer's CRC-32) before it is handed out; one that
fails is deleted and made again, never trusted. Only the KEEP most recently used code
directories stay, and in the current one only the most recently used files up to MAX_BYTES
(`$MSR_CACHE_MAX_MB`, default 1024: a Monte Carlo over terrain seeds makes ~110 MB a seed).
"""
from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path
from typing import Callable, Mapping

KEEP = 4                 # code versions kept (two checkouts benchmarked in turn must not evict each other)
MAX_BYTES = 1024 << 20   # files kept in the current code version's directory (most recently used first)
OFF = ("off", "0", "no", "false")
_CODE: dict[Path, str] = {}


def root() -> Path | None:
    """The cache's directory, or None when it is turned off."""
    env = os.environ.get("MSR_CACHE_DIR")
    if env is not None:
        return None if env.strip().lower() in OFF or not env.strip() else Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "msr"


def code_digest(tree: Path | None = None) -> str:
    """A digest of every source file of hal, fsw and sim (relative path and bytes), once per process."""
    tree = tree or Path(__file__).resolve().parents[1]
    if tree not in _CODE:
        h = hashlib.sha256()
        for pkg in ("hal", "fsw", "sim"):
            for path in sorted((tree / pkg).rglob("*.py")):
                h.update(str(path.relative_to(tree)).encode() + b"\0")
                h.update(path.read_bytes() + b"\0")
        _CODE[tree] = h.hexdigest()[:16]
    return _CODE[tree]


def _usable(path: Path) -> bool:
    """The entry reads whole, every CRC right; a damaged one is removed."""
    from fsw.gnc.map_product import MapProductError, read
    if not path.is_file():
        return False
    try:
        read(path)
        os.utime(path)                                  # most recently used
        return True
    except (MapProductError, OSError):
        path.unlink(missing_ok=True)
        return False


def _budget() -> int:
    try:
        return int(float(os.environ.get("MSR_CACHE_MAX_MB", "")) * (1 << 20))
    except ValueError:
        return MAX_BYTES


def _prune(products: Path, keep: Path, using: set[Path]) -> None:
    """Only the KEEP code directories used last stay, and in `keep` the files used last up to
    the budget, besides those this call hands out (`using`); others' files may be open:
    unlinking is safe."""
    dirs = sorted((d for d in products.iterdir() if d.is_dir() and d != keep),
                  key=lambda d: d.stat().st_mtime, reverse=True)
    for d in dirs[KEEP - 1:]:
        shutil.rmtree(d, ignore_errors=True)
    try:            # best effort: another process may be pruning too
        files = sorted((p.stat().st_mtime, p.stat().st_size, p) for p in keep.iterdir()
                       if p.is_file() and not p.name.startswith("."))
    except FileNotFoundError:
        return
    total = sum(size for _, size, _ in files)                # integer sum
    for _, size, p in files:                                 # the oldest first
        if total <= _budget():
            break
        if p not in using:
            total -= size
            p.unlink(missing_ok=True)


def _version_dir(base: Path) -> Path:
    into = base / "products" / code_digest()
    into.mkdir(parents=True, exist_ok=True)
    os.utime(into)                                      # most recently used
    return into


def entry(name: str, make: Callable[[Path], object], where: Path | None = None) -> Path | None:
    """The cached file `name` (a content name), verified; `make(path)` writes it first when it
    is missing or damaged (with `map_product.write`). None when the cache is off or cannot be
    written (the caller makes its data itself)."""
    base = where if where is not None else root()
    if base is None:
        return None
    try:
        into = _version_dir(base)
        if not _usable(into / name):
            make(into / name)
        _prune(into.parent, into, {into / name})
    except OSError:
        return None
    return into / name


def products(names: Mapping[str, str], make: Callable[[Mapping[str, str], Path], Mapping[str, Path]],
             where: Path | None = None) -> tuple[dict[str, Path], dict[str, Path]] | None:
    """({setting: path} found in the cache, {setting: path} made into it now) for `names`
    ({setting: file name}); `make(only, into)` writes the products `only` into `into`. None
    when the cache is off or cannot be written (the caller makes them elsewhere)."""
    base = where if where is not None else root()
    if base is None:
        return None
    try:
        into = _version_dir(base)
        found = {k: into / n for k, n in names.items() if _usable(into / n)}
        missing = {k: n for k, n in names.items() if k not in found}
        made = dict(make(missing, into)) if missing else {}
        _prune(into.parent, into, {*found.values(), *made.values()})
    except OSError:
        return None
    return found, made
