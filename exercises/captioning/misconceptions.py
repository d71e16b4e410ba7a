"""The captioning notebooks' known mistakes (see ``grader.misconceptions``); implementations in ``mistakes``."""
from __future__ import annotations

from grader.api import Misconception, hookimpl

L = "rnn_layers."
MODEL = "classifiers.rnn.CaptioningRNN."
IMPL = "exercises.captioning.mistakes:"

NO_CARRY_HINT = "give step t's backward dh[:, t, :] + dprev_h, where dprev_h is what step t + 1's backward returned"

LAYERS = (
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
        "lstm_step_forward.exp-tanh", L + "lstm_step_forward",
        "your lstm_step_forward computes tanh from exponentials, which overflow to NaN for large pre-activations",
        "use np.tanh for g and for tanh(next_c)", implementation=IMPL + "lstm_step_forward_exp_tanh"),
    Misconception(
        "lstm_step_forward.gates-ifgo", L + "lstm_step_forward",
        "your lstm_step_forward reads the gates in the order i, f, g, o (PyTorch's)",
        "read them in the assignment's order i, f, o, g (o = sigmoid(a[:, 2H:3H]), g = tanh(a[:, 3H:])) and "
        "concatenate di, df, do, dg in that order in the backward",
        implementation=IMPL + "lstm_step_forward_gates_ifgo"),
    Misconception(
        "rnn_backward.no-carried-dh", L + "rnn_backward",
        "your rnn_backward gives each step only dh[:, t, :], dropping the gradient carried back from the next step",
        NO_CARRY_HINT, implementation=IMPL + "rnn_backward_no_carry"),
    Misconception(
        "lstm_backward.no-carried-dh", L + "lstm_backward",
        "your lstm_backward gives each step only dh[:, t, :], dropping the hidden state's gradient carried back "
        "from the next step", NO_CARRY_HINT, implementation=IMPL + "lstm_backward_no_carried_dh"),
    Misconception(
        "lstm_backward.no-carried-dc", L + "lstm_backward",
        "your lstm_backward starts every step with a zero cell-state gradient instead of the dprev_c of the step "
        "after it", "create dprev_c = np.zeros(...) once before the loop and pass each step's dprev_c to the step "
        "before", implementation=IMPL + "lstm_backward_no_carried_dc"),
)

SAMPLE = (
    Misconception(
        "sample.start-in-column-0", MODEL + "sample",
        "your sample writes <START> into column 0 of the captions, so every word is stored one slot late",
        "<START> is only the first input, and column 0 must hold the first sampled word",
        implementation=IMPL + "sample_start_in_column_0"),
    Misconception(
        "sample.start-not-reset", MODEL + "sample",
        "your sample decodes one image at a time and feeds each image the last word of the previous image "
        "instead of <START>", "set the input word to <START> again before decoding each image (or decode the "
        "whole batch at once)", implementation=IMPL + "sample_start_not_reset"),
    Misconception(
        "sample.h-c-swapped", MODEL + "sample",
        "your sample passes the cell state as prev_h and the hidden state as prev_c to lstm_step_forward",
        "call lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b)", implementation=IMPL + "sample_h_c_swapped"),
    Misconception(
        "sample.next-c-unbound", MODEL + "sample",
        "your sample uses the LSTM's cell state for cell_type='rnn' too, where no step ever assigned it",
        "only read and update the cell state in the LSTM branch",
        # Python 3.11+: "cannot access local variable 'next_c' where it is not associated with a value";
        # Python 3.7-3.10: "local variable 'next_c' referenced before assignment"
        raises=r"^UnboundLocalError: .*'(c|\w*_c|c_\w+|\w*cell\w*)'"),
    Misconception(
        "sample.array-as-number", MODEL + "sample",
        "your sample passes an array where NumPy needs a single number (int(x) or captions[n, t] = x, with x = "
        "np.argmax(scores, axis=1)), which NumPy 2 refuses even for a one-element array (NumPy 1 accepted that)",
        "take the number out with x.item() or x[0], or decode the whole batch at once with (N,) arrays",
        raises=r"^(TypeError: only (0-dimensional|size-1|length-1) arrays can be converted to Python scalars"
               r"|ValueError: setting an array element with a sequence)"),
    Misconception(
        "sample.unk-masked", MODEL + "sample",
        "your sample never picks <UNK>, which it masks out of the argmax",
        "take the argmax over the whole vocabulary, <UNK> included, as the reference decode does",
        implementation=IMPL + "sample_unk_masked"),
)

MISCONCEPTIONS = LAYERS + SAMPLE


@hookimpl
def grader_misconceptions(config):
    return list(MISCONCEPTIONS)
