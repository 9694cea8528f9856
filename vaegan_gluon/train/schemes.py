"""Training schemes: one step function each.

A scheme owns its optimisers and turns one batch into parameter updates and per-batch statistics. The
:class:`~vaegan_gluon.train.trainer.Trainer` owns everything else (epochs, phases, schedules, callbacks,
checkpoints, I/O). Adding a scheme = one class here, in its own module or outside the package, decorated
with ``@register_scheme`` (tests/test_toy_scheme.py adds one without touching the package). Its own typed
``train.extra`` settings are the one exception: a settings dataclass joins :class:`~.config.ExtraSettings`
in ``train/config.py``.

``step`` returns a dict of *device* scalars holding sums over the batch (never read on the host per
batch); the trainer accumulates them and divides by the number of images once per epoch.
"""
import abc
import contextlib
from dataclasses import dataclass
from typing import List, Optional

from mxnet import autograd, gluon, nd

from .. import losses
from ..models.discriminators import run_disc
from . import fastadam, optim  # noqa: F401  (register the "fastadam" and "multiadam" optimisers)
from . import stabilisers
from .adaptive import ADAPTIVE_SCHEMES, GradRatio
from .config import OPTIMIZER_CLASSES
from .settings import Settings, check_range
from .step_graphs import (BatchSums, DiscLoss, DiscStats, GeneratorLoss, VAEWithLoss,  # noqa: F401
                          no_parameter_gradients)

SCHEMES = {}

#: How training hybridizes every network: ``static_alloc`` without ``static_shape``. MXNet 1.9.1's
#: CachedOp with ``static_shape=True`` computes wrong gradients when one hybridized block is called twice
#: in one autograd recording and the graph is back-propagated more than once (``retain_graph=True``):
#: the Larsen step (D(x) and D(fake), three backward passes) then trained its discriminator on garbage
#: (disc_loss 0.78 -> 3.99 -> 8.48 over 3 medium epochs; imperatively 0.085 -> 0.018 -> 0.026).
#: tests/test_scheme_hybridize.py shows the fault with static_shape and its absence without.
HYBRIDIZE = {"static_alloc": True}


def hybridize_kwargs(config):
    """:data:`HYBRIDIZE` with the run's ``static_alloc`` setting (``False``: the graphs draw on MXNet's shared
    memory pool instead of each keeping its own plan; measured on the (f) benchmark, it does not lower the
    peak RSS -- the README's performance section)."""
    return dict(HYBRIDIZE, static_alloc=config.static_alloc)


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
    main_optimizer = "vae"   # the optimiser whose learning rate is the CSV's lr column
    supports_attributes = False   # True: uses the discriminator's attribute head (extra["attribute_weight"])
    batch_targets = None  # attribute head: the batch's (n_i, K) targets per context, set by the Trainer before step

    def __init__(self, vae, disc, config, ctx, kvstore="device", kvsync=None):
        self.vae, self.disc, self.config, self.ctx, self.kvstore = vae, disc, config, ctx, kvstore
        self.kvsync = kvsync   # a train.kvsync.KVSync in a distributed run, else None
        self.batch_scale = kvsync.num_workers if kvsync is not None else 1   # steps normalise by the global batch
        if self.needs_disc and disc is None:
            raise ValueError(f"scheme {self.name!r} needs a discriminator (disc=None given)")
        # GAN stabilisers (all off by default; see vaegan_gluon.train.stabilisers for the extra keys)
        self.labels = stabilisers.DiscLabels.from_config(config)
        self.disc_batches = config.extra.disc_batches   # validated by StabiliserSettings
        self.instance_noise = stabilisers.InstanceNoiseSchedule.from_config(config)
        # the step graphs' sigmoid-BCE terms as one operator each way, where it runs (CPU, kernel library
        # loaded, VAEGAN_FUSED_BCE not 0): losses.bce_rows
        self.fused_bce = losses.fused_bce_available(ctx)
        # issue 33 (train/adaptive.py): D trains in solo epochs too; the grad_ratio diagnostic; adaptive weight
        self.solo_disc = bool(config.disc_train_during_solo) and disc is not None
        self.adaptive = config.disc_weight_mode == "adaptive"
        self.grad_ratio = None
        if disc is not None and self.name in ADAPTIVE_SCHEMES:
            try:
                self.grad_ratio = GradRatio(vae, config.grad_ratio_every, disc)
            except ValueError:
                if self.adaptive:
                    raise
            if self.grad_ratio is not None:
                self.stat_keys = tuple(self.stat_keys) + ("grad_ratio",) + (
                    ("adv_weight",) if self.adaptive and self.name == "learnable_loss" else ())
        self.optimizers = self.build_optimizers()

    def epoch_begin(self, epoch, phase):
        """Called by the Trainer at each epoch begin: per-epoch stabilisers (instance-noise decay).

        The instance noise anneals over the epochs the discriminator trains: its epoch count starts
        after the solo epochs (where D does not train, and the noise would decay unused)."""
        if self.instance_noise is not None:
            self.instance_noise.apply(self.disc, epoch if self.solo_disc else max(0, epoch - self.config.n_solo_epochs))

    def adam(self, params, lr):
        c = self.config
        # distributed runs synchronise through KVSync (see kvsync.py), so Gluon gets no kvstore there
        kv = self.kvstore if isinstance(self.kvstore, str) and not self.kvstore.startswith("dist") else None
        # TrainConfig.optimizer: "adam" (default: the vectorised kernel, train/fastadam.py), "stockadam"
        # (MXNet's kernel, same numbers) or the fused "multiadam" (train/optim.py)
        return gluon.Trainer(params, OPTIMIZER_CLASSES[c.optimizer],
                             {"learning_rate": lr, "beta1": c.beta1, "beta2": c.beta2},
                             kvstore=kv)

    def with_disc_optimizer(self, opts):
        """``opts`` plus the discriminator's Adam (``disc_lr`` or ``lr``) when there is a discriminator."""
        if self.disc is not None:
            opts["disc"] = self.adam(self.disc.collect_params(), self.config.disc_lr or self.config.lr)
        return opts

    def update(self, name, n):
        """Apply optimiser ``name`` to gradients of a batch of ``n`` local images (summed over workers)."""
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
    def step(self, xs, phase, weights):
        """One batch. xs: list of (n_i, C, H, W) NDArrays, one per context. Returns dict of sums (device)."""

    def disc_half_step(self, outs, n, stats, aux_loss=None, fakes=None):
        """The shared discriminator update: real images vs the *detached* fakes of ``outs`` (per context
        ``(x, fake logits, ...)``), through :class:`~.stabilisers.DiscLabels` and ``disc_batches``; fills
        ``disc_loss`` / ``disc_correct_*`` in ``stats``. ``aux_loss(d_outs) -> per-context (N,) losses`` adds a
        term to the discriminator's objective (the attribute head); ``d_outs`` are the per-context
        :class:`~vaegan_gluon.models.discriminators.DiscOutput` of the real batch.
        ``fakes``: the per-context images ``sigmoid(logits)`` when the caller has them (recorded, to reuse in
        the generator term: one sigmoid per step instead of two); computed here otherwise.
        x.detach(): x is a node of the VAE's recorded graph; a backward through D(x) would free it."""
        fused = aux_loss is None and self.labels.plain
        with autograd.record():
            d_real, d_fake, raw, d_loss = [], [], [], []
            for k, (x, lg, *_) in enumerate(outs):
                fake = fakes[k] if fakes is not None else nd.sigmoid(lg)
                o_real, o_fake = stabilisers.disc_outputs(self.disc, x.detach(), fake.detach(),
                                                          joint=self.disc_batches == "joint")
                raw.append(o_real)
                d_real.append(o_real.logits)
                d_fake.append(o_fake.logits)
                if fused:   # the loss in one cached graph (DiscLoss), its statistics unrecorded below
                    d_loss.append(self._disc_loss(o_real.logits, o_fake.logits))
            if not fused:
                d_loss = [self.labels.loss(r, f) for r, f in zip(d_real, d_fake)]
            total = d_loss if aux_loss is None else [d + a for d, a in zip(d_loss, aux_loss(raw))]
        self.labels.observe(d_real, d_fake)
        autograd.backward(total)
        self.update("disc", n)
        if fused:   # one (3,) vector: DiscStats
            block = self._graph("disc_stats", DiscStats)
            self._name_sums(stats, ("disc_loss", "disc_correct_real", "disc_correct_fake"),
                            self._add([block(*a) for a in zip(d_loss, d_real, d_fake)]))
        else:
            stats["disc_loss"] = self._sum(d_loss)
            stats["disc_correct_real"] = self._sum([(r > 0) for r in d_real])
            stats["disc_correct_fake"] = self._sum([(f <= 0) for f in d_fake])
        return d_real, d_fake

    @property
    def _disc_loss(self):
        """The :class:`DiscLoss` graph of the plain labels (built on first use)."""
        return self._graph("disc_loss", DiscLoss, self.labels.real_label, self.labels.fake_label, self.fused_bce)

    def _graph(self, key, cls, *args):
        """The step graph ``cls(*args)`` kept under ``key``: built on first use, hybridized as the run's
        networks are (``config.hybridize``)."""
        graphs = self.__dict__.setdefault("_step_graphs", {})
        if key not in graphs:
            graphs[key] = cls(*args)
            if self.config.hybridize:
                graphs[key].hybridize(**hybridize_kwargs(self.config))
        return graphs[key]

    @staticmethod
    def _name_sums(stats, keys, vector):
        """``stats[keys[i]] = vector[i:i+1]``: the ``(1,)`` statistics of a ``(k,)`` vector of sums, as views
        (slices of the first axis share the vector's memory: no operator runs)."""
        for i, key in enumerate(keys):
            stats[key] = vector[i:i + 1]

    def const(self, value, ctx):
        """A cached ``(1,)`` array holding ``value`` on ``ctx`` (a loss weight fed to a cached graph)."""
        cache = self.__dict__.setdefault("_consts", {})
        key = (float(value), ctx)
        if key not in cache:
            if len(cache) > 64:
                cache.clear()
            cache[key] = nd.full((1,), float(value), ctx=ctx)
        return cache[key]

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


@dataclass
class AttributeSettings(Settings):
    """The auxiliary attribute head's keys of ``TrainConfig.extra`` (:class:`LearnableLoss`)."""
    attribute_weight: float = 0.0
    attribute_columns: Optional[List[str]] = None
    attribute_vae_weight: float = 0.0

    def validate(self):
        check_range("attribute_weight", self.attribute_weight, 0)
        check_range("attribute_vae_weight", self.attribute_vae_weight, 0)
        if self.attribute_vae_weight > 0 and not self.attribute_weight > 0:
            raise ValueError("setting attribute_vae_weight > 0 needs attribute_weight > 0 "
                             "(an untrained attribute head cannot push the VAE)")


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

    **Auxiliary attribute head** (the VAE-GAN blog; off by default). ``TrainConfig.extra`` keys:

    attribute_weight : float, default 0
        If > 0 the discriminator (built with ``n_attributes=K``) also learns to predict the real images'
        binary attributes: its loss becomes ``BCE_adv + attribute_weight * attribute_loss(D_attr(x), t)``,
        :func:`~vaegan_gluon.losses.attribute_loss` being the BCE *averaged* over the K attributes (the
        blog summed and its weight was 40x too strong). Reals only: reconstructions have no labels. The
        Trainer takes the targets from the training ImageSet's attribute table and sets
        ``batch_targets`` before each step. The ``disc_loss`` column stays the adversarial part alone
        (so ``max_disc_loss`` gates on what it always did); extra columns ``attr_loss`` (mean per-image
        attribute BCE on reals, unweighted) and ``attr_acc`` (mean per-attribute accuracy on reals).
    attribute_columns : list of str, default None
        Attribute-table columns used as targets (None: all boolean / binary / categorical ones; see
        :func:`vaegan_gluon.data.attributes_targets.attribute_targets`).
    attribute_vae_weight : float, default 0
        The blog's conditional push, off by default (so the head alone is an auxiliary task that shapes
        the discriminator's features): if > 0 the VAE loss gains ``attribute_vae_weight *
        attribute_loss(D_attr(x_hat), t)``, pushing each reconstruction to keep its input's attributes as
        the discriminator reads them. It reuses the D(x_hat) call of the adversarial term (no extra pass),
        applies in every combo epoch (also while ``max_disc_loss`` closes the adversarial term), and adds
        the column ``attr_vae_loss``. Needs ``attribute_weight > 0``.
    """
    name = "learnable_loss"
    supports_attributes = True
    stat_keys = ("vae_loss", "pbp_loss", "kl", "adv_loss", "disc_loss", "disc_correct_real",
                 "disc_correct_fake")

    def __init__(self, vae, disc, config, ctx, kvstore="device", kvsync=None):
        self.attribute_weight = config.extra.attribute_weight            # validated by AttributeSettings
        self.attribute_vae_weight = config.extra.attribute_vae_weight
        if self.attribute_weight > 0:
            if disc is None or getattr(disc, "n_attributes", 0) < 1:
                raise ValueError("extra['attribute_weight'] > 0 needs a discriminator built with "
                                 "n_attributes=K (the number of attribute targets)")
            self.stat_keys = type(self).stat_keys + ("attr_loss", "attr_acc") + (
                ("attr_vae_loss",) if self.attribute_vae_weight > 0 else ())
        super().__init__(vae, disc, config, ctx, kvstore, kvsync)

    def _targets(self):
        if self.batch_targets is None:
            raise RuntimeError("extra['attribute_weight'] > 0 but no attribute targets for this batch: the "
                               "Trainer sets scheme.batch_targets (train on an ImageSet with attributes)")
        return self.batch_targets

    def build_optimizers(self):
        self.vae_with_loss = VAEWithLoss(self.vae, self.config.pbp_loss, self.fused_bce)
        if self.config.hybridize:
            self.vae_with_loss.hybridize(**hybridize_kwargs(self.config))
        opts = {"vae": self.adam(self.vae.collect_params(), self.config.lr)}
        return self.with_disc_optimizer(opts)

    def step(self, xs, phase, weights):
        n = sum(x.shape[0] for x in xs)
        pbp_w, disc_w = weights["pbp_weight"], weights["disc_weight"]
        outs = self.record(lambda x: (x,) + tuple(self.vae_with_loss(x)), xs)   # (x, logits, pbp, kl)
        stats = {}
        fakes = None
        if phase == "combo" or self.solo_disc:   # solo_disc: D learns in solo epochs too, the VAE ignores it
            with autograd.record():   # the reconstructions as images, once: D's input in (1) (detached) and (2)
                fakes = [losses.sigmoid(o[1], fused=self.fused_bce) for o in outs]
            # (1) discriminator: real vs detached reconstructions; the VAE graph is not touched.
            # x.detach() too: x is a node of the VAE's recorded graph, and a backward through D(x) without
            # retain_graph would free x's autograd entry and break the VAE backward below.
            if self.attribute_weight > 0:   # auxiliary head: BCE_adv + attribute_weight * attribute loss on reals
                attr = []

                def aux(raw):
                    attr[:] = [losses.attribute_loss(o.attributes, t) for o, t in zip(raw, self._targets())]
                    self._attr_logits = [o.attributes for o in raw]
                    return [self.attribute_weight * a for a in attr]
                self.disc_half_step(outs, n, stats, aux, fakes)
                stats["attr_loss"] = self._sum(attr)
                stats["attr_acc"] = self._sum([losses.attribute_accuracy(a.detach(), t)
                                               for a, t in zip(self._attr_logits, self._targets())])
            else:
                self.disc_half_step(outs, n, stats, fakes=fakes)
        # (2) the VAE, continuing the graph recorded above (one VAE forward per step). D's parameters get
        # no gradients here (no_parameter_gradients): D was updated in (1); they would be thrown away.
        adversarial = phase == "combo" and disc_w > 0
        push = phase == "combo" and self.attribute_vae_weight > 0   # the blog's conditional push (off by default)
        frozen = no_parameter_gradients(self.disc) if adversarial or push else contextlib.nullcontext()
        if not push:   # the loss in one cached graph (GeneratorLoss), its sums unrecorded (BatchSums)
            block = self._graph(("generator", adversarial), GeneratorLoss, adversarial, self.fused_bce)
            if adversarial and self.adaptive:   # train/adaptive.py: the weight from this step's gradient ratio
                return self._adaptive_generator_step(block, outs, fakes, frozen, pbp_w, disc_w, n, stats)
            with autograd.record(), frozen:
                total, columns = [], []
                for k, (x, logits, pbp, kl) in enumerate(outs):
                    args = [pbp, kl, self.const(pbp_w, x.context)]
                    if adversarial:
                        args += [run_disc(self.disc, fakes[k]).logits, self.const(disc_w, x.context)]
                        loss, adv = block(*args)
                        columns.append((loss, pbp, kl, adv))
                    else:
                        loss = block(*args)
                        columns.append((loss, pbp, kl))
                    total.append(loss)
            if adversarial and self.grad_ratio is not None:   # the diagnostic (first order, no update changes)
                if self.grad_ratio.due():
                    self.grad_ratio.measure([c[1] for c in columns], [c[3] for c in columns], pbp_w)
                stats["grad_ratio"] = self.grad_ratio.held * n
            autograd.backward(total)
            self.update("vae", n)
            keys = ("vae_loss", "pbp_loss", "kl", "adv_loss")[:len(columns[0])]
            sums = self._graph(("sums", len(keys)), BatchSums)   # one graph per number of inputs
            self._name_sums(stats, keys, self._add([sums(*c) for c in columns]))
            return stats
        targets = self._targets()
        with autograd.record(), frozen:
            total, adv_all, push_all = [], [], []
            for (x, logits, pbp, kl), fake, t in zip(outs, fakes, targets):
                loss = kl + pbp_w * pbp
                o = run_disc(self.disc, fake)
                if disc_w > 0:
                    adv = losses.adversarial_loss(o.logits, 1.0)
                    adv_all.append(adv)
                    loss = loss + disc_w * adv
                a = losses.attribute_loss(o.attributes, t)
                push_all.append(a)
                total.append(loss + self.attribute_vae_weight * a)
        self.backward_and_update(total, n, stats, "vae")
        stats["pbp_loss"] = self._sum([o[2] for o in outs])
        stats["kl"] = self._sum([o[3] for o in outs])
        if adv_all:
            stats["adv_loss"] = self._sum(adv_all)
        stats["attr_vae_loss"] = self._sum(push_all)
        return stats

    def _adaptive_generator_step(self, block, outs, fakes, frozen, pbp_w, disc_w, n, stats):
        """The VAE's half-step with ``disc_weight_mode="adaptive"``: D(x_hat) and the adversarial term are
        recorded first, the weight ``clamp(ratio, 0, 1e4) * disc_w`` is measured on them (every step), and the
        same :class:`GeneratorLoss` graph as the fixed mode takes it as its weight input."""
        with autograd.record(), frozen:
            d_logits = [run_disc(self.disc, f).logits for f in fakes]
            advs = [losses.adversarial_loss(d, 1.0, fused=self.fused_bce) for d in d_logits]
        ratio = self.grad_ratio.measure([o[2] for o in outs], advs, pbp_w)
        lam = self.grad_ratio.weight_of(ratio, disc_w)
        with autograd.record():
            total, columns = [], []
            for (x, logits, pbp, kl), d in zip(outs, d_logits):
                loss, adv = block(pbp, kl, self.const(pbp_w, x.context), d, lam.as_in_context(x.context))
                columns.append((loss, pbp, kl, adv))
                total.append(loss)
        autograd.backward(total)
        self.update("vae", n)
        sums = self._graph(("sums", 4), BatchSums)
        self._name_sums(stats, ("vae_loss", "pbp_loss", "kl", "adv_loss"), self._add([sums(*c) for c in columns]))
        stats["grad_ratio"] = ratio * n
        stats["adv_weight"] = lam * n
        return stats
