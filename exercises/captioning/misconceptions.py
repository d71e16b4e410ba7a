"""The captioning notebooks' known mistakes (see ``grader.misconceptions``); implementations in ``mistakes``."""
from __future__ import annotations

from grader import hookimpl
from grader.misconceptions import Misconception

L = "rnn_layers."
MODEL = "classifiers.rnn.CaptioningRNN."
IMPL = "exercises.captioning.mistakes:"

MISCONCEPTIONS = (
    Misconception(
        "word_embedding_backward.assign-not-add-at", L + "word_embedding_backward",
        "your word_embedding_backward adds with dW[x] += dout, which keeps one update per repeated word",
        "accumulate with np.add.at(dW, x, dout), which adds every occurrence",
        implementation=IMPL + "word_embedding_backward_assign"),
    Misconception(
        "rnn_step_forward.exp-tanh", L + "rnn_step_forward",
        "your rnn_step_forward computes tanh from exponentials, which overflow to NaN for large pre-activations",
        "use np.tanh", implementation=IMPL + "rnn_step_forward_exp_tanh"),
    Misconception(
        "sample.start-in-column-0", MODEL + "sample",
        "your sample writes <START> into column 0 of the captions",
        "<START> is only the first input: column 0 must hold the first sampled word"),
)


@hookimpl
def grader_misconceptions(config):
    return list(MISCONCEPTIONS)
