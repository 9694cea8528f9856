"""The cached graphs of the training steps: a VAE's forward with its losses, the discriminator's loss
with its batch statistics, the generator's objective with its sums; and :func:`no_parameter_gradients`.

One hybridized call each instead of dozens of recorded imperative operators per step (the dense
configurations of ``python -m benchmarks`` are bound by operator dispatch, not arithmetic). Each is
op for op what the imperative step computed, so the statistics and gradients are the same.
"""
import contextlib

from mxnet import autograd, gluon, nd

from .. import losses

__all__ = ["VAEWithLoss", "DiscLoss", "GeneratorLoss", "no_parameter_gradients"]


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

    def __init__(self, vae, pbp_kind):
        super().__init__(prefix=vae.prefix + "withloss_")
        self.vae = vae
        self.pbp_kind = pbp_kind
        self.variational = vae.variational

    def hybrid_forward(self, F, x):
        logits, mu, logvar = self.vae(x)
        return logits, losses.pbp_loss(logits, x, self.pbp_kind, F=F), mu, logvar

    def forward(self, x):
        logits, pbp, mu, logvar = super().forward(x)
        kl = losses.kl_divergence(mu, logvar) if self.variational else nd.zeros_like(pbp)
        return logits, pbp, kl


class DiscLoss(gluon.HybridBlock):
    """The discriminator's loss with constant targets and its batch statistics as one cached graph.

    ``forward(real logits (N, 1), fake logits (N, 1)) -> (d_loss (N,), sum of d_loss, #reals with logit
    > 0, #fakes with logit <= 0)``: :func:`~vaegan_gluon.losses.discriminator_loss` op for op, and the
    sums the step reports, in one call instead of ~25 recorded operators (no parameters).
    """

    def __init__(self, real_label=1.0, fake_label=0.0):
        super().__init__()
        self.real_label, self.fake_label = float(real_label), float(fake_label)

    def hybrid_forward(self, F, real, fake):
        d = losses.discriminator_loss(real, fake, self.real_label, self.fake_label, F=F)
        return d, F.sum(d), F.sum(real > 0), F.sum(fake <= 0)


class GeneratorLoss(gluon.HybridBlock):
    """The VAE's per-image objective and its batch sums as one cached graph (no parameters).

    ``forward(pbp, kl, pbp_w) -> (loss, sum loss, sum pbp, sum kl)`` with ``loss = kl + pbp_w * pbp``;
    with ``adversarial=True`` ``forward(pbp, kl, pbp_w, d_logits, disc_w)`` -> ``(loss, sum loss, sum pbp,
    sum kl, sum adv)`` with ``loss = kl + pbp_w * pbp + disc_w * BCE(d_logits, 1)`` (in that order, as
    the imperative step). The weights are ``(1,)`` arrays, so a changed weight needs no new graph.
    """

    def __init__(self, adversarial=False):
        super().__init__()
        self.adversarial = adversarial

    def hybrid_forward(self, F, pbp, kl, pbp_w, *adv_args):
        loss = kl + F.broadcast_mul(pbp_w, pbp)
        sums = (F.sum(pbp), F.sum(kl))
        if not self.adversarial:
            return (loss, F.sum(loss)) + sums
        d_logits, disc_w = adv_args
        adv = losses.adversarial_loss(d_logits, 1.0, F=F)
        loss = loss + F.broadcast_mul(disc_w, adv)
        return (loss, F.sum(loss)) + sums + (F.sum(adv),)


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
