"""The grader's helpers for the PyTorch GAN checks, run inside a worker next to the student's ``gan_pytorch``.

Not a file of the course's package. The student's functions take tensors and training needs autograd, neither
of which can be sent from the grader; these helpers turn the grader's arrays into tensors, call
``cs231n.gan_pytorch``, describe models and optimizers, and run the notebook's training steps, returning plain
values. They decide nothing: every verdict is made by the grader from what comes back.
"""
import random

import numpy as np
import torch

IMAGE_SHAPE = (1, 28, 28)


def _gan():
    from . import gan_pytorch
    return gan_pytorch


def seed(value):
    """Seed Python's, numpy's and PyTorch's generators (``torch.nn``'s initialisers draw from PyTorch's)."""
    random.seed(value)
    np.random.seed(value)
    torch.manual_seed(value)


def tensor(value):
    """An array as the notebook passes it (``torch.Tensor(...)`` keeps float32; float64 stays float64)."""
    return torch.from_numpy(np.array(value, copy=True))


def call(name, *args, **kwargs):
    """``gan_pytorch.<name>(*args, **kwargs)`` with every array argument turned into a tensor."""
    fn = getattr(_gan(), name)
    return fn(*[tensor(a) if isinstance(a, np.ndarray) else a for a in args], **kwargs)


def describe(value):
    """What a value is: its class, and for a tensor its dtype, shape and whether it requires a gradient."""
    cls = type(value)
    facts = {"class": "%s.%s" % (cls.__module__, cls.__qualname__), "is_tensor": torch.is_tensor(value)}
    if torch.is_tensor(value):
        facts.update(dtype=str(value.dtype).replace("torch.", ""), shape=tuple(value.shape),
                     requires_grad=bool(value.requires_grad))
    return facts


def model_info(model):
    """What a model builder returned: is it an ``nn.Module``, its class, its layers' classes (its direct
    children), the shapes of its parameters (what ``count_params`` counts)."""
    is_module = isinstance(model, torch.nn.Module)
    return {
        "is_model": is_module,
        "class": type(model).__name__,
        "layers": [type(m).__name__ for m in model.children()] if is_module else None,
        "shapes": [tuple(p.shape) for p in model.parameters()] if is_module else [],
    }


def forward(model, x, shape=None):
    """The model's output on the array ``x`` (reshaped to ``shape`` first, e.g. (N, 1, 28, 28) as the notebook's
    loader gives images), without a gradient, in the model's current mode."""
    inputs = torch.from_numpy(np.asarray(x, np.float32))
    if shape is not None:
        inputs = inputs.reshape(shape)
    with torch.no_grad():
        return model(inputs)


def scale_parameters(model, factor):
    """Multiply every parameter of the model by ``factor``, in place."""
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(factor)


def trainable(model):
    """The model's parameters as numpy arrays (copies), in ``parameters()`` order."""
    return [p.detach().numpy().copy() for p in model.parameters()]


def small_model():
    """A model of two layers for ``get_optimizer`` to optimize."""
    return torch.nn.Sequential(torch.nn.Linear(784, 8), torch.nn.LeakyReLU(0.01), torch.nn.Linear(8, 1))


def optimizer_info(optimizer, model):
    """An optimizer's class, learning rate and betas (None where it has none), and whether its parameter groups
    hold exactly the model's parameters."""
    cls = type(optimizer)
    groups = getattr(optimizer, "param_groups", None)
    if not isinstance(groups, list) or not all(isinstance(g, dict) for g in groups):
        groups = []
    params = [p for g in groups for p in g.get("params", [])]
    own = list(model.parameters())

    def number(value):
        try:
            return float(value)
        except (TypeError, ValueError):
            return None

    first = groups[0] if groups else {}
    betas = first.get("betas")
    return {"class": "%s.%s" % (cls.__module__, cls.__qualname__),
            "learning_rate": number(first.get("lr")),
            "betas": [number(b) for b in betas] if isinstance(betas, (tuple, list)) else None,
            "groups": len(groups),
            "own_parameters": len(params) == len(own) and {id(p) for p in params} == {id(p) for p in own}}


def same_object(a, b):
    return a is b


def train(D, G, d_loss, g_loss, reals, noise_d, noise_g, learning_rate=1e-3, betas=(0.5, 0.999)):
    """The steps of the notebook's ``run_a_gan``, on the grader's batches and noise, with fresh Adam solvers.

    ``d_loss``/``g_loss`` name the loss functions of ``gan_pytorch``; ``reals`` holds one (B, 784) batch of
    images in [0, 1] per step (given to D as (B, 1, 28, 28) mapped to [-1, 1], as the notebook's loader and
    ``run_a_gan`` do), ``noise_d``/``noise_g`` the noise of its discriminator and generator steps. Returns each
    step's losses and how many parameters received a gradient.
    """
    gan = _gan()
    d_loss_fn, g_loss_fn = getattr(gan, d_loss), getattr(gan, g_loss)
    D_solver = torch.optim.Adam(D.parameters(), lr=learning_rate, betas=tuple(betas))
    G_solver = torch.optim.Adam(G.parameters(), lr=learning_rate, betas=tuple(betas))
    out = {"d_loss": [], "g_loss": [], "d_with_gradient": [], "g_with_gradient": []}

    def step(solver, loss, model, name):
        # a loss computed outside PyTorch's graph (numpy, .item(), .detach()) has no gradient: report it
        solver.zero_grad()
        if torch.is_tensor(loss) and loss.requires_grad:
            loss.backward()
        with_gradient = sum(1 for p in model.parameters() if p.grad is not None)
        solver.step()
        out[name + "_loss"].append(loss.detach() if torch.is_tensor(loss) else loss)
        out[name + "_with_gradient"].append(with_gradient)

    for x, z_d, z_g in zip(reals, noise_d, noise_g):
        batch = len(x)
        real_data = torch.from_numpy(np.asarray(x, np.float32)).view(batch, *IMAGE_SHAPE)
        logits_real = D(2 * (real_data - 0.5))
        fake_images = G(torch.from_numpy(np.asarray(z_d, np.float32))).detach()
        logits_fake = D(fake_images.view(batch, *IMAGE_SHAPE))
        step(D_solver, d_loss_fn(logits_real, logits_fake), D, "d")
        fake_images = G(torch.from_numpy(np.asarray(z_g, np.float32)))
        step(G_solver, g_loss_fn(D(fake_images.view(batch, *IMAGE_SHAPE))), G, "g")
    return out
