"""Functions a submission does not have: not defined, still the skeleton's stub, or raising
``NotImplementedError``.

A missing function is blamed alone for every check that runs it (``grader.localization``): no rerun with
reference functions swapped in is needed to know that ``rnn_forward`` is at fault when it is not there, and a
correct function that the check also calls (say, one that prints a flood or forks a daemon) is not dragged
into the blame by reruns that could not decide.

Read from two sources, both outside the student's worker: the student's files, parsed (a body made only of
``pass``, docstrings, ``x = None`` and ``return`` of those is the skeleton's stub), and the exception a check
got (``AttributeError`` / ``NameError`` naming the function, ``ImportError: cannot import name``, or a
``NotImplementedError`` whose innermost frame is the function).
"""
from __future__ import annotations

import ast
import re
from typing import Iterable

NOT_DEFINED = "is not defined in %s"
STUB = "is still the skeleton's stub (it computes nothing and returns None)"
NOT_IMPLEMENTED = "raises NotImplementedError"


def split_target(function: str) -> tuple[str, list[str]]:
    """``classifiers.rnn.CaptioningRNN.sample[rnn]`` -> (``classifiers.rnn``, [``CaptioningRNN``, ``sample``]),
    by the convention of target names: modules are lower case, classes capitalised."""
    parts = function.partition("[")[0].split(".")
    cut = next((i for i, p in enumerate(parts) if p[:1].isupper()), len(parts) - 1)
    return ".".join(parts[:cut]), parts[cut:]


def stubs(sources: dict[str, str], functions: Iterable[str]) -> dict[str, str]:
    """Each of ``functions`` whose module (``sources``: module -> source text) defines it as a stub, or does
    not define it at all, with the reason in words (``"is not defined in rnn_layers.py"``). A module that does
    not parse says nothing here (its checks already fail as not importable)."""
    found: dict[str, str] = {}
    trees: dict[str, ast.Module | None] = {}
    for function in functions:
        module, path = split_target(function)
        if module not in sources:
            continue
        if module not in trees:
            try:
                trees[module] = ast.parse(sources[module])
            except (SyntaxError, ValueError):
                trees[module] = None
        tree = trees[module]
        if tree is None:
            continue
        node = _find(tree, path)
        if node is _ABSENT:
            found[function] = NOT_DEFINED % (module.replace(".", "/") + ".py")
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and is_stub(node):
            found[function] = STUB
    return found


_ABSENT = object()


def _find(tree: ast.Module, path: list[str]):
    """The definition of ``path`` (a function, or a class then its method) at the module's top level, as the
    last statement binding each name leaves it: ``_ABSENT`` when nothing binds it, None when something other
    than a ``def``/``class`` does (an assignment, an import: not judged here)."""
    body = tree.body
    node = None
    for name in path:
        node = _ABSENT
        for statement in body:
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and statement.name == name:
                node = statement
            elif _binds(statement, name):
                node = None
        if node is None or node is _ABSENT:
            return node
        body = getattr(node, "body", [])
    return node


def _binds(statement: ast.stmt, name: str) -> bool:
    """Whether a top-level statement other than a def binds ``name`` (``f = g``, ``from x import f``, ``*``)."""
    if isinstance(statement, (ast.Import, ast.ImportFrom)):
        return any(alias.name == "*" or (alias.asname or alias.name.split(".")[0]) == name
                   for alias in statement.names)
    if isinstance(statement, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        return any(isinstance(n, ast.Name) and n.id == name for t in targets for n in ast.walk(t))
    if isinstance(statement, (ast.If, ast.Try, ast.With, ast.For, ast.While)):
        return any(_binds(s, name) for s in ast.iter_child_nodes(statement) if isinstance(s, ast.stmt))
    return False


def seeds_only(statement: ast.stmt) -> bool:
    """The provided seeding guard a starter keeps above its TODO: ``if seed is not None:
    tf.random.set_seed(seed)``."""
    return (isinstance(statement, ast.If) and "seed" in ast.unparse(statement.test) and not statement.orelse
            and all(isinstance(s, ast.Expr) and "seed" in ast.unparse(s) for s in statement.body))


def is_stub(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A body that computes nothing: docstrings, ``pass``, ``...``, the starter's seeding guard,
    ``x, y = None, None``, ``return`` of ``None`` or of names bound only to ``None``."""
    nones: set[str] = set()
    for statement in node.body:
        if isinstance(statement, ast.Pass) or seeds_only(statement):
            continue
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
            continue
        if isinstance(statement, ast.Assign) and _all_none(statement.value, set()):
            nones |= {n.id for t in statement.targets for n in ast.walk(t) if isinstance(n, ast.Name)}
            continue
        if isinstance(statement, ast.Return) and (statement.value is None or _all_none(statement.value, nones)):
            continue
        return False
    return True


def _all_none(value: ast.expr, nones: set[str]) -> bool:
    if isinstance(value, ast.Constant):
        return value.value is None
    if isinstance(value, ast.Name):
        return value.id in nones
    if isinstance(value, (ast.Tuple, ast.List)):
        return all(_all_none(v, nones) for v in value.elts)
    return False


ATTRIBUTE = re.compile(r"^(?:AttributeError|NameError): .*?'(\w+)'")
CANNOT_IMPORT = re.compile(r"^ImportError: cannot import name '(\w+)' from '[\w.]*?\.?(\w+(?:\.\w+)*)'")
FRAME = re.compile(r'File "([^"]+)", line \d+, in (\w+)')


def from_exception(exception: str, traceback: str, functions: Iterable[str]) -> dict[str, str]:
    """The functions among ``functions`` that the exception a check got (``"Type: message"``, with the
    student's ``traceback``) shows to be missing."""
    functions = list(functions)
    by_name: dict[str, list[str]] = {}
    for f in functions:
        by_name.setdefault(split_target(f)[1][-1], []).append(f)
    found: dict[str, str] = {}
    match = ATTRIBUTE.match(exception)
    if match and len(by_name.get(match.group(1), [])) == 1:
        [function] = by_name[match.group(1)]
        found[function] = NOT_DEFINED % (split_target(function)[0].replace(".", "/") + ".py")
    match = CANNOT_IMPORT.match(exception)
    if match:
        for function in by_name.get(match.group(1), []):
            found[function] = NOT_DEFINED % (split_target(function)[0].replace(".", "/") + ".py")
    if exception.startswith("NotImplementedError"):
        frames = FRAME.findall(traceback or "")
        if frames:
            _, innermost = frames[-1]
            if len(by_name.get(innermost, [])) == 1:
                found[by_name[innermost][0]] = NOT_IMPLEMENTED
    return found
