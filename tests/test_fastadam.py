"""The vectorised Adam kernel (vaegan_gluon/fast/adam.py): bit-identical to MXNet's adam_update
(every bit, several steps, clipping, weight decay, in place, odd sizes), the same training as stock
Adam on the experiments' own models and schemes over several steps (hybridized and not), its fallbacks
(no compiler, VAEGAN_FAST_ADAM=0, float16, convolution weights), and that it really is what runs."""
import os
import subprocess
import sys

import numpy as np
import pytest

import vaegan_gluon  # noqa: F401  (sets OMP_NUM_THREADS before mxnet)
import mxnet as mx
from mxnet import autograd, gluon, nd

from vaegan_gluon.models import get_model
from vaegan_gluon.fast import adam as fastadam, kernels
from vaegan_gluon.train import Trainer

needs_kernel = pytest.mark.skipif(not kernels.available(), reason="the vectorised kernel could not be built "
                                  f"here: {kernels.status()['reason']}")


def _bits(a):
    return a.asnumpy().view(np.int32)


@needs_kernel
@pytest.mark.parametrize("n", [1, 7, 1000, 65537, 300001])
def test_kernel_bit_identical_to_mxnet(n):
    rs = np.random.RandomState(n)
    w0 = rs.randn(n).astype(np.float32)
    stock = [nd.array(w0), nd.zeros(n), nd.zeros(n)]
    fast = [nd.array(w0), nd.zeros(n), nd.zeros(n)]
    for t in range(6):
        g = nd.array((rs.randn(n) * 10.0 ** rs.uniform(-6, 1)).astype(np.float32))
        kw = dict(lr=1e-3 * np.sqrt(1 - 0.999 ** (t + 1)) / (1 - 0.9 ** (t + 1)), beta1=0.9, beta2=0.999,
                  epsilon=1e-8, wd=0.01 if t == 2 else 0.0, rescale_grad=1.0 / 64)
        clip = 0.003 if t == 4 else None
        mx.nd.adam_update(*stock[:1], g, *stock[1:], out=stock[0], lazy_update=False,
                          **(dict(kw, clip_gradient=clip) if clip else kw))
        fastadam.adam_update(fast[0], g, fast[1], fast[2], clip_gradient=clip, **kw)
        for a, b in zip(stock, fast):
            assert (_bits(a) == _bits(b)).all(), f"step {t}: not bit-identical"
    assert not np.array_equal(stock[0].asnumpy(), w0)   # it did update


@needs_kernel
def test_multi_tensor_kernel_bit_identical_to_mxnet():
    """vaegan_multi_adam_update: tensors of odd and large sizes (the parallel path), each with its own lr
    and weight decay, clipping on one step, several steps: every tensor equal to its own adam_update."""
    rs = np.random.RandomState(0)
    sizes = [1, 7, 400, 65537, 300001]
    w0 = [rs.randn(n).astype(np.float32) for n in sizes]
    stock = [[nd.array(w), nd.zeros(w.size), nd.zeros(w.size)] for w in w0]
    fast = [[nd.array(w), nd.zeros(w.size), nd.zeros(w.size)] for w in w0]
    for t in range(6):
        gs = [nd.array((rs.randn(n) * 10.0 ** rs.uniform(-6, 1)).astype(np.float32)) for n in sizes]
        corr = np.sqrt(1 - 0.999 ** (t + 1)) / (1 - 0.9 ** (t + 1))
        lrs = [1e-3 * corr * (k + 1) for k in range(len(sizes))]
        wds = [0.01 * k if t == 2 else 0.0 for k in range(len(sizes))]
        clip = 0.003 if t == 4 else None
        for (w, m, v), g, lr, wd in zip(stock, gs, lrs, wds):
            kw = dict(lr=lr, beta1=0.9, beta2=0.999, epsilon=1e-8, wd=wd, rescale_grad=1.0 / 64)
            mx.nd.adam_update(w, g, m, v, out=w, lazy_update=False, **(dict(kw, clip_gradient=clip) if clip else kw))
        fastadam.multi_adam_update([f[0] for f in fast], gs, [f[1] for f in fast], [f[2] for f in fast], lrs, wds,
                                   0.9, 0.999, 1e-8, 1.0 / 64, clip)
        for k, (a3, b3) in enumerate(zip(stock, fast)):
            for a, b in zip(a3, b3):
                assert (_bits(a) == _bits(b)).all(), f"step {t}, tensor {k} ({sizes[k]}): not bit-identical"
    assert all(not np.array_equal(f[0].asnumpy(), w) for f, w in zip(fast, w0))   # it did update


@needs_kernel
def test_the_kernel_is_what_runs(monkeypatch):
    """The optimiser must reach the extension operator, not quietly fall back to adam_update."""
    calls = []
    real = getattr(mx.nd, kernels.MULTI_OP_NAME)
    monkeypatch.setattr(mx.nd, kernels.MULTI_OP_NAME, lambda *a, **k: calls.append(k["num_weights"]) or real(*a, **k))
    monkeypatch.setattr(mx.nd, "adam_update", lambda *a, **k: pytest.fail("stock adam_update ran"))
    net = gluon.nn.Dense(3, in_units=4)
    net.initialize()
    tr = gluon.Trainer(net.collect_params(), "fastadam", {"learning_rate": 1e-2}, kvstore=None)
    with autograd.record():
        loss = net(nd.ones((2, 4))).sum()
    loss.backward()
    tr.step(2)
    assert calls == [2]   # weight and bias, in one multi-tensor call


def _trained(optimizer, vae_name, vae_kw, disc_name, disc_kw, shape, hybridize, steps=4, scheme=None):
    mx.random.seed(0)
    vae = get_model(vae_name, image_shape=shape, **vae_kw)
    disc = get_model(disc_name, **disc_kw) if disc_name else None
    config = {"n_epochs": 1, "batch_size": 16, "seed": 0, "optimizer": optimizer, "hybridize": hybridize}
    if scheme:
        config["scheme"] = scheme
    tr = Trainer(vae, disc, config=config, progress=False)
    tr._prepare()
    rs = np.random.RandomState(0)
    weights = {"pbp_weight": 1.0, "disc_weight": 10.0, "adv_on": True}   # the study's disc weight 10
    for _ in range(steps):
        x = nd.array(rs.rand(16, *shape).astype(np.float32))
        tr.scheme.step({"x": [x]}, "combo" if disc is not None else "solo", weights)
    nd.waitall()
    return [p.data().asnumpy() for net in (vae, disc) if net is not None
            for p in net.collect_params().values()]


CASES = {
    "dense-logreg": ("DenseVAE", dict(n_latent=5, n_hidden_layers=3, n_hidden_units=64),
                     "DenseLogReg", dict(n_hidden_layers=1, n_hidden_units=32), (1, 28, 28), None),
    "conv-convdisc": ("ConvVAE", dict(n_latent=16, base_channels=8), "ConvDisc", dict(base_channels=8),
                      (3, 32, 32), None),
    "larsen": ("ConvVAE", dict(n_latent=16, base_channels=8), "ConvDisc", dict(base_channels=8, feature_layer=2),
               (3, 32, 32), "larsen"),
}


@needs_kernel
@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("hybridize", [True, False])
def test_training_identical_to_stock_adam(case, hybridize):
    """Several steps of the experiments' schemes at disc weight 10: every parameter equal to the bit."""
    vn, vk, dn, dk, shape, scheme = CASES[case]
    fast = _trained("adam", vn, vk, dn, dk, shape, hybridize, scheme=scheme)
    stock = _trained("stockadam", vn, vk, dn, dk, shape, hybridize, scheme=scheme)
    assert len(fast) == len(stock) > 4
    for a, b in zip(fast, stock):
        assert (a.view(np.int32) == b.view(np.int32)).all()


def test_float16_and_other_inputs_take_mxnets_path(monkeypatch):
    calls = []
    real = mx.nd.adam_update
    monkeypatch.setattr(mx.nd, "adam_update", lambda *a, **k: calls.append(1) or real(*a, **k))
    w, g = nd.ones(5, dtype="float16"), nd.ones(5, dtype="float16")
    m, v = nd.zeros(5, dtype="float16"), nd.zeros(5, dtype="float16")
    fastadam.adam_update(w, g, m, v, lr=0.1)
    assert calls == [1] and float(w.asnumpy()[0]) < 1.0
    conv_w = nd.ones((4, 3, 3, 3))          # a convolution weight: oneDNN may hold it in its own layout
    fastadam.adam_update(conv_w, nd.ones((4, 3, 3, 3)), nd.zeros((4, 3, 3, 3)), nd.zeros((4, 3, 3, 3)), lr=0.1)
    assert calls == [1, 1]


@needs_kernel
def test_optimizer_rechecks_when_an_index_gets_other_arrays(monkeypatch):
    """FastAdam keeps its kernel-or-stock decision per parameter index, keyed by the arrays' handles: the
    same index updated with float16 arrays after float32 ones must take MXNet's path, and back."""
    fast, stock = [], []
    real_fast, real_stock = getattr(mx.nd, kernels.OP_NAME), mx.nd.adam_update
    monkeypatch.setattr(mx.nd, kernels.OP_NAME, lambda *a, **k: fast.append(1) or real_fast(*a, **k))
    monkeypatch.setattr(mx.optimizer.optimizer, "adam_update",   # what stock Adam.update calls
                        lambda *a, **k: stock.append(1) or real_stock(*a, **k))
    opt = fastadam.FastAdam(learning_rate=0.1)

    def arrays(dtype):
        w = nd.ones(5, dtype=dtype)
        return w, nd.ones(5, dtype=dtype), opt.create_state(0, w)
    for dtype, want in (("float32", (1, 0)), ("float32", (2, 0)), ("float16", (2, 1)), ("float32", (3, 1))):
        w, g, state = arrays(dtype)
        opt.update(0, w, g, state)
        assert (len(fast), len(stock)) == want, dtype
        assert float(w.asnumpy()[0]) < 1.0


def test_build_failure_is_a_clear_error(tmp_path):
    with pytest.raises(RuntimeError, match="failed|no C\\+\\+ compiler"):
        kernels.build(cache_dir=str(tmp_path), compiler="false")
    assert not any(f.suffix == ".so" for f in (tmp_path / "ext").iterdir())   # no half-written library


@pytest.mark.parametrize("env,reason,warned", [
    ({"VAEGAN_FAST_ADAM": "0"}, "VAEGAN_FAST_ADAM=0", 0),            # asked for: silent
    ({"CXX": "false"}, "false failed:", 1),                            # cannot build: one warning, the reason
])
def test_fallback_trains_with_mxnets_kernel_and_says_why(env, reason, warned, tmp_path):
    """No kernel (disabled, or no working compiler): training runs on MXNet's adam_update, no crash."""
    code = ("import warnings, mxnet as mx; from mxnet import gluon, nd, autograd\n"
            "from vaegan_gluon.fast import adam as fastadam, kernels\n"
            "with warnings.catch_warnings(record=True) as w:\n"
            "    warnings.simplefilter('always')\n"
            "    net = gluon.nn.Dense(2, in_units=3); net.initialize()\n"
            "    tr = gluon.Trainer(net.collect_params(), 'fastadam', {'learning_rate': 0.1}, kvstore=None)\n"
            "    with autograd.record(): loss = net(nd.ones((1, 3))).sum()\n"
            "    loss.backward(); tr.step(1)\n"
            "w0 = net.weight.data().asnumpy()\n"
            "print(repr(kernels.status()['reason']), hasattr(mx.nd, kernels.OP_NAME), len(w))\n")
    full = dict(os.environ, VAEGAN_CACHE=str(tmp_path), **env)   # an empty cache: nothing prebuilt
    out = subprocess.run([sys.executable, "-c", code], env=full, capture_output=True, text=True, check=True).stdout
    got_reason, has_op, n_warn = out.rsplit(" ", 2)
    assert reason in got_reason and has_op == "False" and int(n_warn) == warned, out


@needs_kernel
def test_per_tensor_lever_calls_the_single_kernel_and_trains_identically(monkeypatch):
    """VAEGAN_ADAM_MULTI=0 (the benchmark's ours_pertensor lever) makes FastAdam call the single-tensor kernel
    once per parameter; the parameters after several steps are bit-identical to the multi-tensor default."""
    import benchmarks as bench
    assert bench.child_env("ours_pertensor")["VAEGAN_ADAM_MULTI"] == "0"
    assert "VAEGAN_ADAM_MULTI" not in bench.child_env("ours") or bench.child_env("ours")["VAEGAN_ADAM_MULTI"] != "0"
    multi = _trained("adam", *CASES["dense-logreg"][:5], hybridize=True)
    monkeypatch.setenv("VAEGAN_ADAM_MULTI", "0")
    assert fastadam.FastAdam().aggregate_num == 0
    calls = []
    real = getattr(mx.nd, kernels.OP_NAME)
    monkeypatch.setattr(mx.nd, kernels.OP_NAME, lambda *a, **k: calls.append(1) or real(*a, **k))
    monkeypatch.setattr(mx.nd, kernels.MULTI_OP_NAME, lambda *a, **k: pytest.fail("multi-tensor call"))
    single = _trained("adam", *CASES["dense-logreg"][:5], hybridize=True)
    assert len(calls) > 4 * 2
    for a, b in zip(multi, single):
        assert (a.view(np.int32) == b.view(np.int32)).all()
