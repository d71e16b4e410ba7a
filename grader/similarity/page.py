"""``similarity.html``: the staff page of similar submissions, static and script-free like the reports.

The top pairs in a table, then each pair with its matching functions side by side: both functions' lines,
the matching ones marked, the starter's lines dimmed.
"""
from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import jinja2

from grader import __version__
from grader.similarity.documents import Document
from grader.similarity.results import Found

PAGE_PAIRS = 50
"""Pairs shown in full on the page (all are in ``similarity.json``)."""
PAGE_FUNCTIONS = 12
"""Functions shown per pair, the strongest first."""
FOLD_CONTEXT = 1
"""Starter lines kept above a function's first written line (the rest above it, docstring included, fold)."""

_env = jinja2.Environment(loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"), autoescape=True,
                          trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
_env.filters["log_scale"] = lambda count, peak: math.log1p(count) / math.log1p(peak) if peak else 0.0


def _side(doc: Document, side: dict[str, Any]) -> list[dict[str, Any]]:
    """The function's lines as the view shows them: number, text, and whether it matches, is the student's
    or is starter code; the starter's lines between the ``def`` line and the student's first are folded
    into one row (``kind`` ``gap``), so that the two sides start with the code being compared."""
    lines = doc.sources.get(side["file"], [])
    hit = {n for a, b in side["lines"] for n in range(a, b + 1)}
    written = {n for a, b in side["written"] for n in range(a, b + 1)}
    first, last = side["span"]
    start = max(first + 1, min(hit | written, default=first + 1) - FOLD_CONTEXT)
    row = lambda n: {"n": n, "text": lines[n - 1] if n - 1 < len(lines) else "",  # noqa: E731
                     "kind": "hit" if n in hit else ("own" if n in written else "given")}
    rows = [row(first)]
    if start > first + 2:
        rows.append({"n": "", "text": "⋯ lines %d–%d: starter code" % (first + 1, start - 1), "kind": "gap"})
    else:
        start = first + 1
    return rows + [row(n) for n in range(start, last + 1)]


def render(found: Found, docs: dict[str, Document], dashboard: bool) -> str:
    pairs = []
    for rank, pair in enumerate(found.pairs[:PAGE_PAIRS], 1):
        functions = [dict(match, a_view=_side(docs[pair["a"]], match["a"]), b_view=_side(docs[pair["b"]], match["b"]))
                     for match in pair["functions"][:PAGE_FUNCTIONS]]
        pairs.append(dict(pair, rank=rank, shown=functions, hidden=len(pair["functions"]) - len(functions)))
    peak = max(found.histogram) if found.histogram else 0
    return _env.get_template("similarity.html.j2").render(
        found=found, pairs=pairs, more=max(0, len(found.pairs) - len(pairs)), peak=peak,
        version=__version__, generated=time.strftime("%Y-%m-%d %H:%M"), dashboard=dashboard)
