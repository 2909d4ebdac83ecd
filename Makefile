# `make run` runs the whole campaign in SIL; `make test` runs the test suite.
# Both create or reuse .venv and install what they need (only Python 3.11+ is assumed).

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
EXTRAS ?= test,plots,cluster,console
# Reinstall when pyproject.toml changes (the stamp names its hash).
STAMP  := $(VENV)/.installed-$(shell $(PYTHON) -c "import hashlib,sys;print(hashlib.sha256(open('pyproject.toml','rb').read()+b'$(EXTRAS)').hexdigest()[:12])")

.PHONY: run test test-all lint-imports bench bytecode tools console browser clean

$(STAMP):
	@$(PYTHON) -c "import sys; sys.exit(0 if sys.version_info >= (3, 11) else 'Python 3.11+ is required, found ' + sys.version.split()[0])"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[$(EXTRAS)]'
	@rm -f $(VENV)/.installed-*
	@touch $@

run: $(STAMP) bytecode
	$(VENV)/bin/msr run --force

# The project's modules byte-compiled (only those changed since): every process of a campaign
# imports ~400 of them, and where PYTHONDONTWRITEBYTECODE is set nothing else writes the .pyc,
# so each process compiled them all again (0.4 s of CPU a process, measured).
bytecode: $(STAMP)
	@$(PY) -m compileall -q -j 0 hal fsw sim hil msr

# Hypothesis profiles (tests/conftest.py): `ci` is derandomized (CI runs `make test`), `thorough`
# is randomised with more examples; HYPOTHESIS_PROFILE=... overrides either.
test: $(STAMP) bytecode tools
	HYPOTHESIS_PROFILE=$(or $(HYPOTHESIS_PROFILE),ci) $(PY) -m pytest

test-all: $(STAMP) tools browser
	HYPOTHESIS_PROFILE=$(or $(HYPOTHESIS_PROFILE),thorough) $(PY) -m pytest -m ''

lint-imports: $(STAMP)
	$(VENV)/bin/lint-imports

bench: $(STAMP)
	@for b in bench/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

# Optional system tools some tests use (socat for pty pairs, cyclictest for timing runs).
# Installed when this machine lets us (root + apt); the tests skip cleanly otherwise.
tools:
	@sh tools/install-system-tools.sh

# The ground console's npm part (Open MCT, pinned) and, for its browser test, Debian's chromium
# with Playwright for Python (which drives the system browser; no browser download).
console: $(STAMP)
	@sh tools/install-console.sh $(PY)

browser: $(STAMP)
	$(PY) -m pip install --quiet -e '.[$(EXTRAS),browser]'
	@sh tools/install-console.sh --browser $(PY)

clean:
	rm -rf $(VENV) runs .pytest_cache .hypothesis build *.egg-info
	find hal fsw sim hil msr -name __pycache__ -type d -prune -exec rm -rf {} +
