"""A submission (or a corpus entry) as the similarity search sees it: per function, the student-written
tokens and their fingerprints, with the starter's fingerprints taken out as boilerplate."""
from __future__ import annotations

import pickle
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from grader.similarity.extract import Function, StarterFile, parse, student_functions
from grader.similarity.fingerprint import Fingerprints, fingerprint, kgrams
from grader.submission import Submission

_NONE = np.zeros(0, dtype=np.int64)


@dataclass(frozen=True)
class Starter:
    """The starter code of each student file, parsed, and its k-grams (boilerplate)."""

    files: dict[str, StarterFile]
    boilerplate: dict[str, np.ndarray]

    @classmethod
    def load(cls, folders: tuple[Path, ...], package: str, student_files: tuple[str, ...]) -> "Starter":
        """Each student file from the first of ``folders`` holding ``<package>/<file>``."""
        files, boilerplate = {}, {}
        for file in student_files:
            path = next((f / package / file for f in folders if (f / package / file).is_file()), None)
            parsed = StarterFile.parse(path.read_bytes(), file) if path is not None else None
            if parsed is None:
                continue
            files[file] = parsed
            grams = [kgrams(tokens) for tokens in parsed.streams()]
            boilerplate[file] = np.unique(np.concatenate(grams)) if grams else _NONE
        return cls(files, boilerplate)


@dataclass
class Document:
    """One submission or corpus entry."""

    id: str
    corpus: bool
    functions: dict[str, Function] = field(default_factory=dict)
    fingerprints: dict[str, Fingerprints] = field(default_factory=dict)
    sources: dict[str, list[str]] = field(default_factory=dict)
    """Each file's lines (for the side-by-side view)."""
    problems: list[str] = field(default_factory=list)
    """Files that could not be compared, and why."""


def document(submission: Submission, starter: Starter, student_files: tuple[str, ...],
             corpus: bool = False) -> Document:
    doc = Document(submission.id, corpus)
    for file in student_files:
        data = submission.files.get(file)
        if data is None:
            continue
        text = data.decode("utf-8", errors="replace")
        lines = text.splitlines()
        try:
            tree = parse(text)
            if tree is None:
                doc.problems.append("%s does not parse as Python: not compared" % file)
                continue
            found = [(fn, fingerprint(fn.tokens, starter.boilerplate.get(file, _NONE)))
                     for fn in student_functions(tree, lines, starter.files.get(file), file)]
        except (RecursionError, MemoryError):
            doc.problems.append("%s is nested too deeply to compare: not compared" % file)
            continue
        doc.sources[file] = lines
        for fn, prints in found:
            if len(prints.hashes):
                doc.functions[fn.name] = fn
                doc.fingerprints[fn.name] = prints
    return doc




SERVE = "from grader.similarity.documents import serve; serve()"
PARALLEL_FROM = 150
"""Submissions from which fingerprinting is shared with helper processes (fewer: starting one costs more)."""


def documents(submissions: list[Submission], starter: Starter, student_files: tuple[str, ...], corpus: bool = False,
              workers: int = 1) -> list[Document]:
    """``document`` of each submission, in the order given: here, and in ``workers - 1`` helper processes
    when there are enough submissions to pay for starting them. A helper is ``python -I -c`` running this
    module (not multiprocessing: a spawned child would re-run the caller's main script), fed by pickle over
    its pipes: both ends are the grader's own code, and no student code runs in either (it is only parsed)."""
    workers = min(workers, len(submissions) // (PARALLEL_FROM // 2) or 1)
    if workers < 2 or len(submissions) < PARALLEL_FROM:
        return [document(s, starter, student_files, corpus) for s in submissions]
    size = -(-len(submissions) // workers)
    chunks = [submissions[k: k + size] for k in range(0, len(submissions), size)]
    helpers = []
    for chunk in chunks[1:]:
        helper = subprocess.Popen([sys.executable, "-I", "-c", SERVE], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        files_only = [Submission(s.id, s.path, s.files) for s in chunk]  # no notebooks: they can be large
        threading.Thread(target=_feed, args=(helper, pickle.dumps((files_only, starter, student_files, corpus))),
                         daemon=True).start()
        helpers.append(helper)
    out = [document(s, starter, student_files, corpus) for s in chunks[0]]
    for helper, chunk in zip(helpers, chunks[1:]):
        try:
            part = pickle.load(helper.stdout)
        except (EOFError, pickle.UnpicklingError):
            part = [document(s, starter, student_files, corpus) for s in chunk]  # the helper failed: here then
        helper.wait()
        out += part
    return out


def _feed(helper: subprocess.Popen, data: bytes) -> None:
    try:
        helper.stdin.write(data)
        helper.stdin.close()
    except OSError:  # the helper is gone: its chunk is done here
        pass


def serve() -> None:
    """A helper process of ``documents``: a pickled chunk in on stdin, its documents out on stdout."""
    submissions, starter, student_files, corpus = pickle.load(sys.stdin.buffer)
    pickle.dump([document(s, starter, student_files, corpus) for s in submissions], sys.stdout.buffer)
    sys.stdout.flush()
