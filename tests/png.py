"""A small PNG reader (8-bit RGB/RGBA, not interlaced) so tests can look at screenshots
without an imaging library."""
from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else (b if pb <= pc else c)


def read_png(path: str | Path) -> np.ndarray:
    """Pixels as a (height, width, channels) uint8 array."""
    data = Path(path).read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path} is not a PNG")
    pos, idat, header = 8, bytearray(), None
    while pos < len(data):
        length = int.from_bytes(data[pos:pos + 4], "big")
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
    width, height, depth, colour, _, _, interlace = header
    if depth != 8 or interlace or colour not in (2, 6):
        raise ValueError(f"{path}: only 8-bit RGB/RGBA non-interlaced PNGs are read here")
    ch = 3 if colour == 2 else 4
    stride = width * ch
    raw = np.frombuffer(zlib.decompress(bytes(idat)), dtype=np.uint8).reshape(height, stride + 1)
    out = np.zeros((height, stride), dtype=np.uint8)
    prev = np.zeros(stride, dtype=np.uint8)
    for y in range(height):
        kind, line = raw[y, 0], raw[y, 1:].copy()
        if kind == 1:  # sub: a running sum per channel
            line = (np.cumsum(line.reshape(width, ch).astype(np.int64), axis=0) % 256).astype(np.uint8).ravel()
        elif kind == 2:  # up
            line = line + prev
        elif kind in (3, 4):  # average, paeth: each byte depends on the one just decoded
            row, up = line.tolist(), prev.tolist()
            for i in range(stride):
                left = row[i - ch] if i >= ch else 0
                if kind == 3:
                    row[i] = (row[i] + (left + up[i]) // 2) & 255
                else:
                    row[i] = (row[i] + _paeth(left, up[i], up[i - ch] if i >= ch else 0)) & 255
            line = np.array(row, dtype=np.uint8)
        out[y] = line
        prev = line
    return out.reshape(height, width, ch)
