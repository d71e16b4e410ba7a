"""The commands of the written part: ``grader review``, ``grader scores import|export``, ``grader roster
import``. Each works on the gradebook of ``grader grade DIR`` and rewrites the class outputs from it when it
changed something, with no regrade."""
from __future__ import annotations

import argparse
import getpass
import os
from pathlib import Path

from grader.assignment import Assignment
from grader.config import GradingConfig
from grader.gradebook.outputs import class_grades, write_outputs
from grader.gradebook.reports import report_document
from grader.gradebook.store import Gradebook
from grader.session import collect_exercises
from grader.submission import UsageError
from grader.written.course import course_path, load_course
from grader.written.roster import read_roster
from grader.written.scores import export_canvas, export_scores, import_scores
from grader.written.store import HandGrades


def add_commands(sub: argparse._SubParsersAction) -> None:
    """The parsers of ``review``, ``scores`` and ``roster``."""
    review = sub.add_parser("review", help="grade the written answers in a browser (a local web app for staff)",
                            description="Serve the hand-grading pages of the class in DIR (graded by `grader "
                                        "grade DIR`): one question at a time, answers grouped, rubric clicks saved "
                                        "to the gradebook at once. Prints the URL with its access token.")
    review.add_argument("out", type=Path, metavar="DIR", help="the folder `grader grade --out` wrote")
    review.add_argument("--host", default="127.0.0.1",
                        help="the address to listen on (default %(default)s: this machine only; 0.0.0.0 on a "
                             "shared server, behind its firewall)")
    review.add_argument("--port", type=int, default=8231, metavar="N",
                        help="the port (default %(default)s; 0 picks a free one)")
    review.add_argument("--token", metavar="TOKEN", help="the access token (default: a random one; also "
                                                         "$GRADER_REVIEW_TOKEN)")
    scores = sub.add_parser("scores", help="import or export the written answers' grades (CSV), or the final "
                                           "grades for Canvas",
                            description="Import hand grades from FILE.csv (all or nothing; the outputs are "
                                        "rewritten at once) or export them, or the final grades in Canvas's "
                                        "gradebook format (--format canvas).")
    scores.add_argument("action", choices=("import", "export"))
    scores.add_argument("file", type=Path, metavar="FILE.csv")
    scores.add_argument("--format", choices=("grader", "canvas"), default="grader",
                        help="export: the grades of every written question (grader, the default) or one final "
                             "grade per student for Canvas's gradebook import (canvas)")
    roster = sub.add_parser("roster", help="import the class roster (student ids, names, emails, times)",
                            description="Map submission ids to students: grades are then keyed by student, and "
                                        "the dashboard lists submissions without a student and students "
                                        "without a submission.")
    roster.add_argument("action", choices=("import",))
    roster.add_argument("file", type=Path, metavar="roster.csv")
    for parser in (review, scores, roster):
        if parser is not review:
            parser.add_argument("--out", type=Path, required=True, metavar="DIR",
                                help="the folder `grader grade --out` wrote")
        parser.add_argument("--gradebook", type=Path, metavar="PATH",
                            help="the class gradebook (default DIR/gradebook.sqlite)")
        parser.add_argument("--grader", metavar="NAME", help="who is grading, as the history records it "
                                                               "(default: the login name)")


def check_course(gradebook_path: Path, assignment: Assignment) -> None:
    """Refuse a bad ``gradebook.toml`` before anything is graded (a one-line error)."""
    load_course(course_path(gradebook_path)).apply(assignment.written)


def run(pm, args: argparse.Namespace, assignment: Assignment) -> int:
    """Run ``review``, ``scores`` or ``roster``."""
    path = args.gradebook or args.out / "gradebook.sqlite"
    if not path.is_file():
        raise UsageError("no gradebook at %s: grade the class first (grader grade PATH --out %s)" % (path, args.out))
    check_course(path, assignment)
    who = args.grader or os.environ.get("GRADER_NAME") or _login()
    with Gradebook(path) as gradebook:
        session = ClassSession(pm, assignment, gradebook, args.out)
        if args.command == "review":
            from grader.review.server import serve

            return serve(session, host=args.host, port=args.port, token=args.token, grader=who)
        if args.command == "roster":
            rows, sha = read_roster(args.file)
            HandGrades(gradebook).import_roster(rows, str(args.file.resolve()), sha)
            session.rewrite()
            grades = session.grades()
            mismatch = grades.roster_mismatches([a.submission for a in gradebook.graded_attempts()])
            print("imported %d student(s) from %s; %d submission(s) match no student, %d student(s) have no "
                  "submission; outputs rewritten in %s" % (len(rows), args.file, len(mismatch["unmatched"]),
                                                           len(mismatch["missing"]), args.out))
            return 0
        if args.action == "import":
            if args.format != "grader":
                raise UsageError("--format canvas is for export only")
            new, same = import_scores(gradebook, session.grades(), args.file, "%s (import %s)" % (who, args.file.name))
            session.rewrite()
            print("imported %d grade(s) from %s (%d unchanged); outputs rewritten in %s" % (new, args.file, same,
                                                                                          args.out))
            return 0
        args.file.parent.mkdir(parents=True, exist_ok=True)
        if args.format == "canvas":
            grades = session.grades()
            count = export_canvas(session.documents(grades), grades, args.file)
            print("wrote %s: the final grades of %d student(s) for Canvas (column %r)"
                  % (args.file, count, grades.course.canvas_column))
        else:
            count = export_scores(gradebook, session.grades(), args.file)
            print("wrote %s: %d row(s), one per submission and written question" % (args.file, count))
        return 0


class ClassSession:
    """A class's gradebook with what rewriting its outputs needs: the plugins, the exercises, a config."""

    def __init__(self, pm, assignment: Assignment, gradebook: Gradebook, out_dir: Path):
        self.pm, self.gradebook, self.out_dir = pm, gradebook, out_dir
        stored = gradebook.query("SELECT value FROM settings WHERE key = 'seed'")
        self.config = GradingConfig(seed=int(stored[0][0]) if stored else 0, out_dir=out_dir, assignment=assignment,
                                    plugins=pm.plugins_in_use())
        self.exercises = collect_exercises(pm, self.config)

    def grades(self):
        return class_grades(self.gradebook, self.config, self.pm)

    def rewrite(self) -> None:
        """Bring every output in the folder up to date with the gradebook (only what changed is rewritten)."""
        write_outputs(self.gradebook, self.exercises, self.config, self.pm, self.out_dir, {})

    def documents(self, grades) -> list[dict]:
        return [report_document(self.gradebook, a, self.exercises, artifacts=False, grades=grades)[0]
                for a in self.gradebook.graded_attempts()]


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "staff"
