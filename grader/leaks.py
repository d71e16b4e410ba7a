"""Finding solution code in what students get: syntax trees compared, not strings.

The functions of the reference's student files that checks grade (methods included) and their private
helpers are the solutions. A solution's body is normalised: docstring dropped, every local name replaced by
its order of first use (``_0``, ``_1``...), attributes, constants and structure kept, so a renamed copy is
still the same body. A file leaks when a function body
in it equals a solution's, or when one of its statements equals a substantial statement of a solution (a
formula inlined in other code). Files that are not Python, and members of an ``.npz`` (the answer bundle
holds the provided modules' sources), are searched when they parse as Python.
"""
from __future__ import annotations

import ast
import copy
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

MIN_BODY_NODES = 5
"""Bodies smaller than this (``pass``, ``return x``) say nothing about a solution."""
MIN_STATEMENT_NODES = 15
"""A single statement this large (a formula) is specific enough to match on its own."""


@dataclass(frozen=True)
class Solutions:
    """Normalised solution bodies and substantial statements, each with the function it comes from."""

    bodies: dict[str, str]
    statements: dict[str, str]


@dataclass(frozen=True)
class Leak:
    file: str
    where: str
    """The function or line in ``file`` that matches."""
    solution: str

    def __str__(self) -> str:
        return "%s: %s holds the reference's %s" % (self.file, self.where, self.solution)


class _Canonical(ast.NodeTransformer):
    """Local names replaced by their order of first appearance."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}

    def rename(self, name: str) -> str:
        return self.names.setdefault(name, "_%d" % len(self.names))

    def visit_Name(self, node: ast.Name) -> ast.AST:
        node.id = self.rename(node.id)
        return node

    def visit_arg(self, node: ast.arg) -> ast.AST:
        node.arg, node.annotation = self.rename(node.arg), None
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        node.name = self.rename(node.name)
        return self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        node.name = self.rename(node.name)
        return self.generic_visit(node)


def body(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.stmt]:
    """A function's statements without its docstring."""
    first = fn.body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        return fn.body[1:]
    return fn.body


def normalise(statements: list[ast.stmt]) -> str:
    """The canonical dump of a statement list."""
    tree = _Canonical().visit(ast.Module(body=copy.deepcopy(statements), type_ignores=[]))
    return ast.dump(tree, annotate_fields=False, include_attributes=False)


def size(statements: list[ast.stmt]) -> int:
    """Nodes in a statement list (contexts not counted)."""
    return sum(1 for s in statements for n in ast.walk(s) if not isinstance(n, ast.expr_context))


def functions(tree: ast.AST, prefix: str = "") -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    """Every function and method with its qualified name (``CaptioningRNN.loss``)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield prefix + node.name, node
            yield from functions(node, prefix + node.name + ".")
        elif isinstance(node, ast.ClassDef):
            yield from functions(node, prefix + node.name + ".")
        else:
            yield from functions(node, prefix)


def _statements(tree: ast.AST) -> Iterator[ast.stmt]:
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt) and not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                               ast.ClassDef)):
            yield node


def solutions(sources: dict[str, str], graded: Iterable[str]) -> Solutions:
    """The solutions in ``sources`` (a student file's path -> the reference's source of it): the functions
    ``graded`` names (``rnn_layers.rnn_forward``, ``classifiers.rnn.CaptioningRNN.loss``) and the files'
    private helpers (``_name``); the provided functions of those files (``sigmoid``) are not solutions."""
    graded = {g.partition("[")[0] for g in graded}
    bodies: dict[str, str] = {}
    statements: dict[str, str] = {}
    for path, source in sorted(sources.items()):
        module = path[:-3].replace("/", ".")
        for name, fn in functions(ast.parse(source)):
            qualified = "%s.%s" % (module, name)
            if qualified not in graded and not any(part.startswith("_") and not part.startswith("__")
                                                   for part in name.split(".")):
                continue
            own = body(fn)
            if size(own) >= MIN_BODY_NODES:
                bodies.setdefault(normalise(own), qualified)
            for stmt in _statements(ast.Module(body=own, type_ignores=[])):
                if size([stmt]) >= MIN_STATEMENT_NODES:
                    statements.setdefault(normalise([stmt]), "%s (line %d)" % (qualified, stmt.lineno))
    return Solutions(bodies, statements)


def scan_source(name: str, source: str, found: Solutions) -> list[Leak]:
    """The solution bodies and statements that ``source`` holds (nothing if it is not Python)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    leaks = []
    for qualname, fn in functions(tree):
        dump = normalise(body(fn))
        if dump in found.bodies:
            leaks.append(Leak(name, "function %s" % qualname, found.bodies[dump]))
    for stmt in _statements(tree):
        if size([stmt]) >= MIN_STATEMENT_NODES:
            dump = normalise([stmt])
            if dump in found.statements:
                leaks.append(Leak(name, "line %d" % stmt.lineno, found.statements[dump]))
    return leaks


def scan_file(name: str, data: bytes, found: Solutions) -> list[Leak]:
    """A file's leaks: its text if it parses as Python, each member if it is an ``.npz``."""
    if name.endswith(".npz"):
        leaks = []
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            for member in z.files:
                leaks += scan_file("%s[%s]" % (name, member), z[member].tobytes(), found)
        return leaks
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return []
    return scan_source(name, text, found)


def scan_wheel(path: Path, found: Solutions) -> list[Leak]:
    """Every file of a wheel (any zip), searched."""
    leaks: list[Leak] = []
    with zipfile.ZipFile(path) as wheel:
        for info in wheel.infolist():
            if not info.is_dir():
                leaks += scan_file(info.filename, wheel.read(info), found)
    return leaks


def reference_solutions(reference: Path, package: str, student_files: Iterable[str], graded: Iterable[str]
                        ) -> Solutions:
    """The solutions of the reference package in ``reference/<package>`` (see ``solutions``)."""
    root = reference / package
    return solutions({f: (root / f).read_text(encoding="utf-8") for f in student_files if (root / f).is_file()},
                     graded)
