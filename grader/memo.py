"""The reference's answers, memoised across a batch.

Hidden inputs depend only on the run's seed and the check id, so the reference is asked the same questions for
every submission. Each check's reference requests form a chain that starts with the check's ``seed``
request; an answer is kept under the hash of its whole chain (the check, and every request since the seed,
its own included), so it is reused only where everything asked before it in that check was asked alike: the
worker would be in the same state and answer the same. Objects kept in the worker (handles) are numbered
within the chain, so that a request naming "the chain's first model" matches whatever id the worker gave it.

The first request of a check that the memo cannot answer (one carrying values the student's code produced,
or one never asked before) makes the check live: the requests answered from the memo are first sent to the
worker in order, so that its state is exactly what it would have been, then the rest of the check runs
live, each answer kept for the next submissions. A replayed request whose answer differs from the one the
memo gave means the reference depends on something outside the chain: the check's memo is dropped for the
rest of the batch and the check runs again, live (``Diverged``).
"""
from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field
from typing import Any, Callable

from grader.worker.client import Executor
from grader.worker.protocol import Handle, Unsupported, decode, encode

MEMO_BYTES = 512 * 2**20
"""The most answer bytes kept for one batch; past it, new answers are no longer kept (old ones still serve)."""


class Diverged(Exception):
    """A replayed request got another answer than the memo gave: the check must run again, live."""


class ReferenceMemo:
    """Answers by chain key, shared by every grading thread of a batch (thread-safe)."""

    def __init__(self, limit_bytes: int = MEMO_BYTES):
        self._answers: dict[str, tuple[bytes, list[bytes]]] = {}
        self._poisoned: set[str] = set()
        self._lock = threading.Lock()
        self.limit_bytes = limit_bytes
        self.bytes = 0
        self.hits = self.misses = self.replayed = 0
        self._derived: dict[str, Any] = {}
        self._computing: dict[str, threading.Lock] = {}

    def get(self, key: str) -> Any:
        with self._lock:
            stored = self._answers.get(key)
            if stored is None:
                self.misses += 1
                return _MISSING
            self.hits += 1
        header, buffers = stored
        return decode(json.loads(header), [bytearray(b) for b in buffers], owned=True)

    def put(self, key: str, value: Any) -> None:
        header, buffers = encode(value)
        size = len(header) + sum(len(b) for b in buffers)
        with self._lock:
            if key not in self._answers and self.bytes + size <= self.limit_bytes:
                self._answers[key] = (header, [bytes(b) for b in buffers])
                self.bytes += size

    def derived(self, key: str, compute: Callable[[], Any]) -> Any:
        """A value a check computes from the reference's answers alone (``key`` names everything it depends
        on: the check, its seed, what it is), computed by the batch's first submission and reused after (a
        reference training run judged in the grader's process, say). A ``compute`` that raises keeps nothing.
        Computed once even when several grading threads ask at once: the others wait for it (the first
        submissions of ``--jobs 2`` would otherwise both run the reference's training)."""
        with self._lock:
            if key in self._derived:
                self.hits += 1
                return self._derived[key]
            computing = self._computing.setdefault(key, threading.Lock())
        with computing:
            with self._lock:
                if key in self._derived:
                    self.hits += 1
                    return self._derived[key]
            value = compute()
            with self._lock:
                return self._derived.setdefault(key, value)

    def poison(self, check_id: str) -> None:
        with self._lock:
            self._poisoned.add(check_id)

    def poisoned(self, check_id: str) -> bool:
        with self._lock:
            return check_id in self._poisoned


_MISSING = object()


@dataclass
class _Chain:
    """One check's requests since its seed."""

    check: str
    key: str
    live: bool = False
    broken: bool = False
    """Nothing more is kept (a request named an object from outside the chain, or the worker failed)."""
    pending: list[tuple[Any, Any]] = field(default_factory=list)
    """(request, answer) pairs answered from the memo and not yet sent to the worker; handles are the chain's."""
    to_real: dict[int, int] = field(default_factory=dict)
    """The chain's handle numbers (negative) -> the worker's handle ids."""
    to_chain: dict[int, int] = field(default_factory=dict)
    numbers: set[int] = field(default_factory=set)
    """Every handle number the chain has given out, from the memo or the worker."""


class MemoizingExecutor(Executor):
    """A live reference executor that answers from a ``ReferenceMemo`` where it can (see the module's text)."""

    def __init__(self, *args: Any, memo: ReferenceMemo, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.memo = memo
        self.chain: _Chain | None = None

    def request(self, message: dict) -> Any:
        if message.get("op") == "seed":
            self.chain = None
            if not self.memo.poisoned(self.current_check):
                self.chain = _Chain(self.current_check, _digest("", [self.current_check, message]))
        chain = self.chain
        if chain is None or chain.check != self.current_check:
            return super().request(message)
        mine = _in_chain(message, chain)
        key = _digest(chain.key, mine) if mine is not None else None
        if not chain.live and key is not None:
            value = self.memo.get(key)
            if value is not _MISSING:
                chain.pending.append((mine, value))
                chain.key = key
                _map_handles(value, lambda h: h, chain.numbers.add)
                return value
        if not chain.live:
            self._replay(chain)
        try:
            value = super().request(_real(mine, chain) if mine is not None else message)
        except Exception:
            chain.broken = True
            raise
        if key is None or chain.broken:
            chain.broken = True
            return value
        chain.key = key
        kept = _map_handles(value, lambda h: Handle(_number(chain, h.id), h.type))
        if not _has(kept, Unsupported):
            self.memo.put(key, kept)
        return value

    def _replay(self, chain: _Chain) -> None:
        """Send what the memo answered to the worker, in order, checking that it answers alike."""
        chain.live = True
        for request, remembered in chain.pending:
            try:
                answer = super().request(_real(request, chain))
            except Exception:
                chain.broken = True
                raise
            self.memo.replayed += 1
            if not _pair(remembered, answer, chain):
                self.memo.poison(chain.check)
                self.chain = None
                raise Diverged("the reference answered check %s differently when replayed" % chain.check)
        chain.pending.clear()


def _digest(previous: str, message: Any) -> str:
    header, buffers = encode(message)
    digest = hashlib.sha256(previous.encode() + b"\0" + header)
    for b in buffers:
        digest.update(b)
    return digest.hexdigest()


def _in_chain(message: dict, chain: _Chain) -> dict | None:
    """``message`` with the worker's handle ids replaced by the chain's numbers; None if it names an object the
    chain did not get (nothing about it can be memoised)."""
    unknown = []

    def number(handle: Handle) -> Handle:
        if handle.id in chain.numbers or handle.id in chain.to_chain:
            return Handle(handle.id if handle.id < 0 else chain.to_chain[handle.id], handle.type)
        unknown.append(handle)
        return handle

    mine = _map_handles(message, number)
    if message.get("op") == "free":
        ids = [i if i in chain.numbers else chain.to_chain.get(i) for i in message.get("handles", [])]
        if None in ids:
            return None
        mine["handles"] = ids
    return None if unknown else mine


def _real(message: dict, chain: _Chain) -> dict:
    """A chain's request as the worker must get it: the chain's handle numbers replaced by the worker's ids."""
    real = _map_handles(message, lambda h: Handle(chain.to_real[h.id], h.type) if h.id < 0 else h)
    if message.get("op") == "free":
        real["handles"] = [chain.to_real[i] if i < 0 else i for i in message.get("handles", [])]
    return real


def _number(chain: _Chain, real_id: int) -> int:
    """The chain's number for a handle the worker gave (a new one the first time)."""
    if real_id not in chain.to_chain:
        number = -(len(chain.to_real) + 1)
        chain.to_chain[real_id], chain.to_real[number] = number, real_id
        chain.numbers.add(number)
    return chain.to_chain[real_id]


def _pair(remembered: Any, answer: Any, chain: _Chain) -> bool:
    """Whether the worker's ``answer`` is the memo's, handles aside; learns which handle is which."""
    pairs: list[tuple[int, int]] = []
    same = _encoded(_map_handles(remembered, lambda h: Handle(0, h.type), pairs.append)) == _encoded(
        _map_handles(answer, lambda h: Handle(0, h.type), pairs.append))
    if not same:
        return False
    half = len(pairs) // 2
    for number, real in zip(pairs[:half], pairs[half:]):
        chain.to_real[number], chain.to_chain[real] = real, number
    return True


def _encoded(value: Any) -> tuple[bytes, list[bytes]]:
    header, buffers = encode(value)
    return header, [bytes(b) for b in buffers]


def _map_handles(value: Any, change: Callable[[Handle], Any], seen: Callable[[int], None] | None = None) -> Any:
    """``value`` with every handle replaced by ``change(handle)`` (``seen(handle.id)`` called on each, in order)."""
    if isinstance(value, Handle):
        if seen is not None:
            seen(value.id)
        return change(value)
    if type(value) is dict:
        return {k: _map_handles(v, change, seen) for k, v in value.items()}
    if type(value) is list:
        return [_map_handles(v, change, seen) for v in value]
    if type(value) is tuple:
        return tuple(_map_handles(v, change, seen) for v in value)
    return value


def _has(value: Any, kind: type) -> bool:
    if isinstance(value, kind):
        return True
    if type(value) is dict:
        return any(_has(v, kind) for v in value.values())
    if type(value) in (list, tuple):
        return any(_has(v, kind) for v in value)
    return False
