"""Tracks: a notebook a student may do in one framework or another, of which one counts.

An exercise may name its ``track`` (``tensorflow``, ``pytorch``) and the exercise it is the ``twin`` of (the
same notebook on another track); the one it names is the group's primary. For each group:

* the twins whose student files the submission filled in (``implemented``) are graded, and reported; where it
  filled in none, the primary alone is graded, so that the report says what is missing;
* of the graded twins exactly one counts towards the score, by the run's policy (``--track-policy``):
  ``best`` (the default: the higher score; on a tie, the primary), or a track's name (that track's twin where
  it was graded, else the other).

So the assignment's total is the same whichever track a student took, and a student who did both keeps the
better score. Everything here is decided from the student's files and the results: a report rebuilt from the
gradebook counts the same twin.
"""
from __future__ import annotations

import ast
import re
from typing import Iterable

from grader.assignment import Assignment
from grader.checks import Exercise
from grader.missing import seeds_only
from grader.model import ExerciseSummary
from grader.submission import Submission

BEST = "best"
DEFAULT_POLICY = BEST

START = re.compile(r"#\s*\*+\s*START OF YOUR CODE")
END = re.compile(r"#\s*\*+\s*END OF YOUR CODE")
"""The course's markers around each piece of a student's work (``# *****START OF YOUR CODE (DO NOT ...``)."""


def groups(exercises: Iterable[Exercise]) -> list[list[Exercise]]:
    """The exercises by twin group, in declaration order, each group's primary first."""
    exercises = list(exercises)
    ids = {ex.id for ex in exercises}
    out: dict[str, list[Exercise]] = {}
    for ex in exercises:
        primary = ex.twin if ex.twin in ids else ex.id
        out.setdefault(primary, [])
        if ex.id == primary:
            out[primary].insert(0, ex)
        else:
            out[primary].append(ex)
    return list(out.values())


def tracks(exercises: Iterable[Exercise]) -> list[str]:
    """Every track the exercises name, in order."""
    return list(dict.fromkeys(ex.track for ex in exercises if ex.track))


def policies(exercises: Iterable[Exercise]) -> list[str]:
    """The values ``--track-policy`` accepts for these exercises."""
    return [BEST, *tracks(exercises)]


# ------------------------------------------------------------------------------------------ what is graded


def implemented(source: bytes, functions: Iterable[str] = ()) -> bool:
    """Whether a student file holds the student's own work rather than the blank starter.

    With the course's START/END markers: some marked piece holds a statement other than ``pass``. Without
    them: one of ``functions`` (names in the module, ``Class.method`` for a method; every function when none
    is given) does more than a stub does (a docstring, ``pass``, ``x = None``, ``model = Sequential()``,
    ``return x`` or ``return a, b``, ``raise NotImplementedError``, seeding a generator when a seed is given). A file that does not parse is work in
    progress, graded so that its report says why it fails."""
    text = source.decode("utf-8", errors="replace")
    marked = False
    inside = False
    for line in text.splitlines():
        if START.search(line):
            marked = inside = True
        elif END.search(line):
            inside = False
        elif inside:
            code = line.strip()
            if code and not code.startswith("#") and code != "pass":
                return True
    if marked:
        return False
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return True
    wanted = set(functions)
    return any(not _stub(node) for name, node in _definitions(tree) if not wanted or name in wanted)


def _definitions(tree: ast.Module) -> list[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    """The module's functions and its classes' methods, by name (``Class.method``)."""
    out = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out.append((node.name, node))
        elif isinstance(node, ast.ClassDef):
            out += [("%s.%s" % (node.name, f.name), f) for f in node.body
                    if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))]
    return out


def _stub(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return all(_stub_statement(s) for s in function.body)


def _placeholder(node: ast.expr | None) -> bool:
    """``None``, a name, a constant, a tuple of those, or an empty container made by a call without
    arguments (``tf.keras.models.Sequential()``): what a starter returns or assigns before the TODO."""
    if node is None or isinstance(node, (ast.Name, ast.Constant)):
        return True
    if isinstance(node, (ast.Tuple, ast.List)):
        return all(_placeholder(e) for e in node.elts)
    return isinstance(node, ast.Call) and not node.args and not node.keywords


def _stub_statement(node: ast.stmt) -> bool:
    if isinstance(node, ast.Pass) or (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):
        return True
    if isinstance(node, ast.Return):
        return _placeholder(node.value)
    if isinstance(node, ast.Assign):
        return _placeholder(node.value)
    if isinstance(node, ast.Raise):
        exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
        return isinstance(exc, ast.Name) and exc.id == "NotImplementedError"
    return seeds_only(node)  # `if seed is not None: tf.random.set_seed(seed)`


def attempted(exercise: Exercise, submission: Submission, assignment: Assignment) -> bool:
    """Whether the submission filled in any student file the exercise's checks import (judged on the
    functions the exercise grades)."""
    modules = sorted({m for c in exercise.checks for m in c.modules})
    targets = {t.partition("[")[0] for c in exercise.checks for t in c.targets}
    for module in modules:
        path = assignment.module_file(module)
        functions = [t[len(module) + 1:] for t in targets if t.startswith(module + ".")]
        if path in submission.files and implemented(submission.files[path], functions):
            return True
    return False


def graded(exercises: list[Exercise], submission: Submission, assignment: Assignment,
           asked: set[str] | None = None) -> list[Exercise]:
    """The exercises to grade for ``submission``: every exercise without a twin; of each group of twins the
    attempted ones, or the primary where none is. ``exercises`` are the whole definitions (what a student did
    is judged on every function an exercise grades); ``asked`` the ids of those a selection (``--only``, a
    notebook's ``check("...")``) keeps: a twin asked for alone is graded whatever the files hold."""
    keep: set[str] = set()
    for group in groups(exercises):
        members = [ex for ex in group if asked is None or ex.id in asked]
        if len(members) <= 1:
            keep.update(ex.id for ex in members)
            continue
        done = [ex.id for ex in members if attempted(ex, submission, assignment)]
        keep.update(done or [members[0].id])
    return [ex for ex in exercises if ex.id in keep]


# ------------------------------------------------------------------------------------------ what counts


def summaries(exercises: list[Exercise], scores: dict[str, tuple[float, float]], policy: str = DEFAULT_POLICY
              ) -> list[ExerciseSummary]:
    """One summary per exercise that has results (``scores``: id -> (score, max_score)), in ``exercises``'
    order, with its track, its twin and whether it counts."""
    by_id = {ex.id: ex for ex in exercises}
    counted: set[str] = set()
    twin_of: dict[str, str] = {}
    for group in groups(exercises):
        present = [ex for ex in group if ex.id in scores]
        if present:
            counted.add(choose(present, scores, policy).id)
        for ex in present:
            others = [o.id for o in present if o is not ex]
            twin_of[ex.id] = others[0] if others else ""
    return [ExerciseSummary(ex_id, by_id[ex_id].title, round(score, 4), round(max_score, 4),
                            track=by_id[ex_id].track, counted=ex_id in counted, twin=twin_of.get(ex_id, ""))
            for ex_id, (score, max_score) in ((e.id, scores[e.id]) for e in exercises if e.id in scores)]


def choose(present: list[Exercise], scores: dict[str, tuple[float, float]], policy: str) -> Exercise:
    """The twin that counts among those graded (in group order, primary first)."""
    preferred = [ex for ex in present if ex.track == policy]
    if preferred:
        return preferred[0]
    best = max(scores[ex.id][0] for ex in present)
    return next(ex for ex in present if scores[ex.id][0] == best)


def describe(summary: ExerciseSummary, summaries_by_id: dict[str, ExerciseSummary]) -> str:
    """A sentence on a twin's standing: which track counts and why (empty for an exercise without a twin)."""
    if not summary.twin or summary.twin not in summaries_by_id:
        return ""
    other = summaries_by_id[summary.twin]
    if summary.counted:
        return "counts: %s track (the %s track, also done, scored %g of %g)" % (
            summary.track, other.track, other.score, other.max_score)
    return "not counted: the %s track of this notebook counts (%g of %g)" % (other.track, other.score,
                                                                            other.max_score)
