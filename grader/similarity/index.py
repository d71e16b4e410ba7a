"""Every pair's score at once, from an inverted index of the fingerprints.

Per function, the index maps each fingerprint to the documents holding it (a sparse documents × fingerprints
matrix, i.e. postings lists); one sparse product per function gives every pair's shared weight, so no Python
loop runs over pairs.

**Weights.** A fingerprint held by ``df`` of the class's ``N`` submissions weighs
``log((N + 2) / (df + 1)) / log((N + 2) / 3)``, and ``WEIGHT_FLOOR`` at least: 1 when only the two
submissions of a pair hold it, 0.42 when a tenth of a class of 700 does, 0.2 from a third on
(document-frequency weighting: "everyone writes this" code is weak evidence). Corpus entries do not count in
``df``.

**A function's similarity** is the weighted Jaccard index of the two fingerprint sets,
``shared weight / weight of the union``.

**A pair's score** is the larger of

* the *overall* similarity: the same ratio over all their functions together (every function weighs as
  much as its fingerprints do, so the long functions count most), and
* the strongest single function: its similarity times ``FUNCTION_CAP``,

each times ``min(1, shared weight / FULL_WEIGHT)``. Evidence needs mass: a short function cannot raise a
pair much on its own (a one-line answer has a few fingerprints, most of them common, so two submissions
that hold nothing but the same one-liner stay low), no single function can make a pair outrank a copy of
the whole assignment, and a long function copied whole flags the pair.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from grader.similarity.documents import Document

WEIGHT_FLOOR = 0.2
"""The least a fingerprint weighs, however common: submissions that all copied one solution still look alike
(with no floor, 50 copies of one file differing in one function each score by their differences alone)."""
FULL_WEIGHT = 30.0
"""Shared weight (about 30 fingerprints held by the pair alone: some 80 normalised tokens, 5-6 lines) at
which a single function counts fully. The reference's ``lstm_step_backward`` has 37 fingerprints,
``rnn_step_forward`` 5."""
FUNCTION_CAP = 0.8
"""What the strongest single function can raise a pair's score to, at most."""


@dataclass(frozen=True)
class Scores:
    """Every pair's scores (square matrices over the documents; only pairs with a class member count)."""

    functions: list[str]
    score: np.ndarray
    overall: np.ndarray
    strongest: np.ndarray
    """The index in ``functions`` of each pair's strongest function (-1: none shared)."""
    weights: dict[str, tuple[np.ndarray, np.ndarray]]
    """Per function, its fingerprints (sorted) and their weights (for the details of the pairs listed)."""

    def weight_of(self, name: str, hashes: np.ndarray) -> float:
        known, w = self.weights[name]
        return float(w[np.searchsorted(known, hashes)].sum())


def weight(df: np.ndarray, n: int) -> np.ndarray:
    n = max(n, 2)  # a class of one (with known solutions) weighs as one of two: log(3 / 3) would divide by 0
    return np.maximum(WEIGHT_FLOOR, np.log((n + 2) / (df + 1.0)) / np.log((n + 2) / 3.0))


def score_all(docs: list[Document]) -> Scores:
    """Score every pair of ``docs`` (the class first, then corpus entries)."""
    n = len(docs)
    in_class = np.array([not d.corpus for d in docs])
    n_class = int(in_class.sum())
    names = sorted({name for d in docs for name in d.fingerprints})
    shared_total = np.zeros((n, n))
    union_total = np.zeros((n, n))
    evidence = np.zeros((n, n))
    strongest = np.full((n, n), -1, dtype=np.int64)
    strongest_shared = np.zeros((n, n))
    weights: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for f, name in enumerate(names):
        rows = [(i, d.fingerprints[name].hashes) for i, d in enumerate(docs) if name in d.fingerprints]
        owners = np.concatenate([np.full(len(h), i, dtype=np.int64) for i, h in rows])
        hashes, column = np.unique(np.concatenate([h for _, h in rows]), return_inverse=True)
        postings = sparse.csr_matrix((np.ones(len(owners)), (owners, column)), shape=(n, len(hashes)))
        df = np.asarray(postings[in_class].sum(axis=0)).ravel()
        w = weight(df, n_class)
        weights[name] = (hashes, w)
        weighted = postings.multiply(w[None, :]).tocsr()
        shared = (weighted @ postings.T).toarray()
        mass = np.asarray(weighted.sum(axis=1)).ravel()
        union = mass[:, None] + mass[None, :] - shared
        shared_total += shared
        union_total += union
        with np.errstate(invalid="ignore", divide="ignore"):
            similarity = np.where(union > 0, shared / np.where(union > 0, union, 1), 0.0)
        strength = similarity * np.minimum(1.0, shared / FULL_WEIGHT) * FUNCTION_CAP
        better = (strength > evidence) | ((strength == evidence) & (shared > strongest_shared))
        evidence = np.where(better, strength, evidence)
        strongest = np.where(better, f, strongest)
        strongest_shared = np.where(better, shared, strongest_shared)
    with np.errstate(invalid="ignore", divide="ignore"):
        overall = np.where(union_total > 0, shared_total / np.where(union_total > 0, union_total, 1), 0.0)
    score = np.clip(np.maximum(overall * np.minimum(1.0, shared_total / FULL_WEIGHT), evidence), 0.0, 1.0)
    return Scores(names, score, overall, strongest, weights)


def candidate_pairs(docs: list[Document]) -> tuple[np.ndarray, np.ndarray]:
    """The pairs to rank: two class members (i < j), or a class member and a corpus entry."""
    corpus = np.array([d.corpus for d in docs], dtype=bool)
    i, j = np.triu_indices(len(docs), k=1)
    keep = ~(corpus[i] & corpus[j])
    i, j = i[keep], j[keep]
    swap = corpus[i]  # the class member first
    return np.where(swap, j, i), np.where(swap, i, j)
