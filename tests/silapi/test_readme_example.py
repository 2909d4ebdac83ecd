"""The SIL example in the README runs, as written, with the installed `sil` plugin."""
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_readme_sil_example_passes(tmp_path):
    text = (ROOT / "README.md").read_text()
    m = re.search(r"<!-- sil-example.*?-->\s*```python\n(.*?)```", text, re.S)
    assert m, "README lost its SIL example block"
    test_file = tmp_path / "test_readme_example_block.py"
    test_file.write_text(m.group(1))
    res = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test_file)],
                         cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]
    assert "1 passed" in res.stdout
