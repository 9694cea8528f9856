"""A new scheme is one class outside the package: the protocol of :class:`vaegan_gluon.train.Scheme`.

``ToyL2GAN`` below is written against the public hooks only (``settings``, ``build_optimizers``, ``step``, the
shared ``disc_step`` / ``record`` / ``backward_and_update`` helpers, ``state_dict`` / ``load_state_dict``) and
registered with the public ``register_scheme``; no file of ``vaegan_gluon/`` changes to add it. Its own typed
settings (``ToySettings``) are ``train.extra`` of its runs; it trains through the ordinary
:class:`~vaegan_gluon.train.Trainer`, its own state survives a resume, and a catalogue entry naming it validates
like any other.
"""
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

import vaegan_gluon  # noqa: F401  (sets OMP_NUM_THREADS before mxnet)
from mxnet import autograd, nd

from vaegan_gluon import losses
from vaegan_gluon.data import load
from vaegan_gluon.experiments import catalog
from vaegan_gluon.experiments.config import get_config
from vaegan_gluon.models import get_model
from vaegan_gluon.models.discriminators import run_disc
from vaegan_gluon.train import SCHEMES, Scheme, TrainConfig, Trainer, get_scheme, register_scheme
from vaegan_gluon.train.schemes.stabilisers import StabiliserSettings
from vaegan_gluon.train.settings import check_range
from vaegan_gluon.train.trainer import TIMING_COLUMNS


@dataclass
class ToySettings(StabiliserSettings):
    """The toy's ``train.extra``: the stabilisers and one key of its own."""
    pbp_scale: float = 1.0     # multiplies the L2 reconstruction term

    def validate(self):
        super().validate()
        check_range("pbp_scale", self.pbp_scale, 0, lo_open=True)


class ToyL2GAN(Scheme):
    """The toy: a VAE on L2 reconstruction (no KL) plus ``disc_weight`` x the adversarial term in combo
    epochs, the discriminator updated by the shared step; it counts its steps (state to resume)."""
    name = "toy-l2-gan"
    settings = ToySettings
    needs_disc = True
    stat_keys = ("vae_loss", "pbp_loss", "adv_loss", "disc_loss", "disc_acc_real", "disc_acc_fake")

    def __init__(self, *args, **kwargs):
        self.steps = 0
        super().__init__(*args, **kwargs)

    def build_optimizers(self):
        return self.with_disc_optimizer({"vae": self.adam(self.vae.collect_params(), self.config.lr)})

    def step(self, batch, phase, weights):
        xs, n, scale = batch["x"], sum(x.shape[0] for x in batch["x"]), self.config.extra.pbp_scale
        outs = self.record(lambda x: (x, self.vae(x)[0]), xs)   # (x, logits) per context
        stats = {}
        combo = phase == "combo"
        if combo:
            self.disc_step(outs, n, stats)
        with autograd.record():
            pbp = [losses.pbp_loss(logits, x, "l2") for x, logits in outs]
            adv = [losses.adversarial_loss(run_disc(self.disc, nd.sigmoid(logits)).logits, 1.0)
                   for _, logits in outs] if combo else []
            total = [scale * p + weights["disc_weight"] * a for p, a in zip(pbp, adv)] if combo else \
                [scale * p for p in pbp]
        self.backward_and_update(total, n, stats, "vae")
        stats["pbp_loss"] = self._sum(pbp)
        if adv:
            stats["adv_loss"] = self._sum(adv)
        self.steps += 1
        return stats

    def state_dict(self):
        return dict(super().state_dict(), steps=self.steps)

    def load_state_dict(self, state):
        super().load_state_dict(state)
        self.steps = state["steps"]


@pytest.fixture(scope="module", autouse=True)
def toy_registered():
    """Registered from outside the package for this module's tests only (other tests list SCHEMES)."""
    assert register_scheme(ToyL2GAN) is ToyL2GAN
    yield
    SCHEMES.pop(ToyL2GAN.name)


@pytest.fixture(scope="module")
def digits():
    return load("mnist-5k", split="train").images[:256]


def _trainer(n_epochs=4, out_dir=None):
    vae = get_model("ConvVAE", image_shape=(1, 28, 28), n_latent=8, base_channels=8)
    disc = get_model("ConvDisc", base_channels=8)
    cfg = dict(scheme=ToyL2GAN.name, n_epochs=n_epochs, n_solo_epochs=1, batch_size=32, disc_weight=1.0,
               lr=1e-3, seed=4)
    return Trainer(vae, disc, cfg, out_dir=out_dir, progress=False)


def _compared(rows):
    return pd.DataFrame(rows).drop(columns=list(TIMING_COLUMNS)).sort_index(axis=1)   # a checkpoint sorts keys


def test_toy_scheme_is_found_by_name():
    assert get_scheme("toy-l2-gan") is ToyL2GAN
    with pytest.raises(ValueError, match="toy-l2-gan"):   # listed among the valid names
        get_scheme("toy-l2-gn")


def test_toy_scheme_has_its_own_typed_settings():
    cfg = TrainConfig(scheme="toy-l2-gan", extra={"pbp_scale": 2, "label_noise": 0.1})
    assert isinstance(cfg.extra, ToySettings) and cfg.extra.pbp_scale == 2.0
    with pytest.raises(ValueError, match=r"pbp_scale=0.0 out of range"):
        TrainConfig(scheme="toy-l2-gan", extra={"pbp_scale": 0.0})
    with pytest.raises(ValueError, match=r"\['gamma'\]; valid: .*'pbp_scale'.*\(gamma: a key of larsen\)"):
        TrainConfig(scheme="toy-l2-gan", extra={"gamma": 1e-6})


def test_toy_scheme_trains_through_the_trainer(digits):
    tr = _trainer()
    rows = tr.fit(digits)
    assert [r["phase"] for r in rows] == ["solo", "combo", "combo", "combo"]
    assert tr.scheme.steps == 4 * 8   # 256 images, batches of 32
    pbp = [r["pbp_loss"] for r in rows]
    assert pbp[-1] < 0.8 * pbp[0], pbp   # the reconstruction loss falls
    for r in rows[1:]:   # the scheme's statistics reach the rows, the disc's accuracies from its counts
        assert all(np.isfinite(r[k]) for k in ("vae_loss", "adv_loss", "disc_loss", "disc_acc_real"))
        assert 0 <= r["disc_acc_real"] <= 1 and 0 <= r["disc_acc_fake"] <= 1
    assert np.isnan(rows[0]["disc_loss"])   # solo: no discriminator step
    assert rows[-1]["disc_acc_real"] > 0.5 and rows[-1]["disc_acc_fake"] > 0.5, rows[-1]


def test_toy_scheme_resumes_exactly(digits, tmp_path):
    straight = _trainer(n_epochs=4)
    expected = _compared(straight.fit(digits))
    first = _trainer(n_epochs=2, out_dir=str(tmp_path))
    first.fit(digits)
    resumed = _trainer(n_epochs=4, out_dir=str(tmp_path))
    rows = resumed.fit(digits, resume=True)
    assert resumed.scheme.steps == straight.scheme.steps == 32   # its own state came back from the checkpoint
    pd.testing.assert_frame_equal(_compared(rows), expected, check_exact=True)


def test_toy_scheme_catalogue_entry_validates(monkeypatch):
    """Its catalogue entry is one more dict in the catalogue: the config engine takes the new name as it is."""
    entry = catalog.scales.exp("ConvVAE(8, 8) + ConvDisc(8) on MNIST with the toy L2 + GAN scheme", "mnist",
                               catalog.scales.MNIST_BASE, {"model": "ConvVAE", "n_latent": 8, "base_channels": 8},
                               {"model": "ConvDisc", "base_channels": 8}, {"scheme": "toy-l2-gan"}, {}, None)
    monkeypatch.setitem(catalog.EXPERIMENTS, "mnist-toy-l2-gan", entry)
    cfg = get_config("mnist-toy-l2-gan", "quick", {"train.disc_weight": 2.0})
    assert cfg["train"]["scheme"] == "toy-l2-gan" and cfg["train"]["disc_weight"] == 2.0
