"""DIR/runs.jsonl: every run's record appended as it arrives, so a long campaign that is
interrupted keeps what it did, and `--resume` runs only what is missing.

Line 1 is a header naming the campaign (scenario, master seed, dispersions); a journal with
another header is not resumed from. Records are deterministic, so a resumed campaign's
report is the same as an uninterrupted one's.

Crash safety: the journal a campaign starts from (the header, plus on `--resume` the records
it keeps) replaces the old file atomically (temporary file, fsync, rename, directory fsync),
so a crash while starting never loses the records being resumed; appended records are
fsynced at each `sync()` (the campaign calls it once per finished chunk of runs). A line
torn by a crash is the end of what is kept.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import IO

from sim import rundir


class Journal:
    def __init__(self, path: Path, header: dict, resume: bool) -> None:
        self.path = path
        self.header = json.loads(json.dumps(header))          # as it reads back
        self.done: dict[int, tuple[dict, dict]] = self._load() if resume else {}
        path.parent.mkdir(parents=True, exist_ok=True)
        lines = [self._line({"header": self.header})]
        lines += [self._line({"record": rec, "timing": timing})
                  for rec, timing in (self.done[k] for k in sorted(self.done))]
        rundir.atomic_write(path, "".join(lines))
        self._file: IO[str] = path.open("a")

    def _load(self) -> dict[int, tuple[dict, dict]]:
        if not self.path.is_file():
            return {}
        done = {}
        with self.path.open() as f:
            lines = iter(f)
            try:
                if json.loads(next(lines)).get("header") != self.header:
                    return {}
            except (StopIteration, json.JSONDecodeError, AttributeError):
                return {}
            for line in lines:
                try:
                    entry = json.loads(line)
                    done[entry["record"]["run"]] = (entry["record"], entry["timing"])
                except (json.JSONDecodeError, KeyError, TypeError):
                    break                                   # a torn last line: rerun from there
        return done

    @staticmethod
    def _line(obj: dict) -> str:
        return json.dumps(obj, sort_keys=True) + "\n"

    def append(self, record: dict, timing: dict) -> None:
        self._file.write(self._line({"record": record, "timing": timing}))
        self._file.flush()

    def sync(self) -> None:
        """Make every appended record durable (fsync)."""
        self._file.flush()
        rundir.sync_stream(self._file)

    def close(self) -> None:
        self.sync()
        self._file.close()
