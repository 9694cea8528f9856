"""Small building blocks shared by the VAEs and the discriminators.

- :class:`InstanceNoise` adds Gaussian noise to a discriminator's input while training
  (Sønderby et al. 2016, "Amortised MAP inference"; Arjovsky & Bottou 2017); a schedule sets its
  standard deviation.
- :class:`MinibatchDiscrimination` lets a discriminator compare the samples of a batch
  (Salimans et al. 2016, "Improved techniques for training GANs", section 3.2).
- :class:`DCGANDecoder` and :class:`StridedConvEncoder` are the convolutional stacks of the
  convolutional VAEs; their depth is derived from the image size (see :func:`upsampling_plan`).
"""
import mxnet as mx
from mxnet.gluon import nn

__all__ = ["InstanceNoise", "MinibatchDiscrimination", "DCGANDecoder", "StridedConvEncoder",
           "upsampling_plan", "training_gate"]


def training_gate(F, like):
    """A tensor shaped like ``like`` that is 1 while ``autograd.is_training()`` and 0 otherwise.

    A Python ``if autograd.is_training()`` is evaluated once when a HybridBlock is traced, so a
    hybridized graph would keep whichever branch it saw first. Dropout, however, reads the training
    flag every time the cached graph runs: on ones with p=0.5 it yields 0 or 2 while training
    (so ``(y - 1)**2 == 1``) and exactly 1 otherwise (so ``(y - 1)**2 == 0``).
    """
    return F.square(F.Dropout(F.ones_like(like), p=0.5) - 1)


class InstanceNoise(nn.HybridBlock):
    """Add ``N(0, stddev**2)`` noise to every input value, only while training.

    The standard deviation is a parameter with ``grad_req='null'`` (initialised to 0 by its own
    initializer, whatever initializer the trainer passes) so that it lives inside the hybridized
    graph, is saved with the weights, and can be changed between steps with :meth:`set_stddev`
    without re-tracing.

    Input and output: ``(N, C, H, W)`` float32.
    """

    def __init__(self, stddev=0.0, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.stddev = self.params.get("stddev", shape=(1,), init=mx.init.Constant(float(stddev)),
                                          grad_req="null", differentiable=False)

    def set_stddev(self, stddev):
        """Set the noise standard deviation (a float >= 0) on every context."""
        stddev = float(stddev)
        if stddev < 0:
            raise ValueError(f"instance-noise stddev must be >= 0, got {stddev}")
        try:
            ctxs = self.stddev.list_ctx()
        except RuntimeError:
            raise RuntimeError("set the instance-noise stddev after initializing the discriminator "
                               "(e.g. disc.initialize(...))") from None
        self.stddev.set_data(mx.nd.array([stddev], ctx=ctxs[0]))

    def hybrid_forward(self, F, x, stddev):
        scale = F.reshape(stddev * training_gate(F, stddev), (1, 1, 1, 1))
        return x + F.broadcast_mul(F.random.normal_like(x), scale)


class MinibatchDiscrimination(nn.HybridBlock):
    """Minibatch discrimination (Salimans et al. 2016): append batch-similarity features.

    For input features ``f`` of shape ``(N, A)``, a learned tensor ``T`` maps each sample to
    ``M`` of shape ``(N, n_kernels, kernel_dims)``; for each kernel ``b``,
    ``o_b(i) = sum_{j != i} exp(-||M_i,b - M_j,b||_1)``. Output: ``concat(f, o)`` of shape
    ``(N, A + n_kernels)``. A batch of near-identical samples (mode collapse) gets large ``o``.
    """

    def __init__(self, n_kernels, kernel_dims=16, **kwargs):
        super().__init__(**kwargs)
        self.n_kernels = int(n_kernels)
        self.kernel_dims = int(kernel_dims)
        if self.n_kernels < 1 or self.kernel_dims < 1:
            raise ValueError(f"n_kernels and kernel_dims must be >= 1, got {n_kernels}, {kernel_dims}")
        with self.name_scope():
            # T as a bias-free Dense so that its input size is inferred like any other layer's.
            self.projection = nn.Dense(self.n_kernels * self.kernel_dims, use_bias=False, flatten=True)

    def hybrid_forward(self, F, x):
        x = F.flatten(x)
        m = F.reshape(self.projection(x), (0, self.n_kernels, self.kernel_dims))  # (N, B, C)
        # (N, B, C, 1) - (1, B, C, N) -> (N, B, C, N): every pair of samples, per kernel.
        diff = F.broadcast_sub(F.expand_dims(m, axis=3),
                               F.expand_dims(F.transpose(m, axes=(1, 2, 0)), axis=0))
        l1 = F.sum(F.abs(diff), axis=2)                       # (N, B, N)
        o = F.sum(F.exp(-l1), axis=2) - 1.0                   # drop j == i (exp(0) == 1)
        return F.concat(x, o, dim=1)


def upsampling_plan(image_shape):
    """How a DCGAN-style decoder reaches ``image_shape`` from a 1x1 latent "image".

    Returns ``(start_h, start_w, n_doublings)``: a first transposed conv (stride 1, no padding)
    makes a ``start_h x start_w`` map, then ``n_doublings`` stride-2 transposed convs double it.
    Each side is halved while even and larger than 4: 64 -> (4, 4, 4), 32 -> (4, 4, 3),
    28 -> (7, 7, 2), 128 -> (4, 4, 5).
    """
    _, h, w = image_shape

    def plan(side):
        n = 0
        while side % 2 == 0 and side > 4:
            side //= 2
            n += 1
        return side, n

    (h0, nh), (w0, nw) = plan(h), plan(w)
    if nh != nw or nh < 1:
        raise ValueError(f"image_shape {tuple(image_shape)}: height and width must be halvable the same "
                         f"number of times (at least once) down to <= 7 or an odd size; "
                         f"use e.g. (1, 28, 28), (1, 32, 32), (3, 64, 64) or (3, 128, 128)")
    return h0, w0, nh


class DCGANDecoder(nn.HybridBlock):
    """Latent vector ``(N, n_latent)`` -> image logits ``(N, C, H, W)``, DCGAN generator style.

    Layers (original study's ``ConvDecoder``, from the MXNet DCGAN tutorial): a transposed conv
    from the 1x1 latent to the start size, then stride-2 4x4 transposed convs; each hidden layer is
    ``Conv2DTranspose(no bias) -> BatchNorm -> ReLU``; channels halve from
    ``base_channels * 2**(n_doublings - 1)`` to ``base_channels``; the last layer maps to ``C``
    channels with no activation (logits). At 3x64x64: ``8b, 4b, 2b, b, 3``.

    Every layer is applied exactly once per forward (MXNet 1.9.1 + oneDNN segfaults in backward
    when one Conv2DTranspose appears twice in a recorded graph).

    One-channel images: MXNet 1.9.1 + oneDNN fails in backward ("could not create a primitive
    descriptor for a reorder primitive") for a 4x4 stride-2 Conv2DTranspose with **one** output
    channel and 16 or more input channels (measured; 2-4 output channels work). For ``C == 1`` the
    last layer therefore makes 2 channels and the first is kept: the same function, ``16 * b``
    parameters more (the unused channel's weights never get a gradient).

    ``bn_before_activation=False`` puts each hidden layer's BatchNorm after its ReLU (the TF2 VAE-GAN
    project's claim that the generator then produces no images; same parameters, other order).
    """

    def __init__(self, n_latent, base_channels, image_shape, bn_before_activation=True, **kwargs):
        super().__init__(**kwargs)
        c, _, _ = image_shape
        h0, w0, n = upsampling_plan(image_shape)
        channels = [base_channels * 2 ** (n - 1 - i) for i in range(n)]
        with self.name_scope():
            self.body = nn.HybridSequential(prefix="")
            in_ch = n_latent
            for i, ch in enumerate(channels):
                if i == 0:
                    conv = nn.Conv2DTranspose(ch, (h0, w0), 1, 0, use_bias=False, in_channels=in_ch)
                else:
                    conv = nn.Conv2DTranspose(ch, 4, 2, 1, use_bias=False, in_channels=in_ch)
                norm, act = nn.BatchNorm(in_channels=ch), nn.Activation("relu")
                self.body.add(conv, *((norm, act) if bn_before_activation else (act, norm)))
                in_ch = ch
            self.out_channels = c
            self.body.add(nn.Conv2DTranspose(max(c, 2), 4, 2, 1, use_bias=False, in_channels=in_ch))

    def hybrid_forward(self, F, z):
        out = self.body(F.reshape(z, (0, 0, 1, 1)))
        if self.out_channels == 1:   # the oneDNN work-around above
            out = F.slice_axis(out, axis=1, begin=0, end=1)
        return out


class StridedConvEncoder(nn.HybridBlock):
    """Image ``(N, C, H, W)`` -> ``(N, n_out)``: stride-2 4x4 convs, then one Dense.

    The mirror of :class:`DCGANDecoder`: ``n_doublings`` convs ``Conv(no bias) -> BatchNorm ->
    ReLU`` with channels ``b, 2b, 4b, ...`` bring the image to the decoder's start size
    (4x4 or 7x7), so the final Dense is small.
    """

    def __init__(self, n_out, base_channels, image_shape, **kwargs):
        super().__init__(**kwargs)
        c, h, w = image_shape
        h0, w0, n = upsampling_plan(image_shape)
        with self.name_scope():
            self.body = nn.HybridSequential(prefix="")
            in_ch = c
            for i in range(n):
                ch = base_channels * 2 ** i
                self.body.add(nn.Conv2D(ch, 4, 2, 1, use_bias=False, in_channels=in_ch),
                              nn.BatchNorm(in_channels=ch), nn.Activation("relu"))
                in_ch = ch
            self.body.add(nn.Dense(n_out, in_units=in_ch * h0 * w0))

    def hybrid_forward(self, F, x):
        return self.body(x)
