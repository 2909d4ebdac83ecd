"""Runs `msr` commands in this process (click's runner) and prints, as JSON, each one's exit
code, output, any exception that escaped, and the run directory's manifest afterwards.
Used inside fsfaults.run_with_mounts: `python -m tests.outdirs.driver < cases.json`."""
from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path

from click.testing import CliRunner

from msr.cli import cli


def main() -> None:
    results = []
    for case in json.load(sys.stdin):
        res = CliRunner().invoke(cli, case["argv"])
        escaped = None
        if res.exception is not None and not isinstance(res.exception, SystemExit):
            escaped = "".join(traceback.format_exception(res.exception))
        manifest = Path(case["out"]) / "manifest.json"
        try:
            manifest_state = json.loads(manifest.read_text()).get("state")
        except (OSError, ValueError):
            manifest_state = None
        results.append({**case, "exit_code": res.exit_code, "output": res.output, "escaped": escaped,
                        "manifest_state": manifest_state})
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
