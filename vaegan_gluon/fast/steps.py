"""The fast steps: a scheme's ``step`` and ``disc_step`` through cached graphs (``TrainConfig.fast``).

:func:`install` replaces, on one scheme instance, the plain steps of :mod:`vaegan_gluon.train.schemes` that
this wing has a faster form of: the learnable-loss step (:func:`learnable_loss_step`) and the shared
discriminator update with constant labels (:func:`disc_step`). Each is the plain step's arithmetic in fewer
engine calls: the losses in hybridized graphs (:mod:`.step_graphs`), their statistics summed unrecorded, the
discriminator's parameters left out of the VAE's backward pass (:func:`~.step_graphs.no_parameter_gradients`),
and -- with ``TrainConfig.fused_bce`` -- the sigmoid-BCE terms as one operator each way
(:mod:`.kernels`). tests/test_fast_wing.py trains every scheme both ways and says how equal they are.
"""
import contextlib
import functools

from mxnet import autograd, nd

from .. import losses
from ..models.discriminators import run_disc
from . import kernels
from .step_graphs import BatchSums, DiscLoss, DiscStats, GeneratorLoss, VAEWithLoss, no_parameter_gradients

__all__ = ["install", "learnable_loss_step", "disc_step", "Graphs"]


def install(scheme, hybridize):
    """Bind the fast steps onto ``scheme`` (its class's plain ones stay readable on the class); ``hybridize``:
    the keyword arguments the run's networks were hybridized with (the graphs take the same)."""
    scheme.graphs = Graphs(scheme.config, kernels.fused_bce_enabled(scheme.config, scheme.ctx), hybridize)
    scheme.disc_step = functools.partial(disc_step, scheme, type(scheme).disc_step.__get__(scheme))
    if scheme.name == "learnable_loss":
        scheme.step = functools.partial(learnable_loss_step, scheme)


class Graphs:
    """The step graphs of one scheme, built on first use and hybridized as the run's networks are; and the
    ``(1,)`` weight arrays fed to them (a changed weight needs no new graph)."""

    def __init__(self, config, fused, hybridize):
        self.config, self.fused, self.hybridize = config, fused, hybridize
        self._graphs, self._consts = {}, {}

    def get(self, key, cls, *args):
        if key not in self._graphs:
            self._graphs[key] = cls(*args)
            if self.config.hybridize:
                self._graphs[key].hybridize(**self.hybridize)
        return self._graphs[key]

    def const(self, value, ctx):
        """A cached ``(1,)`` array holding ``value`` on ``ctx``."""
        key = (float(value), ctx)
        if key not in self._consts:
            if len(self._consts) > 64:
                self._consts.clear()
            self._consts[key] = nd.full((1,), float(value), ctx=ctx)
        return self._consts[key]

    def vae_with_loss(self, vae, pbp_kind):
        return self.get("vae_with_loss", VAEWithLoss, vae, pbp_kind, self.fused)


def name_sums(stats, keys, vector):
    """``stats[keys[i]] = vector[i:i+1]``: the ``(1,)`` statistics of a ``(k,)`` vector of sums, as views."""
    for i, key in enumerate(keys):
        stats[key] = vector[i:i + 1]


def disc_step(scheme, plain, outs, n, stats, aux_loss=None, fakes=None):
    """:meth:`Scheme.disc_step <vaegan_gluon.train.schemes.base.Scheme.disc_step>` with the loss in one cached
    graph (:class:`~.step_graphs.DiscLoss`) and its statistics in another, unrecorded; the plain step where
    the labels are random or stateful or an auxiliary term joins the loss."""
    if aux_loss is not None or not scheme.labels.plain:
        return plain(outs, n, stats, aux_loss, fakes)
    g = scheme.graphs
    loss_graph = g.get("disc_loss", DiscLoss, scheme.labels.real_label, scheme.labels.fake_label, g.fused)
    with autograd.record():
        d_real, d_fake, d_loss = [], [], []
        for k, (x, lg, *_) in enumerate(outs):
            fake = fakes[k] if fakes is not None else nd.sigmoid(lg)
            o_real, o_fake = scheme.disc_pair(x.detach(), fake.detach())
            d_real.append(o_real.logits)
            d_fake.append(o_fake.logits)
            d_loss.append(loss_graph(o_real.logits, o_fake.logits))
    scheme.labels.observe(d_real, d_fake)
    autograd.backward(d_loss)
    scheme.update("disc", n)
    block = g.get("disc_stats", DiscStats)
    name_sums(stats, ("disc_loss", "disc_acc_real", "disc_acc_fake"),
              scheme._add([block(*a) for a in zip(d_loss, d_real, d_fake)]))
    return d_real, d_fake


def learnable_loss_step(scheme, batch, phase, weights):
    """:meth:`LearnableLoss.step <vaegan_gluon.train.schemes.learnable_loss.LearnableLoss.step>` through the
    cached graphs: the VAE and its PBP in one (:class:`~.step_graphs.VAEWithLoss`), the generator's objective
    in another (:class:`~.step_graphs.GeneratorLoss`), the sums unrecorded (:class:`~.step_graphs.BatchSums`)."""
    s, g = scheme, scheme.graphs
    xs, n = batch["x"], sum(x.shape[0] for x in batch["x"])
    pbp_w, disc_w = weights["pbp_weight"], weights["disc_weight"]
    vae_with_loss = g.vae_with_loss(s.vae, s.config.pbp_loss)
    outs = s.record(lambda x: (x,) + tuple(vae_with_loss(x)), xs)   # (x, logits, pbp, kl)
    stats = {}
    fakes = None
    if phase == "combo" or s.solo_disc:
        with autograd.record():   # the reconstructions as images, once: D's input in (1) (detached) and (2)
            fakes = [losses.sigmoid(o[1], fused=g.fused) for o in outs]
        s.disc_step(outs, n, stats, s.attribute_term(batch, stats), fakes)
    adversarial = phase == "combo" and disc_w > 0
    push = phase == "combo" and s.attribute_vae_weight > 0
    frozen = no_parameter_gradients(s.disc) if adversarial or push else contextlib.nullcontext()
    if push:
        return _push_step(s, batch, outs, fakes, frozen, pbp_w, disc_w, n, stats)
    block = g.get(("generator", adversarial), GeneratorLoss, adversarial, g.fused)
    if adversarial and s.adaptive:
        return _adaptive_generator_step(s, block, outs, fakes, frozen, pbp_w, disc_w, n, stats)
    with autograd.record(), frozen:
        total, columns = [], []
        for k, (x, logits, pbp, kl) in enumerate(outs):
            args = [pbp, kl, g.const(pbp_w, x.context)]
            if adversarial:
                args += [run_disc(s.disc, fakes[k]).logits, g.const(disc_w, x.context)]
                loss, adv = block(*args)
                columns.append((loss, pbp, kl, adv))
            else:
                loss = block(*args)
                columns.append((loss, pbp, kl))
            total.append(loss)
    if adversarial and s.grad_ratio is not None:
        if s.grad_ratio.due():
            s.grad_ratio.measure([c[1] for c in columns], [c[3] for c in columns], pbp_w)
        stats["grad_ratio"] = s.grad_ratio.held * n
    autograd.backward(total)
    s.update("vae", n)
    keys = ("vae_loss", "pbp_loss", "kl", "adv_loss")[:len(columns[0])]
    sums = g.get(("sums", len(keys)), BatchSums)   # one graph per number of inputs
    name_sums(stats, keys, s._add([sums(*c) for c in columns]))
    return stats


def _push_step(s, batch, outs, fakes, frozen, pbp_w, disc_w, n, stats):
    """The VAE's half-step with the attribute push (``attribute_vae_weight > 0``): imperative."""
    with autograd.record(), frozen:
        total, adv_all, push_all = [], [], []
        for (x, logits, pbp, kl), fake, t in zip(outs, fakes, batch["attributes"]):
            loss = kl + pbp_w * pbp
            o = run_disc(s.disc, fake)
            if disc_w > 0:
                adv = losses.adversarial_loss(o.logits, 1.0)
                adv_all.append(adv)
                loss = loss + disc_w * adv
            a = losses.attribute_loss(o.attributes, t)
            push_all.append(a)
            total.append(loss + s.attribute_vae_weight * a)
    s.backward_and_update(total, n, stats, "vae")
    stats["pbp_loss"] = s._sum([o[2] for o in outs])
    stats["kl"] = s._sum([o[3] for o in outs])
    if adv_all:
        stats["adv_loss"] = s._sum(adv_all)
    stats["attr_vae_loss"] = s._sum(push_all)
    return stats


def _adaptive_generator_step(s, block, outs, fakes, frozen, pbp_w, disc_w, n, stats):
    """``disc_weight_mode="adaptive"``: D(x_hat) and the adversarial term recorded first, the weight measured
    on them, then the same :class:`GeneratorLoss` graph takes it as its weight input."""
    g = s.graphs
    with autograd.record(), frozen:
        d_logits = [run_disc(s.disc, f).logits for f in fakes]
        advs = [losses.adversarial_loss(d, 1.0, fused=g.fused) for d in d_logits]
    ratio = s.grad_ratio.measure([o[2] for o in outs], advs, pbp_w)
    lam = s.grad_ratio.weight_of(ratio, disc_w)
    with autograd.record():
        total, columns = [], []
        for (x, logits, pbp, kl), d in zip(outs, d_logits):
            loss, adv = block(pbp, kl, g.const(pbp_w, x.context), d, lam.as_in_context(x.context))
            columns.append((loss, pbp, kl, adv))
            total.append(loss)
    autograd.backward(total)
    s.update("vae", n)
    sums = g.get(("sums", 4), BatchSums)
    name_sums(stats, ("vae_loss", "pbp_loss", "kl", "adv_loss"), s._add([sums(*c) for c in columns]))
    stats["grad_ratio"] = ratio * n
    stats["adv_weight"] = lam * n
    return stats
