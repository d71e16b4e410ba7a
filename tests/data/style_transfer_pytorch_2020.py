"""A correct style_transfer_pytorch.py written the way 2020 submissions were: ``.view`` reshapes, ``torch.mm``
per image, a style loss summed into a Python number, ``.type(dtype)``. It must grade full marks unchanged."""
import torch
import torch.nn as nn
import torchvision
import torchvision.transforms as T
import PIL

import numpy as np

from .image_utils import SQUEEZENET_MEAN, SQUEEZENET_STD

dtype = torch.FloatTensor


def content_loss(content_weight, content_current, content_original):
    _, C, H, W = content_current.size()
    F = content_current.view(C, H * W)
    P = content_original.view(C, H * W)
    return content_weight * torch.sum((F - P) ** 2)


def gram_matrix(features, normalize=True):
    N, C, H, W = features.size()
    grams = []
    for i in range(N):
        F = features[i].view(C, H * W)
        grams.append(torch.mm(F, F.t()))
    gram = torch.stack(grams)
    if normalize:
        gram /= float(H * W * C)
    return gram


def style_loss(feats, style_layers, style_targets, style_weights):
    style_loss = 0
    for i in range(len(style_layers)):
        G = gram_matrix(feats[style_layers[i]])
        style_loss += style_weights[i] * torch.sum((G - style_targets[i]) ** 2)
    return style_loss


def tv_loss(img, tv_weight):
    h_var = torch.sum((img[:, :, 1:, :] - img[:, :, :-1, :]) ** 2)
    w_var = torch.sum((img[:, :, :, 1:] - img[:, :, :, :-1]) ** 2)
    return tv_weight * (h_var + w_var)


def preprocess(img, size=512):
    transform = T.Compose([
        T.Resize(size),
        T.ToTensor(),
        T.Normalize(mean=SQUEEZENET_MEAN.tolist(),
                    std=SQUEEZENET_STD.tolist()),
        T.Lambda(lambda x: x[None]),
    ])
    return transform(img)


def deprocess(img):
    transform = T.Compose([
        T.Lambda(lambda x: x[0]),
        T.Normalize(mean=[0, 0, 0], std=[1.0 / s for s in SQUEEZENET_STD.tolist()]),
        T.Normalize(mean=[-m for m in SQUEEZENET_MEAN.tolist()], std=[1, 1, 1]),
        T.Lambda(rescale),
        T.ToPILImage(),
    ])
    return transform(img)


def rescale(x):
    low, high = x.min(), x.max()
    x_rescaled = (x - low) / (high - low)
    return x_rescaled


def rel_error(x, y):
    return np.max(np.abs(x - y) / (np.maximum(1e-8, np.abs(x) + np.abs(y))))


def extract_features(x, cnn):
    features = []
    prev_feat = x
    for i, module in enumerate(cnn._modules.values()):
        next_feat = module(prev_feat)
        features.append(next_feat)
        prev_feat = next_feat
    return features


def features_from_img(imgpath, imgsize, cnn):
    img = preprocess(PIL.Image.open(imgpath), size=imgsize)
    img_var = img.type(dtype)
    return extract_features(img_var, cnn), img_var
