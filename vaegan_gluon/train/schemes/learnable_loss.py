"""The original study's scheme: a VAE trained against a discriminator as a learnable loss.

Solo phase: VAE loss = KL + pbp_weight * PBP. Combo phase, per batch: (1) the discriminator learns real
images against the *detached* reconstructions; (2) the VAE learns ``KL + pbp_weight * PBP + disc_weight *
BCE(D(x_hat), real)`` through the updated D. The VAE runs **once** per step (the original ran it two or three
times, once inside D's recorded graph; with MXNet 1.9.1 + oneDNN a Conv2DTranspose used twice in one recorded
graph segfaults in backward). Optional: the VAE-GAN blog's auxiliary attribute head (settings below).
"""
from dataclasses import dataclass
from typing import List, Optional

from mxnet import autograd, nd

from ... import losses
from ...models.discriminators import run_disc
from ..settings import check_range
from .base import Scheme, batch_size, register_scheme
from .stabilisers import StabiliserSettings

__all__ = ["LearnableLoss", "LearnableLossSettings"]


@dataclass
class LearnableLossSettings(StabiliserSettings):
    """``train.extra`` of ``learnable_loss``: the stabilisers and the auxiliary attribute head."""
    # > 0: D (built with n_attributes=K) also predicts the real images' binary attributes; its loss becomes
    # BCE_adv + attribute_weight * attribute_loss (mean over the K attributes). Columns attr_loss, attr_acc.
    attribute_weight: float = 0.0
    # the attribute table's columns used as targets (None: every binary / categorical one)
    attribute_columns: Optional[List[str]] = None
    # > 0: the blog's conditional push, attribute_vae_weight * attribute_loss(D_attr(x_hat), t) in the VAE's
    # loss (column attr_vae_loss); needs attribute_weight > 0
    attribute_vae_weight: float = 0.0

    def validate(self):
        super().validate()
        check_range("attribute_weight", self.attribute_weight, 0)
        check_range("attribute_vae_weight", self.attribute_vae_weight, 0)
        if self.attribute_vae_weight > 0 and not self.attribute_weight > 0:
            raise ValueError("setting attribute_vae_weight > 0 needs attribute_weight > 0 "
                             "(an untrained attribute head cannot push the VAE)")


@register_scheme
class LearnableLoss(Scheme):
    """The learnable-loss VAE/GAN (module docstring). Notebooks 00-10."""
    name = "learnable_loss"
    settings = LearnableLossSettings
    stat_keys = ("vae_loss", "pbp_loss", "kl", "adv_loss", "disc_loss", "disc_acc_real", "disc_acc_fake")

    def __init__(self, vae, disc, config, ctx, kvstore="device", kvsync=None):
        self.attribute_weight = config.extra.attribute_weight
        self.attribute_vae_weight = config.extra.attribute_vae_weight
        if self.attribute_weight > 0:
            if disc is None or getattr(disc, "n_attributes", 0) < 1:
                raise ValueError("extra['attribute_weight'] > 0 needs a discriminator built with "
                                 "n_attributes=K (the number of attribute targets)")
            self.stat_keys = type(self).stat_keys + ("attr_loss", "attr_acc") + (
                ("attr_vae_loss",) if self.attribute_vae_weight > 0 else ())
        super().__init__(vae, disc, config, ctx, kvstore, kvsync)

    def build_optimizers(self):
        return self.with_disc_optimizer({"vae": self.adam(self.vae.collect_params(), self.config.lr)})

    def vae_losses(self, x):
        """``(x, logits, pbp, kl)`` of one context's images, each loss ``(N,)``."""
        logits, mu, logvar = self.vae(x)
        pbp = losses.pbp_loss(logits, x, self.config.pbp_loss)
        kl = losses.kl_divergence(mu, logvar) if self.vae.variational else nd.zeros_like(pbp)
        return x, logits, pbp, kl

    def step(self, batch, phase, weights):
        n, pbp_w, disc_w = batch_size(batch), weights["pbp_weight"], weights["disc_weight"]
        adversarial = phase == "combo" and disc_w > 0
        push = phase == "combo" and self.attribute_vae_weight > 0
        outs = self.record(self.vae_losses, batch["x"])     # the VAE once: (x, logits, pbp, kl) per context
        stats, fakes = {}, None
        if phase == "combo" or self.solo_disc:
            with autograd.record():
                fakes = [nd.sigmoid(logits) for _, logits, _, _ in outs]
            self.disc_step(outs, n, stats, self.attribute_term(batch, stats), fakes)   # (1) the discriminator
        if adversarial and self.adaptive:
            return self.adaptive_vae_step(outs, fakes, pbp_w, disc_w, n, stats)
        with autograd.record():                               # (2) the VAE, through the updated D
            total, advs, pushes = [], [], []
            for k, (x, logits, pbp, kl) in enumerate(outs):
                loss = kl + pbp_w * pbp                              # the objective: KL + PBP ...
                if adversarial or push:
                    d = run_disc(self.disc, fakes[k])                # D(x_hat) through the updated D
                if adversarial:
                    advs.append(losses.adversarial_loss(d.logits, 1.0))
                    loss = loss + disc_w * advs[-1]                  # ... + the adversarial term
                if push:
                    pushes.append(losses.attribute_loss(d.attributes, batch["attributes"][k]))
                    loss = loss + self.attribute_vae_weight * pushes[-1]
                total.append(loss)
        if adversarial and self.grad_ratio is not None:   # the diagnostic (first order: the update is unchanged)
            if self.grad_ratio.due():
                self.grad_ratio.measure([o[2] for o in outs], advs, pbp_w)
            stats["grad_ratio"] = self.grad_ratio.held * n
        self.backward_and_update(total, n, stats, "vae")
        stats["pbp_loss"] = self._sum([o[2] for o in outs])
        stats["kl"] = self._sum([o[3] for o in outs])
        if adversarial:
            stats["adv_loss"] = self._sum(advs)
        if push:
            stats["attr_vae_loss"] = self._sum(pushes)
        return stats

    def attribute_term(self, batch, stats):
        """The attribute head's term of D's loss, ``aux_loss`` of :meth:`disc_step` (None when off); fills
        ``attr_loss`` and ``attr_acc`` in ``stats`` once D's forward has run."""
        if not self.attribute_weight > 0:
            return None
        targets = batch.get("attributes")
        if targets is None:
            raise RuntimeError("extra['attribute_weight'] > 0 but the batch has no attributes (train on an "
                               "ImageSet with an attribute table)")

        def aux(raw):
            attr = [losses.attribute_loss(o.attributes, t) for o, t in zip(raw, targets)]
            with autograd.pause():   # its statistics, unrecorded
                stats["attr_loss"] = self._sum(attr)
                stats["attr_acc"] = self._sum([losses.attribute_accuracy(o.attributes.detach(), t)
                                               for o, t in zip(raw, targets)])
            return [self.attribute_weight * a for a in attr]
        return aux

    def adaptive_vae_step(self, outs, fakes, pbp_w, disc_w, n, stats):
        """The VAE's half-step with ``disc_weight_mode="adaptive"`` (train/adaptive.py): the adversarial term
        is recorded first, its weight ``clamp(ratio, 0, 1e4) * disc_w`` measured on it at every step."""
        with autograd.record():
            advs = [losses.adversarial_loss(run_disc(self.disc, f).logits, 1.0) for f in fakes]
        ratio = self.grad_ratio.measure([o[2] for o in outs], advs, pbp_w)
        lam = self.grad_ratio.weight_of(ratio, disc_w)
        with autograd.record():
            total = [kl + pbp_w * pbp + nd.broadcast_mul(lam.as_in_context(x.context), adv)
                     for (x, _, pbp, kl), adv in zip(outs, advs)]
        self.backward_and_update(total, n, stats, "vae")
        stats.update(pbp_loss=self._sum([o[2] for o in outs]), kl=self._sum([o[3] for o in outs]),
                     adv_loss=self._sum(advs), grad_ratio=ratio * n, adv_weight=lam * n)
        return stats
