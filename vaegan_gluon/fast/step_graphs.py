"""The cached graphs of the training steps: a VAE's forward with its losses, the discriminator's loss,
the generator's objective, the batch statistics of each; and :func:`no_parameter_gradients`.

One hybridized call each instead of dozens of recorded imperative operators per step (the dense
configurations of ``python -m benchmarks`` are bound by operator dispatch, not arithmetic). Each loss is
op for op what the plain step computes. ``fused=True`` (``TrainConfig.fused_bce`` where the kernel library
loads: :func:`~.kernels.fused_bce_enabled`) computes their sigmoid-BCE terms as one operator each way
(:func:`~vaegan_gluon.losses.bce_rows`).

The statistics are computed apart from the losses, in graphs nothing records (:class:`BatchSums`,
:class:`DiscStats`): a sum that is an output of a recorded graph gets a zero head gradient in the backward
pass, and its backward operators run (per sum: a zeros array, the sum's backward, an ``add_n`` into the
loss's gradient) -- ~20 operators a combo step that computed nothing. Apart, the statistics of one graph
are one ``stack`` and one ``sum``, a ``(k,)`` vector, and the gradients do not change (adding those zeros
was exact).
"""
import contextlib

from mxnet import autograd, gluon, nd

from .. import losses

__all__ = ["VAEWithLoss", "DiscLoss", "DiscStats", "GeneratorLoss", "BatchSums", "no_parameter_gradients"]


class VAEWithLoss(gluon.HybridBlock):
    """The VAE forward and its per-image PBP loss as one hybridized graph, the KL term beside it.

    ``forward(x) -> (logits, pbp, kl)``, each loss of shape (N,). One cached graph instead of a dozen
    imperative operator calls (each recorded by autograd) per step; the parameters are the VAE's own.
    The KL is computed outside the graph, on its ``mu`` and ``logvar``: inside it, the graph's backward summed
    the three gradients reaching ``logvar`` (the KL's two terms, the sampling path) in another order than
    imperative autograd (encoder gradients ~2e-6 apart after one step), which Adam and GAN training amplified
    to 7 % of the epoch statistics in 200 steps; outside, hybridized and imperative training are
    bit-identical (tests/test_scheme_medium_agreement.py).
    """

    def __init__(self, vae, pbp_kind, fused=False):
        super().__init__(prefix=vae.prefix + "withloss_")
        self.vae = vae
        self.pbp_kind = pbp_kind
        self.fused = fused     # the PBP's BCE as one operator (losses.bce_rows)
        self.variational = vae.variational

    def hybrid_forward(self, F, x):
        logits, mu, logvar = self.vae(x)
        return logits, losses.pbp_loss(logits, x, self.pbp_kind, F=F, fused=self.fused), mu, logvar

    def forward(self, x):
        logits, pbp, mu, logvar = super().forward(x)
        kl = losses.kl_divergence(mu, logvar) if self.variational else nd.zeros_like(pbp)
        return logits, pbp, kl


class DiscLoss(gluon.HybridBlock):
    """The discriminator's loss with constant targets as one cached graph (no parameters).

    ``forward(real logits (N, 1), fake logits (N, 1)) -> d_loss (N,)``:
    :func:`~vaegan_gluon.losses.discriminator_loss` op for op, in one call instead of ~20 recorded
    operators. Its statistics: :class:`DiscStats`, unrecorded.
    """

    def __init__(self, real_label=1.0, fake_label=0.0, fused=False):
        super().__init__()
        self.real_label, self.fake_label = float(real_label), float(fake_label)
        self.fused = fused

    def hybrid_forward(self, F, real, fake):
        return losses.discriminator_loss(real, fake, self.real_label, self.fake_label, F=F, fused=self.fused)


class BatchSums(gluon.HybridBlock):
    """The batch sums of k per-image statistics as one ``(k,)`` vector: ``forward(a_1, ..., a_k)``, each
    ``(N,)``, returns ``[sum a_1, ..., sum a_k]`` -- one ``stack`` and one ``sum`` instead of k
    sums (and, inside a recorded graph, their backward). Called outside ``autograd.record()``."""

    def _columns(self, F, *arrays):
        return arrays

    def hybrid_forward(self, F, *arrays):
        return F.sum(F.stack(*self._columns(F, *arrays), axis=0), axis=1)


class DiscStats(BatchSums):
    """``forward(d_loss (N,), real logits (N, 1), fake logits (N, 1)) -> [sum d_loss, #reals with logit > 0,
    #fakes with logit <= 0]``: the discriminator's statistics of a step, as one ``(3,)`` vector."""

    def _columns(self, F, d, real, fake):
        return d, F.reshape(real > 0, (-1,)), F.reshape(fake <= 0, (-1,))


class GeneratorLoss(gluon.HybridBlock):
    """The VAE's per-image objective as one cached graph (no parameters).

    ``forward(pbp, kl, pbp_w) -> loss`` with ``loss = kl + pbp_w * pbp``; with ``adversarial=True``
    ``forward(pbp, kl, pbp_w, d_logits, disc_w)`` -> ``(loss, adv)`` with ``adv = BCE(d_logits, 1)`` and
    ``loss = kl + pbp_w * pbp + disc_w * adv`` (in that order, as the imperative step). The weights are
    ``(1,)`` arrays, so a changed weight needs no new graph. The sums: :class:`BatchSums`, unrecorded.
    """

    def __init__(self, adversarial=False, fused=False):
        super().__init__()
        self.adversarial = adversarial
        self.fused = fused

    def hybrid_forward(self, F, pbp, kl, pbp_w, *adv_args):
        loss = kl + F.broadcast_mul(pbp_w, pbp)
        if not self.adversarial:
            return loss
        d_logits, disc_w = adv_args
        adv = losses.adversarial_loss(d_logits, 1.0, F=F, fused=self.fused)
        return loss + F.broadcast_mul(disc_w, adv), adv


@contextlib.contextmanager
def no_parameter_gradients(net):
    """Inside: what autograd records through ``net`` computes no gradients for ``net``'s parameters.

    The recorded graph's parameter variables are marked ``grad_req='null'`` (``autograd.mark_variables``
    on the same data and gradient arrays, no copies), so their backward is pruned (the oneDNN kernels
    skip the weight gradients) and ``net``'s gradient arrays keep what they held; leaving restores each
    parameter's own ``grad_req`` for what is recorded later. Gradients still flow *through* ``net`` to
    its inputs. For the VAE's half-step: the discriminator was already updated, its gradients there
    were computed and thrown away."""
    params = [p for p in net.collect_params().values() if p.grad_req != "null"]
    data = [d for p in params for d in p.list_data()]
    grads = [g for p in params for g in p.list_grad()]
    reqs = [p.grad_req for p in params for _ in p.list_data()]
    autograd.mark_variables(data, grads, "null")
    try:
        yield
    finally:
        autograd.mark_variables(data, grads, reqs)
