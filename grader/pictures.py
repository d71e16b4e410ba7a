"""Pictures for reports, made in the grader from plain arrays: PNG encoding (no imaging library needed)
and the ``images`` artifact that the HTML report shows as a row of labelled pictures."""
from __future__ import annotations

import base64
import struct
import zlib
from typing import Any, Sequence

import numpy as np


def to_uint8(image: np.ndarray, rescale: bool = False) -> np.ndarray:
    """A (H, W), (H, W, 1) or (H, W, 3) array as uint8: floats are taken in [0, 1] (or min-max rescaled)."""
    a = np.asarray(image)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    if a.dtype == np.uint8:
        return a
    a = np.nan_to_num(a.astype(np.float64))
    if rescale:
        lo, hi = float(a.min()), float(a.max())
        a = (a - lo) / (hi - lo) if hi > lo else np.zeros_like(a)
    return (np.clip(a, 0.0, 1.0) * 255 + 0.5).astype(np.uint8)


def png_bytes(image: np.ndarray, rescale: bool = False) -> bytes:
    """Encode a grey or RGB picture as PNG (zlib level 1: 8 times faster than 6, 15% larger; checks that
    show pictures run at every notebook call)."""
    a = to_uint8(image, rescale)
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] != 3):
        raise ValueError("expected a (H, W) or (H, W, 3) picture, got shape %s" % (a.shape,))
    height, width = a.shape[:2]
    colour = 0 if a.ndim == 2 else 2
    rows = np.ascontiguousarray(a).reshape(height, -1)
    raw = b"".join(b"\x00" + row.tobytes() for row in rows)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack("!I", len(data)) + kind + data + struct.pack("!I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack("!IIBBBBB", width, height, 8, colour, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 1)) + chunk(b"IEND", b"")


def grid(images: Sequence[np.ndarray], columns: int, pad: int = 2) -> np.ndarray:
    """Tile equally sized pictures (values in [0, 1]) into one picture, ``columns`` per row."""
    stack = [np.asarray(to_uint8(im), dtype=np.uint8) for im in images]
    h, w = stack[0].shape[:2]
    rows = (len(stack) + columns - 1) // columns
    shape = (rows * (h + pad) + pad, columns * (w + pad) + pad) + stack[0].shape[2:]
    out = np.full(shape, 255, dtype=np.uint8)
    for i, im in enumerate(stack):
        r, c = divmod(i, columns)
        out[pad + r * (h + pad): pad + r * (h + pad) + h, pad + c * (w + pad): pad + c * (w + pad) + w] = im
    return out


def images_artifact(title: str, pictures: Sequence[tuple[str, np.ndarray]], rescale: bool = False) -> dict[str, Any]:
    """An artifact for the report: labelled pictures shown side by side (PNG, base64)."""
    return {"kind": "images", "title": title,
            "images": [{"label": label, "png": base64.b64encode(png_bytes(p, rescale)).decode("ascii")}
                       for label, p in pictures]}
