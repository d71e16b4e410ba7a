"""The ``grader`` command: ``grade`` a class, ``check`` one submission, ``list`` the checks, ``bundle`` and
``dist`` what students get; ``similarity`` for staff; ``review``, ``scores`` and ``roster`` for the written
answers and the final grade (``grader.written.commands``)."""
from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import os
import secrets
import signal
import sys
import threading
import time
from pathlib import Path

from grader import __version__, tracks
from grader.config import (DEFAULT_DIAGNOSE_BUDGET_S, DEFAULT_LOCALIZE_BUDGET_S, DEFAULT_SUBMISSION_TIMEOUT_S,
                           DEFAULT_TIMEOUT_S, GradingConfig)
from grader.plugins import ALLOW_ENV, AUTOLOAD_ENV, get_plugin_manager, hooks_of, names
from grader.checks import PUBLIC_SEED
from grader.dist import build
from grader.release import installed_release
from grader.sandbox import Sandbox
from grader.gradebook.regrade import grade_class
from grader.gradebook.store import Gradebook
from grader.assignment import Assignment
from grader.session import INSTRUCTOR_ONLY, answers_for, collect_assignment, collect_exercises, grade_all, make_bundle
from grader.submission import UsageError, discover
from grader.terminal import print_check_summary, print_exercise_list
from grader.model import settled
from grader.written.commands import add_commands as add_written_commands, check_course, run as run_written_command

SIMILARITY = importlib.util.find_spec("grader.similarity") is not None
"""The similarity search is the instructor's: the student package does not hold it, nor its options."""


def similarity_defaults() -> tuple[float, int]:
    from grader.similarity import THRESHOLD, TOP

    return THRESHOLD, TOP


def plugin_options(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The options that decide which plugins load: read before the plugins are (they add options)."""
    parser.add_argument("--plugins", metavar="NAMES", default=None,
                        help="load only these entry-point plugins, by name, comma-separated (also when autoload is "
                             "off; default: $%s or all)" % ALLOW_ENV)
    parser.add_argument("--no-plugin-autoload", action="store_true",
                        help="load no entry-point plugin unless --plugins names it (or set $%s=1)" % AUTOLOAD_ENV)
    return parser


def build_parser(pm) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="grader", description=__doc__)
    release = installed_release()
    parser.add_argument("--version", action="version", version="grader %s%s" % (
        __version__, " (%s %s)" % (release["name"], release["version"]) if release else ""))
    plugin_options(parser)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    grade = sub.add_parser("grade", help="grade submissions (folders, zips, or a folder of many)",
                           description="Grade submissions and write per-submission reports plus grades.csv.")
    grade.add_argument("paths", nargs="+", type=Path, metavar="PATH",
                       help="a submission folder (assignment3/), a zip of it, or a folder of many")
    grade.add_argument("--out", type=Path, required=True, metavar="DIR", help="where reports are written")
    grade.add_argument("--jobs", type=_jobs, default=1, metavar="N",
                       help="submissions graded at once; 'auto': one per core (default %(default)s)")
    grade.add_argument("--scheduler", metavar="ADDRESS",
                       help="grade on a Dask cluster (tcp://HOST:8786), one task per submission; this machine keeps "
                            "the gradebook and writes the reports (pip install 'cs231n-a3-grader[dask]')")
    grade.add_argument("--gradebook", type=Path, metavar="PATH",
                       help="the class gradebook (SQLite; default DIR/gradebook.sqlite)")
    grade.add_argument("--force", action="store_true",
                       help="regrade every selected check, even where the gradebook holds a current result")

    check = sub.add_parser("check", help="self-check one submission (exit 1 if a check fails)",
                           description="Self-check one submission; exit code 1 if any check does not pass.")
    check.add_argument("path", nargs="?", type=Path, default=Path("."), metavar="PATH",
                       help="the assignment3/ folder or a zip (default: the current folder)")
    check.add_argument("--junit", type=Path, metavar="FILE", help="also write JUnit XML to FILE")
    check.add_argument("--out", type=Path, metavar="DIR", help="also write the full report into DIR")
    check.add_argument("--answers", type=Path, metavar="FILE",
                       help="the answer bundle to check against (default: the installed one; without any, the "
                            "live reference where it is installed)")
    check.add_argument("--summary", type=Path, metavar="FILE", help="also write a Markdown summary (for CI)")

    bundle = sub.add_parser("bundle", help="write the public answer bundle for students' self-check",
                            description="Grade the reference at the public seed and record its answers into FILE.")
    bundle.add_argument("--out", type=Path, required=True, metavar="FILE", help="the bundle to write (.npz)")
    bundle.add_argument("--seed", type=int, default=PUBLIC_SEED, metavar="N",
                        help="the public seed (default %(default)s, the notebooks' seed)")
    bundle.add_argument("--only", action="append", default=[], metavar="IDS", help="restrict the bundle")
    pm.hook.grader_add_options(parser=bundle.add_argument_group("exercise options"))

    dist = sub.add_parser("dist", help="build the student package: a wheel with the answer bundle, no solutions",
                          description="Build the wheel students install to self-check: the grader, the exercise "
                                      "checks and the answer bundle, without the reference or any solution code.")
    dist.add_argument("--out", type=Path, required=True, metavar="DIR", help="where the wheel is written")
    dist.add_argument("--answers", type=Path, metavar="FILE",
                      help="the answer bundle to ship (default: made now, as `grader bundle` does)")
    dist.add_argument("--seed", type=int, default=PUBLIC_SEED, metavar="N",
                      help="the public seed of the bundle made now (default %(default)s)")
    dist.add_argument("--name", metavar="NAME",
                      help="the distribution name (default: the grader's, with -selfcheck for -grader)")
    pm.hook.grader_add_options(parser=dist.add_argument_group("exercise options"))

    for p in (grade, check):
        p.add_argument("--only", action="append", default=[], metavar="IDS",
                       help="comma-separated exercise ids, targets or check ids (see `grader list`)")
        p.add_argument("--seed", type=int, metavar="N", help="seed of the hidden inputs (default: %s)" % (
            "the gradebook's, picked at random by its first run" if p is grade else "random"))
        p.add_argument("--timeout", type=_positive_float, default=DEFAULT_TIMEOUT_S, metavar="S",
                       help="per-check time limit in seconds (default %(default)s; training runs get more)")
        p.add_argument("--submission-timeout", type=_positive_float, default=DEFAULT_SUBMISSION_TIMEOUT_S,
                       metavar="S", help="time limit per submission in seconds, everything included (default "
                       "%(default)s): the checks left when it runs out are marked timeout")
        p.add_argument("--no-sandbox", action="store_true",
                       help="run student workers without bubblewrap (resource limits only; not for real grading)")
        p.add_argument("--localize-budget", type=_non_negative_float, default=DEFAULT_LOCALIZE_BUDGET_S,
                       metavar="S", help="seconds per submission for rerunning failing composite checks with "
                       "reference functions swapped in, to name the function at fault (default %(default)s; 0: off)")
        p.add_argument("--diagnose-budget", type=_non_negative_float, default=DEFAULT_DIAGNOSE_BUDGET_S,
                       metavar="S", help="seconds per submission for comparing failing checks with the catalogue of "
                       "known mistakes (default %(default)s; 0: off)")
        p.add_argument("--strict-env", action="store_true",
                       help="no compatibility shims for what the course's 2020 environment had and today's "
                            "NumPy, TensorFlow and Python removed (np.float, tf.Variable +=, ...)")
        p.add_argument("--track-policy", default=tracks.DEFAULT_POLICY, metavar="POLICY",
                       help="which one counts where a submission did a notebook on two tracks (both are graded): "
                            "best (default: the higher score) or a track's name, e.g. tensorflow (see `grader list`)")
        pm.hook.grader_add_options(parser=p.add_argument_group("exercise options"))

    if SIMILARITY:
        grade.add_argument("--no-similarity", action="store_true",
                           help="skip the class's similarity search (DIR/similarity.html, linked from the dashboard)")
        similarity = sub.add_parser("similarity", help="find similar submissions, per function (staff only)",
                                    description="Compare the student-written part of every function of every pair "
                                                "of submissions, and with known solutions; write "
                                                "DIR/similarity.json and DIR/similarity.html.")
        similarity.add_argument("paths", nargs="+", type=Path, metavar="PATH",
                                help="a submission folder (assignment3/), a zip of it, or a folder of many")
        similarity.add_argument("--out", type=Path, required=True, metavar="DIR", help="where the outputs go")
        for p in (grade, similarity):
            p.add_argument("--corpus", type=Path, metavar="DIR",
                           help="known solutions to compare with (one sub-folder or zip each, named by it)")
        similarity.add_argument("--starter", type=Path, metavar="DIR",
                                help="the folder holding the starter code's package (default: the assignment's)")
        threshold, top = similarity_defaults()
        similarity.add_argument("--threshold", type=_fraction, default=threshold, metavar="T",
                                help="flag pairs scoring T or more, 0..1 (default %(default)s)")
        similarity.add_argument("--top", type=_positive_int, default=top, metavar="N",
                                help="list N pairs at least, flagged or not (default %(default)s)")

    add_written_commands(sub)
    lst = sub.add_parser("list", help="list exercises and checks with their points")
    lst.add_argument("--only", action="append", default=[], metavar="IDS", help="restrict the listing")
    sub.add_parser("plugins", help="list the plugins with their versions and hooks",
                   description="List every plugin: built-in, from an entry point (loaded or not, and why), or "
                               "registered by code, with its version and the hooks it implements.")
    return parser


def load_plugins(argv: list[str]):
    """The plugin manager, with the plugin options taken out of ``argv`` first (they may stand anywhere)."""
    known, rest = plugin_options(argparse.ArgumentParser(add_help=False)).parse_known_args(argv)
    pm = get_plugin_manager(autoload=False if known.no_plugin_autoload else None,
                            allow=names(known.plugins))
    return pm, rest


def print_plugins(pm) -> None:
    for info in pm.infos:
        state = "" if info.loaded else "  (not loaded: %s)" % info.reason
        print("%-40s %-10s %s%s" % (info.name, info.version, info.source, state))
        if info.loaded:
            print("    hooks: %s" % (", ".join(hooks_of(pm, info.name)) or "none"))


def _fraction(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError("must be between 0 and 1")
    return value


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _jobs(text: str) -> int:
    """``auto``: one job per core this process may run on."""
    if text == "auto":
        return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    try:
        return _positive_int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("must be a positive number or 'auto'") from None


def _non_negative_float(text: str) -> float:
    value = float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError("must be positive")
    return value


def _config(args: argparse.Namespace, out_dir: Path | None, assignment: Assignment) -> GradingConfig:
    only = tuple(i.strip() for group in getattr(args, "only", []) for i in group.split(",") if i.strip())
    reserved = {"command", "paths", "path", "out", "jobs", "junit", "only", "seed", "timeout", "no_sandbox",
                "answers", "summary", "localize_budget", "diagnose_budget", "gradebook", "force", "strict_env",
                "plugins", "no_plugin_autoload", "plugins_in_use", "submission_timeout", "scheduler", "name",
                "no_similarity", "corpus", "track_policy"}
    options = {k: v for k, v in vars(args).items() if k not in reserved}
    seed = args.seed if getattr(args, "seed", None) is not None else secrets.randbelow(2**31)
    config = GradingConfig(seed=seed, timeout_s=getattr(args, "timeout", DEFAULT_TIMEOUT_S), only=only,
                           out_dir=out_dir, options=options, sandbox=not getattr(args, "no_sandbox", False),
                           localize_budget_s=getattr(args, "localize_budget", DEFAULT_LOCALIZE_BUDGET_S),
                           diagnose_budget_s=getattr(args, "diagnose_budget", DEFAULT_DIAGNOSE_BUDGET_S),
                           strict_env=getattr(args, "strict_env", False), assignment=assignment,
                           submission_timeout_s=getattr(args, "submission_timeout", DEFAULT_SUBMISSION_TIMEOUT_S),
                           plugins=args.plugins_in_use,
                           track_policy=getattr(args, "track_policy", tracks.DEFAULT_POLICY))
    if args.command == "check" and config.isolation.startswith("NOT ISOLATED"):
        print("grader: note: %s" % Sandbox(enabled=config.sandbox).self_check_note(), file=sys.stderr)
    elif args.command != "list" and config.isolation.startswith("NOT ISOLATED"):
        print("grader: WARNING: %s" % config.isolation, file=sys.stderr)
    return config


def main(argv: list[str] | None = None) -> int:
    pm, argv = load_plugins(sys.argv[1:] if argv is None else list(argv))
    parser = build_parser(pm)
    args = parser.parse_args(argv)
    args.plugins_in_use = pm.plugins_in_use()
    try:
        if args.command == "plugins":
            print_plugins(pm)
            return 0
        assignment = collect_assignment(pm)
        if args.command in ("grade", "bundle", "dist") and assignment.reference is None:
            raise UsageError(INSTRUCTOR_ONLY)
        if args.command == "similarity":
            return _similarity(args, assignment)
        if args.command == "list":
            config = _config(args, None, assignment)
            print_exercise_list(collect_exercises(pm, config))
            return 0
        if args.command == "grade":
            return _grade(pm, args, assignment)
        if args.command == "bundle":
            return _bundle(pm, args, assignment)
        if args.command == "dist":
            return _dist(pm, args, assignment)
        if args.command in ("review", "scores", "roster"):
            return run_written_command(pm, args, assignment)
        return _check(pm, args, assignment)
    except UsageError as exc:
        print("grader: error: %s" % exc, file=sys.stderr)
        return 2


def _grade(pm, args, assignment: Assignment) -> int:
    submissions = discover(args.paths, assignment)
    corpus = _similarity_corpus(args, assignment)
    given = args.seed
    config = _config(args, args.out, assignment)
    selected = collect_exercises(pm, config)
    exercises = collect_exercises(pm, dataclasses.replace(config, only=()))
    config.private_paths = tuple(args.paths) + tuple(s.path for s in submissions)
    args.out.mkdir(parents=True, exist_ok=True)
    gradebook_path = args.gradebook or args.out / "gradebook.sqlite"
    gradebook_path.parent.mkdir(parents=True, exist_ok=True)
    check_course(gradebook_path, assignment)
    if corpus is not None:
        from grader.similarity.command import class_step
        class_step(submissions, assignment, args.out, corpus)
    cluster = _cluster(args.scheduler, config) if args.scheduler else None
    in_main_thread = threading.current_thread() is threading.main_thread()  # only it may set handlers
    previous = signal.signal(signal.SIGTERM, _interrupt) if in_main_thread else None
    try:
        with Gradebook(gradebook_path) as gradebook:
            stored = gradebook.seed(lambda: config.seed)
            config.seed = given if given is not None else stored
            print("seed %d (%s); gradebook %s" % (config.seed, "--seed" if given is not None else "the gradebook's",
                                                  gradebook_path))
            start = time.monotonic()
            run = grade_class(gradebook, submissions, exercises, selected, config, pm, args.out, jobs=args.jobs,
                              force=args.force, cluster=cluster)
    except KeyboardInterrupt:
        print("grader: interrupted; everything graded so far is in the gradebook: run the same command to "
              "continue", file=sys.stderr)
        return 130
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)
        if cluster is not None:
            cluster.close()
    if run.interrupted:
        print("grader: interrupted after %d submission(s); every check decided so far is in the gradebook and the "
              "outputs agree with it: run the same command to continue" % run.graded, file=sys.stderr)
        return 130
    print("graded %d submission(s) (%d check(s)) and reused %d in %.1f s" % (
        run.graded, run.checks, run.reused, time.monotonic() - start))
    if run.stale_kept:
        print("note: %d stored result(s) outside --only are stale (a changed check or seed): run without --only "
              "to regrade them" % run.stale_kept)
    print("reports written to %s; class dashboard %s" % (args.out, args.out / "index.html"))
    return 0


def _cluster(address: str, config: GradingConfig):
    """A client of the Dask scheduler at ``address`` (see ``grader.distributed``)."""
    from grader.distributed import check_options, connect

    check_options(config)
    client = connect(address)
    workers = len(client.scheduler_info().get("workers", {}))
    print("grading on the Dask cluster at %s (%d worker(s) now; --jobs does not apply)" % (address, workers))
    return client


def _interrupt(signum, frame) -> None:
    """SIGTERM stops a batch as Ctrl-C does."""
    raise KeyboardInterrupt


def _similarity(args, assignment: Assignment) -> int:
    from grader.similarity.command import run

    written = run(discover(args.paths, assignment), assignment, args.out, corpus=args.corpus, starter=args.starter,
                  threshold=args.threshold, top=args.top)
    print(written.summary())
    return 0


def _similarity_corpus(args, assignment: Assignment) -> list | None:
    """The known solutions of ``grade --corpus`` ([] without it), read before anything is written; None when
    the class step does not run."""
    if not SIMILARITY or args.no_similarity:
        return None
    from grader.similarity.command import corpus_entries

    return corpus_entries(args.corpus, assignment) if args.corpus is not None else []


def _bundle(pm, args, assignment: Assignment) -> int:
    config = _config(args, None, assignment)
    report, count = make_bundle(pm, config, args.out)
    print("wrote %s: %d answers for %d checks at seed %d" % (args.out, count, len(report.checks), config.seed))
    return 0


def _dist(pm, args, assignment: Assignment) -> int:
    if args.answers is not None and not args.answers.is_file():
        raise UsageError("no answer bundle at %s" % args.answers)
    built = build(pm, _config(args, None, assignment), args.out, args.answers, args.name)
    size = built.wheel.stat().st_size
    print("wrote %s (%s %s, %.1f MB; %.1f MB without the answer bundle)" % (
        built.wheel, built.name, built.version, size / 2**20, max(0, size - built.answers_size) / 2**20))
    print("students: pip install %s, then `grader check` in the folder holding %s/, or in a notebook there: "
          "from grader.notebook import check; check(\"<function name>\")" % (built.wheel.name, assignment.package))
    return 0


def _check(pm, args, assignment: Assignment) -> int:
    bundle = answers_for(args.answers, assignment)
    if bundle is not None:
        if args.seed is not None and args.seed != bundle.seed:
            raise UsageError("the answer bundle holds seed %d; --seed cannot change it" % bundle.seed)
        args.seed = bundle.seed
    config = _config(args, args.out, assignment)
    exercises = collect_exercises(pm, config)
    submissions = discover([args.path], assignment)
    if len(submissions) != 1:
        raise UsageError("%s holds %d submissions; `grader check` takes one" % (args.path, len(submissions)))
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
    [report] = grade_all(submissions, exercises, config, pm, args.out, bundle=bundle)
    release = report.grader.release
    print_check_summary(report, ("answer bundle (seed %d)" % bundle.seed if bundle else "live reference")
                        + (", %s %s" % (release["name"], release["version"]) if release else ""))
    for kind, path in (("junit", args.junit), ("markdown", args.summary)):
        if path:
            path.parent.mkdir(parents=True, exist_ok=True)
            if not pm.hook.grader_export(report=report, kind=kind, path=path):
                raise UsageError("no plugin writes %s (is the built-in writer turned off?)" % kind)
    return 0 if all(settled(c) for c in report.checks) else 1  # an undecided check is not settled


if __name__ == "__main__":
    sys.exit(main())
