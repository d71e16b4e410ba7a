"""The assignment this repository grades: CS231n (Spring 2020) assignment 3, TensorFlow track.

It tells the core which package students write (``cs231n``), which of its files are theirs, the notebooks and
their inline questions, the two kinds of worker (numpy only; TensorFlow with Keras 2 as ``tf.keras``) and
where the reference lives (the ``reference`` package, installed with the instructor's grader only).
"""
from __future__ import annotations

from pathlib import Path

from grader.api import Assignment, Limits, Runtime, hookimpl

STUDENT_FILES = (
    "rnn_layers.py",
    "classifiers/rnn.py",
    "net_visualization_tensorflow.py",
    "style_transfer_tensorflow.py",
    "gan_tf.py",
)
NOTEBOOKS = (
    "RNN_Captioning.ipynb",
    "LSTM_Captioning.ipynb",
    "NetworkVisualization-TensorFlow.ipynb",
    "StyleTransfer-TensorFlow.ipynb",
    "Generative_Adversarial_Networks_TF.ipynb",
)
QUESTIONS = {
    "RNN_Captioning.ipynb": ("Inline Question 1",),
    "LSTM_Captioning.ipynb": ("Inline Question",),
    "NetworkVisualization-TensorFlow.ipynb": ("Inline Question",),
    "StyleTransfer-TensorFlow.ipynb": (),
    "Generative_Adversarial_Networks_TF.ipynb": ("Inline Question 1", "Inline Question 2", "Inline Question 3"),
}
"""The inline questions each notebook asks; one not found in a student's notebook is listed unanswered."""
RUNTIMES = {
    "numpy": Runtime({}, Limits(address_space_mb=3072), preload=("numpy",)),
    "tensorflow": Runtime({
        "TF_USE_LEGACY_KERAS": "1",  # tf.keras is Keras 2 (the tf_keras package), as in 2020 student code
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "CUDA_VISIBLE_DEVICES": "-1",
    }, Limits(address_space_mb=6144),  # TensorFlow needs ~4 GB of address space for SqueezeNet's backward
        preload=("numpy", "tensorflow")),  # with TF_USE_LEGACY_KERAS, importing tensorflow imports tf_keras
}
"""The numpy exercises never load TensorFlow; see the environment notes for the limits."""


def reference_folder() -> Path | None:
    """The folder holding the reference ``cs231n`` package, or None where it is not installed."""
    try:
        import reference
    except ImportError:
        return None
    return Path(reference.__file__).resolve().parent


ASSIGNMENT = Assignment(package="cs231n", student_files=STUDENT_FILES, notebooks=NOTEBOOKS, questions=QUESTIONS,
                        runtimes=RUNTIMES, references=tuple(filter(None, [reference_folder()])),
                        name="CS231n (Spring 2020) assignment 3, TensorFlow track")


@hookimpl
def grader_assignment():
    return ASSIGNMENT
