"""What the search found, as ``similarity.json`` holds it (schema ``grader.similarity/1``, see
``docs/similarity.md``): the pairs ranked by score, each with the functions they share and the matching
lines on either side, the groups of submissions that flagged pairs join, and the class's score histogram."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from grader.similarity.documents import Document
from grader.similarity.fingerprint import matched_lines
from grader.similarity.index import FULL_WEIGHT, FUNCTION_CAP, Scores, candidate_pairs

SCHEMA = "grader.similarity/1"
HISTOGRAM_BINS = 20
MAX_PAIRS = 1000
"""Pairs listed at most (flagged ones first): a class that copied one source has thousands of flagged
pairs, which its ``groups`` sum up."""
MATCHING = 0.25
"""A function is listed as matching from this similarity on (and the pair's strongest always)."""


def ranges(lines: list[int]) -> list[list[int]]:
    """``[3, 4, 5, 9]`` -> ``[[3, 5], [9, 9]]``."""
    out: list[list[int]] = []
    for line in lines:
        if out and line == out[-1][1] + 1:
            out[-1][1] = line
        else:
            out.append([line, line])
    return out


def function_match(a: Document, b: Document, name: str, scores: Scores) -> dict[str, Any] | None:
    """What two documents share in one function, or None if nothing."""
    fa, fb = a.fingerprints.get(name), b.fingerprints.get(name)
    if fa is None or fb is None:
        return None
    shared = np.intersect1d(fa.hashes, fb.hashes, assume_unique=True)
    if not len(shared):
        return None
    shared_w = scores.weight_of(name, shared)
    union_w = scores.weight_of(name, fa.hashes) + scores.weight_of(name, fb.hashes) - shared_w
    similarity = shared_w / union_w if union_w > 0 else 0.0
    side = lambda doc, prints: {  # noqa: E731
        "file": doc.functions[name].file, "span": list(doc.functions[name].lines),
        "written": ranges(list(doc.functions[name].written)), "lines": ranges(matched_lines(prints, shared))}
    return {"function": name, "similarity": round(similarity, 4), "shared_fingerprints": int(len(shared)),
            "shared_weight": round(shared_w, 2),
            "evidence": round(similarity * min(1.0, shared_w / FULL_WEIGHT) * FUNCTION_CAP, 4),
            "a": side(a, fa), "b": side(b, fb)}


@dataclass
class Found:
    """The outcome of a search, ready to be written."""

    threshold: float
    pairs: list[dict[str, Any]]
    groups: list[list[str]]
    histogram: list[int]
    compared: int
    flagged: int
    submissions: int
    corpus: list[str]
    problems: dict[str, list[str]] = field(default_factory=dict)
    no_starter: list[str] = field(default_factory=list)
    """Student files without starter code: all of their code counts as written."""

    def as_json(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "threshold": self.threshold, "submissions": self.submissions,
                "corpus": self.corpus, "files_without_starter": self.no_starter,
                "pairs_compared": self.compared, "pairs_flagged": self.flagged, "pairs_listed": len(self.pairs),
                "histogram": {"bins": HISTOGRAM_BINS, "counts": self.histogram}, "groups": self.groups,
                "problems": self.problems, "pairs": self.pairs}

    def json_text(self) -> str:
        """The JSON document, one pair a line (readable, and small enough for thousands of pairs)."""
        head = ",\n".join(" %s: %s" % (json.dumps(k), json.dumps(v)) for k, v in self.as_json().items()
                           if k != "pairs")
        pairs = ",\n".join("  " + json.dumps(p, separators=(",", ":")) for p in self.pairs)
        return "{\n%s,\n \"pairs\": [\n%s\n ]\n}\n" % (head, pairs)


def collect(docs: list[Document], scores: Scores, threshold: float, top: int) -> Found:
    """The flagged pairs, then the highest others up to ``top`` pairs in all, with their details."""
    i, j = candidate_pairs(docs)
    score, overall = scores.score[i, j], scores.overall[i, j]
    ids = np.array([d.id for d in docs], dtype=object)
    order = np.lexsort((ids[j].astype(str), ids[i].astype(str), -overall, -score))
    flagged = int((score >= threshold).sum())
    chosen = order[: min(MAX_PAIRS, max(flagged, top))]
    chosen = [k for k in chosen.tolist() if score[k] > 0]
    pairs = []
    for k in chosen:
        a, b = docs[i[k]], docs[j[k]]
        strongest = scores.strongest[i[k], j[k]]
        strongest = scores.functions[strongest] if strongest >= 0 else None
        shared = [name for name in scores.functions if name in a.fingerprints and name in b.fingerprints]
        matches = [m for m in (function_match(a, b, name, scores) for name in shared)
                   if m and (m["similarity"] >= MATCHING or m["function"] == strongest)]
        matches.sort(key=lambda m: (-m["evidence"], -m["shared_weight"], m["function"]))
        pairs.append({"a": a.id, "b": b.id, "kind": "corpus" if b.corpus else "submission",
                      "score": round(float(score[k]), 4), "flagged": bool(score[k] >= threshold),
                      "overall": round(float(overall[k]), 4), "strongest": strongest, "functions": matches})
    in_class = np.array([not d.corpus for d in docs])
    both = in_class[i] & in_class[j]
    counts, _ = np.histogram(score[both], bins=HISTOGRAM_BINS, range=(0.0, 1.0))
    return Found(threshold, pairs, groups(docs, i[both], j[both], score[both] >= threshold),
                 counts.astype(int).tolist(), int(len(score)), flagged,
                 int(in_class.sum()), [d.id for d in docs if d.corpus],
                 {d.id: d.problems for d in docs if d.problems})


def groups(docs: list[Document], i: np.ndarray, j: np.ndarray, flagged: np.ndarray) -> list[list[str]]:
    """Submissions joined by flagged pairs (connected components of two or more), largest first."""
    n = len(docs)
    graph = coo_matrix((np.ones(int(flagged.sum())), (i[flagged], j[flagged])), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    members: dict[int, list[str]] = {}
    for k, doc in enumerate(docs):
        if not doc.corpus:
            members.setdefault(int(label[k]), []).append(doc.id)
    return sorted((sorted(m) for m in members.values() if len(m) > 1), key=lambda m: (-len(m), m))
