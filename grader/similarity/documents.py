"""A submission (or a corpus entry) as the similarity search sees it: per function, the student-written
tokens and their fingerprints, with the starter's fingerprints taken out as boilerplate."""
from __future__ import annotations

import hashlib
import pickle
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path


from grader.similarity.extract import Function, StarterFile, parse, student_functions
from grader.similarity.fingerprint import Fingerprints, fingerprint, kgrams
from grader.submission import Submission



@dataclass(frozen=True)
class Starter:
    """The starter code of each student file, parsed, and its k-grams (boilerplate)."""

    files: dict[str, StarterFile]
    boilerplate: dict[str, frozenset[int]]
    sources: dict[str, bytes]

    @classmethod
    def load(cls, folders: tuple[Path, ...], package: str, student_files: tuple[str, ...]) -> "Starter":
        """Each student file from the first of ``folders`` holding ``<package>/<file>``."""
        files, boilerplate, sources = {}, {}, {}
        for file in student_files:
            path = next((f / package / file for f in folders if (f / package / file).is_file()), None)
            source = path.read_bytes() if path is not None else b""
            parsed = StarterFile.parse(source, file) if path is not None else None
            if parsed is None:
                continue
            files[file], sources[file] = parsed, source
            boilerplate[file] = frozenset(h for tokens in parsed.streams() for h in kgrams(tokens).tolist())
        return cls(files, boilerplate, sources)


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


Compared = tuple[list[str], list[tuple[Function, Fingerprints]]] | str
"""A file as compared: its lines and its functions' fingerprints, or why it could not be."""


def compare_file(data: bytes, file: str, starter: Starter) -> Compared:
    text = data.decode("utf-8", errors="replace")
    lines = text.splitlines()
    if data == starter.sources.get(file):
        return lines, []  # untouched: nothing to parse
    try:
        tree = parse(text)
        if tree is None:
            return "%s does not parse as Python: not compared" % file
        return lines, [(fn, fingerprint(fn.tokens, starter.boilerplate.get(file, frozenset())))
                       for fn in student_functions(tree, lines, starter.files.get(file), file)]
    except (RecursionError, MemoryError):
        return "%s is nested too deeply to compare: not compared" % file


def document(submission: Submission, starter: Starter, student_files: tuple[str, ...],
             corpus: bool = False, seen: dict[tuple[str, str], Compared] | None = None) -> Document:
    """``seen``: files already compared, by content (a class's identical copies are read once)."""
    doc = Document(submission.id, corpus)
    seen = {} if seen is None else seen
    for file in student_files:
        data = submission.files.get(file)
        if data is None:
            continue
        key = (file, hashlib.sha256(data).hexdigest())
        if key not in seen:
            seen[key] = compare_file(data, file, starter)
        compared = seen[key]
        if isinstance(compared, str):
            doc.problems.append(compared)
            continue
        doc.sources[file] = compared[0]
        for fn, prints in compared[1]:
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
    seen: dict[tuple[str, str], Compared] = {}
    if workers < 2 or len(submissions) < PARALLEL_FROM:
        return [document(s, starter, student_files, corpus, seen) for s in submissions]
    size = -(-len(submissions) // workers)
    chunks = [submissions[k: k + size] for k in range(0, len(submissions), size)]
    helpers = []
    for chunk in chunks[1:]:
        helper = subprocess.Popen([sys.executable, "-I", "-c", SERVE], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        files_only = [Submission(s.id, s.path, s.files) for s in chunk]  # no notebooks: they can be large
        threading.Thread(target=_feed, args=(helper, pickle.dumps((files_only, starter, student_files, corpus))),
                         daemon=True).start()
        helpers.append(helper)
    out = [document(s, starter, student_files, corpus, seen) for s in chunks[0]]
    for helper, chunk in zip(helpers, chunks[1:]):
        try:
            part = pickle.load(helper.stdout)
        except (EOFError, pickle.UnpicklingError):
            part = [document(s, starter, student_files, corpus, seen) for s in chunk]  # the helper failed: here
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
    seen: dict[tuple[str, str], Compared] = {}
    pickle.dump([document(s, starter, student_files, corpus, seen) for s in submissions], sys.stdout.buffer)
    sys.stdout.flush()
