"""The grader's helper for the captioning overfit runs, run inside a worker next to the student's model.

Not a file of the course's package. The notebook's solver loop, on the grader's minibatches from the grader's
weights: the model's ``loss`` on each minibatch, the provided ``optim.adam`` on every parameter, the learning
rate decayed once per epoch. Run here, the loop costs one request instead of one per step (and no weights sent
back and forth at every step). It decides nothing: the grader measures the weights it returns with the
reference's loss.

At the first step whose answer is not plainly one the grader takes (a ``(loss, grads)`` pair of finite
floating-point values with exactly the parameters' keys and shapes) it stops and returns the weights that step was
given: the grader asks that step again itself, and says what is wrong with it, or drives the run itself.
"""
import numpy as np

from .optim import adam


def _taken(result, shapes):
    """Is this step's answer one the grader takes as it is? Only the plain case is taken here: a tuple or list of
    a finite float loss (a Python number, a numpy scalar or a 0-d array) and a dict of finite floating-point arrays
    with exactly the parameters' keys and shapes. Anything else, even what the grader might take after sending it
    (a subclass, a tensor), is left to the grader."""
    if type(result) not in (tuple, list) or len(result) != 2:
        return False
    loss, grads = result
    if type(loss) in (int, float) or isinstance(loss, np.floating):
        loss = np.asarray(loss, dtype=np.float64)
    if not (type(loss) is np.ndarray and loss.dtype.kind == "f" and loss.shape == () and np.isfinite(loss)):
        return False
    if type(grads) is not dict or set(grads) != set(shapes):
        return False
    for key, shape in shapes.items():
        g = grads[key]
        if not (type(g) is np.ndarray and g.dtype.kind == "f" and g.shape == shape and np.all(np.isfinite(g))):
            return False
    return True


def overfit(model, params, batches, learning_rate, lr_decay, per_epoch):
    """Train ``model`` from ``params`` on ``batches`` (``(captions, features)`` pairs), one Adam step each, the
    learning rate times ``lr_decay`` after every ``per_epoch`` steps.

    Returns ``{"params", "losses", "stopped"}``: the trained weights and each step's loss, or, where a step's
    answer is not taken, the weights that step was given, the losses before it and its index.
    """
    shapes = {key: tuple(np.shape(value)) for key, value in params.items()}
    params = {key: np.array(value, copy=True) for key, value in params.items()}
    configs = {key: {"learning_rate": learning_rate} for key in params}
    losses = []
    for it, (captions, features) in enumerate(batches):
        for key, value in params.items():  # a copy: what the model does to its params stays out of Adam's
            model.params[key] = value.copy()
        result = model.loss(features, captions)
        if not _taken(result, shapes):
            return {"params": params, "losses": losses, "stopped": it}
        loss, grads = result
        losses.append(float(loss))
        for key in params:
            params[key], configs[key] = adam(params[key], grads[key].astype(np.float32), configs[key])
        if (it + 1) % per_epoch == 0:
            for config in configs.values():
                config["learning_rate"] *= lr_decay
    return {"params": params, "losses": losses, "stopped": None}
