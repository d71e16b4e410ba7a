"""The per-sample diagnosis table (``submissions/diagnosis_table.py``) reads what a report says: the failed
functions among those asked, the sentences addressed to the student, and the failing checks that say none."""
from conftest import load_sample_maker

table = load_sample_maker("diagnosis_table")


def test_sentences_run_to_the_full_stop_outside_brackets():
    message = ("check failed: Your step has two mistakes: the step is divided by its norm (use the raw gradient; "
               "not grad / ||grad||.), and the L2 term is added. Trailing words. Your loss sums; the rest")
    assert table.sentences(message) == [
        "Your step has two mistakes: the step is divided by its norm (use the raw gradient; not grad / ||grad||.),"
        " and the L2 term is added.",
        "Your loss sums.",
    ]


def test_no_sentence_in_a_bare_measure():
    assert table.sentences("max |yours - reference| / max |reference step| = 9.72e-01") == []


def test_diagnosis_reads_failed_functions_sentences_and_bare_checks():
    report = {
        "functions": {"m.f": {"status": "failed"}, "m.g": {"status": "passed"}, "m.h": {"status": "failed"}},
        "checks": [
            {"status": "failed", "targets": ["m.f"], "message": "Your f adds b twice."},
            {"status": "failed", "targets": ["m.f", "m.g"], "message": "Your f adds b twice. Also: x."},
            {"status": "failed", "targets": ["m.f"], "message": "final loss 3.2 > 0.1"},
            {"status": "failed", "targets": ["m.h"], "message": "Your h is not asked for."},
            {"status": "passed", "targets": ["m.f"], "message": "Your f is fine."},
        ],
    }
    assert table.diagnosis(report, ["m.f", "m.g"]) == (["m.f"], ["Your f adds b twice."], 1)
