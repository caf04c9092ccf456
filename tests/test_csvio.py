import os
import string

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from argil_nb import InvalidArgument, assets_frame, csvio, read_csv, to_csv
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
    st.text(alphabet=string.printable + "=+-@'\"\t\r\n,;é日本😀\x00", max_size=30),
    st.sampled_from(["", "'", "=", "NA", "null", "NaN", "None", "-", " ", "\r\n", "\x00"]),
)


@pytest.fixture(params=["this pandas", "the pandas < 3.1 path"])
def either_parser(request, monkeypatch):
    """Read as this pandas reads, and as pandas < 3.1 does (the python parser for NUL)."""
    if request.param != "this pandas":
        monkeypatch.setattr(csvio, "c_parser_cuts_at_nul", lambda: True)


@pytest.mark.usefixtures("either_parser")
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


@pytest.mark.usefixtures("either_parser")
@pytest.mark.parametrize("text", ["\x00abc", "a\x00b", "abc\x00", "\x00", "=\x00", "'\x00"])
def test_nul_bytes_round_trip(tmp_path, text):
    # pandas < 3.1's C parser reads '\x00abc' as NA and 'a\x00b' as 'a'.
    frame = frame_of([text, "plain"])
    pd.testing.assert_frame_equal(read_csv(to_csv(frame, tmp_path / "nul.csv")), frame)


# Bytes as argil_nb 0.1.0 wrote them: NUL bytes, formula escapes, a lone surrogate, a quoted
# CRLF, nanoseconds, an unknown type and status, the error column.
OLD_FILE = (
    b"id,name,type,status,created_at,file_url,thumbnail_url,error\r\n"
    b"00000000-0000-4000-8000-000000000001,\x00abc,VIDEO,READY,2026-11-01T10:00:00.123456789Z,"
    b"https://cdn.example.com/a\x00b.mp4,,\r\n"
    b"00000000-0000-4000-8000-000000000002,'=1+1,MODEL3D,'=X,,,x\xed\xa0\x80y,ServerError: 503\r\n"
    b"00000000-0000-4000-8000-000000000003,',,PROCESSING,2026-11-01T10:00:00.000000000Z,"
    b'"a,""b""\r\nc\x00",,\'\'quoted\r\n'
)


@pytest.mark.usefixtures("either_parser")
def test_a_file_written_by_0_1_0_reads_back_the_same(tmp_path):
    path = tmp_path / "old.csv"
    path.write_bytes(OLD_FILE)
    frame = assets_frame(
        [
            {"id": ID.format(1), "name": "\x00abc", "type": "VIDEO", "status": "READY",
             "createdAt": "2026-11-01T10:00:00.123456789Z",
             "fileUrl": "https://cdn.example.com/a\x00b.mp4"},
            {"id": ID.format(2), "name": "=1+1", "type": "MODEL3D", "status": "=X",
             "thumbnailUrl": "x\ud800y"},
            {"id": ID.format(3), "name": "", "status": "PROCESSING",
             "createdAt": "2026-11-01T10:00:00Z", "fileUrl": 'a,"b"\r\nc\x00'},
        ]
    )  # fmt: skip
    frame["error"] = pd.array([None, "ServerError: 503", "'quoted"], dtype=STRING)
    pd.testing.assert_frame_equal(read_csv(path), frame)
    assert to_csv(frame, tmp_path / "again.csv").read_bytes() == OLD_FILE


@pytest.fixture
def umask():
    """Set the process umask for one test (then restore it)."""
    previous = os.umask(0o022)
    yield os.umask
    os.umask(previous)


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
@pytest.mark.parametrize("mask", [0o022, 0o027, 0o077, 0o002])
def test_a_new_file_gets_the_users_umask(tmp_path, umask, mask):
    umask(mask)
    path = to_csv(frame_of(["a"]), tmp_path / "t.csv")
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_an_existing_file_keeps_its_mode(tmp_path, umask):
    umask(0o022)
    path = to_csv(frame_of(["a"]), tmp_path / "t.csv")
    path.chmod(0o600)
    to_csv(frame_of(["b"]), path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert read_csv(path)["name"].tolist() == ["b"]


# -- issue 20, item 1: only a file argil_nb wrote is overwritten, unless told ----------------


def test_a_users_csv_with_an_id_column_is_not_overwritten(tmp_path):
    # An `id` column is not enough: customers.csv was the user's, and was replaced silently.
    target = tmp_path / "customers.csv"
    target.write_text("id,email,plan\n7,a@example.com,pro\n")
    with pytest.raises(InvalidArgument, match="not a status table argil_nb wrote") as info:
        to_csv(frame_of(["a"]), target)
    assert "overwrite=True" in str(info.value)
    assert target.read_text() == "id,email,plan\n7,a@example.com,pro\n"


def test_overwrite_true_replaces_a_file_argil_nb_did_not_write(tmp_path, umask):
    target = tmp_path / "customers.csv"
    target.write_text("id,email,plan\n7,a@example.com,pro\n")
    target.chmod(0o640)
    to_csv(frame_of(["a"]), target, overwrite=True)
    assert read_csv(target)["name"].tolist() == ["a"]
    assert target.stat().st_mode & 0o777 == 0o640  # still atomic and mode-keeping
    assert [p.name for p in tmp_path.iterdir()] == ["customers.csv"]


def test_a_file_argil_nb_wrote_is_overwritten_whatever_its_extra_columns(tmp_path):
    frame = frame_of(["a"])
    frame["url"] = pd.array(["https://x.example.com/a.png"], dtype=STRING)
    target = to_csv(frame, tmp_path / "t.csv")
    assert csvio.written_by_argil_nb(target)
    to_csv(frame_of(["b"]), target)
    assert read_csv(target)["name"].tolist() == ["b"]
    (tmp_path / "empty.csv").write_bytes(b"")  # nothing in it to lose
    to_csv(frame_of(["c"]), tmp_path / "empty.csv")


def test_overwrite_must_be_a_bool(tmp_path):
    with pytest.raises(InvalidArgument, match="overwrite must be True or False"):
        to_csv(frame_of(["a"]), tmp_path / "t.csv", overwrite="yes")
