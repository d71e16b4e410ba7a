"""Which student function makes a failing check fail.

A check grades its ``targets`` and calls its ``uses`` on the way. A failing check that involves one
function blames it. Otherwise the fault is localized by substitution: the check is run again with some of
the student's functions replaced by the reference's (``rerun``), and the functions whose replacement makes
it pass carry the blame. Checks are decided from the smallest to the largest set of functions, so what
the simpler checks found ("known bad") is tried first: one rerun with every known-bad function replaced
usually settles a composite check. Functions that share private state (a forward and the backward that
reads its cache) are replaced together, as one unit; inside a blamed unit, the members that fail on their
own are blamed, else the check's own targets.

A missing function (not defined, still the skeleton's stub, raising ``NotImplementedError``:
``grader.missing``) is blamed alone for every check that runs it, without reruns. A rerun that ends for time
or resource reasons (a timeout, output cut, memory, a crash: ``NO_EVIDENCE``) is evidence neither way, and a
function that passes all of its own checks is never blamed unless a rerun that completed normally shows it at
fault: where nothing decides, the check's targets are *inconclusive*.

Without reruns (self-check has no reference code) the rule is the conservative one: a failure is blamed
on the functions that already fail their own checks, and when there are such functions among the ones
the check only uses, its targets are *inconclusive* rather than failed.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

from grader.checks import Check
from grader.model import CheckResult

FAILING = ("failed", "error", "timeout")

NO_EVIDENCE = "no evidence"
"""What a rerun answers when it ended for time or resource reasons (its own timeout, output cut, memory, a
crashed worker): the check neither passed nor failed on its merits."""

Rerun = Callable[[Check, frozenset[str]], "bool | str | None"]
"""``rerun(check, swapped)`` runs the check again with the functions in ``swapped`` (target names)
replaced by the reference's: True if it passes, False if it fails normally, ``NO_EVIDENCE`` if it ended for
time or resource reasons, None if it cannot tell (no time left for localizing)."""


@dataclass(frozen=True)
class Fault:
    """The outcome of localizing one failing check."""

    culprits: tuple[str, ...]
    """The functions this failure is blamed on."""
    inconclusive: tuple[str, ...] = ()
    """Targets the check could not judge."""
    how: str = ""
    """A sentence for the student: how the blame was decided (empty when the check involves one function)."""


def display_name(function: str) -> str:
    """``rnn_layers.rnn_forward`` -> ``rnn_forward``; ``classifiers.rnn.CaptioningRNN.loss[rnn]`` ->
    ``CaptioningRNN.loss[rnn]``."""
    name, bracket, branch = function.partition("[")
    parts = name.split(".")
    start = next((i for i, p in enumerate(parts) if p[:1].isupper()), len(parts) - 1)
    return ".".join(parts[start:]) + bracket + branch


def listing(functions: Iterable[str]) -> str:
    names = ["`%s`" % display_name(f) for f in functions]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def involved(check: Check) -> tuple[str, ...]:
    """The student functions a check runs: its targets, then what it uses."""
    return tuple(dict.fromkeys(check.targets + check.uses))


class Localizer:
    """Decides, for every failing check of one submission, which functions are at fault."""

    def __init__(self, checks: Sequence[Check], results: dict[str, CheckResult],
                 couplings: Iterable[Iterable[str]] = (), rerun: Rerun | None = None,
                 declared: dict[str, Fault] | None = None, missing: dict[str, str] | None = None):
        """``declared``: per check id, the fault as the check itself determined it (a contract check that
        knows which function modified its input, a student file that does not import). ``missing``: the
        functions the submission does not have, with the reason in words (``grader.missing``)."""
        self.checks = list(checks)
        self.results = results
        self.couplings = [frozenset(group) for group in couplings]
        self.rerun = rerun
        self.declared = declared or {}
        self.missing = missing or {}
        self.known_bad: dict[str, list[str]] = {}
        self.budget_spent = False
        self.evidenced: set[str] = set()
        """Functions that a rerun which completed normally showed at fault, in the check being localized."""
        self.clean = self.passing_functions()

    def passing_functions(self) -> set[str]:
        """Functions that have checks of their own in the results and pass every one of them."""
        own: dict[str, list[str]] = {}
        for check in self.checks:
            if check.id in self.results:
                for t in check.targets:
                    own.setdefault(t, []).append(self.results[check.id].status)
        return {f for f, statuses in own.items() if statuses and all(s == "passed" for s in statuses)}

    # ------------------------------------------------------------------ driving
    def run(self) -> dict[str, Fault]:
        faults: dict[str, Fault] = {}
        order = sorted(range(len(self.checks)), key=lambda i: (len(involved(self.checks[i])), i))
        for i in order:
            check = self.checks[i]
            result = self.results.get(check.id)
            if result is None or result.status not in FAILING:
                continue
            fault = self.localize(check)
            faults[check.id] = fault
            for f in fault.culprits:
                self.known_bad.setdefault(f, []).append(check.id)
        return faults

    def units(self, functions: Sequence[str]) -> list[tuple[str, ...]]:
        """``functions`` grouped by coupling, in order of first appearance."""
        out: list[tuple[str, ...]] = []
        seen: set[str] = set()
        for f in functions:
            if f in seen:
                continue
            group = next((g for g in self.couplings if f in g), frozenset([f]))
            unit = tuple(g for g in functions if g in group)
            seen.update(unit)
            out.append(unit)
        return out

    def try_rerun(self, check: Check, units: Iterable[tuple[str, ...]]) -> bool | str | None:
        """True / False for a rerun that completed normally, ``NO_EVIDENCE`` for one that ended for time or
        resource reasons, None once the localization budget is spent."""
        if self.rerun is None or self.budget_spent:
            return None
        answer = self.rerun(check, frozenset(f for u in units for f in u))
        if answer is None:
            self.budget_spent = True
        return answer

    def shown(self, units: Iterable[tuple[str, ...]]) -> None:
        self.evidenced.update(f for u in units for f in u)

    # ------------------------------------------------------------------ one check
    def localize(self, check: Check) -> Fault:
        if check.id in self.declared:
            return self.declared[check.id]
        functions = involved(check)
        gone = [f for f in functions if f in self.missing]
        if gone:
            return self.blame_missing(check, gone)
        self.evidenced = set()
        return self.guard(check, self.decide(check, functions))

    def blame_missing(self, check: Check, gone: list[str]) -> Fault:
        """A missing function is blamed alone: the other targets cannot be judged until it exists."""
        pending = tuple(t for t in check.targets if t not in gone)
        how = "; ".join("your `%s` %s" % (display_name(f), self.missing[f]) for f in gone)
        if pending:
            how += ": this check cannot judge %s until %s written" % (listing(pending),
                                                                      "it is" if len(gone) == 1 else "they are")
        return Fault(tuple(gone), pending, how)

    def guard(self, check: Check, fault: Fault) -> Fault:
        """A function that passes all of its own checks keeps ``passed`` unless a rerun that completed
        normally showed it at fault; a check left with no culprit has its targets inconclusive."""
        spared = [f for f in fault.culprits if f in self.clean and f not in self.evidenced
                  and f not in check.targets]
        if not spared:
            return fault
        culprits = tuple(f for f in fault.culprits if f not in spared)
        pending = tuple(dict.fromkeys(fault.inconclusive + (
            () if culprits else tuple(t for t in check.targets if t not in culprits))))
        why = ("%s pass%s all %s own checks and no rerun that completed normally showed %s at fault"
               % (listing(spared), "es" if len(spared) == 1 else "", "its" if len(spared) == 1 else "their",
                  "it" if len(spared) == 1 else "them"))
        return Fault(culprits, pending, "%s; %s" % (fault.how, why) if fault.how else why)

    def decide(self, check: Check, functions: tuple[str, ...]) -> Fault:
        if len(functions) == 1:
            return Fault(functions)
        units = self.units(functions)
        bad = [u for u in units if any(f in self.known_bad for f in u)]
        if any(t in self.known_bad for t in check.targets):  # its own function already fails elsewhere
            return Fault(self.known(units))
        if self.rerun is None or len(bad) == len(units):
            return self.without_reruns(check, bad)
        if bad:
            passed = self.try_rerun(check, bad)
            if passed is None:
                return self.without_reruns(check, bad, "localization ran out of time; ")
            if passed is False:  # still failing with the known-bad replaced: the rest is at fault
                self.shown(u for u in units if u not in bad)
            if passed is True:
                culprits = self.known(bad)
                swapped_targets = tuple(t for u in bad for t in u if t in check.targets and t not in culprits)
                return Fault(culprits, swapped_targets,
                             "fails because of your %s, which fail%s %s own checks: with the reference's %s it "
                             "passes" % (listing(culprits), "s" if len(culprits) == 1 else "",
                                         "its" if len(culprits) == 1 else "their",
                                         listing(f for u in bad for f in u)))
        rest = [u for u in units if u not in bad]
        if len(rest) == 1 and not bad:  # one unit: its own members decide, nothing to swap
            culprits, undecided = self.within_units(check, rest, bad)
            return Fault(culprits, undecided, "" if culprits else "could not tell which of your %s is at fault"
                         % listing(rest[0]))
        found = self.search(check, bad, rest)
        if found is None:
            return self.without_reruns(check, bad, "localization ran out of time; ")
        if not found:
            return Fault(self.known(bad), tuple(t for t in check.targets if t not in self.known_bad),
                         "could not tell which of your %s is at fault" % listing(f for u in rest for f in u))
        culprits, undecided = self.within_units(check, found, bad)
        if not culprits:
            return Fault(self.known(bad), undecided,
                         "fails because of your %s (swapped for the reference's together, since they share data), "
                         "but could not tell which of them" % listing(f for u in found for f in u))
        swapped = tuple(f for u in found for f in u)
        return Fault(tuple(dict.fromkeys(culprits + self.known(bad))), undecided,
                     "fails because of your %s: with the reference's %s it passes" % (listing(culprits),
                                                                                       listing(swapped)))

    def known(self, units: Iterable[tuple[str, ...]]) -> tuple[str, ...]:
        return tuple(f for u in units for f in u if f in self.known_bad)

    def search(self, check: Check, baseline: list, rest: list) -> list[tuple[str, ...]] | None:
        """The smallest set of units of ``rest`` whose replacement (on top of ``baseline``) makes the check
        pass, assuming that replacing them all does: [] when none found, None when out of time."""
        if len(rest) == 1:
            return rest
        singles = []
        for unit in rest:
            passed = self.try_rerun(check, baseline + [unit])
            if passed is None:
                return None
            if passed is True:
                singles.append(unit)
        if len(singles) == 1:
            self.shown(singles)
            return singles
        breaking = []
        for unit in singles or rest:  # all but one: does this unit break the check on its own?
            passed = self.try_rerun(check, baseline + [u for u in rest if u != unit])
            if passed is None:
                return None
            if passed is False:
                breaking.append(unit)
        self.shown(breaking)
        if singles:
            return breaking
        if breaking:
            if len(breaking) == len(rest):
                return breaking
            passed = self.try_rerun(check, baseline + breaking)
            if passed is None:
                return None
            if passed is True or passed == NO_EVIDENCE:  # each of them breaks it alone, on a normal rerun
                return breaking
        for size in range(2, len(rest)):
            for combo in itertools.combinations(rest, size):
                passed = self.try_rerun(check, baseline + list(combo))
                if passed is None:
                    return None
                if passed is True:
                    self.shown(combo)
                    return list(combo)
        return []

    def within_units(self, check: Check, found: list[tuple[str, ...]], baseline: list
                     ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The culprits inside the blamed units, and the members that could not be told apart."""
        culprits: list[str] = []
        undecided: list[str] = []
        for unit in found:
            if len(unit) == 1:
                culprits += unit
                continue
            members = [f for f in unit if f in self.known_bad] or [f for f in unit if f in check.targets]
            if not members:  # only functions it uses: maybe one of them can be swapped alone after all
                others = [u for u in found if u != unit]
                alone = [f for f in unit if self.try_rerun(check, baseline + others + [(f,)]) is True]
                self.shown([tuple(alone)])
                members = alone if len(alone) == 1 else []
            if members:
                culprits += members
                undecided += [f for f in unit if f in check.targets and f not in members]
            else:
                undecided += unit
        return tuple(culprits), tuple(undecided)

    def without_reruns(self, check: Check, bad: list, why: str = "") -> Fault:
        """Judging from the simpler checks alone: known-bad functions carry the blame; the targets are
        blamed when nothing they use is known bad, and inconclusive otherwise."""
        known = self.known(bad)
        uses_bad = [f for f in known if f not in check.targets]
        if not uses_bad:
            return Fault(tuple(dict.fromkeys(check.targets + known)), how=why.rstrip("; "))
        pending = tuple(t for t in check.targets if t not in known)
        return Fault(known, pending, "%syour %s, which this check calls, fail%s %s own checks: fix %s first"
                     % (why, listing(uses_bad), "s" if len(uses_bad) == 1 else "",
                        "its" if len(uses_bad) == 1 else "their", "it" if len(uses_bad) == 1 else "them"))
