"""Fast-path optimisers.

:class:`MultiAdam` ("multiadam") is MXNet's Adam with the update of many parameters fused into one
operator call. In MXNet 1.9.1 the stock ``"adam"`` optimiser launches one ``adam_update`` per
parameter (plus Python bookkeeping for each); for models with many small parameters (DenseVAE: 16
tensors, most of them tiny) that per-parameter overhead is a visible part of a step. ``MultiAdam``
sets ``aggregate_num`` so that :class:`mxnet.optimizer.Updater` (which ``gluon.Trainer`` uses) hands
it *lists* of parameters, and updates each list with one ``multi_adamw_update`` call.

With weight decay 0 and ``eta = 1``, AdamW *is* Adam::

    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g**2
    w = w - lr_t * m / (sqrt(v) + epsilon),   lr_t = lr * sqrt(1 - beta2**t) / (1 - beta1**t)

The bias correction is folded into the per-parameter learning rate each step, exactly as
:class:`mxnet.optimizer.Adam` does, so the parameters match stock Adam's to float rounding
(``tests/test_optim.py``). States are the same ``(mean, var)`` pairs as stock Adam, so
``gluon.Trainer.save_states`` / ``load_states`` (checkpoint/resume) and ``set_learning_rate`` work
unchanged. Anything the fused kernel cannot express identically falls back to stock Adam's
per-parameter update: a non-zero weight decay (stock Adam adds ``wd * w`` to the gradient, AdamW
decays the weight directly), float16 weights with ``multi_precision``, sparse weights or gradients.

Use: ``gluon.Trainer(params, "multiadam", {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999})``.

Status: opt-in, not the trainer's default. With it as the default, ``tests/test_schemes.py``'s Larsen
equilibrium-gate test (three Trainers, one of them skipped) saw the skipped Trainer's parameters
change in about one run of three; never with stock Adam. Until that is explained, the schemes use
stock ``"adam"``.
"""
import math
import os

import numpy
import mxnet as mx
from mxnet.ndarray import NDArray

__all__ = ["MultiAdam", "MAX_AGGREGATE"]

# Tensors per fused call (the Updater splits longer lists). The multi-tensor kernels of MXNet 1.9.1
# take at most ~50 tensors per call (LAMB uses 45); 45 covers every model here in 1-2 calls.
MAX_AGGREGATE = 45


@mx.optimizer.register
class MultiAdam(mx.optimizer.Adam):
    """Adam with multi-tensor updates (``multi_adamw_update`` with ``wd=0``, ``eta=1``).

    Same parameters and same results as :class:`mxnet.optimizer.Adam`; registered as
    ``"multiadam"``. ``aggregate_num`` (default ``MXNET_OPTIMIZER_AGGREGATION_SIZE`` or 45, at most
    45) is how many parameters one fused call updates.
    """

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8, lazy_update=False,
                 aggregate_num=None, **kwargs):
        super().__init__(learning_rate=learning_rate, beta1=beta1, beta2=beta2, epsilon=epsilon,
                         lazy_update=lazy_update, **kwargs)
        if aggregate_num is None:
            aggregate_num = int(os.getenv("MXNET_OPTIMIZER_AGGREGATION_SIZE", str(MAX_AGGREGATE)))
        self.aggregate_num = max(1, min(MAX_AGGREGATE, int(aggregate_num)))

    # -- the fused path ---------------------------------------------------------------------------
    def _fusable(self, weights, grads, multi_precision):
        if multi_precision:
            return False
        for w, g in zip(weights, grads):
            if w.stype != "default" or g.stype != "default" or w.dtype != numpy.float32:
                return False
        return True

    def _update_many(self, indices, weights, grads, states, multi_precision):
        indices, weights, grads, states = list(indices), list(weights), list(grads), list(states)
        wds = self._get_wds(indices)
        if any(wd != 0 for wd in wds) or not self._fusable(weights, grads, multi_precision):
            for i, w, g, s in zip(indices, weights, grads, states):
                self._update_one(i, w, g, s, multi_precision)
            return
        self._update_count(indices)
        lrs = self._get_lrs(indices)
        for k, idx in enumerate(indices):
            t = self._index_update_count[idx]
            lrs[k] *= math.sqrt(1.0 - self.beta2 ** t) / (1.0 - self.beta1 ** t)
        kwargs = {"beta1": self.beta1, "beta2": self.beta2, "epsilon": self.epsilon}
        if self.clip_gradient:
            kwargs["clip_gradient"] = self.clip_gradient
        n = len(weights)
        for s in range(0, n, self.aggregate_num):
            e = min(n, s + self.aggregate_num)
            means = [states[k][0] for k in range(s, e)]
            variances = [states[k][1] for k in range(s, e)]
            mx.nd.contrib.multi_adamw_update(weights[s:e], grads[s:e], means, variances,
                                             rescale_grad=self.rescale_grad, lrs=lrs[s:e],
                                             wds=[0.0] * (e - s), etas=[1.0] * (e - s),
                                             out=weights[s:e], **kwargs)

    def _update_one(self, index, weight, grad, state, multi_precision):
        if multi_precision:
            super().update_multi_precision(index, weight, grad, state)
        else:
            super().update(index, weight, grad, state)

    # -- the Optimizer API ------------------------------------------------------------------------
    def update(self, index, weight, grad, state):
        if isinstance(index, (list, tuple)):
            self._update_many(index, weight, grad, state, multi_precision=False)
        else:
            assert isinstance(weight, NDArray) and isinstance(grad, NDArray)
            super().update(index, weight, grad, state)

    def update_multi_precision(self, index, weight, grad, state):
        if isinstance(index, (list, tuple)):
            use_mp = self.multi_precision and weight[0].dtype == numpy.float16
            self._update_many(index, weight, grad, state, multi_precision=use_mp)
        else:
            super().update_multi_precision(index, weight, grad, state)
