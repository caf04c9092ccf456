"""The package's surface and its metadata stay true."""

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

import argil_nb

ROOT = Path(__file__).resolve().parents[1]


def _name_and_spec(requirement: str) -> tuple[str, str]:
    match = re.match(r"\s*([A-Za-z0-9_.\-]+)\s*(.*)", requirement)
    assert match, requirement
    return match.group(1).lower().replace("_", "-"), match.group(2).replace(" ", "")


PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PROJECT = PYPROJECT["project"]


def test_environment_yml_names_the_same_dependencies_as_pyproject():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert env["channels"] == ["conda-forge"]
    assert all(isinstance(d, str) for d in env["dependencies"]), "no pip section, no local path"
    conda = dict(_name_and_spec(d) for d in env["dependencies"])
    wanted = PROJECT["dependencies"] + PROJECT["optional-dependencies"]["notebooks"]
    assert {k: v for k, v in conda.items() if k not in ("python", "pip")} == dict(
        _name_and_spec(d) for d in wanted
    )


def test_one_python_is_pinned_floored_and_tested():
    # environment.yml pins the Python that mypy checks and CI runs (.ci/run refuses another).
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    tested = PYPROJECT["tool"]["mypy"]["python_version"]
    assert f"python={tested}" in env["dependencies"]
    assert PROJECT["requires-python"] == f">={tested}"
    assert PYPROJECT["tool"]["ruff"]["target-version"] == "py" + tested.replace(".", "")
    assert f"PYTHON_TESTED={tested}" in (ROOT / ".ci" / "run").read_text()


def test_the_floors_constraints_are_in_step_with_pyproject():
    result = subprocess.run(
        [sys.executable, "scripts/floors.py", "--check"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_runtime_floor_says_what_sets_it():
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    block = text[text.index("dependencies = [") : text.index("]", text.index("dependencies = ["))]
    lines = [line.strip() for line in block.splitlines()[1:]]
    for index, line in enumerate(lines):
        if line.startswith('"'):
            assert lines[index - 1].startswith("#"), f"{line}: no comment says what sets it"
    assert len([line for line in lines if line.startswith('"')]) == len(PROJECT["dependencies"])


def test_extras_by_purpose():
    extras = PROJECT["optional-dependencies"]
    names = {k: {_name_and_spec(d)[0] for d in v} for k, v in extras.items()}
    assert {"jupyterlab", "matplotlib", "ipykernel"} <= names["notebooks"]
    assert "argil-nb[notebooks]" in extras["test"] and {"pytest", "nbval"} <= names["test"]
    assert "argil-nb[test]" in extras["dev"] and {"ruff", "mypy"} <= names["dev"]
    runtime = {_name_and_spec(d)[0] for d in PROJECT["dependencies"]}
    assert not runtime & {"jupyterlab", "pytest", "ruff", "mypy", "playwright"}


def test_license_is_spdx_with_a_setuptools_that_takes_it():
    assert PROJECT["license"] == "MIT"
    assert PYPROJECT["build-system"]["requires"] == ["setuptools>=77"]


def test_public_names_are_pinned():
    assert sorted(argil_nb.__all__) == sorted(
        [
            "FAILED",
            "PROCESSING",
            "READY",
            "APIConnectionError",
            "APIError",
            "ArgilError",
            "ArgilWarning",
            "Asset",
            "AssetNotFound",
            "AuthenticationError",
            "BatchError",
            "Client",
            "IncompleteListing",
            "InvalidArgument",
            "InvalidAssetId",
            "InvalidResponse",
            "JournalError",
            "RateLimitError",
            "ServerError",
            "StatusPanel",
            "WaitTimeout",
            "__version__",
            "assets_frame",
            "connect",
            "create_assets",
            "get_asset",
            "get_assets",
            "list_assets",
            "read_csv",
            "show",
            "to_csv",
            "use",
            "wait",
            "watch",
        ]
    )
    for name in argil_nb.__all__:
        assert getattr(argil_nb, name) is not None


def test_version_matches_pyproject():
    assert argil_nb.__version__ == PROJECT["version"]


def test_import_does_no_io_and_stays_light():
    code = (
        "import socket, sys\n"
        "def refuse(*a, **k): raise AssertionError('socket opened at import')\n"
        "socket.socket.connect = refuse\n"
        "import argil_nb\n"
        "assert 'ipywidgets' not in sys.modules, 'ipywidgets imported eagerly'\n"
        "assert 'argil_nb.sandbox' not in sys.modules, 'sandbox imported eagerly'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_error_tree():
    e = argil_nb
    for cls in (e.AuthenticationError, e.AssetNotFound, e.RateLimitError, e.ServerError):
        assert issubclass(cls, e.APIError) and issubclass(cls, e.ArgilError)
    assert issubclass(e.InvalidAssetId, ValueError)
    assert issubclass(e.InvalidArgument, ValueError)
    for cls in (e.APIConnectionError, e.WaitTimeout, e.BatchError):
        assert issubclass(cls, e.ArgilError)
    assert issubclass(e.WaitTimeout, TimeoutError) and issubclass(e.ArgilWarning, UserWarning)


def test_the_readme_lists_the_floors_ci_tests():
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").lower().split())
    pins = (ROOT / ".ci" / "floors.txt").read_text(encoding="utf-8").splitlines()
    for name, version in (p.split("==") for p in pins if p and not p.startswith("#")):
        assert f"{name} {version}" in readme, f"README does not say {name} {version} is tested"
    assert 'pip install "argil-nb[notebooks]"' in readme


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
@pytest.mark.parametrize(
    ("active", "used"),
    [
        ({}, ".venv"),
        ({"VIRTUAL_ENV": "/opt/their-venv"}, "/opt/their-venv"),
        ({"CONDA_PREFIX": "/opt/conda/envs/nb", "CONDA_DEFAULT_ENV": "nb"}, "/opt/conda/envs/nb"),
        ({"CONDA_PREFIX": "/opt/conda", "CONDA_DEFAULT_ENV": "base"}, ".venv"),
    ],
)
def test_make_installs_into_the_active_environment(active, used):
    drop = (
        "VIRTUAL_ENV",
        "CONDA_PREFIX",
        "CONDA_DEFAULT_ENV",
        "MAKEFLAGS",
        "MAKELEVEL",
        "INSTALLER",
    )
    env = {k: v for k, v in os.environ.items() if k not in drop} | active
    dry = subprocess.run(
        ["make", "-n", "-B", "setup"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert dry.returncode == 0, dry.stderr
    assert f"{used}/bin/python -m pip install --quiet -e '.[dev]'" in dry.stdout
    assert ("-m venv .venv" in dry.stdout) == (used == ".venv")


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_ci_installs_the_same_through_uv():
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL")}
    run = {"cwd": ROOT, "capture_output": True, "text": True}
    dry = subprocess.run(["make", "-n", "-B", "setup", "INSTALLER=uv"], env=env, **run)
    assert dry.returncode == 0, dry.stderr
    assert "-m uv pip install --compile-bytecode" in dry.stdout  # as pip does
    assert "--quiet -e '.[dev]'" in dry.stdout
    ci = ROOT / ".ci" / "run"  # not in the sdist
    assert not ci.exists() or "export INSTALLER=uv" in ci.read_text(encoding="utf-8")
