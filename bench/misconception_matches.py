"""Benchmark: does each buggy sample get its own diagnosis, and which other misconceptions would match it too?

    python bench/misconception_matches.py [--seeds 5] [--first-seed 1] [--samples a,b,...]
                                          [--reference | --reference-only]

Grades every sample of ``tests/test_diagnoses.py`` (with its ``--only`` selection there) at each seed. For each
failing check it records the diagnosis the grader gave and, separately, EVERY catalogued misconception of the
functions at fault that matches on its own (declared, exception signature, or answers within tolerance),
not only the closest. A match other than the sample's own diagnosis is an accidental one: the figure the
catalogue must keep at zero. ``--reference`` grades the reference too, on all the samples' selections (it must
get no diagnosis at all); ``--reference-only`` grades only the reference.

It also prints what diagnosis costs: the seconds ``Grader.diagnose`` took (the extra time over
``--diagnose-budget 0``; it includes starting the misconception worker, once per grading thread) per
diagnosed check, on each sample's first seed (cold) and the later ones (warm worker).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from grader.config import GradingConfig  # noqa: E402
from grader.diagnosis import Diagnoser  # noqa: E402
from grader.plugins import get_plugin_manager  # noqa: E402
from grader.runner import Grader  # noqa: E402
from grader.session import build_fixtures, collect_exercises, collect_misconceptions  # noqa: E402
from grader.submission import load_folder  # noqa: E402


class SurveyingGrader(Grader):
    """A grader that, besides diagnosing as usual, tries every candidate misconception on its own."""

    def diagnose(self, checks, faults):
        start = time.monotonic()
        found = super().diagnose(checks, faults)
        self.diagnosis_s = time.monotonic() - start
        self.matches: dict[str, set[str]] = {}
        for check in checks:
            evidence = self.evidence.get(check.id)
            if evidence is None:
                continue
            fault = faults.get(check.id)
            candidates = Diagnoser(self.catalog, None, 0).candidates(check, fault)
            self.matches[check.id] = {
                m.id for m in candidates
                if Diagnoser({m.id: m}, self.misconception_transcript, 600).diagnose(check, fault, evidence) is m}
        return found


def make_grader(only: str, catalog) -> SurveyingGrader:
    pm = get_plugin_manager()
    config = GradingConfig(seed=0, only=tuple(only.split(",")))
    exercises = collect_exercises(pm, config)
    return SurveyingGrader(exercises, config, build_fixtures(exercises, config), catalog=catalog)


def grade(grader: SurveyingGrader, sample_dir: Path, seed: int
          ) -> tuple[bool, dict[str, str], dict[str, set[str]], float]:
    """Whether a check failed, the diagnoses given, every match per failing check, the seconds diagnosis took."""
    grader.config.seed = seed  # one grader (and its warm workers) for all the seeds of a sample
    grader.matches, grader.diagnosis_s = {}, 0.0
    report = grader.grade(load_folder(sample_dir, sample_dir.name))
    given = {c.id: c.details["diagnosis"]["id"] for c in report.checks if "diagnosis" in c.details}
    return any(c.status != "passed" for c in report.checks), given, grader.matches, grader.diagnosis_s


def main() -> int:
    import tempfile

    from conftest import load_make_buggy
    from test_diagnoses import EXPECTED_DIAGNOSES, ONLY

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--samples", default="", help="comma-separated sample names (default: all)")
    parser.add_argument("--reference", action="store_true", help="grade the reference on every selection too")
    parser.add_argument("--reference-only", action="store_true", help="grade only the reference")
    args = parser.parse_args()
    names = [s for s in args.samples.split(",") if s] or sorted(EXPECTED_DIAGNOSES)
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    catalog = collect_misconceptions(get_plugin_manager(), GradingConfig(seed=0))
    make_buggy = load_make_buggy()
    root = Path(tempfile.mkdtemp(prefix="bench-mc-"))
    accidental: dict[str, list[str]] = defaultdict(list)
    problems = 0
    print("%-30s %5s %6s %9s %9s  %s" % ("sample", "seeds", "own", "cold s/dx", "warm s/dx", "other matches"))
    for name in names if not args.reference_only else ():
        sample = make_buggy.make(name, root)
        own = set(EXPECTED_DIAGNOSES[name].values())
        hits, cold, warm = 0, [], []
        grader = make_grader(ONLY[name], catalog)
        try:
            runs = [grade(grader, sample, seed) for seed in seeds]
        finally:
            grader.close()
        invisible = 0
        for seed, (failed, given, matches, seconds) in zip(seeds, runs):
            if set(given.values()) == own:
                hits += 1
            elif not failed:
                invisible += 1  # every check passed at this seed: nothing to diagnose
            else:
                problems += 1
                print("  %s seed %d: diagnosed %s, expected %s" % (name, seed, given, sorted(own)))
            for check_id, ids in matches.items():
                for other in sorted(ids - own):
                    accidental[name].append("%s@%d:%s" % (other, seed, check_id))
            if given:
                (warm if cold else cold).append(seconds / len(given))
        problems += len(accidental[name])
        print("%-30s %5d %6s %9s %9s  %s%s" % (name, len(seeds), "%d/%d" % (hits, len(seeds)),
                                                 "%.2f" % cold[0] if cold else "-",
                                                 "%.2f" % statistics.median(warm) if warm else "-",
                                                 ", ".join(accidental[name]) or "none",
                                                 "; all checks passed at %d seed(s)" % invisible if invisible else ""))
    if args.reference or args.reference_only:
        grader = make_grader(",".join(sorted({ONLY[n] for n in names})), catalog)
        wrong = 0
        try:
            for seed in seeds:
                _, given, matches, _ = grade(grader, ROOT / "reference", seed)
                if given or any(matches.values()):
                    wrong += 1
                    print("  reference seed %d: diagnosed %s, matches %s" % (seed, given, matches))
        finally:
            grader.close()
        problems += wrong
        print("reference: %d seeds, %s" % (len(seeds), "no diagnosis" if not wrong else "%d diagnosed" % wrong))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
