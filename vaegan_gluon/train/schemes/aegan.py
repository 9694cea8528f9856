"""The AE-GAN studies (TF/Keras): an autoencoder as the generator, weighted by alpha and beta.

Scheme ``"aegan"``; generator = the plain autoencoder (``get_model("AE", n_latent=100)``; any model of the
VAE contract works, its KL is not used), batch 256 in the study. Per batch: (1) the discriminator learns real
images against the *detached* reconstructions ``G(x)`` (:meth:`Scheme.disc_step`, every label trick); (2) the
generator learns the policy's combination of ``ae = MSE(x, G(x))`` (mean over pixels, Keras'
``MeanSquaredError``) and ``gan = BCE(D(G(x)), real)`` per image (:class:`BetaPolicy` below).

The study's verification identities hold exactly (tests/test_schemes.py): alpha 1, beta 0 trains the
autoencoder alone (``ae`` is ``PBP_l2 * (1 / n_pixels)``, the ops of learnable_loss with ``pbp_loss="l2"``,
``pbp_weight=1/n_pixels``); alpha 0, beta 1 is a plain GAN with an autoencoder-shaped generator. "Pretrain the
AE, then GAN" is ``n_solo_epochs``: solo epochs train ``alpha * ae`` only. CSV columns: ``ae_loss``,
``gan_loss`` (unweighted, per image), ``beta`` (the weight in force; for ``inverse`` the effective
``beta / (alpha * ae)``), ``vae_loss`` (the generator loss).
"""
import abc
import math
from dataclasses import dataclass
from typing import Optional

import numpy as np
from mxnet import autograd, nd

from ... import losses
from ...models.discriminators import run_disc
from ...schedules import Schedule
from ..settings import check_choice, check_range
from .base import Scheme, batch_size, register_scheme
from .stabilisers import StabiliserSettings

__all__ = ["AEGAN", "AEGANSettings", "BetaPolicy", "ConstantBeta", "InverseAEBeta", "DerivativeBeta",
           "CeilingBeta", "make_beta_policy", "BETA_POLICIES"]


@dataclass
class AEGANSettings(StabiliserSettings):
    """``train.extra`` of ``aegan``: the beta policy and the stabilisers."""
    beta_policy: str = "constant"      # constant | inverse | derivative | ceiling (the policies below)
    alpha: float = 1.0                 # weight of the AE term
    beta: Optional[float] = None       # None: the policy's default (constant 0.005, inverse 0.0005, ceiling 1)
    derivative_a: float = 2e-7         # derivative: beta = min(1, |a / (d ae / d step)|) ...
    derivative_window: int = 50        # ... the slope over this many batches

    def validate(self):
        super().validate()
        check_choice("beta_policy", self.beta_policy, list(BETA_POLICIES))
        check_range("alpha", self.alpha, 0)
        if self.beta is not None:
            check_range("beta", self.beta, 0)
        check_range("derivative_window", self.derivative_window, 2)


# ------------------------------------------------------------------------------ the beta policies
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
        t = np.arange(window, dtype=np.float64)
        w = (t - t.mean()) / ((t - t.mean()) ** 2).sum()          # slope weights for oldest..newest
        table = np.empty((window, window), np.float64)
        for k in range(window):                                     # newest at slot k, oldest at k + 1
            order = [(k + 1 + i) % window for i in range(window)]
            table[k, order] = w
        return table.astype(np.float32)

    def _ensure(self, ctx):
        if self._buf is None or self._buf.context != ctx:
            hist = self.history if self.history is not None else [0.0] * self.window
            self._buf = nd.array(hist, ctx=ctx)
            self._weights = nd.array(self.regression_weights(self.window), ctx=ctx)

    def current_beta(self, ctx):
        """Device scalar (1,): beta from the window before this batch."""
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


@register_scheme
class AEGAN(Scheme):
    """Autoencoder generator + discriminator with an alpha/beta policy (module docstring).
    Notebook: 21_aegan_weighting."""
    name = "aegan"
    settings = AEGANSettings
    stat_keys = ("vae_loss", "ae_loss", "gan_loss", "beta", "disc_loss", "disc_acc_real", "disc_acc_fake")

    def __init__(self, vae, disc, config, ctx, kvstore="device", kvsync=None):
        e = config.extra
        kind = e.beta_policy
        kwargs = {"alpha": e.alpha}
        if kind == "derivative":
            kwargs.update(a=e.derivative_a, window=e.derivative_window)
        elif e.beta is not None:
            kwargs["beta"] = e.beta
        self.policy = make_beta_policy(kind, **kwargs)
        self.n_pixels = int(math.prod(vae.image_shape))
        super().__init__(vae, disc, config, ctx, kvstore, kvsync)

    def build_optimizers(self):
        opts = {"vae": self.adam(self.vae.collect_params(), self.config.lr)}
        return self.with_disc_optimizer(opts)

    def state_dict(self):
        return dict(super().state_dict(), policy=self.policy.state_dict())

    def load_state_dict(self, state):
        super().load_state_dict(state)
        self.policy.load_state_dict(state["policy"])

    def step(self, batch, phase, weights):
        xs, n, alpha = batch["x"], batch_size(batch), self.policy.alpha

        def forward(x):
            logits, _, _ = self.vae(x)
            # Keras MSE: mean over pixels; written as sum * (1/D) to match LearnableLoss(l2) op for op
            return x, logits, losses.pbp_loss(logits, x, "l2") * (1.0 / self.n_pixels)
        outs = self.record(forward, xs)
        stats = {}
        combo = phase == "combo" and self.disc is not None
        if combo or self.solo_disc:   # solo_disc: D learns in solo epochs too (train/adaptive.py)
            self.disc_step(outs, n, stats)   # (1) the shared discriminator update
        if combo and self.adaptive:
            return self._adaptive_step(outs, n, stats, weights["disc_weight"])
        with autograd.record():   # (2) the generator, through the updated D
            total, gans, betas = [], [], []
            for x, logits, ae in outs:
                if combo:
                    gan = losses.adversarial_loss(run_disc(self.disc, nd.sigmoid(logits)).logits, 1.0)
                    loss, beta = self.policy.combine(ae, gan)
                    gans.append(gan)
                    betas.append(beta if isinstance(beta, nd.NDArray) else nd.full((1,), beta, ctx=x.context))
                else:
                    loss = alpha * ae
                total.append(loss)
        if combo and self.grad_ratio is not None:   # the diagnostic: |grad alpha*ae| / |grad gan| at W_L
            if self.grad_ratio.due():
                self.grad_ratio.measure([o[2] for o in outs], gans, alpha)
            stats["grad_ratio"] = self.grad_ratio.held * n
        self.backward_and_update(total, n, stats, "vae")
        stats["ae_loss"] = self._sum([o[2] for o in outs])
        if combo:
            stats["gan_loss"] = self._sum(gans)
            stats["beta"] = self._sum([b.detach().reshape((1,)) * x.shape[0] for b, (x, _, _) in zip(betas, outs)])
        return stats

    def _adaptive_step(self, outs, n, stats, disc_weight):
        """``disc_weight_mode="adaptive"`` (train/adaptive.py): ``alpha * ae + lambda * gan`` with ``lambda =
        clamp(|grad alpha*ae| / (|grad gan| + 1e-4), 0, 1e4) * disc_weight`` at the decoder's last layer,
        every step; the ``beta`` column records lambda."""
        alpha = self.policy.alpha
        with autograd.record():
            gans = [losses.adversarial_loss(run_disc(self.disc, nd.sigmoid(lg)).logits, 1.0) for _, lg, _ in outs]
        ratio = self.grad_ratio.measure([o[2] for o in outs], gans, alpha)
        lam = self.grad_ratio.weight_of(ratio, disc_weight)
        with autograd.record():
            total = [alpha * ae + nd.broadcast_mul(lam.as_in_context(x.context), gan)
                     for (x, _, ae), gan in zip(outs, gans)]
        self.backward_and_update(total, n, stats, "vae")
        stats["ae_loss"] = self._sum([o[2] for o in outs])
        stats["gan_loss"] = self._sum(gans)
        stats["beta"] = lam * n
        stats["grad_ratio"] = ratio * n
        return stats
