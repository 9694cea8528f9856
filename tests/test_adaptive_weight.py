"""Issue 33 (Adaptive weight): the gradient-ratio diagnostic, ``disc_weight_mode`` and ``disc_train_during_solo``.

The ratio the step records is checked against one computed by hand: two separate plain autograd passes (a
fresh forward each, the same random draw), one of the PBP term alone and one of the adversarial term alone,
on a DenseVAE with a 2-d latent and 4 images, hybridized and imperative.
"""
import math

import numpy as np
import pandas as pd
import pytest

import vaegan_gluon  # noqa: F401  (sets OMP_NUM_THREADS before mxnet)
import mxnet as mx
from mxnet import autograd, nd

from vaegan_gluon import losses, viz
from vaegan_gluon.models import get_model
from vaegan_gluon.train import TrainConfig, Trainer
from vaegan_gluon.train.adaptive import EPS, CLAMP, decoder_last_weight
from vaegan_gluon.train.schemes.aegan import AEGAN
from vaegan_gluon.train.schemes import LearnableLoss


def _images(n=4, seed=3):
    return np.random.RandomState(seed).rand(n, 1, 28, 28).astype("float32")


def _tiny(hybridize):
    vae = get_model("DenseVAE", n_latent=2, n_hidden_layers=1, n_hidden_units=16, image_shape=(1, 28, 28))
    disc = get_model("DenseLogReg", n_hidden_layers=1, n_hidden_units=8)
    for net in (vae, disc):
        net.initialize(mx.init.Xavier(), ctx=mx.cpu())
        if hybridize:
            net.hybridize(static_alloc=True)
        net(nd.zeros((2, 1, 28, 28)))
    return vae, disc


def _hand_grad(vae, disc, x, seed, term, pbp_w):
    """|grad_{W_L}| of one term from a fresh plain forward (imperative ops, no cached loss graphs)."""
    w = decoder_last_weight(vae)
    mx.random.seed(seed)
    with autograd.record():
        logits, mu, logvar = vae(x)
        if term == "pbp":
            loss = pbp_w * losses.pbp_loss(logits, x, "bce")
        else:
            loss = losses.adversarial_loss(disc(nd.sigmoid(logits)), 1.0)
    loss.backward()
    return float(nd.norm(w.grad()).asscalar())


@pytest.mark.parametrize("hybridize", [True, False], ids=["hybrid", "imperative"])
@pytest.mark.parametrize("scheme", ["learnable_loss", "aegan"])
def test_the_recorded_ratio_is_the_hand_computed_one(hybridize, scheme):
    vae, disc = _tiny(hybridize)
    if scheme == "aegan":
        vae = get_model("DenseVAE", n_latent=2, n_hidden_layers=1, n_hidden_units=16, image_shape=(1, 28, 28))
        vae.initialize(mx.init.Xavier(), ctx=mx.cpu())
        if hybridize:
            vae.hybridize(static_alloc=True)
    cfg = TrainConfig(scheme=scheme, disc_weight=10.0, hybridize=hybridize, grad_ratio_every=1, pbp_weight=0.7)
    cls = LearnableLoss if scheme == "learnable_loss" else AEGAN
    s = cls(vae, disc, cfg, [mx.cpu()])
    x = nd.array(_images())
    before = {k: p.data().copy() for k, p in vae.collect_params().items()}
    mx.random.seed(11)
    stats = s.step({"x": [x]}, "combo", {"pbp_weight": 0.7, "disc_weight": 10.0, "adv_on": True})
    got = float(stats["grad_ratio"].asscalar()) / 4
    for k, p in vae.collect_params().items():   # the VAE as it was when the ratio was measured
        p.set_data(before[k])
    if scheme == "learnable_loss":
        g_rec = _hand_grad(vae, disc, x, 11, "pbp", 0.7)
        g_adv = _hand_grad(vae, disc, x, 11, "adv", 0.7)
    else:   # aegan: alpha * ae (mean squared error per pixel) against BCE(D(G(x)), 1); AE-style forward
        w = decoder_last_weight(vae)
        norms = []
        for term in ("ae", "gan"):
            mx.random.seed(11)
            with autograd.record():
                logits, _, _ = vae(x)
                loss = (losses.pbp_loss(logits, x, "l2") * (1.0 / 784) if term == "ae"
                        else losses.adversarial_loss(disc(nd.sigmoid(logits)), 1.0))
            loss.backward()
            norms.append(float(nd.norm(w.grad()).asscalar()))
        g_rec, g_adv = norms
    assert g_adv > 0 and g_rec > 0
    assert got == pytest.approx(g_rec / (g_adv + EPS), rel=2e-4)


def _fit(case="dense", n_epochs=3, n_solo=1, **train):
    if case == "dense":
        vae = get_model("DenseVAE", n_latent=2, n_hidden_layers=1, n_hidden_units=32, image_shape=(1, 28, 28))
        disc = get_model("DenseLogReg", n_hidden_layers=1, n_hidden_units=16)
    else:
        vae = get_model("AE" if train.get("scheme") == "aegan" else "ConvVAE", n_latent=8, base_channels=4,
                        image_shape=(1, 28, 28))
        disc = get_model("ConvDisc", base_channels=4, **train.pop("disc_kw", {}))
    cfg = dict(n_epochs=n_epochs, n_solo_epochs=n_solo, batch_size=8, disc_weight=10.0, seed=5, log_interval=1000)
    cfg.update(train)
    return Trainer(vae, disc, TrainConfig.from_dict(cfg), progress=False).fit(
        np.random.RandomState(7).rand(32, 1, 28, 28).astype("float32"))


@pytest.mark.parametrize("hybridize", [True, False], ids=["hybrid", "imperative"])
def test_every_combo_epoch_records_the_ratio_and_solo_epochs_do_not(hybridize):
    rows = _fit(hybridize=hybridize)
    assert math.isnan(rows[0]["grad_ratio"])
    assert all(r["grad_ratio"] > 0 and math.isfinite(r["grad_ratio"]) for r in rows[1:])


def test_measuring_every_step_changes_no_update():
    a, b = _fit("conv", grad_ratio_every=1), _fit("conv", grad_ratio_every=0)
    for ra, rb in zip(a, b):
        for k in ("vae_loss", "pbp_loss", "kl", "adv_loss", "disc_loss"):
            assert ra[k] == rb[k] or (math.isnan(ra[k]) and math.isnan(rb[k])), k


@pytest.mark.parametrize("hybridize", [True, False], ids=["hybrid", "imperative"])
@pytest.mark.parametrize("case,scheme", [("dense", "learnable_loss"), ("conv", "learnable_loss"), ("conv", "aegan")])
def test_adaptive_mode_trains_with_the_clamped_ratio_times_disc_weight(case, scheme, hybridize):
    rows = _fit(case, scheme=scheme, disc_weight_mode="adaptive", disc_weight=0.8, hybridize=hybridize)
    for r in rows[1:]:
        weight = r["adv_weight"] if scheme == "learnable_loss" else r["beta"]
        assert math.isfinite(r["vae_loss"]) and weight > 0
        # measured every step: the epoch's mean weight is 0.8 x the mean ratio (nothing clamped at these sizes)
        assert r["grad_ratio"] < CLAMP
        assert weight == pytest.approx(0.8 * r["grad_ratio"], rel=1e-5)
    fixed = _fit(case, scheme=scheme, disc_weight=0.8, hybridize=hybridize)
    assert fixed[0]["vae_loss"] == rows[0]["vae_loss"]            # solo epoch: the same
    assert fixed[-1]["vae_loss"] != rows[-1]["vae_loss"]          # combo: another weight


@pytest.mark.parametrize("case,scheme", [("dense", "learnable_loss"), ("conv", "aegan")])
def test_disc_trains_during_solo_while_the_vae_ignores_it(case, scheme):
    idle = _fit(case, n_epochs=3, n_solo=2, scheme=scheme)
    busy = _fit(case, n_epochs=3, n_solo=2, scheme=scheme, disc_train_during_solo=True)
    vae_keys = ("vae_loss", "pbp_loss", "kl") if scheme == "learnable_loss" else ("vae_loss", "ae_loss")
    adv_key = "adv_loss" if scheme == "learnable_loss" else "gan_loss"
    for r_idle, r_busy in zip(idle[:2], busy[:2]):
        assert math.isnan(r_idle["disc_loss"]) and math.isfinite(r_busy["disc_loss"])
        for k in vae_keys:
            assert r_idle[k] == r_busy[k], k       # the VAE's solo updates do not see D
    assert busy[2][adv_key] != idle[2][adv_key]   # the combo epoch meets a trained D


@pytest.mark.parametrize("bad,message", [
    (dict(disc_weight_mode="adapt"), "disc_weight_mode 'adapt' unknown: use one of ['fixed', 'adaptive']"),
    (dict(disc_train_during_solo="yes"), "disc_train_during_solo must be true or false"),
    (dict(grad_ratio_every=-1), "grad_ratio_every must be an int >= 0"),
    (dict(scheme="larsen", disc_weight_mode="adaptive"), "scheme 'larsen' has no disc_weight_mode 'adaptive'"),
    (dict(scheme="aegan", disc_weight_mode="adaptive", extra={"beta_policy": "inverse"}), "use beta_policy 'constant'"),
])
def test_settings_are_validated_in_one_line(bad, message):
    with pytest.raises(ValueError) as err:
        TrainConfig.from_dict(bad)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_defaults_and_the_last_layer():
    c = TrainConfig()
    assert (c.disc_weight_mode, c.disc_train_during_solo) == ("fixed", False)
    for name, kw, shape in (("DenseVAE", dict(n_latent=2, n_hidden_layers=1, n_hidden_units=8), (784, 8)),
                            ("ConvVAE", dict(n_latent=4, base_channels=4), (4, 2, 4, 4)),
                            ("AE", dict(n_latent=4, base_channels=4), (4, 2, 4, 4))):
        vae = get_model(name, image_shape=(1, 28, 28), **kw)
        assert decoder_last_weight(vae).shape == shape, name


def test_loss_curves_draw_the_ratio(tmp_path):
    df = pd.DataFrame({"epoch": [1, 2, 3], "phase": ["solo", "combo", "combo"], "vae_loss": [3.0, 2.0, 1.0],
                       "grad_ratio": [np.nan, 30.0, 12.0]})
    fig = viz.loss_curves(df)
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible()]
    assert titles == ["vae_loss", "grad ratio at W_L"]
    assert [ax for ax in fig.axes if ax.get_title() == "grad ratio at W_L"][0].get_yscale() == "log"
