"""Mode coverage on MNIST: which digit classes a generator's samples fall into.

A small convolutional classifier, trained on ``mnist-5k`` in a few seconds, labels generated samples;
the share of each class shows mode collapse (the TF2 VAE-GAN project saw some digits vanish as training
went on). Like any classifier-based number, this is for monitoring and comparing runs on the same
setup, not an absolute score: samples off the digit manifold still get a (confident) class.

>>> clf, acc = train_digit_classifier()                     # doctest: +SKIP
>>> mode_coverage(clf, vae.sample(1000).asnumpy())          # doctest: +SKIP
{'shares': [...10 floats...], 'n_modes': 10, 'max_share': 0.14, 'kl_to_uniform': 0.02}

Notebook: 22_gan_stabilisers.
"""
import numpy as np

import mxnet as mx
from mxnet import autograd, gluon, nd
from mxnet.gluon import nn

__all__ = ["DigitClassifier", "train_digit_classifier", "class_shares", "mode_coverage"]


class DigitClassifier(nn.HybridBlock):
    """``(N, 1, 28, 28)`` float32 in [0, 1] -> class logits ``(N, 10)``: two conv blocks, two Dense."""

    def __init__(self, n_classes=10, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.body = nn.HybridSequential(prefix="")
            self.body.add(nn.Conv2D(16, 3, padding=1, activation="relu"), nn.MaxPool2D(2),
                          nn.Conv2D(32, 3, padding=1, activation="relu"), nn.MaxPool2D(2),
                          nn.Dense(64, activation="relu"), nn.Dense(n_classes))

    def hybrid_forward(self, F, x):
        return self.body(x)


def train_digit_classifier(images=None, labels=None, epochs=4, batch_size=128, lr=2e-3, seed=0, ctx=None,
                           test=True):
    """Train :class:`DigitClassifier` on ``images``/``labels`` (default: ``mnist-5k`` train split).

    Returns ``(classifier, test_accuracy)`` (accuracy on the ``mnist-5k`` test split, or None when
    ``test=False`` or custom images were given).
    """
    ctx = ctx or mx.cpu()
    default = images is None
    if default:
        from .data import load
        data = load("mnist-5k", split="train")
        images, labels = data.images, data.labels
    if labels is None or len(labels) != len(images):
        raise ValueError("train_digit_classifier needs one label per image")
    images = np.asarray(images, np.float32)
    labels = np.asarray(labels)
    mx.random.seed(seed)
    rng = np.random.RandomState(seed)
    net = DigitClassifier()
    net.initialize(mx.init.Xavier(), ctx=ctx)
    net.hybridize(static_alloc=True)
    trainer = gluon.Trainer(net.collect_params(), "adam", {"learning_rate": lr})
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    x_all, y_all = nd.array(images, ctx=ctx), nd.array(labels, ctx=ctx)
    for _ in range(epochs):
        perm = rng.permutation(len(images))
        for b in range(0, len(images), batch_size):
            idx = nd.array(perm[b:b + batch_size], ctx=ctx, dtype="int64")
            x, y = nd.take(x_all, idx), nd.take(y_all, idx)
            with autograd.record():
                loss = loss_fn(net(x), y)
            loss.backward()
            trainer.step(x.shape[0])
    acc = None
    if test and default:
        from .data import load
        t = load("mnist-5k", split="test")
        acc = float((predict(net, t.images, ctx=ctx) == np.asarray(t.labels)).mean())
    return net, acc


def predict(net, images, batch_size=512, ctx=None):
    """Class index per image, ``(N,)`` int."""
    ctx = ctx or mx.cpu()
    images = np.asarray(images.asnumpy() if isinstance(images, nd.NDArray) else images, np.float32)
    out = [net(nd.array(images[b:b + batch_size], ctx=ctx)).argmax(axis=1).asnumpy()
           for b in range(0, len(images), batch_size)]
    return np.concatenate(out).astype(int) if out else np.zeros(0, int)


def class_shares(net, images, n_classes=10, ctx=None):
    """Share of ``images`` assigned to each class, ``(n_classes,)`` summing to 1."""
    pred = predict(net, images, ctx=ctx)
    if len(pred) == 0:
        raise ValueError("class_shares needs at least one image")
    return np.bincount(pred, minlength=n_classes)[:n_classes] / len(pred)


def mode_coverage(net, images, n_classes=10, min_share=None, ctx=None):
    """``{"shares", "n_modes", "max_share", "kl_to_uniform"}`` of generated ``images``.

    A class counts as covered when its share is at least ``min_share`` (default half the uniform
    share, ``0.5 / n_classes``). ``kl_to_uniform`` = KL(shares || uniform) in nats (0 = perfectly even).
    """
    shares = class_shares(net, images, n_classes, ctx)
    min_share = 0.5 / n_classes if min_share is None else float(min_share)
    nz = shares[shares > 0]
    return {"shares": [round(float(s), 4) for s in shares], "n_modes": int((shares >= min_share).sum()),
            "max_share": float(shares.max()), "kl_to_uniform": float((nz * np.log(nz * n_classes)).sum())}
