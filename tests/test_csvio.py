import os
import string

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from argil_nb import InvalidArgument, assets_frame, read_csv, to_csv
from argil_nb.frames import STRING

ID = "00000000-0000-4000-8000-{:012d}"


def frame_of(names, statuses=None):
    statuses = statuses or ["READY"] * len(names)
    return assets_frame(
        [
            {
                "id": ID.format(i),
                "name": name,
                "type": ["IMAGE", "VIDEO", "AUDIO"][i % 3],
                "status": status,
                "fileUrl": None if i % 2 else f"https://cdn.example.com/{i}.png",
                "thumbnailUrl": None,
                "createdAt": f"2026-11-01T10:00:{i % 60:02d}.{i:03d}Z",
            }
            for i, (name, status) in enumerate(zip(names, statuses))
        ]
    )


def test_round_trip_is_exact(tmp_path):
    frame = frame_of(["a", "b,c", 'quote "x"', "line\nbreak", None, "", "=1+1", "日本語"])
    path = to_csv(frame, tmp_path / "t.csv")
    pd.testing.assert_frame_equal(read_csv(path), frame)


def test_formula_prefixes_are_neutralised_in_the_file(tmp_path):
    payloads = ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "\tx", "\rx", "'quoted"]
    frame = frame_of(payloads)
    path = to_csv(frame, tmp_path / "t.csv")
    cells = pd.read_csv(path, dtype=str, keep_default_na=False)["name"].tolist()
    assert all(c.startswith("'") for c in cells)
    pd.testing.assert_frame_equal(read_csv(path), frame)


def test_unknown_statuses_and_error_column_round_trip(tmp_path):
    frame = frame_of(["a", "b"], ["ARCHIVED", "READY"])
    frame["error"] = pd.array([None, "ServerError: 503"], dtype=STRING)
    path = to_csv(frame, tmp_path / "t.csv")
    pd.testing.assert_frame_equal(read_csv(path), frame)


def test_empty_frame_round_trips(tmp_path):
    frame = frame_of([])
    pd.testing.assert_frame_equal(read_csv(to_csv(frame, tmp_path / "e.csv")), frame)


def test_timestamps_are_iso_utc(tmp_path):
    path = to_csv(frame_of(["a"]), tmp_path / "t.csv")
    assert "2026-11-01T10:00:00.000000000Z" in path.read_text()


@pytest.mark.parametrize("name", ["t.txt", "t.ipynb", "t"])
def test_refuses_a_path_not_ending_in_csv(tmp_path, name):
    with pytest.raises(InvalidArgument, match=r"\.csv"):
        to_csv(frame_of(["a"]), tmp_path / name)
    assert not (tmp_path / name).exists()


def test_refuses_to_overwrite_a_binary_file_and_keeps_it(tmp_path):
    target = tmp_path / "t.csv"
    target.write_bytes(b"PK\x03\x04\x00\x00binary")
    with pytest.raises(InvalidArgument, match="not a status table"):
        to_csv(frame_of(["a"]), target)
    assert target.read_bytes() == b"PK\x03\x04\x00\x00binary"


def test_refuses_a_directory_and_a_missing_folder(tmp_path):
    (tmp_path / "d.csv").mkdir()
    with pytest.raises(InvalidArgument, match="directory"):
        to_csv(frame_of(["a"]), tmp_path / "d.csv")
    with pytest.raises(InvalidArgument, match="does not exist"):
        to_csv(frame_of(["a"]), tmp_path / "nope" / "t.csv")


def test_overwrites_an_existing_csv_atomically(tmp_path, monkeypatch):
    target = tmp_path / "t.csv"
    to_csv(frame_of(["old"]), target)
    before = target.read_text()

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        to_csv(frame_of(["new"]), target)
    assert target.read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["t.csv"]  # no temp file left behind
    monkeypatch.undo()
    to_csv(frame_of(["new"]), target)
    assert read_csv(target)["name"].tolist() == ["new"]


def test_read_csv_names_missing_columns(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(InvalidArgument, match="missing columns"):
        read_csv(path)


def test_to_csv_rejects_non_frames(tmp_path):
    with pytest.raises(InvalidArgument):
        to_csv([1, 2], tmp_path / "t.csv")


names = st.one_of(
    st.none(),
    st.text(max_size=30),
    st.text(alphabet=string.printable + "=+-@'\"\t\r\n,;é日本😀", max_size=30),
    st.sampled_from(["", "'", "=", "NA", "null", "NaN", "None", "-", " ", "\r\n"]),
)


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(names, max_size=8),
    st.lists(
        st.sampled_from(["READY", "FAILED", "PROCESSING", "=X", "odd"]), min_size=8, max_size=8
    ),
)
def test_round_trip_property(tmp_path, values, statuses):
    frame = frame_of(values, statuses[: len(values)])
    path = to_csv(frame, tmp_path / "p.csv")
    pd.testing.assert_frame_equal(read_csv(path), frame)


def test_refuses_to_overwrite_another_csv_and_keeps_it(tmp_path):
    target = tmp_path / "budget.csv"
    target.write_text("month,amount\njan,10\n")
    with pytest.raises(InvalidArgument, match="not a status table"):
        to_csv(frame_of(["a"]), target)
    assert target.read_text() == "month,amount\njan,10\n"
