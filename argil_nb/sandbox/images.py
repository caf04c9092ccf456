"""Small PNG images for the sandbox's fake CDN, built with zlib and struct only.

Each asset gets a striped picture: the base colour says its type and the stripe width,
angle and hue shift come from its id, so that every thumbnail looks different.
"""

from __future__ import annotations

import colorsys
import functools
import hashlib
import struct
import zlib

__all__ = ["FILE_SIZE", "PNG_SIGNATURE", "THUMBNAIL_SIZE", "asset_png", "encode_png"]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
THUMBNAIL_SIZE = (160, 90)
FILE_SIZE = (480, 270)

# Base hues (0-1) by asset type; unknown types are drawn grey.
_TYPE_HUES = {"VIDEO": 0.58, "IMAGE": 0.33, "AUDIO": 0.78}


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def encode_png(width: int, height: int, rows: list[bytes]) -> bytes:
    """Encode 8-bit RGB rows as a PNG file.

    Parameters
    ----------
    width, height : int
        Size in pixels.
    rows : list of bytes
        ``height`` rows of ``3 * width`` bytes each (R, G, B per pixel).

    Returns
    -------
    bytes
        A complete PNG file.
    """
    if len(rows) != height or any(len(row) != 3 * width for row in rows):
        raise ValueError("rows do not match the image size")
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    raw = b"".join(b"\x00" + row for row in rows)  # filter type 0 on every row
    return (
        PNG_SIGNATURE
        + _chunk(b"IHDR", ihdr)
        + _chunk(b"IDAT", zlib.compress(raw, 6))
        + _chunk(b"IEND", b"")
    )


def _rgb(hue: float, saturation: float, value: float) -> bytes:
    r, g, b = colorsys.hsv_to_rgb(hue % 1.0, saturation, value)
    return bytes((round(r * 255), round(g * 255), round(b * 255)))


@functools.lru_cache(maxsize=4096)
def asset_png(asset_id: str, asset_type: str, size: tuple[int, int] = THUMBNAIL_SIZE) -> bytes:
    """Return the PNG picture of one asset (cached).

    Parameters
    ----------
    asset_id : str
        The asset id; it seeds the stripe pattern.
    asset_type : str
        ``VIDEO``, ``IMAGE`` or ``AUDIO`` pick the base colour; anything else is grey.
    size : tuple of int
        ``(width, height)`` in pixels.

    Returns
    -------
    bytes
        A PNG file.
    """
    width, height = size
    digest = hashlib.sha256(asset_id.encode()).digest()
    base = _TYPE_HUES.get(asset_type)
    saturation = 0.55 if base is not None else 0.0
    hue = (base if base is not None else 0.0) + (digest[0] - 128) / 2048
    light = _rgb(hue, saturation, 0.92)
    dark = _rgb(hue + (digest[1] - 128) / 1024, min(1.0, saturation + 0.2), 0.55)
    period = 8 + digest[2] % 24  # stripe period in pixels
    slope = 1 + digest[3] % 3  # stripes move this many pixels per row
    # One period of stripe, repeated wide enough that any row is a slice of it.
    cell = light * (period // 2) + dark * (period - period // 2)
    band = cell * (width // period + 2)
    rows = []
    for y in range(height):
        start = 3 * ((y * slope) % period)
        rows.append(band[start : start + 3 * width])
    return encode_png(width, height, rows)
