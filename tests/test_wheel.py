"""The wheel and the sdist as a user gets them, built offline from a copy of this tree.

The wheel goes into a fresh venv and runs from an empty directory: ``argil-nb demo``,
``argil-nb lab --help`` and a short ``argil-nb lab``. The venv sees this environment's
site-packages after its own (a ``.pth`` line, which does not run this environment's
editable hook), so the dependencies come from here and argil_nb from the wheel; no test
downloads anything. The sdist is unpacked and its own tests run from it.
"""

from __future__ import annotations

import filecmp
import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import tarfile
import time
import venv
import zipfile
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))  # what lab copies
SHIPPED = sorted(p.name for p in (ROOT / "notebooks").iterdir() if p.suffix in (".ipynb", ".py"))
SKIP = ("/.git", "/.venv", "/build", "/dist", ".egg-info", "__pycache__", "_cache", ".hypothesis")


def _copy_tree(target: Path) -> None:
    """This tree without environments, caches and build output (a clone's content)."""

    def ignore(folder: str, names: list[str]) -> set[str]:
        return {n for n in names if any(f"/{n}".startswith(s) or n.endswith(s) for s in SKIP)}

    shutil.copytree(ROOT, target, ignore=ignore)


def _clean_env(**extra: str) -> dict[str, str]:
    drop = ("PYTHONPATH", "ARGIL_API_KEY", "ARGIL_BASE_URL", "PYTHONDONTWRITEBYTECODE")
    env = {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("VIRTUAL")}
    return {**env, **extra}


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """(wheel, sdist, build log): ``python -m build`` makes the sdist, then the wheel from it."""
    tmp = tmp_path_factory.mktemp("dist")
    _copy_tree(tmp / "src")
    result = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(tmp / "out"), "src"],
        cwd=tmp,
        capture_output=True,
        text=True,
        timeout=300,
        env=_clean_env(),
    )
    log = result.stdout + result.stderr
    assert result.returncode == 0, log
    (wheel,) = (tmp / "out").glob("*.whl")
    (sdist,) = (tmp / "out").glob("*.tar.gz")
    return wheel, sdist, log


@pytest.fixture(scope="module")
def fresh(dist: tuple[Path, Path, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new venv with the wheel installed; its bin folder."""
    root = tmp_path_factory.mktemp("venv") / "fresh"
    venv.create(root, with_pip=False)
    python = root / "bin" / "python"
    install = [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet"]
    subprocess.run([*install, "--no-deps", "--no-index", str(dist[0])], check=True, timeout=120)
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    here = dict.fromkeys(sysconfig.get_paths()[key] for key in ("purelib", "platlib"))
    (Path(site) / "outer_environment.pth").write_text("\n".join(here) + "\n")
    return root / "bin"


def test_the_build_warns_of_nothing(dist: tuple[Path, Path, str]) -> None:
    lines = [line for line in dist[2].splitlines() if "warn" in line.lower()]
    assert not lines, "\n".join(lines)


def test_the_wheel_ships_the_notebooks_as_they_are_in_notebooks(
    dist: tuple[Path, Path, str],
) -> None:
    with zipfile.ZipFile(dist[0]) as wheel:
        names = wheel.namelist()
        shipped = {n.rsplit("/", 1)[-1]: wheel.read(n) for n in names if "/notebooks/" in n}
        metadata = next(wheel.read(n) for n in names if n.endswith("/METADATA"))
    assert sorted(shipped) == SHIPPED  # the marimo notebook too
    assert {"argil_nb/sandbox/openapi.yaml", "argil_nb/sandbox/__init__.py"} <= set(names)
    for name, data in shipped.items():
        assert data == (ROOT / "notebooks" / name).read_bytes()
    assert b"License-Expression: MIT" in metadata


def test_the_sdist_holds_what_its_tests_read(dist: tuple[Path, Path, str]) -> None:
    with tarfile.open(dist[1]) as sdist:
        names = {n.split("/", 1)[1] for n in sdist.getnames() if "/" in n}
    wanted = {
        "environment.yml",
        ".ci/floors.txt",
        "scripts/floors.py",
        "docs/reliability.md",
        "notebooks/sanitize.cfg",
        "tests/__init__.py",
        "tests/conftest.py",
        *(f"notebooks/{n}" for n in NOTEBOOKS),
    }
    assert wanted <= names, wanted - names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


def test_the_sdists_tests_run_from_it(
    dist: tuple[Path, Path, str], tmp_path_factory: pytest.TempPathFactory
) -> None:
    tmp = tmp_path_factory.mktemp("sdist")
    with tarfile.open(dist[1]) as sdist:
        sdist.extractall(tmp, filter="data")
    (root,) = tmp.iterdir()
    env = _clean_env()
    where = subprocess.run(
        [sys.executable, "-c", "import argil_nb; print(argil_nb.__file__)"],
        cwd=root,
        capture_output=True,
        text=True,
        env=env,
    )
    assert where.stdout.startswith(str(root)), where.stdout + where.stderr
    pytest_ = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    collected = subprocess.run(
        [*pytest_, "--collect-only", "tests"], cwd=root, capture_output=True, text=True, env=env
    )
    assert collected.returncode == 0, collected.stdout[-3000:]
    files = [
        "tests/test_packaging.py",
        "tests/test_csvio.py",
        "tests/test_notebooks.py",
        "tests/test_bad_input.py::test_docs_reliability_is_up_to_date",
    ]
    result = subprocess.run(
        [*pytest_, *files, "-k", "not executed_notebook"],
        cwd=root,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:]


def test_demo_runs_from_an_empty_directory(fresh: Path, tmp_path: Path) -> None:
    where = subprocess.run(
        [str(fresh / "python"), "-c", "import argil_nb; print(argil_nb.__file__)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=_clean_env(),
    )
    assert where.stdout.startswith(str(fresh.parent)), where.stdout + where.stderr
    result = subprocess.run(
        [str(fresh / "argil-nb"), "demo", "--count", "3"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env=_clean_env(),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "wrote the table to argil-demo.csv" in result.stdout
    mask = os.umask(0)
    os.umask(mask)
    assert (tmp_path / "argil-demo.csv").stat().st_mode & 0o777 == 0o666 & ~mask


def test_lab_help(fresh: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [str(fresh / "argil-nb"), "lab", "--help"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=_clean_env(),
    )
    assert result.returncode == 0, result.stderr
    assert "folder" in result.stdout and "argil-notebooks" in result.stdout


def test_lab_copies_the_notebooks_keeps_yours_and_starts(fresh: Path, tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free_port = probe.getsockname()[1]
    folder = tmp_path / "argil-notebooks"
    folder.mkdir()
    (folder / NOTEBOOKS[0]).write_text("{}")  # the user's edit: kept
    state = tmp_path / "jupyter"
    env = _clean_env(
        HOME=str(tmp_path),
        JUPYTER_CONFIG_DIR=str(state / "config"),
        JUPYTER_DATA_DIR=str(state / "data"),
        JUPYTER_RUNTIME_DIR=str(state / "runtime"),
        JUPYTERLAB_SETTINGS_DIR=str(state / "settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(state / "workspaces"),
        IPYTHONDIR=str(state / "ipython"),
    )
    process = subprocess.Popen(
        [str(fresh / "argil-nb"), "lab", "--port", str(free_port)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(len(NOTEBOOKS) + 1)]
        assert "kept your" in lines[0], lines
        assert f":{free_port}/lab" in lines[-1], lines
        status = None
        deadline = time.monotonic() + 90
        while status is None and time.monotonic() < deadline:
            try:
                status = requests.get(f"http://127.0.0.1:{free_port}/api", timeout=2).status_code
            except requests.ConnectionError:
                time.sleep(0.5)
        assert status == 200, "JupyterLab did not answer"
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    with pytest.raises(requests.ConnectionError):  # SIGTERM stopped JupyterLab too
        requests.get(f"http://127.0.0.1:{free_port}/api", timeout=2)
    assert (folder / NOTEBOOKS[0]).read_text() == "{}"
    for name in NOTEBOOKS[1:]:
        assert filecmp.cmp(folder / name, ROOT / "notebooks" / name, shallow=False)
