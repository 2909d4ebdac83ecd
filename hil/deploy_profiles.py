"""Board profiles for deploy bundles, and how each runtime dependency reaches a board.

A profile names a board's OS family by what pip needs to pick wheels for it: the CPU
architecture, the C library (glibc) version and the Python version. pip does not expand a
manylinux tag into the older ones it implies (numpy >= 2.3 ships aarch64 only as
manylinux_2_28, older packages only as manylinux2014), so a profile lists them all:
manylinux_2_<glibc>... down to manylinux_2_17 and manylinux2014, then linux_<arch>.

Raw pip platform tags are still accepted (comma-separated), with `--python-version`.
"""
from __future__ import annotations

import platform as _platform
import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class BoardProfile:
    name: str
    arch: str                 # wheel tag machine: aarch64, x86_64
    glibc: tuple[int, int]    # the board's glibc: newest manylinux tag it can load
    python: str               # "3.11": the interpreter the board's OS ships
    boards: str               # what it is for, in words

    def platform_tags(self) -> list[str]:
        major, minor = self.glibc
        tags = [f"manylinux_{major}_{m}_{self.arch}" for m in range(minor, 16, -1)]
        return tags + [f"manylinux2014_{self.arch}", f"linux_{self.arch}"]


# Debian 12 bookworm (and Raspberry Pi OS bookworm): glibc 2.36, Python 3.11
PROFILES: dict[str, BoardProfile] = {
    "aarch64": BoardProfile("aarch64", "aarch64", (2, 36), "3.11",
                            "Raspberry Pi 4/5, Jetson, Zynq UltraScale+ on Debian / Raspberry Pi OS bookworm"),
    "x86_64": BoardProfile("x86_64", "x86_64", (2, 36), "3.11",
                           "x86-64 boards and PCs on Debian bookworm"),
}


@dataclass(frozen=True)
class Target:
    """What `pip download` is told: platform tags and a Python version (None: this machine)."""

    tags: tuple[str, ...] | None
    python: str
    profile: BoardProfile | None = None

    @property
    def label(self) -> str:
        if self.tags is None:
            return "this machine"
        return self.profile.name if self.profile else ",".join(self.tags)

    @property
    def arch(self) -> str | None:
        if self.profile is not None:
            return self.profile.arch
        if self.tags:
            for a in ("aarch64", "x86_64", "armv7l", "i686", "ppc64le", "s390x", "riscv64"):
                if self.tags[0].endswith(a):
                    return a
        return None

    @property
    def native(self) -> bool:
        """True when wheels built on this machine run on the board (same CPU and Python)."""
        host_py = f"{sys.version_info.major}.{sys.version_info.minor}"
        return self.tags is None or (self.arch == _platform.machine() and self.python == host_py
                                     and sys.platform == "linux")


def resolve_target(platform: str | None, python_version: str | None) -> Target:
    """`--platform` as a profile name, raw tag(s) or None (this machine)."""
    host_py = f"{sys.version_info.major}.{sys.version_info.minor}"
    if platform is None:
        return Target(None, python_version or host_py)
    prof = PROFILES.get(platform)
    if prof is not None:
        return Target(tuple(prof.platform_tags()), python_version or prof.python, prof)
    tags = tuple(t.strip() for t in platform.split(",") if t.strip())
    bad = [t for t in tags if not t.replace("_", "").replace(".", "").isalnum()]
    if not tags or bad:
        raise ValueError(f"--platform {platform!r}: not a profile ({', '.join(PROFILES)}) nor pip platform tags")
    return Target(tags, python_version or host_py)


@dataclass(frozen=True)
class Handling:
    how: str      # "target wheel", "pure fallback", "pure", "stdlib"
    why: str


# Each runtime dependency, decided on purpose (the manifest and `msr hil deploy` print it).
DEPENDENCIES: dict[str, Handling] = {
    "numpy": Handling("target wheel", "binary wheel for the board at the host's version (the emulator "
                      "and the board must agree on every numpy result that reaches telemetry)"),
    "google-crc32c": Handling("target wheel", "CRC-32C of the serial frames: wheels for x86_64 and "
                              "aarch64 (manylinux2014) with the CPU's CRC instructions; replaces crcmod, "
                              "which ships no wheels at all"),
    "cobs": Handling("pure fallback", "COBS of the serial frames: PyPI has only its source; the bundle "
                     "carries its own pure-Python path (built with the compiler switched off) unless a "
                     "wheel built on the board is given (--wheels DIR). Cost measured by board-check"),
    "pyserial": Handling("pure", "pure Python"),
    "transitions": Handling("pure", "pure Python"),
    "click": Handling("pure", "pure Python"),
    "tqdm": Handling("pure", "pure Python"),
    "six": Handling("pure", "pure Python (a dependency of transitions)"),
    "crcmod": Handling("stdlib", "replaced: CRC-16/CCITT-FALSE is binascii.crc_hqx(data, 0xFFFF)"),
}


def handling(name: str) -> Handling:
    key = name.lower().replace("_", "-")
    return DEPENDENCIES.get(key, Handling("unreviewed", "not in hil.deploy_profiles.DEPENDENCIES"))


__all__ = ["BoardProfile", "DEPENDENCIES", "Handling", "PROFILES", "Target", "handling", "resolve_target"]
