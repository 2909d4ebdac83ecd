"""Command sequences: relative- and absolute-time commands loaded from a text file.

One command a line; `#` starts a comment:

    R+5          lander.NOOP                  # 5 s after the previous command
    R+00:01:30.5 mav.SET_PARAM param=grain_min_C value=-35
    A120.0       ero.START_SEARCH             # at spacecraft time 120 s
    A@2000000000 ero.NOOP                     # at spacecraft time 2e9 ns

Times become integer nanoseconds. A malformed line raises `SequenceError` naming the line
and the reason. Argument values stay text until the
command declaration converts them at dispatch. The sequencer component runs due commands through the topology router and
reports each outcome as an event.
"""
from __future__ import annotations

import re
import shlex
import zlib
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable, Mapping

from .component import CommandResult, Component, command
from .declarations import Arg, Channel
from .events import EventDef, Severity
from .modes import ModeTable, T
from .time import NS_PER_S


class SequenceError(ValueError):
    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason


@dataclass(frozen=True)
class SeqEntry:
    line: int
    relative: bool
    t_ns: int  # delay after the previous entry (relative) or spacecraft time (absolute)
    target: str  # "component.COMMAND"
    args: tuple[tuple[str, Any], ...]


_TARGET = re.compile(r"^[A-Za-z_][\w-]*\.[A-Za-z_]\w*$")
# ASCII digits only: str.isdigit, int() and \d also take "²" or "٣", which are no times.
_HMS = re.compile(r"([0-9]{1,12}):([0-5][0-9]):([0-5][0-9](?:\.[0-9]{1,30})?)", re.ASCII)
_DECIMAL = re.compile(r"[+-]?(?:[0-9]{1,20}(?:\.[0-9]{0,30})?|\.[0-9]{1,30})", re.ASCII)
_NS = re.compile(r"[0-9]{1,19}", re.ASCII)
MAX_T_NS = 2**63 - 1   # times are signed 64-bit nanoseconds on the wire


def _parse_seconds(text: str, line: int) -> int:
    """Seconds as [H:MM:SS.frac] or a plain decimal (ASCII), to integer ns, exactly."""
    m = _HMS.fullmatch(text)
    if m:
        sec = Fraction(int(m.group(1)) * 3600 + int(m.group(2)) * 60) + Fraction(m.group(3))
    elif _DECIMAL.fullmatch(text):
        sec = Fraction(text)
    else:
        raise SequenceError(line, f"bad time {text!r} (seconds like 5, 0.25 or 00:01:30.5)")
    if sec < 0:
        raise SequenceError(line, f"negative time {text!r}")
    t_ns = int(round(sec * NS_PER_S))
    if t_ns > MAX_T_NS:
        raise SequenceError(line, f"time {text!r} beyond {MAX_T_NS} ns")
    return t_ns


def parse_sequence(text: str) -> list[SeqEntry]:
    entries: list[SeqEntry] = []
    last_abs = -1
    for no, raw in enumerate(text.splitlines(), start=1):
        try:
            words = shlex.split(raw, comments=True)
        except ValueError as exc:
            raise SequenceError(no, f"cannot split line: {exc}") from None
        if not words:
            continue
        if len(words) < 2:
            raise SequenceError(no, "expected '<time> <component.COMMAND> [arg=value ...]'")
        when, target, *rest = words
        if when.startswith("R+"):
            relative, t_ns = True, _parse_seconds(when[2:], no)
        elif when.startswith("A@"):
            if not _NS.fullmatch(when[2:]) or int(when[2:]) > MAX_T_NS:
                raise SequenceError(no, f"bad absolute time in ns {when!r} (ASCII digits, at most {MAX_T_NS})")
            relative, t_ns = False, int(when[2:])
        elif when.startswith("A"):
            relative, t_ns = False, _parse_seconds(when[1:], no)
        else:
            raise SequenceError(no, f"time {when!r} must start with R+ (relative) or A (absolute)")
        if not relative:
            if t_ns < last_abs:
                raise SequenceError(no, "absolute times must not go backwards")
            last_abs = t_ns
        if not _TARGET.match(target):
            raise SequenceError(no, f"bad command target {target!r} (want component.COMMAND)")
        args: dict[str, Any] = {}
        for item in rest:
            key, sep, val = item.partition("=")
            if not sep or not key.isidentifier():
                raise SequenceError(no, f"bad argument {item!r} (want name=value)")
            if key in args:
                raise SequenceError(no, f"argument {key} given twice")
            args[key] = val  # typed by the command declaration at dispatch
        entries.append(SeqEntry(no, relative, t_ns, target, tuple(args.items())))
    return entries


Dispatcher = Callable[[str, Mapping[str, Any]], CommandResult]


class Sequencer(Component):
    """Runs a loaded sequence: relative entries count from the previous command's dispatch."""

    MODES = ModeTable(
        modes=("IDLE", "RUNNING", "DONE"), initial="IDLE",
        transitions=(T("start", ("IDLE", "DONE"), "RUNNING", "has_sequence"),
                     T("finish", "RUNNING", "DONE"),
                     T("abort", "RUNNING", "IDLE")),
    )
    CHANNELS = (Channel("next_index", int), Channel("commands_ok", int),
                Channel("commands_failed", int))
    EVENTS = (EventDef("SEQ_CMD", Severity.ACTIVITY_LO, "line {line}: {target} -> {status}", line=int, target=str, status=str),
              EventDef("SEQ_CMD_FAILED", Severity.WARNING_HI, "line {line}: {target}: {reason}", line=int, target=str, reason=str),
              EventDef("SEQ_DONE", Severity.ACTIVITY_HI, "{ok} ok, {failed} failed", ok=int, failed=int))

    def __init__(self, name: str, dispatch: Dispatcher) -> None:
        super().__init__(name)
        self._dispatch = dispatch
        self.entries: list[SeqEntry] = []
        self._index = 0
        self._due_ns = 0

    def has_sequence(self) -> bool:
        return bool(self.entries)

    def load(self, entries: list[SeqEntry]) -> None:
        self.entries = list(entries)

    def start_sequence(self, now_ns: int) -> bool:
        self._index = 0
        self.tlm["commands_ok"] = self.tlm["commands_failed"] = 0
        self._base_ns = now_ns
        if not self.trigger("start"):
            return False
        self._due_ns = self._due(now_ns)
        return True

    @command("START", modes=("IDLE", "DONE"), doc="Start the loaded sequence")
    def _cmd_start(self) -> None:
        self.start_sequence(self.time.now_ns)

    @command("ABORT", modes=("RUNNING",), doc="Stop the running sequence")
    def _cmd_abort(self) -> None:
        self.trigger("abort")

    def _due(self, prev_ns: int) -> int:
        e = self.entries[self._index]
        return prev_ns + e.t_ns if e.relative else e.t_ns

    def step(self, t_ns: int) -> None:
        if self.mode != "RUNNING":
            return
        while self._index < len(self.entries) and t_ns >= self._due_ns:
            e = self.entries[self._index]
            result = self._dispatch(e.target, dict(e.args))
            if result.ok:
                self.tlm["commands_ok"] += 1
                self.emit("SEQ_CMD", line=e.line, target=e.target, status=result.status.value)
            else:
                self.tlm["commands_failed"] += 1
                self.emit("SEQ_CMD_FAILED", line=e.line, target=e.target, reason=result.reason)
            self._index += 1
            if self._index < len(self.entries):
                self._due_ns = self._due(t_ns)
        self.tlm["next_index"] = self._index
        if self._index >= len(self.entries):
            self.trigger("finish")
            self.emit("SEQ_DONE", ok=self.tlm["commands_ok"], failed=self.tlm["commands_failed"])

    def _digest(self) -> int:
        """What sequence is loaded (a restore must not resume another one at this index);
        computed once per loaded sequence (checkpoints ask for it every second)."""
        cached = getattr(self, "_digest_cache", None)
        if cached is None or cached[0] is not self.entries or cached[1] != len(self.entries):
            cached = self._digest_cache = (self.entries, len(self.entries),
                                           zlib.crc32(repr(self.entries).encode()))
        return cached[2]

    def checkpoint_state(self) -> dict[str, Any]:
        """Where the running sequence is: a reset resumes at the next command, not from the
        top (a checkpoint is saved at the end of every tick that dispatched one)."""
        return super().checkpoint_state() | {
            "index": self._index, "due_ns": self._due_ns, "digest": self._digest(),
            "ok": self.tlm["commands_ok"], "failed": self.tlm["commands_failed"]}

    def restore_state(self, state: Mapping[str, Any]) -> None:
        super().restore_state(state)
        index, due = state.get("index"), state.get("due_ns")
        if state.get("digest") != self._digest() or not isinstance(index, int) \
                or not isinstance(due, int) or not 0 <= index <= len(self.entries):
            if self.mode == "RUNNING":   # not the sequence that was running: do not guess
                self.trigger("abort")
            return
        self._index, self._due_ns = index, due
        self.tlm["next_index"] = index
        self.tlm["commands_ok"] = int(state.get("ok", 0))
        self.tlm["commands_failed"] = int(state.get("failed", 0))
