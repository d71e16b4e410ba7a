"""Public answer bundles: the reference's answers for the public seed, so students can self-check without it.

An instructor runs ``grader bundle --out FILE``: the reference submission is graded against the live
reference at the public seed while every reference request and its answer are recorded. The bundle
holds those answers (keyed by check id and a hash of the exact request), the provided modules' sources
(so that a student's package can be staged without the reference), a version and a checksum. It is an
``.npz`` of byte arrays read with ``allow_pickle=False``: no code, no pickle.

In self-check, ``ReplayExecutor`` stands in for the reference: a request found in the bundle gets the
recorded answer; any other (one that depends on the student's own results, such as the loss of weights the
student's code trained) makes the check ``skipped`` as instructor-only. A check that can judge such results
without the reference knows it runs against a replay (``CheckContext.self_check``) and reads the values it
kept for that while the bundle was made (``CheckContext.record`` / ``recorded``): its records, stored next to
the answers.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

from grader import __version__
from grader.worker.client import Executor, WorkerProblem
from grader.worker.protocol import decode, encode

BUNDLE_SCHEMA = "grader.bundle/2"
"""2: with the checks' records."""

INSTALLED_BUNDLE = Path(__file__).resolve().parent / "answers" / "answers.npz"
"""Where a student distribution of the grader ships its bundle (``grader bundle --out`` this path)."""


class NotInBundle(WorkerProblem):
    """The check asked the reference something the bundle cannot answer: it is instructor-only."""


class BundleError(Exception):
    """An unreadable, tampered or incompatible bundle file."""


def request_key(check_id: str, message: dict) -> str:
    header, buffers = encode(message)
    digest = hashlib.sha256(check_id.encode() + b"\0" + header)
    for b in buffers:
        digest.update(bytes(b))
    return digest.hexdigest()


class _Occurrences:
    """Keys of a check's requests that tell repeats apart: a request sent again after the worker's state changed
    (``set_items`` between two identical ``sample`` calls) gets its own answer. Counting restarts with every run
    of a check, so a check run a second time finds the same keys again."""

    def __init__(self) -> None:
        self.seen: dict[str, int] = {}

    def restart(self) -> None:
        self.seen = {}

    def key(self, check_id: str, message: dict) -> str:
        base = request_key(check_id, message)
        n = self.seen.get(base, 0)
        self.seen[base] = n + 1
        return base if n == 0 else "%s#%d" % (base, n)


class RecordingExecutor(Executor):
    """A live reference executor that remembers every answer it gave, per check."""

    def __init__(self, *args: Any, skip: frozenset[str] = frozenset(), **kwargs: Any):
        """Checks in ``skip`` (instructor-only ones) are not recorded."""
        super().__init__(*args, **kwargs)
        self.skip = skip
        self.answers: dict[str, Any] = {}
        self.records: dict[str, dict[str, Any]] = {}
        """Per check, the values it kept for self-check (``keep``)."""
        self.occurrences = _Occurrences()
        self.paused = False

    def begin_check(self, check_id: str) -> None:
        super().begin_check(check_id)
        self.occurrences.restart()

    def request(self, message: dict) -> Any:
        value = super().request(message)
        if self.current_check not in self.skip and not self.paused:
            self.answers[self.occurrences.key(self.current_check, message)] = value
        return value

    @contextlib.contextmanager
    def unrecorded(self) -> Iterator[None]:
        """Answers given meanwhile are not kept: requests on values the student's code produced, which a replay
        is never asked (the check judges them otherwise there)."""
        self.paused, was = True, self.paused
        try:
            yield
        finally:
            self.paused = was

    def keep(self, name: str, compute: Callable[[], Any]) -> None:
        """Record ``compute()`` under ``name`` for the current check (its requests are not kept as answers)."""
        if self.current_check not in self.skip:
            with self.unrecorded():
                self.records.setdefault(self.current_check, {})[name] = compute()


class ReplayExecutor(Executor):
    """Answers reference requests from a bundle; never starts a process."""

    live = False

    def __init__(self, bundle: "Bundle"):
        super().__init__(Path("."), "the answer bundle", "")
        self.bundle = bundle
        self.occurrences = _Occurrences()

    def begin_check(self, check_id: str) -> None:
        super().begin_check(check_id)
        self.occurrences.restart()

    def request(self, message: dict) -> Any:
        key = self.occurrences.key(self.current_check, message)
        if key not in self.bundle.answers:
            exc = NotInBundle("instructor-only: this check needs the live reference on values your code produced")
            exc.executor = self
            raise exc
        return self.bundle.answer(key)

    def recorded(self, name: str) -> Any:
        """The value the current check kept under ``name`` when the bundle was made."""
        if name not in self.bundle.records.get(self.current_check, {}):
            exc = NotInBundle("instructor-only: the answer bundle holds no %r for this check" % name)
            exc.executor = self
            raise exc
        return self.bundle.record(self.current_check, name)

    def close(self) -> None:
        pass

    def discard(self) -> None:
        pass


@dataclass
class Bundle:
    seed: int
    grader_version: str
    answers: dict[str, tuple[bytes, list[bytes]]] = field(default_factory=dict)
    provided: dict[str, bytes] = field(default_factory=dict)
    """Sources of the provided modules, by path below the package folder."""
    records: dict[str, dict[str, tuple[bytes, list[bytes]]]] = field(default_factory=dict)
    """Per check, the values it recorded for self-check, encoded."""
    sha256: str = ""
    """The bundle's checksum: it names the bundle (a student package's version carries it)."""

    def answer(self, key: str) -> Any:
        return _decoded(self.answers[key])

    def record(self, check_id: str, name: str) -> Any:
        return _decoded(self.records[check_id][name])


def _decoded(stored: tuple[bytes, list[bytes]]) -> Any:
    header, buffers = stored
    return decode(json.loads(header), [bytearray(b) for b in buffers], owned=True)


def _checksum(arrays: dict[str, np.ndarray]) -> str:
    digest = hashlib.sha256()
    for name in sorted(arrays):
        digest.update(name.encode() + b"\0" + arrays[name].tobytes())
    return digest.hexdigest()


def _store(arrays: dict[str, np.ndarray], prefix: str, value: Any) -> int:
    """Put ``value`` encoded into ``arrays`` (``prefix`` its header, ``prefix_k`` its buffers); the buffer count."""
    header, buffers = encode(value)
    arrays[prefix] = np.frombuffer(header, dtype=np.uint8)
    for k, b in enumerate(buffers):
        arrays["%s_%d" % (prefix, k)] = np.frombuffer(bytes(b), dtype=np.uint8)
    return len(buffers)


def _stored(arrays: dict[str, np.ndarray], prefix: str, count: int) -> tuple[bytes, list[bytes]]:
    return arrays[prefix].tobytes(), [arrays["%s_%d" % (prefix, k)].tobytes() for k in range(count)]


def write_bundle(path: Path, seed: int, answers: dict[str, Any], provided: dict[str, bytes],
                 records: dict[str, dict[str, Any]] | None = None) -> None:
    """``records``: per check, the values it kept for self-check."""
    arrays: dict[str, np.ndarray] = {}
    entries = [[key, _store(arrays, "a%d" % i, value)] for i, (key, value) in enumerate(sorted(answers.items()))]
    kept = sorted(((check, name, value) for check, values in (records or {}).items() for name, value in values.items()),
                  key=lambda entry: entry[:2])
    kept_entries = [[check, name, _store(arrays, "r%d" % i, value)] for i, (check, name, value) in enumerate(kept)]
    names = sorted(provided)
    for j, name in enumerate(names):
        arrays["p%d" % j] = np.frombuffer(provided[name], dtype=np.uint8)
    meta = {"schema": BUNDLE_SCHEMA, "grader": __version__, "seed": seed, "answers": entries, "records": kept_entries,
            "provided": names, "sha256": _checksum(arrays)}
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        np.savez_compressed(f, **arrays)


def load_bundle(path: Path) -> Bundle:
    """Read and verify a bundle; ``BundleError`` with a one-line reason if it is not usable."""
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {name: z[name] for name in z.files}
    except (OSError, ValueError, EOFError) as exc:
        raise BundleError("%s is not a readable answer bundle (%s)" % (path, exc)) from None
    try:
        meta = json.loads(arrays.pop("meta").tobytes())
    except (KeyError, ValueError):
        raise BundleError("%s has no readable metadata" % path) from None
    if meta.get("schema") != BUNDLE_SCHEMA:
        raise BundleError("%s has schema %r; this grader reads %s (make it again with `grader bundle`)"
                          % (path, meta.get("schema"), BUNDLE_SCHEMA))
    if meta.get("sha256") != _checksum(arrays):
        raise BundleError("%s failed its checksum (damaged or edited)" % path)
    bundle = Bundle(seed=int(meta["seed"]), grader_version=str(meta["grader"]), sha256=str(meta["sha256"]))
    for i, (key, count) in enumerate(meta["answers"]):
        bundle.answers[key] = _stored(arrays, "a%d" % i, count)
    for i, (check, name, count) in enumerate(meta["records"]):
        bundle.records.setdefault(check, {})[name] = _stored(arrays, "r%d" % i, count)
    for j, name in enumerate(meta["provided"]):
        bundle.provided[name] = arrays["p%d" % j].tobytes()
    return bundle
