"""Analytic FLOP counts of Gluon models, from the shapes their layers actually see.

:func:`forward_flops` runs one *imperative* forward of a fresh (unhybridized) copy of a block with
forward hooks on every ``Dense``, ``Conv2D`` and ``Conv2DTranspose`` and counts 2 FLOPs per
multiply-add:

- Dense: ``2 * N * in_units * units`` (+ ``N * units`` for the bias)
- Conv2D: ``2 * N * H_out * W_out * C_out * (C_in / groups) * kh * kw`` (+ bias)
- Conv2DTranspose: ``2 * N * H_in * W_in * C_in * (C_out / groups) * kh * kw`` (every input pixel
  scatters a ``kh x kw x C_out`` patch; + bias over the output)

Elementwise work (BatchNorm, activations, losses) is not counted: it is memory-bound and small next to
the GEMMs. A forward + backward step costs ``3 x`` the forward (data gradient + weight gradient).
"""
import gc

import mxnet as mx
from mxnet.gluon import nn

__all__ = ["layer_flops", "forward_flops", "FWD_BWD"]

FWD_BWD = 3


def _prod(xs):
    p = 1
    for x in xs:
        p *= int(x)
    return p


def layer_flops(block, in_shape, out_shape):
    """FLOPs of one forward of ``block`` (Dense/Conv2D/Conv2DTranspose) for the given shapes, else 0."""
    if isinstance(block, nn.Dense):
        n_out = block._units
        n_in = block.weight.shape[1]
        n = _prod(in_shape[:1]) if block._flatten else _prod(in_shape[:-1])
        flops = 2 * n * n_in * n_out
        if block.bias is not None:
            flops += n * n_out
        return flops
    if isinstance(block, (nn.Conv2D, nn.Conv2DTranspose)):
        kw = block._kwargs
        kh, kwid = kw["kernel"]
        groups = kw.get("num_group", 1)
        w = block.weight.shape
        if isinstance(block, nn.Conv2DTranspose):
            # weight (C_in, C_out / groups, kh, kw)
            c_in, c_out_g = w[0], w[1]
            flops = 2 * _prod(in_shape[:1]) * _prod(in_shape[2:]) * c_in * c_out_g * kh * kwid
        else:
            # weight (C_out, C_in / groups, kh, kw)
            c_out, c_in_g = w[0], w[1]
            flops = 2 * _prod(out_shape[:1]) * _prod(out_shape[2:]) * c_out * c_in_g * kh * kwid
        del groups
        if block.bias is not None:
            flops += _prod(out_shape)
        return flops
    return 0


def forward_flops(make_block, input_shape, per_layer=False):
    """FLOPs of one forward of a fresh block from ``make_block()`` on an input of ``input_shape``.

    ``make_block`` is a zero-argument factory (the block is initialized and run imperatively here, so
    the caller's own, possibly hybridized, instance is untouched). Returns the total, or
    ``(total, [(layer name, flops), ...])`` with ``per_layer=True``.
    """
    block = make_block()
    block.initialize(mx.init.Zero(), ctx=mx.cpu())
    records = []

    def hook(b, inputs, output):
        out = output[0] if isinstance(output, (list, tuple)) else output
        records.append((b.name, layer_flops(b, inputs[0].shape, out.shape)))

    handles = []

    def attach(b):
        if isinstance(b, (nn.Dense, nn.Conv2D, nn.Conv2DTranspose)):
            handles.append(b.register_forward_hook(hook))
        for child in b._children.values():
            attach(child)

    attach(block)
    with mx.autograd.predict_mode():
        block(mx.nd.zeros(tuple(input_shape)))
    mx.nd.waitall()
    for h in handles:
        h.detach()
    total = sum(f for _, f in records)
    # Gluon blocks sit in reference cycles: without a collection the fresh copy's weights stay resident
    # (3.9 GB for (f)'s DeepConvVAE, held by the benchmark's parent while its reference child ran)
    handles.clear()
    del block
    gc.collect()
    return (total, records) if per_layer else total
