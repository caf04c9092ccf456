import uuid
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from argil_nb import Asset, InvalidAssetId
from argil_nb.models import normalize_id, normalize_ids, parse_timestamp

ID = "3f2b8c1e-6a4d-4c1f-9e2a-1b2c3d4e5f60"


def api(**overrides):
    data = {
        "id": ID,
        "name": "beach.mp4",
        "type": "VIDEO",
        "status": "READY",
        "fileUrl": "https://cdn.example.com/a.mp4",
        "thumbnailUrl": "https://cdn.example.com/a.png",
        "createdAt": "2026-11-01T10:00:00.123Z",
    }
    data.update(overrides)
    return data


def test_from_api_maps_fields_to_snake_case():
    asset = Asset.from_api(api())
    assert asset.id == ID
    assert asset.file_url == "https://cdn.example.com/a.mp4"
    assert asset.thumbnail_url == "https://cdn.example.com/a.png"
    assert asset.created_at == datetime(2026, 11, 1, 10, 0, 0, 123000, tzinfo=UTC)
    assert asset.is_terminal


def test_unknown_fields_and_values_are_kept():
    asset = Asset.from_api(api(status="ARCHIVED", type="MODEL3D", durationMs=1200))
    assert asset.status == "ARCHIVED"
    assert asset.type == "MODEL3D"
    assert asset.extra == {"durationMs": 1200}
    assert not asset.is_terminal
    assert asset.to_api()["durationMs"] == 1200


def test_asset_is_frozen_and_hashable():
    asset = Asset.from_api(api())
    with pytest.raises(AttributeError):
        asset.status = "FAILED"  # type: ignore[misc]
    assert hash(asset) == hash(Asset.from_api(api()))


@pytest.mark.parametrize(
    "status,terminal", [("PROCESSING", False), ("READY", True), ("FAILED", True), (None, False)]
)
def test_is_terminal(status, terminal):
    assert Asset.from_api(api(status=status)).is_terminal is terminal


@pytest.mark.parametrize(
    "text,expected",
    [
        ("2026-11-01T10:00:00Z", datetime(2026, 11, 1, 10, tzinfo=UTC)),
        ("2026-11-01T12:00:00+02:00", datetime(2026, 11, 1, 10, tzinfo=UTC)),
        ("2026-11-01T10:00:00.5Z", datetime(2026, 11, 1, 10, 0, 0, 500000, tzinfo=UTC)),
        ("2026-11-01T10:00:00", datetime(2026, 11, 1, 10, tzinfo=UTC)),
        ("yesterday", None),
        ("", None),
        (None, None),
        (1700000000, None),
    ],
)
def test_parse_timestamp(text, expected):
    assert parse_timestamp(text) == expected


@pytest.mark.parametrize("bad", [{"name": "x"}, {"id": ""}, {"id": 5}, [], "id"])
def test_from_api_rejects_objects_without_an_id(bad):
    with pytest.raises(ValueError):
        Asset.from_api(bad)


def test_normalize_id_accepts_uuid_objects_and_upper_case():
    assert normalize_id(uuid.UUID(ID)) == ID
    assert normalize_id(ID.upper()) == ID
    assert normalize_id(f"  {ID} ") == ID


@pytest.mark.parametrize(
    "bad", ["", "abc", ID[:-1], ID.replace("-", ""), "{" + ID + "}", None, 42, b"x"]
)
def test_normalize_id_rejects_non_uuids(bad):
    with pytest.raises(InvalidAssetId) as info:
        normalize_id(bad)
    assert repr(bad) in str(info.value)
    assert isinstance(info.value, ValueError)


def test_normalize_ids_dedupes_in_order_and_lists_every_bad_value():
    other = str(uuid.uuid4())
    assert normalize_ids([ID, other, ID.upper()]) == [ID, other]
    with pytest.raises(InvalidAssetId) as info:
        normalize_ids([ID, "bad-1", "bad-2"])
    assert info.value.values == ["bad-1", "bad-2"]


def test_plain_repr_is_short():
    text = repr(Asset.from_api(api()))
    assert text.startswith("Asset(id=")
    assert "raw" not in text


json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()


@given(
    name=json_scalars,
    status=json_scalars,
    type_=json_scalars,
    created=json_scalars,
    extra=st.dictionaries(
        st.text().filter(
            lambda k: (
                k not in {"id", "name", "type", "status", "createdAt", "fileUrl", "thumbnailUrl"}
            )
        ),
        json_scalars,
        max_size=3,
    ),
)
def test_from_api_never_crashes_on_odd_values(name, status, type_, created, extra):
    data = api(name=name, status=status, type=type_, createdAt=created, **extra)
    asset = Asset.from_api(data)
    assert asset.id == ID
    assert asset.extra == extra
    assert asset.status is None or isinstance(asset.status, str)
    assert asset.created_at is None or asset.created_at.tzinfo is not None
