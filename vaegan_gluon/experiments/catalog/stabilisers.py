"""GAN stabilisers on the MNIST Larsen VAE/GAN, compared by mode coverage (notebook 22), as data.

Stabiliser settings live in ``train.extra`` and the discriminator's hyperparameters (documented in
:mod:`vaegan_gluon.train.schemes.stabilisers`).
"""
from .larsen import MNIST_DISC, MNIST_SCALES, MNIST_TRAIN, MNIST_VAE
from .scales import MNIST_BASE, exp

NB_STAB = "22_gan_stabilisers.ipynb"


def _stab(description, disc=None, scales=None, **train):
    t = {**MNIST_TRAIN, **train}
    t["extra"] = {**MNIST_TRAIN["extra"], **train.get("extra", {})}
    return exp(description, "mnist", MNIST_BASE, dict(MNIST_VAE), {**MNIST_DISC, **(disc or {})}, t,
               {**MNIST_SCALES, **(scales or {})}, NB_STAB)


# names for another experiment's configuration: get_config resolves them, so their runs carry the
# canonical name (a run of either, in their one results folder, counts as a seed of the claims' reference)
ALIASES = {"mnist-stab-none": "mnist-larsen-vaegan"}

EXPERIMENTS = {
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
        scales={"medium": {**MNIST_SCALES["medium"], "train.extra.instance_noise_epochs": 32},
                "quick": {**MNIST_SCALES["quick"], "train.extra.instance_noise_epochs": 2}}),
    "mnist-stab-spectral-norm": _stab("... + spectral normalisation of every discriminator weight (Miyato et al. "
                                      "2018; one power iteration per training forward)", disc={"spectral_norm": True}),
    "mnist-stab-bn-after-act": _stab("... with BatchNorm after the activation in the discriminator",
                                     disc={"bn_before_activation": False}),
    # the TF2 project's claim is about the generator: the decoder's BatchNorm after each ReLU
    "mnist-gen-bn-after-act": exp("Larsen VAE/GAN on MNIST with BatchNorm after the activation in the generator "
                                  "(the TF2 project: before is required, 'otherwise no images')", "mnist", MNIST_BASE,
                                  {**MNIST_VAE, "decoder_bn_before_activation": False}, dict(MNIST_DISC),
                                  {**MNIST_TRAIN, "extra": dict(MNIST_TRAIN["extra"])}, dict(MNIST_SCALES), NB_STAB),
}
