"""Functions a submission does not have (``grader.missing``): read from its files and from exceptions."""
from __future__ import annotations

from grader.missing import NOT_IMPLEMENTED, STUB, from_exception, split_target, stubs

SOURCE = '''
import numpy as np

def written(x):
    return x + 1

def skeleton(x):
    """Do the thing."""
    out, cache = None, None
    pass
    return out, cache

def raises(x):
    raise NotImplementedError

def returns_something_named_none(x):
    none = x
    return none

class Model:
    def loss(self, x):
        pass

    def sample(self, x):
        return x
'''
FUNCTIONS = ("layers.written", "layers.skeleton", "layers.raises", "layers.returns_something_named_none",
             "layers.gone", "model.Model.loss[a]", "model.Model.sample[a]", "model.Model.gone[a]")


def test_target_names_split_into_module_and_path():
    assert split_target("classifiers.rnn.CaptioningRNN.sample[rnn]") == ("classifiers.rnn", ["CaptioningRNN", "sample"])
    assert split_target("rnn_layers.rnn_forward") == ("rnn_layers", ["rnn_forward"])


def test_stubs_and_absent_functions_are_found_and_written_ones_are_not():
    found = stubs({"layers": SOURCE, "model": SOURCE.replace("class Model", "class Model")}, FUNCTIONS)
    assert found == {"layers.skeleton": STUB, "layers.gone": "is not defined in layers.py",
                     "model.Model.loss[a]": STUB, "model.Model.gone[a]": "is not defined in model.py"}


def test_a_module_that_does_not_parse_or_is_absent_says_nothing():
    assert stubs({"layers": "def broken(:\n"}, FUNCTIONS) == {}
    assert stubs({}, FUNCTIONS) == {}


def test_a_name_bound_otherwise_is_not_judged():
    assert stubs({"layers": "from helpers import gone\nwritten = lambda x: x\n"}, ("layers.gone", "layers.written")) == {}


def test_exceptions_that_show_a_function_missing():
    functions = ("rnn_layers.rnn_forward", "rnn_layers.rnn_step_forward")
    assert from_exception("AttributeError: cs231n.rnn_layers has no attribute 'rnn_forward'", "", functions) == {
        "rnn_layers.rnn_forward": "is not defined in rnn_layers.py"}
    assert from_exception("ImportError: cannot import name 'rnn_step_forward' from 'cs231n.rnn_layers'", "",
                          functions) == {"rnn_layers.rnn_step_forward": "is not defined in rnn_layers.py"}
    traceback = ('File "rnn_layers.py", line 40, in rnn_forward\n    h = rnn_step_forward(x)\n'
                 'File "rnn_layers.py", line 9, in rnn_step_forward\n    raise NotImplementedError\n')
    assert from_exception("NotImplementedError: ", traceback, functions) == {
        "rnn_layers.rnn_step_forward": NOT_IMPLEMENTED}
    assert from_exception("ValueError: shapes (2,3) and (4,5) not aligned", traceback, functions) == {}
    assert from_exception("AttributeError: 'NoneType' object has no attribute 'shape'", "", functions) == {}


def test_the_starters_seeding_guard_does_not_make_a_stub_written():
    """``gan_tf.discriminator`` keeps ``if seed is not None: tf.random.set_seed(seed)`` above its TODO."""
    seeded = '''
def discriminator(seed=None):
    if seed is not None:
        tf.random.set_seed(seed)
    model = None
    pass
    return model

def written(seed=None):
    if seed is not None:
        tf.random.set_seed(seed)
    return tf.keras.Sequential([tf.keras.layers.Dense(1)])

def seeds_then_computes(seed=None):
    if seed is not None:
        tf.random.set_seed(seed)
        model = build()
    model = None
    return model
'''
    assert stubs({"gan_tf": seeded}, ("gan_tf.discriminator", "gan_tf.written", "gan_tf.seeds_then_computes")) == {
        "gan_tf.discriminator": STUB}
