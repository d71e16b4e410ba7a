"""The worker wire format: round trips, what cannot cross, and hostile headers (never pickle, never trust sizes)."""
from __future__ import annotations

import ast
import json
import math
import os
import struct
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from grader.worker import protocol
from grader.worker.protocol import (
    MAX_ARRAY_BYTES,
    MAX_DEPTH,
    MAX_HEADER_BYTES,
    Channel,
    ChannelClosed,
    ChannelTimeout,
    Handle,
    ProtocolError,
    Unsupported,
    decode,
    encode,
)


# --------------------------------------------------------------------------------------------- helpers


def via_codec(value, to_handle=None):
    payload, buffers = encode(value, to_handle)
    return decode(json.loads(payload.decode("utf-8")), [bytes(b) for b in buffers])


@pytest.fixture
def pipe():
    """A Channel whose writes come back on its own reads, plus the raw write end for forged bytes."""
    r, w = os.pipe()
    channel = Channel(r, w)
    yield channel, w
    channel.close()


def via_channel(value, to_handle=None):
    """Send through a real pipe; a thread writes so that messages larger than the pipe buffer work."""
    r, w = os.pipe()
    channel = Channel(r, w)
    errors = []

    def writer():
        try:
            channel.send(value, to_handle)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    t = threading.Thread(target=writer)
    t.start()
    try:
        out = channel.receive(deadline=time.monotonic() + 10)
    finally:
        t.join(10)
        channel.close()
    assert not errors
    return out


ROUND_TRIPS = [via_codec, via_channel]


def assert_same_array(got, expected):
    assert type(got) is np.ndarray
    assert got.dtype == expected.dtype.newbyteorder("=") or got.dtype == expected.dtype
    assert got.dtype.kind == expected.dtype.kind and got.dtype.itemsize == expected.dtype.itemsize
    assert got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)


def forge(header, *buffers: bytes) -> bytes:
    payload = json.dumps(header).encode()
    return struct.pack("!I", len(payload)) + payload + b"".join(buffers)


def send_raw(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while len(view):
        view = view[os.write(fd, view):]


# --------------------------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("roundtrip", ROUND_TRIPS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64, np.bool_, np.uint8])
@pytest.mark.parametrize("shape", [(), (0,), (3, 0), (5,), (2, 3, 4)])
def test_array_round_trip(roundtrip, dtype, shape):
    rng = np.random.default_rng(0)
    a = (rng.standard_normal(shape) * 10).astype(dtype)
    got = roundtrip(a)
    assert_same_array(got, a)
    assert got.dtype == np.dtype(dtype)
    assert got.shape == shape  # 0-d stays 0-d, empty stays empty with its shape
    assert got.flags.writeable and got.flags.c_contiguous


@pytest.mark.parametrize("roundtrip", ROUND_TRIPS)
def test_zero_d_array_stays_zero_d(roundtrip):
    got = roundtrip(np.array(2.5, dtype=np.float32))
    assert isinstance(got, np.ndarray) and got.shape == () and got.dtype == np.float32 and got == 2.5


@pytest.mark.parametrize("roundtrip", ROUND_TRIPS)
def test_non_contiguous_arrays(roundtrip):
    base = np.arange(60, dtype=np.float64).reshape(3, 4, 5)
    for view in (base.T, base[:, ::2, 1:], base[::-1], np.asfortranarray(base)):
        assert not view.flags.c_contiguous
        assert_same_array(roundtrip(view), view)


@pytest.mark.parametrize("roundtrip", ROUND_TRIPS)
def test_big_endian_arrays_arrive_with_the_same_values(roundtrip):
    for dt in (">f8", ">f4", ">i4", ">i8", ">u2"):
        a = np.arange(-3, 9).reshape(3, 4).astype(dt)
        got = roundtrip(a)
        assert got.dtype.byteorder in ("<", "=", "|")
        assert got.dtype.kind == a.dtype.kind and got.dtype.itemsize == a.dtype.itemsize
        np.testing.assert_array_equal(got, a)
    # a big-endian non-contiguous 0-d-ish case too
    scalar = np.array(7.25, dtype=">f8")
    got = roundtrip(scalar)
    assert got.shape == () and got == 7.25


@pytest.mark.parametrize("roundtrip", ROUND_TRIPS)
def test_nested_containers_keep_their_types(roundtrip):
    value = {
        "t": (1, (2.5, "x"), [np.arange(3), (None, True)]),
        "l": [[], (), {}],
        7: {"inner": (np.zeros((2, 0)), -1)},
    }
    got = roundtrip(value)
    assert set(got) == {"t", "l", 7}
    assert type(got["t"]) is tuple and type(got["t"][1]) is tuple and type(got["t"][2]) is list
    assert type(got["t"][2][1]) is tuple and got["t"][2][1] == (None, True)
    np.testing.assert_array_equal(got["t"][2][0], np.arange(3))
    assert got["l"] == [[], (), {}] and type(got["l"][1]) is tuple
    assert type(got[7]["inner"]) is tuple and got[7]["inner"][0].shape == (2, 0) and got[7]["inner"][1] == -1


@pytest.mark.parametrize("roundtrip", ROUND_TRIPS)
def test_several_arrays_in_one_message_keep_their_order(roundtrip):
    arrays = [np.full((i + 1,), i, dtype=np.int64) for i in range(6)]
    got = roundtrip({"a": arrays[:3], "b": tuple(arrays[3:])})
    for g, a in zip(got["a"] + list(got["b"]), arrays):
        assert_same_array(g, a)


@pytest.mark.parametrize("roundtrip", ROUND_TRIPS)
@pytest.mark.parametrize("scalar_type", [np.float32, np.float64, np.int32, np.int64, np.uint8, np.bool_])
def test_numpy_scalar_types_round_trip_as_types(roundtrip, scalar_type):
    got = roundtrip({"dtype": scalar_type})
    assert got["dtype"] is scalar_type


@pytest.mark.parametrize("roundtrip", ROUND_TRIPS)
def test_python_special_floats(roundtrip):
    got = roundtrip([float("nan"), float("inf"), -float("inf"), 0.0, -0.0, 1e308, 5e-324])
    assert math.isnan(got[0]) and got[1] == math.inf and got[2] == -math.inf
    assert got[3:] == [0.0, -0.0, 1e308, 5e-324] and math.copysign(1, got[4]) == -1
    assert all(type(x) is float for x in got)


@pytest.mark.parametrize("roundtrip", ROUND_TRIPS)
def test_plain_scalars(roundtrip):
    value = [None, True, False, 0, -5, 2**70, "héllo\u2603", ""]
    got = roundtrip(value)
    assert got == value
    assert type(got[1]) is bool and type(got[3]) is int


@pytest.mark.parametrize("roundtrip", ROUND_TRIPS)
def test_handles_round_trip(roundtrip):
    got = roundtrip((Handle(3, "cs231n.classifiers.rnn.CaptioningRNN"), [Handle(4, "dict")]))
    assert got == (Handle(3, "cs231n.classifiers.rnn.CaptioningRNN"), [Handle(4, "dict")])
    assert isinstance(got[0], Handle)


@pytest.mark.parametrize("roundtrip", ROUND_TRIPS)
@pytest.mark.parametrize("value, dtype_words", [
    (np.array([object(), 1], dtype=object), "object"),
    (np.array([1 + 2j]), "complex128"),
    (np.complex64(1j), "complex64"),
    (np.array(["ab", "c"]), "<U2"),
    (np.array([b"ab"]), "S2"),
    (np.zeros(2, dtype=[("a", "<f8"), ("b", "<i4")]), "('a', '<f8')"),
    (np.array(["2020-01-01"], dtype="datetime64[D]"), "datetime64"),
])
def test_unsupported_arrays_are_described(roundtrip, value, dtype_words):
    got = roundtrip({"x": value})["x"]
    assert isinstance(got, Unsupported)
    assert dtype_words in got.description
    assert "dtype" in got.description


class Opaque:
    pass


@pytest.mark.parametrize("roundtrip", ROUND_TRIPS)
def test_unknown_objects_become_unsupported_without_to_handle(roundtrip):
    got = roundtrip([Opaque(), {1, 2}, b"bytes", {(1, 2): 3}])
    assert all(isinstance(g, Unsupported) for g in got)
    assert "Opaque" in got[0].description and got[1].description == "an object of type set"


@pytest.mark.parametrize("roundtrip", ROUND_TRIPS)
def test_unknown_objects_become_handles_with_to_handle(roundtrip):
    stored = []

    def to_handle(obj):
        stored.append(obj)
        return len(stored) + 100

    obj = Opaque()
    got = roundtrip((obj, np.ones(2), [{1, 2}]), to_handle)
    assert got[0] == Handle(101, "%s.Opaque" % __name__)
    assert_same_array(got[1], np.ones(2))
    assert got[2] == [Handle(102, "set")]
    assert stored[0] is obj


def test_unsupported_description_is_truncated_on_decode():
    got = decode({"__unsupported__": "x" * 10_000}, [])
    assert isinstance(got, Unsupported) and len(got.description) <= 500


@pytest.mark.parametrize("roundtrip", ROUND_TRIPS)
@pytest.mark.parametrize("make", [lambda v: [v], lambda v: (v,), lambda v: {"k": v}])
def test_deep_values_never_break_the_protocol(roundtrip, make):
    """The sender marks what is too deep as unsupported; whatever it sends, the receiver accepts."""
    for depth in (MAX_DEPTH // 3, MAX_DEPTH // 2 + 1, MAX_DEPTH - 1, MAX_DEPTH, MAX_DEPTH + 1, MAX_DEPTH + 8):
        value = np.arange(2)
        for _ in range(depth):
            value = make(value)
        got = roundtrip(value)  # must not raise ProtocolError
        leaf = got
        for _ in range(depth):
            if isinstance(leaf, Unsupported):
                break
            leaf = leaf["k"] if isinstance(leaf, dict) else leaf[0]
        assert isinstance(leaf, (Unsupported, np.ndarray))
        if depth < MAX_DEPTH:
            assert isinstance(leaf, np.ndarray)


def test_big_message_through_a_pipe():
    a = np.random.default_rng(0).standard_normal((512, 1024))  # 4 MiB, far more than a pipe buffer
    assert_same_array(via_channel({"big": a, "t": (a[:3],)})["big"], a)


# --------------------------------------------------------------------------------------------- hostile headers


GOOD = {"__nd__": 0, "dtype": "<f8", "shape": [2, 3], "nbytes": 48}


@pytest.mark.parametrize("header, buffers", [
    pytest.param({**GOOD}, [b"\0" * 40], id="size-smaller-than-shape"),
    pytest.param({**GOOD}, [b"\0" * 56], id="size-larger-than-shape"),
    pytest.param({**GOOD, "shape": [3, 3]}, [b"\0" * 48], id="shape-larger-than-buffer"),
    pytest.param({**GOOD, "dtype": "<f4"}, [b"\0" * 48], id="itemsize-mismatch"),
    pytest.param({**GOOD, "dtype": "|O", "shape": [6]}, [b"\0" * 48], id="object-dtype"),
    pytest.param({**GOOD, "dtype": "<c16", "shape": [3]}, [b"\0" * 48], id="complex-dtype"),
    pytest.param({**GOOD, "dtype": "<U2", "shape": [6]}, [b"\0" * 48], id="string-dtype"),
    pytest.param({**GOOD, "dtype": "[('a', '<f8')]", "shape": [6]}, [b"\0" * 48], id="structured-dtype"),
    pytest.param({**GOOD, "dtype": "(2,)<f8", "shape": [3]}, [b"\0" * 48], id="subarray-dtype"),
    pytest.param({**GOOD, "dtype": "not a dtype"}, [b"\0" * 48], id="junk-dtype"),
    pytest.param({**GOOD, "dtype": 5}, [b"\0" * 48], id="int-dtype"),
    pytest.param({**GOOD, "shape": [-2, -3]}, [b"\0" * 48], id="negative-shape"),
    pytest.param({**GOOD, "shape": [6, -1]}, [b"\0" * 48], id="minus-one-shape"),
    pytest.param({**GOOD, "shape": [2.0, 3]}, [b"\0" * 48], id="float-shape"),
    pytest.param({**GOOD, "shape": [True, 6]}, [b"\0" * 48], id="bool-shape"),
    pytest.param({**GOOD, "shape": "6"}, [b"\0" * 48], id="string-shape"),
    pytest.param({**GOOD, "shape": [2**32, 2**32]}, [b""], id="shape-product-wraps-to-zero"),
    pytest.param({**GOOD, "dtype": "|u1", "shape": [2**62 + 1, 4]}, [b"\0" * 4], id="shape-product-wraps-small"),
    pytest.param({**GOOD, "shape": [2**70]}, [b""], id="shape-beyond-int64"),
    pytest.param({**GOOD, "__nd__": 1}, [b"\0" * 48], id="buffer-index-out-of-range"),
    pytest.param({**GOOD, "__nd__": -1}, [b"\0" * 48], id="negative-buffer-index"),
    pytest.param({**GOOD, "__nd__": "0"}, [b"\0" * 48], id="string-buffer-index"),
    pytest.param({k: v for k, v in GOOD.items() if k != "dtype"}, [b"\0" * 48], id="missing-dtype"),
    pytest.param({k: v for k, v in GOOD.items() if k != "shape"}, [b"\0" * 48], id="missing-shape"),
    pytest.param({"__dtype__": "|O"}, [], id="object-dtype-tag"),
    pytest.param({"__dtype__": "<c16"}, [], id="complex-dtype-tag"),
    pytest.param({"__dtype__": "no such dtype"}, [], id="junk-dtype-tag"),
    pytest.param({"__handle__": "1", "type": "x"}, [], id="string-handle"),
    pytest.param({"__tuple__": "abc"}, [], id="tuple-not-list"),
    pytest.param({"__dict__": [[1.5, 2]]}, [], id="float-dict-key"),
    pytest.param({"__dict__": [[1, 2, 3]]}, [], id="dict-entry-of-three"),
    pytest.param({"__dict__": {"a": 1}}, [], id="dict-not-list"),
    pytest.param({"__pickle__": "gASVAAAA"}, [], id="unknown-tag"),
    pytest.param({}, [], id="empty-object"),
])
def test_decode_rejects_malformed_headers(header, buffers):
    with pytest.raises(ProtocolError):
        decode(header, buffers)


def test_decode_rejects_nesting_deeper_than_max_depth():
    header = 1
    for _ in range(MAX_DEPTH + 2):
        header = [header]
    with pytest.raises(ProtocolError):
        decode(header, [])
    header = 1
    for _ in range(MAX_DEPTH + 2):
        header = {"__tuple__": [header]}
    with pytest.raises(ProtocolError):
        decode(header, [])


def test_decode_accepts_the_good_header():
    got = decode(GOOD, [np.arange(6, dtype="<f8").tobytes()])
    np.testing.assert_array_equal(got, np.arange(6.0).reshape(2, 3))


def test_decoded_array_does_not_alias_the_buffer():
    buf = bytearray(np.arange(3, dtype="<i8").tobytes())
    got = decode({"__nd__": 0, "dtype": "<i8", "shape": [3], "nbytes": 24}, [buf])
    buf[:8] = b"\xff" * 8
    assert got[0] == 0 and got.flags.writeable


def test_receive_rejects_mismatched_size(pipe):
    channel, w = pipe
    send_raw(w, forge({**GOOD, "nbytes": 40}, b"\0" * 40))
    with pytest.raises(ProtocolError, match="size"):
        channel.receive(time.monotonic() + 2)


@pytest.mark.parametrize("nbytes", [MAX_ARRAY_BYTES + 1, 2**62, -1, "48", 48.0, None])
def test_receive_rejects_bad_nbytes_before_reading_the_buffer(pipe, nbytes):
    channel, w = pipe
    header = {**GOOD, "nbytes": nbytes}
    if nbytes is None:
        del header["nbytes"]
    send_raw(w, forge(header))  # no buffer follows: reading one would time out instead
    with pytest.raises(ProtocolError):
        channel.receive(time.monotonic() + 2)


def test_receive_rejects_arrays_out_of_order(pipe):
    channel, w = pipe
    send_raw(w, forge([{**GOOD, "__nd__": 1}, {**GOOD, "__nd__": 0}], b"\0" * 96))
    with pytest.raises(ProtocolError):
        channel.receive(time.monotonic() + 2)


def test_receive_rejects_an_oversized_header_without_reading_it(pipe):
    channel, w = pipe
    send_raw(w, struct.pack("!I", MAX_HEADER_BYTES + 1) + b"{}")
    with pytest.raises(ProtocolError, match="too large"):
        channel.receive(time.monotonic() + 2)


def test_receive_rejects_a_header_of_4_gib(pipe):
    channel, w = pipe
    send_raw(w, struct.pack("!I", 2**32 - 1))
    with pytest.raises(ProtocolError):
        channel.receive(time.monotonic() + 2)


@pytest.mark.parametrize("payload", [b"not json", b"\xff\xfe\x00", b"{\"a\": ", b"[1, 2", b"pickle\x80\x04"])
def test_receive_rejects_non_json_headers(pipe, payload):
    channel, w = pipe
    send_raw(w, struct.pack("!I", len(payload)) + payload)
    with pytest.raises(ProtocolError):
        channel.receive(time.monotonic() + 2)


def test_receive_rejects_pickled_bytes_and_never_unpickles(pipe, monkeypatch):
    import pickle

    calls = []
    monkeypatch.setattr(pickle, "loads", lambda *a, **k: calls.append(a))
    monkeypatch.setattr(pickle, "load", lambda *a, **k: calls.append(a))
    channel, w = pipe
    data = pickle.dumps({"ok": True, "value": np.arange(3)})
    send_raw(w, struct.pack("!I", len(data)) + data)
    with pytest.raises(ProtocolError):
        channel.receive(time.monotonic() + 2)
    assert calls == []


@pytest.mark.parametrize("depth", [MAX_DEPTH + 2, 3 * MAX_DEPTH + 10, 100_000])
def test_receive_rejects_deep_nesting(pipe, depth):
    channel, w = pipe
    payload = b"[" * depth + b"]" * depth
    t = threading.Thread(target=send_raw, args=(w, struct.pack("!I", len(payload)) + payload))
    t.start()
    try:
        with pytest.raises(ProtocolError):
            channel.receive(time.monotonic() + 5)
    finally:
        t.join(5)


def test_receive_rejects_malformed_arrays_not_only_in_decode(pipe):
    channel, w = pipe
    send_raw(w, forge({"ok": True, "value": {**GOOD, "shape": [2**32, 2**32], "nbytes": 0}}))
    with pytest.raises(ProtocolError):
        channel.receive(time.monotonic() + 2)


def test_receive_after_a_good_message(pipe):
    channel, w = pipe
    channel.send({"ok": True, "value": (np.arange(4.0), Handle(1, "x"))})
    channel.send([1, 2])
    got = channel.receive(time.monotonic() + 2)
    assert got["ok"] is True and got["value"][1] == Handle(1, "x")
    assert channel.receive(time.monotonic() + 2) == [1, 2]


# --------------------------------------------------------------------------------------------- deadlines and closing


def test_receive_times_out_when_nothing_arrives(pipe):
    channel, _ = pipe
    t0 = time.monotonic()
    with pytest.raises(ChannelTimeout):
        channel.receive(time.monotonic() + 0.3)
    assert 0.25 <= time.monotonic() - t0 < 2


def test_receive_times_out_on_a_partial_message(pipe):
    channel, w = pipe
    data = forge(GOOD, b"\0" * 48)
    send_raw(w, data[:-10])  # the last bytes of the buffer never come
    with pytest.raises(ChannelTimeout):
        channel.receive(time.monotonic() + 0.3)


def test_receive_with_a_past_deadline_times_out_immediately(pipe):
    channel, _ = pipe
    with pytest.raises(ChannelTimeout):
        channel.receive(time.monotonic() - 1)


def test_receive_reports_a_closed_writer():
    r, w = os.pipe()
    channel = Channel(r, -1)
    os.close(w)
    try:
        t0 = time.monotonic()
        with pytest.raises(ChannelClosed):
            channel.receive(time.monotonic() + 5)
        assert time.monotonic() - t0 < 2
    finally:
        os.close(r)


def test_receive_reports_a_writer_closing_mid_message():
    r, w = os.pipe()
    channel = Channel(r, -1)
    send_raw(w, forge(GOOD, b"\0" * 20))
    os.close(w)
    try:
        with pytest.raises(ChannelClosed):
            channel.receive(time.monotonic() + 5)
    finally:
        os.close(r)


def test_receive_reports_a_writer_closing_later_from_another_thread():
    r, w = os.pipe()
    channel = Channel(r, -1)
    timer = threading.Timer(0.2, os.close, args=(w,))
    timer.start()
    try:
        with pytest.raises(ChannelClosed):
            channel.receive(time.monotonic() + 5)
    finally:
        timer.join()
        os.close(r)


def test_receive_without_deadline_blocks_until_data():
    r, w = os.pipe()
    channel = Channel(r, w)
    timer = threading.Timer(0.2, channel.send, args=({"late": 1},))
    timer.start()
    try:
        assert channel.receive(None) == {"late": 1}
    finally:
        timer.join()
        channel.close()


def test_close_is_idempotent():
    r, w = os.pipe()
    channel = Channel(r, w)
    channel.close()
    channel.close()


# --------------------------------------------------------------------------------------------- no pickle


def test_protocol_module_never_imports_pickle():
    source = Path(protocol.__file__).read_text()
    tree = ast.parse(source)
    forbidden = {"pickle", "cPickle", "_pickle", "marshal", "shelve", "dill", "cloudpickle"}
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "__import__":
            imported |= {a.value for a in node.args if isinstance(a, ast.Constant)}
    assert not imported & forbidden
    assert imported <= {"__future__", "json", "os", "select", "struct", "time", "dataclasses", "typing", "numpy",
                        "math", "fcntl"}
    # numpy's own pickle paths are not used either
    assert "allow_pickle" not in source and "np.load(" not in source and ".loads(" not in source.replace(
        "json.loads(", "")


def test_decode_never_allows_pickle_via_numpy(monkeypatch):
    """Even an object array slipping through would need numpy's pickle; decode must refuse first."""
    called = []
    monkeypatch.setattr(np, "load", lambda *a, **k: called.append(a))
    with pytest.raises(ProtocolError):
        decode({"__nd__": 0, "dtype": "|O", "shape": [1], "nbytes": 8}, [b"\0" * 8])
    assert called == []


def test_closing_a_channel_twice_leaves_reused_fd_numbers_alone():
    r, w = os.pipe()
    channel = Channel(r, w)
    channel.close()
    r2, w2 = os.pipe()  # very likely the same numbers again
    try:
        channel.close()
        os.fstat(r2)
        os.fstat(w2)
    finally:
        os.close(r2)
        os.close(w2)
