"""The AE-GAN generator loss's beta policies: how ``ae`` (per-image MSE) and ``gan`` (per-image BCE) are
combined, constant or following the AE loss. Re-exported by :mod:`vaegan_gluon.schedules`."""
import abc

from .schedules_base import Schedule


class BetaPolicy(Schedule, abc.ABC):
    """How the AE-GAN generator loss combines ``ae`` (per-image MSE) and ``gan`` (per-image BCE).

    ``combine(ae, gan)`` takes two ``(N,)`` NDArrays of the batch (recorded, with gradients) and returns
    ``(loss (N,), beta_in_force)`` where ``loss.mean()`` is the study's batch-level generator loss (so
    that ``gluon.Trainer.step(N)`` gives exactly its gradient) and ``beta_in_force`` a float or a device
    scalar (for the CSV column ``beta``). Policies never read values on the host per batch.
    """
    kind = None

    def __init__(self, alpha=1.0, beta=0.005):
        if alpha < 0 or beta < 0:
            raise ValueError(f"alpha and beta must be >= 0, got alpha={alpha!r}, beta={beta!r}")
        self.alpha, self.beta = float(alpha), float(beta)

    @abc.abstractmethod
    def combine(self, ae, gan):
        """Each policy below defines it (see the class docstring for the contract)."""


class ConstantBeta(BetaPolicy):
    """``alpha * ae + beta * gan`` (the study's first runs: alpha 1, beta 0.005)."""
    kind = "constant"

    def combine(self, ae, gan):
        return self.alpha * ae + self.beta * gan, self.beta


class InverseAEBeta(BetaPolicy):
    """``alpha * ae + beta * gan / (alpha * ae)`` with batch means (AE-GAN v1: beta 0.0005).

    The GAN term grows as the reconstruction improves. ``ae`` in the denominator is the batch mean and
    stays in the graph (as in the study's TF code, its gradient flows too). Per context when a batch is
    split over devices.
    """
    kind = "inverse"

    def __init__(self, alpha=1.0, beta=0.0005):
        super().__init__(alpha, beta)
        if alpha == 0:
            raise ValueError("the inverse policy divides by alpha * ae: alpha must be > 0")

    def combine(self, ae, gan):
        from mxnet import nd
        scale = self.beta / (self.alpha * nd.mean(ae) + 1e-12)
        return self.alpha * ae + nd.broadcast_mul(gan, scale.reshape((1,))), scale


class CeilingBeta(BetaPolicy):
    """``alpha * ae + min(alpha * ae, beta * gan)`` with batch means: the GAN term never dominates.

    The minimum is taken on the batch means (on device); its gradient follows the smaller branch.
    """
    kind = "ceiling"

    def __init__(self, alpha=1.0, beta=1.0):
        super().__init__(alpha, beta)

    def combine(self, ae, gan):
        from mxnet import nd
        use_gan = (self.beta * nd.mean(gan) < self.alpha * nd.mean(ae)).detach().reshape((1,))
        second = nd.broadcast_mul(gan, use_gan * self.beta) + nd.broadcast_mul(ae, (1 - use_gan) * self.alpha)
        return self.alpha * ae + second, use_gan * self.beta


class DerivativeBeta(BetaPolicy):
    """``beta = min(1, |a / (d ae / d step)|)`` over the last ``window`` batches; 0 before that.

    The slope is the least-squares slope of the last ``window`` batch-mean ``ae`` values against the
    batch index. The history lives **on device** in a ring buffer (``window`` floats); the slope is a
    dot product with a precomputed, rotated regression-weight vector (one ``(window, window)`` device
    table), so no per-batch host read is needed -- the study wrote every batch's losses to a CSV file
    and read it back with pandas. A flat window (slope 0) gives beta 1. The buffer is read on the host
    only for a checkpoint (once an epoch).
    """
    kind = "derivative"

    def __init__(self, alpha=1.0, a=2e-7, window=50):
        super().__init__(alpha, 0.0)
        if int(window) < 2:
            raise ValueError(f"window must be >= 2 batches, got {window!r}")
        if not a > 0:
            raise ValueError(f"a must be > 0, got {a!r}")
        self.a, self.window = float(a), int(window)
        self.n_seen = 0            # batches observed so far (host counter)
        self.history = None        # filled by state_dict (host copy of the ring buffer)
        self._buf, self._weights = None, None

    @staticmethod
    def regression_weights(window):
        """``W[k] @ buf`` = least-squares slope when the newest value sits in slot ``k``."""
        import numpy as np
        t = np.arange(window, dtype=np.float64)
        w = (t - t.mean()) / ((t - t.mean()) ** 2).sum()          # slope weights for oldest..newest
        table = np.empty((window, window), np.float64)
        for k in range(window):                                     # newest at slot k, oldest at k + 1
            order = [(k + 1 + i) % window for i in range(window)]
            table[k, order] = w
        return table.astype(np.float32)

    def _ensure(self, ctx):
        from mxnet import nd
        if self._buf is None or self._buf.context != ctx:
            hist = self.history if self.history is not None else [0.0] * self.window
            self._buf = nd.array(hist, ctx=ctx)
            self._weights = nd.array(self.regression_weights(self.window), ctx=ctx)

    def current_beta(self, ctx):
        """Device scalar (1,): beta from the window before this batch."""
        from mxnet import nd
        self._ensure(ctx)
        if self.n_seen < self.window:
            return nd.zeros((1,), ctx=ctx)
        k = (self.n_seen - 1) % self.window
        slope = nd.dot(self._weights[k], self._buf).reshape((1,))
        return nd.minimum(nd.ones_like(slope), self.a / nd.maximum(nd.abs(slope), 1e-30))

    def observe(self, ae_mean):
        """Push this batch's mean ae (device scalar) into the ring buffer."""
        self._ensure(ae_mean.context)
        k = self.n_seen % self.window
        self._buf[k:k + 1] = ae_mean.detach().reshape((1,)).as_in_context(self._buf.context)
        self.n_seen += 1

    def combine(self, ae, gan):
        """With a batch split over devices, each device's sub-batch counts as one step of the window."""
        from mxnet import autograd, nd
        with autograd.pause():   # buffer arithmetic and the in-place ring write stay out of the graph
            beta = self.current_beta(ae.context)
            self.observe(nd.mean(ae.detach()))
        return self.alpha * ae + nd.broadcast_mul(gan, beta), beta

    def state_dict(self):
        hist = self._buf.asnumpy().tolist() if self._buf is not None else self.history
        return {"alpha": self.alpha, "a": self.a, "window": self.window, "n_seen": self.n_seen, "history": hist}

    def load_state_dict(self, state):
        super().load_state_dict(state)
        self._buf = None   # rebuilt from history on the next batch


BETA_POLICIES = {c.kind: c for c in (ConstantBeta, InverseAEBeta, DerivativeBeta, CeilingBeta)}


def make_beta_policy(kind="constant", **kwargs):
    """``make_beta_policy("inverse", alpha=1, beta=5e-4)``; kinds: constant, inverse, derivative, ceiling."""
    if kind not in BETA_POLICIES:
        raise ValueError(f"unknown beta policy {kind!r}; valid: {sorted(BETA_POLICIES)}")
    try:
        return BETA_POLICIES[kind](**kwargs)
    except TypeError as err:
        raise ValueError(f"bad settings for beta policy {kind!r}: {err}") from None
