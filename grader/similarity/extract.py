"""The student-written part of each function of a submission: the function's statements minus those the
starter code (the skeleton students were given) holds.

Functions are named as checks name their targets, by their path below the package
(``rnn_layers.rnn_step_forward``, ``classifiers.rnn.CaptioningRNN.loss``); a nested function is part of the
one that holds it. The starter's statements are found by matching the function's statements, normalised,
against those of the skeleton's function of the same name, so reformatting, renaming or moving a provided
line (``next_h, cache = None, None``) does not turn it into the student's own. A function the
skeleton does not have (a helper the student added) is all the student's.
"""
from __future__ import annotations

import ast
from collections import Counter
from dataclasses import dataclass
from typing import Iterator

from grader.similarity.normalise import Statement, Token, Tokenizer, flatten, stream


@dataclass(frozen=True)
class Function:
    """One function of one file: its normalised student-written tokens, and where it sits in the file."""

    name: str
    """``rnn_layers.rnn_step_forward``."""
    file: str
    """The student file, relative to the package (``rnn_layers.py``)."""
    tokens: tuple[Token, ...]
    """Student-written tokens in canonical order, each with its line in ``file``."""
    lines: tuple[int, int]
    """The function's first and last line in ``file``."""
    written: tuple[int, ...]
    """The lines of the statements the student wrote (not the starter's)."""


def functions(tree: ast.AST, prefix: str = "") -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    """Top-level functions and methods (of classes at any depth outside functions) with qualified names."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield prefix + node.name, node
        elif isinstance(node, ast.ClassDef):
            yield from functions(node, prefix + node.name + ".")
        elif not isinstance(node, (ast.expr, ast.expr_context)):
            yield from functions(node, prefix)


def module_name(file: str) -> str:
    """``classifiers/rnn.py`` -> ``classifiers.rnn``."""
    return file[:-3].replace("/", ".") if file.endswith(".py") else file.replace("/", ".")


def parse(source: str | bytes) -> ast.Module | None:
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError):
        return None


def statements(fn: ast.FunctionDef | ast.AsyncFunctionDef, helpers: set[str]) -> list[Statement]:
    return Tokenizer(helpers).function(fn)


def mark_starter(student: list[Statement], starter: list[Statement]) -> None:
    """Mark the student's statements that are the starter's: each statement of the starter's function
    claims one student statement with the same normalised tokens, wherever it stands (a copier who moves
    provided lines does not turn them into written ones)."""
    given = Counter(s.key for s in flatten(starter))
    for stmt in flatten(student):
        if given[stmt.key] > 0:
            given[stmt.key] -= 1
            stmt.starter = True


@dataclass(frozen=True)
class StarterFile:
    """A starter file, parsed once: its top-level names and each function's statements."""

    names: frozenset[str]
    functions: dict[str, list[Statement]]
    texts: dict[str, str]
    """Each function's source text: a student's function with the same text is left out unread."""

    @classmethod
    def parse(cls, source: str | bytes, file: str) -> "StarterFile | None":
        tree = parse(source)
        if tree is None:
            return None
        names = frozenset(n.name for n in tree.body
                          if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)))
        module = module_name(file)
        lines = _text(source).splitlines()
        found = list(functions(tree))
        return cls(names, {"%s.%s" % (module, name): statements(fn, set()) for name, fn in found},
                   {"%s.%s" % (module, name): _source(lines, fn) for name, fn in found})

    def streams(self) -> list[list[Token]]:
        """Every function, all of its statements, as token streams (the boilerplate's)."""
        return [stream(body, keep_starter=True) for body in self.functions.values()]


def _text(source: str | bytes) -> str:
    return source.decode("utf-8", errors="replace") if isinstance(source, bytes) else source


def _source(lines: list[str], fn: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    return "\n".join(lines[fn.lineno - 1: fn.end_lineno])


def student_functions(tree: ast.Module, lines: list[str], starter: StarterFile | None, file: str) -> list[Function]:
    """The functions of a parsed student file (``lines``: its text) with their student-written tokens; those
    left exactly as the starter has them are not listed."""
    module = module_name(file)
    helpers: set[str] = set()  # the student's own top-level definitions: renaming them hides nothing
    if starter is not None:
        helpers = {n.name for n in tree.body
                   if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))} - starter.names
    out = []
    for name, fn in functions(tree):
        qualified = "%s.%s" % (module, name)
        if starter is not None and starter.texts.get(qualified) == _source(lines, fn):
            continue
        mine = statements(fn, helpers)
        if starter is not None and qualified in starter.functions:
            mark_starter(mine, starter.functions[qualified])
        written = sorted({line for stmt in flatten(mine) if not stmt.starter
                          for line in range(stmt.lines[0], stmt.lines[1] + 1)})
        out.append(Function(qualified, file, tuple(stream(mine)),
                            (min([fn.lineno] + [d.lineno for d in fn.decorator_list]), fn.end_lineno or fn.lineno),
                            tuple(written)))
    return out
