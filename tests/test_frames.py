import uuid
import warnings
from datetime import datetime

import pandas as pd
import pytest

from argil_nb import Asset, InvalidArgument, assets_frame, frames
from argil_nb.frames import COLUMNS, STRING, empty_frame

ID1 = "00000000-0000-4000-8000-000000000001"
ID2 = "00000000-0000-4000-8000-000000000002"


def record(i="00000000-0000-4000-8000-000000000001", **kw):
    data = {
        "id": i,
        "name": "a.png",
        "type": "IMAGE",
        "status": "READY",
        "fileUrl": "https://cdn.example.com/a.png",
        "thumbnailUrl": "https://cdn.example.com/t.png",
        "createdAt": "2026-11-01T10:00:00.000Z",
    }
    data.update(kw)
    return data


def check_schema(frame):
    assert list(frame.columns[: len(COLUMNS)]) == list(COLUMNS)
    for name in ("id", "name", "file_url", "thumbnail_url"):
        assert frame[name].dtype == STRING
    assert str(frame["created_at"].dtype) == "datetime64[ns, UTC]"
    assert frame["type"].dtype == STRING and frame["status"].dtype == STRING


def test_schema_and_values():
    frame = assets_frame([record(), record(ID2, status="PROCESSING", fileUrl=None, name=None)])
    check_schema(frame)
    assert frame["status"].tolist() == ["READY", "PROCESSING"]
    assert frame["name"].isna().tolist() == [False, True]
    assert frame["created_at"][0] == pd.Timestamp("2026-11-01T10:00:00Z")


def test_empty_input_gives_the_full_schema():
    for frame in (assets_frame([]), empty_frame()):
        assert len(frame) == 0
        check_schema(frame)
    assert empty_frame(with_error=True)["error"].dtype == STRING


def test_unknown_status_and_type_are_kept_not_nan():
    frame = assets_frame([record(status="ARCHIVED", type="MODEL3D"), record(ID2, status="QUEUED")])
    assert frame["status"].tolist() == ["ARCHIVED", "QUEUED"]
    assert frame["type"].tolist() == ["MODEL3D", "IMAGE"]
    assert frame["type"].tolist() == ["MODEL3D", "IMAGE"]


def test_assets_and_dicts_give_equal_frames():
    records = [record(), record(ID2, createdAt="2026-11-01T12:00:00+02:00", status="FAILED")]
    from_dicts = assets_frame(records)
    from_assets = assets_frame([Asset.from_api(r) for r in records])
    mixed = assets_frame([records[0], Asset.from_api(records[1])])
    pd.testing.assert_frame_equal(from_dicts, from_assets)
    pd.testing.assert_frame_equal(from_dicts, mixed)


@pytest.mark.parametrize(
    "created",
    [
        "2026-11-01T10:00:00Z",
        "2026-11-01T11:00:00+01:00",
        "2026-11-01T10:00:00.000000Z",
        "2026-11-01 10:00:00",
    ],
)
def test_created_at_formats_parse_to_the_same_instant(created):
    frame = assets_frame([record(createdAt=created)])
    assert frame["created_at"][0] == pd.Timestamp("2026-11-01T10:00:00Z")


def test_unreadable_created_at_is_nat_not_an_error():
    frame = assets_frame([record(createdAt="not a date"), record(ID2, createdAt=None)])
    assert frame["created_at"].isna().all()


@pytest.mark.parametrize("bad", ["abc", record(), Asset.from_api(record()), [1, 2]])
def test_bad_input_is_a_clear_error(bad):
    with pytest.raises(InvalidArgument):
        assets_frame(bad)


@pytest.fixture(params=["this pandas", "the pandas 2.x path"])
def either_path(request, monkeypatch):
    """Run a test as it runs on this pandas, and with the pandas 2.x workaround forced on."""
    if request.param != "this pandas":
        monkeypatch.setattr(frames, "naive_time_takes_previous_offset", lambda: True)


def test_non_text_values_become_their_text():
    # pandas 2.x read a JSON list as a second dimension and raised "Buffer has wrong number
    # of dimensions"; every value that is not text becomes its str(), as in Asset.from_api.
    values = [[1, 2], [], {"a": [1]}, [[1], [2]], 1.5, True, 10**20, -0.0, None, float("nan")]
    frame = assets_frame([record(f"id-{i}", name=v, fileUrl=v) for i, v in enumerate(values)])
    want = [str(v) for v in values[:-2]] + [pd.NA, pd.NA]
    for column in ("name", "file_url"):
        assert frame[column].dtype == STRING
        assert [pd.NA if pd.isna(v) else v for v in frame[column]] == want
    assert frame["name"].tolist()[:2] == ["[1, 2]", "[]"]


@pytest.mark.usefixtures("either_path")
def test_a_time_without_offset_is_utc_whatever_comes_before_it():
    # pandas 2.x gives such a text the offset of the text before it (22:00 UTC here).
    times = ["2000-01-01T02:00:00+02:00", "2000-01-01T00:00:00", "2000-01-01 00:00:00.5",
             "2000-01-01T00:00:00-05:00", datetime(2000, 1, 1), "2000-01-01T00:00:00z"]  # fmt: skip
    frame = assets_frame([record(f"id-{i}", createdAt=t) for i, t in enumerate(times)])
    utc = pd.Timestamp("2000-01-01", tz="UTC")
    want = [utc, utc, utc + pd.Timedelta("0.5s"), utc + pd.Timedelta("5h"), utc, utc]
    assert frame["created_at"].tolist() == want


def test_the_pandas_probes_match_the_pandas_lines():
    from argil_nb import frames as _compat

    line = tuple(int(part) for part in pd.__version__.split(".")[:2])
    assert _compat.c_parser_cuts_at_nul() == (line < (3, 1))
    assert _compat.naive_time_takes_previous_offset() == (line < (3, 0))


def test_frames_behave_like_pandas_without_a_warning_or_a_dtype_change(recwarn):
    # A categorical status warned on every groupby under pandas 2.2 (observed=False), changed
    # dtype in a concat with an unknown status, and refused a status it had not seen yet.
    known = assets_frame([record(), record(ID2, status="PROCESSING")])
    unknown = assets_frame([record(str(uuid.uuid4()), status="ARCHIVED")])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        counts = known.groupby("status").size()
        both = pd.concat([known, unknown], ignore_index=True)
        known.loc[0, "status"] = "FAILED"
        table = both.pivot_table(index="type", columns="status", values="id", aggfunc="count")
        by_type = both.groupby(["type", "status"])["id"].count()
    assert counts.to_dict() == {"PROCESSING": 1, "READY": 1}
    assert both.dtypes.equals(known.dtypes) and both["status"].dtype == STRING
    assert both["status"].tolist() == ["READY", "PROCESSING", "ARCHIVED"]
    assert known["status"].tolist() == ["FAILED", "PROCESSING"]
    assert table.loc["IMAGE", "ARCHIVED"] == 1 and by_type.sum() == 3
    assert not recwarn.list
