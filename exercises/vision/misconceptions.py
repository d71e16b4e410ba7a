"""The network-visualization and style-transfer notebooks' known mistakes (see ``grader.misconceptions``):
data only (the grader never imports TensorFlow); the wrong implementations are in ``mistakes``."""
from __future__ import annotations

from grader.api import Misconception, hookimpl

V = "net_visualization_tensorflow."
S = "style_transfer_tensorflow."
IMPL = "exercises.vision.mistakes:"
WATCH_NUMPY = r"^ValueError: Passed in object .*of type 'ndarray', not tf\.Tensor"
"""``tape.watch(X)`` with a numpy array (TensorFlow prints the array in between; the runner elides it)."""
L2 = "l2_reg * tf.reduce_sum(X * X)"

SALIENCY = (
    Misconception(
        "compute_saliency_maps.max-score", V + "compute_saliency_maps",
        "your compute_saliency_maps takes the gradient of each image's highest score instead of its correct "
        "class's score",
        "pick the score of class y[i] for image i, e.g. tf.gather_nd(scores, tf.stack((tf.range(N), y), axis=1))",
        implementation=IMPL + "saliency_max_score"),
    Misconception(
        "compute_saliency_maps.cross-entropy", V + "compute_saliency_maps",
        "your compute_saliency_maps takes the gradient of the cross-entropy loss instead of the correct class's "
        "raw score",
        "differentiate the unnormalised score of the correct class itself, not a loss of the softmax",
        implementation=IMPL + "saliency_cross_entropy"),
    Misconception(
        "compute_saliency_maps.no-abs", V + "compute_saliency_maps",
        "your saliency maps have negative entries (the absolute value of the gradient is missing)",
        "take tf.abs of the gradient before the max over the three channels"),
    Misconception(
        "compute_saliency_maps.watch-numpy", V + "compute_saliency_maps",
        "your compute_saliency_maps calls tape.watch on the numpy array X, which TensorFlow refuses",
        "convert it first, X = tf.convert_to_tensor(X), then watch it and call the model on it",
        raises=WATCH_NUMPY),
)

FOOLING = (
    Misconception(
        "make_fooling_image.norm-squared", V + "make_fooling_image",
        "your make_fooling_image divides the step by ||g||^2 instead of ||g||_2, so the steps are tiny and the "
        "target is reached far too slowly",
        "add learning_rate * g / tf.norm(g) at each step", implementation=IMPL + "fooling_norm_squared"),
    Misconception(
        "make_fooling_image.descent", V + "make_fooling_image",
        "your make_fooling_image descends the target class's score instead of ascending it",
        "add learning_rate * g / ||g||_2 to the image (g: the gradient of the target's score), do not subtract it",
        implementation=IMPL + "fooling_descent"),
)

CLASS_VIS = (
    Misconception(
        "class_visualization_update_step.l2-sign", V + "class_visualization_update_step",
        "your class_visualization_update_step adds the L2 term instead of subtracting it (it ascends "
        "s_y + l2_reg * ||X||^2)",
        "ascend s_y - %s, so that the L2 term pulls X towards 0" % L2, implementation=IMPL + "class_vis_l2_sign"),
    Misconception(
        "class_visualization_update_step.l2-not-squared", V + "class_visualization_update_step",
        "your class_visualization_update_step penalises l2_reg * ||X||, the norm not squared",
        "use the squared norm, s_y - %s" % L2, implementation=IMPL + "class_vis_l2_not_squared"),
    Misconception(
        "class_visualization_update_step.l2-no-gradient", V + "class_visualization_update_step",
        "your class_visualization_update_step's step has no L2 term: it is left out, or computed outside the "
        "tape's view (with numpy or on X.numpy()), so it adds nothing to the gradient",
        "compute s_y - %s with TensorFlow ops inside the GradientTape" % L2,
        implementation=IMPL + "class_vis_l2_no_gradient"),
    Misconception(
        "class_visualization_update_step.l2-on-score", V + "class_visualization_update_step",
        "your class_visualization_update_step applies the L2 penalty to the class score instead of the image",
        "penalise the image, s_y - %s" % L2, implementation=IMPL + "class_vis_l2_on_score"),
    Misconception(
        "class_visualization_update_step.normalized-gradient", V + "class_visualization_update_step",
        "your class_visualization_update_step normalises the gradient (g / ||g||)",
        "step by learning_rate * g with the gradient as it is (normalising is for the fooling images)",
        implementation=IMPL + "class_vis_normalized"),
    Misconception(
        "class_visualization_update_step.mean-penalty", V + "class_visualization_update_step",
        "your class_visualization_update_step penalises the spread around the mean, sum((X - mean(X))^2), "
        "instead of ||X||^2",
        "the L2 term is %s" % L2, implementation=IMPL + "class_vis_mean_penalty"),
    Misconception(
        "class_visualization_update_step.watch-numpy", V + "class_visualization_update_step",
        "your class_visualization_update_step calls tape.watch on X when it is a numpy array, which TensorFlow "
        "refuses", "convert it first with X = tf.convert_to_tensor(X) (X may be a numpy array, a tf.Tensor or a "
        "tf.Variable)", raises=WATCH_NUMPY),
    Misconception(
        "class_visualization_update_step.variable-iadd", V + "class_visualization_update_step",
        "your class_visualization_update_step uses += on a tf.Variable, which today's TensorFlow refuses",
        "write X = X + learning_rate * dX (a new tensor), or X.assign_add(learning_rate * dX)",
        raises=r"^RuntimeError: `variable \+= value` with `tf\.Variable`s is not supported"),
)

STYLE = (
    Misconception(
        "content_loss.mean", S + "content_loss",
        "your content_loss averages the squared differences instead of summing them",
        "content_weight * tf.reduce_sum(tf.square(content_current - content_original))",
        implementation=IMPL + "content_loss_mean"),
    Misconception(
        "gram_matrix.not-normalized", S + "gram_matrix",
        "your gram_matrix does not divide by H * W * C when normalize is True",
        "divide F^T F by the number of entries of the feature map, H * W * C, when normalize is True",
        implementation=IMPL + "gram_matrix_not_normalized"),
    Misconception(
        "gram_matrix.batch-axis", S + "gram_matrix",
        "your gram_matrix keeps the batch axis (it returns (1, C, C))",
        "reshape the features to (H * W, C) so that F^T F is (C, C)"),
    Misconception(
        "style_loss.gram-of-targets", S + "style_loss",
        "your style_loss applies gram_matrix to the style targets, which already are Gram matrices",
        "compare the current image's Gram matrix with style_targets[i] as it is",
        implementation=IMPL + "style_loss_gram_of_targets"),
    Misconception(
        "style_loss.one-element", S + "style_loss",
        "your style_loss returns a tensor of shape (1,) instead of a scalar",
        "start the sum from 0.0 (a scalar), not from tf.zeros(1) or tf.constant([0.0])",
        raises=r"^TypeError: only 0-dimensional arrays can be converted to Python scalars"),
    Misconception(
        "tv_loss.wraps-around", S + "tv_loss",
        "your tv_loss wraps around the image borders (tf.roll pairs the last row and column with the first)",
        "take differences of neighbouring pixels with slices, img[:, 1:] - img[:, :-1] and "
        "img[:, :, 1:] - img[:, :, :-1]", implementation=IMPL + "tv_loss_roll"),
    Misconception(
        "tv_loss.channel-axis", S + "tv_loss",
        "your tv_loss takes differences along the channel axis instead of the height",
        "vertically adjacent pixels differ along axis 1, img[:, 1:, :, :] - img[:, :-1, :, :]",
        implementation=IMPL + "tv_loss_channel_axis"),
    Misconception(
        "tv_loss.no-vertical", S + "tv_loss",
        "your tv_loss leaves out the differences between vertically adjacent pixels",
        "add the squared differences img[:, 1:] - img[:, :-1] to the horizontal ones",
        implementation=IMPL + "tv_loss_no_vertical"),
    Misconception(
        "tv_loss.loops", S + "tv_loss",
        "your tv_loss uses Python loops",
        "vectorize it with slices, img[:, 1:] - img[:, :-1] and img[:, :, 1:] - img[:, :, :-1]"),
)

MISCONCEPTIONS = SALIENCY + FOOLING + CLASS_VIS + STYLE


@hookimpl
def grader_misconceptions(config):
    return list(MISCONCEPTIONS)
