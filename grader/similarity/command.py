"""``grader similarity`` and the class step of ``grader grade``: search, then write the staff outputs."""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from grader.assignment import Assignment
from grader.atomic import write_atomic
from grader.similarity.documents import Document, Starter, documents
from grader.similarity import THRESHOLD, TOP
from grader.similarity.index import score_all
from grader.similarity.page import render
from grader.similarity.results import Found, collect
from grader.submission import Submission, UsageError, discover

JSON_FILE = "similarity.json"
PAGE_FILE = "similarity.html"


@dataclass(frozen=True)
class Written:
    found: Found
    json: Path
    page: Path

    def summary(self) -> str:
        corpus = sum(1 for p in self.found.pairs if p["flagged"] and p["kind"] == "corpus")
        return "similarity: %d of %d pair(s) at or above %.2f%s; %s%s" % (
            self.found.flagged, self.found.compared, self.found.threshold,
            " (%d with a known solution)" % corpus if corpus else "", self.page,
            "\nnote: no starter code for %s: all of it counts as the students' own" % ", ".join(
                self.found.no_starter) if self.found.no_starter else "")


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def corpus_entries(folder: Path, assignment: Assignment) -> list[Submission]:
    """The known solutions in ``folder``: each sub-folder or zip is one entry, named by its folder's name."""
    if not folder.is_dir():
        raise UsageError("--corpus %s is not a folder" % folder)
    entries = discover([folder], assignment)
    empty = [e.id for e in entries if not e.files]
    if len(empty) == len(entries):
        raise UsageError("--corpus %s holds no %s file in any entry" % (folder, assignment.package))
    return [e for e in entries if e.files]


def starter_of(assignment: Assignment, folder: Path | None) -> Starter:
    folders = (folder,) if folder is not None else assignment.starters
    if folder is not None and not (folder / assignment.package).is_dir():
        raise UsageError("--starter %s holds no %s/ folder" % (folder, assignment.package))
    if not folders:
        raise UsageError("the starter code students were given is unknown here: give it with --starter DIR (the "
                         "folder holding %s/)" % assignment.package)
    return Starter.load(tuple(folders), assignment.package, assignment.student_files)


def search(submissions: list[Submission], assignment: Assignment, starter: Starter,
           corpus: list[Submission] = (), threshold: float = THRESHOLD, top: int = TOP
           ) -> tuple[Found, list[Document]]:
    """Compare every pair of ``submissions`` and each of them with every corpus entry."""
    files = assignment.student_files
    docs = documents(submissions, starter, files, workers=cores())
    taken = {d.id for d in docs}
    for doc in documents(list(corpus), starter, files, corpus=True, workers=cores()):
        while doc.id in taken:  # a corpus entry named like a submission
            doc.id = "corpus/" + doc.id
        taken.add(doc.id)
        docs.append(doc)
    found = collect(docs, score_all(docs), threshold, top)
    found.no_starter = [f for f in files if f not in starter.files]
    return found, docs


def write(found: Found, docs: list[Document], out: Path, dashboard: bool | None = None) -> Written:
    """Write both files; the page links the class dashboard if ``dashboard`` (default: if it exists)."""
    out.mkdir(parents=True, exist_ok=True)
    page = out / PAGE_FILE
    if dashboard is None:
        dashboard = (out / "index.html").is_file()
    write_atomic(out / JSON_FILE, found.json_text())
    write_atomic(page, render(found, {d.id: d for d in docs}, dashboard=dashboard))
    return Written(found, out / JSON_FILE, page)


def run(submissions: list[Submission], assignment: Assignment, out: Path, corpus: Path | None = None,
        starter: Path | None = None, threshold: float = THRESHOLD, top: int = TOP,
        dashboard: bool | None = None) -> Written:
    """Search and write ``out/similarity.json`` and ``out/similarity.html``."""
    entries = corpus_entries(corpus, assignment) if corpus is not None else []
    found, docs = search(submissions, assignment, starter_of(assignment, starter), entries, threshold, top)
    return write(found, docs, out, dashboard)


def class_step(submissions: list[Submission], assignment: Assignment, out: Path, corpus: list[Submission]) -> None:
    """``grader grade``'s search, before grading (so that the dashboard links its page). No starter code known
    here is a note; any failure a warning: grading goes on."""
    try:
        starter = starter_of(assignment, None)
    except UsageError as exc:
        print("grader: note: no similarity search: %s" % exc, file=sys.stderr)
        return
    try:
        print(write(*search(submissions, assignment, starter, corpus), out, dashboard=True).summary())
    except Exception as exc:  # noqa: BLE001 - whatever happened to the staff's search, the class is graded
        print("grader: warning: the similarity search failed (%s: %s); grading goes on" % (
            type(exc).__name__, exc), file=sys.stderr)
