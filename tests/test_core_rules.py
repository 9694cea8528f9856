"""The study's core rules at the study's own values, each against a hand computation (closed forms and a
loss written out here), never the package against itself: what ``benchmarks/mutants.py`` mutates.

The values are those of ``anime-conv-vae1024-resnet-decay`` at full scale: disc_weight 10, pbp_weight 1
decayed by 0.95 every 25 combo epochs, 100 solo epochs of 200.
"""
import math

import numpy as np
import pytest

import vaegan_gluon  # noqa: F401  (sets OMP_NUM_THREADS before mxnet)
import mxnet as mx
from mxnet import autograd, nd

from vaegan_gluon.data import load
from vaegan_gluon.experiments import get_config
from vaegan_gluon.models import get_model
from vaegan_gluon.schedules import DiscGate
from vaegan_gluon.train import Trainer

STUDY = "anime-conv-vae1024-resnet-decay"


def tiny_pair():
    vae = get_model("DenseVAE", n_latent=4, n_hidden_layers=1, n_hidden_units=32, image_shape=(1, 28, 28))
    return vae, get_model("DenseLogReg", n_hidden_layers=1, n_hidden_units=16)


@pytest.fixture(scope="module")
def study():
    train = get_config(STUDY, "full")["train"]
    assert (train["disc_weight"], train["pbp_weight"], train["pbp_decay"], train["pbp_decay_every"],
            train["n_solo_epochs"], train["n_epochs"]) == (10.0, 1.0, 0.95, 25, 100, 200)
    return train


def test_weights_and_phase_of_every_epoch_of_the_study_by_hand(study):
    """Epoch e (0-based): solo for e < 100 (KL + PBP, weight 1, no adversarial term); then combo with
    disc_weight 10 and pbp_weight 0.95 ** ((e - 100) // 25): the decay counts combo epochs only."""
    t = Trainer(*tiny_pair(), study, progress=False)
    for e in range(200):
        w, phase = t.weights_for(e), t.phase_of(e)
        if e < 100:
            hand = ("solo", 1.0, 0.0, False)
        else:
            hand = ("combo", 1.0 * 0.95 ** ((e - 100) // 25), 10.0, True)
        assert (phase, w["pbp_weight"], w["disc_weight"], w["adv_on"]) == \
            (hand[0], pytest.approx(hand[1], rel=1e-12), hand[2], hand[3]), f"epoch {e}"
    # the boundaries spelt out: the switch after epoch 100, the first decay after 25 combo epochs
    assert (t.phase_of(99), t.phase_of(100)) == ("solo", "combo")
    assert [t.weights_for(e)["pbp_weight"] for e in (100, 124, 125, 149, 150, 199)] == \
        pytest.approx([1.0, 1.0, 0.95, 0.95, 0.95 ** 2, 0.95 ** 3])


def test_the_gate_is_open_at_exactly_max_disc_loss():
    """``max_disc_loss``: the adversarial term is left out after an epoch whose mean disc loss *exceeds* it;
    a loss equal to it keeps the term (the original study's ``<=``)."""
    g = DiscGate(0.5)
    assert g.open(0.5) and g.open(0.25) and g.open(None)
    assert not g.open(math.nextafter(0.5, 1.0)) and not g.open(float("nan"))
    # and through the trainer, from the last combo row
    t = Trainer(*tiny_pair(), dict(disc_weight=10.0, max_disc_loss=0.5, n_epochs=3), progress=False)
    for loss, on in ((0.5, True), (0.75, False)):
        t.history = [{"epoch": 1, "phase": "combo", "disc_loss": loss, "event": ""}]
        w = t.weights_for(1)
        assert (w["adv_on"], w["disc_weight"]) == (on, 10.0 if on else 0.0), loss


def _hand_vae_loss(vae, disc, x, pbp_w, disc_w):
    """KL + pbp_w * BCE(x | logits) + disc_w * BCE(D(sigmoid(logits)), real), per image, written out."""
    logits, mu, logvar = vae(x)
    kl = -0.5 * nd.sum(1 + logvar - mu * mu - nd.exp(logvar), axis=1)
    flat, target = logits.reshape((0, -1)), x.reshape((0, -1))
    bce = nd.sum(nd.maximum(flat, 0) - flat * target + nd.log(1 + nd.exp(-nd.abs(flat))), axis=1)
    d = disc(nd.sigmoid(logits))
    d = (d[0] if isinstance(d, (list, tuple)) else d).reshape((-1,))
    adv = nd.maximum(d, 0) - d + nd.log(1 + nd.exp(-nd.abs(d)))     # BCE with target 1
    return kl + pbp_w * bce + disc_w * adv


def test_learnable_loss_vae_gradient_at_disc_weight_10_is_the_hand_computed_one(study):
    """One combo step at the study's disc_weight 10: the VAE's gradient is that of the loss written out
    above with the discriminator as the step left it (updated first, then the VAE's term), not that of
    weight 1 (a step ignoring the configured weight, or a weight capped at 1)."""
    x = nd.array(load("mnist-5k", split="train").images[:32])
    vae, disc = tiny_pair()
    cfg = {k: study[k] for k in ("disc_weight", "pbp_weight", "pbp_decay", "pbp_decay_every")}
    t = Trainer(vae, disc, dict(cfg, n_epochs=2, batch_size=32, seed=3, hybridize=False), progress=False)
    t._prepare()
    w = t.weights_for(0)
    assert w["disc_weight"] == 10.0
    before = {k: p.data().copy() for k, p in vae.collect_params().items()}
    mx.random.seed(11)
    t.scheme.step({"x": [x]}, "combo", w)
    got = {k: p.grad().asnumpy().copy() for k, p in vae.collect_params().items() if p.grad_req != "null"}
    for k, p in vae.collect_params().items():
        p.set_data(before[k])

    def hand(disc_w):
        mx.random.seed(11)   # the same eps as the step's VAE forward
        with autograd.record():
            loss = _hand_vae_loss(vae, disc, x, 1.0, disc_w)
        loss.backward()
        return {k: p.grad().asnumpy().copy() for k, p in vae.collect_params().items() if k in got}
    at_10, at_1 = hand(10.0), hand(1.0)
    assert any(not np.allclose(at_10[k], at_1[k], rtol=1e-3, atol=1e-6) for k in got)   # the test can tell
    for k in got:
        np.testing.assert_allclose(got[k], at_10[k], rtol=1e-3, atol=1e-6, err_msg=k)
