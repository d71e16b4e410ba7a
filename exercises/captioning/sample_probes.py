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

Where the probes find every part right but the check still fails, the sentence says where on the check's own
weights the captions first differ from the reference's (the first word comes from the initial hidden state).

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
    message: str

    @property
    def mistakes(self) -> tuple[str, ...]:
        named = [p for p in (self.parts or ()) if p not in ("right", "none", "at-end")]
        return tuple(named) + (() if self.argmax else ("not-argmax",))

    @property
    def catalogued_alone(self) -> bool:
        """One mistake that a catalogue entry describes alone (the catalogue names it; the probes need not)."""
        return self.argmax and self.parts in CATALOGUED


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


def judge(large: np.ndarray, small: np.ndarray, cell_type: str, where: tuple[int, int] | None = None) -> Finding:
    """The parts of the student's decode from its answers on the probe model with large and with small score
    margins; ``where``: (image, word) where its captions first differ from the reference's on the check's own
    weights, for the sentence where the probes find every part right."""
    parts = explain(large)
    argmax = np.array_equal(np.asarray(large), np.asarray(small))
    if parts is None:
        return Finding(None, argmax, "on a model whose next word depends on the input word alone, your sample's "
                                     "captions are none of the usual decodes" + ("" if argmax else ": " + NOT_ARGMAX))
    reset, column, stop, unk, feed = parts
    mistakes = []
    if reset != "right":
        mistakes.append(RESETS[reset] % (STOPPED if stop != "none" else ""))
    mistakes += [table[p] for table, p in ((COLUMNS, column), (STOPS, stop), (UNKS, unk), (FEEDS, feed)) if table[p]]
    if not argmax:
        mistakes.append(NOT_ARGMAX)
    if not mistakes:
        state = "h and c" if cell_type == "lstm" else "h"
        if where is None:
            place = "yet fails: compare your captions on this check's weights"
        elif where[1] == 0:
            place = ("yet on this check's weights the first word of image %d differs from the reference's: the first "
                     "word comes from the initial hidden state, the projected features (features W_proj + b_proj%s), "
                     "through one call of %s_step_forward" % (where[0] + 1, ", with a zero cell state"
                                                               if cell_type == "lstm" else "", cell_type))
        else:
            place = ("yet on this check's weights image %d differs from the reference's from word %d on: each call of "
                     "%s_step_forward must take the %s the call before returned" % (where[0] + 1, where[1] + 1,
                                                                                   cell_type, state))
        return Finding(parts, argmax, "your sample is right in each part the probes isolate (<START> for each image, "
                                      "the words from column 0, its stopping rule, the argmax), " + place)
    count = {1: "one mistake", 2: "two mistakes", 3: "three mistakes"}.get(len(mistakes), "%d mistakes" % len(mistakes))
    return Finding(parts, argmax, "your sample has %s: %s" % (count, ", and ".join(mistakes)))
