"""Suite-wide hypothesis profiles, chosen by the HYPOTHESIS_PROFILE environment variable.

- `ci` (the default; `make test` and so `.ci/run`): derandomized, so a run is repeatable and
  a red CI is never a roll of the dice; no deadline (a loaded 2-core runner is slow, not
  wrong); the reproduction blob printed on failure.
- `thorough` (`make test-all`, nightly): randomised, so every run explores new examples; more
  examples for tests that do not set their own budget. A failure prints its blob: replay it
  with `@reproduce_failure` or the saved example database.
"""
import atexit
import os
import shutil
import tempfile

from hypothesis import HealthCheck, settings

from fsw.core import events

# The session's own product cache (sim/product_cache.py): runs in the suite share the landing's
# map products as runs do, never with the user's cache; gone when the session ends.
os.environ["MSR_CACHE_DIR"] = tempfile.mkdtemp(prefix="msr-test-cache-")
atexit.register(shutil.rmtree, os.environ["MSR_CACHE_DIR"], True)

# Every emit the tests make is checked against its typed declaration (docs/components.md).
events.CHECK_EMITS = True

settings.register_profile("ci", derandomize=True, max_examples=100, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", derandomize=False, max_examples=1000, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
