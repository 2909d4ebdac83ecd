"""CI runs hypothesis derandomized (the same examples every run); nightly runs explore."""
import os
import re
from pathlib import Path

from hypothesis import settings

ROOT = Path(__file__).resolve().parents[1]


def test_the_ci_profile_is_derandomized_and_the_thorough_one_is_not():
    ci, thorough = settings.get_profile("ci"), settings.get_profile("thorough")
    assert ci.derandomize and ci.database is None and ci.deadline is None and ci.print_blob
    assert not thorough.derandomize and thorough.max_examples > ci.max_examples
    if os.environ.get("HYPOTHESIS_PROFILE", "ci") == "ci":
        assert settings.default.derandomize         # a plain `pytest` is CI's run


def test_make_test_and_so_ci_use_the_ci_profile():
    make = (ROOT / "Makefile").read_text()
    recipe = dict(re.findall(r"^(test|test-all): .*\n\t(.*)$", make, re.M))
    assert "HYPOTHESIS_PROFILE=$(or $(HYPOTHESIS_PROFILE),ci)" in recipe["test"]
    assert "HYPOTHESIS_PROFILE=$(or $(HYPOTHESIS_PROFILE),thorough)" in recipe["test-all"]
    assert "make test" in (ROOT / ".ci" / "run").read_text()
