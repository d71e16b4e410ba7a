"""Wrong implementations of the PyTorch network-visualization and style-transfer functions, as students write
them: the misconceptions of ``exercises/vision/misconceptions_pytorch.py`` run these in a trusted PyTorch
worker, next to the reference package (``cs231n`` there), to see whether a failing student function answers
exactly as one of them.

Imported only in PyTorch workers, never by the grader.
"""
import torch

import cs231n.style_transfer_pytorch as style_transfer

# ---------------------------------------------------------------------------------------------- saliency


def _saliency(X, y, model, objective):
    """The reference's saliency map of ``objective(scores, labels)`` (one value per image)."""
    model.eval()
    X.requires_grad_()
    objective(model(X), y).sum().backward()
    return X.grad.detach().abs().max(dim=1)[0]


def saliency_max_score(X, y, model):
    """The gradient of each image's highest score, whatever its label."""
    return _saliency(X, y, model, lambda scores, labels: scores.max(dim=1)[0])


def saliency_cross_entropy(X, y, model):
    """The gradient of the softmax cross-entropy loss of the labels instead of their raw scores."""
    return _saliency(X, y, model, lambda scores, labels: torch.nn.functional.cross_entropy(
        scores, labels, reduction="none"))


# ---------------------------------------------------------------------------------------------- fooling


def _fool(X, target_y, model, step):
    """The reference's loop with ``step(g)`` added to the image at each iteration."""
    X_fooling = X.clone().requires_grad_()
    while True:
        scores = model(X_fooling)
        if int(scores[0].argmax()) == target_y:
            break
        g, = torch.autograd.grad(scores[0, target_y], X_fooling)
        with torch.no_grad():
            X_fooling += step(g)
    return X_fooling


def fooling_norm_squared(X, target_y, model):
    """Steps of g / ||g||^2: they shrink as the gradient grows."""
    return _fool(X, target_y, model, lambda g: g / g.norm() ** 2)


def fooling_descent(X, target_y, model):
    """Gradient descent on the target's score: X -= g / ||g||."""
    return _fool(X, target_y, model, lambda g: -g / g.norm())


# ---------------------------------------------------------------------------------------------- class visualization


def _ascend(img, model, target_y, learning_rate, objective, normalize=False):
    """One in-place step of ascent on ``objective(score, img)``; ``normalize``: the gradient divided by its norm."""
    grad, = torch.autograd.grad(objective(model(img)[:, target_y].sum(), img), img)
    with torch.no_grad():
        img += learning_rate * grad / grad.norm() if normalize else learning_rate * grad


def class_vis_l2_sign(img, model, target_y, l2_reg, learning_rate):
    """s_y + l2_reg ||img||^2."""
    _ascend(img, model, target_y, learning_rate, lambda s, x: s + l2_reg * (x * x).sum())


def class_vis_l2_not_squared(img, model, target_y, l2_reg, learning_rate):
    """s_y - l2_reg ||img||."""
    _ascend(img, model, target_y, learning_rate, lambda s, x: s - l2_reg * x.norm())


def class_vis_l2_no_gradient(img, model, target_y, l2_reg, learning_rate):
    """s_y - l2_reg * (img.data ** 2).sum(): computed on the tensor's data (or with .item(), numpy), so the step is
    the score's gradient alone (as when the L2 term is left out)."""
    _ascend(img, model, target_y, learning_rate, lambda s, x: s - l2_reg * (x.data ** 2).sum())


def class_vis_l2_on_score(img, model, target_y, l2_reg, learning_rate):
    """s_y - l2_reg s_y^2: the penalty on the score instead of the image."""
    _ascend(img, model, target_y, learning_rate, lambda s, x: s - l2_reg * s * s)


def class_vis_normalized(img, model, target_y, l2_reg, learning_rate):
    """The right objective, the gradient divided by its norm."""
    _ascend(img, model, target_y, learning_rate, lambda s, x: s - l2_reg * (x * x).sum(), normalize=True)


def class_vis_mean_penalty(img, model, target_y, l2_reg, learning_rate):
    """s_y - l2_reg sum((img - mean(img))^2): a made-up penalty on the spread, not the size."""
    _ascend(img, model, target_y, learning_rate, lambda s, x: s - l2_reg * ((x - x.mean()) ** 2).sum())


def class_vis_grad_not_zeroed(img, model, target_y, l2_reg, learning_rate):
    """The right objective through ``backward()``, its gradient never zeroed: each step adds the gradients of
    every step before it."""
    objective = model(img)[:, target_y].sum() - l2_reg * (img * img).sum()
    objective.backward()
    img.data += learning_rate * img.grad.data


# ---------------------------------------------------------------------------------------------- style transfer


def content_loss_mean(content_weight, content_current, content_original):
    return content_weight * torch.mean((content_current - content_original) ** 2)


def gram_matrix_not_normalized(features, normalize=True):
    """F F^T whatever ``normalize`` says."""
    N, C, H, W = features.shape
    flat = features.reshape(N, C, H * W)
    return torch.bmm(flat, flat.transpose(1, 2))


def style_loss_gram_of_targets(feats, style_layers, style_targets, style_weights):
    """``gram_matrix`` applied to the targets too, which already are Gram matrices (the package's own
    ``gram_matrix`` wants (N, C, H, W) features, and refuses a (1, C, C) target)."""
    loss = 0.0
    for i, layer in enumerate(style_layers):
        gram = style_transfer.gram_matrix(feats[layer])
        loss = loss + style_weights[i] * torch.sum((gram - style_transfer.gram_matrix(style_targets[i])) ** 2)
    return loss


def _tv(tv_weight, down, right):
    return tv_weight * (torch.sum(down ** 2) + torch.sum(right ** 2))


def tv_loss_roll(img, tv_weight):
    """Differences with torch.roll: the last row and column are paired with the first."""
    return _tv(tv_weight, torch.roll(img, -1, dims=2) - img, torch.roll(img, -1, dims=3) - img)


def tv_loss_channel_axis(img, tv_weight):
    """The 'vertical' differences taken along the channels (axis 1) instead of the height (axis 2)."""
    return _tv(tv_weight, img[:, 1:, :, :] - img[:, :-1, :, :], img[:, :, :, 1:] - img[:, :, :, :-1])


def tv_loss_no_vertical(img, tv_weight):
    """Horizontal differences only."""
    return tv_weight * torch.sum((img[:, :, :, 1:] - img[:, :, :, :-1]) ** 2)
