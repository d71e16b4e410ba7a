"""Finding Python loops in a student's function by parsing its source (nothing is run).

The notebook greps ``for <x> in`` in ``tv_loss``'s source; parsing instead catches ``while`` loops and
comprehensions too, ignores comments and strings, and follows the module's own helper functions that the
function calls (a loop moved into a helper is still a loop).
"""
from __future__ import annotations

import ast

LOOP_NODES = (ast.For, ast.AsyncFor, ast.While, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def find_loops(source: str, function: str) -> list[tuple[int, str]] | None:
    """(line, text) of every loop in the module-level ``function`` and the module-level functions it calls,
    directly or not; None when the module defines no such function (the last definition counts, as at run
    time). A module that does not parse has no function."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            functions[node.name] = node
    if function not in functions:
        return None
    lines = source.splitlines()
    found: dict[int, str] = {}
    todo, seen = [function], set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for node in ast.walk(functions[name]):
            if isinstance(node, LOOP_NODES):
                found.setdefault(node.lineno, lines[node.lineno - 1].strip() if node.lineno <= len(lines) else "")
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in functions:
                todo.append(node.func.id)
    return sorted(found.items())
