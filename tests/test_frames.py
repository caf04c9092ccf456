import pandas as pd
import pytest

from argil_nb import Asset, InvalidArgument, assets_frame
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
    assert list(frame["type"].cat.categories[:3]) == ["AUDIO", "IMAGE", "VIDEO"]
    assert list(frame["status"].cat.categories[:3]) == ["PROCESSING", "READY", "FAILED"]


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
    assert list(frame["status"].cat.categories) == [
        "PROCESSING",
        "READY",
        "FAILED",
        "ARCHIVED",
        "QUEUED",
    ]
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
