"""The studies' claims, as data: what each claim says, which metric tests it, which runs compare.

Each entry is read by :mod:`vaegan_gluon.claims`. ``ours`` and ``reference`` select run folders: an
experiment name plus optional ``where`` settings (dotted paths into the run's ``config.json``, e.g.
``{"train.disc_weight": 20}``), so sweep variants are selected by the settings they ran with.
``better`` says which direction of ``metric`` the claim predicts for ``ours`` ("higher" or "lower").
``scale`` is the scale its runs are read at: ``full`` for the MNIST claims of the original study (its exact
settings take minutes here), ``medium`` (the notebook scale sized to the claims) for the rest.
``tolerance`` makes a claim a bounded cost ("at most 5 nats worse"). ``min_n`` is the seed count the comparison needs (>= 3 on MNIST, >= 2 on faces: the claims issue).

The statements paraphrase the study named in ``source`` (a file of ``shared/seeds``), with its numbers.
"""

from .experiments.catalog import SWEEPS

S_MXNET = "001_26a28592c93c00b6.txt"     # the original MXNet study
S_TF2 = "004_a45d0d168639666d.txt"       # the TF2 Larsen VAE-GAN project
S_TORCH = "003_f70c62380934b147.txt"     # the PyTorch VAE-GAN blog
S_AEGAN = "000_d1bc8ed0ebb8b6ea.txt"     # the TF AE-GAN study
S_AEGAN0 = "002_fff96a8a23faa92b.txt"    # its first notes

_CONV = "anime-conv-vae"
_RESNET = "anime-conv-vae-resnet"
# mnist-stab-none is an alias of mnist-larsen-vaegan (the catalogue's ALIASES: runs of either are named
# mnist-larsen-vaegan): the stabiliser claims compare with the Larsen runs, which the Larsen claim needs anyway
_LARSEN_MNIST = "mnist-larsen-vaegan"
# sweep-solo-combo's runs at medium (8 epochs: a 25-epoch ResNet run without solo epochs is ~13 min)
_SOLO_SWEEP = {"train__n_epochs": SWEEPS["sweep-solo-combo"]["scales"]["medium"]["train.n_epochs"]}


def _claim(id, source, statement, metric, better, ours, reference, min_n=2, scale="medium", tolerance=None):
    return {"id": id, "source": source, "statement": statement, "metric": metric, "better": better,
            "ours": ours, "reference": reference, "min_n": min_n, "scale": scale, "tolerance": tolerance}


def _sel(experiment, **where):
    return {"experiment": experiment, "where": {k.replace("__", "."): v for k, v in where.items()}}


CLAIMS = [
    # ---- MNIST (the original study)
    _claim("mnist-disc-sharpens", S_MXNET,
           "MNIST: attaching a dense logistic regressor (1x200) to the DenseVAE(5, 3x400) sharpens the "
           "reconstructed digits, especially around the edges", "blur_recon", "higher",
           _sel("mnist-vae-logreg"), _sel("mnist-vae-bce"), min_n=3, scale="full"),
    _claim("mnist-disc-elbo-cost", S_MXNET,
           "MNIST: the sharpening costs little likelihood (the discriminator is a learnable loss, not a "
           "replacement for the pixel loss): held-out negative ELBO at most 5 nats above the VAE alone's",
           "neg_elbo", "lower", _sel("mnist-vae-logreg"), _sel("mnist-vae-bce"), min_n=3, tolerance=5.0,
           scale="full"),
    _claim("mnist-disc-fid", S_MXNET,
           "MNIST: the discriminator makes reconstructions closer to real digits in a digit classifier's "
           "feature space", "fid_recon", "lower", _sel("mnist-vae-logreg"), _sel("mnist-vae-bce"), min_n=3, scale="full"),
    _claim("mnist-bce-beats-l2", S_MXNET,
           "MNIST: BCE as the pixel-by-pixel loss reconstructs digits better than L2", "fid_recon", "lower",
           _sel("mnist-vae-bce"), _sel("mnist-vae-l2"), min_n=3, scale="full"),
    # ---- anime faces (the original study): each discriminator against the VAE alone
    _claim("faces-denselogreg-sharpens", S_MXNET,
           "faces: a dense logistic regressor (1x1024, disc weight 10) sharpens the DenseVAE(512, 5x1024)",
           "fid_recon", "lower", _sel("anime-dense-vae-logreg"), _sel("anime-dense-vae")),
] + [
    # each conv discriminator against the ConvVAE alone: (id, what the study says, experiment)
    _claim(cid, S_MXNET, "faces: " + says, "fid_recon", "lower", _sel(exp), _sel(_CONV))
    for cid, says, exp in (
        ("faces-convdisc32-sharpens", "ConvDisc(32, LeakyReLU) sharpens the ConvVAE(512, 32)",
         "anime-conv-vae-convdisc"),
        ("faces-convdisc64-sharpens", "ConvDisc(64) sharpens the ConvVAE(1024, 32)", "anime-conv-vae1024-convdisc64"),
        ("faces-resnet-sharpens", "a ResNet discriminator (disc weight 10) sharpens the ConvVAE(512, 32)", _RESNET),
        ("faces-solo-combo-decay", "100 solo + 100 combo epochs with PBP weight x0.95 every 25 combo epochs "
         "(ConvVAE 1024 + ResNet) gives sharper faces than the VAE alone", "anime-conv-vae1024-resnet-decay"),
        ("faces-solo-combo-lr2e-4", "the same with initial learning rate 2e-4", "anime-conv-vae1024-resnet-lr2e-4"),
        ("faces-deepconv", "DeepConvVAE(1024, 32) against DeepConvDisc(64) gives sharp faces", "anime-deepconv"))
] + [
    # the ResNet baseline's sweeps: one claim per value of train.<key>, against the baseline
    _claim(f"faces-{key.replace('_', '-')}-{v:g}", S_MXNET, "faces: " + says.format(v), "fid_recon", "lower",
           _sel(_RESNET, **{"train__" + key: float(v)}), _sel(_RESNET))
    for key, says, values in (
        ("disc_weight", "disc weight {:g} (vs the baseline 10, ResNet, PBP weight 1) changes sharpness", (1, 20, 50)),
        ("pbp_weight", "PBP weight {:g} (vs the baseline 1, disc weight 10) changes sharpness", (1.2, 0.8, 0.5)),
        ("pbp_decay", "decaying the PBP weight by {:g} every 25 epochs sharpens faces vs a constant weight",
         (0.95, 0.9)))
    for v in values
] + [
    _claim("faces-solo-combo-saves-time", S_MXNET,
           "faces: solo epochs before combo epochs save training time (the study: 100 solo of 200 took 0.64 "
           "of the time of 200 combo epochs on its GPU; here: sweep-solo-combo's 4 solo of 8 epochs against "
           "8 combo epochs, notebook 10's runs)",
           "train_seconds", "lower", _sel(_RESNET, **_SOLO_SWEEP, train__n_solo_epochs=4),
           _sel(_RESNET, **_SOLO_SWEEP, train__n_solo_epochs=0)),
    # ---- Larsen VAE/GAN
    _claim("larsen-mnist-fid", S_TF2,
           "MNIST: the Larsen VAE/GAN's prior samples are closer to real digits than the pixel VAE's",
           "fid_samples", "lower", _sel("mnist-larsen-vaegan"), _sel("mnist-larsen-pixel-vae"), min_n=3),
    _claim("larsen-faces-fid", S_TORCH,
           "faces: the VAE/GAN (features of the discriminator's 4th conv layer) generates faces closer to "
           "real ones than the pixel VAE", "fid_samples", "lower",
           _sel("faces-larsen-vaegan"), _sel("faces-larsen-pixel-vae")),
    # ---- AE-GAN weighting
] + [
    _claim(f"aegan-{p}-sharper", S_AEGAN,
           f"faces: the AE-GAN with the {p} weighting is sharper than the AE alone (the study's blur table)",
           "fid_recon", "lower", _sel(f"faces-aegan-{p}"), _sel("faces-ae"))
    for p in ("constant", "inverse", "derivative", "ceiling")
] + [
    _claim("aegan-arithmetic", S_AEGAN0,
           "faces: latent vector arithmetic (+smiling, +glasses) on the AE-GAN gives the added attribute",
           "arith_success", "higher", _sel("faces-aegan-constant"), _sel("faces-ae")),
] + [
    _claim(f"stab-{s}-coverage", S_TF2,
           f"MNIST: the stabiliser '{s}' keeps more digit classes in the Larsen VAE/GAN's samples",
           "mode_coverage.n_covered", "higher", _sel(f"mnist-stab-{s}"), _sel(_LARSEN_MNIST), min_n=3)
    for s in ("smooth", "noisy-labels", "flip", "joint", "dropout", "minibatch", "instance-noise")
] + [
    # not a stabiliser: the TF2 project found BatchNorm must come *before* the activation ("otherwise no
    # images can be produced"), so the broken variant is the reference here
    _claim("stab-bn-before-act-required", S_TF2,
           "MNIST: BatchNorm before the activation is required (with it after, the VAE/GAN produces no "
           "images): BN before generates digits closer to real ones than BN after",
           "fid_samples", "lower", _sel(_LARSEN_MNIST), _sel("mnist-stab-bn-after-act"), min_n=3),
]

# The bar a baseline must pass before a claim resting on it may say "does not hold" (the claims issue):
# the VAE alone has left the mean-image stage. A reference trained with a discriminator after solo epochs
# is held to it at the solo -> combo switch, by its VAE alone (vaegan_gluon.claims.bar_metrics says why).
BASELINE_BARS = {
    "fid_recon_over_mean_image": 0.5,     # fid_recon <= 0.5 * fid_mean_image
    "attr_acc_recon.hair_colour": 0.9,    # faces: reconstructions keep the hair colour
}
