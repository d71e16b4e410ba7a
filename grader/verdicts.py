"""Per-function verdicts: a function fails on the checks that blame it, never only because a check that
called it failed elsewhere.

They are computed from the check results alone (each failing result says whom it blames, whom it could not
judge, and how), so a report rebuilt from stored results, some graded in another run, gets them right too.
"""
from __future__ import annotations

from grader.checks import Check
from grader.localization import Fault, display_name, listing
from grader.model import CheckResult, FunctionVerdict

SEVERITY = ("error", "timeout", "failed")
"""Which status a blamed function shows when several checks blame it (an exception first)."""


def recorded_faults(results: dict[str, CheckResult]) -> dict[str, Fault]:
    """The localization of each failing result, as the result records it."""
    return {r.id: Fault(tuple(r.blame), tuple(r.inconclusive), r.attribution)
            for r in results.values() if r.status in ("failed", "error", "timeout")}


def function_verdicts(checks: list[Check], results: dict[str, CheckResult]) -> dict[str, FunctionVerdict]:
    """Every function that a check targets, blames or could not judge, in check order, with the catalogued
    mistake its failing checks matched (``details.diagnosis``)."""
    faults = recorded_faults(results)
    verdicts = _verdicts(checks, results, faults)
    for name, verdict in verdicts.items():
        known = [results[c].details["diagnosis"] for c in verdict.checks
                 if c in results and isinstance(results[c].details.get("diagnosis"), dict)
                 and name in faults.get(c, Fault(())).culprits]
        if known and verdict.status in SEVERITY:
            verdict.diagnosis = dict(known[0])
            verdict.blame += "; %s" % known[0].get("message", "")
    return verdicts


def _verdicts(checks: list[Check], results: dict[str, CheckResult], faults: dict[str, Fault]
              ) -> dict[str, FunctionVerdict]:
    names: list[str] = []
    for check in checks:
        names += [t for t in check.targets if t not in names]
    for check in checks:
        fault = faults.get(check.id)
        if fault:
            names += [f for f in fault.culprits + fault.inconclusive if f not in names]
    return {name: _verdict(name, checks, results, faults) for name in names}


def check_label(check_id: str, function: str) -> str:
    """A check's id as a function's verdict names it: its kind alone for the function's own checks."""
    target, _, kind = check_id.rpartition("/")
    return kind if target == function else "%s/%s" % (display_name(target), kind)


def _plural(n: int, word: str) -> str:
    return "%d %s%s" % (n, word, "" if n == 1 else "s")


def _verdict(name: str, checks: list[Check], results: dict[str, CheckResult], faults: dict[str, Fault]
             ) -> FunctionVerdict:
    own = [c for c in checks if name in c.targets and c.id in results]
    blaming = [c for c in checks if c.id in faults and name in faults[c.id].culprits]
    pending = [c for c in checks if c.id in faults and name in faults[c.id].inconclusive and c not in blaming]
    short = display_name(name)
    if blaming:
        status = next(s for s in SEVERITY if any(results[c.id].status == s for c in blaming))
        mine = [c for c in blaming if name in c.targets]
        others = [c for c in blaming if name not in c.targets]
        lines = ["fails %s" % ", ".join(check_label(c.id, name) for c in mine)] if mine else []
        if others:
            lines.append("makes %s fail" % ", ".join(check_label(c.id, name) for c in others))
        return FunctionVerdict(status, [c.id for c in mine + others], "; ".join(lines))
    decided = list(dict.fromkeys(c.id for c in own + pending))
    if pending:
        reasons = list(dict.fromkeys(faults[c.id].how for c in pending if faults[c.id].how))
        return FunctionVerdict("inconclusive", decided, "%s could not judge it: %s" % (
            ", ".join(check_label(c.id, name) for c in pending),
            "; ".join(reasons) or "the check failed, but not clearly because of `%s`" % short))
    ran = [c for c in own if results[c.id].status != "skipped"]
    if not ran:
        return FunctionVerdict("skipped", decided, "its checks were skipped" if own else "")
    cleared = [c for c in ran if results[c.id].status != "passed"]
    passed = len(ran) - len(cleared)
    parts = ["passes its %s" % _plural(passed, "check")] if passed else []
    if cleared:
        causes = [f for c in cleared if c.id in faults for f in faults[c.id].culprits if f != name]
        parts.append("%s%s failed only because of %s" % (
            "" if passed else "its checks ", ", ".join(check_label(c.id, name) for c in cleared),
            "your %s" % listing(dict.fromkeys(causes)) if causes else "another function"))
    return FunctionVerdict("passed", decided, "; ".join(parts))
