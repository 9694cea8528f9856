"""The AE-GAN studies (TF/Keras): an autoencoder as the generator, weighted by alpha and beta.

Scheme ``"aegan"`` (``TrainConfig(scheme="aegan")``), generator = the plain autoencoder
(``get_model("AE", n_latent=100)``; any model of the VAE contract works, its KL is not used), batch 256
in the study. Per batch:

1. discriminator update on real images vs the *detached* reconstructions ``G(x)`` (through
   :class:`~vaegan_gluon.train.stabilisers.DiscLabels`: every label trick applies);
2. generator update on the policy's combination of, per image,
   ``ae = MSE(x, G(x))`` (mean over pixels, Keras' ``MeanSquaredError``) and
   ``gan = BCE(D(G(x)), real)`` with the updated discriminator.

The policies (:mod:`vaegan_gluon.schedules`, ``extra["beta_policy"]``):

- ``constant``: ``alpha * ae + beta * gan`` (alpha 1, beta 0.005);
- ``inverse``: ``alpha * ae + beta * gan / (alpha * ae)`` (beta 0.0005);
- ``derivative``: ``beta = min(1, |a / (d ae / d step)|)`` over a 50-batch window, ``a = 2e-7``, 0 before;
- ``ceiling``: ``ae + min(ae, gan)``.

The study's verification identities hold exactly (tests/test_schemes.py): alpha 1, beta 0 trains the
autoencoder alone (``ae`` is computed as ``PBP_l2 * (1 / n_pixels)``, the same ops as LearnableLoss solo
training with ``pbp_loss="l2", pbp_weight=1/n_pixels``); alpha 0, beta 1 is a plain GAN with an
autoencoder-shaped generator (the same updates as LearnableLoss with ``pbp_weight=0``). "Pretrain the
AE, then GAN" is ``n_solo_epochs``: solo epochs train ``alpha * ae`` only.

``TrainConfig.extra`` keys
--------------------------
beta_policy : str, default "constant"
    ``constant`` | ``inverse`` | ``derivative`` | ``ceiling``.
alpha : float, default 1.0
beta : float
    Default per policy: constant 0.005, inverse 0.0005, ceiling 1.0 (not used by ``derivative``).
derivative_a : float, default 2e-7
derivative_window : int, default 50 (batches)
Plus the stabiliser keys of :mod:`vaegan_gluon.train.stabilisers`. CSV columns: ``ae_loss``,
``gan_loss`` (unweighted, per image), ``beta`` (the weight in force, averaged over the epoch's images;
for ``inverse`` the effective ``beta / (alpha * ae)``), ``vae_loss`` (the generator loss).
"""
import math
from dataclasses import dataclass
from typing import Optional

from mxnet import autograd, nd

from .. import losses
from ..models.discriminators import run_disc
from ..schedules import make_beta_policy
from .schemes import Scheme, register_scheme
from .settings import Settings, check_choice, check_range

__all__ = ["AEGAN", "AEGANSettings"]
BETA_POLICIES = ("constant", "inverse", "derivative", "ceiling")


@dataclass
class AEGANSettings(Settings):
    """The ``aegan`` keys of ``TrainConfig.extra`` (module docstring)."""
    beta_policy: str = "constant"
    alpha: float = 1.0
    beta: Optional[float] = None
    derivative_a: float = 2e-7
    derivative_window: int = 50

    def validate(self):
        check_choice("beta_policy", self.beta_policy, BETA_POLICIES)
        check_range("alpha", self.alpha, 0)
        if self.beta is not None:
            check_range("beta", self.beta, 0)
        check_range("derivative_window", self.derivative_window, 2)


@register_scheme
class AEGAN(Scheme):
    """Autoencoder generator + discriminator with an alpha/beta policy (module docstring).
    Notebook: 21_aegan_weighting."""
    name = "aegan"
    stat_keys = ("vae_loss", "ae_loss", "gan_loss", "beta", "disc_loss", "disc_correct_real", "disc_correct_fake")

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

    def step(self, xs, phase, weights):
        n = sum(x.shape[0] for x in xs)
        alpha = self.policy.alpha
        def forward(x):
            logits, _, _ = self.vae(x)
            # Keras MSE: mean over pixels; written as sum * (1/D) to match LearnableLoss(l2) op for op
            return x, logits, losses.pbp_loss(logits, x, "l2") * (1.0 / self.n_pixels)
        outs = self.record(forward, xs)
        stats = {}
        combo = phase == "combo" and self.disc is not None
        if combo or self.solo_disc:   # solo_disc: D learns in solo epochs too (train/adaptive.py)
            self.disc_half_step(outs, n, stats)   # the shared discriminator update (Scheme)
        if combo and self.adaptive:
            return self._adaptive_step(outs, n, stats, weights["disc_weight"])
        with autograd.record():
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
