"""Variational autoencoders (and a plain autoencoder) that return image *logits*.

Every model here is a ``HybridBlock`` with children ``encoder`` and ``decoder`` and:

- ``hybrid_forward(F, x) -> (logits, mu, logvar)``; ``x`` is ``(N, C, H, W)`` float32 in [0, 1],
  ``logits`` is ``(N, C, H, W)`` (apply a sigmoid for pixels), ``mu``/``logvar`` are
  ``(N, n_latent)``. The latent is ``z = mu + exp(0.5 * logvar) * eps``, ``eps ~ N(0, I)`` drawn
  inside the graph (``F.random.normal_like``), so the model runs hybridized.
- ``encode(x) -> (mu, logvar)``, ``decode(z) -> logits``, ``reconstruct(x)`` and ``sample(n)``
  (both in [0, 1]).
- attributes ``n_latent``, ``image_shape`` (a tuple ``(C, H, W)``) and ``variational``.

All layer sizes are derived from ``image_shape`` and given to the layers explicitly, so parameter
shapes are known before the first forward pass (``count_parameters`` works on a fresh model).
"""
import mxnet as mx
from mxnet.gluon import nn

from .layers import DCGANDecoder, StridedConvEncoder

__all__ = ["DenseVAE", "ConvVAE", "DeepConvVAE", "StridedConvVAE", "AE"]


def _image_shape(image_shape):
    shape = tuple(int(s) for s in image_shape)
    if len(shape) != 3 or min(shape) < 1:
        raise ValueError(f"image_shape must be (channels, height, width), got {image_shape!r}")
    return shape


def _backend(x):
    return mx.sym if isinstance(x, mx.sym.Symbol) else mx.nd


class _VAEBase(nn.HybridBlock):
    """Shared reparameterisation, encode/decode/reconstruct/sample. Subclasses set
    ``self.encoder`` (image -> ``(N, 2 * n_latent)``: mu then logvar) and ``self.decoder``
    (``(N, n_latent)`` -> logits ``(N, C, H, W)``)."""

    variational = True

    def __init__(self, n_latent, image_shape, **kwargs):
        super().__init__(**kwargs)
        self.n_latent = int(n_latent)
        if self.n_latent < 1:
            raise ValueError(f"n_latent must be >= 1, got {n_latent}")
        self.image_shape = _image_shape(image_shape)

    def _stats(self, F, h):
        mu, logvar = F.split(h, num_outputs=2, axis=1)
        return mu, logvar

    def hybrid_forward(self, F, x):
        mu, logvar = self._stats(F, self.encoder(x))
        z = mu + F.exp(0.5 * logvar) * F.random.normal_like(mu)
        return self.decoder(z), mu, logvar

    def encode(self, x):
        """``(N, C, H, W)`` images -> ``(mu, logvar)``, each ``(N, n_latent)``."""
        return self._stats(_backend(x), self.encoder(x))

    def decode(self, z):
        """``(N, n_latent)`` latents -> image logits ``(N, C, H, W)``."""
        return self.decoder(z)

    def reconstruct(self, x):
        """Deterministic reconstruction ``sigmoid(decode(mu))``: ``(N, C, H, W)`` in [0, 1]."""
        mu, _ = self.encode(x)
        return mx.nd.sigmoid(self.decode(mu))

    def _default_ctx(self):
        for p in self.collect_params().values():
            try:
                return p.list_ctx()[0]
            except RuntimeError:
                continue
        raise RuntimeError(f"{type(self).__name__} is not initialized: call .initialize(...) first")

    def sample(self, n, ctx=None):
        """``n`` images ``sigmoid(decode(z))`` with ``z ~ N(0, I)``: ``(n, C, H, W)`` in [0, 1].
        ``ctx`` defaults to the context of the model's parameters."""
        ctx = ctx or self._default_ctx()
        z = mx.nd.random.normal(shape=(int(n), self.n_latent), ctx=ctx)
        return mx.nd.sigmoid(self.decode(z))


def _conv_stats_head(n_out, in_units, original_head):
    """Dense -> BatchNorm (-> ReLU only with ``original_head``) giving ``[mu, logvar]``.

    The BatchNorm stays: the Dense reads ~215 k features (ConvVAE at 64x64), and Adam moves every
    weight by about ``lr`` on its first step, so without a normalisation the first step at lr 1e-3
    shifts logvar by ~100 and the KL overflows (measured: inf at step 2, NaN after). The ReLU goes:
    it forced mu >= 0 and logvar >= 0 (variance >= 1). The Dense has no bias (BatchNorm's beta is
    the bias; a bias before BatchNorm gets a zero gradient, and Adam turns its rounding noise into
    lr-sized steps); ``original_head`` keeps the original's bias for exact parameter counts.
    """
    head = nn.HybridSequential(prefix="")
    head.add(nn.Dense(n_out, in_units=in_units, use_bias=bool(original_head)), nn.BatchNorm(in_channels=n_out))
    if original_head:
        head.add(nn.Activation("relu"))
    return head


class DenseVAE(_VAEBase):
    """VAE of Dense layers: the original study's ``DenseVAE`` (MNIST: ``DenseVAE(5, 3, 400)``).

    Encoder: flatten -> ``n_hidden_layers`` x Dense(``n_hidden_units``, ReLU) -> Dense(2 * n_latent).
    Decoder: ``n_hidden_layers`` x Dense(``n_hidden_units``, ReLU) -> Dense(C*H*W) -> reshape.
    At 1x28x28, ``DenseVAE(5, 3, 400)`` has 1,276,394 parameters, as the original.

    Difference from the original: the decoder returns logits; the original applied a sigmoid
    inside the model and computed ``log(x_hat + 1e-10)`` (losses here use the stable from-logits
    form). Parameter count unchanged.

    Parameters
    ----------
    n_latent : int
        Latent dimensions.
    n_hidden_layers : int
        Hidden Dense layers in the encoder and, again, in the decoder.
    n_hidden_units : int
        Units per hidden layer.
    image_shape : tuple
        ``(C, H, W)`` of the images.
    """

    def __init__(self, n_latent=5, n_hidden_layers=3, n_hidden_units=400, image_shape=(1, 28, 28),
                 **kwargs):
        super().__init__(n_latent, image_shape, **kwargs)
        self.n_hidden_layers = int(n_hidden_layers)
        self.n_hidden_units = int(n_hidden_units)
        n_pixels = self.image_shape[0] * self.image_shape[1] * self.image_shape[2]
        with self.name_scope():
            self.encoder = nn.HybridSequential(prefix="encoder_")
            in_units = n_pixels
            for _ in range(self.n_hidden_layers):
                self.encoder.add(nn.Dense(self.n_hidden_units, activation="relu", in_units=in_units))
                in_units = self.n_hidden_units
            self.encoder.add(nn.Dense(2 * self.n_latent, in_units=in_units))
            self.decoder = _DenseDecoder(self.n_latent, self.n_hidden_layers, self.n_hidden_units,
                                         self.image_shape, prefix="decoder_")


class _DenseDecoder(nn.HybridBlock):
    def __init__(self, n_latent, n_hidden_layers, n_hidden_units, image_shape, **kwargs):
        super().__init__(**kwargs)
        self.image_shape = image_shape
        with self.name_scope():
            self.body = nn.HybridSequential(prefix="")
            in_units = n_latent
            for _ in range(n_hidden_layers):
                self.body.add(nn.Dense(n_hidden_units, activation="relu", in_units=in_units))
                in_units = n_hidden_units
            self.body.add(nn.Dense(image_shape[0] * image_shape[1] * image_shape[2], in_units=in_units))

    def hybrid_forward(self, F, z):
        return F.reshape(self.body(z), (-1,) + self.image_shape)


class _UnpaddedConvEncoder(nn.HybridBlock):
    """The original ConvVAE/DeepConvVAE encoder: two unpadded 4x4 stride-1 convs
    (``Conv(no bias) -> BatchNorm -> ReLU``, ``b`` then ``2b`` channels; H -> H-3 -> H-6), flatten,
    Dense to ``2 * n_latent`` -> BatchNorm (+ ReLU only with ``original_head``)."""

    def __init__(self, n_latent, base_channels, image_shape, original_head, **kwargs):
        super().__init__(**kwargs)
        c, h, w = image_shape
        if h < 7 or w < 7:
            raise ValueError(f"image_shape {image_shape}: the unpadded conv encoder needs H, W >= 7")
        b = base_channels
        with self.name_scope():
            self.body = nn.HybridSequential(prefix="")
            self.body.add(nn.Conv2D(b, 4, use_bias=False, in_channels=c), nn.BatchNorm(in_channels=b),
                          nn.Activation("relu"),
                          nn.Conv2D(2 * b, 4, use_bias=False, in_channels=b),
                          nn.BatchNorm(in_channels=2 * b), nn.Activation("relu"))
            self.head = _conv_stats_head(2 * n_latent, 2 * b * (h - 6) * (w - 6), original_head)

    def hybrid_forward(self, F, x):
        return self.head(self.body(x))


class ConvVAE(_VAEBase):
    """Convolutional VAE: the original study's ``ConvVAE`` (anime faces: ``ConvVAE(512, 32)``).

    Encoder: ``Conv 4x4 (b) -> BN -> ReLU -> Conv 4x4 (2b) -> BN -> ReLU`` (no padding, stride 1:
    64 -> 61 -> 58), flatten, Dense(2 * n_latent) -> BatchNorm. Decoder: :class:`~.layers.DCGANDecoder`
    (``8b, 4b, 2b, b`` channels at 64x64). The Dense over ``2b*(H-6)*(W-6)`` features dominates:
    at 3x64x64 with ``b=32`` it holds 220.5 M of the model's 223.3 M parameters (0.9 GB float32).
    :class:`StridedConvVAE` is the memory-sane variant.

    Difference from the original: mu and logvar come from Dense -> BatchNorm without the ReLU;
    the original's ReLU forced ``mu >= 0`` and ``logvar >= 0`` (variance >= 1). The BatchNorm is
    kept because without it the first Adam step at lr 1e-3 overflows the KL, and the Dense before it
    loses its redundant bias (see ``_conv_stats_head``): 223,291,648 -> 223,290,624 parameters at
    ``ConvVAE(512, 32)``, 3x64x64; ``original_head=True`` rebuilds the original head exactly.
    Difference from the original: the decoder returns logits (the original ended in a sigmoid).

    Parameters
    ----------
    n_latent : int
    base_channels : int
        ``b`` above.
    image_shape : tuple
        ``(C, H, W)``; supported: 1x28x28, 1x32x32, 3x64x64, 3x128x128 (any shape whose sides
        halve equally to <= 7).
    original_head : bool
        Reproduce the original's ``Dense -> BatchNorm -> ReLU`` latent head (defective; default off).
    decoder_bn_before_activation : bool
        False: the decoder's BatchNorm after each ReLU (:class:`~.layers.DCGANDecoder`).
    """

    def __init__(self, n_latent=512, base_channels=32, image_shape=(3, 64, 64), original_head=False,
                 decoder_bn_before_activation=True, **kwargs):
        super().__init__(n_latent, image_shape, **kwargs)
        self.base_channels = int(base_channels)
        with self.name_scope():
            self.encoder = _UnpaddedConvEncoder(self.n_latent, self.base_channels, self.image_shape,
                                                original_head, prefix="encoder_")
            self.decoder = DCGANDecoder(self.n_latent, self.base_channels, self.image_shape,
                                        bn_before_activation=decoder_bn_before_activation, prefix="decoder_")


class DeepConvVAE(_VAEBase):
    """The original study's ``DeepConvVAE``: ConvVAE's encoder with a twice-as-wide decoder.

    Encoder as :class:`ConvVAE`. Decoder: :class:`~.layers.DCGANDecoder` with
    ``2 * base_channels`` base channels (``16b, 8b, 4b, 2b`` at 64x64), which at the original's
    ``base_channels=32`` is exactly its ``512, 256, 128, 64``.

    Difference from the original: the decoder width scales with ``base_channels``; the original
    hard-coded 512/256/128/64 whatever ``base_channels`` was. ``original_decoder_channels=True``
    restores the hard-coded widths. Same count at ``base_channels=32``.
    Difference from the original: Dense -> BatchNorm latent head without the ReLU (see
    :class:`ConvVAE`; ``original_head=True`` restores it; -2 * n_latent parameters: no bias before
    the BatchNorm), and logits instead of a sigmoid output.
    """

    def __init__(self, n_latent=1024, base_channels=32, image_shape=(3, 64, 64),
                 original_decoder_channels=False, original_head=False, **kwargs):
        super().__init__(n_latent, image_shape, **kwargs)
        self.base_channels = int(base_channels)
        decoder_base = 64 if original_decoder_channels else 2 * self.base_channels
        with self.name_scope():
            self.encoder = _UnpaddedConvEncoder(self.n_latent, self.base_channels, self.image_shape,
                                                original_head, prefix="encoder_")
            self.decoder = DCGANDecoder(self.n_latent, decoder_base, self.image_shape, prefix="decoder_")


class StridedConvVAE(_VAEBase):
    """A memory-sane convolutional VAE (not in the original study).

    Encoder: :class:`~.layers.StridedConvEncoder` (stride-2 4x4 convs ``b, 2b, 4b, 8b`` down to
    4x4 at 64x64, then Dense(2 * n_latent) over ``8b*4*4`` features); decoder as :class:`ConvVAE`.
    At 3x64x64, ``StridedConvVAE(512, 32)`` has ~7.6 M parameters instead of ConvVAE's 223 M.
    """

    def __init__(self, n_latent=512, base_channels=32, image_shape=(3, 64, 64), **kwargs):
        super().__init__(n_latent, image_shape, **kwargs)
        self.base_channels = int(base_channels)
        with self.name_scope():
            self.encoder = StridedConvEncoder(2 * self.n_latent, self.base_channels, self.image_shape,
                                              prefix="encoder_")
            self.decoder = DCGANDecoder(self.n_latent, self.base_channels, self.image_shape,
                                        prefix="decoder_")


class AE(_VAEBase):
    """Plain (deterministic) autoencoder: the generator of the AE-GAN studies.

    Encoder: :class:`~.layers.StridedConvEncoder` to ``n_latent``; decoder:
    :class:`~.layers.DCGANDecoder`. ``variational`` is False: the forward returns
    ``(logits, z, zeros_like(z))`` so every generator has the same arity; trainers skip the KL
    term. ``encode(x)`` returns ``(z, zeros)``; ``sample(n)`` decodes ``z ~ N(0, I)`` (an AE has no
    prior, so these samples are only indicative).
    """

    variational = False

    def __init__(self, n_latent=100, base_channels=32, image_shape=(3, 64, 64), **kwargs):
        super().__init__(n_latent, image_shape, **kwargs)
        self.base_channels = int(base_channels)
        with self.name_scope():
            self.encoder = StridedConvEncoder(self.n_latent, self.base_channels, self.image_shape,
                                              prefix="encoder_")
            self.decoder = DCGANDecoder(self.n_latent, self.base_channels, self.image_shape,
                                        prefix="decoder_")

    def _stats(self, F, h):
        return h, F.zeros_like(h)

    def hybrid_forward(self, F, x):
        z = self.encoder(x)
        return self.decoder(z), z, F.zeros_like(z)
