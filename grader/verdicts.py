"""Per-function verdicts: a function fails on the checks that blame it, never only because a check that
called it failed elsewhere."""
from __future__ import annotations

from grader.checks import Check
from grader.localization import Fault, display_name
from grader.model import CheckResult, FunctionVerdict

SEVERITY = ("error", "timeout", "failed")
"""Which status a blamed function shows when several checks blame it (an exception first)."""


def function_verdicts(checks: list[Check], results: dict[str, CheckResult], faults: dict[str, Fault]
                      ) -> dict[str, FunctionVerdict]:
    """Every function that a check targets or blames, in check order."""
    names: list[str] = []
    for check in checks:
        names += [t for t in check.targets if t not in names]
    for check in checks:
        fault = faults.get(check.id)
        if fault:
            names += [f for f in fault.culprits if f not in names]
    return {name: _verdict(name, checks, results, faults) for name in names}


def _verdict(name: str, checks: list[Check], results: dict[str, CheckResult], faults: dict[str, Fault]
             ) -> FunctionVerdict:
    own = [c for c in checks if name in c.targets and c.id in results]
    blaming = [c for c in checks if c.id in faults and name in faults[c.id].culprits]
    pending = [c for c in own if c.id in faults and name in faults[c.id].inconclusive and c not in blaming]
    decided = list(dict.fromkeys(c.id for c in own + blaming))
    short = display_name(name)
    if blaming:
        status = next(s for s in SEVERITY if any(results[c.id].status == s for c in blaming))
        mine = [c.id for c in blaming if name in c.targets]
        shown = [c for c in blaming if name not in c.targets and faults[c.id].verified]
        lines = ["fails its check%s %s" % ("s" if len(mine) > 1 else "", ", ".join(mine))] if mine else []
        if shown:
            lines.append("makes %s fail: with the reference's `%s` %s" % (
                ", ".join(c.id for c in shown), short, "it passes" if len(shown) == 1 else "they pass"))
        if not lines:
            lines = ["the function at fault in %s" % ", ".join(c.id for c in blaming)]
        decided = list(dict.fromkeys(c.id for c in own + [c for c in blaming if c.id in mine or c in shown]))
        return FunctionVerdict(status, decided, "; ".join(lines))
    if pending:
        return FunctionVerdict("inconclusive", decided, "; ".join("%s: %s" % (c.id, faults[c.id].how or "could not "
                                                                              "tell whether %s is at fault" % short)
                                                                  for c in pending))
    ran = [c for c in own if results[c.id].status != "skipped"]
    if not ran:
        return FunctionVerdict("skipped", decided, "its checks were skipped" if own else "")
    cleared = [c for c in own if results[c.id].status != "passed" and results[c.id].status != "skipped"]
    text = "passes its %d check%s" % (len(ran) - len(cleared), "" if len(ran) - len(cleared) == 1 else "s")
    if cleared:
        text += "; %s failed because of another function (%s)" % (
            ", ".join(c.id for c in cleared), "; ".join(faults[c.id].how for c in cleared if c.id in faults
                                                        and faults[c.id].how) or "see the check")
    return FunctionVerdict("passed", decided, text)
