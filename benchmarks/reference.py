"""The imperative reference: the training step written the way the original study wrote its loop.

What makes it the "original" loop (and slow):

- the blocks are **not hybridized** (every operator is dispatched from Python, one at a time);
- the stock per-parameter ``"adam"`` optimiser;
- a **host sync every batch** (``.asscalar()`` of the losses, as the original printed/stored them);
- in a combo step the VAE runs **three times**: once inside the discriminator's recorded graph (the
  reconstruction is *not* detached, so the discriminator's backward also flows through the whole VAE
  for nothing), then twice for the VAE's own update (once for KL + PBP, once more for the
  adversarial term).

One change so that it runs at all: the original recorded both VAE passes of the VAE update in one
graph, and MXNet 1.9.1 + oneDNN segfaults in backward when a ``Conv2DTranspose`` appears twice in one
recorded graph. Here that backward is **split in two** (``grad_req='add'``: one backward for
KL + PBP, one for the adversarial term; the gradients add up to the original's). This is the
"split" variant the issue's numbers (17.5 / 20.8 / 10.8 img/s) were measured with.

The maths equals :class:`vaegan_gluon.train.schemes.LearnableLoss` (``tests/test_bench.py`` checks the
losses and gradients on fixed noise): discriminator update on real vs reconstructed images, then the
VAE update on ``KL + pbp_weight * PBP + disc_weight * BCE(D(x_hat), 1)`` with the updated
discriminator.
"""
import mxnet as mx
from mxnet import autograd, gluon, nd

from vaegan_gluon import losses

__all__ = ["ReferenceStep"]


class ReferenceStep:
    """One original-style training step on unhybridized ``vae`` / ``disc`` (``disc=None``: solo).

    ``noise_seed``: if not None, ``mx.random.seed(noise_seed)`` before *every* VAE forward, so all
    three VAE passes of a combo step draw the same ``eps`` (tests compare against the fast step run
    after the same seed). ``step(x)`` returns host floats: sums over the batch, like the fast
    step's device sums.
    """

    def __init__(self, vae, disc=None, lr=1e-3, disc_lr=None, beta1=0.9, beta2=0.999, pbp_loss="bce",
                 pbp_weight=1.0, disc_weight=1.0, real_label=1.0, noise_seed=None):
        self.vae, self.disc = vae, disc
        self.pbp_kind, self.pbp_weight, self.disc_weight = pbp_loss, pbp_weight, disc_weight
        self.real_label = real_label
        self.noise_seed = noise_seed
        adam = {"beta1": beta1, "beta2": beta2}
        self.vae_trainer = gluon.Trainer(vae.collect_params(), "adam", dict(adam, learning_rate=lr),
                                         kvstore=None)
        self.disc_trainer = None
        if disc is not None:
            self.disc_trainer = gluon.Trainer(disc.collect_params(), "adam",
                                              dict(adam, learning_rate=disc_lr or lr), kvstore=None)
            # the VAE update is two backward passes whose gradients must add up
            for p in vae.collect_params().values():
                if p.grad_req != "null":
                    p.grad_req = "add"

    def _vae(self, x):
        if self.noise_seed is not None:
            mx.random.seed(self.noise_seed)
        return self.vae(x)

    def _zero_vae_grads(self):
        for p in self.vae.collect_params().values():
            if p.grad_req != "null":
                p.zero_grad()

    def _vae_part(self, x):
        """KL + pbp_weight * PBP from one recorded VAE pass, backwarded; returns (loss, pbp, kl)."""
        with autograd.record():
            logits, mu, logvar = self._vae(x)
            pbp = losses.pbp_loss(logits, x, self.pbp_kind)
            kl = losses.kl_divergence(mu, logvar)
            vae_part = kl + self.pbp_weight * pbp
        vae_part.backward()
        return vae_part, pbp, kl

    def step(self, x, phase="combo"):
        n = x.shape[0]
        out = {}
        if phase == "combo" and self.disc is not None:
            # (1) discriminator, with the VAE inside its recorded graph (not detached)
            with autograd.record():
                x_hat = nd.sigmoid(self._vae(x)[0])
                d_real, d_fake = self.disc(x), self.disc(x_hat)
                d_loss = losses.discriminator_loss(d_real, d_fake, real_label=self.real_label)
            d_loss.backward()
            self.disc_trainer.step(n)
            out["disc_loss"] = d_loss.sum().asscalar()
            out["disc_correct_real"] = (d_real > 0).sum().asscalar()
            out["disc_correct_fake"] = (d_fake <= 0).sum().asscalar()
            self._zero_vae_grads()   # the VAE gradients of the discriminator's backward are discarded
            # (2) the VAE: KL + PBP from one pass ...
            vae_part, pbp, kl = self._vae_part(x)
            # ... and the adversarial term from a second pass (the split backward)
            with autograd.record():
                adv = losses.adversarial_loss(self.disc(nd.sigmoid(self._vae(x)[0])), 1.0)
                adv_part = self.disc_weight * adv
            adv_part.backward()
            self.vae_trainer.step(n)
            out["adv_loss"] = adv.sum().asscalar()
            out["vae_loss"] = (vae_part + adv_part).sum().asscalar()
        else:
            if self.disc is not None:
                self._zero_vae_grads()
            vae_part, pbp, kl = self._vae_part(x)
            self.vae_trainer.step(n)
            out["vae_loss"] = vae_part.sum().asscalar()
        out["pbp_loss"] = pbp.sum().asscalar()
        out["kl"] = kl.sum().asscalar()
        return out

    def flops_multiplier(self, phase="combo"):
        """(VAE forwards, discriminator forwards) per step, each costing fwd + bwd."""
        if phase == "combo" and self.disc is not None:
            return 3, 3
        return 1, 0
