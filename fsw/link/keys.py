"""Command-authentication key files: JSON {"format": "msr-keys/1", "keys": {"<id>": "<hex>"}}.

Keys never live in the source tree; `msr keys generate --out FILE` writes a file (mode 0600)
that both the flight instance and the ground tool are given by configuration. Key ids are
u16; keys are at least 16 bytes (32 recommended for HMAC-SHA256).
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Mapping

from .errors import KeyFileError

FORMAT = "msr-keys/1"
MIN_KEY_BYTES = 16


def load_keys(path: str | os.PathLike) -> dict[int, bytes]:
    """Read a key file; any problem is a KeyFileError naming the file and the field."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise KeyFileError(f"key file {p}: not found (create one with `msr keys generate`)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyFileError(f"key file {p}: cannot be read: {exc}") from None
    try:
        doc = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise KeyFileError(f"key file {p}: not JSON ({exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise KeyFileError(f"key file {p}: field 'format' must be {FORMAT!r}")
    raw = doc.get("keys")
    if not isinstance(raw, dict) or not raw:
        raise KeyFileError(f"key file {p}: field 'keys' must be a non-empty object of id -> hex key")
    keys: dict[int, bytes] = {}
    for kid, hexkey in raw.items():
        field = f"keys.{kid}"
        if not (isinstance(kid, str) and kid.isascii() and kid.isdigit()
                and 0 <= int(kid) <= 0xFFFF):
            raise KeyFileError(f"key file {p}: field {field!r}: key id must be an integer 0..65535")
        if not isinstance(hexkey, str):
            raise KeyFileError(f"key file {p}: field {field!r}: key must be a hex string")
        try:
            key = bytes.fromhex(hexkey)
        except ValueError:
            raise KeyFileError(f"key file {p}: field {field!r}: key is not hex") from None
        if len(key) < MIN_KEY_BYTES:
            raise KeyFileError(f"key file {p}: field {field!r}: key shorter than "
                               f"{MIN_KEY_BYTES} bytes")
        keys[int(kid)] = key
    return keys


def write_key_file(path: str | os.PathLike, keys: Mapping[int, bytes], *,
                   overwrite: bool = False) -> Path:
    """Write keys to a new file readable by its owner only (0600)."""
    p = Path(path)
    for kid, key in keys.items():
        if not 0 <= kid <= 0xFFFF or len(key) < MIN_KEY_BYTES:
            raise KeyFileError(f"key {kid}: id must be 0..65535 and key >= {MIN_KEY_BYTES} bytes")
    text = json.dumps({"format": FORMAT, "keys": {str(k): keys[k].hex() for k in sorted(keys)}},
                      indent=1) + "\n"
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if overwrite else os.O_EXCL)
    try:
        fd = os.open(p, flags, 0o600)
    except FileExistsError:
        raise KeyFileError(f"key file {p}: exists (refusing to overwrite keys)") from None
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        os.fchmod(f.fileno(), 0o600)
        f.write(text)
    return p
