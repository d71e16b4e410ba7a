"""The PyTorch network-visualization and style-transfer notebooks' known mistakes (see ``grader.misconceptions``):
the TensorFlow twins' mistakes as PyTorch code makes them, and those of PyTorch's own (an image not updated in
place, a gradient never zeroed). Data only (the grader never imports PyTorch); the wrong implementations are in
``mistakes_pytorch``. Ids start with ``pytorch.``: the dashboard counts the two tracks apart.
"""
from __future__ import annotations

from grader.api import Misconception, hookimpl

V = "net_visualization_pytorch."
S = "style_transfer_pytorch."
IMPL = "exercises.vision.mistakes_pytorch:"
L2 = "l2_reg * (img * img).sum()"
IN_PLACE = "update img in place: img.data += learning_rate * grad, or img += ... under torch.no_grad()"


def mistake(name: str, function: str, message: str, hint: str, implementation: str = "", **kwargs) -> Misconception:
    return Misconception("pytorch.%s.%s" % (function, name), (S if function in STYLE_FUNCTIONS else V) + function,
                         message, hint, implementation=IMPL + implementation if implementation else "", **kwargs)


STYLE_FUNCTIONS = ("content_loss", "gram_matrix", "style_loss", "tv_loss")

SALIENCY = (
    mistake("max-score", "compute_saliency_maps",
            "your compute_saliency_maps takes the gradient of each image's highest score instead of its correct "
            "class's score", "pick the score of class y[i] for image i, scores.gather(1, y.view(-1, 1))",
            "saliency_max_score"),
    mistake("cross-entropy", "compute_saliency_maps",
            "your compute_saliency_maps takes the gradient of the cross-entropy loss instead of the correct class's "
            "raw score", "backpropagate the unnormalised scores of the correct classes themselves, not a loss",
            "saliency_cross_entropy"),
    mistake("no-abs", "compute_saliency_maps",
            "your saliency maps have negative entries (the absolute value of the gradient is missing)",
            "take X.grad.abs() before the max over the three channels"),
)

FOOLING = (
    mistake("norm-squared", "make_fooling_image",
            "your make_fooling_image divides the step by ||g||^2 instead of ||g||_2, so the steps are tiny and the "
            "target is reached far too slowly", "add learning_rate * g / g.norm() at each step",
            "fooling_norm_squared"),
    mistake("descent", "make_fooling_image",
            "your make_fooling_image descends the target class's score instead of ascending it",
            "add learning_rate * g / ||g||_2 to the image (g: the gradient of the target's score), do not subtract it",
            "fooling_descent"),
)

CLASS_VIS = (
    mistake("l2-sign", "class_visualization_update_step",
            "your class_visualization_update_step adds the L2 term instead of subtracting it (it ascends "
            "s_y + l2_reg * ||img||^2)", "ascend s_y - %s, so that the L2 term pulls img towards 0" % L2,
            "class_vis_l2_sign"),
    mistake("l2-not-squared", "class_visualization_update_step",
            "your class_visualization_update_step penalises l2_reg * ||img||, the norm not squared",
            "use the squared norm, s_y - %s" % L2, "class_vis_l2_not_squared"),
    mistake("l2-no-gradient", "class_visualization_update_step",
            "your class_visualization_update_step's step has no L2 term: it is left out, or computed outside "
            "autograd's view (on img.data, with .item() or numpy), so it adds nothing to the gradient",
            "compute s_y - %s on img itself, before backward()" % L2, "class_vis_l2_no_gradient"),
    mistake("l2-on-score", "class_visualization_update_step",
            "your class_visualization_update_step applies the L2 penalty to the class score instead of the image",
            "penalise the image, s_y - %s" % L2, "class_vis_l2_on_score"),
    mistake("normalized-gradient", "class_visualization_update_step",
            "your class_visualization_update_step normalises the gradient (g / ||g||)",
            "step by learning_rate * img.grad as it is (normalising is for the fooling images)",
            "class_vis_normalized"),
    mistake("mean-penalty", "class_visualization_update_step",
            "your class_visualization_update_step penalises the spread around the mean, sum((img - mean(img))^2), "
            "instead of ||img||^2", "the L2 term is %s" % L2, "class_vis_mean_penalty"),
    mistake("grad-not-zeroed", "class_visualization_update_step",
            "your class_visualization_update_step never zeroes img.grad, so every step adds the gradients of all "
            "the steps before it", "call img.grad.zero_() after the update (or take the gradient with "
            "torch.autograd.grad, which leaves img.grad alone)", "class_vis_grad_not_zeroed"),
    mistake("not-in-place", "class_visualization_update_step",
            "your class_visualization_update_step returns an updated image but leaves img as it was: the notebook's "
            "loop ignores the return value and keeps using img", IN_PLACE),
)

STYLE = (
    mistake("mean", "content_loss", "your content_loss averages the squared differences instead of summing them",
            "content_weight * torch.sum((content_current - content_original) ** 2)", "content_loss_mean"),
    mistake("not-normalized", "gram_matrix", "your gram_matrix does not divide by H * W * C when normalize is True",
            "divide F F^T by the number of entries of one feature map, H * W * C, when normalize is True",
            "gram_matrix_not_normalized"),
    mistake("no-batch-axis", "gram_matrix", "your gram_matrix drops the batch axis (it returns (C, C))",
            "reshape the features to (N, C, H * W) and use torch.bmm, so that the result is (N, C, C)"),
    mistake("gram-of-targets", "style_loss",
            "your style_loss applies gram_matrix to the style targets, which already are Gram matrices",
            "compare the current image's Gram matrix with style_targets[i] as it is", "style_loss_gram_of_targets"),
    mistake("one-element", "style_loss", "your style_loss returns a tensor of shape (1,) instead of a scalar",
            "start the sum from 0 (a number), not from torch.zeros(1)"),
    mistake("wraps-around", "tv_loss",
            "your tv_loss wraps around the image borders (torch.roll pairs the last row and column with the first)",
            "take differences of neighbouring pixels with slices, img[:, :, 1:, :] - img[:, :, :-1, :] and "
            "img[:, :, :, 1:] - img[:, :, :, :-1]", "tv_loss_roll"),
    mistake("channel-axis", "tv_loss", "your tv_loss takes differences along the channel axis instead of the height",
            "vertically adjacent pixels differ along axis 2 (N, C, H, W): img[:, :, 1:, :] - img[:, :, :-1, :]",
            "tv_loss_channel_axis"),
    mistake("no-vertical", "tv_loss", "your tv_loss leaves out the differences between vertically adjacent pixels",
            "add the squared differences img[:, :, 1:, :] - img[:, :, :-1, :] to the horizontal ones",
            "tv_loss_no_vertical"),
    mistake("loops", "tv_loss", "your tv_loss uses Python loops",
            "vectorize it with slices, img[:, :, 1:, :] - img[:, :, :-1, :] and img[:, :, :, 1:] - img[:, :, :, :-1]"),
)

MISCONCEPTIONS = SALIENCY + FOOLING + CLASS_VIS + STYLE


@hookimpl
def grader_misconceptions(config):
    return list(MISCONCEPTIONS)
