"""Named experiments of the other studies' schemes: Larsen VAE/GAN, AE-GAN alpha/beta, GAN stabilisers,
the auxiliary attribute head.

Same format as :mod:`.registry` (``_exp(description, family, base, vae, disc, train, scales, notebook)``,
scales ``quick`` / ``medium`` / ``full`` as dotted overrides). Importing this module adds
:data:`SCHEME_EXPERIMENTS` to ``registry.EXPERIMENTS`` and :data:`SCHEME_SWEEPS` to ``registry.SWEEPS``
(``vaegan_gluon.experiments`` imports it, so ``vaegan list`` shows them).

Scheme settings live in ``train.extra`` (documented in :mod:`vaegan_gluon.train.larsen`,
:mod:`vaegan_gluon.train.aegan`, :mod:`vaegan_gluon.train.stabilisers`); override one with e.g.
``--set train.extra.gamma=1e-6``.
"""
from .registry import _ANIME_BASE, _MNIST_BASE, EXPERIMENTS, SWEEPS, _exp

__all__ = ["SCHEME_EXPERIMENTS", "SCHEME_SWEEPS", "register"]

NB_LARSEN, NB_AEGAN, NB_STAB = "20_larsen_vaegan.ipynb", "21_aegan_weighting.ipynb", "22_gan_stabilisers.ipynb"

# ------------------------------------------------------------------------------ Larsen VAE/GAN
_L_MNIST_VAE = {"model": "ConvVAE", "n_latent": 16, "base_channels": 32}
_L_MNIST_DISC = {"model": "ConvDisc", "base_channels": 32, "feature_layer": 2}
_L_MNIST_TRAIN = {"scheme": "larsen", "lr": 3e-4, "extra": {"gamma": 5e-5}}
# medium: all 4,500 digits for 8 epochs; quick: narrow models (what CI runs)
_L_MNIST_SCALES = {"medium": {"train.n_epochs": 8},
                   "quick": {"vae.base_channels": 8, "disc.base_channels": 8, "train.n_epochs": 2}}
_L_FACE_VAE = {"model": "ConvVAE", "n_latent": 128, "base_channels": 32}
# the authors' code takes the 4th conv layer of its discriminator
_L_FACE_DISC = {"model": "DeepConvDisc", "base_channels": 32, "feature_layer": 4}
_L_FACE_TRAIN = {"scheme": "larsen", "lr": 3e-4, "extra": {"gamma": 1e-6}}
_L_FACE_SCALES = {"medium": {"data.options.n": 1280, "data.n_train": 1024, "data.n_val": 64, "train.n_epochs": 6,
                             "note": "64x64, 1,024 training faces, 6 epochs"},
                  "quick": {"vae.n_latent": 32, "vae.base_channels": 8, "disc.base_channels": 8}}

# ------------------------------------------------------------------------------------ AE-GAN
_AE = {"model": "AE", "n_latent": 100, "base_channels": 32}
_AE_DISC = {"model": "ConvDisc", "base_channels": 32}
_AE_SCALES = {"medium": {"data.options.n": 1280, "data.n_train": 1024, "data.n_val": 128, "train.n_epochs": 8,
                         "note": "64x64, 1,024 training faces (4 batches of 256 an epoch), 8 epochs"},
              "quick": {"vae.base_channels": 8, "disc.base_channels": 8}}


def _aegan(policy, **extra):
    # the study: batch 256, lr 2e-4 (later 1e-4), 50,000 faces
    return {"scheme": "aegan", "batch_size": 256, "lr": 2e-4, "extra": {"beta_policy": policy, **extra}}


# ------------------------------------------------------------------ auxiliary attribute head
# The VAE-GAN blog's auxiliary discriminator output predicting the images' attributes (CelebA's 40),
# its loss averaged over attributes (the blog summed: 40x too strong). synthetic-faces: 6 categoricals
# one-hot (30) + 4 booleans = 34 targets (vaegan_gluon.data.attributes_targets). For CelebA:
# --set data.source=image-folder --set data.options.path=DIR --set data.options.attributes=list_attr_celeba.txt
# --set disc.n_attributes=40. Settings: vaegan_gluon.train.schemes.LearnableLoss; the blog's conditional
# push on the VAE: --set train.extra.attribute_vae_weight=1 (an override, so that it gets its own results
# folder: run_dir_for does not name train.extra, so a separate experiment would share this one's).
N_FACE_ATTRIBUTES = 34
_ATTR_VAE = {"model": "ConvVAE", "n_latent": 512, "base_channels": 32}
_ATTR_DISC = {"model": "ConvDisc", "base_channels": 32, "n_attributes": N_FACE_ATTRIBUTES}
_ATTR_SCALES = {"quick": {"vae.n_latent": 32, "vae.base_channels": 8, "disc.base_channels": 8, "train.n_epochs": 10,
                          "note": "smoke test: 32x32 images, 128 training images, 10 epochs (2 batches each: "
                                  "the head needs ~8 to beat the majority-class rate), narrower models"}}


def _attr(**extra):
    return {"disc_weight": 10.0, "extra": {"attribute_weight": 1.0, **extra}}


# -------------------------------------------------------------------------------- stabilisers
_S_VAE, _S_DISC = dict(_L_MNIST_VAE), dict(_L_MNIST_DISC)


def _stab(description, disc=None, scales=None, **train):
    t = {**_L_MNIST_TRAIN, **train}
    t["extra"] = {**_L_MNIST_TRAIN["extra"], **train.get("extra", {})}
    return _exp(description, "mnist", _MNIST_BASE, dict(_S_VAE), {**_S_DISC, **(disc or {})}, t,
                {**_L_MNIST_SCALES, **(scales or {})}, NB_STAB)


SCHEME_EXPERIMENTS = {
    # Larsen et al. 2016 -----------------------------------------------------------------
    "mnist-larsen-pixel-vae": _exp(
        "ConvVAE(16, 32) on MNIST, pixel (BCE) VAE: the baseline of the Larsen VAE/GAN (scheme larsen, "
        "no discriminator)", "mnist", _MNIST_BASE, dict(_L_MNIST_VAE), None, dict(_L_MNIST_TRAIN),
        {"medium": {"train.n_epochs": 8}, "quick": {"vae.base_channels": 8, "train.n_epochs": 2}}, NB_LARSEN),
    "mnist-larsen-vaegan": _exp(
        "Larsen VAE/GAN on MNIST: ConvVAE(16, 32) + ConvDisc(32), feature-space reconstruction at conv "
        "layer 2, gamma 5e-5", "mnist", _MNIST_BASE, dict(_L_MNIST_VAE), dict(_L_MNIST_DISC),
        dict(_L_MNIST_TRAIN), dict(_L_MNIST_SCALES), NB_LARSEN),
    "faces-larsen-pixel-vae": _exp(
        "ConvVAE(128, 32) on 64x64 faces, pixel (BCE) VAE: the baseline of the Larsen VAE/GAN",
        "anime", _ANIME_BASE, dict(_L_FACE_VAE), None, dict(_L_FACE_TRAIN),
        {"medium": _L_FACE_SCALES["medium"], "quick": {"vae.n_latent": 32, "vae.base_channels": 8}}, NB_LARSEN),
    "faces-larsen-vaegan": _exp(
        "Larsen VAE/GAN on 64x64 faces: ConvVAE(128, 32) + DeepConvDisc(32), features of conv layer 4 "
        "(the authors'), gamma 1e-6 (their CelebA value)", "anime", _ANIME_BASE, dict(_L_FACE_VAE),
        dict(_L_FACE_DISC), dict(_L_FACE_TRAIN), dict(_L_FACE_SCALES), NB_LARSEN),
    "faces-larsen-vaegan-gate": _exp(
        "as faces-larsen-vaegan with the authors' equilibrium gate (margin 0.35, equilibrium 0.68)",
        "anime", _ANIME_BASE, dict(_L_FACE_VAE), dict(_L_FACE_DISC),
        {**_L_FACE_TRAIN, "extra": {"gamma": 1e-6, "equilibrium_margin": 0.35, "equilibrium": 0.68}},
        dict(_L_FACE_SCALES), NB_LARSEN),
    # AE-GAN alpha / beta ----------------------------------------------------------------
    "faces-ae": _exp(
        "AE(100 latent, 32) on 64x64 faces alone (MSE, batch 256): the reference of the AE-GAN identities",
        "anime", _ANIME_BASE, dict(_AE), None, _aegan("constant", alpha=1.0, beta=0.0),
        {"medium": _AE_SCALES["medium"], "quick": {"vae.base_channels": 8}}, NB_AEGAN),
    "faces-aegan-constant": _exp(
        "AE-GAN: AE(100, 32) + ConvDisc(32), loss = ae + 0.005 * gan, batch 256", "anime", _ANIME_BASE,
        dict(_AE), dict(_AE_DISC), _aegan("constant", alpha=1.0, beta=0.005), dict(_AE_SCALES), NB_AEGAN),
    "faces-aegan-inverse": _exp(
        "AE-GAN v1: loss = ae + 0.0005 * gan / ae", "anime", _ANIME_BASE, dict(_AE), dict(_AE_DISC),
        _aegan("inverse", alpha=1.0, beta=0.0005), dict(_AE_SCALES), NB_AEGAN),
    "faces-aegan-derivative": _exp(
        "AE-GAN: beta = min(1, |2e-7 / (d ae / d step)|) over a 50-batch window, 0 before",
        "anime", _ANIME_BASE, dict(_AE), dict(_AE_DISC),
        _aegan("derivative", alpha=1.0, derivative_a=2e-7, derivative_window=50),
        {**_AE_SCALES, "quick": {**_AE_SCALES["quick"], "train.extra.derivative_window": 2,
                                 "train.batch_size": 64}}, NB_AEGAN),
    "faces-aegan-ceiling": _exp(
        "AE-GAN: loss = ae + min(ae, gan)", "anime", _ANIME_BASE, dict(_AE), dict(_AE_DISC),
        _aegan("ceiling", alpha=1.0, beta=1.0), dict(_AE_SCALES), NB_AEGAN),
    "faces-aegan-verify-ae": _exp(
        "AE-GAN identity 1: alpha 1, beta 0 trains exactly the autoencoder alone (the discriminator watches)",
        "anime", _ANIME_BASE, dict(_AE), dict(_AE_DISC), _aegan("constant", alpha=1.0, beta=0.0),
        dict(_AE_SCALES), NB_AEGAN),
    "faces-aegan-verify-gan": _exp(
        "AE-GAN identity 2: alpha 0, beta 1 is a plain GAN with an autoencoder-shaped generator",
        "anime", _ANIME_BASE, dict(_AE), dict(_AE_DISC), _aegan("constant", alpha=0.0, beta=1.0),
        dict(_AE_SCALES), NB_AEGAN),
    "faces-aegan-pretrained": _exp(
        "AE-GAN with a pre-trained AE: half the epochs AE alone, then ae + 0.005 * gan",
        "anime", _ANIME_BASE, dict(_AE), dict(_AE_DISC),
        {**_aegan("constant", alpha=1.0, beta=0.005), "n_solo_epochs": 100},
        {"medium": {**_AE_SCALES["medium"], "train.n_solo_epochs": 4},
         "quick": {**_AE_SCALES["quick"], "train.n_solo_epochs": 1}}, NB_AEGAN),
    # auxiliary attribute head (VAE-GAN blog) --------------------------------------------
    "faces-conv-vae-convdisc-attr": _exp(
        "ConvVAE(512, 32) against ConvDisc(32) with an auxiliary attribute head (34 synthetic-face attributes, "
        "loss averaged over attributes, weight 1, reals only), disc_weight 10", "anime", _ANIME_BASE,
        dict(_ATTR_VAE), dict(_ATTR_DISC), _attr(), dict(_ATTR_SCALES), "05_conv_discriminators.ipynb"),
    # GAN stabilisers on the MNIST VAE/GAN (mode coverage) ---------------------------------
    "mnist-stab-none": _stab("Larsen VAE/GAN on MNIST without stabilisers (the comparison's baseline)"),
    "mnist-stab-smooth": _stab("... + one-sided label smoothing (real target 0.9)", real_label=0.9),
    "mnist-stab-noisy-labels": _stab("... + noisy labels (targets moved up to 0.1 towards the other class)",
                                     extra={"label_noise": 0.1}),
    "mnist-stab-flip": _stab("... + label flipping: 5% of targets swapped; all swapped for 3 batches when the "
                             "discriminator is over 95% right", extra={"label_flip_prob": 0.05,
                                                                      "flip_when_disc_acc": 0.95, "flip_steps": 3}),
    "mnist-stab-joint": _stab("... + real and fake images in one (joint) discriminator call",
                              extra={"disc_batches": "joint"}),
    "mnist-stab-dropout": _stab("... + dropout 0.3 in the discriminator", disc={"dropout": 0.3}),
    "mnist-stab-minibatch": _stab("... + minibatch discrimination (16 kernels of 16 dims)",
                                  disc={"minibatch_features": 16}),
    "mnist-stab-instance-noise": _stab(
        "... + instance noise on the discriminator's inputs, stddev 0.2 annealed to 0 over the run",
        disc={"instance_noise": True}, extra={"instance_noise_stddev": 0.2, "instance_noise_epochs": 50},
        scales={"medium": {"train.n_epochs": 8, "train.extra.instance_noise_epochs": 8},
                "quick": {**_L_MNIST_SCALES["quick"], "train.extra.instance_noise_epochs": 2}}),
    "mnist-stab-bn-after-act": _stab("... with BatchNorm after the activation (the TF2 project found "
                                     "before is required)", disc={"bn_before_activation": False}),
}

SCHEME_SWEEPS = {
    "sweep-larsen-lr-schedule": {
        "description": "Larsen VAE/GAN on faces with the TF2 project's four learning-rate schedules "
                       "(5e-4 constant; plateau 0.85/1e-4/10; 0.75/5e-6/6; 0.6/5e-6/6 keeping its buffer)",
        "base": "faces-larsen-vaegan", "param": "train.lr_schedule",
        "values": ["constant", "plateau-0.85", "plateau-0.75", "plateau-0.6-keep"],
        "scales": {"full": {"train.lr": 5e-4}, "medium": {"train.lr": 5e-4}, "quick": {"train.lr": 5e-4}},
        "extra_runs": [], "column": "lr", "notebook": NB_LARSEN},
}


def register():
    """Add the experiments and sweeps above to the registry (idempotent)."""
    EXPERIMENTS.update(SCHEME_EXPERIMENTS)
    SWEEPS.update(SCHEME_SWEEPS)


register()
