"""``train.extra.disc_pass`` of the Larsen VAE/GAN (vaegan_gluon/train/schemes/larsen.py, DISC_PASSES).

"pruned" takes the discriminator's gradient with ``autograd.grad`` on its own parameters (the pass stops at D's
input) where "full" back-propagates D's loss through the decoder and the encoder too. Promised: every trained
weight and every epoch statistic bit-identical; the VAE's BatchNorm running statistics are not, because MXNet's
CPU BatchNorm updates them in its backward pass, once per pass (three passes through the VAE a step with
"full", two with "pruned").
"""
import numpy as np
import pytest
from mxnet import autograd, gluon, nd

import vaegan_gluon  # noqa: F401  (sets OMP_NUM_THREADS before mxnet)
from vaegan_gluon.experiments.catalog import EXPERIMENTS
from vaegan_gluon.experiments.config import get_config
from vaegan_gluon.experiments.runner import build_models
from vaegan_gluon.models import get_model
from vaegan_gluon.train import TrainConfig, Trainer

GRAY, RGB = (1, 28, 28), (3, 32, 32)
CASES = {   # the two Larsen families of the catalogue, small: MNIST (ConvDisc features 1) and faces (DeepConvDisc 4)
    "mnist": (GRAY, lambda: get_model("ConvVAE", n_latent=8, base_channels=4, image_shape=GRAY),
              lambda: get_model("ConvDisc", base_channels=4, feature_layer=1), 1000.0),
    "faces": (RGB, lambda: get_model("ConvVAE", n_latent=8, base_channels=4, image_shape=RGB),
              lambda: get_model("DeepConvDisc", base_channels=4, feature_layer=4), 1e-6),
}


def train(case, disc_pass, n_epochs=3, n_solo=1, n_images=32, hybridize=True):
    shape, make_vae, make_disc, gamma = CASES[case]
    cfg = dict(scheme="larsen", n_epochs=n_epochs, n_solo_epochs=n_solo, batch_size=8, seed=5, lr=3e-4,
               hybridize=hybridize, log_interval=1000, extra={"gamma": gamma, "disc_pass": disc_pass})
    vae, disc = make_vae(), make_disc()
    data = np.random.RandomState(7).rand(n_images, *shape).astype("float32")
    rows = Trainer(vae, disc, TrainConfig.from_dict(cfg), progress=False).fit(data)
    stats = [{k: (None if v != v else v) for k, v in r.items()   # NaN (a column absent in solo epochs): None
              if isinstance(v, float) and k not in ("seconds", "images_per_s")} for r in rows]
    params = {f"{role}:{p.name.split('_', 1)[1]}": p.data().asnumpy() for role, net in (("vae", vae), ("disc", disc))
              for p in net.collect_params().values()}
    return stats, params


def running(name):
    return "running_" in name


@pytest.mark.parametrize("hybridize", [True, False], ids=["hybrid", "imperative"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_pruned_pass_trains_the_same_weights(case, hybridize):
    s_full, p_full = train(case, "full", hybridize=hybridize)
    s_pruned, p_pruned = train(case, "pruned", hybridize=hybridize)
    assert s_full == s_pruned   # every epoch statistic, exactly
    weights = [k for k in p_full if not running(k)]
    assert weights and all(np.array_equal(p_full[k], p_pruned[k]) for k in weights), \
        [k for k in weights if not np.array_equal(p_full[k], p_pruned[k])]
    vae_stats = [k for k in p_full if running(k) and k.startswith("vae:")]
    assert vae_stats and any(not np.array_equal(p_full[k], p_pruned[k]) for k in vae_stats)
    disc_stats = [k for k in p_full if running(k) and k.startswith("disc:")]
    assert all(np.array_equal(p_full[k], p_pruned[k]) for k in disc_stats)


def test_batchnorm_updates_running_statistics_in_backward():
    """The fact DISC_PASSES states: the forward leaves the running mean alone, each backward pass moves it."""
    bn = gluon.nn.BatchNorm(in_channels=3)
    bn.initialize()
    x = nd.random.normal(shape=(8, 3, 4, 4))
    x.attach_grad()
    with autograd.record():
        loss = (bn(x) ** 2).sum()
    seen = [bn.running_mean.data().asnumpy().copy()]
    for retain in (True, False):
        loss.backward(retain_graph=retain)
        seen.append(bn.running_mean.data().asnumpy().copy())
    assert np.array_equal(seen[0], np.zeros(3))
    assert not np.array_equal(seen[1], seen[0]) and not np.array_equal(seen[2], seen[1])


def test_the_vae_takes_three_updates_a_step_full_and_two_pruned():
    """One combo step from running means at 0 with momentum 0.9: k updates with the batch's mean s leave
    s * (1 - 0.9**k), so pruned / full = (1 - 0.9**2) / (1 - 0.9**3) for every channel of the VAE's BatchNorms."""
    _, full = train("mnist", "full", n_epochs=1, n_solo=0, n_images=8)
    _, pruned = train("mnist", "pruned", n_epochs=1, n_solo=0, n_images=8)
    ratios = np.concatenate([pruned[k].ravel() / full[k].ravel() for k in full
                             if k.endswith("running_mean") and k.startswith("vae:")])
    assert ratios.size and np.allclose(ratios, (1 - 0.9 ** 2) / (1 - 0.9 ** 3), rtol=1e-4), ratios[:6]


def test_an_unknown_disc_pass_names_the_valid_ones():
    with pytest.raises(ValueError, match=r"disc_pass='half' unknown: valid \['full', 'pruned'\]"):
        TrainConfig.from_dict({"scheme": "larsen", "extra": {"disc_pass": "half"}})


def train_config(experiment, disc_pass, n_images=32):
    """One stabiliser experiment of the catalogue (its quick discriminator and train.extra, the models narrowed
    further, features of conv layer 1 as at medium), trained with ``disc_pass``."""
    config = get_config(experiment, "quick", {"vae.n_latent": 8, "vae.base_channels": 4, "disc.base_channels": 4,
                                              "disc.feature_layer": 1, "train.extra.gamma": 1000.0})
    vae, disc = build_models(config, GRAY)
    t = {**config["train"], "n_epochs": 3, "n_solo_epochs": 1, "batch_size": 8, "seed": 5, "log_interval": 1000,
         "extra": {**config["train"]["extra"], "disc_pass": disc_pass}}
    data = np.random.RandomState(7).rand(n_images, *GRAY).astype("float32")
    rows = Trainer(vae, disc, TrainConfig.from_dict(t), progress=False).fit(data)
    stats = [{k: (None if v != v else v) for k, v in r.items()
              if isinstance(v, float) and k not in ("seconds", "images_per_s")} for r in rows]
    params = {f"{role}:{p.name.split('_', 1)[1]}": p.data().asnumpy() for role, net in (("vae", vae), ("disc", disc))
              for p in net.collect_params().values()}
    return stats, params


STABILISERS = ("mnist-stab-smooth", "mnist-stab-noisy-labels", "mnist-stab-flip", "mnist-stab-joint",
               "mnist-stab-dropout", "mnist-stab-minibatch", "mnist-stab-instance-noise", "mnist-stab-spectral-norm",
               "mnist-stab-bn-after-act", "mnist-gen-bn-after-act")


def test_every_stabiliser_of_the_catalogue_is_covered():
    family = {n for n in EXPERIMENTS if n.startswith(("mnist-stab-", "mnist-gen-"))}
    assert set(STABILISERS) == family - {"mnist-stab-none"}


@pytest.mark.parametrize("experiment", STABILISERS)
def test_pruned_pass_trains_the_same_weights_with_every_stabiliser(experiment):
    """The campaign runs the MNIST Larsen family with "pruned" (experiments/catalog/larsen.py, medium): every
    stabiliser row must train the weights "full" trains."""
    s_full, p_full = train_config(experiment, "full")
    s_pruned, p_pruned = train_config(experiment, "pruned")
    assert s_full == s_pruned
    weights = [k for k in p_full if not running(k)]
    assert weights and all(np.array_equal(p_full[k], p_pruned[k]) for k in weights), \
        [k for k in weights if not np.array_equal(p_full[k], p_pruned[k])]
