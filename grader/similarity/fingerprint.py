"""Winnowed fingerprints of a token stream, by copydetect (robust winnowing, as MOSS does it).

copydetect's document fingerprinting is used as it is (``get_document_fingerprints``: k-gram hashes and
winnowing; ``get_copied_slices``: the matched stretches), on a document of our own: the function's
normalised tokens as a tuple of integer ids. A k-gram is then a tuple of ints, whose ``hash`` does not
depend on the process (a string's does: copydetect's own tokens would select other fingerprints in every
run), so fingerprints, scores and their order are the same from run to run.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
from copydetect.utils import get_copied_slices, get_document_fingerprints, hashed_kgrams

from grader.similarity.normalise import Token

K = 9
"""Tokens per k-gram: a match shorter than this is noise (about half a line of normalised code)."""
WINDOW = 4
"""Winnowing window: every match of at least K + WINDOW - 1 tokens shares a fingerprint."""

_EMPTY = np.zeros(0, dtype=np.int64)


@dataclass(frozen=True)
class Fingerprints:
    hashes: np.ndarray
    """The distinct fingerprints, sorted (int64)."""
    at: tuple[tuple[int, int], ...]
    """Every fingerprint selected (repeats included) with its token position in the stream."""
    lines: tuple[int, ...]
    """The source line of every token of the stream."""


NONE = Fingerprints(_EMPTY, (), ())


def document(tokens: tuple[Token, ...] | list[Token]) -> tuple[int, ...]:
    """The stream as copydetect's document: one stable integer per token."""
    return tuple(zlib.crc32(t.encode("utf-8")) for t, _ in tokens)


def kgrams(tokens: tuple[Token, ...] | list[Token]) -> np.ndarray:
    """Every k-gram hash of a stream (not winnowed): the starter's, as boilerplate."""
    doc = document(tokens)
    return np.asarray(hashed_kgrams(doc, K), dtype=np.int64) if len(doc) >= K else _EMPTY


def fingerprint(tokens: tuple[Token, ...], boilerplate: frozenset[int] = frozenset()) -> Fingerprints:
    """The winnowed fingerprints of a stream, less those of the boilerplate."""
    doc = document(tokens)
    if len(doc) < K:
        return NONE
    # Boilerplate is taken out here, not by copydetect: its intersect1d assumes the winnowed hashes are
    # distinct, and a fingerprint a function holds twice would then go as boilerplate.
    _, where = get_document_fingerprints(doc, K, WINDOW)
    hashes = np.array(sorted(h for h in map(int, where) if h not in boilerplate), dtype=np.int64)
    if not len(hashes):
        return NONE
    at = tuple((int(h), int(i)) for h in hashes.tolist() for i in where[h])
    return Fingerprints(hashes, at, tuple(line for _, line in tokens))


def matched_lines(fingerprints: Fingerprints, shared: np.ndarray) -> list[int]:
    """The source lines of the tokens that the ``shared`` fingerprints cover (copydetect's copied slices)."""
    wanted = set(shared.tolist())
    idx = [i for h, i in fingerprints.at if h in wanted]
    if not idx:
        return []
    starts, ends = get_copied_slices(np.array(idx), K)
    lines = fingerprints.lines
    return sorted({line for s, e in zip(starts.tolist(), ends.tolist()) for line in lines[int(s): int(e)]})
