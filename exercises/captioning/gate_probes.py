"""Probes of ``lstm_step_forward``: which gate a wrong step reads from which slice, and what else is wrong (#18).

A step has independent parts: the activation (which of ``x Wx``, ``prev_h Wh`` and ``b`` it sums), which of the
four H-wide slices each gate reads and with which squashing function (sigmoid for i, f, o; tanh for g), and
what ``next_h`` multiplies ``o`` with (``tanh(next_c)``, or ``next_c`` itself). The probe inputs make the
activation known without computing it the step's way: ``x`` and ``prev_h`` are identity matrices, so the
activation is ``Wx + Wh + b`` row by row (``probe_inputs``). Two answers of the student's step, with
``prev_c = 0`` and with a random ``prev_c``, then isolate each gate by what it does:

* f: the change of ``next_c`` between the two answers, per unit of ``prev_c``;
* i and g: ``next_c`` with ``prev_c = 0`` (their product);
* o: ``next_h`` over ``tanh(next_c)`` (or over ``next_c``), in both answers.

Each is matched against every slice squashed either way, so any permutation of the slices is named, with the
other mistakes, in one sentence.

Pure numpy and plain values: the student's answers come from its sandboxed worker, the judgement runs here.
Probes add words to a failing check's message; they never change its verdict or score.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

N = H = 5
MATCH = 1e-6
"""A reading explains an answer when max |answer - reading| / max |answer| is below this (float64 rounding)."""
GATES = ("i", "f", "o", "g")
RIGHT = {"i": (0, "sigmoid"), "f": (1, "sigmoid"), "o": (2, "sigmoid"), "g": (3, "tanh")}
SLICES = ("a[:, :H]", "a[:, H:2H]", "a[:, 2H:3H]", "a[:, 3H:]")
SQUASH = {"sigmoid": lambda z: 0.5 * (1.0 + np.tanh(0.5 * z)), "tanh": np.tanh}
ACTIVATIONS = {"right": "", "no-b": "the activation leaves out b (a = x Wx + prev_h Wh + b)",
               "no-Wh": "the activation leaves out prev_h Wh (a = x Wx + prev_h Wh + b)",
               "no-Wx": "the activation leaves out x Wx (a = x Wx + prev_h Wh + b)"}
OUTPUTS = {"tanh": "", "plain": "next_h multiplies o by next_c, not by tanh(next_c)"}
ORDER_HINT = "the assignment's order is i, f, o, g: i, f, o from a[:, :H], a[:, H:2H], a[:, 2H:3H], g from a[:, 3H:]"


@dataclass(frozen=True)
class Finding:
    """The readings the probes found (``None`` where none explains the answers) and the sentence."""

    activation: str | None
    gates: dict | None
    """gate -> (slice, squashing function)."""
    output: str | None
    message: str

    @property
    def order(self) -> str | None:
        """The gates in the order of the slices they read (``"ifgo"``), where they read each slice once."""
        if not self.gates or sorted(s for s, _ in self.gates.values()) != [0, 1, 2, 3]:
            return None
        return "".join(sorted(GATES, key=lambda g: self.gates[g][0]))

    @property
    def catalogued_alone(self) -> bool:
        """The one mistake a catalogue entry describes alone: PyTorch's order i, f, g, o."""
        return (self.activation == "right" and self.output == "tanh" and self.order == "ifgo"
                and all(self.gates[g][1] == RIGHT[g][1] for g in GATES))


def probe_inputs(seed: int = 231) -> dict[str, np.ndarray]:
    """``x``, ``prev_h`` (identities), ``prev_c`` (random), ``Wx``, ``Wh``, ``b``: pre-activations of either sign,
    0.3 to 2 in size, so that every slice squashed either way gives other values."""
    rng = np.random.default_rng(seed)

    def part(*shape):
        return rng.uniform(0.15, 1.0, shape) * rng.choice((-1.0, 1.0), shape)

    prev_c = rng.uniform(0.5, 1.5, (N, H)) * rng.choice((-1.0, 1.0), (N, H))
    return {"x": np.eye(N), "prev_h": np.eye(N), "prev_c": prev_c, "Wx": part(N, 4 * H), "Wh": part(N, 4 * H),
            "b": part(4 * H)}


def activation(inputs: dict[str, np.ndarray], kind: str) -> np.ndarray:
    """The pre-activations of the probe inputs (``x = prev_h = I``), with one term left out for a wrong kind."""
    terms = {"Wx": inputs["Wx"], "Wh": inputs["Wh"], "b": np.broadcast_to(inputs["b"], inputs["Wx"].shape)}
    return sum(v for k, v in terms.items() if kind != "no-" + k)


def _gap(answer: np.ndarray, reading: np.ndarray) -> float:
    return float(np.max(np.abs(answer - reading)) / max(float(np.max(np.abs(answer))), 1e-12))


def _readings(a: np.ndarray) -> dict[tuple[int, str], np.ndarray]:
    return {(k, name): fn(a[:, k * H:(k + 1) * H]) for k in range(4) for name, fn in SQUASH.items()}


def _wrongs(gates: dict) -> tuple[int, int]:
    """How far a reading is from the right one: wrong squashing functions first, then wrong slices (i * g is one
    product: reading i from g's slice and g from i's, each squashed the other way, is the same step)."""
    return (sum(gates[g][1] != RIGHT[g][1] for g in gates), sum(gates[g][0] != RIGHT[g][0] for g in gates))


def read(inputs: dict[str, np.ndarray], zero: tuple[np.ndarray, np.ndarray], other: tuple[np.ndarray, np.ndarray]
         ) -> tuple[str, dict, str] | None:
    """(activation, gates, output) explaining the answers ``(next_h, next_c)`` with ``prev_c = 0`` and with
    ``inputs["prev_c"]``; None if no reading does."""
    h0, c0 = (np.asarray(v, np.float64) for v in zero)
    h1, c1 = (np.asarray(v, np.float64) for v in other)
    C = inputs["prev_c"]
    for kind in ACTIVATIONS:
        reads = _readings(activation(inputs, kind))
        f = [r for r, v in reads.items() if _gap(c1 - c0, v * C) < MATCH]
        ig = [(p, q) for p, q in itertools.product(reads, reads)
              if p[0] != q[0] and _gap(c0, reads[p] * reads[q]) < MATCH]
        outs = [(r, out) for r, v in reads.items() for out, fn in (("tanh", np.tanh), ("plain", lambda c: c))
                if _gap(h0, v * fn(c0)) < MATCH and _gap(h1, v * fn(c1)) < MATCH]
        if f and ig and outs:
            options = [{"i": p, "f": fr, "o": o, "g": q} for fr in f for p, q in ig for o, _ in outs]
            gates = min(options, key=_wrongs)
            return kind, gates, next(out for o, out in outs if o == gates["o"])
    return None


def _gate_words(gates: dict) -> list[str]:
    words = []
    slices = {g: gates[g][0] for g in GATES}
    if slices != {g: RIGHT[g][0] for g in GATES}:
        if sorted(slices.values()) == [0, 1, 2, 3]:
            order = ", ".join(sorted(GATES, key=slices.get))
            words.append("the gates are read in the order %s (%s)" % (order, ORDER_HINT))
        else:
            taken = ", ".join("%s from %s" % (g, SLICES[slices[g]]) for g in GATES)
            words.append("the gates do not read one slice each: %s (%s)" % (taken, ORDER_HINT))
    for g in GATES:
        if gates[g][1] != RIGHT[g][1]:
            words.append("%s is squashed with %s (use %s)" % (g, gates[g][1], RIGHT[g][1]))
    return words


def judge(inputs: dict[str, np.ndarray], zero: tuple[np.ndarray, np.ndarray],
          other: tuple[np.ndarray, np.ndarray]) -> Finding:
    """The readings of the student's step from its two answers on ``inputs`` (see ``read``), in one sentence."""
    found = read(inputs, zero, other)
    if found is None:
        return Finding(None, None, None, "on inputs that isolate each gate, your lstm_step_forward is none of the "
                                         "usual mistakes (gates read from other slices, sigmoid and tanh swapped, "
                                         "tanh(next_c) left out, a term of the activation left out)")
    kind, gates, output = found
    mistakes = [ACTIVATIONS[kind]] * (kind != "right") + _gate_words(gates) + [OUTPUTS[output]] * (output != "tanh")
    if not mistakes:
        return Finding(kind, gates, output, "your lstm_step_forward is right on inputs that isolate each gate "
                                            "(pre-activations up to 3), yet fails on this check's inputs")
    count = {1: "one mistake", 2: "two mistakes", 3: "three mistakes"}.get(len(mistakes), "%d mistakes" % len(mistakes))
    return Finding(kind, gates, output, "your lstm_step_forward has %s: %s" % (count, ", and ".join(mistakes)))
