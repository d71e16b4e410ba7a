"""Minibatch training loop for image-captioning models."""
import numpy as np

from . import optim
from .coco_utils import sample_coco_minibatch


class CaptioningSolver(object):
    """Trains a captioning model with a first-order update rule from ``optim``.

    The model must provide:
    - ``model.params``: dict from parameter name to numpy array;
    - ``model.loss(features, captions)`` returning ``(loss, grads)`` with
      ``grads`` keyed like ``params``.

    ``data`` is a dict as returned by ``load_coco_data`` (at least
    ``train_captions``, ``train_image_idxs``, ``train_features`` and
    ``train_urls``).

    Keyword arguments (all optional):
    - update_rule: name of a function in ``optim`` (default 'sgd')
    - optim_config: hyperparameters passed to the update rule (default {})
    - lr_decay: factor applied to every learning rate after each epoch
      (default 1.0)
    - batch_size: minibatch size (default 100)
    - num_epochs: number of epochs (default 10)
    - print_every: print the loss every this many iterations (default 10)
    - verbose: whether to print (default True)

    After ``train()``, ``model.params`` holds the last iterate and
    ``loss_history`` the loss of every iteration.
    """

    def __init__(self, model, data, **kwargs):
        self.model = model
        self.data = data

        self.update_rule = kwargs.pop("update_rule", "sgd")
        self.optim_config = kwargs.pop("optim_config", {})
        self.lr_decay = kwargs.pop("lr_decay", 1.0)
        self.batch_size = kwargs.pop("batch_size", 100)
        self.num_epochs = kwargs.pop("num_epochs", 10)
        self.print_every = kwargs.pop("print_every", 10)
        self.verbose = kwargs.pop("verbose", True)

        if len(kwargs) > 0:
            extra = ", ".join('"%s"' % k for k in kwargs)
            raise ValueError("Unrecognized arguments %s" % extra)

        if not hasattr(optim, self.update_rule):
            raise ValueError('Invalid update_rule "%s"' % self.update_rule)
        self.update_rule = getattr(optim, self.update_rule)

        self._reset()

    def _reset(self):
        """Reset the bookkeeping; called by the constructor."""
        self.epoch = 0
        self.best_val_acc = 0
        self.best_params = {}
        self.loss_history = []
        self.train_acc_history = []
        self.val_acc_history = []

        # One private copy of the optimiser config per parameter.
        self.optim_configs = {}
        for p in self.model.params:
            self.optim_configs[p] = {k: v for k, v in self.optim_config.items()}

    def _step(self):
        """One gradient update on a freshly sampled training minibatch."""
        captions, features, urls = sample_coco_minibatch(
            self.data, batch_size=self.batch_size, split="train")

        loss, grads = self.model.loss(features, captions)
        self.loss_history.append(loss)

        for p, w in self.model.params.items():
            next_w, next_config = self.update_rule(w, grads[p], self.optim_configs[p])
            self.model.params[p] = next_w
            self.optim_configs[p] = next_config

    def check_accuracy(self, X, y, num_samples=None, batch_size=100):
        """Accuracy is not defined for captioning; always returns 0.0."""
        return 0.0

    def train(self):
        """Run the optimisation for ``num_epochs`` epochs."""
        num_train = self.data["train_captions"].shape[0]
        iterations_per_epoch = max(num_train // self.batch_size, 1)
        num_iterations = self.num_epochs * iterations_per_epoch

        for t in range(num_iterations):
            self._step()

            if self.verbose and t % self.print_every == 0:
                print("(Iteration %d / %d) loss: %f"
                      % (t + 1, num_iterations, self.loss_history[-1]))

            if (t + 1) % iterations_per_epoch == 0:
                self.epoch += 1
                for k in self.optim_configs:
                    self.optim_configs[k]["learning_rate"] *= self.lr_decay
