"""The grader's helpers for the PyTorch network-visualization and style-transfer checks, run inside a worker
next to the student's ``net_visualization_pytorch`` and ``style_transfer_pytorch``.

Not a file of the course's package. Models and tensors cannot be sent from the grader, so these helpers build
the SqueezeNet inside the worker (once per process), turn the grader's arrays into tensors, describe tensors,
count a model's calls, and run the notebooks' loops (class visualization, style transfer) around the
package's own functions. They decide nothing: every verdict is made by the grader from what comes back.

The notebooks load torchvision's pretrained ``squeezenet1_1``; nothing is downloaded here: the model is
torchvision's architecture with weights drawn from a seed and calibrated the way the TensorFlow track's
SqueezeNet is (``randomize``), or the course's checkpoint's weights sent by the grader. The loops use the
trusted copies below of the provided helpers (``extract_features``, ``jitter``, ``blur_image``), never the
ones in the student's files.
"""
import numpy as np
import torch
import torch.nn.functional as F
import torchvision

_MODELS = {}


# ---------------------------------------------------------------------------------------------- the model

CALIBRATION_IMAGES = 4
FIRST_LAYER_SMOOTHNESS = 0.3
ACTIVE_BIAS = 1.0
SCORE_SCALE = 200.0
"""As for the TensorFlow track's SqueezeNet (``classifiers/squeezenet.py``): smooth colour filters in the first
layer, every convolution's pre-activation centred one standard deviation above zero on smooth random pictures,
scores around 200 and input gradients of norm 10-30."""


def convolutions(model):
    """Every convolution of a torchvision SqueezeNet, in the order of the network (and of the TensorFlow
    model's ``get_weights``)."""
    convs = []
    for module in model.features:
        if isinstance(module, torchvision.models.squeezenet.Fire):
            convs += [module.squeeze, module.expand1x1, module.expand3x3]
        elif isinstance(module, torch.nn.Conv2d):
            convs.append(module)
    return convs + [model.classifier[1]]


def calibration_images(rs, count, size=224):
    """Smooth random pictures (N, 3, size, size) with the statistics of preprocessed photos."""
    images = torch.zeros((count, 3, size, size), dtype=torch.float64)
    for cells in (4, 8, 16, 32, 64, 128):
        noise = torch.from_numpy(rs.standard_normal((count, cells, cells, 3))).permute(0, 3, 1, 2)
        images += F.interpolate(noise, size=(size, size), mode="bilinear", align_corners=False) / np.sqrt(cells)
    images /= images.std(dim=(1, 2, 3), keepdim=True)
    images *= torch.from_numpy(rs.uniform(0.3, 1.5, (count, 1, 1, 1)))
    images += 0.7 * torch.from_numpy(rs.standard_normal((count, 1, 1, 3))).permute(0, 3, 1, 2)
    return images.float()


def randomize(model, seed):
    """Draw every weight from ``seed``, then calibrate each convolution, layer after layer, so that its outputs
    on random smooth pictures (also from ``seed``) have unit variance per channel and a mean of
    ``ACTIVE_BIAS``; scale the classifier by ``SCORE_SCALE``. Kernels are drawn in TensorFlow's layout (height,
    width, in, out), in the TensorFlow model's order."""
    rs = np.random.RandomState(seed)
    x = calibration_images(rs, CALIBRATION_IMAGES)

    def calibrate(conv, inputs, first=False):
        out_c, in_c, kh, kw = conv.weight.shape
        kernel = rs.standard_normal((kh, kw, in_c, out_c)) * np.sqrt(2.0 / (kh * kw * in_c))
        if first:
            kernel = FIRST_LAYER_SMOOTHNESS * kernel + rs.standard_normal((1, 1, in_c, out_c))
        weight = torch.from_numpy(kernel.astype(np.float32)).permute(3, 2, 0, 1).contiguous()
        z = F.conv2d(inputs, weight, stride=conv.stride, padding=conv.padding).double()
        std = z.std(dim=(0, 2, 3), unbiased=False) + 1e-6
        bias = ACTIVE_BIAS - z.mean(dim=(0, 2, 3)) / std
        conv.weight.copy_((weight / std.float().view(-1, 1, 1, 1)))
        conv.bias.copy_(bias.float())
        return torch.relu(conv(inputs))

    with torch.no_grad():
        for i, module in enumerate(model.features):
            if isinstance(module, torchvision.models.squeezenet.Fire):
                squeezed = calibrate(module.squeeze, x)
                x = torch.cat([calibrate(module.expand1x1, squeezed), calibrate(module.expand3x3, squeezed)], 1)
            elif isinstance(module, torch.nn.Conv2d):
                x = calibrate(module, x, first=(i == 0))
            elif not isinstance(module, torch.nn.ReLU):
                x = module(x)
        classifier = model.classifier[1]
        calibrate(classifier, x)
        classifier.weight.mul_(SCORE_SCALE)
        classifier.bias.mul_(SCORE_SCALE)
    return model


def _frozen(model):
    """As the notebooks leave it: in eval mode, no parameter requiring a gradient."""
    model.eval()
    for param in model.parameters():
        param.requires_grad = False
    return model


def squeezenet(seed=0, digest=None):
    """This process's SqueezeNet: with weights drawn from ``seed`` (built on first use), or the weights sent
    earlier under ``digest`` by ``squeezenet_from_arrays`` (None when this process has not got them)."""
    key = ("digest", digest) if digest else ("seed", int(seed))
    if key not in _MODELS:
        if digest:
            return None
        _MODELS[key] = _frozen(randomize(torchvision.models.squeezenet1_1(weights=None), int(seed)))
    return _MODELS[key]


def squeezenet_from_arrays(digest, arrays):
    """A SqueezeNet holding the course checkpoint's ``arrays`` (the TensorFlow model's ``get_weights()`` order:
    kernel and bias of every convolution), kept under ``digest``."""
    key = ("digest", digest)
    if key not in _MODELS:
        model = torchvision.models.squeezenet1_1(weights=None)
        convs = convolutions(model)
        if len(arrays) != 2 * len(convs):
            raise ValueError("expected %d arrays (a kernel and a bias per convolution), got %d"
                             % (2 * len(convs), len(arrays)))
        with torch.no_grad():
            for conv, kernel, bias in zip(convs, arrays[0::2], arrays[1::2]):
                conv.weight.copy_(torch.from_numpy(np.asarray(kernel, np.float32)).permute(3, 2, 0, 1))
                conv.bias.copy_(torch.from_numpy(np.asarray(bias, np.float32)))
        _MODELS[key] = _frozen(model)
    return _MODELS[key]


def features(model):
    """The model's feature extractor (``model.features``), as the style-transfer notebook's ``cnn``."""
    return model.features


def scores(model, X):
    """Raw class scores of images X (N, 3, H, W): a numpy array (N, 1000)."""
    with torch.no_grad():
        return model(torch.as_tensor(np.asarray(X, np.float32))).numpy()


class BudgetExceeded(RuntimeError):
    """A function called the model more often than the grader allows."""


class MissingValue(TypeError):
    """A student function returned None where the loop needs a value."""


class CallBudget:
    """Stands in for a model: counts the calls (``model(x)`` and ``model.forward(x)``) and stops the run once
    there are more than ``limit``. With ``watch`` (a class), ``trace`` keeps that class's score on the first
    image of every call. Every other attribute is the model's own."""

    def __init__(self, model, limit, watch=None):
        self.model = model
        self.limit = int(limit)
        self.calls = 0
        self.watch = watch
        self._trace = []

    def __call__(self, *args, **kwargs):
        self.calls += 1
        if self.calls > self.limit:
            raise BudgetExceeded("the model was called more than %d times" % self.limit)
        out = self.model(*args, **kwargs)
        if self.watch is not None:
            self._trace.append(float(out.detach().reshape(-1, out.shape[-1])[0, int(self.watch)]))
        return out

    forward = __call__

    @property
    def trace(self):
        """The watched class's score at every call so far: a numpy array."""
        return np.array(self._trace, dtype=np.float64)

    def __getattr__(self, name):
        return getattr(self.model, name)


# ---------------------------------------------------------------------------------------------- tensors


def tensor(value, requires_grad=False, dtype="float32"):
    """``value`` (an array, or a list of arrays) as the notebooks pass it: a ``torch.Tensor`` of ``dtype``
    (``long`` for labels), a leaf that requires its gradient where asked."""
    if isinstance(value, list):
        return [tensor(v, requires_grad, dtype) for v in value]
    out = torch.tensor(np.asarray(value), dtype=getattr(torch, dtype))
    return out.requires_grad_() if requires_grad else out


def values(value):
    """A tensor's values (detached) as a numpy array; anything else as it is."""
    if torch.is_tensor(value):
        return value.detach().cpu().numpy()
    return value


def describe(value):
    """What a value is, in plain facts: its class, and for a tensor its dtype, shape, whether it requires a
    gradient, is a leaf, holds a gradient, and the gradient itself (None where it has none)."""
    cls = type(value)
    facts = {"class": "%s.%s" % (cls.__module__, cls.__qualname__), "is_tensor": torch.is_tensor(value)}
    if torch.is_tensor(value):
        facts.update(dtype=str(value.dtype).replace("torch.", ""), shape=tuple(value.shape),
                     requires_grad=bool(value.requires_grad), is_leaf=bool(value.is_leaf),
                     grad=None if value.grad is None else value.grad.detach().numpy())
    return facts


def same_object(a, b):
    return a is b


def call(fn, *args, **kwargs):
    """``fn(*args)`` (a package function's path below the package, ``style_transfer_pytorch.tv_loss``) with
    every array argument turned into a float32 ``torch.Tensor``, as the notebooks pass them."""
    import importlib

    module, _, name = fn.rpartition(".")
    function = getattr(importlib.import_module("%s.%s" % (__package__, module)), name)
    return function(*[tensor(a) if isinstance(a, np.ndarray) else a for a in args], **kwargs)


def feature_maps(cnn, image, layers):
    """The feature maps of one image (1, 3, H, W) at ``layers`` (indices into ``extract_features``'s list),
    as the notebook computes them: tensors."""
    feats = extract_features(tensor(image), cnn)
    return [feats[i] for i in layers]


def gram_matrices(cnn, image, layers):
    """Gram matrices (1, C, C) of the image's feature maps at ``layers``, as numpy arrays: the style targets.
    Only the reference's worker computes them (with its ``gram_matrix``); this file is staged in students'
    packages too, so it holds no solution."""
    from .style_transfer_pytorch import gram_matrix

    return [values(gram_matrix(f.clone())).astype(np.float32) for f in feature_maps(cnn, image, layers)]


# ---------------------------------------------------------------------------------------------- runs


def _value(value, name):
    if value is None:
        raise MissingValue("%s returned None" % name)
    return value


def class_visualization(model, target_y, X, offsets, l2_reg, learning_rate, blur_every, sigma):
    """The notebook's ``create_class_visualization`` loop, one iteration per (ox, oy) in ``offsets``, around
    this package's ``class_visualization_update_step`` (which updates the image in place); starts from X
    (1, 3, H, W), returns the image."""
    from .image_utils import SQUEEZENET_MEAN, SQUEEZENET_STD
    from .net_visualization_pytorch import class_visualization_update_step

    img = tensor(X, requires_grad=True)
    for t, (ox, oy) in enumerate(offsets):
        img.data.copy_(jitter(img.data, int(ox), int(oy)))
        class_visualization_update_step(img, model, int(target_y), l2_reg, learning_rate)
        img.data.copy_(jitter(img.data, -int(ox), -int(oy)))
        for c in range(3):
            low = float(-SQUEEZENET_MEAN[c] / SQUEEZENET_STD[c])
            high = float((1.0 - SQUEEZENET_MEAN[c]) / SQUEEZENET_STD[c])
            img.data[:, c].clamp_(min=low, max=high)
        if t % blur_every == 0:
            blur_image(img.data, sigma=sigma)
    return values(img)


def style_transfer(cnn, content_img, style_targets, init_img, content_layer, content_weight, style_layers,
                   style_weights, tv_weight, iterations, learning_rate=3.0):
    """The notebook's ``style_transfer`` loop around this package's three losses, without the plots.

    ``style_targets`` are the style image's Gram matrices (``gram_matrices``). Adam on the image, clamped
    to [-1.5, 1.5] before each step, from ``init_img`` (the content image, or noise for feature inversion);
    the notebook's rate 3.0 (it drops to 0.1 only at its iteration 180). Returns the final image and the
    loss per step.
    """
    from .style_transfer_pytorch import content_loss, style_loss, tv_loss

    content_target = feature_maps(cnn, content_img, [content_layer])[0].clone()
    targets = [tensor(t) for t in style_targets]
    img = tensor(init_img, requires_grad=True)
    optimizer = torch.optim.Adam([img], lr=learning_rate)
    losses = []
    for _ in range(int(iterations)):
        img.data.clamp_(-1.5, 1.5)
        optimizer.zero_grad()
        feats = extract_features(img, cnn)
        loss = (_value(content_loss(content_weight, feats[content_layer], content_target), "content_loss")
                + _value(style_loss(feats, list(style_layers), targets, list(style_weights)), "style_loss")
                + _value(tv_loss(img, tv_weight), "tv_loss"))
        if not torch.is_tensor(loss) or not loss.requires_grad:
            raise MissingValue("the sum of the three losses has no gradient (computed outside PyTorch?)")
        loss.backward()
        optimizer.step()
        losses.append(float(loss))
    return values(img), np.array(losses)


def style_transfer_losses(cnn, images, content_img, style_targets, content_layer, content_weight, style_layers,
                          style_weights, tv_weight):
    """(content, style, tv) loss of each image, computed with this package's losses: a numpy array (N, 3)."""
    from .style_transfer_pytorch import content_loss, style_loss, tv_loss

    content_target = feature_maps(cnn, content_img, [content_layer])[0]
    targets = [tensor(t) for t in style_targets]
    out = []
    with torch.no_grad():
        for image in images:
            img = tensor(image)
            feats = extract_features(img, cnn)
            out.append([float(content_loss(content_weight, feats[content_layer], content_target)),
                        float(style_loss(feats, list(style_layers), targets, list(style_weights))),
                        float(tv_loss(img, tv_weight))])
    return np.array(out)


# ---------------------------------------------------------------------------------------------- provided


def extract_features(x, cnn):
    """The provided ``extract_features``: the output of every module of ``cnn``, in order."""
    feats = []
    for module in cnn._modules.values():
        x = module(x)
        feats.append(x)
    return feats


def jitter(X, ox, oy):
    """The provided ``jitter``: a circular roll by ox along W and oy along H (a new tensor)."""
    if ox:
        X = torch.cat([X[:, :, :, -ox:], X[:, :, :, :-ox]], dim=3)
    if oy:
        X = torch.cat([X[:, :, -oy:], X[:, :, :-oy]], dim=2)
    return X


def blur_image(X, sigma=1):
    """The provided ``blur_image``: a Gaussian blur along H, then W, in place."""
    from scipy.ndimage import gaussian_filter1d

    blurred = gaussian_filter1d(gaussian_filter1d(X.detach().cpu().numpy(), sigma, axis=2), sigma, axis=3)
    X.copy_(torch.from_numpy(np.ascontiguousarray(blurred)).type_as(X))
    return X
