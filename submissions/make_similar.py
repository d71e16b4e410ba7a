"""Build the samples of the similarity search (``grader similarity``): copies disguised as a copier would,
a submission that copies one function, untouched starters, and a folder of known solutions.

    python submissions/make_similar.py OUT

writes a small class into ``OUT/class/`` and a corpus into ``OUT/corpus/`` (nothing is written into
``submissions/``: these samples are for ``grader similarity``, not for grading):

* ``reference``: the reference solution; ``independent``: a second correct solution, written separately
  (its bodies are ``tests/data/independent_solution.py``, put in the skeleton by ``independent()``);
  ``skeleton``, ``skeleton_2``: two untouched starters;
* ``disguised``: the reference with its local variables renamed, every file reformatted (comments gone,
  others added), independent adjacent statements swapped, ``a.dot(b)`` as ``a @ b``, ``a = a + b`` as
  ``a += b``;
* ``lstm_copier``: the starter with only ``rnn_layers.lstm_step_backward`` filled in, copied from the
  reference;
* ``corpus/public_repo_2020``: the independent solution, disguised: the class's ``independent`` matches it.

``variant(...)`` makes the generated classes of ``bench/similarity.py``.
"""
from __future__ import annotations

import argparse
import ast
import importlib.util
import random
import shutil
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SKELETON = ROOT / "submissions" / "skeleton" / "cs231n"
REFERENCE = ROOT / "reference" / "cs231n"
INDEPENDENT = ROOT / "tests" / "data" / "independent_solution.py"
STUDENT_FILES = ("rnn_layers.py", "classifiers/rnn.py", "net_visualization_tensorflow.py",
                 "style_transfer_tensorflow.py", "gan_tf.py")
WORDS = ("val", "tmp", "acc", "part", "res", "item", "cur", "out", "buf", "arr")


# ------------------------------------------------------------------------------------------ disguising


def _names(node: ast.AST, ctx: type) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ctx)}


def _writes(stmt: ast.stmt) -> set[str]:
    """The names a statement may change: assigned ones, the objects it stores into, and, for a call, every
    name it reads (a call may change what it is given)."""
    out = _names(stmt, ast.Store)
    for node in ast.walk(stmt):
        if isinstance(node, (ast.Subscript, ast.Attribute)) and isinstance(node.ctx, ast.Store):
            out |= _names(node.value, ast.Load)
        if isinstance(node, ast.Call):
            out |= _names(stmt, ast.Load)
    return out


def _swappable(a: ast.stmt, b: ast.stmt) -> bool:
    simple = (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Expr)
    if not (isinstance(a, simple) and isinstance(b, simple)):
        return False
    if any(isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant) for s in (a, b)):
        return False  # a docstring stays first
    wa, wb = _writes(a), _writes(b)
    ra, rb = _names(a, ast.Load), _names(b, ast.Load)
    return not (wa & (rb | wb)) and not (wb & ra)


def _reorder(block: list[ast.stmt], rng: random.Random) -> None:
    i = 0
    while i + 1 < len(block):
        if _swappable(block[i], block[i + 1]) and rng.random() < 0.7:
            block[i], block[i + 1] = block[i + 1], block[i]
            i += 2
        else:
            i += 1
    for stmt in block:
        for field in ("body", "orelse", "finalbody"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
                _reorder(inner, rng)


class _Rewrite(ast.NodeTransformer):
    """Local names renamed; ``a.dot(b)`` written ``a @ b``; ``a = a + b`` written ``a += b``."""

    def __init__(self, mapping: dict[str, str]):
        self.mapping = mapping

    def visit_Name(self, node: ast.Name) -> ast.Name:
        node.id = self.mapping.get(node.id, node.id)
        return node

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "dot" and len(node.args) == 1 and not node.keywords \
                and not (isinstance(func.value, ast.Name) and func.value.id in ("np", "numpy")):
            return ast.BinOp(func.value, ast.MatMult(), node.args[0])
        return node

    def visit_Assign(self, node: ast.Assign) -> ast.AST:
        self.generic_visit(node)
        [target] = node.targets if len(node.targets) == 1 else [None]
        value = node.value
        if isinstance(target, ast.Name) and isinstance(value, ast.BinOp) and isinstance(value.left, ast.Name) \
                and value.left.id == target.id:
            return ast.AugAssign(target, value.op, value.right)
        return node


def disguise(source: str, seed: int = 0) -> str:
    """``source`` as a copier hands it in: local variables renamed, reformatted (comments gone, others
    added), independent adjacent statements swapped, ``a.dot(b)`` as ``a @ b`` and ``a = a + b`` as
    ``a += b``. Parameters and outside names stay: the code still works."""
    rng = random.Random(seed)
    tree = ast.parse(source)
    for fn in [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]:
        params = {a.arg for a in ast.walk(fn.args) if isinstance(a, ast.arg)}
        local = sorted(_names(fn, ast.Store) - params)
        mapping = {name: "%s_%s%d" % (rng.choice(WORDS), name.lower()[:2], i) for i, name in enumerate(local)}
        _Rewrite(mapping).visit(fn)
        _reorder(fn.body, rng)
    lines = []
    for line in ast.unparse(tree).splitlines():
        stripped = line.lstrip()
        if stripped.startswith("def "):
            lines.append(line[: len(line) - len(stripped)] + "# my implementation")
        lines.append(line)
    return "\n".join(lines) + "\n"


def fill_in(skeleton: str, bodies: dict[str, str]) -> str:
    """``skeleton`` with each named function's ``pass`` replaced by its body (indented to match), and the
    skeleton's ``# TODO`` lines dropped, as a student fills the starter in."""
    lines = skeleton.splitlines()
    for node in ast.walk(ast.parse(skeleton)):
        if isinstance(node, ast.FunctionDef) and node.name in bodies:
            [stub] = [n for n in node.body if isinstance(n, ast.Pass)]
            indent = lines[stub.lineno - 1][: stub.col_offset]
            lines[stub.lineno - 1] = textwrap.indent(bodies[node.name].strip("\n"), indent)
    return "\n".join(line for line in "\n".join(lines).splitlines() if "# TODO" not in line) + "\n"


def independent() -> dict[str, str]:
    """The independent solution's files: ``tests/data/independent_solution.py``'s bodies in the skeleton."""
    spec = importlib.util.spec_from_file_location("independent_solution", INDEPENDENT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    skeleton = read(SKELETON)
    return {rel: fill_in(skeleton[rel], {name: body for (file, name), body in module.BODIES.items() if file == rel})
            for rel in STUDENT_FILES}


def transplant(target: str, donor: str, name: str) -> str:
    """``target`` with its top-level function ``name`` replaced by ``donor``'s."""
    def span(source: str) -> tuple[int, int]:
        [fn] = [n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef) and n.name == name]
        return fn.lineno - 1, fn.end_lineno

    t, d = target.splitlines(), donor.splitlines()
    (ts, te), (ds, de) = span(target), span(donor)
    return "\n".join(t[:ts] + d[ds:de] + t[te:]) + "\n"


# ------------------------------------------------------------------------------------------ writing


def write(folder: Path, files: dict[str, str]) -> Path:
    """A submission folder holding ``cs231n/`` with ``files`` (and the package's ``__init__`` files)."""
    package = folder / "cs231n"
    for rel, text in files.items():
        (package / rel).parent.mkdir(parents=True, exist_ok=True)
        (package / rel).write_text(text)
    for init in ("__init__.py", "classifiers/__init__.py"):
        (package / init).parent.mkdir(parents=True, exist_ok=True)
        (package / init).touch()
    return folder


def read(root: Path) -> dict[str, str]:
    return {rel: (root / rel).read_text() for rel in STUDENT_FILES}


def make(out: Path) -> tuple[Path, Path]:
    """The class and the corpus (see the module's docstring); returns their folders."""
    klass, corpus = out / "class", out / "corpus"
    for folder in (klass, corpus):
        if folder.exists():
            shutil.rmtree(folder)
    reference, skeleton, second = read(REFERENCE), read(SKELETON), independent()
    write(klass / "reference", reference)
    write(klass / "independent", second)
    write(klass / "skeleton", skeleton)
    write(klass / "skeleton_2", skeleton)
    write(klass / "disguised", {rel: disguise(text, seed=7) for rel, text in reference.items()})
    write(klass / "lstm_copier", dict(skeleton, **{"rnn_layers.py": transplant(
        skeleton["rnn_layers.py"], reference["rnn_layers.py"], "lstm_step_backward")}))
    write(corpus / "public_repo_2020", {rel: disguise(text, seed=11) for rel, text in second.items()})
    return klass, corpus


def variant(seed: int) -> dict[str, str]:
    """A generated submission: each function the reference's, the independent solution's or the starter's,
    picked at random, then the whole disguised with its own seed (``bench/similarity.py``)."""
    rng = random.Random(seed)
    sources = (read(REFERENCE), independent(), read(SKELETON))
    files = {}
    for rel in STUDENT_FILES:
        text = sources[2][rel]
        names = [n.name for n in ast.parse(text).body if isinstance(n, ast.FunctionDef)]
        if not names:  # classifiers/rnn.py: one class, taken whole
            text = rng.choices(sources, weights=(4, 4, 1))[0][rel]
        for name in names:
            donor = rng.choices(sources, weights=(4, 4, 1))[0][rel]
            text = transplant(text, donor, name)
        files[rel] = disguise(text, seed=seed)
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="where the class/ and corpus/ folders are written")
    args = parser.parse_args(argv)
    klass, corpus = make(args.out)
    print("wrote %s (%d submissions) and %s (%d known solution)" % (
        klass, len(list(klass.iterdir())), corpus, len(list(corpus.iterdir()))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
