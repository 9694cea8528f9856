"""Discriminators: images ``(N, C, H, W)`` float32 in [0, 1] -> logits ``(N, 1)``.

Common options (all off by default, except ``bn_before_activation`` which keeps the original
study's order):

dropout : float
    Dropout rate applied to the output of every hidden layer (conv block / hidden Dense; for
    ResNetDisc only to the pooled features) and so to the input of the final Dense.
minibatch_features : int
    If > 0, a :class:`~.layers.MinibatchDiscrimination` layer with this many kernels (each
    ``minibatch_kernel_dims`` wide) sits before the final Dense.
instance_noise : bool
    If True, an :class:`~.layers.InstanceNoise` input layer adds ``N(0, s**2)`` noise while
    training; ``disc.set_noise_stddev(s)`` sets ``s`` (starts at 0).
bn_before_activation : bool
    ``Conv -> BatchNorm -> activation`` (True, the original study's order) or
    ``Conv -> activation -> BatchNorm`` (False). Only where BatchNorm exists: DenseLogReg has none
    (accepted and ignored); ResNetDisc's residual blocks fix the order (True only).
feature_layer : int or None
    If an int ``l``, the forward returns ``(logits, features)``: ``features`` is the output of the
    ``l``-th feature layer of the *same* pass (counted from 1, after its normalisation and
    activation, before dropout). Feature layers: DenseLogReg - the hidden Dense layers;
    ConvDisc / DeepConvDisc - the conv blocks; ResNetDisc - 1 = stem (conv, BN, ReLU, max-pool),
    2..5 = the four residual stages. The VAE/GAN paper (Larsen et al. 2016) uses the 4th conv
    layer: ``DeepConvDisc(feature_layer=4)``.
n_attributes : int
    If > 0, an auxiliary attribute head: a Dense(``n_attributes``) on the *penultimate* features (the
    input of the final Dense(1), after ResNetDisc's pooling and the head dropout, before minibatch
    discrimination, whose batch statistics describe the batch rather than the image) returns
    attribute logits ``(N, n_attributes)`` from the same pass (the VAE-GAN blog's auxiliary output
    predicting CelebA's 40 attributes; loss: :func:`vaegan_gluon.losses.attribute_loss`). Its
    parameters are named ``<disc prefix>attr_weight`` / ``attr_bias``; with 0 (the default) nothing is
    added and the discriminator is unchanged.
spectral_norm : bool
    If True, every Dense and Conv2D (feature layers, head, minibatch projection, attribute head, ResNetDisc's
    blocks) computes with its weight divided by a power-iteration estimate of its largest singular value
    (Miyato et al. 2018; :mod:`.spectral_norm`). Default False: nothing is added.

Output: ``disc(x)`` (the hybridized graph's outputs) is ``logits``; ``(logits, features)`` with
``feature_layer``; ``(logits, attr_logits)`` with ``n_attributes``; ``(logits, features, attr_logits)`` with
both. Code reads it by name, not position: :func:`run_disc` / ``disc.outputs(x)`` return a
:class:`DiscOutput` ``(logits, features, attributes)`` whose absent parts are None.
"""
from typing import NamedTuple, Optional

from mxnet.gluon import nn
from mxnet.gluon.model_zoo.vision.resnet import BasicBlockV1

from .layers import InstanceNoise, MinibatchDiscrimination
from .spectral_norm import apply_spectral_norm, power_iteration

__all__ = ["DenseLogReg", "ConvDisc", "DeepConvDisc", "ResNetDisc", "DiscOutput", "run_disc", "name_outputs"]


class DiscOutput(NamedTuple):
    """A discriminator's outputs by name: ``logits`` (N, 1); ``features`` (the ``feature_layer``-th layer's
    output) and ``attributes`` (attribute logits (N, K)) or None where the discriminator has none."""
    logits: object
    features: Optional[object] = None
    attributes: Optional[object] = None


def name_outputs(disc, out):
    """Name the parts of ``out = disc(x)`` from the discriminator's ``feature_layer`` / ``n_attributes``.

    Any HybridBlock returning ``(N, 1)`` logits is a discriminator (no feature / attribute outputs).
    """
    parts = list(out) if isinstance(out, (tuple, list)) else [out]
    has_features = getattr(disc, "feature_layer", None) is not None
    has_attributes = getattr(disc, "n_attributes", 0) > 0
    if len(parts) != 1 + has_features + has_attributes:
        raise ValueError(f"{type(disc).__name__} returned {len(parts)} outputs; its feature_layer / n_attributes "
                         f"say {1 + has_features + has_attributes} (logits, features?, attribute logits?)")
    return DiscOutput(parts[0], parts[1] if has_features else None, parts[-1] if has_attributes else None)


def run_disc(disc, x):
    """``disc(x)`` as a :class:`DiscOutput`."""
    return name_outputs(disc, disc(x))


class _Discriminator(nn.HybridBlock):
    """Input noise -> feature layers (with optional capture + dropout) -> head -> ``(N, 1)`` logits.

    Subclasses fill ``self.layers`` (a HybridSequential of feature layers) and may add pooling
    to ``self.head`` before calling :meth:`_finish_head`.
    """

    def __init__(self, dropout=0.0, minibatch_features=0, instance_noise=False, feature_layer=None,
                 minibatch_kernel_dims=16, hidden_dropout=True, n_attributes=0, spectral_norm=False, **kwargs):
        super().__init__(**kwargs)
        self.spectral_norm = bool(spectral_norm)
        self.n_attributes = int(n_attributes)
        if self.n_attributes < 0:
            raise ValueError(f"n_attributes must be >= 0, got {n_attributes}")
        self.dropout = float(dropout)
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        self.minibatch_features = int(minibatch_features)
        self.minibatch_kernel_dims = int(minibatch_kernel_dims)
        self.feature_layer = None if feature_layer is None else int(feature_layer)
        self._hidden_dropout = hidden_dropout
        with self.name_scope():
            self.noise = InstanceNoise(prefix="noise_") if instance_noise else None
            self.layers = nn.HybridSequential(prefix="")
            self.head = nn.HybridSequential(prefix="head_")
            # the auxiliary attribute head exists only when asked for (default: parameters unchanged)
            self.attr_head = nn.Dense(self.n_attributes, prefix="attr_") if self.n_attributes > 0 else None

    def _finish_head(self):
        n = len(self.layers)
        if self.feature_layer is not None and not 1 <= self.feature_layer <= n:
            raise ValueError(f"feature_layer={self.feature_layer} but {type(self).__name__} has "
                             f"{n} feature layers: use 1..{n} (see the module docstring)")
        with self.head.name_scope():
            if self.dropout > 0 and not self._hidden_dropout:
                self.head.add(nn.Dropout(self.dropout))
            if self.minibatch_features > 0:
                self.head.add(MinibatchDiscrimination(self.minibatch_features, self.minibatch_kernel_dims))
            self.head.add(nn.Dense(1))
        if self.spectral_norm:   # every subclass ends its construction here
            apply_spectral_norm(self, hook=False)

    def __call__(self, *args):
        if self.spectral_norm:   # one power iteration per training forward (models/spectral_norm.py)
            power_iteration(self)
        return super().__call__(*args)

    def outputs(self, x):
        """``self(x)`` as a :class:`DiscOutput` (:func:`run_disc`)."""
        return run_disc(self, x)

    def set_noise_stddev(self, stddev):
        """Set the instance-noise standard deviation (used only while training)."""
        if self.noise is None:
            raise ValueError(f"{type(self).__name__} was built without instance noise: "
                             "pass instance_noise=True to use set_noise_stddev")
        self.noise.set_stddev(stddev)

    def hybrid_forward(self, F, x):
        if self.noise is not None:
            x = self.noise(x)
        features = None
        for i in range(len(self.layers)):
            x = self.layers[i](x)
            if i + 1 == self.feature_layer:
                features = x
            if self._hidden_dropout and self.dropout > 0:
                x = F.Dropout(x, p=self.dropout)
        if self.attr_head is None:
            logits = self.head(x)
            attr = None
        else:
            # the head's blocks one by one: the attribute head reads the input of the final Dense(1)
            # (or of minibatch discrimination, if any)
            attr, last = None, len(self.head) - 1
            for i in range(len(self.head)):
                block = self.head[i]
                if attr is None and (i == last or isinstance(block, MinibatchDiscrimination)):
                    attr = self.attr_head(x)
                x = block(x)
            logits = x
        out = (logits,) + (() if self.feature_layer is None else (features,)) + (() if attr is None else (attr,))
        return out[0] if len(out) == 1 else out


def _conv_block(channels, in_channels, norm_layer, norm_kwargs, bn_before_activation, slope=0.2):
    block = nn.HybridSequential(prefix="")
    block.add(nn.Conv2D(channels, 4, 2, 1, use_bias=False, in_channels=in_channels))
    act = nn.LeakyReLU(slope)
    if norm_layer is None:
        block.add(act)
    else:
        norm = norm_layer(**(norm_kwargs or {}))
        block.add(*((norm, act) if bn_before_activation else (act, norm)))
    return block


class DenseLogReg(_Discriminator):
    """The original study's dense "logistic regressor" (``DenseLogisticRegressor``).

    flatten -> ``n_hidden_layers`` x Dense(``n_hidden_units``, ReLU) -> Dense(1).
    At 1x28x28, ``DenseLogReg(1, 200)`` has 157,201 parameters, as the original.
    ``bn_before_activation`` is accepted and ignored (no BatchNorm here).
    """

    def __init__(self, n_hidden_layers=1, n_hidden_units=200, dropout=0.0, minibatch_features=0,
                 instance_noise=False, bn_before_activation=True, feature_layer=None,
                 minibatch_kernel_dims=16, **kwargs):
        super().__init__(dropout, minibatch_features, instance_noise, feature_layer,
                         minibatch_kernel_dims, **kwargs)
        self.n_hidden_layers = int(n_hidden_layers)
        self.n_hidden_units = int(n_hidden_units)
        with self.layers.name_scope():
            for _ in range(self.n_hidden_layers):
                self.layers.add(nn.Dense(self.n_hidden_units, activation="relu", flatten=True))
        self._finish_head()


class ConvDisc(_Discriminator):
    """The original study's ``ConvDisc_LeakyReLU``: three stride-2 4x4 conv blocks, Dense(1).

    ``Conv(b) -> LeakyReLU(0.2)``, ``Conv(2b) -> BN -> LeakyReLU``, ``Conv(4b) -> BN ->
    LeakyReLU`` (convs bias-free, padding 1: 64 -> 32 -> 16 -> 8), Dense(1) over ``4b*8*8``.
    Same parameter count as the original. ``norm_layer`` (default ``nn.BatchNorm``; None for no
    normalisation) and ``norm_kwargs`` replace the BatchNorm of blocks 2 and 3.
    """

    n_blocks = 3

    def __init__(self, base_channels=32, dropout=0.0, minibatch_features=0, instance_noise=False,
                 bn_before_activation=True, feature_layer=None, norm_layer=nn.BatchNorm,
                 norm_kwargs=None, minibatch_kernel_dims=16, **kwargs):
        super().__init__(dropout, minibatch_features, instance_noise, feature_layer,
                         minibatch_kernel_dims, **kwargs)
        self.base_channels = int(base_channels)
        with self.layers.name_scope():
            in_ch = 0
            for i in range(self.n_blocks):
                ch = self.base_channels * 2 ** i
                self.layers.add(_conv_block(ch, in_ch, None if i == 0 else norm_layer, norm_kwargs,
                                            bn_before_activation))
                in_ch = ch
        self._finish_head()


class DeepConvDisc(ConvDisc):
    """A deeper ConvDisc: four stride-2 4x4 conv blocks (``b, 2b, 4b, 8b``), Dense(1).

    The DCGAN discriminator of the MXNet DCGAN tutorial (which the original study's DeepConvVAE
    decoder cites), with the first block un-normalised and LeakyReLU(0.2). The original's
    ``DeepConvDisc`` source was not available; at 3x64x64 this has the tutorial's final
    ``Conv2D(1, 4)`` over the 4x4 map as a Dense over ``8b*4*4`` features (one extra bias), so
    it works at every image size.
    """

    n_blocks = 4

    def __init__(self, base_channels=64, **kwargs):
        super().__init__(base_channels=base_channels, **kwargs)


class ResNetDisc(_Discriminator):
    """ResNet-18 discriminator with one logit (the original study's ``ResNet``), no pretrained weights.

    Stem ``Conv 7x7/2 (64) -> BN -> ReLU -> MaxPool 3x3/2``, four stages of two
    :class:`mxnet.gluon.model_zoo.vision.resnet.BasicBlockV1` at 64/128/256/512 channels (stride 2
    from the second stage), global average pooling, Dense(1). 11,186,625 parameters with 3 input
    channels.

    Difference from the original: built from Gluon's model-zoo ``BasicBlockV1`` (bias-free convs
    followed by BatchNorm, BatchNorm on the 1x1 projection shortcuts) instead of the d2l
    ``Residual`` block the original used (biases in every conv, no BatchNorm on the shortcuts):
    11,186,625 instead of 11,187,841 parameters (-4,800 conv biases, +3,584 shortcut BatchNorm).
    ``dropout`` applies to the pooled features only; ``bn_before_activation`` must stay True.
    """

    def __init__(self, dropout=0.0, minibatch_features=0, instance_noise=False,
                 bn_before_activation=True, feature_layer=None, minibatch_kernel_dims=16, **kwargs):
        if not bn_before_activation:
            raise ValueError("ResNetDisc: BasicBlockV1 fixes BatchNorm before ReLU; "
                             "bn_before_activation=False is not supported")
        super().__init__(dropout, minibatch_features, instance_noise, feature_layer,
                         minibatch_kernel_dims, hidden_dropout=False, **kwargs)
        with self.layers.name_scope():
            stem = nn.HybridSequential(prefix="stem_")
            stem.add(nn.Conv2D(64, 7, 2, 3, use_bias=False), nn.BatchNorm(in_channels=64),
                     nn.Activation("relu"), nn.MaxPool2D(3, 2, 1))
            self.layers.add(stem)
            in_ch = 64
            for i, ch in enumerate((64, 128, 256, 512)):
                stage = nn.HybridSequential(prefix=f"stage{i + 1}_")
                with stage.name_scope():
                    stride = 1 if i == 0 else 2
                    stage.add(BasicBlockV1(ch, stride, downsample=ch != in_ch, in_channels=in_ch),
                              BasicBlockV1(ch, 1, downsample=False, in_channels=ch))
                self.layers.add(stage)
                in_ch = ch
        with self.head.name_scope():
            self.head.add(nn.GlobalAvgPool2D())
        self._finish_head()
