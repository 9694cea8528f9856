"""Schedules: learning rates (values at given epochs, Trainer wiring), the equilibrium gate, AE-GAN beta policies."""
import numpy as np
import pandas as pd
import pytest

import vaegan_gluon  # noqa: F401  (sets OMP_NUM_THREADS before mxnet)
from mxnet import autograd, nd

from vaegan_gluon.data import load
from vaegan_gluon.models import get_model
from vaegan_gluon.schedules import ConstantLR, LinearDecay, PlateauLR, StepLR, TF2_LR_SCHEDULES, make_lr_schedule
from vaegan_gluon.train.schemes.aegan import DerivativeBeta, make_beta_policy
from vaegan_gluon.train.schemes.larsen import EquilibriumGate
from vaegan_gluon.train import Trainer


# ------------------------------------------------------------------------------ learning rates
def test_constant_and_step_values_at_epochs():
    assert [ConstantLR(5e-4).begin_epoch(e) for e in (0, 10, 99)] == [5e-4] * 3
    s = StepLR(1.0, step=3, factor=0.5)
    assert [s.begin_epoch(e) for e in range(8)] == [1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25]
    assert s.begin_epoch(30) == pytest.approx(0.5 ** 10)          # resume far in: the same value
    m = StepLR(1.0, step=[2, 5], factor=0.1)
    assert [m.begin_epoch(e) for e in range(7)] == pytest.approx([1, 1, 0.1, 0.1, 0.1, 0.01, 0.01])
    assert StepLR(1.0, step=1, factor=0.1, min_lr=0.05).begin_epoch(5) == 0.05


def _plateau_run(spec, losses):
    s = make_lr_schedule(spec, 5e-4)
    out = [s.begin_epoch(0, None)]
    for e, v in enumerate(losses, start=1):
        out.append(s.begin_epoch(e, {"vae_loss": v}))
    return out


def test_plateau_clears_or_keeps_its_buffer():
    flat = [1.0] * 12
    # patience 6, buffer cleared after a decay: decays at the 7th and the 13th flat epoch
    lrs = _plateau_run("plateau-0.75", flat)
    assert lrs[:7] == [5e-4] * 7 and lrs[7] == pytest.approx(5e-4 * 0.75)
    assert lrs[12] == pytest.approx(5e-4 * 0.75) and _plateau_run("plateau-0.75",
                                                                  flat + [1.0])[13] == pytest.approx(5e-4 * 0.75 ** 2)
    # the TF2 project's 4th schedule keeps its buffer: then decays every flat epoch
    keep = _plateau_run("plateau-0.6-keep", flat)
    assert keep[7:10] == pytest.approx([5e-4 * 0.6, 5e-4 * 0.6 ** 2, 5e-4 * 0.6 ** 3])
    # improving losses never decay; the minimum lr is a floor
    assert _plateau_run("plateau-0.85", list(np.linspace(10, 1, 30)))[-1] == 5e-4
    assert min(_plateau_run("plateau-0.85", [1.0] * 200)) == pytest.approx(1e-4)


def test_plateau_is_idempotent_per_epoch_and_resumes_from_state():
    s = PlateauLR(1.0, decay=0.5, min_lr=0.0, patience=1)
    s.begin_epoch(1, {"vae_loss": 1.0})
    assert s.begin_epoch(2, {"vae_loss": 2.0}) == 0.5
    assert s.begin_epoch(2, {"vae_loss": 2.0}) == 0.5          # a NaN redo of epoch 2 does not decay twice
    t = PlateauLR(1.0, decay=0.5, min_lr=0.0, patience=1)
    t.load_state_dict(s.state_dict())
    assert t.begin_epoch(3, {"vae_loss": 3.0}) == s.begin_epoch(3, {"vae_loss": 3.0}) == 0.25


def test_lr_schedule_specs_and_errors():
    assert set(TF2_LR_SCHEDULES) == {"constant", "plateau-0.85", "plateau-0.75", "plateau-0.6-keep"}
    assert make_lr_schedule(None, 1e-3) is None
    p = make_lr_schedule("plateau-0.6-keep", 5e-4)
    assert (p.decay, p.min_lr, p.patience, p.keep_buffer) == (0.6, 5e-6, 6, True)
    for bad in ("plateau", {"kind": "cosine"}, {"kind": "step"}, {"kind": "plateau", "decay": 2}):
        with pytest.raises(ValueError):
            make_lr_schedule(bad, 1e-3)


def test_linear_decay():
    assert [LinearDecay(0.2, 4).value(e) for e in (0, 2, 4, 9)] == [0.2, 0.1, 0.0, 0.0]


def test_trainer_applies_lr_schedule_with_nan_scale_and_checkpoints_it(tmp_path):
    x = load("mnist-5k", split="train").images[:256]

    def trainer(out, n_epochs):
        vae = get_model("DenseVAE", n_latent=4, n_hidden_layers=1, n_hidden_units=32, image_shape=(1, 28, 28))
        return Trainer(vae, None, dict(n_epochs=n_epochs, batch_size=128, lr=1e-3,
                                       lr_schedule={"kind": "step", "step": 2, "factor": 0.5}),
                       out_dir=str(out), progress=False)
    t = trainer(tmp_path / "a", 5)
    t.fit(x)
    assert [r["lr"] for r in t.history] == pytest.approx([1e-3, 1e-3, 5e-4, 5e-4, 2.5e-4])
    assert t.scheme.optimizers["vae"].learning_rate == pytest.approx(2.5e-4)
    csv = pd.read_csv(tmp_path / "a" / "training_statistics.csv")
    assert list(csv.lr) == pytest.approx([1e-3, 1e-3, 5e-4, 5e-4, 2.5e-4])
    # the NaN guard's halving multiplies with the schedule
    t.lr_scale = 0.5
    t._apply_lr_schedule(5)
    assert t.scheme.optimizers["vae"].learning_rate == pytest.approx(1e-3 * 0.25 * 0.5)
    # resume: 3 epochs, then 5 -> the same rows as the uninterrupted run
    r = trainer(tmp_path / "b", 3)
    r.fit(x)
    r2 = trainer(tmp_path / "b", 5)
    r2.fit(x, resume=True)
    assert [row["lr"] for row in r2.history] == pytest.approx([row["lr"] for row in t.history])
    assert [row["vae_loss"] for row in r2.history] == pytest.approx([row["vae_loss"] for row in t.history], rel=1e-5)


# ---------------------------------------------------------------------------- equilibrium gate
@pytest.mark.parametrize("real,fake,expected", [
    (0.7, 0.7, (True, True)),      # near equilibrium: both train
    (0.2, 0.7, (False, True)),     # D far ahead on reals: skip D
    (0.7, 0.3, (False, True)),     # D far ahead on fakes: skip D
    (1.2, 0.7, (True, False)),     # D far behind: skip the decoder
    (0.2, 1.2, (True, True)),      # both would be skipped: never both -> both train
])
def test_equilibrium_gate_decisions(real, fake, expected):
    assert EquilibriumGate(0.35, 0.68).decide(real, fake) == expected
    assert EquilibriumGate(None).decide(real, fake) == (True, True)


# ------------------------------------------------------------------------------- beta policies
def _grad_of(policy, ae_np, gan_np):
    ae, gan = nd.array(ae_np), nd.array(gan_np)
    ae.attach_grad()
    gan.attach_grad()
    with autograd.record():
        loss, beta = policy.combine(ae, gan)
    loss.backward()
    return loss.asnumpy(), ae.grad.asnumpy(), gan.grad.asnumpy(), beta


def test_constant_inverse_ceiling_policies_match_the_study_formulas():
    ae, gan = np.array([0.02, 0.04], np.float32), np.array([1.0, 3.0], np.float32)
    loss, _, g_gan, beta = _grad_of(make_beta_policy("constant"), ae, gan)
    assert loss.mean() == pytest.approx(ae.mean() + 0.005 * gan.mean()) and beta == 0.005
    # inverse: batch loss = ae + beta * gan / ae, gradient through the denominator too (as in TF)
    loss, g_ae, _, _ = _grad_of(make_beta_policy("inverse"), ae, gan)
    A, G = ae.mean(), gan.mean()
    assert loss.mean() == pytest.approx(A + 5e-4 * G / A, rel=1e-5)
    # d(mean loss)/d ae_i = (1 - 5e-4 * G / A**2) / N; loss.backward() sums over N, so times N
    assert g_ae == pytest.approx(np.full(2, 1 - 5e-4 * G / A ** 2), rel=1e-4)
    # ceiling: ae + min(ae, gan) with batch means
    loss, g_ae, g_gan, _ = _grad_of(make_beta_policy("ceiling"), ae, gan)
    assert loss.mean() == pytest.approx(A + min(A, G)) and g_gan.sum() == 0 and g_ae == pytest.approx([2, 2])
    loss, g_ae, g_gan, _ = _grad_of(make_beta_policy("ceiling"), np.array([5.0, 5.0], np.float32), gan)
    assert loss.mean() == pytest.approx(5 + G) and g_gan == pytest.approx([1, 1])
    with pytest.raises(ValueError):
        make_beta_policy("median")


def test_derivative_policy_window_slope_and_state():
    p = DerivativeBeta(alpha=1.0, a=2e-7, window=5)
    gan = nd.ones((2,))
    betas = []
    values = [1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.5 - 1e-7, 0.5 - 2e-7]
    for v in values:
        _, beta = p.combine(nd.array([v, v]), gan)
        betas.append(float(beta.asscalar()))
    assert betas[:5] == [0.0] * 5                                      # zero before 50 (here 5) batches
    assert betas[5] == pytest.approx(2e-7 / 0.1, rel=1e-3)             # slope -0.1 per batch
    slope = np.polyfit(np.arange(5), values[2:7], 1)[0]
    assert betas[7] == pytest.approx(min(1, abs(2e-7 / slope)), rel=1e-3)
    q = DerivativeBeta(alpha=1.0, a=2e-7, window=5)
    q.load_state_dict(p.state_dict())
    assert float(q.current_beta(gan.context).asscalar()) == pytest.approx(
        float(p.current_beta(gan.context).asscalar()))
    flat = DerivativeBeta(window=2)
    for _ in range(3):
        _, beta = flat.combine(nd.array([0.3]), nd.array([1.0]))
    assert float(beta.asscalar()) == 1.0                               # flat window: beta 1
