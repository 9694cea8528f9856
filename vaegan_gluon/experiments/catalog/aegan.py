"""AE-GAN with alpha / beta weighting policies (scheme ``aegan``, notebook 21), as data.

Scheme settings live in ``train.extra`` (documented in :mod:`vaegan_gluon.train.schemes.aegan`).
"""
from .scales import ANIME_BASE, exp

NB_AEGAN = "21_aegan_weighting.ipynb"

_AE = {"model": "AE", "n_latent": 100, "base_channels": 32}
_AE_DISC = {"model": "ConvDisc", "base_channels": 32}
# medium: the faces' medium scale (32x32, 3,712 training faces, 25 epochs) at the study's own widths and
# batch 256 (15 steps an epoch, 362 in all). Measured: the AE alone then keeps hair colour (0.98) and its
# fid_recon is 0.33 of the mean image's, the claims' bar; a run takes ~1.5 min alone, ~3 with the disc.
_AE_MEDIUM_NOTE = ("sized to the claims: 32x32 faces, 3,712 training, 640 held out scored, 25 epochs of batch "
                   "256 (the study: 64x64, 50,000 faces); the study's AE(100, 32) and ConvDisc(32) widths")
_AE_SCALES = {"medium": {"note": _AE_MEDIUM_NOTE},
              "quick": {"vae.base_channels": 8, "disc.base_channels": 8}}


def _aegan(policy, **extra):
    # the study: batch 256, lr 2e-4 (later 1e-4), 50,000 faces
    return {"scheme": "aegan", "batch_size": 256, "lr": 2e-4, "extra": {"beta_policy": policy, **extra}}


def _gan(description, train, scales=None):
    return exp(description, "anime", ANIME_BASE, dict(_AE), dict(_AE_DISC), train, scales or dict(_AE_SCALES),
               NB_AEGAN)


EXPERIMENTS = {
    "faces-ae": exp(
        "AE(100 latent, 32) on 64x64 faces alone (MSE, batch 256): the reference of the AE-GAN identities",
        "anime", ANIME_BASE, dict(_AE), None, _aegan("constant", alpha=1.0, beta=0.0),
        {"medium": _AE_SCALES["medium"], "quick": {"vae.base_channels": 8}}, NB_AEGAN),
    "faces-aegan-constant": _gan("AE-GAN: AE(100, 32) + ConvDisc(32), loss = ae + 0.005 * gan, batch 256",
                                 _aegan("constant", alpha=1.0, beta=0.005)),
    "faces-aegan-inverse": _gan("AE-GAN v1: loss = ae + 0.0005 * gan / ae", _aegan("inverse", alpha=1.0, beta=0.0005)),
    "faces-aegan-derivative": _gan(
        "AE-GAN: beta = min(1, |2e-7 / (d ae / d step)|) over a 50-batch window, 0 before",
        _aegan("derivative", alpha=1.0, derivative_a=2e-7, derivative_window=50),
        {**_AE_SCALES, "quick": {**_AE_SCALES["quick"], "train.extra.derivative_window": 2, "train.batch_size": 64}}),
    "faces-aegan-ceiling": _gan("AE-GAN: loss = ae + min(ae, gan)", _aegan("ceiling", alpha=1.0, beta=1.0)),
    "faces-aegan-verify-ae": _gan(
        "AE-GAN identity 1: alpha 1, beta 0 trains exactly the autoencoder alone (the discriminator watches)",
        _aegan("constant", alpha=1.0, beta=0.0)),
    "faces-aegan-verify-gan": _gan(
        "AE-GAN identity 2: alpha 0, beta 1 is a plain GAN with an autoencoder-shaped generator",
        _aegan("constant", alpha=0.0, beta=1.0)),
    "faces-aegan-pretrained": _gan(
        "AE-GAN with a pre-trained AE: half the epochs AE alone, then ae + 0.005 * gan",
        {**_aegan("constant", alpha=1.0, beta=0.005), "n_solo_epochs": 100},
        {"medium": {**_AE_SCALES["medium"], "train.n_solo_epochs": 12},
         "quick": {**_AE_SCALES["quick"], "train.n_solo_epochs": 1}}),
}
