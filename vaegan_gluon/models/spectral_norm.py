"""Spectral normalisation of a discriminator's weights (Miyato et al. 2018), the ``spectral_norm`` option.

Every ``Dense`` and ``Conv2D`` of the discriminator (feature layers, head, minibatch-discrimination projection,
attribute head; ResNetDisc's convs inside its model-zoo blocks too) computes with ``W / sigma(W)``, where
``sigma(W)`` estimates ``W``'s largest singular value (``W`` reshaped to ``(out, in * kh * kw)``) by power
iteration, as MXNet's ``example/gluon/sn_gan`` does:

* each layer keeps a vector ``u`` (parameter ``<layer>sn_u``, shape ``(1, out)``, ``grad_req="null"``, saved
  with the weights);
* inside the (hybridizable) forward, one iteration from ``u``: ``v = normalise(u W)``, ``u' = normalise(v W^T)``
  (both outside the gradient, ``BlockGrad``), ``sigma = u' W v^T`` (the gradient flows through ``W``);
* ``u`` itself moves on by one power iteration per training forward: :func:`power_iteration`, called in the
  discriminator's ``__call__`` (or a forward pre-hook), so hybridized or not; only while
  ``autograd.is_training()``, so evaluation never changes it; it writes ``u <- normalise(normalise(u W) W^T)`` for
  every layer, outside autograd.

The layers are converted in place (their class becomes an ``SN`` subclass whose ``hybrid_forward`` normalises
the weight and calls the original one), so the option works with every discriminator family without
rebuilding them. Off by default: nothing changes unless ``spectral_norm=True``.
"""
import mxnet as mx
from mxnet import autograd, nd
from mxnet.gluon import nn

__all__ = ["apply_spectral_norm", "spectral_layers", "power_iteration", "normalised_weight", "EPS"]

EPS = 1e-12
_SN_CLASSES = {}


def _normalise(F, x):
    return F.broadcast_div(x, F.sqrt(F.sum(F.square(x))) + EPS)


def _sn_weight(F, weight, u, ndim):
    # broadcast products and sums, not dot: dot's shape inference fails on a deferred (unknown) input size
    w = F.flatten(weight)                                                  # (out, in * kh * kw)
    ut = F.reshape(u, (-1, 1))                                             # (out, 1)
    v = F.BlockGrad(_normalise(F, F.sum(F.broadcast_mul(w, ut), axis=0, keepdims=True)))      # (1, in)
    u2 = F.BlockGrad(_normalise(F, F.sum(F.broadcast_mul(w, v), axis=1, keepdims=True)))      # (out, 1)
    sigma = F.sum(F.broadcast_mul(F.broadcast_mul(w, v), u2))              # (1,): u' W v^T
    # elemwise_mul, not broadcast_div: its shape inference runs both ways, so the layer's operator (which knows
    # its weight's shape from the data) still infers a deferred weight's shape through it
    return F.elemwise_mul(weight, F.broadcast_like(F.reshape(1.0 / sigma, (1,) * ndim), weight))


class _SpectralNorm:
    """Mixed in before ``nn.Dense`` / ``nn.Conv2D``: the weight normalised, then the layer's own forward."""

    def hybrid_forward(self, F, x, weight, sn_u, bias=None):
        return super().hybrid_forward(F, x, _sn_weight(F, weight, sn_u, self._sn_ndim), bias)


def _sn_class(cls):
    if cls not in _SN_CLASSES:
        _SN_CLASSES[cls] = type("SN" + cls.__name__, (_SpectralNorm, cls), {})
    return _SN_CLASSES[cls]


def _walk(block):
    yield block
    for child in block._children.values():
        yield from _walk(child)


def spectral_layers(block):
    """The spectrally normalised layers of ``block`` (in order)."""
    return [b for b in _walk(block) if isinstance(b, _SpectralNorm)]


def power_iteration(block, _inputs=None):
    """One power iteration on every spectrally normalised layer's ``u`` of ``block`` (training forwards only;
    a forward pre-hook, or called by the discriminator's ``__call__``)."""
    if not autograd.is_training():
        return
    with autograd.pause():
        for layer in spectral_layers(block):
            try:
                pairs = list(zip(layer.weight.list_data(), layer.sn_u.list_data()))
            except (RuntimeError, mx.gluon.parameter.DeferredInitializationError):
                continue   # shapes not known yet (first forward of a deferred layer)
            for w, u in pairs:
                wm = w.reshape((w.shape[0], -1))
                v = _normalise(nd, nd.dot(u, wm))
                u[:] = _normalise(nd, nd.dot(v, wm, transpose_b=True))


def apply_spectral_norm(block, hook=True):
    """Convert every ``Dense`` / ``Conv2D`` of ``block`` (before initialisation) to its spectrally normalised
    form; with ``hook``, register :func:`power_iteration` as ``block``'s forward pre-hook (the discriminators
    of :mod:`.discriminators` call it from their ``__call__`` instead: no hook warning when hybridized).
    Returns ``block``."""
    if spectral_layers(block):
        return block
    layers = []
    for b in _walk(block):
        if type(b) in (nn.Dense, nn.Conv2D):
            out = b.weight.shape[0]
            b.sn_u = b.params.get("sn_u", shape=(1, out), init=mx.init.Normal(1.0), grad_req="null",
                                  differentiable=False)
            b._sn_ndim = len(b.weight.shape)
            b.__class__ = _sn_class(type(b))
            layers.append(b)
    if not layers:
        raise ValueError(f"{type(block).__name__} has no Dense or Conv2D layer to normalise")
    if hook:
        block.register_forward_pre_hook(power_iteration)
    return block


def normalised_weight(layer, ctx=None):
    """``W / sigma`` of a spectrally normalised ``layer`` as its forward computes it now (numpy, for tests and
    notebooks)."""
    ctx = ctx or layer.weight.list_ctx()[0]
    w, u = layer.weight.data(ctx), layer.sn_u.data(ctx)
    return _sn_weight(nd, w, u, layer._sn_ndim).asnumpy()
