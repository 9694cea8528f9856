"""The step's cached graphs compute exactly (bitwise) what the imperative step computed; the VAE's
half-step leaves the discriminator's gradients alone (schemes.no_parameter_gradients)."""
import numpy as np
import pytest

import vaegan_gluon  # noqa: F401  (sets OMP_NUM_THREADS before mxnet)
import mxnet as mx
from mxnet import autograd, nd

from vaegan_gluon import losses
from vaegan_gluon.models import get_model
from vaegan_gluon.fast.step_graphs import BatchSums, DiscLoss, DiscStats, GeneratorLoss, no_parameter_gradients


def _arr(seed, shape, scale=3.0):
    return nd.array(np.random.RandomState(seed).randn(*shape).astype(np.float32) * scale)


@pytest.mark.parametrize("hybridize", [True, False])
@pytest.mark.parametrize("labels", [(1.0, 0.0), (0.9, 0.1)])
def test_disc_loss_is_the_imperative_loss(hybridize, labels):
    r, f = _arr(0, (16, 1)), _arr(1, (16, 1))
    block, stats = DiscLoss(*labels), DiscStats()
    if hybridize:
        block.hybridize(static_alloc=True)
        stats.hybridize(static_alloc=True)
    d = block(r, f)
    want = losses.discriminator_loss(r, f, *labels)
    assert (d.asnumpy() == want.asnumpy()).all()
    total, real_ok, fake_ok = stats(d, r, f).asnumpy()
    assert total == pytest.approx(want.asnumpy().sum(dtype=np.float64), rel=1e-6)
    assert real_ok == (r > 0).sum().asscalar() and fake_ok == (f <= 0).sum().asscalar()


@pytest.mark.parametrize("adversarial", [True, False])
def test_generator_loss_is_the_imperative_loss(adversarial):
    pbp, kl, lg = _arr(2, (16,), 50).abs(), _arr(3, (16,)).abs(), _arr(4, (16, 1))
    pw, dw = 0.3, 0.7      # not exact in float32: the array weight rounds as the scalar one did
    block = GeneratorLoss(adversarial)
    block.hybridize(static_alloc=True)
    args = [pbp, kl, nd.full((1,), pw)] + ([lg, nd.full((1,), dw)] if adversarial else [])
    out = block(*args)
    loss, adv_out = out if adversarial else (out, None)
    want = kl + pw * pbp
    if adversarial:
        adv = losses.adversarial_loss(lg, 1.0)
        want = want + dw * adv
        assert (adv_out.asnumpy() == adv.asnumpy()).all()
    assert (loss.asnumpy() == want.asnumpy()).all()


@pytest.mark.parametrize("hybridize", [True, False])
def test_batch_sums_are_the_sums_of_each_input(hybridize):
    cols = [_arr(5, (16,)), _arr(6, (16,)), _arr(7, (16,), 100.0)]
    block = BatchSums()
    if hybridize:
        block.hybridize(static_alloc=True)
    got = block(*cols).asnumpy()
    assert got.shape == (3,)
    np.testing.assert_allclose(got, [c.asnumpy().sum(dtype=np.float64) for c in cols], rtol=1e-6, atol=1e-4)


def test_statistics_add_no_operator_to_the_backward_pass():
    """The sums are not part of the recorded graph: the generator's backward runs no zeros, no sum backward
    (what a sum output of the recorded graph cost: a zero head gradient, its backward, an add_n)."""
    pbp, kl, lg = _arr(2, (16,), 50).abs(), _arr(3, (16,)).abs(), _arr(4, (16, 1))
    for a in (pbp, kl, lg):
        a.attach_grad()
    block = GeneratorLoss(True)
    block.hybridize(static_alloc=True)
    with autograd.record():
        loss, adv = block(pbp, kl, nd.full((1,), 0.3), lg, nd.full((1,), 0.7))
    from benchmarks.profile import profiled
    ops = profiled(lambda: (loss.backward(), BatchSums()(loss, pbp, kl, adv)))[0]["Time"]["operator"]
    assert "_backward_sum" not in ops and "sum" in ops


def test_no_parameter_gradients_keeps_disc_grads_and_the_input_gradient():
    disc = get_model("DenseLogReg", n_hidden_layers=1, n_hidden_units=8)
    disc.initialize(mx.init.Xavier())
    disc.hybridize(static_alloc=True)
    x = _arr(5, (4, 1, 6, 6), 1.0)
    disc(x)
    params = [p for p in disc.collect_params().values() if p.grad_req != "null"]
    for p in params:
        p.grad()[:] = 7.0
    x.attach_grad()
    with autograd.record(), no_parameter_gradients(disc):
        y = disc(x).sum()
    y.backward()
    frozen_grad = x.grad.copy()
    assert all((p.grad().asnumpy() == 7.0).all() for p in params)
    with autograd.record():       # outside: D's parameters get their gradients again, same input gradient
        y = disc(x).sum()
    y.backward()
    assert not any((p.grad().asnumpy() == 7.0).all() for p in params)
    assert (x.grad.asnumpy() == frozen_grad.asnumpy()).all()
