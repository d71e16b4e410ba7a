"""Benchmark: the margins of the training checks, over seeds and over the machine's floating-point paths.

    python bench/training_margins.py [--checks IDS] [--seeds 20] [--variants default,haswell,...] [--json FILE]

For each training check (both overfit runs, the three GAN trainings, the style-transfer, feature-inversion and
class-visualization runs), the reference and every catalogued bug that the check must catch (``MUST_FAIL``) or
must let pass (``MUST_PASS``: bugs whose samples pass it today), and the ones it may catch (``MAY``) are run on
``--seeds`` seeds under each variant of the numerical libraries (``VARIANTS``: OpenBLAS kernels for numpy,
oneDNN's instruction set and TensorFlow's thread count for TensorFlow; each variant is applied to the
reference's worker and to the students' alike, as on another machine). Workers stay warm across seeds, so
the run costs the checks themselves (a few minutes per check on 2 cores).

Prints, per check, the metric (or the verdict) of every implementation over all seeds and variants: the worst
value of correct code against the threshold (its margin: threshold / worst), the best value of each bug that
must fail (its margin: best / threshold), and every verdict that moved between variants of one seed.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "submissions")]

import make_buggy  # noqa: E402

from exercises.assignment import ASSIGNMENT  # noqa: E402
from grader.checks import CheckContext  # noqa: E402
from grader.config import GradingConfig  # noqa: E402
from grader.plugins import get_plugin_manager  # noqa: E402
from grader.runner import evaluate  # noqa: E402
from grader.runtimes import worker_env  # noqa: E402
from grader.session import collect_exercises  # noqa: E402
from grader.staging import stage  # noqa: E402
from grader.submission import load_folder  # noqa: E402
from grader.worker import client  # noqa: E402

M, G, S, V = ("classifiers.rnn.CaptioningRNN.", "gan_tf.", "style_transfer_tensorflow/",
              "net_visualization_tensorflow.class_visualization_update_step/")
CHECKS = {
    # check id: (bugs it must fail, bugs it must pass (their samples pass it today), bugs it may fail)
    M + "loss[rnn]/overfit": (["bug_tanh_projection"], ["bug_embedding_no_add_at"],
                              ["bug_rnn_backward_no_carry", "bug_rnn_tanh_exp"]),
    M + "loss[lstm]/overfit": (["bug_lstm_gate_order"], ["bug_embedding_no_add_at", "bug_lstm_backward_no_carry",
                                                         "bug_lstm_backward_dc_reset", "bug_lstm_mutates_dnext_c"],
                               ["bug_tanh_projection", "bug_lstm_tanh_exp"]),
    G + "run_a_gan[vanilla]/training": (["bug_d_loss_labels_other_batch", "mutant_g_loss_detached"],
                                        ["bug_loss_log_sigmoid", "bug_d_loss_concat_batches"],
                                        ["bug_generator_no_tanh"]),
    G + "run_a_gan[lsgan]/training": (["bug_ls_loss_numpy"], ["bug_discriminator_sigmoid"],
                                      ["bug_generator_no_tanh"]),
    G + "run_a_gan[dcgan]/training": (["bug_d_loss_labels_other_batch", "mutant_dc_discriminator_takes_images"],
                                      ["bug_dc_generator_no_batchnorm"], []),
    S + "style-transfer": (["bug_style_loss_one_element", "bug_gram_not_normalized", "bug_style_loss_gram_of_targets"],
                           ["bug_content_loss_mean", "bug_tv_no_vertical", "bug_tv_channel_axis"], []),
    S + "feature-inversion": (["bug_content_loss_mean", "bug_style_loss_one_element", "bug_tv_channel_axis",
                               "bug_tv_no_vertical", "bug_style_loss_gram_of_targets"],
                              ["bug_gram_not_normalized", "bug_tv_roll"], []),
    V + "run": (["bug_class_vis_l2_sign", "bug_class_vis_l2_not_squared", "bug_class_vis_l2_outside_tape",
                 "bug_class_vis_l2_ignored", "bug_class_vis_l2_on_score", "bug_class_vis_normalized",
                 "bug_class_vis_mean_penalty"], ["bug_class_vis_watch_numpy"], []),
}
MUTANTS = {  # from tests/test_check_sensitivity.py: training-run failures no sample has
    "mutant_g_loss_detached": ("gan_tf.py", [("    return _cross_entropy(tf.convert_to_tensor(logits_fake), real=True)",
                                              "    return tf.constant(_cross_entropy(tf.convert_to_tensor(logits_fake), "
                                              "real=True).numpy())")]),
    "mutant_dc_discriminator_takes_images": ("gan_tf.py", [
        ("        tf.keras.Input(shape=(IMAGE_DIM,)),\n        layers.Reshape((28, 28, 1)),\n",
         "        tf.keras.Input(shape=(28, 28, 1)),\n")]),
}
VARIANTS = {
    # name: (environment of every worker, what differs from the machine's default)
    "default": {},
    "haswell": {"OPENBLAS_CORETYPE": "Haswell", "ONEDNN_MAX_CPU_ISA": "AVX2"},
    "prescott": {"OPENBLAS_CORETYPE": "Prescott", "ONEDNN_MAX_CPU_ISA": "SSE41"},
    "threads2": {"OPENBLAS_NUM_THREADS": "2", "TF_NUM_INTRAOP_THREADS": "2", "TF_NUM_INTEROP_THREADS": "2"},
}
"""``haswell``/``prescott``: older processors' kernels (AVX2, SSE); ``threads2``: two threads per worker (sums
split differently), as a worker on a machine that did not pin them would compute."""


def sample(name: str, dest: Path) -> Path:
    if name == "reference":
        return ROOT / "reference"
    if name in MUTANTS:
        return make_buggy.write_sample(dest / name, *MUTANTS[name])
    return make_buggy.make(name, dest)


@contextlib.contextmanager
def variant_env(settings: dict[str, str]):
    """Workers started inside get ``settings`` (thread counts replace the single-threaded defaults)."""
    saved = dict(client.SINGLE_THREADED)
    client.SINGLE_THREADED.update({k: v for k, v in settings.items() if k in saved})
    try:
        yield {k: v for k, v in settings.items() if k not in saved}
    finally:
        client.SINGLE_THREADED.clear()
        client.SINGLE_THREADED.update(saved)


def run_check(check_id: str, seeds: list[int], variants: list[str], work: Path,
              names: list[str] | None = None) -> list[dict]:
    """One row per (variant, seed, implementation); ``names`` limits the implementations (default: all)."""
    pm = get_plugin_manager()
    exercises = collect_exercises(pm, GradingConfig(seed=0, assignment=ASSIGNMENT, only=(check_id,)))
    [exercise] = exercises
    [check] = exercise.checks
    kind = ASSIGNMENT.runtime(exercise.runtime)
    must_fail, must_pass, may = CHECKS[check_id]
    names = names or ["reference", *must_fail, *must_pass, *may]
    rows = []
    for variant in variants:
        with variant_env(VARIANTS[variant]) as extra:
            env = worker_env(kind, extra=extra)
            reference = client.Executor(ASSIGNMENT.reference, "the reference", "cs231n", env=env, preload=kind.preload)
            students = {}
            for name in names:
                package = work / "staged" / name
                if not package.exists():
                    stage(load_folder(sample(name, work / "samples"), ASSIGNMENT, name), package, ASSIGNMENT)
                students[name] = client.Executor(package, name, "cs231n", env=env, preload=kind.preload)
            try:
                for seed in seeds:
                    config = GradingConfig(seed=seed, assignment=ASSIGNMENT, only=(check_id,))
                    fixtures = exercise.fixtures(config) if exercise.fixtures else {}
                    for name, student in students.items():
                        ctx = CheckContext(check, config, student, reference, fixtures)
                        start = time.process_time()
                        outcome = evaluate(ctx, 600.0, quiet=True)
                        role = ("correct" if name == "reference" else "must fail" if name in must_fail
                                else "must pass" if name in must_pass else "may fail")
                        rows.append({"check": check_id, "variant": variant, "seed": seed, "impl": name, "role": role,
                                     "status": outcome.status, "metric": outcome.metric_value,
                                     "message": outcome.message[:300], "grader_cpu_s": time.process_time() - start})
            finally:
                for executor in [reference, *students.values()]:
                    executor.close()
    return rows


def summarise(check_id: str, rows: list[dict]) -> None:
    pm = get_plugin_manager()
    [exercise] = collect_exercises(pm, GradingConfig(seed=0, assignment=ASSIGNMENT, only=(check_id,)))
    threshold = exercise.checks[0].threshold
    print("\n%s (threshold %s)" % (check_id, threshold))
    by_impl: dict[str, list[dict]] = {}
    for r in rows:
        by_impl.setdefault(r["impl"], []).append(r)
    for name, mine in by_impl.items():
        verdicts = {r["status"] for r in mine}
        values = [r["metric"] for r in mine if r["metric"] is not None and math.isfinite(r["metric"])]
        margin = ""
        if values and threshold:
            worst, best = max(values), min(values)
            margin = ("worst %.4g, margin %.1fx" % (worst, threshold / worst) if mine[0]["role"] in ("correct", "must pass")
                      else "best %.4g, margin %.1fx" % (best, best / threshold))
            margin += "; median %.4g" % statistics.median(values)
        print("  %-42s %-9s %s over %d runs %s" % (name, mine[0]["role"], "/".join(sorted(verdicts)), len(mine), margin))
    moved = {}
    for r in rows:
        moved.setdefault((r["impl"], r["seed"]), set()).add(r["status"])
    flips = sorted(k for k, v in moved.items() if len(v) > 1)
    print("  verdicts that moved between variants: %s" % (", ".join("%s@%d" % k for k in flips) or "none"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checks", default=",".join(CHECKS), help="comma-separated check ids (default: all)")
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--json", type=Path, help="also write every run's row here")
    args = parser.parse_args()
    seeds = [1000 + 7919 * i for i in range(args.seeds)]
    work = Path(tempfile.mkdtemp(prefix="grader-bench-margins-"))
    everything = []
    for check_id in args.checks.split(","):
        start = time.perf_counter()
        rows = run_check(check_id, seeds, args.variants.split(","), work)
        everything += rows
        summarise(check_id, rows)
        print("  (%d runs in %.0f s)" % (len(rows), time.perf_counter() - start))
        if args.json:
            args.json.write_text(json.dumps(everything, indent=1))


if __name__ == "__main__":
    main()
