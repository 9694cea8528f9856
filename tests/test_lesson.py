"""The lessons' step written in the page (experiments/lesson.py): a plain-Gluon learnable-loss step equals the
package's teaching step, at the study's own disc weight and at 10; the same step with a wrong weight does not."""
import types

import pytest
from mxnet import autograd, nd

from vaegan_gluon.experiments.lesson import check_step, knobs, what_runs


def bce(logits, target):
    """Per image: the sum over pixels (or the one logit) of BCE(sigmoid(logits), target), written out."""
    per = nd.relu(logits) - logits * target + nd.log(1 + nd.exp(-nd.abs(logits)))
    return per.reshape((per.shape[0], -1)).sum(axis=1)


def page_step(k):
    """The step as notebook 02 writes it: the VAE once, D's update, then the VAE's through the updated D."""
    x, n = k.x, k.x.shape[0]
    with autograd.record():
        logits, mu, logvar = k.vae(x)
        kl = -0.5 * nd.sum(1 + logvar - mu ** 2 - nd.exp(logvar), axis=1)
        pbp = bce(logits, x)
        fake = nd.sigmoid(logits)
    with autograd.record():
        d_loss = bce(k.disc(x.detach()), nd.ones((n, 1))) + bce(k.disc(fake.detach()), nd.zeros((n, 1)))
    d_loss.backward()
    k.disc_trainer.step(n)
    with autograd.record():
        loss = kl + k.pbp_weight * pbp + k.disc_weight * bce(k.disc(fake), nd.ones((n, 1)))
    loss.backward()
    k.vae_trainer.step(n)


@pytest.mark.parametrize("overrides", [None, {"train.disc_weight": 10.0, "train.pbp_weight": 0.8}],
                         ids=["study-weight-1", "weight-10-pbp-0.8"])
def test_the_page_step_equals_the_package_step(overrides):
    r = check_step("mnist-vae-logreg", page_step, "quick", overrides=overrides)
    assert r["same"], r
    assert r["vae"]["largest_update"] > 1e-4 and r["disc"]["largest_update"] > 1e-4   # the step did move them


@pytest.mark.parametrize("wrong", [{"disc_weight": 1.0}, {"pbp_weight": 1.0}, {"disc_weight": 0.0}])
def test_a_wrong_weight_is_not_the_same_step(wrong):
    """Mutations: the disc weight ignored (1.0), the PBP weight ignored, the adversarial term dropped."""
    def mutated(k):
        page_step(types.SimpleNamespace(**{**k.__dict__, **wrong}))
    r = check_step("mnist-vae-logreg", mutated, "quick", overrides={"train.disc_weight": 10.0,
                                                                    "train.pbp_weight": 0.8})
    assert not r["same"] and r["vae"]["gradient_difference"] > 1e-3, r


def test_knobs_and_what_runs():
    assert knobs(disc_weight=20, n_epochs=None, lr=1e-4) == {"train.disc_weight": 20, "train.lr": 1e-4}
    with pytest.raises(ValueError, match="unknown hyperparameter.*beta"):
        knobs(beta=3)
    line, = what_runs(["anime-conv-vae-resnet"], "quick", knobs(disc_weight=20, n_epochs=3, n_solo_epochs=1))
    assert "ResNetDisc" in line and "1 solo + 2 combo epochs" in line and "disc_weight 20" in line


def test_a_step_that_forgets_an_update_is_not_the_same():
    def forgets(k):   # the gradients are right, the VAE's Adam never steps
        page_step(types.SimpleNamespace(**{**k.__dict__, "vae_trainer": types.SimpleNamespace(step=lambda n: None)}))
    r = check_step("mnist-vae-logreg", forgets, "quick")
    assert not r["same"] and r["vae"]["parameter_difference"] > 0.5 * r["vae"]["largest_update"], r


def test_a_vae_without_discriminator_checks_its_solo_step():
    def vae_step(k):
        x, n = k.x, k.x.shape[0]
        with autograd.record():
            logits, mu, logvar = k.vae(x)
            loss = -0.5 * nd.sum(1 + logvar - mu ** 2 - nd.exp(logvar), axis=1) + k.pbp_weight * bce(logits, x)
        loss.backward()
        k.vae_trainer.step(n)
    r = check_step("mnist-vae-bce", vae_step, "quick")
    assert r["same"] and "disc" not in r, r
