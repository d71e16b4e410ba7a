"""Probes of ``CaptioningRNN.sample`` and ``lstm_step_forward`` (issue #18): every combination of their parts is
recognised from the answers the probes read, and named in one sentence; pure numpy, no worker.

The decodes and steps below are the tests' own wrong implementations (as students write them), run on the
probes' inputs; the judgement must name exactly what each one does wrong."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from exercises.captioning import gate_probes, sample_probes
from exercises.captioning.sample_probes import COLUMNS, FEEDS, NOT_ARGMAX, RESETS, STATES, STOPPED, STOPS, UNKS


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


# ------------------------------------------------------------------------------------------ sample


def lstm_step(x, h, c, Wx, Wh, b):
    H = h.shape[1]
    a = x.dot(Wx) + h.dot(Wh) + b
    i, f, o, g = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H]), sigmoid(a[:, 2 * H:3 * H]), np.tanh(a[:, 3 * H:])
    c = f * c + i * g
    return o * np.tanh(c), c


def decode(cell, params, vocab, features, L, per_image=False, reset="right", column="right", stop="none",
           unk="right", feed="right", draw=False, rng=None, h0="right"):
    """A student's greedy decode, written the ways students write it (one image at a time or the whole batch)."""
    p = params
    start, end, null = vocab["<START>"], vocab["<END>"], vocab["<NULL>"]
    N = features.shape[0]
    captions = np.full((N, L), null, dtype=np.int32)
    h0 = {"right": features.dot(p["W_proj"]) + p["b_proj"], "no-bias": features.dot(p["W_proj"]),
          "zero": np.zeros((N, p["W_proj"].shape[1]))}[h0]
    rows = [slice(n, n + 1) for n in range(N)] if per_image or reset != "right" else [slice(0, N)]
    word = np.full(1, start)
    for row in rows:
        h = h0[row]
        c = np.zeros_like(h)
        if reset == "right" or row.start == 0:
            word = np.full(h.shape[0], start)
        first = 0 if column == "right" else 1
        if column == "start-written":
            captions[row, 0] = start
        done = np.zeros(h.shape[0], bool)
        for t in range(first, L):
            x = p["W_embed"][word]
            if cell == "rnn":
                h = np.tanh(x.dot(p["Wx"]) + h.dot(p["Wh"]) + p["b"])
            else:
                h, c = lstm_step(x, h, c, p["Wx"], p["Wh"], p["b"])
            scores = h.dot(p["W_vocab"]) + p["b_vocab"]
            if unk == "masked":
                scores[:, vocab["<UNK>"]] = -np.inf
            if draw:
                probs = np.exp(scores - scores.max(axis=1, keepdims=True))
                sampled = [rng.choice(len(vocab), p=q / q.sum()) for q in probs]
            new = np.asarray(sampled) if draw else np.argmax(scores, axis=1)
            if stop == "before-end" and np.all(new == end):
                word = new
                break
            captions[row, t] = np.where(done, null, new) if stop == "at-end" else new
            done |= new == end
            word = np.full_like(new, start) if feed == "start-always" else new
            if stop == "at-end" and np.all(done):
                break
    return captions


def answers(cell, **kw):
    out = []
    for vocab, _, params, features in (sample_probes.probe_model(cell), sample_probes.probe_model(cell, small=True),
                                       sample_probes.state_model(cell)):
        out.append(decode(cell, params, vocab, features, sample_probes.LENGTH, rng=np.random.default_rng(0), **kw))
    return out


PARTS = list(itertools.product(RESETS, COLUMNS, STOPS, UNKS, FEEDS))


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
@pytest.mark.parametrize("reset,column,stop,unk,feed", PARTS)
def test_every_combination_of_a_decode_s_parts_is_named(cell, reset, column, stop, unk, feed):
    finding = sample_probes.judge(*answers(cell, reset=reset, column=column, stop=stop, unk=unk, feed=feed), cell)
    if feed == "start-always":  # fed <START> at every step, the walk never leaves its first word: no image
        reset, stop, unk = "right", "none", "right"  # starts from another, none reaches <UNK> or <END>
    assert finding.parts == (reset, column, stop, unk, feed) and finding.argmax and finding.state == "right"
    named = [t[p] for t, p in ((COLUMNS, column), (STOPS, stop), (UNKS, unk), (FEEDS, feed)) if t[p]]
    if reset != "right":
        named.insert(0, RESETS[reset] % (STOPPED if stop != "none" else ""))
    if named:
        count = {1: "one mistake", 2: "two mistakes", 3: "three mistakes"}.get(len(named), "%d mistakes" % len(named))
        assert finding.message == "your sample has %s: %s" % (count, ", and ".join(named))
    else:
        assert finding.mistakes == () and "right in each part" in finding.message


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_the_issue_s_real_decode_names_both_the_missing_reset_and_the_stop(cell):
    finding = sample_probes.judge(*answers(cell, per_image=True, reset="not-reset", stop="at-end"), cell)
    assert finding.message == (
        "your sample has one mistake: the input word is not reset to <START> for each image (set it to <START> "
        "before each image, or decode the whole batch at once): image 2 starts from the last word of image 1, <END>, "
        "where your sample stopped (stopping at <END> is allowed; starting the next image from it is not)")
    assert not finding.catalogued_alone


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_words_drawn_at_random_are_not_the_argmax(cell):
    finding = sample_probes.judge(*answers(cell, draw=True), cell)
    assert finding.parts == ("right", "right", "none", "right", "right") and not finding.argmax
    assert finding.message == "your sample has one mistake: " + NOT_ARGMAX


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_a_right_decode_shows_no_mistake_and_says_where_it_still_fails(cell):
    for per_image, stop in ((False, "none"), (True, "none"), (False, "at-end"), (True, "at-end")):
        finding = sample_probes.judge(*answers(cell, per_image=per_image, stop=stop), cell, (1, 0))
        assert finding.mistakes == () and not finding.catalogued_alone
        assert finding.message.startswith("your sample is right in each part the probes isolate (<START> for each "
                                          "image, the words from column 0, its stopping rule, the argmax, the initial "
                                          "hidden state), yet on this check's weights image 2 differs from the "
                                          "reference's from word 1 on: what is left is each call of %s_step_forward("
                                          % cell)
    assert "yet fails" in sample_probes.judge(*answers(cell), cell).message


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
@pytest.mark.parametrize("h0", ["no-bias", "zero"])
def test_a_wrong_initial_state_is_named_with_the_other_mistakes(cell, h0):
    alone = sample_probes.judge(*answers(cell, h0=h0), cell)
    assert alone.state == h0 and alone.message == "your sample has one mistake: " + STATES[h0]
    both = sample_probes.judge(*answers(cell, h0=h0, column="start-written"), cell)
    assert both.message == "your sample has two mistakes: %s, and %s" % (COLUMNS["start-written"], STATES[h0])


def test_single_catalogued_mistakes_are_left_to_the_catalogue():
    for kw in ({"reset": "not-reset"}, {"column": "start-written"}, {"unk": "masked"}):
        assert sample_probes.judge(*answers("lstm", **kw), "lstm").catalogued_alone
    assert not sample_probes.judge(*answers("lstm", column="null-first"), "lstm").catalogued_alone


def test_first_difference_stops_at_the_reference_s_end():
    want = np.array([[4, 5, 3, 7], [4, 5, 6, 7]])
    assert sample_probes.first_difference(want, np.array([[4, 5, 3, 0], [4, 5, 6, 7]]), end=3) is None
    assert sample_probes.first_difference(want, np.array([[4, 5, 3, 0], [4, 1, 6, 7]]), end=3) == (1, 1)


def test_an_unknown_decode_is_said_so():
    large, _, state = answers("rnn")
    odd = large.copy()
    odd[0, 1] = sample_probes.VOCAB["e"]
    assert "none of the usual decodes" in sample_probes.judge(odd, odd, state, "rnn").message


# ------------------------------------------------------------------------------------------ lstm gates


def step(x, prev_h, prev_c, Wx, Wh, b, order="ifog", squash=None, output="tanh", activation="right"):
    """A student's LSTM step: the slices read in ``order``, each gate squashed as ``squash`` says."""
    H = prev_h.shape[1]
    terms = {"Wx": x.dot(Wx), "Wh": prev_h.dot(Wh), "b": b}
    a = sum(v for k, v in terms.items() if activation != "no-" + k)
    squash = {"i": sigmoid, "f": sigmoid, "o": sigmoid, "g": np.tanh, **(squash or {})}
    gate = {name: squash[name](a[:, k * H:(k + 1) * H]) for k, name in enumerate(order)}
    next_c = gate["f"] * prev_c + gate["i"] * gate["g"]
    return gate["o"] * (np.tanh(next_c) if output == "tanh" else next_c), next_c


def gate_answers(inputs, **kw):
    zero = dict(inputs, prev_c=np.zeros_like(inputs["prev_c"]))
    return step(*zero.values(), **kw), step(*inputs.values(), **kw)


ORDERS = ["".join(p) for p in itertools.permutations("ifog")]


@pytest.mark.parametrize("activation", list(gate_probes.ACTIVATIONS))
@pytest.mark.parametrize("output", list(gate_probes.OUTPUTS))
@pytest.mark.parametrize("order", ORDERS)
def test_every_permutation_of_the_gates_is_named_with_the_other_mistakes(order, output, activation):
    inputs = gate_probes.probe_inputs()
    finding = gate_probes.judge(inputs, *gate_answers(inputs, order=order, output=output, activation=activation))
    assert finding.activation == activation and finding.output == output
    assert finding.gates == {g: (order.index(g), gate_probes.RIGHT[g][1]) for g in gate_probes.GATES}
    named = ([gate_probes.ACTIVATIONS[activation]] * (activation != "right")
             + ["the gates are read in the order %s (%s)" % (", ".join(order), gate_probes.ORDER_HINT)]
             * (order != "ifog")
             + [gate_probes.OUTPUTS[output]] * (output != "tanh"))
    if named:
        count = {1: "one mistake", 2: "two mistakes", 3: "three mistakes"}[len(named)]
        assert finding.message == "your lstm_step_forward has %s: %s" % (count, ", and ".join(named))
    assert finding.catalogued_alone == (order == "ifgo" and output == "tanh" and activation == "right")


def test_a_squashing_function_on_the_wrong_slice_is_named():
    inputs = gate_probes.probe_inputs()
    g_sigmoid = gate_probes.judge(inputs, *gate_answers(inputs, order="fiog", squash={"g": sigmoid}))
    assert g_sigmoid.message == (
        "your lstm_step_forward has two mistakes: the gates are read in the order f, i, o, g (%s), and g is squashed "
        "with sigmoid (use tanh)" % gate_probes.ORDER_HINT)
    o_tanh = gate_probes.judge(inputs, *gate_answers(inputs, squash={"o": np.tanh}, output="plain"))
    assert o_tanh.message == ("your lstm_step_forward has two mistakes: o is squashed with tanh (use sigmoid), and "
                              "next_h multiplies o by next_c, not by tanh(next_c)")


def test_a_slice_read_twice_is_named():
    inputs = gate_probes.probe_inputs()

    def twice(x, prev_h, prev_c, Wx, Wh, b):
        H = prev_h.shape[1]
        a = x.dot(Wx) + prev_h.dot(Wh) + b
        i, f, o, g = sigmoid(a[:, :H]), sigmoid(a[:, :H]), sigmoid(a[:, 2 * H:3 * H]), np.tanh(a[:, 3 * H:])
        c = f * prev_c + i * g
        return o * np.tanh(c), c

    zero = dict(inputs, prev_c=np.zeros_like(inputs["prev_c"]))
    finding = gate_probes.judge(inputs, twice(*zero.values()), twice(*inputs.values()))
    assert finding.order is None and finding.message.startswith(
        "your lstm_step_forward has one mistake: the gates do not read one slice each: i from a[:, :H], "
        "f from a[:, :H]")


def test_the_right_step_and_an_unknown_step_are_said_so():
    inputs = gate_probes.probe_inputs()
    right = gate_probes.judge(inputs, *gate_answers(inputs))
    assert right.gates == gate_probes.RIGHT and "is right on inputs that isolate each gate" in right.message
    (h0, c0), (h1, c1) = gate_answers(inputs)
    assert "none of the usual mistakes" in gate_probes.judge(inputs, (h0, c0 + 0.1), (h1, c1)).message
