"""Localization precision under hostile or slow code (issue #18, item 3), as logic: a missing function is
blamed alone; a rerun that ended for time or resource reasons is no evidence; a function that passes its own
checks keeps ``passed`` unless a normally completed rerun shows it at fault. Reruns are an oracle here."""
from __future__ import annotations

from grader.localization import NO_EVIDENCE, Fault, Localizer
from grader.verdicts import function_verdicts
from test_localization import CHECKS, PAIRS, SEQ_F, STEP_F, Oracle, results

STATUSES = {"step_f/own": "passed", "seq_f/own": "failed"}
CHOSEN = [c for c in CHECKS if c.id in STATUSES]


class Flooding(Oracle):
    """``broken`` is wrong; while the student's step runs, every rerun ends for time or output reasons."""

    def __call__(self, chk, swapped):
        answer = super().__call__(chk, swapped)
        return answer if answer is None or STEP_F in swapped else NO_EVIDENCE


def verdicts(faults: dict[str, Fault]) -> dict[str, str]:
    return {n: v.status for n, v in function_verdicts(CHOSEN, results(STATUSES, faults)).items()}


def test_a_missing_function_is_blamed_alone_without_reruns():
    oracle = Oracle(SEQ_F)
    faults = Localizer(CHOSEN, results(STATUSES), PAIRS, oracle,
                       missing={SEQ_F: "is not defined in layers.py"}).run()
    assert faults["seq_f/own"] == Fault((SEQ_F,), (), "your `forward` is not defined in layers.py")
    assert oracle.calls == []
    assert verdicts(faults) == {STEP_F: "passed", SEQ_F: "failed"}


def test_a_rerun_that_ends_for_resource_reasons_is_no_evidence_against_the_correct_step():
    """Swapping the sequence in runs the (flooding) student step: no evidence; swapping the step in shows,
    on a normal run, that the sequence breaks the check alone."""
    faults = Localizer(CHOSEN, results(STATUSES), PAIRS, Flooding(SEQ_F)).run()
    assert faults["seq_f/own"].culprits == (SEQ_F,) and faults["seq_f/own"].inconclusive == ()
    assert verdicts(faults) == {STEP_F: "passed", SEQ_F: "failed"}


def test_when_no_rerun_completes_normally_nothing_is_blamed_and_the_target_is_inconclusive():
    faults = Localizer(CHOSEN, results(STATUSES), PAIRS, lambda chk, swapped: NO_EVIDENCE).run()
    assert faults["seq_f/own"].culprits == () and faults["seq_f/own"].inconclusive == (SEQ_F,)
    assert verdicts(faults) == {STEP_F: "passed", SEQ_F: "inconclusive"}


def test_a_function_passing_its_own_checks_is_spared_unless_a_normal_rerun_showed_it_at_fault():
    localizer = Localizer(CHOSEN, results(STATUSES), PAIRS)
    check = CHOSEN[1]
    spared = localizer.guard(check, Fault((STEP_F,), (), "assumed"))
    assert spared.culprits == () and spared.inconclusive == (SEQ_F,)
    assert "`step_forward` passes all its own checks" in spared.how
    localizer.evidenced = {STEP_F}
    assert localizer.guard(check, Fault((STEP_F,))).culprits == (STEP_F,)


def test_a_normal_failure_still_blames_a_step_whose_own_checks_pass():
    """The guard is no amnesty: a step that passes its own checks but breaks the sequence on a normal rerun is
    blamed (the sequence's swap passes only with the step swapped too)."""
    faults = Localizer(CHOSEN, results(STATUSES), PAIRS, Oracle(STEP_F)).run()
    assert faults["seq_f/own"].culprits == (STEP_F,)
