"""The scheme protocol: what every training scheme shares.

A scheme owns its optimisers and turns one batch into parameter updates and per-batch statistics; the
:class:`~vaegan_gluon.train.trainer.Trainer` owns everything else (epochs, phases, schedules, callbacks,
checkpoints, I/O). A new scheme is one class (in its own module or outside the package) with its settings
dataclass, decorated with :func:`register_scheme` (tests/test_toy_scheme.py adds one from outside).

``step(batch, phase, weights)`` takes ``batch = {"x": [(n_i, C, H, W) per context], "attributes": [(n_i, K)
per context] or None}`` and returns a dict of *device* ``(1,)`` sums over the batch (never read on the host per
batch); the trainer divides them by the number of images once per epoch. ``disc_acc_*`` are counts of
correct decisions, so their epoch means are accuracies.

With ``TrainConfig.fast`` the performance wing (:mod:`vaegan_gluon.fast`) may replace ``step`` and
:meth:`Scheme.disc_step` of this instance by cached-graph versions proved equal to them (tests/test_fast_wing.py).
"""
import abc

from mxnet import autograd, gluon, nd

from .. import adaptive
from . import stabilisers
from .stabilisers import StabiliserSettings

SCHEMES = {}

#: How training hybridizes every network: ``static_alloc`` without ``static_shape``. MXNet 1.9.1's CachedOp with
#: ``static_shape=True`` computes wrong gradients when one hybridized block is called twice in one autograd
#: recording that is back-propagated more than once (``retain_graph=True``): the Larsen step's discriminator
#: trained on garbage (tests/test_scheme_hybridize.py shows the fault with static_shape, and its absence without).
HYBRIDIZE = {"static_alloc": True}

#: TrainConfig.optimizer -> the registered MXNet optimizer. "adam" is Adam through the fast wing's vectorised
#: kernel when ``train.fast`` is on (:mod:`vaegan_gluon.fast.adam`, bit-identical to MXNet's), else MXNet's.
OPTIMIZER_CLASSES = {"adam": "adam", "stockadam": "adam"}


def hybridize_kwargs(config):
    """:data:`HYBRIDIZE` with the run's ``static_alloc`` setting."""
    return dict(HYBRIDIZE, static_alloc=config.static_alloc)


def register_scheme(cls):
    SCHEMES[cls.name] = cls
    return cls


def get_scheme(name):
    try:
        return SCHEMES[name]
    except KeyError:
        raise ValueError(f"unknown training scheme {name!r}; valid: {sorted(SCHEMES)}") from None


def batch_size(batch):
    """The number of images of ``batch`` on this worker (summed over contexts)."""
    return sum(x.shape[0] for x in batch["x"])


class Scheme(abc.ABC):
    """Base class. Subclasses set ``name``, ``settings``, ``stat_keys`` and implement ``build_optimizers`` and
    ``step``."""
    name = None
    settings = StabiliserSettings   # the dataclass of ``TrainConfig.extra`` for this scheme
    stat_keys = ()
    needs_disc = False
    main_optimizer = "vae"   # the optimiser whose learning rate is the CSV's lr column

    def __init__(self, vae, disc, config, ctx, kvstore="device", kvsync=None):
        self.vae, self.disc, self.config, self.ctx, self.kvstore = vae, disc, config, ctx, kvstore
        self.kvsync = kvsync   # a train.kvsync.KVSync in a distributed run, else None
        self.batch_scale = kvsync.num_workers if kvsync is not None else 1   # steps normalise by the global batch
        if self.needs_disc and disc is None:
            raise ValueError(f"scheme {self.name!r} needs a discriminator (disc=None given)")
        self.labels = stabilisers.DiscLabels.from_config(config)
        self.disc_batches = config.extra.disc_batches
        self.instance_noise = stabilisers.InstanceNoiseSchedule.from_config(config)
        # train/adaptive.py: D trains in solo epochs too; the grad_ratio diagnostic; the adaptive weight
        self.solo_disc = bool(config.disc_train_during_solo) and disc is not None
        self.adaptive = config.disc_weight_mode == "adaptive"
        self.grad_ratio = None
        if disc is not None and self.name in adaptive.ADAPTIVE_SCHEMES:
            try:
                self.grad_ratio = adaptive.GradRatio(vae, config.grad_ratio_every, disc)
            except ValueError:
                if self.adaptive:
                    raise
            if self.grad_ratio is not None:
                self.stat_keys = tuple(self.stat_keys) + ("grad_ratio",) + (
                    ("adv_weight",) if self.adaptive and self.name == "learnable_loss" else ())
        self.optimizers = self.build_optimizers()
        if config.fast:   # the performance wing: cached-graph steps where it has them (vaegan_gluon.fast)
            from ...fast import steps
            steps.install(self, hybridize_kwargs(config))

    def epoch_begin(self, epoch, phase):
        """Called by the Trainer at each epoch begin: the instance noise anneals over the epochs the
        discriminator trains (counted after the solo epochs, unless it trains in them too)."""
        if self.instance_noise is not None:
            self.instance_noise.apply(self.disc, epoch if self.solo_disc else max(0, epoch - self.config.n_solo_epochs))

    def adam(self, params, lr):
        c = self.config
        # distributed runs synchronise through KVSync (see kvsync.py), so Gluon gets no kvstore there
        kv = self.kvstore if isinstance(self.kvstore, str) and not self.kvstore.startswith("dist") else None
        optimizer = OPTIMIZER_CLASSES[c.optimizer]
        if c.fast and c.optimizer == "adam":
            from ...fast import adam   # noqa: F401  (registers "fastadam")
            optimizer = "fastadam"
        return gluon.Trainer(params, optimizer, {"learning_rate": lr, "beta1": c.beta1, "beta2": c.beta2},
                             kvstore=kv)

    def with_disc_optimizer(self, opts):
        """``opts`` plus the discriminator's Adam (``disc_lr`` or ``lr``) when there is a discriminator."""
        if self.disc is not None:
            opts["disc"] = self.adam(self.disc.collect_params(), self.config.disc_lr or self.config.lr)
        return opts

    def update(self, name, n):
        """Apply optimiser ``name`` to gradients of a batch of ``n`` local images (summed over workers): every
        optimiser step of every scheme goes through here."""
        opt = self.optimizers[name]
        if self.kvsync is not None:
            self.kvsync.allreduce_grads(name, opt._params)
        opt.step(n * self.batch_scale)

    def state_dict(self):
        """What a checkpoint must hold beyond parameters and optimiser states (JSON-able)."""
        out = {"labels": self.labels.state_dict()}
        if self.grad_ratio is not None:   # a resumed run measures the ratio on the steps the uninterrupted one did
            out["grad_ratio"] = self.grad_ratio.state_dict()
        return out

    def load_state_dict(self, state):
        if state.get("labels") is not None:
            self.labels.load_state_dict(state["labels"])
        if self.grad_ratio is not None and state.get("grad_ratio") is not None:
            self.grad_ratio.load_state_dict(state["grad_ratio"], self.ctx[0])

    @abc.abstractmethod
    def build_optimizers(self):
        """Return a dict name -> gluon.Trainer."""

    @abc.abstractmethod
    def step(self, batch, phase, weights):
        """One batch (module docstring). Returns a dict of ``(1,)`` device sums."""

    def disc_step(self, outs, n, stats, aux_loss=None, fakes=None):
        """The shared discriminator update: real images against the *detached* fakes.

        ``outs``: per context ``(x, fake logits, ...)``; ``fakes``: the per-context images ``sigmoid(logits)``
        when the caller has them, else computed here. The loss goes through :class:`~.stabilisers.DiscLabels`
        (every label trick) and ``disc_batches``; ``aux_loss(d_outs) -> per-context (N,)`` adds a term (the
        attribute head) given the real batch's :class:`~vaegan_gluon.models.discriminators.DiscOutput`. Fills
        ``disc_loss`` and ``disc_acc_*`` (counts) in ``stats``. ``x.detach()``: ``x`` is a node of the VAE's
        recorded graph, which a backward through D(x) would free."""
        with autograd.record():
            raw, d_real, d_fake = [], [], []
            for k, (x, logits, *_) in enumerate(outs):
                fake = fakes[k] if fakes is not None else nd.sigmoid(logits)
                o_real, o_fake = self.disc_pair(x.detach(), fake.detach())
                raw.append(o_real)
                d_real.append(o_real.logits)
                d_fake.append(o_fake.logits)
            d_loss = [self.labels.loss(r, f) for r, f in zip(d_real, d_fake)]
            total = d_loss if aux_loss is None else [d + a for d, a in zip(d_loss, aux_loss(raw))]
        self.labels.observe(d_real, d_fake)
        autograd.backward(total)
        self.update("disc", n)
        stats["disc_loss"] = self._sum(d_loss)
        stats["disc_acc_real"] = self._sum([(r > 0) for r in d_real])
        stats["disc_acc_fake"] = self._sum([(f <= 0) for f in d_fake])
        return d_real, d_fake

    def disc_pair(self, real, fake):
        """``(D(real), D(fake))`` :class:`~vaegan_gluon.models.discriminators.DiscOutput` s, from two calls or one
        (``disc_batches``: :func:`~.stabilisers.disc_outputs`)."""
        return stabilisers.disc_outputs(self.disc, real, fake, joint=self.disc_batches == "joint")

    @staticmethod
    def record(forward, xs):
        """``[forward(x) for x in xs]`` (one entry per context) recorded by autograd."""
        with autograd.record():
            return [forward(x) for x in xs]

    def backward_and_update(self, total, n, stats, *names):
        """Back-propagate the per-context losses ``total``, step the optimisers ``names`` (:meth:`update`)
        and record their sum as ``stats["vae_loss"]``: the VAE's (generator's) half of every step."""
        autograd.backward(total)
        for name in names:
            self.update(name, n)
        stats["vae_loss"] = self._sum(total)
        return stats

    def _add(self, per_ctx):
        """Add per-context ``(1,)`` device scalars into one on ctx[0]."""
        total = None
        for a in per_ctx:
            a = a.as_in_context(self.ctx[0])
            total = a if total is None else total + a
        return total

    def _sum(self, per_ctx):
        """Sum a list of per-context (n_i,) arrays into one device scalar on ctx[0]."""
        return self._add([a.sum() for a in per_ctx])
