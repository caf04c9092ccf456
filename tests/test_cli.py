"""The argil-nb command, run as a subprocess against a sandbox in this process."""

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pandas as pd
import pytest

import argil_nb as an
from argil_nb.sandbox import Sandbox

from .conftest import CANARY_KEY


@pytest.fixture(scope="module")
def box():
    with Sandbox(seed=3, initial_assets=40, api_key=CANARY_KEY) as sandbox:
        yield sandbox


ROOT = str(Path(__file__).resolve().parents[1])


def env_with(**values):
    """This environment, the repo importable, without any real key."""
    env = {k: v for k, v in os.environ.items() if k not in ("ARGIL_API_KEY", "ARGIL_BASE_URL")}
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    return {**env, **values}


def run(box, *args, timeout=60):
    env = env_with(ARGIL_API_KEY=box.api_key, ARGIL_BASE_URL=box.base_url)
    return subprocess.run(
        [sys.executable, "-m", "argil_nb.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )


def ready_ids(box, n):
    return [a["id"] for a in box.assets() if a["status"] == "READY"][:n]


def test_get_prints_a_table(box):
    ids = ready_ids(box, 2)
    result = run(box, "get", *ids)
    assert result.returncode == 0, result.stderr
    assert all(i in result.stdout for i in ids)
    assert "READY" in result.stdout


def test_get_errors_are_one_line_and_non_zero(box):
    result = run(box, "get", "not-a-uuid")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "InvalidAssetId" in result.stderr


def test_get_unknown_id_exits_non_zero_with_the_reason(box):
    missing = str(uuid.uuid4())
    result = run(box, "get", missing)
    assert result.returncode == 1
    assert "AssetNotFound" in result.stdout


def test_get_writes_csv(box, tmp_path):
    ids = ready_ids(box, 3)
    path = tmp_path / "got.csv"
    result = run(box, "get", *ids, "--csv", str(path))
    assert result.returncode == 0, result.stderr
    assert an.read_csv(path)["id"].tolist() == ids


def test_list_every_status_to_csv(box, tmp_path):
    path = tmp_path / "all.csv"
    result = run(box, "list", "--csv", str(path))
    assert result.returncode == 0, result.stderr
    frame = an.read_csv(path)
    assert sorted(frame["id"]) == sorted(a["id"] for a in box.assets())
    assert f"{len(frame)} assets" in result.stdout


def test_list_filters(box):
    result = run(box, "list", "--status", "FAILED", "--type", "VIDEO")
    assert result.returncode == 0, result.stderr
    assert "READY" not in result.stdout.split("\n", 1)[1]


def test_export_from_an_ids_file(box, tmp_path):
    ids = ready_ids(box, 4)
    ids_file = tmp_path / "ids.txt"
    ids_file.write_text("# my assets\n" + "\n".join(ids) + "\n\n")
    out = tmp_path / "out.csv"
    result = run(box, "export", "--ids", str(ids_file), "--csv", str(out))
    assert result.returncode == 0, result.stderr
    assert an.read_csv(out)["id"].tolist() == ids
    from_csv = tmp_path / "ids.csv"
    pd.DataFrame({"id": ids[:2], "note": ["a", "b"]}).to_csv(from_csv, index=False)
    result = run(box, "export", "--ids", str(from_csv), "--csv", str(out))
    assert result.returncode == 0, result.stderr
    assert an.read_csv(out)["id"].tolist() == ids[:2]


def test_export_refuses_a_non_csv_target(box, tmp_path):
    ids_file = tmp_path / "ids.txt"
    ids_file.write_text(ready_ids(box, 1)[0])
    result = run(box, "export", "--ids", str(ids_file), "--csv", str(tmp_path / "x.xlsx"))
    assert result.returncode == 2 and ".csv" in result.stderr


def test_wrong_key_is_one_line(box):
    env = env_with(ARGIL_API_KEY="sk-wrong", ARGIL_BASE_URL=box.base_url)
    result = subprocess.run(
        [sys.executable, "-m", "argil_nb.cli", "list"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 1
    assert "AuthenticationError" in result.stderr and "Traceback" not in result.stderr


def test_no_output_ever_holds_the_key(box, tmp_path):
    outputs = [run(box, "get", *ready_ids(box, 2)), run(box, "list"), run(box, "get", "bad")]
    for result in outputs:
        assert CANARY_KEY not in result.stdout + result.stderr


def test_watch_until_terminal(box, tmp_path):
    client = box.client()
    box.configure(speed=20.0)
    ids = [client.create_asset(f"https://x.example.com/w{i}.png").id for i in range(3)]
    path = tmp_path / "w.csv"
    result = run(box, "watch", *ids, "--interval", "0.2", "--csv", str(path))
    assert result.returncode == 0, result.stderr
    assert an.read_csv(path)["status"].isin(["READY", "FAILED"]).all()
    assert "3/3 finished" in result.stdout


def test_demo_runs_end_to_end(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "argil_nb.cli", "demo", "--csv", str(tmp_path / "demo.csv")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=env_with(),
    )
    assert result.returncode == 0, result.stderr
    frame = an.read_csv(tmp_path / "demo.csv")
    assert len(frame) == 8 and frame["status"].isin(["READY", "FAILED"]).all()


def test_sandbox_command_serves_in_the_foreground():
    proc = subprocess.Popen(
        [sys.executable, "-m", "argil_nb.cli", "sandbox", "--port", "0", "--key", "sk-test"],
        stdout=subprocess.PIPE,
        text=True,
        env=env_with(),
    )
    try:
        first = proc.stdout.readline()
        second = proc.stdout.readline()
        base_url = first.split()[-1]
        assert base_url.startswith("http://127.0.0.1:") and not base_url.endswith(":0/v1")
        assert "ARGIL_API_KEY=sk-test" in second
        client = an.Client(api_key="sk-test", base_url=base_url)
        assert len(client.list_assets(progress=False)) == 24
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_sandbox_command_takes_limits_seed_and_live_options():
    import requests

    proc = subprocess.Popen(
        [
            sys.executable, "-m", "argil_nb.cli", "sandbox", "--port", "0",
            "--seed", "5", "--initial-assets", "7", "--rate-limit", "2", "--burst", "3",
            "--write-rate-limit", "0.5", "--write-burst", "1",
            "--mode", "friendly", "--rate-limit-headers", "ietf-structured", "--latency", "0.01",
            "--churn-per-request", "1",
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=env_with(),
    )  # fmt: skip
    try:
        proc.stdout.readline()
        exports = dict(word.split("=", 1) for word in proc.stdout.readline().split()[1:])
        base_url, key = exports["ARGIL_BASE_URL"], exports["ARGIL_API_KEY"]
        assert base_url.startswith("http://127.0.0.1:") and key.startswith("sk-sandbox-")
        with requests.Session() as api:
            api.headers["x-api-key"] = key
            first = api.get(f"{base_url}/assets", params={"status": "FAILED"})
            assert first.headers["RateLimit-Policy"] == '"read";q=3;w=2'
            assert first.headers["RateLimit"].startswith('"read";r=2;')
            upload = {"name": "a.png", "type": "IMAGE", "url": "https://e.com/a.png"}
            writes = [api.post(f"{base_url}/assets", json=upload) for _ in range(2)]
            assert [w.status_code for w in writes] == [201, 429]
            assert writes[1].headers["RateLimit-Policy"] == '"write";q=1;w=2'
        seeded = {a["id"] for a in Sandbox(seed=5, initial_assets=7).assets()}
        listed = {a["id"] for a in first.json()}
        assert listed <= seeded  # the seed, after one churn turn (one arrival, PROCESSING)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_sandbox_command_refuses_bad_options():
    result = subprocess.run(
        [sys.executable, "-m", "argil_nb.cli", "sandbox", "--port", "0", "--burst", "0"],
        capture_output=True,
        text=True,
        env=env_with(),
        timeout=60,
    )
    assert result.returncode == 2 and "burst" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_lab_copies_the_notebooks_and_never_over_yours(tmp_path):
    # Starting JupyterLab from the installed wheel is tests/test_wheel.py's job.
    from argil_nb.cli import lab

    shipped = sorted(p.name for p in lab.shipped_notebooks().glob("*.ipynb"))
    repo = Path(__file__).resolve().parent.parent / "notebooks"
    assert shipped == sorted(p.name for p in repo.glob("*.ipynb")) and len(shipped) >= 3
    folder = tmp_path / "mine"
    assert all(line.startswith("copied") for line in lab.copy_notebooks(folder))
    assert sorted(p.name for p in folder.iterdir()) == shipped
    (folder / shipped[0]).write_text("{}")
    lines = lab.copy_notebooks(folder)
    assert "kept your" in lines[0] and all("up to date" in line for line in lines[1:])
    assert (folder / shipped[0]).read_text() == "{}"
    assert "the notebooks argil_nb came with" in lab.copy_notebooks(lab.shipped_notebooks())[0]
    (tmp_path / "file").write_text("x")
    with pytest.raises(an.InvalidArgument, match="not a folder"):
        lab.copy_notebooks(tmp_path / "file")


def test_lab_without_jupyterlab_says_what_to_install(tmp_path, monkeypatch):
    import importlib.util

    from argil_nb.cli import lab

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(an.InvalidArgument, match=r"argil-nb\[notebooks\]"):
        lab.run_lab(tmp_path / "nb")
    assert not (tmp_path / "nb").exists()


def test_watch_stops_cleanly_on_ctrl_c(box):
    box.configure(processing_seconds=(1000.0, 1000.0))
    asset_id = box.client().create_asset("https://x.example.com/slow.png").id
    env = env_with(ARGIL_API_KEY=box.api_key, ARGIL_BASE_URL=box.base_url)
    proc = subprocess.Popen(
        [sys.executable, "-m", "argil_nb.cli", "watch", asset_id, "--interval", "0.2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert "0/1 finished" in proc.stdout.readline()
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        box.configure(processing_seconds=(2.0, 20.0))
    assert proc.returncode == 130, err  # issue 20: it exited 0, as if it had finished
    assert "stopped" in out and "Traceback" not in err


def test_a_name_the_terminal_cannot_encode_does_not_crash(box):
    odd = str(uuid.uuid4())
    box.add_asset(
        {
            "id": odd,
            "name": "bad \ud800 name",
            "type": "IMAGE",
            "status": "READY",
            "createdAt": "2026-11-01T00:00:00Z",
        }
    )
    result = run(box, "get", odd)
    assert result.returncode == 0, result.stderr
    assert "bad" in result.stdout and "Traceback" not in result.stderr


# -- issue 20: hints in the CLI's language, the same columns, Ctrl-C, lab's address ---------


def test_watch_with_an_unknown_id_names_it_and_watches_the_others(box):
    box.configure(speed=20.0)
    good = box.client().create_asset("https://x.example.com/known.png").id
    missing = str(uuid.uuid4())
    result = run(box, "watch", good, missing, "--interval", "0.2")
    assert result.returncode == 1
    assert f"ids that failed: {missing} (AssetNotFound" in result.stderr
    assert ".frame" not in result.stderr and "errors=" not in result.stderr
    assert "1/1 finished" in result.stdout


def test_get_csv_and_export_csv_write_the_same_columns(box, tmp_path):
    ids = [*ready_ids(box, 1), str(uuid.uuid4())]
    (tmp_path / "ids.txt").write_text("\n".join(ids))
    got = run(box, "get", *ids, "--csv", str(tmp_path / "get.csv"))
    exported = run(
        box, "export", "--ids", str(tmp_path / "ids.txt"), "--csv", str(tmp_path / "e.csv")
    )
    assert got.returncode == exported.returncode == 1
    frames = [an.read_csv(tmp_path / name) for name in ("get.csv", "e.csv")]
    assert (
        list(frames[0].columns)
        == list(frames[1].columns)
        == [*an.read_csv(tmp_path / "e.csv").columns[:7], "error"]
    )
    assert frames[0]["error"].notna().tolist() == [False, True]
    assert "ids that failed: " + ids[1] in exported.stderr


def test_demo_needs_no_key_and_says_its_sandbox_is_its_own(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "argil_nb.cli", "demo", "--count", "2", "--csv", "d.csv"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env_with(),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "offline sandbox of its own" in result.stdout


def test_lab_prints_the_address_jupyter_serves_with_its_token(tmp_path):
    pytest.importorskip("jupyterlab")
    import socket

    import requests

    state = tmp_path / "jupyter"
    env = env_with(
        HOME=str(tmp_path),
        JUPYTER_CONFIG_DIR=str(state / "config"),
        JUPYTER_DATA_DIR=str(state / "data"),
        JUPYTER_RUNTIME_DIR=str(state / "runtime"),
        JUPYTERLAB_SETTINGS_DIR=str(state / "settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(state / "workspaces"),
        IPYTHONDIR=str(state / "ipython"),
        XDG_STATE_HOME=str(tmp_path / "xdg"),
    )
    with socket.socket() as holder:  # the port asked is busy: Jupyter moves to another
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        busy = holder.getsockname()[1]
        process = subprocess.Popen(
            [sys.executable, "-m", "argil_nb.cli", "lab", "nb", "--port", str(busy)],
            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env,
        )  # fmt: skip
        try:
            lines = []
            while not any("JupyterLab on" in line for line in lines):
                line = process.stdout.readline()
                assert line, f"lab ended: {lines}"
                lines.append(line)
            url = lines[-1].split("JupyterLab on ")[1].split()[0]
            assert f":{busy}/" not in url and "token=" in url, lines
            assert requests.get(url, timeout=10).status_code == 200
            assert "sk-sandbox-" not in "".join(lines)
        finally:
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=30) == 0
