"""The environment files agree, and the installed set is consistent and fast to import."""

import re
import subprocess
import sys
import time
from importlib import metadata
from importlib.util import find_spec
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s;]+)$")


def _pins(lines):
    pins = {}
    for line in lines:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = PIN.match(line)
        assert match, f"not an exact pin: {line!r}"
        pins[match.group(1).lower().replace("_", "-")] = match.group(2)
    return pins


def lock_pins():
    return _pins((ROOT / "requirements.lock").read_text().splitlines())


def test_environment_yml_mirrors_the_lock_file():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "python=3.11" in env["dependencies"]
    assert _pins(pip_section) == lock_pins()


def test_every_direct_dependency_is_pinned_and_within_its_range():
    from packaging.requirements import Requirement

    pyproject = (ROOT / "pyproject.toml").read_text()
    import tomllib

    project = tomllib.loads(pyproject)["project"]
    direct = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        direct += extra
    pins = lock_pins()
    for spec in direct:
        req = Requirement(spec)
        name = req.name.lower().replace("_", "-")
        assert name in pins, f"{req.name} is a dependency in pyproject.toml but not pinned"
        assert req.specifier.contains(pins[name], prereleases=True), (
            f"{req.name}=={pins[name]} in requirements.lock is outside {req.specifier}")


def test_installed_versions_match_the_lock():
    mismatched = {}
    for name, version in lock_pins().items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            mismatched[name] = (version, None)
            continue
        if installed != version:
            mismatched[name] = (version, installed)
    assert not mismatched, f"installed set differs from requirements.lock: {mismatched}"


def test_pip_check_is_clean():
    result = subprocess.run([sys.executable, "-m", "pip", "check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_slow_iri_validator_is_not_installed_and_papermill_imports_fast():
    # rfc3987-syntax builds a grammar at import (seconds per notebook run); we leave it out.
    assert find_spec("rfc3987_syntax") is None
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import papermill, nbconvert"], check=True)
    # Generous bound (noisy shared machine); with rfc3987-syntax it adds 1-4 s on its own.
    assert time.perf_counter() - start < 6
