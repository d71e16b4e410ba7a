"""First-order update rules.

Every rule has the signature ``next_w, config = rule(w, dw, config)``: it takes
the current weights, their gradient and a dict of hyperparameters and state
(created on first use), updates ``w`` in place and returns it together with the
config to pass to the next call.
"""
import numpy as np


def sgd(w, dw, config=None):
    """Vanilla stochastic gradient descent.

    config keys:
    - learning_rate: scalar step size (default 1e-2)
    """
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)

    w -= config["learning_rate"] * dw
    return w, config


def adam(x, dx, config=None):
    """Adam with the bias correction folded into the step size.

    config keys:
    - learning_rate: step size (default 1e-3)
    - beta1: decay rate of the first moment (default 0.9)
    - beta2: decay rate of the second moment (default 0.999)
    - epsilon: small constant in the denominator (default 1e-8)
    - m: first-moment estimate (zeros like x at first)
    - v: second-moment estimate (zeros like x at first)
    - t: iteration counter (0 at first)

    Update:
        m <- beta1 m + (1 - beta1) dx
        v <- beta2 v + (1 - beta2) dx**2
        t <- t + 1
        alpha = lr * sqrt(1 - beta2**t) / (1 - beta1**t)
        x <- x - alpha * m / (sqrt(v) + epsilon)
    """
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("m", np.zeros_like(x))
    config.setdefault("v", np.zeros_like(x))
    config.setdefault("t", 0)

    beta1, beta2 = config["beta1"], config["beta2"]
    config["m"] = beta1 * config["m"] + (1 - beta1) * dx
    config["v"] = beta2 * config["v"] + (1 - beta2) * (dx * dx)
    config["t"] += 1
    t = config["t"]
    alpha = config["learning_rate"] * np.sqrt(1 - beta2 ** t) / (1 - beta1 ** t)
    x -= alpha * config["m"] / (np.sqrt(config["v"]) + config["epsilon"])
    return x, config
