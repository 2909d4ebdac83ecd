"""DIR/runs.jsonl: every run's record appended as it arrives, so a long campaign that is
interrupted keeps what it did, and `--resume` runs only what is missing.

Line 1 is a header naming the campaign (scenario, master seed, dispersions); a journal with
another header is not resumed from. Records are deterministic, so a resumed campaign's
report is the same as an uninterrupted one's.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import IO


class Journal:
    def __init__(self, path: Path, header: dict, resume: bool) -> None:
        self.path = path
        self.header = json.loads(json.dumps(header))          # as it reads back
        self.done: dict[int, tuple[dict, dict]] = self._load() if resume else {}
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file: IO[str] = path.open("w")
        self._write({"header": self.header})
        for k in sorted(self.done):
            self.append(*self.done[k])

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

    def _write(self, obj: dict) -> None:
        self._file.write(json.dumps(obj, sort_keys=True) + "\n")
        self._file.flush()

    def append(self, record: dict, timing: dict) -> None:
        self._write({"record": record, "timing": timing})

    def close(self) -> None:
        self._file.close()
