"""The step's cached graphs compute exactly (bitwise) what the imperative step computed; the VAE's
half-step leaves the discriminator's gradients alone (schemes.no_parameter_gradients)."""
import numpy as np
import pytest

import vaegan_gluon  # noqa: F401  (sets OMP_NUM_THREADS before mxnet)
import mxnet as mx
from mxnet import autograd, nd

from vaegan_gluon import losses
from vaegan_gluon.models import get_model
from vaegan_gluon.train.step_graphs import DiscLoss, GeneratorLoss, no_parameter_gradients


def _arr(seed, shape, scale=3.0):
    return nd.array(np.random.RandomState(seed).randn(*shape).astype(np.float32) * scale)


@pytest.mark.parametrize("hybridize", [True, False])
@pytest.mark.parametrize("labels", [(1.0, 0.0), (0.9, 0.1)])
def test_disc_loss_is_the_imperative_loss(hybridize, labels):
    r, f = _arr(0, (16, 1)), _arr(1, (16, 1))
    block = DiscLoss(*labels)
    if hybridize:
        block.hybridize(static_alloc=True)
    d, total, real_ok, fake_ok = block(r, f)
    want = losses.discriminator_loss(r, f, *labels)
    assert (d.asnumpy() == want.asnumpy()).all()
    assert total.asnumpy()[0] == want.sum().asnumpy()[0]
    assert real_ok.asscalar() == (r > 0).sum().asscalar() and fake_ok.asscalar() == (f <= 0).sum().asscalar()


@pytest.mark.parametrize("adversarial", [True, False])
def test_generator_loss_is_the_imperative_loss(adversarial):
    pbp, kl, lg = _arr(2, (16,), 50).abs(), _arr(3, (16,)).abs(), _arr(4, (16, 1))
    pw, dw = 0.3, 0.7      # not exact in float32: the array weight rounds as the scalar one did
    block = GeneratorLoss(adversarial)
    block.hybridize(static_alloc=True)
    args = [pbp, kl, nd.full((1,), pw)] + ([lg, nd.full((1,), dw)] if adversarial else [])
    loss, *sums = block(*args)
    want = kl + pw * pbp
    if adversarial:
        adv = losses.adversarial_loss(lg, 1.0)
        want = want + dw * adv
    assert (loss.asnumpy() == want.asnumpy()).all()
    expect = [want.sum(), pbp.sum(), kl.sum()] + ([adv.sum()] if adversarial else [])
    assert [s.asnumpy()[0] for s in sums] == [e.asnumpy()[0] for e in expect]


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
