"""The assignment this repository grades: CS231n (Spring 2020) assignment 3, on either track.

It tells the core which package students write (``cs231n``), which of its files are theirs, the notebooks and
their inline questions, the three kinds of worker (numpy only; TensorFlow with Keras 2 as ``tf.keras``;
PyTorch, an optional extra) and where the reference lives (the ``reference`` package, installed with the
instructor's grader only). Three notebooks come in a TensorFlow and a PyTorch version, of which a student
does one (``TWINS``); the exercises of both declare their track (see ``grader.tracks``).
"""
from __future__ import annotations

from pathlib import Path

from grader.api import Assignment, Limits, RubricItem, Runtime, WrittenQuestion, hookimpl

STUDENT_FILES = (
    "rnn_layers.py",
    "classifiers/rnn.py",
    "net_visualization_tensorflow.py",
    "style_transfer_tensorflow.py",
    "gan_tf.py",
    "net_visualization_pytorch.py",
    "style_transfer_pytorch.py",
    "gan_pytorch.py",
)
TRACK_FILES = {
    "tensorflow": ("net_visualization_tensorflow.py", "style_transfer_tensorflow.py", "gan_tf.py"),
    "pytorch": ("net_visualization_pytorch.py", "style_transfer_pytorch.py", "gan_pytorch.py"),
}
"""The student files of each track's three notebooks (the captioning files belong to both)."""
NOTEBOOKS = (
    "RNN_Captioning.ipynb",
    "LSTM_Captioning.ipynb",
    "NetworkVisualization-TensorFlow.ipynb",
    "StyleTransfer-TensorFlow.ipynb",
    "Generative_Adversarial_Networks_TF.ipynb",
    "NetworkVisualization-PyTorch.ipynb",
    "StyleTransfer-PyTorch.ipynb",
    "Generative_Adversarial_Networks_PyTorch.ipynb",
)
TWINS = {
    "NetworkVisualization-PyTorch.ipynb": "NetworkVisualization-TensorFlow.ipynb",
    "StyleTransfer-PyTorch.ipynb": "StyleTransfer-TensorFlow.ipynb",
    "Generative_Adversarial_Networks_PyTorch.ipynb": "Generative_Adversarial_Networks_TF.ipynb",
}
"""The PyTorch notebooks and the TensorFlow ones they stand in for: "You only need to complete one of these two
notebooks." Each asks the same inline questions as its TensorFlow twin."""
QUESTIONS = {
    "RNN_Captioning.ipynb": ("Inline Question 1",),
    "LSTM_Captioning.ipynb": ("Inline Question",),
    "NetworkVisualization-TensorFlow.ipynb": ("Inline Question",),
    "StyleTransfer-TensorFlow.ipynb": (),
    "Generative_Adversarial_Networks_TF.ipynb": ("Inline Question 1", "Inline Question 2", "Inline Question 3"),
}
QUESTIONS.update({pytorch: QUESTIONS[tensorflow] for pytorch, tensorflow in TWINS.items()})
"""The inline questions each notebook asks; one not found in a student's notebook is listed unanswered."""


def _rubric(points: float, *partial: tuple[str, float, str]) -> tuple[RubricItem, ...]:
    """Full marks, the partial credits given, and no credit: each one click in ``grader review``."""
    return ((RubricItem("correct", points, "Correct and complete."),)
            + tuple(RubricItem(i, p, c) for i, p, c in partial)
            + (RubricItem("incorrect", 0, "Incorrect or missing: see the solutions."),))


WRITTEN = (
    WrittenQuestion("rnn.q1", {"RNN_Captioning.ipynb": "Inline Question 1"},
                    "RNN Q1: one advantage and one disadvantage of a character-level captioning RNN", 4, _rubric(
                        4, ("advantage-only", 2, "The advantage is right (a far smaller vocabulary: smaller embedding "
                                                 "and output layers, no unknown words); the disadvantage is missing "
                                                 "or wrong."),
                        ("disadvantage-only", 2, "The disadvantage is right (much longer sequences: long-range "
                                                 "dependencies are harder to learn, training and sampling are "
                                                 "slower); the advantage is missing or wrong."))),
    WrittenQuestion("lstm.q1", {"LSTM_Captioning.ipynb": "Inline Question"},
                    "LSTM Q1: why the gates use a sigmoid, not a ReLU", 2, _rubric(
                        2, ("partial", 1, "Partly right: the gates must stay between 0 and 1 (a fraction let through); "
                                          "a ReLU is unbounded above."))),
    WrittenQuestion("netvis.q1", {"NetworkVisualization-TensorFlow.ipynb": "Inline Question"},
                    "Network visualization Q1: gradient ascent with the saliency map instead of the gradient", 2,
                    _rubric(2, ("partial", 1, "Right verdict (false), but the reason is missing: the saliency map "
                                              "is the absolute value of the gradient (and a max over channels), so "
                                              "it loses the sign and the per-channel direction."))),
    WrittenQuestion("gan.q1", {"Generative_Adversarial_Networks_TF.ipynb": "Inline Question 1"},
                    "GAN Q1: min-max of f(x, y) = xy, and six alternating gradient steps from (1, 1)", 4, _rubric(
                        4, ("value-only", 2, "The min-max value (0) is right; the table of steps is wrong or "
                                             "incomplete."),
                        ("steps-only", 2, "The table of steps is right; the min-max value (0) is missing or "
                                          "wrong."))),
    WrittenQuestion("gan.q2", {"Generative_Adversarial_Networks_TF.ipynb": "Inline Question 2"},
                    "GAN Q2: does the alternating method reach the optimum?", 2, _rubric(
                        2, ("partial", 1, "Right verdict (no: it cycles around the saddle point), without the "
                                          "reason."))),
    WrittenQuestion("gan.q3", {"Generative_Adversarial_Networks_TF.ipynb": "Inline Question 3"},
                    "GAN Q3: generator loss falls while the discriminator's stays high", 2, _rubric(
                        2, ("partial", 1, "Right verdict (not a good sign), without the reason: the discriminator "
                                          "is not learning, so the generator's falling loss means little."))),
)
"""The written questions, graded by hand: ids unique across the assignment, default points and rubrics (a
course overrides both in ``gradebook.toml``, docs/written-answers.md). A twin notebook (the PyTorch one asking
the same questions) adds itself to ``asked_in`` under the same id."""
WRITTEN += tuple(WrittenQuestion(q.id, {pytorch: q.asked_in[tensorflow]})
                 for q in WRITTEN for pytorch, tensorflow in TWINS.items() if tensorflow in q.asked_in)
"""(The PyTorch notebooks ask the TensorFlow ones' questions: the same ids, no points of their own, so a
question counts once whichever track a student took.)"""
RUNTIMES = {
    "numpy": Runtime({}, Limits(address_space_mb=3072), preload=("numpy",)),
    "tensorflow": Runtime({
        "TF_USE_LEGACY_KERAS": "1",  # tf.keras is Keras 2 (the tf_keras package), as in 2020 student code
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "CUDA_VISIBLE_DEVICES": "-1",
    }, Limits(address_space_mb=6144),  # TensorFlow needs ~4 GB of address space for SqueezeNet's backward
        preload=("numpy", "tensorflow")),  # with TF_USE_LEGACY_KERAS, importing tensorflow imports tf_keras
    "pytorch": Runtime({
        "GRADER_WORKER_SETUP": "torch",  # torch on one thread, torchvision importable (grader.worker.frameworks)
        "CUDA_VISIBLE_DEVICES": "",
    }, Limits(address_space_mb=2048), requires=("torch", "torchvision"),
        install_hint="pip install -e '.[pytorch]' (torch and torchvision)"),  # its SqueezeNet backward peaks at ~0.9 GB
}
"""The numpy exercises never load TensorFlow or PyTorch; see the environment notes for the limits."""


def reference_folder() -> Path | None:
    """The folder holding the reference ``cs231n`` package, or None where it is not installed."""
    try:
        import reference
    except ImportError:
        return None
    return Path(reference.__file__).resolve().parent


def starter_folder() -> Path | None:
    """The folder holding the skeleton students start from (``submissions/skeleton`` of this repository),
    or None where the grader is installed without it."""
    folder = Path(__file__).resolve().parents[1] / "submissions" / "skeleton"
    return folder if (folder / "cs231n").is_dir() else None


ASSIGNMENT = Assignment(package="cs231n", student_files=STUDENT_FILES, notebooks=NOTEBOOKS, questions=QUESTIONS,
                        runtimes=RUNTIMES, references=tuple(filter(None, [reference_folder()])),
                        name="CS231n (Spring 2020) assignment 3", written=WRITTEN, twins=TWINS,
                        starters=tuple(filter(None, [starter_folder()])))


@hookimpl
def grader_assignment():
    return ASSIGNMENT
