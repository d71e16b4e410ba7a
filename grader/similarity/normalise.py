"""A function's code as a stream of normalised tokens, statement by statement, each token with its line.

The stream is the function's syntax tree in pre-order, so formatting, parentheses, comments and docstrings
are gone before anything is compared. Beyond that, what a copier changes without changing the code is
normalised away:

* local names (parameters, anything assigned, loop and ``with`` targets, imports and nested definitions in
  the function) become ``V``;
  helper functions the student added to the file become ``F``; names from outside (``np``, ``tf``,
  ``range``, the assignment's own functions) and attributes (``.dot``, ``.shape``) stay, since renaming
  them changes what the code does;
* numbers become ``N`` and strings ``S``;
* ``a @ b``, ``a.dot(b)``, ``np.dot(a, b)``, ``np.matmul(a, b)`` and ``tf.matmul(a, b)`` are one matrix
  product; ``a.sum(...)`` is ``np.sum(a, ...)`` (and the other numpy reductions); ``a.T`` is
  ``np.transpose(a)``; ``tf.math.f`` is ``tf.f``; ``a += b`` is ``a = a + b``;
* ``pass`` and bare expression statements that are constants (docstrings, strings used as comments) drop
  out;
* the statements of every block are put in a canonical order (sorted by their tokens), so reordering
  independent lines does not change the stream.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field

Token = tuple[str, int]
"""A normalised token and the source line it comes from."""

MATMUL_FUNCTIONS = {("np", "dot"), ("np", "matmul"), ("numpy", "dot"), ("numpy", "matmul"), ("tf", "matmul")}
NUMPY_METHODS = {"sum", "mean", "max", "min", "argmax", "argmin", "std", "var", "prod", "cumsum", "reshape",
                 "transpose", "clip", "squeeze", "ravel", "flatten"}
"""Methods of an array that are also numpy functions taking the array first."""
MODULES = {"np", "numpy", "tf", "tensorflow"}


@dataclass
class Statement:
    """A statement of a function: its own tokens (a compound statement's header only) and its blocks."""

    key: tuple[str, ...]
    """The tokens without lines: what the starter's statements are matched on."""
    tokens: list[Token]
    blocks: list[list["Statement"]] = field(default_factory=list)
    lines: tuple[int, int] = (0, 0)
    """The source lines the statement spans (a compound one: its header)."""
    starter: bool = False
    """The statement is the starter code's (set by matching against the skeleton)."""


NAME = "\0"
"""Marks a name token until the function's bound names are known (``Tokenizer.function``)."""


class Tokenizer:
    """Turns the statements of one function into ``Statement`` trees of normalised tokens."""

    def __init__(self, helpers: set[str] | frozenset[str] = frozenset()):
        self.helpers = helpers
        self.bound: set[str] = set()
        """The names the function binds, collected on the way: parameters, assigned, imported, defined."""

    def function(self, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[Statement]:
        """A function's statements, its local names as ``V`` and the student's helpers as ``F``."""
        self.bound = {a.arg for a in (*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs,
                                      *filter(None, (fn.args.vararg, fn.args.kwarg)))}
        body = self.block(fn.body)
        for stmt in flatten(body):
            tokens = [(self._name(t[1:]) if t[:1] == NAME else t, line) for t, line in stmt.tokens]
            stmt.tokens, stmt.key = tokens, tuple(t for t, _ in tokens)
        return body

    def _name(self, name: str) -> str:
        return "V" if name in self.bound else "F" if name in self.helpers else name

    # -------------------------------------------------------------------------------------- statements

    def block(self, statements: list[ast.stmt]) -> list[Statement]:
        out = []
        for stmt in statements:
            if isinstance(stmt, ast.Pass) or (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)):
                continue
            out.append(self.statement(stmt))
        return out

    def statement(self, stmt: ast.stmt) -> Statement:
        header: list[Token] = []
        blocks: list[list[ast.stmt]] = []
        kind = type(stmt).__name__
        line = stmt.lineno
        if isinstance(stmt, ast.AugAssign):  # a += b  ->  a = a + b
            header = [("Assign", line), *self.expr(stmt.target), (type(stmt.op).__name__, line),
                      *self.expr(stmt.target), *self.expr(stmt.value)]
        elif isinstance(stmt, (ast.For, ast.AsyncFor)):
            header = [("For", line), *self.expr(stmt.target), *self.expr(stmt.iter)]
            blocks = [stmt.body, stmt.orelse]
        elif isinstance(stmt, (ast.While, ast.If)):
            header = [(kind, line), *self.expr(stmt.test)]
            blocks = [stmt.body, stmt.orelse]
        elif isinstance(stmt, (ast.With, ast.AsyncWith)):
            header = [("With", line)]
            for item in stmt.items:
                header += self.expr(item.context_expr)
                if item.optional_vars is not None:
                    header += self.expr(item.optional_vars)
            blocks = [stmt.body]
        elif isinstance(stmt, ast.Try) or type(stmt).__name__ == "TryStar":
            header = [("Try", line)]
            blocks = [stmt.body] + [h.body for h in stmt.handlers] + [stmt.orelse, stmt.finalbody]
            for handler in stmt.handlers:
                header += [("except", handler.lineno)] + (self.expr(handler.type) if handler.type else [])
                if handler.name:
                    self.bound.add(handler.name)
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            header = [(kind, line)]
            self.bound.add(stmt.name)
            if not isinstance(stmt, ast.ClassDef):
                header += [self.expr(a)[0] for a in (*stmt.args.posonlyargs, *stmt.args.args, *stmt.args.kwonlyargs)]
            blocks = [stmt.body]
        elif isinstance(stmt, (ast.Global, ast.Nonlocal)):
            self.bound.update(stmt.names)
            header = [(kind, line)]
        else:
            header = self.expr(stmt)
        body_start = min((b[0].lineno for b in blocks if b), default=None)
        end = (body_start - 1) if body_start is not None else (stmt.end_lineno or line)
        return Statement(tuple(t for t, _ in header), header, [self.block(b) for b in blocks if b],
                         (line, max(line, end)))

    # -------------------------------------------------------------------------------------- expressions

    def expr(self, node: ast.AST, at: int = 0) -> list[Token]:
        """``node``'s tokens; ``at``: the line of the nearest node above that has one (operators do not)."""
        line = getattr(node, "lineno", None) or at
        if isinstance(node, ast.Name):
            if not isinstance(node.ctx, ast.Load):
                self.bound.add(node.id)
            return [(NAME + node.id, line)]
        if isinstance(node, ast.alias):
            self.bound.add((node.asname or node.name).partition(".")[0])
            return [("import", line), (node.name, line)]
        if isinstance(node, ast.arg):
            self.bound.add(node.arg)
            return [("V", line)]
        if isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, bool) or value is None or value is Ellipsis:
                return [(repr(value), line)]
            return [("S" if isinstance(value, (str, bytes)) else "N", line)]
        if isinstance(node, ast.Attribute):
            if node.attr == "T":
                return [("Call", line), ("np", line), (".transpose", line), *self.expr(node.value)]
            if isinstance(node.value, ast.Attribute) and node.value.attr == "math" and _module(node.value.value):
                return [*self.expr(node.value.value), ("." + node.attr, line)]
            return [*self.expr(node.value), ("." + node.attr, line)]
        if isinstance(node, ast.BinOp):
            return [(type(node.op).__name__, line), *self.expr(node.left), *self.expr(node.right)]
        if isinstance(node, ast.Call):
            return self.call(node)
        out: list[Token] = [(type(node).__name__, line)]
        for name, value in ast.iter_fields(node):
            if isinstance(value, ast.expr_context):
                continue
            if isinstance(value, ast.AST):
                out += self.expr(value, line)
            elif isinstance(value, list):
                for item in value:
                    if isinstance(item, ast.AST):
                        out += self.expr(item, line)
            elif isinstance(value, str) and name in ("attr", "name", "module"):
                out.append((value, line))
        return out

    def call(self, node: ast.Call) -> list[Token]:
        line = node.lineno
        func = node.func
        plain = not node.keywords and not any(isinstance(a, ast.Starred) for a in node.args)
        if isinstance(func, ast.Attribute):
            if plain and len(node.args) == 2 and _module(func.value) and (func.value.id, func.attr) in MATMUL_FUNCTIONS:
                return [("MatMult", line), *self.expr(node.args[0]), *self.expr(node.args[1])]
            if not _module(func.value):
                if plain and func.attr == "dot" and len(node.args) == 1:
                    return [("MatMult", line), *self.expr(func.value), *self.expr(node.args[0])]
                if func.attr in NUMPY_METHODS:
                    return [("Call", line), ("np", line), ("." + func.attr, line), *self.expr(func.value),
                            *self.arguments(node)]
        return [("Call", line), *self.expr(func), *self.arguments(node)]

    def arguments(self, node: ast.Call) -> list[Token]:
        out: list[Token] = []
        for arg in node.args:
            out += self.expr(arg)
        for keyword in node.keywords:
            out += [("%s=" % (keyword.arg or "**"), keyword.value.lineno), *self.expr(keyword.value)]
        return out


def _module(node: ast.AST) -> bool:
    return isinstance(node, ast.Name) and node.id in MODULES


def stream(statements: list[Statement], keep_starter: bool = False) -> list[Token]:
    """The tokens of a block in canonical order: each statement's own tokens (unless it is starter code)
    followed by its blocks' streams, the statements sorted by their tokens."""
    entries = []
    for stmt in statements:
        tokens = list(stmt.tokens) if keep_starter or not stmt.starter else []
        for block in stmt.blocks:
            inner = stream(block, keep_starter)
            if inner:
                tokens += [("{", tokens[-1][1] if tokens else inner[0][1])] + inner + [("}", inner[-1][1])]
        if tokens:
            entries.append(tokens)
    entries.sort(key=lambda tokens: [t for t, _ in tokens])
    return [token for entry in entries for token in entry]


def flatten(statements: list[Statement]) -> list[Statement]:
    """Every statement of a block and its blocks, in source order."""
    out = []
    for stmt in statements:
        out.append(stmt)
        for block in stmt.blocks:
            out += flatten(block)
    return out
