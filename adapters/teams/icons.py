"""peerbot's two Teams icons, drawn in code and written as PNG with the standard library alone:
a white speech bubble on NHS blue (192x192), and the same bubble's outline in white on
transparency (32x32), as Teams asks."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable

Pixel = tuple[int, int, int, int]
BLUE: Pixel = (0, 94, 184, 255)  # NHS blue, #005EB8
WHITE: Pixel = (255, 255, 255, 255)
CLEAR: Pixel = (0, 0, 0, 0)
ACCENT = "#005EB8"


def colour(size: int = 192) -> bytes:
    """The full-colour icon: a solid bubble on a blue square."""

    def paint(x: float, y: float) -> Pixel:
        return WHITE if _bubble(x, y, thickness=None) else BLUE

    return png(size, paint)


def outline(size: int = 32) -> bytes:
    """The outline icon: only white and transparent pixels, the bubble's edge alone."""

    def paint(x: float, y: float) -> Pixel:
        return WHITE if _bubble(x, y, thickness=0.09) else CLEAR

    return png(size, paint)


def _bubble(x: float, y: float, *, thickness: float | None) -> bool:
    """Whether the point (0..1 across and down) is on the bubble: an ellipse with a tail at
    its lower left. `thickness` draws only its edge, that wide."""
    cx, cy, rx, ry = 0.5, 0.45, 0.36, 0.28
    inside = ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2
    tail = 0.22 <= x <= 0.42 and 0.62 <= y <= 0.85 and (x - 0.22) >= (y - 0.62) * 0.9
    if thickness is None:
        return inside <= 1.0 or tail
    inner = ((x - cx) / (rx - thickness)) ** 2 + ((y - cy) / (ry - thickness)) ** 2
    return inside <= 1.0 < inner or (tail and inside > 1.0)


def png(size: int, paint: Callable[[float, float], Pixel]) -> bytes:
    """A square RGBA PNG, each pixel painted at its centre."""
    rows = b"".join(
        b"\x00"  # no filter
        + b"".join(bytes(paint((x + 0.5) / size, (y + 0.5) / size)) for x in range(size))
        for y in range(size)
    )
    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(rows, 9))
        + _chunk(b"IEND", b"")
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
