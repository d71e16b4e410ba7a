"""What a worker's code prints, per request: the first ``cap`` bytes kept, the rest counted and dropped.

``sys.stdout`` and ``sys.stderr`` (prints, warnings, Python logging) write into one scratch file up to the
cap; beyond it their writes succeed without writing, so printing never fails the code that prints (the
worker's file-size limit would otherwise make ``print`` raise). File descriptor 1 (what subprocesses and C
code write) goes to the same file; descriptor 2 goes to ``/dev/null``: it carries TensorFlow's C++ log
lines (``failed call to cuInit``, timestamped absl lines), never something the student printed.
"""
from __future__ import annotations

import io
import os
import sys
import tempfile

_bytes, _len, _max, _memoryview = bytes, len, max, memoryview
"""Bound before student code runs: code that replaces the builtins (``builtins.len = ...``) must not make the
streams loop forever (a raw write that reports 0 bytes is retried) or lose what was printed before."""


class Capture:
    def __init__(self, cap: int):
        self.cap = cap
        self.file = tempfile.TemporaryFile(prefix="grader-stdout-")
        self.fd = self.file.fileno()
        self.kept = 0
        self.dropped = 0

    def install(self) -> None:
        """Redirect descriptors 1 and 2 and replace ``sys.stdout``/``sys.stderr`` (before any student code)."""
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(self.fd, 1)
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 2)
        os.close(null)
        sys.stdout = sys.__stdout__ = self._stream()
        sys.stderr = sys.__stderr__ = self._stream()

    def _stream(self) -> io.TextIOWrapper:
        return io.TextIOWrapper(io.BufferedWriter(_CappedWriter(self)), encoding="utf-8", errors="backslashreplace",
                                line_buffering=True)

    def write(self, data: bytes) -> None:
        room = self.cap - self.kept
        if room > 0:
            kept = data[:room]
            os.write(self.fd, kept)  # a short write only happens when the file-size limit is hit: then drop
            self.kept += _len(kept)
            data = data[room:]
        self.dropped += _len(data)

    def reset(self) -> None:
        _flush()
        os.lseek(self.fd, 0, os.SEEK_SET)
        os.ftruncate(self.fd, 0)
        self.kept = self.dropped = 0

    def read(self) -> str:
        """What was printed since ``reset``: at most ``cap`` bytes, then a line saying how much was cut."""
        _flush()
        size = os.lseek(self.fd, 0, os.SEEK_END)
        os.lseek(self.fd, 0, os.SEEK_SET)
        text = os.read(self.fd, min(size, self.cap)).decode("utf-8", "replace")
        cut = _max(0, size - self.cap) + self.dropped
        if cut:
            text += "\n[... %d more bytes of output cut ...]" % cut
        return text


class _CappedWriter(io.RawIOBase):
    def __init__(self, capture: Capture):
        self.capture = capture

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:
        size = _memoryview(data).nbytes
        try:
            self.capture.write(_bytes(data))
        except OSError:
            pass  # the file-size limit (some other writer filled the file): what is printed is dropped
        return size

    def fileno(self) -> int:
        return self.capture.fd


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001 - student code may have replaced or closed them
            pass
