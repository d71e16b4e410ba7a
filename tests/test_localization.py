"""Fault localization as logic: which functions a failing check is blamed on, given what reruns with the
reference's functions swapped in would say (an oracle stands in for the reruns here)."""
from __future__ import annotations

from grader.checks import Check
from grader.localization import Fault, Localizer, display_name
from grader.model import CheckResult
from grader.verdicts import function_verdicts

STEP_F, STEP_B = "layers.step_forward", "layers.step_backward"
SEQ_F, SEQ_B = "layers.forward", "layers.backward"
LOSS = "model.Model.loss[a]"
PAIRS = ((STEP_F, STEP_B), (SEQ_F, SEQ_B))


def check(cid: str, targets: tuple, uses: tuple = ()) -> Check:
    return Check(id=cid, title=cid, targets=targets, uses=uses, points=1.0, run=lambda ctx: None, modules=())


def results(statuses: dict[str, str], faults: dict[str, Fault] | None = None) -> dict[str, CheckResult]:
    out = {cid: CheckResult(cid, "ex", [], status, 0.0, 1.0) for cid, status in statuses.items()}
    for cid, fault in (faults or {}).items():
        out[cid].blame, out[cid].inconclusive, out[cid].attribution = list(fault.culprits), list(
            fault.inconclusive), fault.how
    return out


CHECKS = [
    check("step_f/own", (STEP_F,)),
    check("step_b/own", (STEP_B,), (STEP_F,)),
    check("seq_f/own", (SEQ_F,), (STEP_F,)),
    check("seq_b/own", (SEQ_B,), (SEQ_F, STEP_F, STEP_B)),
    check("loss/own", (LOSS,), (SEQ_F, SEQ_B, STEP_F, STEP_B)),
]


class Oracle:
    """Passes a rerun when every function in ``broken`` is swapped for the reference's."""

    def __init__(self, *broken: str, budget: int = 100):
        self.broken = set(broken)
        self.calls: list[tuple[str, frozenset]] = []
        self.budget = budget

    def __call__(self, chk: Check, swapped: frozenset) -> bool | None:
        if len(self.calls) >= self.budget:
            return None
        self.calls.append((chk.id, swapped))
        involved = set(chk.targets + chk.uses)
        return (self.broken & involved) <= swapped


def localize(statuses: dict[str, str], oracle=None, checks=CHECKS, couplings=PAIRS) -> dict[str, Fault]:
    return Localizer(checks, results(statuses), couplings, oracle).run()


def test_a_check_of_one_function_blames_it_without_reruns():
    oracle = Oracle(STEP_F)
    faults = localize({"step_f/own": "failed"}, oracle)
    assert faults["step_f/own"].culprits == (STEP_F,) and oracle.calls == []


def test_a_bug_in_a_used_function_is_not_blamed_on_the_functions_that_call_it():
    oracle = Oracle(STEP_F)
    statuses = {"step_f/own": "failed", "step_b/own": "failed", "seq_f/own": "failed", "seq_b/own": "failed",
                "loss/own": "failed"}
    faults = localize(statuses, oracle)
    assert faults["seq_f/own"].culprits == (STEP_F,) and faults["seq_f/own"].inconclusive == ()
    assert faults["loss/own"].culprits == (STEP_F,) and "with the reference's" in faults["loss/own"].how
    assert faults["seq_b/own"].culprits == (STEP_F,)
    # the step's own backward shares its cache: its check cannot judge it while the forward is wrong
    assert faults["step_b/own"].culprits == (STEP_F,) and faults["step_b/own"].inconclusive == (STEP_B,)
    verdicts = function_verdicts(CHECKS, results(statuses, faults))
    assert {n: v.status for n, v in verdicts.items()} == {
        STEP_F: "failed", STEP_B: "inconclusive", SEQ_F: "passed", SEQ_B: "passed", LOSS: "passed"}
    assert verdicts[STEP_F].blame.startswith("fails step_f/own; makes ") and "loss/own" in verdicts[STEP_F].blame


def test_a_fault_only_a_composite_check_reveals_is_found_by_swapping_one_unit_at_a_time():
    oracle = Oracle(SEQ_B)  # the backward passes its own check (say a bug its check misses) but breaks the loss
    faults = localize({"loss/own": "failed"}, oracle)
    assert faults["loss/own"].culprits == (SEQ_B,)
    assert "with the reference's `forward` and `backward` it passes" in faults["loss/own"].how
    assert all(cid == "loss/own" for cid, _ in oracle.calls)
    verdicts = function_verdicts(CHECKS[-1:], results({"loss/own": "failed"}, faults))
    assert {n: v.status for n, v in verdicts.items()} == {LOSS: "passed", SEQ_B: "failed"}


def test_the_target_itself_is_blamed_when_swapping_it_fixes_the_check():
    faults = localize({"loss/own": "failed"}, Oracle(LOSS))
    assert faults["loss/own"].culprits == (LOSS,)


def test_two_faults_that_each_break_the_check_are_both_blamed():
    oracle = Oracle(LOSS, SEQ_B)
    faults = localize({"loss/own": "failed"}, oracle)
    assert set(faults["loss/own"].culprits) == {LOSS, SEQ_B}


def test_inside_a_blamed_pair_of_used_functions_a_lone_swap_decides_when_it_can():
    oracle = Oracle(STEP_F)
    faults = localize({"loss/own": "failed"}, oracle)  # the step's own checks pass: only the loss shows it
    assert faults["loss/own"].culprits == (STEP_F,)


def test_a_pair_that_cannot_be_split_is_inconclusive_not_failed():
    class PairOnly(Oracle):
        def __call__(self, chk, swapped):  # swapping one of the pair alone breaks the cache: never passes
            if (STEP_F in swapped) != (STEP_B in swapped):
                self.calls.append((chk.id, swapped))
                return False
            return super().__call__(chk, swapped)

    faults = localize({"loss/own": "failed"}, PairOnly(STEP_F))
    assert faults["loss/own"].culprits == ()
    assert "could not tell which" in faults["loss/own"].how
    verdicts = function_verdicts(CHECKS[-1:], results({"loss/own": "failed"}, faults))
    assert {n: v.status for n, v in verdicts.items()} == {LOSS: "passed", STEP_F: "inconclusive",
                                                          STEP_B: "inconclusive"}


def test_without_reruns_a_known_bad_dependency_makes_the_target_inconclusive():
    statuses = {"step_f/own": "failed", "seq_f/own": "failed", "loss/own": "failed"}
    faults = localize(statuses, None)
    assert faults["seq_f/own"].culprits == (STEP_F,) and faults["seq_f/own"].inconclusive == (SEQ_F,)
    assert "your `step_forward`, which this check calls, fails its own checks" in faults["seq_f/own"].how
    verdicts = function_verdicts([c for c in CHECKS if c.id in statuses], results(statuses, faults))
    assert {n: v.status for n, v in verdicts.items()} == {STEP_F: "failed", SEQ_F: "inconclusive",
                                                          LOSS: "inconclusive"}


def test_without_reruns_and_nothing_known_bad_the_targets_are_blamed():
    faults = localize({"loss/own": "failed"}, None)
    assert faults["loss/own"].culprits == (LOSS,)


def test_when_the_budget_runs_out_the_conservative_rule_applies():
    statuses = {"step_f/own": "failed", "seq_f/own": "failed"}
    faults = localize(statuses, Oracle(STEP_F, budget=0))
    assert faults["seq_f/own"].inconclusive == (SEQ_F,) and "ran out of time" in faults["seq_f/own"].how


def test_a_check_that_names_its_culprit_is_believed():
    declared = {"step_b/own": Fault((STEP_F,))}  # e.g. the forward modified its input
    faults = Localizer(CHECKS, results({"step_b/own": "failed"}), PAIRS, Oracle(), declared).run()
    assert faults["step_b/own"].culprits == (STEP_F,)
    verdicts = function_verdicts(CHECKS[1:2], results({"step_b/own": "failed"}, faults))
    assert verdicts[STEP_B].status == "passed" and verdicts[STEP_F].status == "failed"


def test_a_skipped_check_leaves_its_function_skipped():
    verdicts = function_verdicts(CHECKS[:1], results({"step_f/own": "skipped"}))
    assert verdicts[STEP_F].status == "skipped"


def test_display_names():
    assert display_name("rnn_layers.rnn_forward") == "rnn_forward"
    assert display_name("classifiers.rnn.CaptioningRNN.loss[rnn]") == "CaptioningRNN.loss[rnn]"
