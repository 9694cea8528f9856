"""The feature extractors' networks: small Gluon ``HybridBlock`` CNNs with one shared trunk and heads.

Every network maps a float32 batch ``(N, C, H, W)`` in [0, 1] to ``(features, logits)``: ``features``
is the penultimate layer (a ReLU Dense layer of :data:`FEATURE_DIM` = 128 units) and ``logits`` the
concatenated logits of all heads (one softmax head per label; a boolean attribute is a 2-way head).

- :class:`DigitNet` (``mnist``, ``fashion-mnist``): ``(1, 28, 28)``; conv 32 -> pool -> conv 64 ->
  pool -> conv 64 -> pool (3x3) -> Dense 128 (features) -> Dense 10.  ~131k parameters (0.5 MB).
- :class:`FacesNet` (``faces``): ``(3, 32, 32)``; conv 32 -> pool -> conv 64 -> pool -> conv 128 ->
  pool (4x4) -> Dense 128 (features) -> Dense(sum of head sizes). ~360k parameters (1.4 MB).
"""
from mxnet.gluon import nn

FEATURE_DIM = 128


def _conv(channels):
    return nn.Conv2D(channels, 3, padding=1, activation="relu")


class _HeadNet(nn.HybridBlock):
    def __init__(self, channels, n_logits, **kwargs):
        super().__init__(**kwargs)
        self.n_logits = int(n_logits)
        with self.name_scope():
            self.trunk = nn.HybridSequential(prefix="trunk_")
            with self.trunk.name_scope():
                for c in channels:
                    self.trunk.add(_conv(c), nn.MaxPool2D(2))
                self.trunk.add(nn.Flatten(), nn.Dense(FEATURE_DIM, activation="relu"))
            self.head = nn.Dense(self.n_logits, prefix="head_")

    def hybrid_forward(self, F, x):
        feats = self.trunk(x)
        return feats, self.head(feats)


class DigitNet(_HeadNet):
    """``(N, 1, 28, 28)`` -> ``(features (N, 128), logits (N, n_classes))``."""

    def __init__(self, n_classes=10, **kwargs):
        super().__init__((32, 64, 64), n_classes, **kwargs)


class FacesNet(_HeadNet):
    """``(N, 3, 32, 32)`` -> ``(features (N, 128), logits (N, sum of head sizes))``."""

    def __init__(self, n_logits, **kwargs):
        super().__init__((32, 64, 128), n_logits, **kwargs)


NETWORKS = {"digits": DigitNet, "faces": FacesNet}
