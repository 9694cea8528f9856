"""The scales and the two data families every catalogue entry builds on (pure data).

An experiment is a base configuration (the study's exact settings, the ``full`` scale) plus, per
scale, a dict of dotted-key overrides. Scales:

``full``
    The study's settings: batch 64, 80/20 split, 64x64 anime faces, 50 (MNIST) or 200 (anime) epochs.
    GPU hours for the anime runs.
``medium``
    Same models, same weights, fewer images and epochs: one notebook (a sweep's runs together
    included) in about 10-15 minutes on a 2-core CPU. Solo/combo epochs and the PBP-weight decay
    period are scaled with the epochs so the schedule's shape still shows.
``quick``
    Seconds to a minute per run (what CI runs): 32x32 images and narrower models where the full
    model would take minutes -- each scale says so in its ``note``.
"""

SCALES = ("quick", "medium", "full")
DEFAULT_CLI_SCALE = "quick"          # `vaegan run` without --scale
DEFAULT_NOTEBOOK_SCALE = "medium"    # notebooks: env VAEGAN_SCALE, else this

MNIST_BASE = {
    "data": {"source": "mnist-5k", "options": {}, "n_train": None, "n_val": None},
    "train": {"n_epochs": 50, "batch_size": 64},
    "eval": {"n_samples": 64},
}
MNIST_SCALES = {
    "full": {"note": "study settings (50 epochs, batch 64) on the offline real MNIST subset mnist-5k "
                     "(4,500 train / 500 test); the study used full MNIST: --set data.source=mnist"},
    "medium": {"train.n_epochs": 20,
               "note": "all 4,500 mnist-5k training digits, 20 of the study's 50 epochs"},
    "quick": {"data.n_train": 1024, "data.n_val": 100, "train.n_epochs": 3,
              "note": "1,024 training digits, 3 epochs: a smoke test, not a result"},
}

ANIME_BASE = {
    # synthetic-faces is the offline stand-in for the anime faces (pass --data PATH for yours);
    # its loader splits 80/20 by index, the study's split.
    "data": {"source": "synthetic-faces", "options": {"n": 20000, "size": 64}, "n_train": None, "n_val": None},
    "train": {"n_epochs": 200, "batch_size": 64},
    "eval": {"n_samples": 64},
}
# Medium: 1/25 of the epochs (200 -> 8) on 192 images (measured: ConvVAE(512, 32) + ResNet trains at
# ~5-12 img/s on 2 cores, so a 4-run sweep takes ~10-20 min); quick: 32x32 images, 2 epochs, narrow models.
ANIME_SCALES = {
    "full": {"note": "study settings: 64x64, batch 64, 80/20 split, 200 epochs (GPU hours)"},
    "medium": {"data.options.n": 320, "data.n_train": 192, "data.n_val": 64, "train.n_epochs": 8,
               "note": "same models and weights at 64x64; 192 training images, 8 epochs (the study's "
                       "200 / 25); solo epochs and the decay period scaled by 1/25 too"},
    "quick": {"data.options.n": 160, "data.options.size": 32, "data.n_train": 128, "data.n_val": 32,
              "train.n_epochs": 2,
              "note": "smoke test: 32x32 images, 128 training images, 2 epochs (4 with solo + combo), narrower models "
                      "(see the vae/disc overrides)"},
}
FAMILY_SCALES = {"mnist": MNIST_SCALES, "anime": ANIME_SCALES}


def exp(description, family, base, vae, disc, train, scales, notebook):
    """One catalogue entry: ``base`` (a family's data/train/eval) + the models + the study's training
    settings (the ``full`` scale) + per-scale dotted overrides on top of the family's."""
    return {"description": description, "family": family, "base": base, "vae": vae, "disc": disc,
            "train": train, "scales": scales, "notebook": notebook}
