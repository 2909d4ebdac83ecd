"""`msr new`: a working start for a vehicle or a component, the way `fprime-util new` and
cFS's sample_app give one. The generated package installs, registers itself (entry points)
and passes its own tests at once; the templates are in msr/templates/ (`${name}` fields).
"""
from __future__ import annotations

import importlib.util
import keyword
import re
from pathlib import Path
from string import Template

TEMPLATES = Path(__file__).with_name("templates")
NAME = re.compile(r"[a-z][a-z0-9_]{0,30}")


class ScaffoldError(ValueError):
    """Refused before anything is written (the message names why)."""


def check_name(name: str, what: str) -> str:
    if not NAME.fullmatch(name) or keyword.iskeyword(name):
        raise ScaffoldError(f"{what} name {name!r}: expected a lower-case Python identifier "
                            f"(letters, digits, _; at most 31 characters)")
    return name


def _class_name(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_") if part)


def _render(template: str, fields: dict[str, str]) -> str:
    return Template((TEMPLATES / template).read_text()).substitute(fields)


def _write_all(files: dict[Path, str]) -> list[Path]:
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return list(files)


def new_vehicle(name: str, parent: Path) -> list[Path]:
    """PARENT/NAME/: a package `NAME` with a thermostat component, its devices, plant, fault
    table and scenario, a bench file and its tests. Refused if the directory exists or NAME
    is already an importable module or a registered vehicle."""
    check_name(name, "vehicle")
    root = Path(parent) / name
    if root.exists():
        raise ScaffoldError(f"{root} already exists; choose another NAME or --dir")
    if importlib.util.find_spec(name) is not None:
        raise ScaffoldError(f"vehicle name {name!r}: a module of that name is already importable here")
    from sim import registry
    if name in registry.vehicle_names() or name in registry.scenario_names():
        raise ScaffoldError(f"vehicle name {name!r}: already registered (see msr sil --help)")
    fields = {"name": name, "dist": f"msr-{name.replace('_', '-')}", "module": "thermostat",
              "Class": "Thermostat", "package": name, "port": f"/tmp/msr-{name}-tty"}
    files = {root / "pyproject.toml": _render("pyproject.toml.tmpl", fields),
             root / "README.md": _render("README.md.tmpl", fields),
             root / "bench.toml": _render("bench.toml.tmpl", fields),
             root / "tests" / "conftest.py": _render("tests/conftest.py.tmpl", fields),
             root / "tests" / "test_sil.py": _render("tests/test_sil.py.tmpl", fields),
             root / "tests" / "test_thermostat_modes.py": _render("tests/test_component_modes.py.tmpl", fields)}
    for part in ("__init__", "devices", "plant", "faults", "scenario"):
        files[root / name / f"{part}.py"] = _render(f"package/{part}.py.tmpl", fields)
    files[root / name / "thermostat.py"] = _render("package/component.py.tmpl", fields)
    return _write_all(files)


def new_component(name: str, package_dir: Path) -> list[Path]:
    """PACKAGE_DIR/NAME.py (a component with a mode table) and its mode-property test beside
    the package (../tests/test_NAME_modes.py). Refused if either file exists."""
    check_name(name, "component")
    package_dir = Path(package_dir)
    if not (package_dir / "__init__.py").is_file():
        raise ScaffoldError(f"{package_dir} is not a Python package (no __init__.py); give the vehicle's "
                            f"package directory with --dir")
    fields = {"name": package_dir.name, "module": name, "Class": _class_name(name), "package": package_dir.name}
    files = {package_dir / f"{name}.py": _render("package/component.py.tmpl", fields),
             package_dir.parent / "tests" / f"test_{name}_modes.py": _render("tests/test_component_modes.py.tmpl",
                                                                               fields)}
    clash = [str(p) for p in files if p.exists()]
    if clash:
        raise ScaffoldError(f"{', '.join(clash)} already exist(s); nothing written")
    return _write_all(files)


__all__ = ["ScaffoldError", "check_name", "new_component", "new_vehicle"]
