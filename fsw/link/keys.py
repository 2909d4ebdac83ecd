"""Command-authentication key files.

    {"format": "msr-keys/1",
     "keys": {"<id>": "<hex>"},           session keys: sign routine telecommands
     "master": {"<id>": "<hex>"},         optional key-management keys (ROTATE_KEY only)
     "generations": {"<id>": <int>}}      optional: how often a session key was rotated

Keys never live in the source tree; `msr keys generate --out FILE` writes a file (mode 0600)
that both the flight instance and the ground tool are given by configuration. Key ids are
u16; keys are at least 16 bytes (32 recommended for HMAC-SHA256) and not all zero. A file
that group or others may read is refused: a key that leaked is a key anyone can command with.
Writing never follows a symbolic link and never leaves a half-written file: the keys go to a
private temporary file in the same directory, which is then linked or renamed into place.
"""
from __future__ import annotations

import json
import os
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from .errors import KeyFileError

FORMAT = "msr-keys/1"
MIN_KEY_BYTES = 16
MAX_GENERATION = (1 << 31) - 1


@dataclass
class KeyRing:
    """The keys of one file: session keys, key-management (master) keys, rotation counts."""

    keys: dict[int, bytes]
    master: dict[int, bytes] = field(default_factory=dict)
    generations: dict[int, int] = field(default_factory=dict)


def _check_key(p: Path, where: str, key: bytes) -> None:
    if len(key) < MIN_KEY_BYTES:
        raise KeyFileError(f"key file {p}: field {where!r}: key shorter than {MIN_KEY_BYTES} bytes")
    if not any(key):
        raise KeyFileError(f"key file {p}: field {where!r}: key is all zeros")


def _key_map(p: Path, doc: dict, name: str, required: bool) -> dict[int, bytes]:
    raw = doc.get(name)
    if raw is None and not required:
        return {}
    if not isinstance(raw, dict) or (required and not raw):
        raise KeyFileError(f"key file {p}: field {name!r} must be a non-empty object of id -> hex key")
    out: dict[int, bytes] = {}
    for kid, hexkey in raw.items():
        where = f"{name}.{kid}"
        if not (isinstance(kid, str) and kid.isascii() and kid.isdigit()
                and 0 <= int(kid) <= 0xFFFF):
            raise KeyFileError(f"key file {p}: field {where!r}: key id must be an integer 0..65535")
        if not isinstance(hexkey, str):
            raise KeyFileError(f"key file {p}: field {where!r}: key must be a hex string")
        try:
            key = bytes.fromhex(hexkey)
        except ValueError:
            raise KeyFileError(f"key file {p}: field {where!r}: key is not hex") from None
        _check_key(p, where, key)
        out[int(kid)] = key
    return out


def _check_private(p: Path) -> None:
    try:
        mode = p.stat().st_mode
    except FileNotFoundError:
        raise KeyFileError(f"key file {p}: not found (create one with `msr keys generate`)") from None
    except OSError as exc:
        raise KeyFileError(f"key file {p}: cannot be read: {exc.strerror or exc}") from None
    if not stat.S_ISREG(mode):
        raise KeyFileError(f"key file {p}: not a regular file")
    if mode & 0o077:
        raise KeyFileError(f"key file {p}: mode {stat.S_IMODE(mode):04o} lets group or others "
                           f"read it; keys must be private (chmod 600 {p})")


def load_keyring(path: str | os.PathLike) -> KeyRing:
    """Read a key file; any problem is a KeyFileError naming the file and the field."""
    p = Path(path)
    _check_private(p)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyFileError(f"key file {p}: cannot be read: {exc}") from None
    try:
        doc = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise KeyFileError(f"key file {p}: not JSON ({exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise KeyFileError(f"key file {p}: field 'format' must be {FORMAT!r}")
    keys = _key_map(p, doc, "keys", required=True)
    master = _key_map(p, doc, "master", required=False)
    both = sorted(set(keys) & set(master))
    if both:
        raise KeyFileError(f"key file {p}: field 'master': id {both[0]} is also a session key")
    gens = doc.get("generations", {})
    if not isinstance(gens, dict):
        raise KeyFileError(f"key file {p}: field 'generations' must be an object of id -> int")
    generations: dict[int, int] = {}
    for kid, g in gens.items():
        if not (isinstance(kid, str) and kid.isascii() and kid.isdigit() and int(kid) in keys):
            raise KeyFileError(f"key file {p}: field 'generations.{kid}': not a session key id")
        if not (isinstance(g, int) and not isinstance(g, bool) and 0 <= g <= MAX_GENERATION):
            raise KeyFileError(f"key file {p}: field 'generations.{kid}': must be an integer "
                               f"0..{MAX_GENERATION}")
        generations[int(kid)] = g
    return KeyRing(keys, master, generations)


def load_keys(path: str | os.PathLike) -> dict[int, bytes]:
    """The session keys of a key file (see `load_keyring` for the master keys too)."""
    return load_keyring(path).keys


def _text(ring: KeyRing) -> str:
    doc: dict = {"format": FORMAT, "keys": {str(k): ring.keys[k].hex() for k in sorted(ring.keys)}}
    if ring.master:
        doc["master"] = {str(k): ring.master[k].hex() for k in sorted(ring.master)}
    if ring.generations:
        doc["generations"] = {str(k): ring.generations[k] for k in sorted(ring.generations)}
    return json.dumps(doc, indent=1) + "\n"


def write_private(path: str | os.PathLike, text: str, *, overwrite: bool, what: str,
                  error: type[Exception] = KeyFileError) -> Path:
    """Write `text` to `path` with mode 0600, atomically, never through a symbolic link.

    The text goes to a private temporary file beside `path` (fsync'd), which is then linked
    into place (refusing an existing `path`) or, with `overwrite`, renamed over it; a
    symbolic link at `path` is refused either way. Errors are `error` naming `what`."""
    p = Path(path)
    try:
        if stat.S_ISLNK(p.lstat().st_mode):
            raise error(f"{what} {p}: is a symbolic link (refusing to write through it)")
        if not overwrite:
            raise error(f"{what} {p}: exists (refusing to overwrite it; --force to replace)")
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise error(f"{what} {p}: cannot write: {exc.strerror or exc}") from None
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=f".{p.name}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:   # mkstemp: O_EXCL, mode 0600
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        if overwrite:
            os.replace(tmp, p)        # replaces a link raced in at p, never writes through it
        else:
            os.link(tmp, p)           # fails if anything (even a dangling link) is at p
            os.unlink(tmp)
        tmp = None
        dfd = os.open(p.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except FileExistsError:
        raise error(f"{what} {p}: exists (refusing to overwrite it; --force to replace)") from None
    except OSError as exc:
        raise error(f"{what} {p}: cannot write: {exc.strerror or exc}") from None
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
    return p


def write_keyring(path: str | os.PathLike, ring: KeyRing, *, overwrite: bool = False) -> Path:
    """Write a key file readable by its owner only (0600); see `write_private`."""
    for name, mapping in (("keys", ring.keys), ("master", ring.master)):
        for kid, key in mapping.items():
            if not 0 <= kid <= 0xFFFF or len(key) < MIN_KEY_BYTES or not any(key):
                raise KeyFileError(f"{name} {kid}: id must be 0..65535 and the key at least "
                                   f"{MIN_KEY_BYTES} bytes, not all zero")
    if set(ring.keys) & set(ring.master):
        raise KeyFileError(f"key ids {sorted(set(ring.keys) & set(ring.master))} are both "
                           f"session and master keys")
    return write_private(path, _text(ring), overwrite=overwrite, what="key file")


def write_key_file(path: str | os.PathLike, keys: Mapping[int, bytes], *,
                   overwrite: bool = False, master: Mapping[int, bytes] | None = None) -> Path:
    """Write session keys (and optional master keys) to a new private file."""
    return write_keyring(path, KeyRing(dict(keys), dict(master or {})), overwrite=overwrite)
