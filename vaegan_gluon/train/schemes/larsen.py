"""Larsen et al. 2016, "Autoencoding beyond pixels using a learned similarity metric": the VAE/GAN.

Scheme ``"larsen"`` (``TrainConfig(scheme="larsen")``). Three optimisers (``encoder``, ``decoder``,
``disc``) and three losses, per image (``gluon.Trainer.step(N)`` averages over the batch):

- encoder: ``KL / n_latent + L_feat`` (so the batch mean is the paper's KL / (batch * latent)), where
  ``L_feat = sum_j (D_l(x)_j - D_l(x_tilde)_j)**2`` is the Gaussian log-likelihood of the
  discriminator's ``l``-th layer features up to constants (:func:`vaegan_gluon.losses.feature_reconstruction_loss`);
- decoder: ``gamma * L_feat + BCE(D(x_tilde), real) + BCE(D(x_p), real)`` -- the GAN term on
  reconstructions and on prior samples ``x_p = Dec(z_p)``, ``z_p ~ N(0, I)``, in the non-saturating form;
- discriminator: ``BCE(D(x), real) + BCE(D(x_tilde), fake) + BCE(D(x_p), fake)`` (through
  :class:`~vaegan_gluon.train.stabilisers.DiscLabels`, so every label trick applies).

No GAN gradient reaches the encoder: each network's gradient comes from the backward pass of its own
loss only. The layer ``l`` is the discriminator's ``feature_layer`` hyperparameter (the authors' code:
the 4th conv layer, ``DeepConvDisc(feature_layer=4)``; our experiments name it).

**One forward, three backward passes.** The encoded latents ``z`` and the prior latents ``z_p`` are
decoded as **one concatenated batch** ``Dec([z; z_p])``: under oneDNN, MXNet 1.9.1 crashes when one
Conv2DTranspose is applied twice inside one recorded graph, and a second, separately recorded decoder
pass would cost a forward and a backward more. Consequence: the decoder's BatchNorm normalises
reconstructions and prior samples with shared batch statistics (the authors' Theano code ran the two
through separate expressions, so each had its own). The three losses are then back-propagated one at a
time through the retained graph: ``L_dis`` (the discriminator's gradient is kept aside), ``L_enc`` (the
encoder's), ``L_dec`` (the decoder's, last); the kept gradients are put back and the three optimisers
step on the gradients of their own losses, all computed from the same parameters (as the authors' one
Theano function did). ``x.detach()`` goes into D: ``x`` is an input node of the recorded VAE graph.

**Equilibrium gate** (``extra["equilibrium_margin"]``, off by default; the authors used 0.35 with
``equilibrium`` 0.68): :class:`EquilibriumGate` decides from the previous
batch's discriminator costs on real images and on reconstructions whether to skip the discriminator's
update (far ahead) or the decoder's (far behind), never both. This reads two numbers on the host per
batch (one batch behind, so the engine keeps the current batch queued) -- only when the gate is on.

Solo phase (``n_solo_epochs``, or no discriminator): the pixel VAE, ``KL + pbp_weight * PBP``.
"""
from dataclasses import dataclass
from typing import Optional

from mxnet import autograd, nd

from ... import losses
from ...schedules import Schedule
from ..settings import check_choice, check_range
from . import stabilisers
from .base import Scheme, batch_size, register_scheme
from .stabilisers import StabiliserSettings

__all__ = ["LarsenVAEGAN", "LarsenSettings", "EquilibriumGate", "DISC_PASSES"]

#: ``train.extra.disc_pass``. Both give every network the same gradients, bit for bit. They differ in the
#: BatchNorm running statistics the evaluation uses: MXNet 1.9.1's CPU (oneDNN) BatchNorm updates its running
#: mean and variance in its *backward* pass, once per pass, so with "full" every BatchNorm of the VAE takes three
#: updates a step (one per backward pass) and with "pruned" two; the discriminator's take three either way.
#: (The authors' Theano function updated them once a step.) tests/test_larsen_disc_pass.py.
DISC_PASSES = ("full", "pruned")


@dataclass
class LarsenSettings(StabiliserSettings):
    """``train.extra`` of ``larsen``: its loss weights, the equilibrium gate and the stabilisers."""
    # weight of the feature reconstruction in the decoder loss (the authors: 1e-6 for CelebA; the TF2 project
    # 1e-8 on its summed form)
    gamma: float = 5e-5
    kl_weight: float = 1.0                     # multiplies KL / n_latent in the encoder loss
    equilibrium_margin: Optional[float] = None  # the gate's margin (the authors: 0.35); None: always update both
    equilibrium: float = 0.68                  # the gate's target discriminator cost in nats (ln 2 ~ 0.69: chance)
    # the discriminator's backward pass: "full" (through the decoder and the encoder too, as the campaign's runs
    # were made) or "pruned" (stops at D's input: ~1.3x the step; the same gradients, but see DISC_PASSES)
    disc_pass: str = "full"

    def validate(self):
        super().validate()
        check_range("gamma", self.gamma, 0)
        check_range("kl_weight", self.kl_weight, 0)
        if self.equilibrium_margin is not None:
            check_range("equilibrium_margin", self.equilibrium_margin, 0, lo_open=True)
        check_range("equilibrium", self.equilibrium, 0, lo_open=True)
        check_choice("disc_pass", self.disc_pass, DISC_PASSES)


class EquilibriumGate(Schedule):
    """The VAE/GAN authors' equilibrium rule (autoencoding_beyond_pixels): margin 0.35, equilibrium 0.68.

    Given the discriminator's mean BCE on real images and on fakes (nats), skip the discriminator's
    update when it is far ahead (either cost below ``equilibrium - margin``) and the decoder's update
    when it is far behind (either cost above ``equilibrium + margin``); if both would be skipped, both
    train. ``margin=None`` disables the gate.

    >>> EquilibriumGate().decide(0.1, 0.2)     # discriminator far ahead
    (False, True)
    >>> EquilibriumGate().decide(1.5, 1.2)     # discriminator far behind
    (True, False)
    """

    def __init__(self, margin=0.35, equilibrium=0.68):
        if margin is not None and not margin > 0:
            raise ValueError(f"margin must be > 0 or None, got {margin!r}")
        self.margin, self.equilibrium = margin, float(equilibrium)

    def decide(self, real_cost, fake_cost):
        """``(train_disc, train_dec)`` for one batch."""
        if self.margin is None:
            return True, True
        lo, hi = self.equilibrium - self.margin, self.equilibrium + self.margin
        train_disc = not (real_cost < lo or fake_cost < lo)
        train_dec = not (real_cost > hi or fake_cost > hi)
        if not (train_disc or train_dec):
            return True, True
        return train_disc, train_dec


@register_scheme
class LarsenVAEGAN(Scheme):
    """The VAE/GAN of Larsen et al. 2016 (see the module docstring); ``vae`` must be variational with
    ``encoder``/``decoder`` children, ``disc`` built with ``feature_layer=l``. Notebook: 20_larsen_vaegan."""
    name = "larsen"
    settings = LarsenSettings
    main_optimizer = "encoder"   # the CSV's lr column
    stat_keys = ("vae_loss", "pbp_loss", "kl", "feature_loss", "adv_loss", "enc_loss", "dec_loss", "disc_loss",
                 "disc_acc_real", "disc_acc_fake", "disc_trained", "dec_trained")

    def __init__(self, vae, disc, config, ctx, kvstore="device", kvsync=None):
        e = config.extra
        self.gamma, self.kl_weight, self.disc_pass = e.gamma, e.kl_weight, e.disc_pass
        self.gate = EquilibriumGate(e.equilibrium_margin, e.equilibrium)
        for part in ("encoder", "decoder"):
            if not hasattr(vae, part):
                raise ValueError(f"scheme 'larsen' needs a VAE with .encoder and .decoder; "
                                 f"{type(vae).__name__} has no .{part}")
        if disc is not None and getattr(disc, "feature_layer", None) is None:
            raise ValueError("scheme 'larsen' needs the discriminator's features: build it with feature_layer=l "
                             "(the paper: DeepConvDisc(feature_layer=4); ConvDisc has layers 1..3)")
        self._last_costs = None      # device (2,) [real cost, fake cost] of the previous batch (gate only)
        super().__init__(vae, disc, config, ctx, kvstore, kvsync)

    def build_optimizers(self):
        enc, dec = self.vae.encoder.collect_params(), self.vae.decoder.collect_params()
        rest = sorted(set(self.vae.collect_params().keys()) - set(enc.keys()) - set(dec.keys()))
        if rest:
            raise ValueError(f"scheme 'larsen' splits the VAE into encoder and decoder, but {rest} belong to neither")
        opts = {"encoder": self.adam(enc, self.config.lr), "decoder": self.adam(dec, self.config.lr)}
        return self.with_disc_optimizer(opts)

    def state_dict(self):
        last = None if self._last_costs is None else [float(v) for v in self._last_costs.asnumpy()]
        return dict(super().state_dict(), gate_last_costs=last)

    def load_state_dict(self, state):
        super().load_state_dict(state)
        last = state.get("gate_last_costs")
        self._last_costs = None if last is None else nd.array(last, ctx=self.ctx[0])

    # ------------------------------------------------------------------ solo: the pixel VAE
    def _solo_step(self, batch, weights):
        c, xs, n = self.config, batch["x"], batch_size(batch)

        def forward(x):
            logits, mu, logvar = self.vae(x)
            pbp = losses.pbp_loss(logits, x, c.pbp_loss)
            kl = losses.kl_divergence(mu, logvar)
            return kl + weights["pbp_weight"] * pbp, pbp, kl
        total, pbps, kls = (list(t) for t in zip(*self.record(forward, xs)))
        stats = self.backward_and_update(total, n, {}, "encoder", "decoder")
        return dict(stats, pbp_loss=self._sum(pbps), kl=self._sum(kls))

    # ------------------------------------------------------------------ combo: the VAE/GAN
    def _gate(self):
        if self.gate.margin is None or self._last_costs is None:
            return True, True
        real_sum, fake_sum, count = self._last_costs.asnumpy().tolist()
        if self.kvsync is not None:   # every worker decides on the global batch's costs (the same decision)
            real_sum, fake_sum, count = self.kvsync.allreduce_values("larsen_gate", [real_sum, fake_sum, count])
        return self.gate.decide(real_sum / count, fake_sum / count)

    def forward_losses(self, xs):
        """The combo forward (call under ``autograd.record()``): per context a dict of per-image losses
        ``enc``, ``dec``, ``dis`` (N,) and their parts; one decoder and two discriminator calls."""
        joint = self.disc_batches == "joint"
        per = []
        for x in xs:
            m = x.shape[0]
            mu, logvar = self.vae.encode(x)
            z = mu + nd.exp(0.5 * logvar) * nd.random.normal_like(mu)
            z_p = nd.random.normal_like(mu)
            logits = self.vae.decode(nd.concat(z, z_p, dim=0))   # one decoder pass (see the docstring)
            fake = nd.sigmoid(logits)                             # [x_tilde; x_p], (2m, C, H, W)
            o_real, o_fake = stabilisers.disc_outputs(self.disc, x.detach(), fake, joint=joint)
            l_real, f_real, l_fake = o_real.logits, o_real.features, o_fake.logits
            f_tilde = nd.slice_axis(o_fake.features, axis=0, begin=0, end=m)
            l_tilde = nd.slice_axis(l_fake, axis=0, begin=0, end=m)
            l_prior = nd.slice_axis(l_fake, axis=0, begin=m, end=None)
            kl = losses.kl_divergence(mu, logvar)
            feat = losses.feature_reconstruction_loss(f_real.detach(), f_tilde)
            adv = losses.adversarial_loss(l_tilde, 1.0) + losses.adversarial_loss(l_prior, 1.0)
            enc_loss = self.kl_weight * kl / mu.shape[1] + feat
            dec_loss = self.gamma * feat + adv
            d_real, d_fake = self.labels.terms(l_real, l_fake)
            d_fake = nd.slice_axis(d_fake, axis=0, begin=0, end=m) + nd.slice_axis(d_fake, axis=0, begin=m, end=None)
            per.append(dict(x=x, lg_tilde=nd.slice_axis(logits, axis=0, begin=0, end=m), kl=kl, feat=feat, adv=adv,
                            enc=enc_loss, dec=dec_loss, dis=d_real + d_fake, l_real=l_real, l_tilde=l_tilde,
                            l_prior=l_prior))
        return per

    def disc_gradients(self, per):
        """The discriminator's gradient of its loss, kept aside: a backward pass through the retained graph
        (``disc_pass="full"``), or ``autograd.grad`` with respect to D's parameters, which runs only the
        backward operators on the way to them and so stops at D's input (``"pruned"``)."""
        params = [p for p in self.disc.collect_params().values() if p.grad_req != "null"]
        heads = [p["dis"] for p in per]
        if self.disc_pass == "full":
            autograd.backward(heads, retain_graph=True)
            return _copy_grads(params)
        grads = iter(autograd.grad(heads, [d for p in params for d in p.list_data()], retain_graph=True))
        return [[next(grads) for _ in p.list_data()] for p in params]

    def gradients(self, per):
        """Each network's gradient of its own loss, from the one recorded graph: three backward passes, the
        discriminator's and the encoder's gradients kept aside while the next pass overwrites them."""
        disc_params = list(self.disc.collect_params().values())
        enc_params = list(self.vae.encoder.collect_params().values())
        kept_disc = self.disc_gradients(per)
        autograd.backward([p["enc"] for p in per], retain_graph=True)
        kept_enc = _copy_grads(enc_params)
        autograd.backward([p["dec"] for p in per])
        _put_grads(disc_params, kept_disc)
        _put_grads(enc_params, kept_enc)

    def step(self, batch, phase, weights):
        if phase != "combo" or self.disc is None:
            return self._solo_step(batch, weights)
        c, n = self.config, batch_size(batch)
        train_disc, train_dec = self._gate()
        with autograd.record():
            per = self.forward_losses(batch["x"])
        self.labels.observe([p["l_real"] for p in per], [p["l_tilde"] for p in per])
        self.gradients(per)
        self.update("encoder", n)   # every step through update(): kvstore sum + batch scaling
        if train_dec:
            self.update("decoder", n)
        if train_disc:
            self.update("disc", n)

        stats = {k: self._sum([p[src] for p in per]) for k, src in
                 (("kl", "kl"), ("feature_loss", "feat"), ("adv_loss", "adv"), ("enc_loss", "enc"),
                  ("dec_loss", "dec"), ("disc_loss", "dis"))}
        stats["vae_loss"] = stats["enc_loss"]
        stats["pbp_loss"] = self._sum([losses.pbp_loss(p["lg_tilde"].detach(), p["x"], c.pbp_loss) for p in per])
        stats["disc_acc_real"] = self._sum([(p["l_real"] > 0) for p in per])
        stats["disc_acc_fake"] = self._sum([0.5 * ((p["l_tilde"] <= 0) + (p["l_prior"] <= 0)) for p in per])
        ctx0 = self.ctx[0]
        stats["disc_trained"] = nd.array([n if train_disc else 0], ctx=ctx0).sum()
        stats["dec_trained"] = nd.array([n if train_dec else 0], ctx=ctx0).sum()
        if self.gate.margin is not None:
            real_sum = self._sum([losses.adversarial_loss(p["l_real"], 1.0) for p in per])
            fake_sum = self._sum([losses.adversarial_loss(p["l_tilde"], 0.0) for p in per])
            self._last_costs = nd.concat(real_sum.reshape((1,)), fake_sum.reshape((1,)),
                                         nd.full((1,), n, ctx=ctx0), dim=0).detach()   # sums and count
        return stats


def _copy_grads(params):
    return [[g.copy() for g in p.list_grad()] for p in params if p.grad_req != "null"]


def _put_grads(params, kept):
    for p, grads in zip([p for p in params if p.grad_req != "null"], kept):
        for g, k in zip(p.list_grad(), grads):
            g[:] = k
