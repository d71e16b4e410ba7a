"""Probes of ``CaptioningRNN.sample``: which part of a wrong decode is wrong (issue #18).

A decode has independent parts: whether the input word is reset to ``<START>`` for each image, where the
words are stored (column 0 holds the first sampled word), when it stops (all ``max_length`` steps, or at
``<END>``: both allowed, as long as ``<END>`` itself is written), whether ``<UNK>`` can be picked, whether each
step is fed the word just sampled, and whether the word is the argmax. The probe model (``probe_model``)
isolates them from the recurrent state: its hidden state ``h0`` is zero, ``Wh`` is zero and the embedding,
``Wx`` and ``b`` make a step's hidden state depend on its input word alone (every LSTM gate block alike, so
the gate order does not matter), and ``W_vocab`` maps each word to the next one of a fixed table. A correct
decode then walks the table (``WALK``); each combination of the parts walks it in its own way
(``candidate``), from two images onward. Two answers settle it: the walk with large score margins, and
the same walk with margins so small that a word drawn at random (not the argmax) shows.

A third answer reads the initial hidden state: on the state model (``state_model``) the input words embed to
zero, so the first word of each caption comes from ``h0`` alone, and the projection is built so that the
projected features (with ``b_proj``), the features projected without ``b_proj``, and a zero state each pick
another first word (``STATES``).

Where the probes find every part right but the check still fails, the sentence says where on the check's own
weights the captions first differ from the reference's.

Pure numpy and plain values: the student's answers come from its sandboxed worker, the judgement runs here.
Probes add words to a failing check's message; they never change its verdict or score.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

WORDS = ("c", "<NULL>", "a", "<END>", "z", "<START>", "d", "<UNK>", "b", "e", "f", "g")
VOCAB = {w: i for i, w in enumerate(WORDS)}
"""The probe's vocabulary: the special tokens at unusual indices (code must look them up by name)."""
TABLE = {"<START>": "a", "a": "<UNK>", "<UNK>": "b", "z": "b", "b": "<END>", "<END>": "c", "c": "d", "d": "e",
         "e": "f", "f": "g", "g": "c", "<NULL>": "c"}
"""The word each word's hidden state scores highest; ``z`` wins where ``<UNK>`` is masked out."""
FALLBACK = "z"
IMAGES, LENGTH, FEATURES = 3, 8, 4
"""Three images (a second and a third show a missing reset), eight steps (past ``<END>``: the fourth word)."""
MARGIN, FALLBACK_SCORE, SMALL = 40.0, 14.0, 0.03
"""Scores: the table's next word gets ``MARGIN`` times its hidden unit (>= 0.6), ``z`` a bias of
``FALLBACK_SCORE``, every other word less than 2; the second probe scales them all by ``SMALL``."""

RESETS = {"right": "", "not-reset": "the input word is not reset to <START> for each image (set it to <START> "
                                   "before each image, or decode the whole batch at once): image 2 starts from the "
                                   "last word of image 1%s"}
STOPPED = ", <END>, where your sample stopped (stopping at <END> is allowed; starting the next image from it is not)"
COLUMNS = {"right": "", "start-written": "<START> is written into column 0, so every word is stored one slot late and "
                                         "the last one is lost (<START> is only the first input; column 0 holds the "
                                         "first sampled word)",
           "null-first": "column 0 is left <NULL> and the words start in column 1 (column 0 holds the first sampled "
                         "word)"}
STOPS = {"none": "", "at-end": "", "before-end": "it stops before writing <END> into the caption (write <END>, "
                                                 "then stop, or keep decoding: stopping at <END> is optional)"}
UNKS = {"right": "", "masked": "<UNK> is never picked: it is masked out of the argmax (take the argmax over the "
                               "whole vocabulary)"}
FEEDS = {"right": "", "start-always": "every step is fed <START>, not the word sampled at the step before"}
STATES = {"right": "", "no-bias": "the initial hidden state leaves out b_proj (h0 = features W_proj + b_proj)",
          "zero": "the initial hidden state is zero (it must be the projected features, features W_proj + b_proj)"}
STATE_WORDS = {"right": ("d", "e", "f"), "no-bias": ("a", "b", "c")}
"""The first word of each image on the state model: its unit has the largest h0 with ``b_proj``, or without."""
STEP_CALL = {"rnn": "rnn_step_forward(x, prev_h, Wx, Wh, b)", "lstm": "lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b)"}
NOT_ARGMAX = ("the words are not the argmax of the scores (are they drawn at random?): take np.argmax(scores, "
              "axis=1) at every step")
CATALOGUED = {("not-reset", "right", "none", "right", "right"), ("right", "start-written", "none", "right", "right"),
              ("right", "right", "none", "masked", "right")}
"""The single mistakes a catalogue entry describes alone (``exercises.captioning.misconceptions``)."""


@dataclass(frozen=True)
class Finding:
    """The parts the probes found (``None``: no combination explains the answer) and the sentence."""

    parts: tuple[str, str, str, str, str] | None
    argmax: bool
    state: str | None
    message: str

    @property
    def mistakes(self) -> tuple[str, ...]:
        named = [p for p in (*(self.parts or ()), self.state) if p not in ("right", "none", "at-end", None)]
        return tuple(named) + (() if self.argmax else ("not-argmax",))

    @property
    def catalogued_alone(self) -> bool:
        """One mistake that a catalogue entry describes alone (the catalogue names it; the probes need not)."""
        return self.argmax and self.state == "right" and self.parts in CATALOGUED


def probe_model(cell_type: str, small: bool = False) -> tuple[dict[str, int], tuple[int, int, int], dict, np.ndarray]:
    """``(vocab, (D, W, H), params, features)`` of the probe: ``W = H = V`` and each word's own hidden unit."""
    V = len(WORDS)
    k = 4 if cell_type == "lstm" else 1
    eye = np.eye(V)
    scores = np.zeros((V, V))
    for word, after in TABLE.items():
        scores[VOCAB[word], VOCAB[after]] = MARGIN
    b_vocab = np.zeros(V)
    b_vocab[VOCAB[FALLBACK]] = FALLBACK_SCORE
    scale = SMALL if small else 1.0
    b_vocab, scores = b_vocab * scale, scores * scale
    b_vocab[VOCAB["<START>"]] = -50.0
    params = {"W_embed": 3.0 * eye, "W_proj": np.zeros((FEATURES, V)), "b_proj": np.zeros(V),
              "Wx": np.tile(2.0 * eye, (1, k)), "Wh": np.zeros((V, k * V)),
              "b": np.full(k * V, -3.0 if cell_type == "lstm" else 0.0), "W_vocab": scores, "b_vocab": b_vocab}
    features = np.linspace(-1.0, 1.0, IMAGES * FEATURES).reshape(IMAGES, FEATURES)
    return dict(VOCAB), (FEATURES, V, V), params, features


def state_model(cell_type: str) -> tuple[dict[str, int], tuple[int, int, int], dict, np.ndarray]:
    """``(vocab, (D, W, H), params, features)`` of the state probe: words embed to zero and ``Wh`` is the identity
    (in every LSTM gate block), so the first word is the one whose unit has the largest ``h0``. Image n's features
    project to 1.0 on the unit of ``STATE_WORDS["no-bias"][n]`` and 0.8 on that of ``STATE_WORDS["right"][n]``,
    which ``b_proj`` raises by 0.5 (1.3): with ``b_proj``, the second wins; without, the first; with a zero state,
    ``z``, by its bias alone."""
    V = len(WORDS)
    k = 4 if cell_type == "lstm" else 1
    features = np.eye(IMAGES, FEATURES)
    W_proj, b_proj = np.zeros((FEATURES, V)), np.zeros(V)
    for n, (plain, biased) in enumerate(zip(STATE_WORDS["no-bias"], STATE_WORDS["right"])):
        W_proj[n, VOCAB[plain]], W_proj[n, VOCAB[biased]] = 1.0, 0.8
        b_proj[VOCAB[biased]] = 0.5
    b_vocab = np.zeros(V)
    b_vocab[VOCAB[FALLBACK]], b_vocab[VOCAB["<START>"]] = 1.0, -50.0
    params = {"W_embed": np.zeros((V, V)), "W_proj": W_proj, "b_proj": b_proj, "Wx": np.zeros((V, k * V)),
              "Wh": np.tile(np.eye(V), (1, k)), "b": np.zeros(k * V), "W_vocab": MARGIN * np.eye(V), "b_vocab": b_vocab}
    return dict(VOCAB), (FEATURES, V, V), params, features


def read_state(answer: np.ndarray, column: int) -> str | None:
    """Which initial state the first words (in ``column``) of the state probe's captions show (None: another)."""
    first = [WORDS[int(w)] if 0 <= int(w) < len(WORDS) else "?" for w in np.asarray(answer)[:, column]]
    if first == [FALLBACK] * IMAGES:
        return "zero"
    return next((state for state, words in STATE_WORDS.items() if first == list(words)), None)


def candidate(reset: str, column: str, stop: str, unk: str, feed: str) -> np.ndarray:
    """The captions a decode with these parts writes for the probe model (a walk of ``TABLE``)."""
    out = np.full((IMAGES, LENGTH), VOCAB["<NULL>"], dtype=np.int64)
    last = "<START>"
    for n in range(IMAGES):
        fed = "<START>" if reset == "right" or n == 0 else last
        first = 0 if column == "right" else 1
        if column == "start-written":
            out[n, 0] = VOCAB["<START>"]
        for t in range(first, LENGTH):
            word = TABLE[fed]
            if unk == "masked" and word == "<UNK>":
                word = FALLBACK
            last = word
            if stop == "before-end" and word == "<END>":
                break
            out[n, t] = VOCAB[word]
            if stop == "at-end" and word == "<END>":
                break
            fed = "<START>" if feed == "start-always" else word
    return out


def combinations() -> list[tuple[str, str, str, str, str]]:
    """Every combination of the parts, fewest mistakes first (where two write the same captions, the simpler
    reading wins)."""
    every = itertools.product(RESETS, COLUMNS, STOPS, UNKS, FEEDS)
    return sorted(every, key=lambda p: sum(x not in ("right", "none", "at-end") for x in p))


def explain(answer: np.ndarray) -> tuple[str, str, str, str, str] | None:
    """The simplest combination of parts whose walk is ``answer`` (None: none is)."""
    answer = np.asarray(answer)
    for parts in combinations():
        if answer.shape == (IMAGES, LENGTH) and np.array_equal(answer, candidate(*parts)):
            return parts
    return None


def first_difference(want: np.ndarray, got: np.ndarray, end: int) -> tuple[int, int] | None:
    """(image, word), both from 0, where ``got`` first differs from ``want`` up to and including each row's first
    ``end`` (stopping there is allowed)."""
    for n in range(want.shape[0]):
        ends = np.flatnonzero(want[n] == end)
        stop = int(ends[0]) + 1 if len(ends) else want.shape[1]
        wrong = np.flatnonzero(got[n, :stop] != want[n, :stop])
        if len(wrong):
            return n, int(wrong[0])
    return None


def judge(large: np.ndarray, small: np.ndarray, state: np.ndarray, cell_type: str,
          where: tuple[int, int] | None = None) -> Finding:
    """The parts of the student's decode from its answers on the probe model with large and with small score
    margins and on the state model; ``where``: (image, word) where its captions first differ from the reference's
    on the check's own weights, for the sentence where the probes find every part right."""
    parts = explain(large)
    argmax = np.array_equal(np.asarray(large), np.asarray(small))
    if parts is None:
        return Finding(None, argmax, None, "on a model whose next word depends on the input word alone, your "
                                           "sample's captions are none of the usual decodes"
                                           + ("" if argmax else ": " + NOT_ARGMAX))
    reset, column, stop, unk, feed = parts
    h0 = read_state(state, 0 if column == "right" else 1)
    mistakes = []
    if reset != "right":
        mistakes.append(RESETS[reset] % (STOPPED if stop != "none" else ""))
    mistakes += [table[p] for table, p in ((COLUMNS, column), (STOPS, stop), (UNKS, unk), (FEEDS, feed)) if table[p]]
    if not argmax:
        mistakes.append(NOT_ARGMAX)
    if h0 not in (None, "right"):
        mistakes.append(STATES[h0])
    if not mistakes:
        state = "h and c" if cell_type == "lstm" else "h"
        if where is None:
            place = "yet fails: compare your captions on this check's weights"
        else:
            place = ("yet on this check's weights image %d differs from the reference's from word %d on: what is left "
                     "is each call of %s (its arguments, the %s it returns fed to the next call), and the step "
                     "function itself" % (where[0] + 1, where[1] + 1, STEP_CALL[cell_type], state))
        return Finding(parts, argmax, h0, "your sample is right in each part the probes isolate (<START> for each "
                                          "image, the words from column 0, its stopping rule, the argmax%s), %s"
                       % (", the initial hidden state" if h0 == "right" else "", place))
    count = {1: "one mistake", 2: "two mistakes", 3: "three mistakes"}.get(len(mistakes), "%d mistakes" % len(mistakes))
    return Finding(parts, argmax, h0, "your sample has %s: %s" % (count, ", and ".join(mistakes)))
