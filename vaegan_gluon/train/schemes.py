"""Training schemes: one step function each.

A scheme owns its optimisers and turns one batch into parameter updates and per-batch statistics. The
:class:`~vaegan_gluon.train.trainer.Trainer` owns everything else (epochs, phases, schedules, callbacks,
checkpoints, I/O). Adding a scheme = one class here (or in its own module) decorated with
``@register_scheme``.

``step`` returns a dict of *device* scalars holding sums over the batch (never read on the host per
batch); the trainer accumulates them and divides by the number of images once per epoch.
"""
import abc

from mxnet import autograd, gluon, nd

from .. import losses
from . import stabilisers

SCHEMES = {}


def register_scheme(cls):
    SCHEMES[cls.name] = cls
    return cls


def get_scheme(name):
    try:
        return SCHEMES[name]
    except KeyError:
        raise ValueError(f"unknown training scheme {name!r}; valid: {sorted(SCHEMES)}") from None


class Scheme(abc.ABC):
    """Base class. Subclasses set ``name``, ``stat_keys`` and implement ``build_optimizers`` and ``step``."""
    name = None
    stat_keys = ()
    needs_disc = False
    batch_scale = 1   # number of distributed workers: optimiser steps normalise by the global batch
    kvsync = None     # a train.kvsync.KVSync in a distributed run (set by the Trainer)

    def __init__(self, vae, disc, config, ctx, kvstore="device"):
        self.vae, self.disc, self.config, self.ctx, self.kvstore = vae, disc, config, ctx, kvstore
        if self.needs_disc and disc is None:
            raise ValueError(f"scheme {self.name!r} needs a discriminator (disc=None given)")
        # GAN stabilisers (all off by default; see vaegan_gluon.train.stabilisers for the extra keys)
        self.labels = stabilisers.DiscLabels.from_config(config)
        self.disc_batches = (config.extra or {}).get("disc_batches", "separate")
        if self.disc_batches not in stabilisers.DISC_BATCHES:
            raise ValueError(f"extra['disc_batches'] must be one of {stabilisers.DISC_BATCHES}, "
                             f"got {self.disc_batches!r}")
        self.instance_noise = stabilisers.InstanceNoiseSchedule.from_config(config)
        self.optimizers = self.build_optimizers()

    def epoch_begin(self, epoch, phase):
        """Called by the Trainer at each epoch begin: per-epoch stabilisers (instance-noise decay)."""
        if self.instance_noise is not None:
            self.instance_noise.apply(self.disc, epoch)

    def adam(self, params, lr):
        c = self.config
        # distributed runs synchronise through KVSync (see kvsync.py), so Gluon gets no kvstore there
        kv = self.kvstore if isinstance(self.kvstore, str) and not self.kvstore.startswith("dist") else None
        return gluon.Trainer(params, "adam", {"learning_rate": lr, "beta1": c.beta1, "beta2": c.beta2},
                             kvstore=kv)

    def update(self, name, n):
        """Apply optimiser ``name`` to gradients of a batch of ``n`` local images (summed over workers)."""
        opt = self.optimizers[name]
        if self.kvsync is not None:
            self.kvsync.allreduce_grads(name, opt._params)
        opt.step(n * self.batch_scale)

    @abc.abstractmethod
    def build_optimizers(self):
        """Return a dict name -> gluon.Trainer."""

    @abc.abstractmethod
    def step(self, xs, phase, weights):
        """One batch. xs: list of (n_i, C, H, W) NDArrays, one per context. Returns dict of sums (device)."""

    def _sum(self, per_ctx):
        """Sum a list of per-context (n_i,) arrays into one device scalar on ctx[0]."""
        total = None
        for a in per_ctx:
            s = a.sum().as_in_context(self.ctx[0])
            total = s if total is None else total + s
        return total


@register_scheme
class LearnableLoss(Scheme):
    """The original study's scheme: a VAE trained against a discriminator as a learnable loss.

    Solo phase: VAE loss = KL + pbp_weight * PBP.
    Combo phase, per batch: (1) discriminator update on real images vs *detached* reconstructions;
    (2) VAE update on KL + pbp_weight * PBP + disc_weight * BCE(D(x_hat), real) with the updated D.

    Difference from the original: the VAE runs **once** per combo step. The original ran it two or three
    times, once inside the discriminator's recorded graph (whose backward then flowed through the encoder
    for nothing); with MXNet 1.9.1 + oneDNN a Conv2DTranspose used twice in one recorded graph segfaults
    in backward, so the original loop crashes on every ConvVAE + discriminator run on CPU.
    """
    name = "learnable_loss"
    stat_keys = ("vae_loss", "pbp_loss", "kl", "adv_loss", "disc_loss", "disc_correct_real",
                 "disc_correct_fake")

    def build_optimizers(self):
        opts = {"vae": self.adam(self.vae.collect_params(), self.config.lr)}
        if self.disc is not None:
            opts["disc"] = self.adam(self.disc.collect_params(), self.config.disc_lr or self.config.lr)
        return opts

    def step(self, xs, phase, weights):
        c = self.config
        n = sum(x.shape[0] for x in xs)
        pbp_w, disc_w = weights["pbp_weight"], weights["disc_weight"]
        with autograd.record():
            outs = []
            for x in xs:
                logits, mu, logvar = self.vae(x)
                pbp = losses.pbp_loss(logits, x, c.pbp_loss)
                kl = losses.kl_divergence(mu, logvar) if self.vae.variational else nd.zeros_like(pbp)
                outs.append((x, logits, pbp, kl))
        stats = {}
        if phase == "combo":
            # (1) discriminator: real vs detached reconstructions; the VAE graph is not touched.
            # x.detach() too: x is a node of the VAE's recorded graph, and a backward through D(x) without
            # retain_graph would free x's autograd entry and break the VAE backward below.
            with autograd.record():
                if self.disc_batches == "joint":   # stabiliser option: one concatenated D call
                    pairs = [stabilisers.disc_logits(self.disc, x.detach(), nd.sigmoid(lg).detach(), joint=True)
                             for x, lg, *_ in outs]
                    d_real, d_fake = [p[0] for p in pairs], [p[1] for p in pairs]
                else:
                    d_real = [self.disc(x.detach()) for x, *_ in outs]
                    d_fake = [self.disc(nd.sigmoid(lg).detach()) for _, lg, *_ in outs]
                d_loss = [self.labels.loss(r, f) for r, f in zip(d_real, d_fake)]
            self.labels.observe(d_real, d_fake)
            autograd.backward(d_loss)
            self.update("disc", n)
            stats["disc_loss"] = self._sum(d_loss)
            stats["disc_correct_real"] = self._sum([(r > 0) for r in d_real])
            stats["disc_correct_fake"] = self._sum([(f <= 0) for f in d_fake])
        # (2) the VAE, continuing the graph recorded above (one VAE forward per step).
        with autograd.record():
            total, adv_all = [], []
            for x, logits, pbp, kl in outs:
                loss = kl + pbp_w * pbp
                if phase == "combo" and disc_w > 0:
                    adv = losses.adversarial_loss(self.disc(nd.sigmoid(logits)), 1.0)
                    adv_all.append(adv)
                    loss = loss + disc_w * adv
                total.append(loss)
        autograd.backward(total)
        self.update("vae", n)
        stats["vae_loss"] = self._sum(total)
        stats["pbp_loss"] = self._sum([o[2] for o in outs])
        stats["kl"] = self._sum([o[3] for o in outs])
        if adv_all:
            stats["adv_loss"] = self._sum(adv_all)
        return stats
