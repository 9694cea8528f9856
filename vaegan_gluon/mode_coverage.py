"""Mode coverage on MNIST -- kept for old code; the scoring lives in :mod:`vaegan_gluon.evaluation`.

``train_digit_classifier()`` without data now returns the **shipped** ``mnist`` extractor
(``vaegan_gluon.evaluation.get_extractor("mnist")``, trained on mnist-5k's 4,500 training digits) and its
held-out accuracy from the manifest, instead of training one for each notebook. With ``images`` and
``labels`` it still trains a small classifier on them. ``mode_coverage`` is
:func:`vaegan_gluon.evaluation.scores.mode_coverage` on the classifier's predictions (``n_modes`` is
the old name of ``n_covered``).

>>> clf, acc = train_digit_classifier()                     # doctest: +SKIP
>>> mode_coverage(clf, samples)                             # doctest: +SKIP
{'shares': [...10 floats...], 'n_covered': 10, 'n_modes': 10, 'n_classes': 10, 'max_share': 0.14, ...}
"""
import numpy as np

import mxnet as mx
from mxnet import autograd, gluon, nd

from .evaluation.networks import DigitNet
from .evaluation import scores

__all__ = ["DigitClassifier", "train_digit_classifier", "class_shares", "mode_coverage", "predict"]


class DigitClassifier(DigitNet):
    """``(N, 1, 28, 28)`` float32 in [0, 1] -> ``(features, logits (N, 10))`` (the shipped extractor's net)."""


def train_digit_classifier(images=None, labels=None, epochs=4, batch_size=128, lr=2e-3, seed=0, ctx=None,
                           test=True):
    """``(classifier, held-out accuracy)``: the shipped ``mnist`` extractor when no data are given,
    else a :class:`DigitClassifier` trained on ``images`` / ``labels`` (accuracy None)."""
    if images is None:
        from .evaluation import get_extractor
        ext = get_extractor("mnist")
        return ext, (ext.info.get("held_out_accuracy") if test else None)
    if labels is None or len(labels) != len(images):
        raise ValueError("train_digit_classifier needs one label per image")
    ctx = ctx or mx.cpu()
    images, labels = np.asarray(images, np.float32), np.asarray(labels)
    mx.random.seed(seed)
    rng = np.random.RandomState(seed)
    net = DigitClassifier()
    net.initialize(mx.init.Xavier(), ctx=ctx)
    net.hybridize(static_alloc=True)
    trainer = gluon.Trainer(net.collect_params(), "adam", {"learning_rate": lr})
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    for _ in range(epochs):
        perm = rng.permutation(len(images))
        for b in range(0, len(images), batch_size):
            idx = perm[b:b + batch_size]
            x, y = nd.array(images[idx], ctx=ctx), nd.array(labels[idx], ctx=ctx)
            with autograd.record():
                loss = loss_fn(net(x)[1], y)
            loss.backward()
            trainer.step(len(idx))
    return net, None


def predict(net, images, batch_size=512, ctx=None):
    """Class index per image, ``(N,)`` int (an Extractor or a :class:`DigitClassifier`)."""
    images = np.asarray(images.asnumpy() if isinstance(images, nd.NDArray) else images, np.float32)
    if hasattr(net, "predict"):
        return np.asarray(net.predict(images), int)
    ctx = ctx or mx.cpu()
    out = [net(nd.array(images[b:b + batch_size], ctx=ctx))[1].argmax(axis=1).asnumpy()
           for b in range(0, len(images), batch_size)]
    return np.concatenate(out).astype(int) if out else np.zeros(0, int)


def class_shares(net, images, n_classes=10, ctx=None):
    """Share of ``images`` assigned to each class, ``(n_classes,)`` summing to 1."""
    pred = predict(net, images, ctx=ctx)
    if len(pred) == 0:
        raise ValueError("class_shares needs at least one image")
    return np.bincount(pred, minlength=n_classes)[:n_classes] / len(pred)


def mode_coverage(net, images, n_classes=10, min_share=None, ctx=None):
    """:func:`vaegan_gluon.evaluation.scores.mode_coverage` of ``net``'s predictions on ``images``."""
    m = scores.mode_coverage(predict(net, images, ctx=ctx), n_classes, min_share)
    m["n_modes"] = m["n_covered"]
    return m
