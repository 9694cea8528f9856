"""MultiAdam ("multiadam"): same parameters as stock Adam, fused updates, save/load states, set_learning_rate."""
import numpy as np
import pytest

import vaegan_gluon  # noqa: F401  (sets OMP_NUM_THREADS before mxnet)
import mxnet as mx
from mxnet import autograd, gluon, nd

from vaegan_gluon.train import optim
from vaegan_gluon.train.optim import MultiAdam

SHAPES = [(40, 78), (40,), (10, 40), (3,), (1,), (7, 5, 3, 3), (16,)]


def _params(seed=0):
    rs = np.random.RandomState(seed)
    pd = gluon.ParameterDict(prefix="t_")
    params = [pd.get(f"p{i}", shape=s, init=mx.init.Constant(nd.array(rs.randn(*s)))) for i, s in enumerate(SHAPES)]
    pd.initialize(ctx=mx.cpu())
    return pd, params


def _train_fixed_grads(opt, steps=8, lr=1e-2, optimizer_params=None, trainer=None, pd_params=None,
                       grad_seed=1, set_lr=None):
    """Loss sum(w * G_t) with fixed random G_t: the gradient is exactly G_t (no feedback from w)."""
    pd, params = pd_params or _params()
    trainer = trainer or gluon.Trainer(pd, opt, dict({"learning_rate": lr}, **(optimizer_params or {})),
                                       kvstore=None)
    rs = np.random.RandomState(grad_seed)
    for t in range(steps):
        if set_lr is not None and t == steps // 2:
            trainer.set_learning_rate(set_lr)
        gs = [nd.array(rs.randn(*p.shape) * 10.0 ** rs.uniform(-4, 0)) for p in params]
        with autograd.record():
            loss = nd.add_n(*[(p.data() * g).sum() for p, g in zip(params, gs)])
        loss.backward()
        trainer.step(1)
    return [p.data().asnumpy() for p in params], trainer


def _assert_close(a, b, rtol=1e-6):
    for x, y in zip(a, b):
        scale = max(np.abs(x).max(), 1e-12)
        assert np.abs(x - y).max() <= rtol * scale, (np.abs(x - y).max() / scale)


def test_registered():
    assert isinstance(mx.optimizer.create("multiadam"), MultiAdam)
    assert mx.optimizer.create("multiadam").max_per_call == optim.MAX_AGGREGATE


@pytest.mark.parametrize("aggregate_num,big", [(2, 1 << 15), (45, 1 << 15), (45, 64)])
def test_matches_stock_adam(aggregate_num, big, monkeypatch):
    calls = []
    real = mx.nd.contrib.multi_adamw_update

    def spy(weights, *args, **kwargs):
        calls.append(sorted(w.size for w in weights))
        return real(weights, *args, **kwargs)
    monkeypatch.setattr(mx.nd.contrib, "multi_adamw_update", spy)
    ref, _ = _train_fixed_grads("adam")
    got, tr = _train_fixed_grads("multiadam", optimizer_params={"aggregate_num": aggregate_num, "big": big})
    _assert_close(ref, got)
    # fused: every step updates every tensor once, in the planned calls
    sizes = [int(np.prod(s)) for s in SHAPES]
    plan = optim.plan_chunks(sizes, aggregate_num, big)
    # a big tensor alone goes through stock Adam's adam_update kernel, the rest through fused calls
    plan = [c for c in plan if not (len(c) == 1 and sizes[c[0]] >= big)]
    n_fused = sum(len(c) for c in plan)
    assert len(calls) == 8 * len(plan) and sum(len(c) for c in calls) == 8 * n_fused
    assert max(len(c) for c in calls) <= aggregate_num
    assert sorted(calls[:len(plan)]) == sorted(sorted(sizes[k] for k in c) for c in plan)


def test_plan_chunks_bounds_the_kernel_work():
    """multi_adamw_update costs count x max_size: a plan keeps that <= 2 x the real work per call."""
    rs = np.random.RandomState(0)
    sizes = [313600, 160000, 160000, 400, 400, 400, 10, 5 * 400, 400, 784, 1, 3] + \
        list(rs.randint(1, 5000, size=100))
    plan = optim.plan_chunks(sizes, max_per_call=45, big=1 << 15)
    assert sorted(k for c in plan for k in c) == list(range(len(sizes)))
    for c in plan:
        cs = [sizes[k] for k in c]
        assert len(c) <= 45
        if max(cs) >= 1 << 15:
            assert len(c) == 1                      # a big tensor is updated alone
        assert len(c) * max(cs) <= 2.0 * sum(cs)
    # the first version's plan (45 tensors in parameter order) did ~count x more work than this one
    naive = sum(len(sizes[s:s + 45]) * max(sizes[s:s + 45]) for s in range(0, len(sizes), 45))
    planned = sum(len(c) * max(sizes[k] for k in c) for c in plan)
    assert planned < naive / 5


def test_a_trainer_touches_only_its_own_parameters():
    """Two Trainers over disjoint parameters: stepping one 20 times leaves the other bit-identical."""
    pd_a, params_a = _params(0)
    pd_b, params_b = _params(1)
    before = [p.data().asnumpy().copy() for p in params_b]
    tr_b = gluon.Trainer(pd_b, "multiadam", {"learning_rate": 1e-2}, kvstore=None)
    _train_fixed_grads("multiadam", steps=20, pd_params=(pd_a, params_a))
    for p, b in zip(params_b, before):
        np.testing.assert_array_equal(p.data().asnumpy(), b)
    assert not tr_b._optimizer._index_update_count


def test_typed_setting_builds_the_fused_optimiser():
    from vaegan_gluon.models import get_model
    from vaegan_gluon.train import Trainer, TrainConfig
    vae = get_model("DenseVAE", n_latent=2, n_hidden_layers=1, n_hidden_units=8, image_shape=(1, 6, 6))
    t = Trainer(vae, None, {"n_epochs": 1, "batch_size": 4, "optimizer": "multiadam"}, progress=False)
    t._prepare()
    assert all(isinstance(o._optimizer, MultiAdam) for o in t.scheme.optimizers.values())
    with pytest.raises(ValueError, match="optimizer 'sgd' unknown"):
        TrainConfig(optimizer="sgd")


def test_matches_stock_adam_other_hyperparameters():
    hp = {"beta1": 0.5, "beta2": 0.99, "epsilon": 1e-6, "clip_gradient": 0.05}
    ref, _ = _train_fixed_grads("adam", optimizer_params=hp, lr=3e-3)
    got, _ = _train_fixed_grads("multiadam", optimizer_params=hp, lr=3e-3)
    _assert_close(ref, got)


def test_weight_decay_falls_back_to_stock_adam():
    ref, _ = _train_fixed_grads("adam", optimizer_params={"wd": 1e-2})
    got, _ = _train_fixed_grads("multiadam", optimizer_params={"wd": 1e-2})
    _assert_close(ref, got)


def test_set_learning_rate():
    ref, _ = _train_fixed_grads("adam", set_lr=1e-4)
    got, tr = _train_fixed_grads("multiadam", set_lr=1e-4)
    _assert_close(ref, got)
    assert tr.learning_rate == pytest.approx(1e-4)


def test_dense_net_matches_stock_adam():
    """A real network through gluon.Trainer (hybridized, grads from backprop): a few steps agree."""
    def run(opt):
        mx.random.seed(3)
        net = gluon.nn.HybridSequential()
        net.add(gluon.nn.Dense(32, activation="relu", in_units=20), gluon.nn.Dense(16, activation="relu"),
                gluon.nn.Dense(1))
        net.initialize(mx.init.Xavier())
        net.hybridize(static_alloc=True, static_shape=True)
        tr = gluon.Trainer(net.collect_params(), opt, {"learning_rate": 1e-3})
        rs = np.random.RandomState(0)
        for _ in range(4):
            x = nd.array(rs.randn(8, 20))
            with autograd.record():
                loss = nd.square(net(x) - 1).sum()
            loss.backward()
            tr.step(8)
        return [p.data().asnumpy() for p in net.collect_params().values()]
    a, b = run("adam"), run("multiadam")
    scale = max(np.abs(x).max() for x in a)   # biases start at 0: compare on the network's weight scale
    assert max(np.abs(x - y).max() for x, y in zip(a, b)) <= 1e-6 * scale


def test_save_load_states_resume(tmp_path):
    """Checkpoint after 4 steps, resume in a fresh Trainer: the same parameters as an uninterrupted run."""
    full, _ = _train_fixed_grads("multiadam", steps=8)

    pd, params = _params()
    tr = gluon.Trainer(pd, "multiadam", {"learning_rate": 1e-2}, kvstore=None)
    rs = np.random.RandomState(1)
    grads = [[nd.array(rs.randn(*p.shape) * 10.0 ** rs.uniform(-4, 0)) for p in params] for _ in range(8)]

    def steps(trainer, params, gs_list):
        for gs in gs_list:
            with autograd.record():
                loss = nd.add_n(*[(p.data() * g).sum() for p, g in zip(params, gs)])
            loss.backward()
            trainer.step(1)
    steps(tr, params, grads[:4])
    pd.save(str(tmp_path / "p.params"))
    tr.save_states(str(tmp_path / "o.states"))

    pd2, params2 = _params(seed=99)   # different values, overwritten by the load
    pd2.load(str(tmp_path / "p.params"), ctx=mx.cpu(), restore_prefix="")
    tr2 = gluon.Trainer(pd2, "multiadam", {"learning_rate": 1e-2}, kvstore=None)
    tr2.load_states(str(tmp_path / "o.states"))
    assert isinstance(tr2._optimizer, MultiAdam)
    assert tr2._optimizer.num_update == 4
    steps(tr2, params2, grads[4:])
    resumed = [p.data().asnumpy() for p in params2]
    for x, y in zip(full, resumed):
        np.testing.assert_array_equal(x, y)


def test_states_interchangeable_with_stock_adam(tmp_path):
    """States are Adam's (mean, var): a stock-Adam checkpoint resumes under MultiAdam identically."""
    pd, params = _params()
    tr = gluon.Trainer(pd, "adam", {"learning_rate": 1e-2}, kvstore=None)
    _train_fixed_grads(None, steps=3, trainer=tr, pd_params=(pd, params))
    tr.save_states(str(tmp_path / "adam.states"))
    upd = tr._updaters[0]
    mp = MultiAdam(learning_rate=1e-2)
    assert [s[0].shape for s in upd.states.values()] == \
           [mp.create_state(i, p.data())[0].shape for i, p in enumerate(params)]
    assert optim.MAX_AGGREGATE < 50    # the kernel's parameter struct holds 50 tensors
