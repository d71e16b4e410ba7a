"""The reference scores full marks on 20 different seeds in a row (thresholds hold with a margin)."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import ROOT, grade

SEEDS = [1000 + 7919 * i for i in range(20)]


@pytest.mark.slow
def test_reference_full_marks_on_20_seeds(tmp_path):
    def run(seed):
        return seed, grade([ROOT / "reference"], tmp_path / str(seed), "--seed", str(seed),
                           "--only", "rnn_captioning,lstm_captioning")["reference"]

    with ThreadPoolExecutor(2) as pool:
        reports = dict(pool.map(run, SEEDS))
    failures = {seed: [(c["id"], c["message"]) for c in r["checks"] if c["status"] != "passed"]
                for seed, r in reports.items()}
    assert not any(failures.values()), failures
    for cell, threshold in (("rnn", 0.1), ("lstm", 0.5)):
        finals = [next(c for c in r["checks"] if c["id"].endswith("loss[%s]/overfit" % cell))["metric"]["value"]
                  for r in reports.values()]
        assert max(finals) < 0.85 * threshold, (cell, sorted(finals))
