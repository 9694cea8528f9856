"""Invariants every scheme must keep, hybridized and not, at the study's values (disc_weight 10, pbp_weight 0.5).

(a) One update of a network lowers that network's own objective on the batch it was computed from (the
    other networks held still): the discriminator's loss, the VAE's / generator's loss, and for ``larsen``
    the encoder's and the decoder's losses.
(b) After 200 steps on mnist-5k the discriminator tells held-out real digits from held-out reconstructions
    better than chance (> 0.6 on each class).
(c) 200 steps hybridized and imperatively from the same seed give the same per-epoch statistics.

The models are the experiments' (mnist-vae-logreg's DenseVAE + DenseLogReg, mnist-larsen-vaegan's ConvVAE +
ConvDisc(feature_layer=2), the AE-GAN's AE + ConvDisc) at small widths, so each run is a few CPU seconds.
The old defect of issue 13 (networks hybridized with ``static_shape=True``: wrong gradients when the Larsen
discriminator runs twice in one recording with retain_graph backward passes) fails (c) for ``larsen``;
``test_static_shape_fault_fails_the_invariants`` injects it.
"""
import numpy as np
import pytest

import vaegan_gluon  # noqa: F401  (sets OMP_NUM_THREADS before mxnet)
import mxnet as mx
from mxnet import autograd, nd

from vaegan_gluon import inference, losses
from vaegan_gluon.evaluation import metrics
from vaegan_gluon.data import load
from vaegan_gluon.models import get_model
from vaegan_gluon.train import TrainConfig, Trainer
from vaegan_gluon.train import schemes as schemes_mod
from vaegan_gluon.train.schemes.stabilisers import disc_logits

STUDY = dict(disc_weight=10.0, pbp_weight=0.5)
SHAPE = (1, 28, 28)
# name -> (scheme, vae hyperparameters, disc hyperparameters, train settings)
CASES = {
    "learnable_loss-denselogreg": ("learnable_loss",
                                   dict(model="DenseVAE", n_latent=5, n_hidden_layers=3, n_hidden_units=64),
                                   dict(model="DenseLogReg", n_hidden_layers=1, n_hidden_units=64), {}),
    "learnable_loss-convdisc": ("learnable_loss", dict(model="ConvVAE", n_latent=16, base_channels=8),
                                dict(model="ConvDisc", base_channels=8), {}),
    "larsen-convdisc": ("larsen", dict(model="ConvVAE", n_latent=16, base_channels=8),
                        dict(model="ConvDisc", base_channels=8, feature_layer=2),
                        dict(lr=3e-4, extra={"gamma": 5e-5})),
    "aegan-convdisc": ("aegan", dict(model="AE", n_latent=100, base_channels=8), dict(model="ConvDisc",
                                                                                      base_channels=8),
                       dict(lr=2e-4, extra={"beta_policy": "constant", "beta": 0.005})),
}
# the optimisers of each scheme, each checked against its own objective
OPTIMISERS = {"learnable_loss": ("disc", "vae"), "aegan": ("disc", "vae"), "larsen": ("disc", "encoder", "decoder")}
RUN_EPOCHS, RUN_BATCH, RUN_IMAGES = 4, 16, 800           # 4 x 50 = 200 steps


def _build(case):
    scheme, vae_hp, disc_hp, train = CASES[case]
    vae = get_model(vae_hp["model"], image_shape=SHAPE, **{k: v for k, v in vae_hp.items() if k != "model"})
    disc = get_model(disc_hp["model"], **{k: v for k, v in disc_hp.items() if k != "model"})
    return scheme, vae, disc, train


@pytest.fixture(scope="module")
def mnist():
    return load("mnist-5k", split="train").images, load("mnist-5k", split="test").images


# ------------------------------------------------------------------ (a) one update lowers its own loss
def _objective(scheme, name, x):
    """The objective optimiser ``name`` of ``scheme`` descends, on batch ``x`` (train mode, current weights)."""
    s = scheme
    if s.name == "larsen":
        per = s.forward_losses([x])[0]
        return {"disc": per["dis"], "encoder": per["enc"], "decoder": per["dec"]}[name].mean()
    if s.name == "learnable_loss":
        _, logits, pbp, kl = s.vae_losses(x)
    else:
        logits, _, _ = s.vae(x)
    fake = nd.sigmoid(logits)
    if name == "disc":
        return s.labels.loss(*disc_logits(s.disc, x, fake)).mean()
    adv = losses.adversarial_loss(disc_logits(s.disc, x, fake)[1], 1.0)
    if s.name == "learnable_loss":
        return (kl + STUDY["pbp_weight"] * pbp + STUDY["disc_weight"] * adv).mean()
    ae = losses.pbp_loss(logits, x, "l2") * (1.0 / s.n_pixels)
    return s.policy.combine(ae, adv)[0].mean()


def _measure(scheme, name, x, seed):
    mx.random.seed(seed)   # the same latent noise as the step's
    with autograd.train_mode():
        return float(_objective(scheme, name, x).asscalar())


@pytest.mark.parametrize("hybridize", [True, False], ids=["hybridized", "imperative"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_one_update_lowers_its_own_loss(case, hybridize, mnist):
    scheme_name, vae, disc, train = _build(case)
    cfg = TrainConfig(scheme=scheme_name, n_epochs=1, batch_size=64, hybridize=hybridize, seed=5, **STUDY, **train)
    tr = Trainer(vae, disc, cfg, progress=False)
    tr._prepare()
    scheme = tr.scheme
    x = nd.array(mnist[0][:64])
    weights = {"pbp_weight": STUDY["pbp_weight"], "disc_weight": STUDY["disc_weight"], "adv_on": True}
    apply_update = type(scheme).update
    for name in OPTIMISERS[scheme_name]:
        before = _measure(scheme, name, x, seed=11)
        # the step computes every gradient; only optimiser `name` is applied, the other networks stay still
        scheme.update = lambda k, n, name=name: apply_update(scheme, k, n) if k == name else None
        mx.random.seed(11)
        scheme.step({"x": [x]}, "combo", weights)
        after = _measure(scheme, name, x, seed=11)
        assert after < before, f"{case}: one {name!r} update raised its own loss on the batch: {before} -> {after}"


# ------------------------------------------------------------------ (b), (c): 200 steps
def _train(case, hybridize, x_train):
    scheme_name, vae, disc, train = _build(case)
    cfg = TrainConfig(scheme=scheme_name, n_epochs=RUN_EPOCHS, batch_size=RUN_BATCH, hybridize=hybridize, seed=1,
                      log_interval=1000, **STUDY, **train)
    tr = Trainer(vae, disc, cfg, progress=False)
    tr.fit(x_train[:RUN_IMAGES])
    return tr


def _stats(tr):
    keys = ("vae_loss", "pbp_loss", "kl", "adv_loss", "disc_loss", "disc_acc_real", "disc_acc_fake")
    return np.array([[r[k] for k in keys if r.get(k) == r.get(k)] for r in tr.history], dtype="float64")


def _held_out_accuracy(tr, x_test):
    fakes = inference.reconstruct(tr.vae, x_test)
    acc = metrics.discriminator_accuracy(tr.disc, x_test, fakes)
    return acc["acc_real"], acc["acc_fake"]


@pytest.fixture(scope="module")
def runs(mnist):
    """case -> (hybridized trainer, imperative trainer), 200 steps each, trained once per module."""
    cache = {}

    def get(case):
        if case not in cache:
            cache[case] = (_train(case, True, mnist[0]), _train(case, False, mnist[0]))
        return cache[case]
    return get


@pytest.mark.parametrize("case", sorted(CASES))
def test_discriminator_above_chance_after_200_steps(case, runs, mnist):
    for tr, mode in zip(runs(case), ("hybridized", "imperative")):
        real, fake = _held_out_accuracy(tr, mnist[1][:256])
        assert real > 0.6 and fake > 0.6, (f"{case} {mode}: held-out discriminator accuracy real {real:.3f}, "
                                           f"fake {fake:.3f} after 200 steps (chance 0.5)")
        last = tr.history[-1]
        assert last["disc_acc_real"] > 0.6 and last["disc_acc_fake"] > 0.6, (case, mode, last)


# learnable_loss with the ConvVAE was left out while its KL sat inside VAEWithLoss's cached graph (a
# backward summed in another order, amplified to ~5 % in 200 steps); with the KL outside it agrees too
# (the medium models: tests/test_scheme_medium_agreement.py).
AGREEING = ("larsen-convdisc", "aegan-convdisc", "learnable_loss-denselogreg", "learnable_loss-convdisc")


@pytest.mark.parametrize("case", AGREEING)
def test_200_steps_hybridized_agree_with_imperative(case, runs):
    hyb, imp = (_stats(tr) for tr in runs(case))
    assert hyb.shape == imp.shape and hyb.size
    np.testing.assert_allclose(hyb, imp, rtol=1e-3, atol=1e-4,
                               err_msg=f"{case}: 200 hybridized steps differ from the imperative run")


def test_static_shape_fault_fails_the_invariants(monkeypatch, runs, mnist):
    """The old defect put back (static_shape=True): the Larsen 200-step agreement must fail."""
    imp = _stats(runs("larsen-convdisc")[1])
    monkeypatch.setitem(schemes_mod.HYBRIDIZE, "static_shape", True)
    hyb = _stats(_train("larsen-convdisc", True, mnist[0]))
    assert hyb.shape == imp.shape
    assert not np.allclose(hyb, imp, rtol=1e-3, atol=1e-4), "static_shape=True no longer shows the fault"
