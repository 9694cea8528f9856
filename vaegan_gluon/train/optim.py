"""Fast-path optimisers: ``TrainConfig.optimizer = "multiadam"``.

:class:`MultiAdam` ("multiadam") is MXNet's Adam with many parameters updated per operator call
(``mx.nd.contrib.multi_adamw_update`` with weight decay 0 and ``eta = 1``, where AdamW *is* Adam)::

    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g**2
    w = w - lr_t * m / (sqrt(v) + epsilon),   lr_t = lr * sqrt(1 - beta2**t) / (1 - beta1**t)

The bias correction is folded into each tensor's learning rate every step, as
:class:`mxnet.optimizer.Adam` does, so the parameters match stock Adam's to float rounding
(``tests/test_optim.py``). States are stock Adam's ``(mean, var)`` pairs: ``save_states`` /
``load_states`` and ``set_learning_rate`` work unchanged and checkpoints are interchangeable. Anything
the fused kernel cannot express identically falls back to stock Adam's per-parameter update: a
non-zero weight decay (stock Adam adds ``wd * w`` to the gradient, AdamW decays the weight), float16
weights with ``multi_precision``, sparse weights or gradients.

**Why the first version was slower than stock Adam.** MXNet 1.9.1's CPU kernel
(``src/operator/contrib/adamw-inl.h``, ``MultiMPAdamWKernel``) launches ``max_size`` iterations, and
each iteration loops over *all* tensors of the call (``if (i < sizes[k])``): the cost is
``count x max_size``, not ``sum(sizes)``. Forty-five tensors of very different sizes in one call (a
313,600-element Dense weight next to 400-element biases) cost ~16x the work of the update, and each
iteration touches 5 streams per tensor (w, g, m, v, out: up to 225 streams, which defeats the
prefetchers); and its per-element double indirection (``weights[k][i]``) keeps it scalar, so even
alone it is ~1.4x slower than stock ``adam_update`` on a large, memory-bound tensor. Here the tensors
are **planned** (:func:`plan_chunks`): sorted by size, every tensor of at least ``BIG`` elements is
updated alone by Adam's single-tensor kernel (:func:`.fastadam.adam_update`: the vectorised kernel, bit-identical to
``adam_update``, or ``adam_update`` itself where it cannot run; its per-call overhead is
small next to its bytes), the small ones are packed at most 45 per fused call with
``count x max_size <= 2 x sum(sizes)`` -- they are where the per-parameter overhead was. The ``rescale_grad`` tensor the kernel reads is cached
per value and context instead of being created by ``nd.full`` per call; the plan is cached per list
of indices; the Python bookkeeping is once per step, not once per parameter.

**The "skipped optimiser's parameters changed" report** (Larsen gate test, multiadam as default).
Reproduced by running that test's three gate cases 40 times in a fresh process: with the first version
(45 tensors per call in parameter order) 2-3 runs in 40 failed, always in the case where the
*decoder* is skipped, always one ``Conv2DTranspose`` weight of the decoder, and its new value was a
**permutation** of the old one (sorted values identical, 96 of 128 elements moved): no Adam update
computes that, and nothing in the step writes that array. What does touch it: MXNet 1.9.1's oneDNN
deconvolution swaps a weight's input/output axes *in place* on its (const) weight input around its
kernels (``IOLogicalSwapMKLDNNMem``), and the Larsen step runs three backward passes through one
retained graph, reading that weight back to back while the other two optimisers' updates are in
flight; an array left carrying the swapped layout reads back as permuted values. The fused calls
changed only the engine's timing. Measured, 40 runs each: first version 2/40 and 3/40; the planned
version here 0/40; one tensor per call 0/40; stock Adam 0/40 (and 0/40 before). So the planned
MultiAdam no longer shows it, but the layout race is MXNet's, not this module's: nothing here writes
an array it was not given (``tests/test_optim.py``: a second Trainer over other parameters stays
bit-identical while the first steps 20 times). ``"adam"`` (:mod:`.fastadam`, one vectorised multi-tensor call per step)
stays the default (MultiAdam was within the spread of stock Adam on every benchmark configuration before
the vectorised kernel; the two have not been measured against each other since).
"""
import math
import os

import numpy
import mxnet as mx
from mxnet.ndarray import NDArray

__all__ = ["MultiAdam", "MAX_AGGREGATE", "BIG", "plan_chunks"]

# Tensors per fused call: the kernel's parameter struct holds N = 50 tensors (adamw-inl.h).
MAX_AGGREGATE = 45
# Tensors with at least this many elements are updated alone (their update is memory-bound anyway).
BIG = 1 << 15
# Inside one call: count * max_size <= MAX_WASTE * sum(sizes).
MAX_WASTE = 2.0


from ..fast import adam as fastadam  # noqa: E402


def plan_chunks(sizes, max_per_call=MAX_AGGREGATE, big=BIG, max_waste=MAX_WASTE):
    """Group tensor positions ``0..len(sizes)-1`` into fused calls (lists of positions).

    The multi-tensor kernel costs ``len(chunk) * max(size in chunk)`` iterations; a chunk here keeps
    that within ``max_waste`` of the chunk's real work, holds at most ``max_per_call`` tensors, and a
    tensor of ``>= big`` elements is a chunk of its own.
    """
    order = sorted(range(len(sizes)), key=lambda k: (-sizes[k], k))
    chunks, cur, cur_max, cur_sum = [], [], 0, 0
    for k in order:
        s = max(int(sizes[k]), 1)
        if s >= big:
            chunks.append([k])
            continue
        if cur and (len(cur) >= max_per_call or (len(cur) + 1) * cur_max > max_waste * (cur_sum + s)):
            chunks.append(cur)
            cur, cur_sum = [], 0
        if not cur:
            cur_max = s
        cur.append(k)
        cur_sum += s
    if cur:
        chunks.append(cur)
    return chunks


@mx.optimizer.register
class MultiAdam(mx.optimizer.Adam):
    """Adam with multi-tensor updates (``multi_adamw_update``, ``wd=0``, ``eta=1``), size-planned.

    Same parameters and same results as :class:`mxnet.optimizer.Adam`; registered as
    ``"multiadam"``. ``aggregate_num`` (default 45, at most 45) is the most tensors one fused call
    updates; ``big`` the size from which a tensor is updated alone (see :func:`plan_chunks`).
    """

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8, lazy_update=False,
                 aggregate_num=None, big=BIG, **kwargs):
        super().__init__(learning_rate=learning_rate, beta1=beta1, beta2=beta2, epsilon=epsilon,
                         lazy_update=lazy_update, **kwargs)
        if aggregate_num is None:
            aggregate_num = int(os.getenv("MXNET_OPTIMIZER_AGGREGATION_SIZE", str(MAX_AGGREGATE)))
        self.max_per_call = max(1, min(MAX_AGGREGATE, int(aggregate_num)))
        self.big = int(big)
        # the Updater hands over everything of one dtype in one list; the chunks are planned here
        self.aggregate_num = 1 << 20
        self._plans = {}
        self._rescale = {}

    def __getstate__(self):   # the caches hold NDArrays: not part of a pickled optimiser
        state = super().__getstate__()
        state["_plans"], state["_rescale"] = {}, {}
        return state

    # -- the fused path ---------------------------------------------------------------------------
    @staticmethod
    def _fusable(weights, grads, multi_precision):
        if multi_precision:
            return False
        for w, g in zip(weights, grads):
            if w.stype != "default" or g.stype != "default" or w.dtype != numpy.float32:
                return False
        return True

    def _rescale_nd(self, ctx):
        key = (ctx, float(self.rescale_grad))
        arr = self._rescale.get(key)
        if arr is None:
            if len(self._rescale) > 16:
                self._rescale.clear()
            arr = self._rescale[key] = mx.nd.full((1,), float(self.rescale_grad), ctx=ctx)
        return arr

    def _plan(self, indices, weights):
        key = tuple(indices)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = plan_chunks([w.size for w in weights], self.max_per_call, self.big)
        return plan

    def _update_many(self, indices, weights, grads, states, multi_precision):
        indices, weights, grads, states = list(indices), list(weights), list(grads), list(states)
        wds = self._get_wds(indices)
        if any(wd != 0 for wd in wds) or not self._fusable(weights, grads, multi_precision):
            for i, w, g, s in zip(indices, weights, grads, states):
                self._update_one(i, w, g, s, multi_precision)
            return
        self._update_count(indices)
        lrs = self._get_lrs(indices)
        b1, b2 = self.beta1, self.beta2
        for k, idx in enumerate(indices):
            t = self._index_update_count[idx]
            lrs[k] *= math.sqrt(1.0 - b2 ** t) / (1.0 - b1 ** t)
        kwargs = {"beta1": b1, "beta2": b2, "epsilon": self.epsilon}
        if self.clip_gradient:
            kwargs["clip_gradient"] = self.clip_gradient
        rescale = None
        for chunk in self._plan(indices, weights):
            if len(chunk) == 1 and weights[chunk[0]].size >= self.big:
                # a big tensor: Adam's single-tensor kernel (train/fastadam.py, vectorised; the multi-tensor
                # kernel's double indirection per element keeps it scalar)
                k = chunk[0]
                fastadam.adam_update(weights[k], grads[k], states[k][0], states[k][1], lr=lrs[k], wd=0.0,
                                     rescale_grad=self.rescale_grad, **kwargs)
                continue
            if rescale is None:
                rescale = self._rescale_nd(weights[0].context)
            ws = [weights[k] for k in chunk]
            mx.nd.contrib.multi_adamw_update(ws, [grads[k] for k in chunk], [states[k][0] for k in chunk],
                                             [states[k][1] for k in chunk], rescale_grad=rescale,
                                             lrs=[lrs[k] for k in chunk], wds=[0.0] * len(chunk),
                                             etas=[1.0] * len(chunk), out=ws, **kwargs)

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
