"""Where an exception came from, in words that are the same on any machine.

Step faults and failed commands name the raising line ("fsw/vehicles/mav/flight.py:123"),
so a user debugs the right thing; the path is relative to the root of the package that
holds the file (an absolute path would differ between machines and break the byte-identical
telemetry log).
"""
from __future__ import annotations

import sys
from pathlib import Path

MESSAGE_MAX = 200   # characters of an exception message kept for events and reports


def raising_line(exc: BaseException) -> str:
    """"path/to/file.py:LINE" of the innermost frame of `exc`'s traceback."""
    tb = exc.__traceback__
    if tb is None:
        return "?"
    while tb.tb_next is not None:
        tb = tb.tb_next
    module = tb.tb_frame.f_globals.get("__name__", "")
    return f"{_relative(tb.tb_frame.f_code.co_filename, module)}:{tb.tb_lineno}"


def _relative(filename: str, module: str) -> str:
    top = sys.modules.get(module.partition(".")[0]) if module else None
    top_file = getattr(top, "__file__", None)
    if top_file:
        root = Path(top_file).parent
        if hasattr(top, "__path__"):   # a package: the path starts with its name
            root = root.parent
        try:
            return Path(filename).relative_to(root).as_posix()
        except ValueError:
            pass
    return Path(filename).name


def describe(exc: BaseException) -> str:
    """"KeyError: 'x' at fsw/x.py:12"."""
    return f"{type(exc).__name__}: {str(exc)[:MESSAGE_MAX]} at {raising_line(exc)}"


__all__ = ["MESSAGE_MAX", "describe", "raising_line"]
