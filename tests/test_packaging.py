"""The package's surface and its metadata stay true."""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

import argil_nb

ROOT = Path(__file__).resolve().parents[1]


def _name_and_spec(requirement: str) -> tuple[str, str]:
    match = re.match(r"\s*([A-Za-z0-9_.\-]+)\s*(.*)", requirement)
    assert match, requirement
    return match.group(1).lower().replace("_", "-"), match.group(2).replace(" ", "")


def test_environment_yml_names_the_same_dependencies_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert "conda-forge" in env["channels"]
    conda = dict(_name_and_spec(d) for d in env["dependencies"] if isinstance(d, str))
    wanted = dict(_name_and_spec(d) for d in project["dependencies"])
    assert {k: v for k, v in conda.items() if k not in ("python", "pip")} == wanted
    python_floor = project["requires-python"]
    assert conda["python"] == python_floor
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert pip_section == ["-e .[test]"]


def test_public_names_are_pinned():
    assert sorted(argil_nb.__all__) == sorted(
        [
            "FAILED",
            "PROCESSING",
            "READY",
            "APIConnectionError",
            "APIError",
            "ArgilError",
            "Asset",
            "AssetNotFound",
            "AuthenticationError",
            "BatchError",
            "Client",
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
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert argil_nb.__version__ == project["version"]


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
