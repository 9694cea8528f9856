"""Hybridized training trains like imperative training, for every scheme, on the medium experiments' models.

The fault this guards against (issue 13): networks hybridized with ``static_shape=True`` computed wrong
gradients in the Larsen step (one discriminator called twice in one recording, three backward passes with
``retain_graph``), so its discriminator's loss rose every epoch. ``test_static_shape_fault_is_detected``
puts that setting back and shows the comparison fails, so the agreement tests can fail.

Steps: ``VAEGAN_AGREEMENT_STEPS`` (default 6, a CI-sized run on a shared 2-core machine; the campaign
value is 300) batches of 8 images per scheme.
"""
import os

import numpy as np
import pytest

from vaegan_gluon.models import get_model
from vaegan_gluon.train import TrainConfig, Trainer
from vaegan_gluon.train import schemes as schemes_mod

STEPS = int(os.environ.get("VAEGAN_AGREEMENT_STEPS", "6"))
BATCH = 8
STAT_COLUMNS = ("vae_loss", "pbp_loss", "kl", "adv_loss", "disc_loss", "disc_acc_real", "disc_acc_fake")

# the medium experiments' models: mnist-larsen-vaegan (also the stabiliser runs), mnist-vae-logreg-conv
# style learnable loss, the AE-GAN's AE + ConvDisc (at 28x28 here)
MODELS = {
    "larsen": (dict(model="ConvVAE", n_latent=16, base_channels=32),
               dict(model="ConvDisc", base_channels=32, feature_layer=2),
               dict(lr=3e-4, extra={"gamma": 5e-5})),
    "learnable_loss": (dict(model="ConvVAE", n_latent=16, base_channels=32),
                       dict(model="ConvDisc", base_channels=32), dict(lr=1e-3)),
    "aegan": (dict(model="AE", n_latent=100, base_channels=32), dict(model="ConvDisc", base_channels=32),
              dict(lr=2e-4, extra={"beta_policy": "constant"})),
}


def _images(n):
    rs = np.random.RandomState(0)
    # digit-like: sparse bright strokes on black, so that BCE and the discriminator have something to see
    x = (rs.rand(n, 1, 28, 28) > 0.8).astype("float32") * rs.rand(n, 1, 28, 28).astype("float32")
    return x


def _run(scheme, hybridize, steps=STEPS, **settings):
    vae_hp, disc_hp, train = MODELS[scheme]
    vae = get_model(vae_hp["model"], image_shape=(1, 28, 28), **{k: v for k, v in vae_hp.items() if k != "model"})
    disc = get_model(disc_hp["model"], **{k: v for k, v in disc_hp.items() if k != "model"})
    n_epochs = 3
    per_epoch = max(1, steps // n_epochs)
    cfg = TrainConfig(scheme=scheme, n_epochs=n_epochs, n_solo_epochs=0, batch_size=BATCH, hybridize=hybridize,
                      disc_weight=10.0, pbp_weight=0.5, seed=3, **train, **settings)
    tr = Trainer(vae, disc, cfg, progress=False)
    rows = tr.fit(_images(per_epoch * BATCH))
    return np.array([[r[k] for k in STAT_COLUMNS if k in r and r[k] == r[k]] for r in rows])


@pytest.mark.parametrize("scheme", sorted(MODELS))
def test_hybridized_trains_like_imperative(scheme):
    hyb, imp = _run(scheme, True), _run(scheme, False)
    assert hyb.shape == imp.shape and hyb.size
    np.testing.assert_allclose(hyb, imp, rtol=1e-4, atol=1e-5,
                               err_msg=f"{scheme}: hybridized statistics differ from the imperative run")


def test_static_shape_fault_is_detected(monkeypatch):
    """Inject the old setting (static_shape=True): the Larsen comparison must fail."""
    monkeypatch.setitem(schemes_mod.HYBRIDIZE, "static_shape", True)
    hyb = _run("larsen", True)
    monkeypatch.delitem(schemes_mod.HYBRIDIZE, "static_shape")
    imp = _run("larsen", False)
    assert not np.allclose(hyb, imp, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("scheme", sorted(MODELS))
def test_pooled_memory_trains_identically(scheme):
    """``static_alloc=False`` (the graphs draw on the shared memory pool: the (f) benchmark's memory
    lever) changes where buffers live, not what is computed: the statistics are bit-identical."""
    static, pooled = _run(scheme, True), _run(scheme, True, static_alloc=False)
    assert static.shape == pooled.shape and static.size
    np.testing.assert_array_equal(static, pooled, err_msg=f"{scheme}: static_alloc=False trains differently")


@pytest.mark.parametrize("static_alloc", [True, False])
def test_static_alloc_setting_reaches_every_graph(static_alloc):
    """The setting is not silently ignored: the networks and the step's own cached graphs all carry it."""
    vae = get_model("ConvVAE", image_shape=(1, 28, 28), n_latent=4, base_channels=4)
    disc = get_model("ConvDisc", base_channels=4)
    tr = Trainer(vae, disc, TrainConfig(n_epochs=1, batch_size=BATCH, disc_weight=10.0, static_alloc=static_alloc),
                 progress=False)
    tr.fit(_images(BATCH))
    graphs = [vae, disc] + list(tr.scheme.graphs._graphs.values())   # the fast wing's cached graphs
    assert {"vae_with_loss", "disc_loss", "disc_stats", ("generator", True), ("sums",
                                                                              4)} <= set(tr.scheme.graphs._graphs)
    assert all(dict(g._flags)["static_alloc"] is static_alloc for g in graphs)
