"""The assignment this repository grades: CS231n (Spring 2020) assignment 3, on either track.

It tells the core which package students write (``cs231n``), which of its files are theirs, the notebooks and
their inline questions, the three kinds of worker (numpy only; TensorFlow with Keras 2 as ``tf.keras``;
PyTorch, an optional extra) and where the reference lives (the ``reference`` package, installed with the
instructor's grader only). Three notebooks come in a TensorFlow and a PyTorch version, of which a student
does one (``TWINS``); the exercises of both declare their track (see ``grader.tracks``).
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
RUNTIMES = {
    "numpy": Runtime({}, Limits(address_space_mb=3072)),
    "tensorflow": Runtime({
        "TF_USE_LEGACY_KERAS": "1",  # tf.keras is Keras 2 (the tf_keras package), as in 2020 student code
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "CUDA_VISIBLE_DEVICES": "-1",
    }, Limits(address_space_mb=6144)),  # TensorFlow needs ~4 GB of address space for SqueezeNet's backward
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


ASSIGNMENT = Assignment(package="cs231n", student_files=STUDENT_FILES, notebooks=NOTEBOOKS, questions=QUESTIONS,
                        runtimes=RUNTIMES, references=tuple(filter(None, [reference_folder()])),
                        name="CS231n (Spring 2020) assignment 3", twins=TWINS)


@hookimpl
def grader_assignment():
    return ASSIGNMENT
