"""Deploy for a board: profiles expand to every manylinux tag the board can load, each wheel
is classified (platform, compiled, accelerated or a pure fallback), the bundle is pinned to
this machine's versions, and install.sh refuses a damaged bundle before touching anything."""
import hashlib
import os
import subprocess
from importlib import metadata

import pytest

from hil.deploy import DeployError, build_bundle
from hil.deploy_profiles import PROFILES, resolve_target
from hil.deploy_templates import TEMPLATES
from hil.deploy_wheels import classify, host_versions, parse_wheel_name, runtime_requirements

from .kit import bench_data, write_bench


def test_aarch64_profile_lists_every_manylinux_tag_newest_first():
    tags = PROFILES["aarch64"].platform_tags()
    assert tags[0] == "manylinux_2_36_aarch64"            # bookworm's glibc
    # numpy >= 2.3 ships aarch64 only as manylinux_2_28, older packages only as manylinux2014
    for t in ("manylinux_2_28_aarch64", "manylinux_2_17_aarch64", "manylinux2014_aarch64", "linux_aarch64"):
        assert t in tags
    assert tags.index("manylinux_2_28_aarch64") < tags.index("manylinux_2_17_aarch64")
    assert not any(t.startswith("manylinux_2_37") or "x86_64" in t for t in tags)
    assert all("x86_64" in t for t in PROFILES["x86_64"].platform_tags())


def test_targets_from_profiles_raw_tags_or_this_machine():
    t = resolve_target("aarch64", None)
    assert t.python == "3.11" and t.arch == "aarch64" and t.label == "aarch64"
    assert resolve_target("aarch64", "3.12").python == "3.12"
    raw = resolve_target("manylinux2014_aarch64,manylinux_2_28_aarch64", "3.11")
    assert raw.tags == ("manylinux2014_aarch64", "manylinux_2_28_aarch64") and raw.arch == "aarch64"
    assert resolve_target(None, None).tags is None and resolve_target(None, None).native
    with pytest.raises(ValueError, match="not a profile"):
        resolve_target("arm64; rm -rf /", None)


@pytest.mark.parametrize("file, platform, compiled, accelerated", [
    ("numpy-2.4.6-cp311-cp311-manylinux_2_27_aarch64.manylinux_2_28_aarch64.whl",
     "manylinux_2_27_aarch64.manylinux_2_28_aarch64", True, True),
    ("google_crc32c-1.9.0-cp311-cp311-manylinux2014_aarch64.manylinux_2_17_aarch64.whl",
     "manylinux2014_aarch64.manylinux_2_17_aarch64", True, True),
    ("cobs-1.2.2-py3-none-any.whl", "any", False, False),       # the host runs cobs compiled
    ("cobs-1.2.2-cp311-cp311-linux_aarch64.whl", "linux_aarch64", True, True),
    ("pyserial-3.5-py2.py3-none-any.whl", "any", False, None),  # nothing to accelerate
    ("msr_fsw-0.1.0-py3-none-any.whl", "any", False, None),
])
def test_each_wheel_is_classified(file, platform, compiled, accelerated):
    w = classify(file)
    assert (w.platform, w.compiled, w.accelerated) == (platform, compiled, accelerated)
    assert w.handling != "unreviewed" and w.why
    if accelerated is False:
        assert w.handling == "pure fallback"


def test_an_unknown_dependency_is_marked_unreviewed_and_bad_names_refused():
    assert classify("leftpad-1.0-py3-none-any.whl").handling == "unreviewed"
    assert parse_wheel_name("a-1.0-1-py3-none-any.whl") == ("a", "1.0", "any")
    with pytest.raises(DeployError):
        parse_wheel_name("not-a-wheel.whl")


def test_the_bundle_is_pinned_to_this_machines_versions():
    pins = host_versions(runtime_requirements())
    assert pins["numpy"] == metadata.version("numpy")
    assert pins["google-crc32c"] == metadata.version("google-crc32c")
    assert "six" in pins                      # transitive (transitions needs it)
    assert "crcmod" not in pins and "msr-fsw" not in pins


def test_a_bad_platform_or_wheel_dir_fails_before_any_download(tmp_path):
    bench = write_bench(tmp_path, bench_data(tmp_path))
    with pytest.raises(DeployError, match="not a profile"):
        build_bundle(bench, tmp_path / "b1", platform="arm 64")
    with pytest.raises(DeployError, match="--wheels"):
        build_bundle(bench, tmp_path / "b2", platform="aarch64", extra_wheels=tmp_path / "nowhere")
    assert not (tmp_path / "b1").exists() and not (tmp_path / "b2").exists()


def test_install_sh_refuses_a_damaged_bundle_before_installing(tmp_path):
    bundle = tmp_path / "bundle"
    (bundle / "wheels").mkdir(parents=True)
    script = bundle / "install.sh"
    script.write_text(TEMPLATES["install.sh"].replace("@PYTHON_VERSION@", "3.11"))
    script.chmod(0o755)
    (bundle / "wheels" / "x.whl").write_bytes(b"the wheel")
    sums = "".join(f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.relative_to(bundle)}\n"
                   for p in (script, bundle / "wheels" / "x.whl"))
    (bundle / "SHA256SUMS").write_text(sums)
    (bundle / "wheels" / "x.whl").write_bytes(b"the wheel, truncated on the way")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    proc = subprocess.run([str(script), str(tmp_path / "prefix")], capture_output=True, text=True, env=env)
    assert proc.returncode == 2 and "damaged or incomplete" in proc.stderr
    assert "x.whl: FAILED" in proc.stdout + proc.stderr
    assert not (tmp_path / "prefix").exists()


def test_install_sh_ends_with_the_board_check_and_fails_when_it_does():
    text = TEMPLATES["install.sh"]
    assert text.index("sha256sum") < text.index("-m venv")
    tail = text[text.index("board check"):]
    assert "msr\" hil board-check" in tail and "exit 3" in tail
