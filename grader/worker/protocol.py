"""The wire format between the grader and a worker: JSON headers plus raw array buffers, never pickle.

A message is ``!I`` (header length) + UTF-8 JSON header + the raw bytes of each array, in order.
Values are trees of JSON scalars, lists and these tagged objects:

* ``{"__nd__": i, "dtype": "<f8", "shape": [...]}``: array number ``i`` of the message (numeric dtypes only);
* ``{"__tuple__": [...]}`` and ``{"__dict__": [[key, value], ...]}``: tuples and dicts;
* ``{"__dtype__": "<f4"}``: a numpy scalar type such as ``np.float32`` (e.g. a model's ``dtype``);
* ``{"__handle__": id, "type": name}``: an object that stays inside the worker (e.g. a student's cache);
* ``{"__unsupported__": description}``: a value that cannot cross the boundary (object arrays, complex,
  arbitrary Python objects), described in words so the verdict can say what came back.

This module only imports the standard library and numpy: the worker imports it too.
"""
from __future__ import annotations

import fcntl
import json
import math
import os
import select
import struct
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

ALLOWED_DTYPE_KINDS = "biuf"
"""bool, signed and unsigned integers, floats: everything else is reported as unsupported."""

MAX_HEADER_BYTES = 64 * 2**20
MAX_ARRAY_BYTES = 1 * 2**30
"""The most array bytes one message carries, all its arrays together: a worker that sends one big array many
times over (it costs the worker nothing) cannot make the grader allocate more than this per message."""
MAX_DEPTH = 32
PIPE_BYTES = 1 << 20
F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)


class ProtocolError(Exception):
    """A malformed message (what a confused or hostile worker might send)."""


class ChannelTimeout(Exception):
    """No complete message arrived before the deadline."""


class ChannelClosed(Exception):
    """The other side closed its end (for a worker: it exited or crashed)."""


@dataclass(frozen=True)
class Handle:
    """A reference to an object kept inside a worker."""

    id: int
    type: str


@dataclass(frozen=True)
class Unsupported:
    """A value the worker could not send as plain data; ``description`` says what it was."""

    description: str

    def __str__(self) -> str:
        return self.description


# --------------------------------------------------------------------------------------------- encoding


def encode(value: Any, to_handle=None) -> tuple[bytes, list[memoryview]]:
    """Turn a value tree into a JSON header and buffers. ``to_handle(obj)`` stores unknown objects."""
    arrays: list[np.ndarray] = []
    total = [0]

    def enc(v: Any, depth: int) -> Any:
        if depth >= MAX_DEPTH:  # the marker itself sits at this depth, which the receiver still accepts
            return {"__unsupported__": "a value nested more than %d levels deep" % MAX_DEPTH}
        if v is None or isinstance(v, (bool, str)):
            return v
        if type(v) is int:
            return v
        if type(v) is float:
            return v
        if isinstance(v, Handle):
            return {"__handle__": v.id, "type": v.type}
        if isinstance(v, type) and issubclass(v, np.generic) and np.dtype(v).kind in ALLOWED_DTYPE_KINDS:
            return {"__dtype__": np.dtype(v).str}
        if isinstance(v, np.ndarray) or isinstance(v, np.generic):
            return enc_array(v)
        if type(v) is tuple:
            return {"__tuple__": [enc(x, depth + 1) for x in v]}
        if type(v) is list:
            return [enc(x, depth + 1) for x in v]
        if type(v) is dict and all(type(k) in (str, int) for k in v):
            return {"__dict__": [[k, enc(x, depth + 1)] for k, x in v.items()]}
        if to_handle is not None:
            return {"__handle__": to_handle(v), "type": describe_type(v)}
        return {"__unsupported__": "an object of type %s" % describe_type(v)}

    def enc_array(v: Any) -> Any:
        if isinstance(v, np.generic):
            v = np.asarray(v)
        dtype = v.dtype
        if dtype.kind not in ALLOWED_DTYPE_KINDS or dtype.fields is not None:
            return {"__unsupported__": "an array of dtype %s and shape %s" % (dtype, tuple(v.shape))}
        if v.nbytes > MAX_ARRAY_BYTES - total[0]:
            return {"__unsupported__": "an array of %d bytes (shape %s), over the limit of %d bytes per message"
                    % (v.nbytes, v.shape, MAX_ARRAY_BYTES)}
        total[0] += v.nbytes
        plain = np.array(v, order="C", copy=not v.flags.c_contiguous).view(np.ndarray)  # keeps 0-d arrays 0-d
        arrays.append(plain)
        return {"__nd__": len(arrays) - 1, "dtype": dtype.newbyteorder("<").str if dtype.byteorder == ">"
                else dtype.str, "shape": list(plain.shape), "nbytes": int(plain.nbytes)}

    header = enc(value, 0)
    fixed = [a.astype(a.dtype.newbyteorder("<")) if a.dtype.byteorder == ">" else a for a in arrays]
    payload = json.dumps(header, allow_nan=True).encode("utf-8")
    return payload, [memoryview(a.reshape(-1).view(np.uint8)) for a in fixed]


def decode(header: Any, buffers: list[bytes] | list[bytearray], owned: bool = False) -> Any:
    """Rebuild a value tree from a header and buffers, validating every array against its claims.

    ``owned``: the buffers are fresh bytearrays nobody else holds, so arrays may use them without a copy.
    """

    def dec(v: Any, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise ProtocolError("message nested too deeply")
        if v is None or isinstance(v, (bool, int, float, str)):
            return v
        if isinstance(v, list):
            return [dec(x, depth + 1) for x in v]
        if not isinstance(v, dict) or len(v) == 0:
            raise ProtocolError("unexpected value in message: %r" % (type(v).__name__,))
        if "__nd__" in v:
            return dec_array(v)
        if "__tuple__" in v:
            return tuple(dec(x, depth + 1) for x in _as_list(v["__tuple__"]))
        if "__dict__" in v:
            out = {}
            for pair in _as_list(v["__dict__"]):
                if not isinstance(pair, list) or len(pair) != 2 or type(pair[0]) not in (str, int):
                    raise ProtocolError("bad dict entry")
                out[pair[0]] = dec(pair[1], depth + 1)
            return out
        if "__handle__" in v:
            if type(v["__handle__"]) is not int:
                raise ProtocolError("bad handle")
            return Handle(v["__handle__"], str(v.get("type", "?")))
        if "__dtype__" in v:
            try:
                dtype = np.dtype(str(v["__dtype__"]))
            except (TypeError, ValueError) as exc:
                raise ProtocolError("bad dtype") from exc
            if dtype.kind not in ALLOWED_DTYPE_KINDS:
                raise ProtocolError("dtype %s is not allowed" % dtype)
            return dtype.type
        if "__unsupported__" in v:
            return Unsupported(str(v["__unsupported__"])[:500])
        raise ProtocolError("unknown tagged value")

    def dec_array(v: dict) -> np.ndarray:
        index = v["__nd__"]
        if type(index) is not int or not 0 <= index < len(buffers):
            raise ProtocolError("array refers to a missing buffer")
        try:
            dtype = np.dtype(str(v["dtype"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise ProtocolError("bad dtype") from exc
        if dtype.kind not in ALLOWED_DTYPE_KINDS or dtype.fields is not None or dtype.hasobject:
            raise ProtocolError("dtype %s is not allowed" % dtype)
        shape = v.get("shape")
        if not isinstance(shape, list) or not all(type(s) is int and s >= 0 for s in shape):
            raise ProtocolError("bad shape")
        buf = buffers[index]
        if math.prod(shape) * dtype.itemsize != len(buf):  # exact: np.prod in int64 can wrap around
            raise ProtocolError("array size does not match its shape and dtype")
        array = np.frombuffer(buf, dtype=dtype).reshape(shape)
        return array if owned and isinstance(buf, bytearray) else array.copy()

    return dec(header, 0)


def _as_list(v: Any) -> list:
    if not isinstance(v, list):
        raise ProtocolError("expected a list")
    return v


def describe_type(obj: Any) -> str:
    t = type(obj)
    return t.__name__ if t.__module__ == "builtins" else "%s.%s" % (t.__module__, t.__qualname__)


# --------------------------------------------------------------------------------------------- framing


def _buffer_sizes(header: Any) -> list[int]:
    sizes: list[int] = []
    total = [0]

    def walk(v: Any, depth: int) -> None:
        if depth > 3 * (MAX_DEPTH + 1):  # one level of a value is up to three of JSON: {"__dict__": [[k, v]]}
            raise ProtocolError("message nested too deeply")
        if isinstance(v, list):
            for x in v:
                walk(x, depth + 1)
        elif isinstance(v, dict):
            if "__nd__" in v:
                n = v.get("nbytes")
                if type(n) is not int or n < 0 or n > MAX_ARRAY_BYTES:
                    raise ProtocolError("bad array size")
                if v["__nd__"] != len(sizes):
                    raise ProtocolError("arrays out of order")
                total[0] += n
                if total[0] > MAX_ARRAY_BYTES:
                    raise ProtocolError("arrays of more than %d bytes in one message" % MAX_ARRAY_BYTES)
                sizes.append(n)
            else:
                for x in v.values():
                    walk(x, depth + 1)

    walk(header, 0)
    return sizes


class Channel:
    """One direction-pair of pipes carrying framed messages, with deadlines on reads."""

    def __init__(self, read_fd: int, write_fd: int):
        self.read_fd = read_fd
        self.write_fd = write_fd
        for fd in (read_fd, write_fd):
            try:
                fcntl.fcntl(fd, F_SETPIPE_SZ, PIPE_BYTES)
            except (OSError, ValueError):
                pass  # not a pipe, or the system's limit is lower: the default size works too

    def send(self, value: Any, to_handle=None) -> None:
        payload, buffers = encode(value, to_handle)
        _write_all(self.write_fd, struct.pack("!I", len(payload)) + payload)
        for b in buffers:
            _write_all(self.write_fd, b)

    def receive(self, deadline: float | None = None) -> Any:
        (length,) = struct.unpack("!I", self._read_exact(4, deadline))
        if length > MAX_HEADER_BYTES:
            raise ProtocolError("header of %d bytes is too large" % length)
        try:
            header = json.loads(self._read_exact(length, deadline).decode("utf-8"))
        except (ValueError, RecursionError) as exc:
            raise ProtocolError("header is not JSON") from exc
        buffers = [self._read_exact(n, deadline) for n in _buffer_sizes(header)]
        return decode(header, buffers, owned=True)

    def _read_exact(self, n: int, deadline: float | None) -> bytearray:
        out = bytearray(n)
        view = memoryview(out)
        got = 0
        while got < n:
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise ChannelTimeout()
                ready, _, _ = select.select([self.read_fd], [], [], remaining)
                if not ready:
                    raise ChannelTimeout()
            count = os.readv(self.read_fd, [view[got:got + (1 << 20)]])
            if not count:
                raise ChannelClosed()
            got += count
        return out

    def close(self) -> None:
        """Close both ends once; later calls do nothing (a second ``os.close`` could hit a reused fd number)."""
        fds, self.read_fd, self.write_fd = (self.read_fd, self.write_fd), -1, -1
        for fd in fds:
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass


def _write_all(fd: int, data: bytes | memoryview) -> None:
    view = memoryview(data)
    while len(view):
        n = os.write(fd, view[: 1 << 20])
        view = view[n:]
