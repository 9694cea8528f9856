"""Adam through the vectorised CPU kernel (:mod:`.kernels`): ``TrainConfig.optimizer = "adam"`` with ``fast``.

MXNet 1.9.1's pip wheel is built for baseline x86-64, and its ``adam_update`` updates one element at a time
(4-6 ns an element on a 2-core AMD EPYC, where the 28 bytes an element moves take ~1 ns): on the conv
benchmarks the optimiser was a third of the step. ``vaegan_adam_update`` is MXNet's ``AdamUpdateKernel``
operation for operation, in the same order: the results are **bit-identical** (tests/test_fastadam.py compares
every bit). :class:`FastAdam` updates every parameter the kernel takes in one ``vaegan_multi_adam_update``
call per step (the per-tensor cost around the arithmetic was the update's cost on the dense models;
``VAEGAN_ADAM_MULTI=0`` goes back to one call per tensor). Arrays the kernel cannot take (convolution weights,
float16, sparse, non-CPU) and a missing library take MXNet's own ``adam_update``: the same numbers, slower.
"""
import math
import os

import numpy
import mxnet as mx
from mxnet.ndarray import NDArray

from . import kernels
from .kernels import MULTI_OP_NAME, OP_NAME

__all__ = ["FastAdam", "adam_update", "multi_adam_update"]


def _fast_ok(*arrays):
    """Dense float32 CPU arrays of at most 2 dimensions (Dense weights, biases, BatchNorm's gamma/beta).

    Convolution weights (4-D) stay on MXNet's kernel: oneDNN may hold them in its own blocked layout
    (MXNet 1.9.1's deconvolution even swaps a weight's axes in place around its kernels), which MXNet's FCompute path
    converts and the extension-library API cannot read
    ("We can't generate TBlob for MKLDNN data"). They are a few per cent of the parameters of every
    model here: the large tensors are the Dense layers."""
    return all(isinstance(a, NDArray) and a.stype == "default" and a.dtype == numpy.float32
               and a.ndim <= 2 and a.context.device_type == "cpu" for a in arrays)


def _fast_op():
    """The registered extension operator (after :func:`_load` succeeded)."""
    return getattr(mx.nd, OP_NAME)


def _update_kwargs(beta1, beta2, epsilon, rescale_grad, clip_gradient, **per_tensor):
    """The update operator's settings: the shared ones, then ``per_tensor`` (``lr``/``wd`` of the single-tensor
    operator, ``lrs``/``wds`` of the multi-tensor one); as mxnet.optimizer.Adam, clip only when set and non-zero."""
    kwargs = dict(beta1=beta1, beta2=beta2, epsilon=epsilon, rescale_grad=rescale_grad, **per_tensor)
    if clip_gradient:
        kwargs["clip_gradient"] = clip_gradient
    return kwargs


def adam_update(weight, grad, mean, var, lr, beta1=0.9, beta2=0.999, epsilon=1e-8, wd=0.0, rescale_grad=1.0,
                clip_gradient=None):
    """``mx.nd.adam_update(weight, grad, mean, var, out=weight, ...)`` through the vectorised kernel when it
    is available and the arrays are dense float32 on the CPU; MXNet's own kernel otherwise (same result)."""
    kwargs = _update_kwargs(beta1, beta2, epsilon, rescale_grad, clip_gradient, lr=lr, wd=wd)
    if _fast_ok(weight, grad, mean, var) and kernels.available():
        return _fast_op()(weight, grad, mean, var, out=weight, **kwargs)
    return mx.nd.adam_update(weight, grad, mean, var, out=weight, lazy_update=False, **kwargs)


def multi_adam_update(weights, grads, means, variances, lrs, wds, beta1=0.9, beta2=0.999, epsilon=1e-8,
                      rescale_grad=1.0, clip_gradient=None):
    """:func:`adam_update` for many tensors in one operator call (``vaegan_multi_adam_update``): tensor ``k``
    gets ``lrs[k]`` and ``wds[k]``, the other settings are shared, and each result is bit-identical to its
    own ``mx.nd.adam_update``. Every array must pass :func:`_fast_ok` and the kernel must be loaded (the
    caller checks: :class:`FastAdam` does, per index)."""
    args = [a for quad in zip(weights, grads, means, variances) for a in quad]
    return getattr(mx.nd, MULTI_OP_NAME)(*args, out=list(weights), num_weights=len(weights), **_update_kwargs(
        beta1, beta2, epsilon, rescale_grad, clip_gradient, lrs=tuple(map(float, lrs)), wds=tuple(map(float, wds))))


@mx.optimizer.register
class FastAdam(mx.optimizer.Adam):
    """:class:`mxnet.optimizer.Adam` whose dense float32 CPU updates go through :func:`adam_update`.

    Same states (``(mean, var)``), same bias correction (folded into the learning rate in double
    precision, as stock Adam does), same results to the bit; sparse, float16 (``multi_precision``) and
    non-CPU parameters take stock Adam's path. Registered as ``"fastadam"``; ``TrainConfig.optimizer =
    "adam"`` selects it.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Gluon's Updater hands every parameter of one dtype to update() in one list when aggregate_num > 0:
        # the kernel's tensors then go through one multi-tensor call per step (multi_adam_update).
        # VAEGAN_ADAM_MULTI=0: one call per tensor (the benchmark's ours_pertensor lever; same results)
        multi = os.environ.get("VAEGAN_ADAM_MULTI", "1").strip().lower() not in ("0", "false", "no", "off")
        self.aggregate_num = (1 << 20) if multi else 0

    def _fast(self, index, weight, grad, mean, var):
        """Does ``index`` take the kernel? :func:`_fast_ok` reads four properties of four arrays through
        ctypes (~16 C calls, the largest Python cost of a dense step's update); its answer cannot change
        while the same four arrays are updated, so it is kept per index, keyed by their C handles."""
        key = (weight.handle.value, grad.handle.value, mean.handle.value, var.handle.value)
        checked = self.__dict__.setdefault("_fast_checked", {})
        if checked.get(index, (None,))[0] != key:
            checked[index] = (key, _fast_ok(weight, grad, mean, var) and kernels.available())
        return checked[index][1]

    def _corrected_lrs(self, indices):
        """Stock Adam's learning rates: the bias correction folded in, in double precision."""
        lrs = self._get_lrs(indices)
        for k, index in enumerate(indices):
            t = self._index_update_count[index]
            lrs[k] *= math.sqrt(1. - self.beta2 ** t) / (1. - self.beta1 ** t)
        return lrs

    def update(self, index, weight, grad, state):
        if isinstance(index, (list, tuple)):
            return self._update_many(index, weight, grad, state)
        mean, var = state
        if not self._fast(index, weight, grad, mean, var):
            return super().update(index, weight, grad, state)
        self._update_count(index)
        _fast_op()(weight, grad, mean, var, out=weight, **_update_kwargs(
            self.beta1, self.beta2, self.epsilon, self.rescale_grad, self.clip_gradient,
            lr=self._corrected_lrs([index])[0], wd=self._get_wd(index)))

    def _update_many(self, indices, weights, grads, states):
        """One multi-tensor kernel call for every parameter the kernel takes; the others (convolution
        weights, float16, sparse, non-CPU) one by one through stock Adam."""
        fast = []
        for k, (index, w, g, (m, v)) in enumerate(zip(indices, weights, grads, states)):
            if self._fast(index, w, g, m, v):
                fast.append(k)
            else:
                super().update(index, w, g, states[k])
        if not fast:
            return
        idx = [indices[k] for k in fast]
        self._update_count(idx)
        multi_adam_update([weights[k] for k in fast], [grads[k] for k in fast], [states[k][0] for k in fast],
                          [states[k][1] for k in fast], self._corrected_lrs(idx), self._get_wds(idx),
                          self.beta1, self.beta2, self.epsilon, self.rescale_grad, self.clip_gradient)

    def update_multi_precision(self, index, weight, grad, state):
        if isinstance(index, (list, tuple)):
            if self.multi_precision and weight[0].dtype == numpy.float16:   # stock Adam's master copies
                for i, w, g, s in zip(index, weight, grad, state):
                    super().update_multi_precision(i, w, g, s)
                return
            return self._update_many(index, weight, grad, state)
        return super().update_multi_precision(index, weight, grad, state)
