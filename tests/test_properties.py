"""Property tests: API JSON -> Asset -> frame, and frames -> CSV -> frames, on random data.

tests/test_models.py already checks that ``Asset.from_api`` survives odd scalar values and
tests/test_csvio.py that names and statuses round-trip; these go further: any JSON value in
any field (nested ones too), whole frames built from random dicts, the agreement of the two
ways to build a frame (from dicts, from Assets), timestamps in every ISO 8601 style the API
might use, and CSV round trips of every column (ids, URLs, unknown types, timestamps to the
nanosecond, the ``error`` column, lone surrogates).
"""

from __future__ import annotations

import math
import string
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import argil_nb as an
from argil_nb.frames import COLUMNS, ERROR_COLUMN, STRING
from argil_nb.models import ASSET_TYPES, STATUSES, parse_timestamp

KNOWN = ("id", "name", "type", "status", "fileUrl", "thumbnailUrl", "createdAt")
UTC = UTC

texts = st.one_of(
    st.text(max_size=20),
    st.text(alphabet=string.printable + "=+-@'\"\t\r\n,;é日本😀\x00\ud800", max_size=20),
    st.sampled_from(["", " ", "'", "=1+1", "NA", "null", "NaN", "None", "-", "READY", "ready"]),
)
json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), texts)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


@st.composite
def iso_timestamps(draw: Any) -> tuple[str, datetime]:
    """An ISO 8601 text in one of the styles an API may send, and the instant it means."""
    moment = draw(
        st.datetimes(
            min_value=datetime(1700, 1, 1), max_value=datetime(2200, 12, 31), timezones=st.just(UTC)
        )
    )
    digits = draw(st.sampled_from([0, 0, 3, 6, 9]))
    offset = draw(
        st.sampled_from([None, "Z", "z", "+00:00", "-00:00", "+02:00", "-05:30", "+0100"])
    )
    sep = draw(st.sampled_from(["T", "T", " "]))
    delta = timedelta(0)
    if offset and offset not in ("Z", "z"):
        sign = 1 if offset[0] == "+" else -1
        hours, minutes = int(offset[1:3]), int(offset[-2:])
        delta = sign * timedelta(hours=hours, minutes=minutes)
    local = (moment + delta).replace(tzinfo=None)
    text = local.strftime(f"%Y-%m-%d{sep}%H:%M:%S")
    if digits:
        extra = draw(st.integers(0, 999)) if digits == 9 else 0
        text += "." + f"{local.microsecond:06d}{extra:03d}"[:digits]
    truncated = moment.replace(
        microsecond=moment.microsecond // 10 ** (6 - min(digits, 6)) * 10 ** (6 - min(digits, 6))
    )
    return text + (offset or ""), truncated


@st.composite
def api_dicts(draw: Any, valid_id: bool = True) -> dict[str, Any]:
    """An API asset object: every known field present, missing or of any JSON type, plus extras."""
    data: dict[str, Any] = {}
    for key in KNOWN[1:]:
        choice = draw(st.integers(0, 4))
        if choice == 0:
            continue  # missing
        if key in ("type", "status") and choice < 3:
            data[key] = draw(
                st.sampled_from([*ASSET_TYPES, *STATUSES, "ARCHIVED", "MODEL3D", "=X"])
            )
        elif key == "createdAt" and choice < 3:
            data[key] = draw(iso_timestamps())[0]
        else:
            data[key] = draw(json_values)
    data.update(
        draw(
            st.dictionaries(
                st.text(max_size=8).filter(lambda k: k not in KNOWN), json_values, max_size=2
            )
        )
    )
    if valid_id:
        data["id"] = draw(st.text(min_size=1, max_size=40))
    else:
        data["id"] = draw(
            st.one_of(st.just(""), json_values.filter(lambda v: not isinstance(v, str)))
        )
    return data


def expected_text(value: Any) -> Any:
    """What a string column holds for a JSON value: the text, or NA."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return pd.NA
    return value if isinstance(value, str) else str(value)


# -- Asset.from_api -------------------------------------------------------------------------


@given(api_dicts())
def test_from_api_keeps_everything_it_does_not_understand(data):
    asset = an.Asset.from_api(data)
    assert asset.id == data["id"]
    assert dict(asset.raw) == data
    assert asset.extra == {k: v for k, v in data.items() if k not in KNOWN}
    for field, key in (("name", "name"), ("type", "type"), ("status", "status"),
                       ("file_url", "fileUrl"), ("thumbnail_url", "thumbnailUrl")):  # fmt: skip
        value = getattr(asset, field)
        assert value is None if data.get(key) is None else value == str(data[key])
    assert asset.created_at is None or asset.created_at.utcoffset() == timedelta(0)
    assert asset.is_terminal == (data.get("status") in ("READY", "FAILED"))
    api = asset.to_api()
    assert {
        k: api[k] for k in data if k not in ("name", "type", "status", "fileUrl", "thumbnailUrl")
    } == {
        k: data[k] for k in data if k not in ("name", "type", "status", "fileUrl", "thumbnailUrl")
    }


@given(api_dicts(valid_id=False))
def test_from_api_refuses_an_object_without_a_string_id(data):
    with pytest.raises(an.InvalidArgument, match="no 'id'"):
        an.Asset.from_api(data)


@given(iso_timestamps())
def test_every_iso_style_means_the_same_instant(pair):
    text, moment = pair
    assert parse_timestamp(text) == moment
    frame_value = an.assets_frame([{"id": "a", "createdAt": text}])["created_at"][0]
    if (
        pd.Timestamp.min.tz_localize(UTC)
        <= pd.Timestamp(moment)
        <= pd.Timestamp.max.tz_localize(UTC)
    ):
        assert frame_value.floor("us") == pd.Timestamp(moment)
    else:
        assert pd.isna(frame_value)


@given(st.one_of(texts, json_values))
def test_any_created_at_is_a_time_or_nothing(value):
    parsed = parse_timestamp(value)
    assert parsed is None or parsed.utcoffset() == timedelta(0)
    frame_value = an.assets_frame([{"id": "a", "createdAt": value}])["created_at"][0]
    if parsed is None:
        assert pd.isna(frame_value)
    elif not pd.isna(frame_value):
        assert frame_value.floor("us") == pd.Timestamp(parsed)


# -- assets_frame ---------------------------------------------------------------------------


def assert_schema(frame: pd.DataFrame) -> None:
    assert list(frame.columns)[: len(COLUMNS)] == list(COLUMNS)
    for name in ("id", "name", "file_url", "thumbnail_url"):
        assert frame[name].dtype == STRING, name
    assert str(frame["created_at"].dtype) == "datetime64[ns, UTC]"
    assert frame["type"].dtype == STRING and frame["status"].dtype == STRING


@settings(max_examples=100)
@given(st.lists(api_dicts(), max_size=10))
def test_assets_frame_of_random_dicts(records):
    frame = an.assets_frame(records)
    assert_schema(frame)
    assert len(frame) == len(records) and list(frame.columns) == list(COLUMNS)
    for i, data in enumerate(records):
        # Column by column: frame.iloc[i] hashes the categories, and pandas cannot hash a
        # lone surrogate (a JSON "\\ud800"); the frame itself holds one fine.
        row = {column: frame[column].iloc[i] for column in COLUMNS}
        for column, key in (("id", "id"), ("name", "name"), ("type", "type"), ("status", "status"),
                            ("file_url", "fileUrl"), ("thumbnail_url", "thumbnailUrl")):  # fmt: skip
            want = expected_text(data.get(key))
            got = row[column]
            assert (pd.isna(got) and want is pd.NA) or got == want, (column, data.get(key), got)
    unknown = {str(d["status"]) for d in records if d.get("status") not in (None, *STATUSES)}
    assert unknown <= set(frame["status"].dropna())  # unknown statuses kept, never NaN


@settings(max_examples=100)
@given(st.lists(api_dicts(), max_size=8))
def test_frames_from_dicts_and_from_assets_agree(records):
    from_dicts = an.assets_frame(records)
    from_assets = an.assets_frame([an.Asset.from_api(r) for r in records])
    # Assets hold datetimes (microseconds); dicts keep the server's nanoseconds.
    from_dicts["created_at"] = from_dicts["created_at"].dt.floor("us")
    pd.testing.assert_frame_equal(from_dicts, from_assets)


def test_assets_frame_mixes_assets_and_dicts():
    records = [{"id": "a", "status": "ODD"}, an.Asset.from_api({"id": "b", "status": "READY"})]
    frame = an.assets_frame(records)
    assert frame["status"].tolist() == ["ODD", "READY"]
    assert_schema(frame)


# -- CSV round trips --------------------------------------------------------------------------


@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(api_dicts(), max_size=8), st.lists(st.none() | texts, min_size=8, max_size=8))
def test_any_frame_round_trips_through_csv(tmp_path, records, errors):
    frame = an.assets_frame(records)
    frame[ERROR_COLUMN] = pd.array(errors[: len(frame)], dtype=STRING)
    assume(frame["id"].notna().all())
    path = an.to_csv(frame, tmp_path / "p.csv")
    pd.testing.assert_frame_equal(an.read_csv(path), frame)
