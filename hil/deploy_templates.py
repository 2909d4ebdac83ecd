"""The scripts and unit file a deploy bundle carries (kept as strings so they ship in the
wheel without package-data rules). @NAMES@ are filled in by `hil.deploy`; @PREFIX@ is
filled in on the board by install.sh."""

INSTALL_SH = r"""#!/bin/sh
# Offline installer of the MSR flight software bundle.
#   ./install.sh PREFIX        (PYTHON=python3.11 ./install.sh PREFIX to pick the interpreter)
# Checks the sha256 of every file of the bundle, creates PREFIX/venv from its wheels (no
# network), copies the bench file and its ground products, the real-time set-up and the systemd unit (not enabled:
# see the note at the end), then runs the board self-check: each item ok or missing.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
PREFIX=${1:?usage: install.sh PREFIX}
PYTHON=${PYTHON:-python3}
if ! (cd "$HERE" && sha256sum --quiet --strict -c SHA256SUMS); then
  echo "install.sh: the bundle is damaged or incomplete (sha256 above); copy it again" >&2
  exit 2
fi
want="@PYTHON_VERSION@"
have=$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])') || {
  echo "install.sh: cannot run $PYTHON (set PYTHON=...)" >&2; exit 2; }
if [ "$have" != "$want" ]; then
  echo "install.sh: this bundle was built for Python $want, $PYTHON is $have (set PYTHON=...)" >&2
  exit 2
fi
"$PYTHON" -c 'import venv, ensurepip' 2>/dev/null || {
  echo "install.sh: $PYTHON has no venv/ensurepip (Debian: apt install python3-venv)" >&2; exit 2; }
mkdir -p "$PREFIX"
PREFIX=$(cd "$PREFIX" && pwd)
"$PYTHON" -m venv "$PREFIX/venv"
"$PREFIX/venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-index \
    --find-links "$HERE/wheels" @DISTRIBUTIONS@
cp "$HERE/bench.toml" "$PREFIX/bench.toml"
if [ -d "$HERE/products" ]; then   # the ground's products (onboard map), beside the bench file
  mkdir -p "$PREFIX/products"
  cp "$HERE"/products/* "$PREFIX/products/"
fi
cp "$HERE/manifest.json" "$PREFIX/manifest.json"
cp "$HERE/rt-setup.sh" "$PREFIX/rt-setup.sh"
chmod +x "$PREFIX/rt-setup.sh"
sed "s#@PREFIX@#$PREFIX#g" "$HERE/msr-fsw.service" > "$PREFIX/msr-fsw.service"
mkdir -p "$PREFIX/runs"
echo "installed in $PREFIX"
echo "run:     $PREFIX/venv/bin/msr hil run --bench $PREFIX/bench.toml --out $PREFIX/runs/latest"
echo "service: cp $PREFIX/msr-fsw.service /etc/systemd/system/ && systemctl enable --now msr-fsw"
echo "board check:"
if ! "$PREFIX/venv/bin/msr" hil board-check --bench "$PREFIX/bench.toml" --manifest "$PREFIX/manifest.json"; then
  echo "install.sh: installed, but the board check found items missing (above); fix them before flying" >&2
  exit 3
fi
"""

RT_SETUP_SH = r"""#!/bin/sh
# System-level real-time set-up for the board (run as root, e.g. as ExecStartPre).
# Each step says ok or why not; none fails the start. The process-level steps (SCHED_FIFO,
# affinity, mlockall, gc, timer slack) are done by `msr hil run` itself.
step() { name=$1; shift; if "$@" >/dev/null 2>&1; then echo "rt-setup: $name ok"; else echo "rt-setup: $name not applied"; fi; }
# let SCHED_FIFO tasks run without the 95% throttle
step "rt throttling off" sh -c 'echo -1 > /proc/sys/kernel/sched_rt_runtime_us'
# performance governor on every CPU that has cpufreq
for g in /sys/devices/system/cpu/cpu*/cpufreq/scaling_governor; do
  [ -w "$g" ] && step "governor $(basename "$(dirname "$(dirname "$g")")")" sh -c "echo performance > $g"
done
# USB-serial adapters (FTDI) hold received bytes up to 16 ms by default: 1 ms for every one
for t in /sys/bus/usb-serial/devices/*/latency_timer; do
  [ -w "$t" ] && step "latency timer $(basename "$(dirname "$t")") 1 ms" sh -c "echo 1 > $t"
done
# keep deep C-states away while the flight software runs is done by cyclictest-style
# /dev/cpu_dma_latency holders; not applied here.
exit 0
"""

SERVICE = r"""[Unit]
Description=MSR flight software, board side of the HIL bench
After=network.target

[Service]
Type=simple
ExecStartPre=-@PREFIX@/rt-setup.sh
ExecStart=@PREFIX@/venv/bin/msr hil run --bench @PREFIX@/bench.toml --out @PREFIX@/runs/latest
LimitRTPRIO=99
LimitMEMLOCK=infinity
CPUAffinity=@CPU_AFFINITY@
Restart=no

[Install]
WantedBy=multi-user.target
"""

TEMPLATES = {"install.sh": INSTALL_SH, "rt-setup.sh": RT_SETUP_SH, "msr-fsw.service": SERVICE}
