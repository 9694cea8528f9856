"""The fused sigmoid-BCE and sigmoid (kernels/bce_ext.cc, losses.bce_rows / losses.sigmoid): the stock
operators' values and gradients to float rounding (odd row lengths for the vector tail, huge logits, a
constant label or a target array), NaN passes through to the NaN guard, training with them is training with the
stock form (the experiments' models, disc weight 10, several steps), hybridized and imperative training are
identical to the bit, and they are what the step runs."""
import numpy as np
import pytest

import vaegan_gluon  # noqa: F401  (sets OMP_NUM_THREADS before mxnet)
import mxnet as mx
from mxnet import autograd, nd

from vaegan_gluon import losses
from vaegan_gluon.models import get_model
from vaegan_gluon.fast import kernels
from vaegan_gluon.train import Trainer

needs_kernel = pytest.mark.skipif(not kernels.fused_bce_enabled({}, mx.cpu()), reason="the kernel library could not be "
                                  f"built here: {kernels.status()['reason']}")


def _value_and_grad(f, logits, og):
    l = logits.copy()
    l.attach_grad()
    with autograd.record():
        y = f(l)
    y.backward(og)
    return y.asnumpy(), l.grad.asnumpy()


def _exact(l, t):
    l, t = l.astype(np.float64), t.astype(np.float64)
    return np.maximum(l, 0) - l * t + np.log1p(np.exp(-np.abs(l)))


@needs_kernel
@pytest.mark.parametrize("shape", [(16, 1, 28, 28), (8, 3, 5, 7), (16, 13), (16, 1)])
@pytest.mark.parametrize("target", ["array", 1.0, 0.0, 0.9])
def test_bce_rows_is_the_stock_form(shape, target):
    rs = np.random.RandomState(sum(shape))
    l = rs.randn(*shape).astype(np.float32) * 6
    l.reshape(-1)[:4] = [0.0, 60.0, -60.0, 1e-7]     # exactly zero, saturated both ways, tiny
    t = rs.rand(*shape).astype(np.float32) if target == "array" else np.full(shape, target, np.float32)
    tgt = nd.array(t) if target == "array" else target
    og = nd.array(rs.rand(shape[0]).astype(np.float32) + 0.5)
    stock = lambda x: losses._sum_per_image(nd, losses.bce_from_logits(x, nd.array(t)))   # noqa: E731
    fused = lambda x: losses.bce_rows(x, tgt, fused=True)   # noqa: E731
    v_s, g_s = _value_and_grad(stock, nd.array(l), og)
    v_f, g_f = _value_and_grad(fused, nd.array(l), og)
    exact = _exact(l, t).reshape(shape[0], -1).sum(axis=1)
    assert v_f.shape == (shape[0],)
    np.testing.assert_allclose(v_f, exact, rtol=2e-6, atol=1e-5)
    np.testing.assert_allclose(v_f, v_s, rtol=1e-5, atol=1e-4)
    # the gradient: the stock chain's to float rounding, except at l == 0 exactly, where the chain takes
    # relu'(0) = abs'(0) = 0 and gets -t; the derivative (and the fused operator) is 0.5 - t
    off = l != 0
    np.testing.assert_allclose(g_f[off], g_s[off], rtol=0, atol=4e-7 * og.asnumpy().max())
    sig = 1 / (1 + np.exp(-l.astype(np.float64)))
    want = og.asnumpy().reshape((-1,) + (1,) * (len(shape) - 1)) * (sig - t)
    np.testing.assert_allclose(g_f, want, rtol=0, atol=1e-6)


@needs_kernel
def test_bce_rows_target_gradient_and_nan_passes_through():
    l = nd.array(np.random.RandomState(0).randn(4, 20).astype(np.float32))
    t = nd.array(np.random.RandomState(1).rand(4, 20).astype(np.float32))
    l[1, 3] = float("nan")
    t.attach_grad()
    l.attach_grad()
    with autograd.record():
        y = losses.bce_rows(l, t, fused=True)
    y.backward()
    v = y.asnumpy()
    assert np.isnan(v[1]) and np.isfinite(v[[0, 2, 3]]).all()     # the NaN guard sees a NaN weight's loss
    assert np.isnan(l.grad.asnumpy()[1, 3])
    np.testing.assert_array_equal(t.grad.asnumpy()[[0, 2, 3]], -l.asnumpy()[[0, 2, 3]])   # d/dt = -l


@needs_kernel
@pytest.mark.parametrize("n", [5, 64 * 784, 3 * 64 * 64 + 3])
def test_sigmoid_is_mxnets_to_a_few_ulp(n):
    x = np.random.RandomState(n).randn(n).astype(np.float32) * 8
    x[:3] = [0.0, 100.0, -100.0]
    og = nd.array(np.random.RandomState(1).rand(n).astype(np.float32))
    y_s, g_s = _value_and_grad(nd.sigmoid, nd.array(x), og)
    y_f, g_f = _value_and_grad(lambda a: losses.sigmoid(a, fused=True), nd.array(x), og)
    np.testing.assert_allclose(y_f, y_s, rtol=1e-6, atol=1e-7)
    # the backward is MXNet's own og * (y * (1 - y)) on the output: the same bits where the outputs agree
    same = y_f == y_s
    assert same.mean() > 0.5
    np.testing.assert_array_equal(g_f[same], g_s[same])
    np.testing.assert_allclose(g_f, g_s, rtol=1e-5, atol=1e-7)


def test_not_fused_off_the_cpu_or_when_switched_off(monkeypatch):
    assert not kernels.fused_bce_enabled({}, mx.gpu(0))
    assert not kernels.fused_bce_enabled({}, [mx.cpu(), mx.gpu(0)])
    assert not kernels.fused_bce_enabled({"fused_bce": False}, mx.cpu())
    assert not kernels.fused_bce_enabled({"fast": False}, mx.cpu())
    monkeypatch.setenv("VAEGAN_FUSED_BCE", "0")
    assert not kernels.fused_bce_enabled({}, mx.cpu())
    import benchmarks as bench      # the benchmark's lever: ours with the stock operators
    assert bench.child_env("ours_stockbce")["VAEGAN_FUSED_BCE"] == "0"


CASES = {
    "dense-logreg": ("DenseVAE", dict(n_latent=5, n_hidden_layers=3, n_hidden_units=64),
                     "DenseLogReg", dict(n_hidden_layers=1, n_hidden_units=32), (1, 28, 28)),
    "conv-convdisc": ("ConvVAE", dict(n_latent=16, base_channels=8), "ConvDisc", dict(base_channels=8), (3, 32, 32)),
}


def _train(case, hybridize, steps=4):
    vn, vk, dn, dk, shape = CASES[case]
    mx.random.seed(0)
    tr = Trainer(get_model(vn, image_shape=shape, **vk), get_model(dn, **dk),
                 config={"n_epochs": 1, "batch_size": 16, "seed": 0, "hybridize": hybridize}, progress=False)
    tr._prepare()
    rs = np.random.RandomState(0)
    weights = {"pbp_weight": 1.0, "disc_weight": 10.0, "adv_on": True}   # the study's disc weight 10
    stats = []
    for _ in range(steps):
        s = tr.scheme.step({"x": [nd.array(rs.rand(16, *shape).astype(np.float32))]}, "combo", weights)
        stats.append({k: float(v.asscalar()) for k, v in s.items()})
    params = [p.data().asnumpy() for net in (tr.vae, tr.disc) for p in net.collect_params().values()]
    return tr.scheme.graphs.fused, stats, params


@needs_kernel
@pytest.mark.parametrize("case", sorted(CASES))
def test_training_fused_is_training_stock_and_hybridized_equals_imperative(case, monkeypatch):
    fused_h, stats_h, params_h = _train(case, True)
    fused_i, stats_i, params_i = _train(case, False)
    assert fused_h and fused_i
    for a, b in zip(params_h, params_i):           # identical: the same operators in both modes
        np.testing.assert_array_equal(a.view(np.int32), b.view(np.int32))
    monkeypatch.setenv("VAEGAN_FUSED_BCE", "0")
    fused_s, stats_s, _ = _train(case, True)
    assert not fused_s
    for got, want in zip(stats_h, stats_s):        # every statistic of every step, to float rounding
        for k in want:
            assert got[k] == pytest.approx(want[k], rel=1e-4, abs=1e-3), k


@needs_kernel
@pytest.mark.parametrize("switch,present,absent", [
    ("1", {"vaegan_bce_logits", "_backward_vaegan_bce_logits", "vaegan_sigmoid"}, {"abs", "sigmoid"}),
    ("0", {"abs", "sigmoid"}, {"vaegan_bce_logits", "vaegan_sigmoid"}),
])
def test_the_fused_operators_are_what_the_step_runs(switch, present, absent, monkeypatch):
    monkeypatch.setenv("VAEGAN_FUSED_BCE", switch)
    vn, vk, dn, dk, shape = CASES["dense-logreg"]
    tr = Trainer(get_model(vn, image_shape=shape, **vk), get_model(dn, **dk),
                 config={"n_epochs": 1, "batch_size": 8}, progress=False)
    tr._prepare()
    x = nd.array(np.random.RandomState(0).rand(8, *shape).astype(np.float32))
    w = {"pbp_weight": 1.0, "disc_weight": 10.0, "adv_on": True}
    tr.scheme.step({"x": [x]}, "combo", w)
    nd.waitall()
    from benchmarks.profile import profiled
    ops = set(profiled(lambda: tr.scheme.step({"x": [x]}, "combo", w))[0]["Time"]["operator"])
    assert present <= ops and not (absent & ops), sorted(ops)
