"""The original learnable-loss VAE-GAN study's experiments (notebooks 01-07), as data.

Format: :func:`.scales.exp` entries; see :mod:`vaegan_gluon.experiments.catalog` for how they are read.
"""
from .scales import ANIME_BASE, ANIME_MEDIUM_NOTE, MNIST_BASE, exp

# quick-scale model shrinks, one per model family (the full models take minutes per epoch on a CPU)
_Q_CONV = {"vae.n_latent": 32, "vae.base_channels": 8}
_Q_DENSE = {"vae.n_latent": 32, "vae.n_hidden_layers": 2, "vae.n_hidden_units": 256}
# medium-scale model narrowing (faces at 32x32, 3,712 images: the catalog's scales module says why)
_M_CONV = {"vae.n_latent": 128, "vae.base_channels": 16}
_M_CONV1024 = {"vae.n_latent": 256, "vae.base_channels": 16}
# the dense VAE trains slower than the conv one: at 25 epochs it kept hair colour at 0.83 (bar 0.9) and
# fid_recon 0.53 of the mean image's; at 60 epochs 0.917 / 0.897 (seeds 0 / 1: one seed under the bar) and
# 0.34, 5 min a run; so 100 epochs (~8 min a run)
_M_DENSE = {"vae.n_latent": 128, "vae.n_hidden_layers": 3, "vae.n_hidden_units": 512, "train.n_epochs": 100}
_M_SOLO = {"train.n_solo_epochs": 20}     # 20 solo + 5 combo epochs: the study's way to spend a disc's steps
_M_DENSE_SOLO = {"train.n_solo_epochs": 95}   # the dense pair's 100 epochs: 95 solo + the same 5 combo


def _medium(models, **over):
    """A face experiment's medium entry: its narrowed models (said in the note) plus ``over``."""
    return {**over, "note": f"{ANIME_MEDIUM_NOTE}; models here: {models}"}


_DENSE_5 = {"model": "DenseVAE", "n_latent": 5, "n_hidden_layers": 3, "n_hidden_units": 400}
_DENSE_512 = {"model": "DenseVAE", "n_latent": 512, "n_hidden_layers": 5, "n_hidden_units": 1024}


def _solo_combo(full_epochs, n_solo_full, every_full, **extra):
    """Scale overrides of a solo+combo experiment: epochs, solo epochs and decay period scaled together
    (medium: 20 solo + 5 combo epochs like every face experiment with a discriminator, decay every combo epoch)."""
    return {"full": dict(extra.get("full", {})),
            "medium": {**_M_SOLO, "train.pbp_decay_every": 1, **extra.get("medium", {})},
            "quick": {"train.n_epochs": 4, "train.n_solo_epochs": n_solo_full * 4 // full_epochs,
                      "train.pbp_decay_every": 1, **extra.get("quick", {})}}


EXPERIMENTS = {
    # ----------------------------------------------------------------------------- MNIST
    "mnist-vae-bce": exp(
        "DenseVAE(5 latent, 3x400) on MNIST, BCE pixel-by-pixel loss, 50 epochs",
        "mnist", MNIST_BASE, dict(_DENSE_5), None, {"pbp_loss": "bce"}, {}, "01_mnist_pbp_losses.ipynb"),
    "mnist-vae-l2": exp(
        "DenseVAE(5 latent, 3x400) on MNIST, L2 pixel-by-pixel loss, 50 epochs",
        "mnist", MNIST_BASE, dict(_DENSE_5), None, {"pbp_loss": "l2"}, {}, "01_mnist_pbp_losses.ipynb"),
    "mnist-vae-logreg": exp(
        "DenseVAE(5, 3x400) + BCE against a dense logistic regressor (1x200), disc_weight 1, 50 epochs "
        "(the main demo)",
        "mnist", MNIST_BASE, dict(_DENSE_5), {"model": "DenseLogReg", "n_hidden_layers": 1, "n_hidden_units": 200},
        {"pbp_loss": "bce", "disc_weight": 1.0}, {}, "02_mnist_vae_logreg.ipynb"),
    # ----------------------------------------------------------------------------- anime faces
    "anime-dense-vae": exp(
        "DenseVAE(512 latent, 5x1024) on anime faces, BCE, 200 epochs",
        "anime", ANIME_BASE, dict(_DENSE_512), None, {},
        {"medium": _medium("DenseVAE(128, 3x512) for 100 epochs", **_M_DENSE), "quick": _Q_DENSE},
        "03_anime_dense.ipynb"),
    "anime-dense-vae-logreg": exp(
        "DenseVAE(512, 5x1024) against a dense logistic regressor (1x1024), disc_weight 10, 200 epochs",
        "anime", ANIME_BASE, dict(_DENSE_512), {"model": "DenseLogReg", "n_hidden_layers": 1, "n_hidden_units": 1024},
        {"disc_weight": 10.0},
        {"medium": _medium("DenseVAE(128, 3x512) for 100 epochs, DenseLogReg(1x1024) as the study", **_M_DENSE,
                           **_M_DENSE_SOLO),
         "quick": {**_Q_DENSE, "disc.n_hidden_units": 256}}, "03_anime_dense.ipynb"),
    "anime-conv-vae": exp(
        "ConvVAE(512 latent, 32 base channels) on anime faces, BCE, 200 epochs",
        "anime", ANIME_BASE, {"model": "ConvVAE", "n_latent": 512, "base_channels": 32}, None,
        {}, {"medium": _medium("ConvVAE(128, 16)", **_M_CONV), "quick": _Q_CONV}, "04_anime_conv_vae.ipynb"),
    "anime-conv-vae-convdisc": exp(
        "ConvVAE(512, 32) against ConvDisc (LeakyReLU, 32 base channels), disc_weight 10, 200 epochs",
        "anime", ANIME_BASE, {"model": "ConvVAE", "n_latent": 512, "base_channels": 32},
        {"model": "ConvDisc", "base_channels": 32},
        {"disc_weight": 10.0},
        {"medium": _medium("ConvVAE(128, 16), ConvDisc(32) as the study", **_M_CONV, **_M_SOLO),
         "quick": {**_Q_CONV, "disc.base_channels": 8}}, "05_conv_discriminators.ipynb"),
    "anime-conv-vae1024-convdisc64": exp(
        "ConvVAE(1024, 32) against ConvDisc (LeakyReLU, 64 base channels), disc_weight 10, 200 epochs",
        "anime", ANIME_BASE, {"model": "ConvVAE", "n_latent": 1024, "base_channels": 32},
        {"model": "ConvDisc", "base_channels": 64},
        {"disc_weight": 10.0},
        {"medium": _medium("ConvVAE(256, 16), ConvDisc(64) as the study", **_M_CONV1024, **_M_SOLO),
         "quick": {**_Q_CONV, "vae.n_latent": 64, "disc.base_channels": 16}},
        "05_conv_discriminators.ipynb"),
    "anime-conv-vae-resnet": exp(
        "ConvVAE(512, 32) against a ResNet-18 discriminator, disc_weight 10, pbp_weight 1, 200 epochs "
        "(the sweeps' baseline)",
        "anime", ANIME_BASE, {"model": "ConvVAE", "n_latent": 512, "base_channels": 32}, {"model": "ResNetDisc"},
        {"disc_weight": 10.0, "pbp_weight": 1.0},
        # the decay period is scaled here too, so the pbp-weight sweep's decay runs show their decay
        {"medium": _medium("ConvVAE(128, 16), the full-width ResNet-18 as the study", **_M_CONV, **_M_SOLO,
                           **{"train.pbp_decay_every": 1}),
         "quick": {**_Q_CONV, "train.pbp_decay_every": 1}},
        "06_resnet_discriminator.ipynb"),
    "anime-conv-vae1024-resnet-decay": exp(
        "ConvVAE(1024, 32) against ResNet: 100 solo + 100 combo epochs, disc_weight 10, "
        "pbp_weight x0.95 every 25 combo epochs",
        "anime", ANIME_BASE, {"model": "ConvVAE", "n_latent": 1024, "base_channels": 32}, {"model": "ResNetDisc"},
        {"n_solo_epochs": 100, "disc_weight": 10.0, "pbp_weight": 1.0, "pbp_decay": 0.95, "pbp_decay_every": 25},
        _solo_combo(200, 100, 25, medium=_medium("ConvVAE(256, 16), the full-width ResNet-18", **_M_CONV1024),
                    quick={**_Q_CONV, "vae.n_latent": 64}), "06_resnet_discriminator.ipynb"),
    "anime-conv-vae1024-resnet-lr2e-4": exp(
        "as anime-conv-vae1024-resnet-decay with initial learning rate 2e-4",
        "anime", ANIME_BASE, {"model": "ConvVAE", "n_latent": 1024, "base_channels": 32}, {"model": "ResNetDisc"},
        {"n_solo_epochs": 100, "disc_weight": 10.0, "pbp_weight": 1.0, "pbp_decay": 0.95, "pbp_decay_every": 25,
         "lr": 2e-4},
        _solo_combo(200, 100, 25, medium=_medium("ConvVAE(256, 16), the full-width ResNet-18", **_M_CONV1024),
                    quick={**_Q_CONV, "vae.n_latent": 64}), "06_resnet_discriminator.ipynb"),
    "anime-deepconv": exp(
        "DeepConvVAE(1024, 32) against DeepConvDisc(64): 100 solo + 100 combo epochs, disc_weight 10, lr 2e-4",
        "anime", ANIME_BASE, {"model": "DeepConvVAE", "n_latent": 1024, "base_channels": 32},
        {"model": "DeepConvDisc", "base_channels": 64},
        {"n_solo_epochs": 100, "disc_weight": 10.0, "pbp_weight": 1.0, "lr": 2e-4},
        _solo_combo(200, 100, 25, medium=_medium("DeepConvVAE(256, 16), DeepConvDisc(32)", **_M_CONV1024,
                                                  **{"disc.base_channels": 32}),
                    quick={**_Q_CONV, "vae.n_latent": 64, "disc.base_channels": 8}),
        "07_deep_conv.ipynb"),
}

# ------------------------------------------------------------------ auxiliary attribute head
# The VAE-GAN blog's auxiliary discriminator output predicting the images' attributes (CelebA's 40),
# its loss averaged over attributes (the blog summed: 40x too strong). synthetic-faces: 6 categoricals
# one-hot (30) + 4 booleans = 34 targets (vaegan_gluon.data.attributes_targets). For CelebA:
# --set data.source=image-folder --set data.options.path=DIR --set data.options.attributes=list_attr_celeba.txt
# --set disc.n_attributes=40. Settings: vaegan_gluon.train.schemes.LearnableLoss; the blog's conditional
# push on the VAE: --set train.extra.attribute_vae_weight=1 (an override: it names its own results folder).
N_FACE_ATTRIBUTES = 34
ATTRIBUTE_EXPERIMENTS = {
    "faces-conv-vae-convdisc-attr": exp(
        "ConvVAE(512, 32) against ConvDisc(32) with an auxiliary attribute head (34 synthetic-face attributes, "
        "loss averaged over attributes, weight 1, reals only), disc_weight 10", "anime", ANIME_BASE,
        {"model": "ConvVAE", "n_latent": 512, "base_channels": 32},
        {"model": "ConvDisc", "base_channels": 32, "n_attributes": N_FACE_ATTRIBUTES},
        {"disc_weight": 10.0, "extra": {"attribute_weight": 1.0}},
        {"medium": _medium("ConvVAE(128, 16), ConvDisc(32) as the study", **_M_CONV, **_M_SOLO),
         "quick": {"vae.n_latent": 32, "vae.base_channels": 8, "disc.base_channels": 8, "train.n_epochs": 10,
                   "note": "smoke test: 32x32 images, 128 training images, 10 epochs (2 batches each: "
                           "the head needs ~8 to beat the majority-class rate), narrower models"}},
        "05_conv_discriminators.ipynb"),
}
