"""Loss functions: small pure functions of NDArrays, each returning one value per image, shape (N,).

Every loss works on logits (pre-sigmoid) with the numerically stable forms, so models never apply a
sigmoid before a loss (the original study put a sigmoid inside its models and took the log of it).
Per-image values are *summed* over pixels / latents (the usual VAE convention, so that KL and
reconstruction are on the same scale); trainers call ``loss.backward()`` on the (N,) vector and
``gluon.Trainer.step(batch_size)``, which averages over the batch.
"""
from mxnet import nd

__all__ = ["bce_from_logits", "bce_rows", "sigmoid", "pbp_loss", "kl_divergence",
           "adversarial_loss", "discriminator_loss",
           "feature_reconstruction_loss", "attribute_loss", "attribute_accuracy", "PBP_LOSSES"]


def _sum_per_image(F, t):
    # (N, ...) -> (N,)
    return F.sum(F.reshape(t, (0, -1)), axis=1)


def bce_from_logits(logits, target, F=nd):
    """Binary cross-entropy from logits, elementwise: max(l,0) - l*t + log(1 + exp(-|l|))."""
    return F.relu(logits) - logits * target + F.Activation(-F.abs(logits), act_type="softrelu")


def bce_rows(logits, target, F=nd, fused=False):
    """Per-image BCE from logits, summed over everything but the batch axis: (N, ...) -> (N,).

    ``target``: an array of the logits' shape, or a float (a constant label). ``fused=True``: one operator
    each way (``vaegan_bce_logits``, kernels/bce_ext.cc: the exact gradient ``sigmoid(l) - t``, rows summed
    in double) instead of ~10 forward and ~10 backward; equal to the stock form to float rounding
    (tests/test_fused_bce.py). Only where the fast wing's kernel library is loaded
    (:func:`vaegan_gluon.fast.kernels.fused_bce_enabled`); the caller decides (a graph cannot see its context)."""
    if fused:
        if isinstance(target, (int, float)):
            return F.vaegan_bce_logits(logits, label=float(target))
        return F.vaegan_bce_logits(logits, target)
    if isinstance(target, (int, float)):
        target = F.ones_like(logits) * float(target)
    return _sum_per_image(F, bce_from_logits(logits, target, F))


def sigmoid(logits, F=nd, fused=False):
    """``1 / (1 + exp(-logits))``: the images of logits. ``fused=True``: ``vaegan_sigmoid`` (kernels/bce_ext.cc),
    eight elements at a time (MXNet's runs one at a time), the same backward ``og * y * (1 - y)``; equal to
    ``F.sigmoid`` to a few ulp (glibc's vector ``expf``)."""
    if fused:
        return F.vaegan_sigmoid(logits)
    return F.sigmoid(logits)


def pbp_loss(logits, x, kind="bce", F=nd, fused=False):
    """Pixel-by-pixel (PBP) reconstruction loss per image, summed over pixels.

    logits: (N, C, H, W) decoder output before the sigmoid; x: (N, C, H, W) targets in [0, 1].
    kind: ``"bce"`` (Bernoulli likelihood) or ``"l2"`` (squared error of sigmoid(logits), summed).
    fused: the BCE as one operator (:func:`bce_rows`).
    """
    if kind == "bce":
        return bce_rows(logits, x, F, fused)
    if kind == "l2":
        return _sum_per_image(F, F.square(F.sigmoid(logits) - x))
    raise ValueError(f"unknown pbp loss {kind!r}: use one of {sorted(PBP_LOSSES)}")


PBP_LOSSES = ("bce", "l2")


def kl_divergence(mu, logvar, F=nd):
    """KL(q(z|x) || N(0, I)) per image, summed over latents: -0.5 * sum(1 + logvar - mu^2 - exp(logvar))."""
    return -0.5 * F.sum(1 + logvar - F.square(mu) - F.exp(logvar), axis=1)


def adversarial_loss(logits, target, F=nd, fused=False):
    """BCE of discriminator logits (N, 1) against a constant label ``target`` (1 = real), per image (N,).

    ``target`` may be a float (0/1, or 0.9 for one-sided label smoothing) or an (N, 1) array of labels.
    fused: as one operator (:func:`bce_rows`).
    """
    if fused:
        return bce_rows(logits, target, F, fused=True)
    t = target if not isinstance(target, (int, float)) else F.ones_like(logits) * float(target)
    return F.reshape(bce_from_logits(logits, t, F), (-1,))


def discriminator_loss(real_logits, fake_logits, real_label=1.0, fake_label=0.0, F=nd, fused=False):
    """Discriminator loss per image: BCE(D(x), real) + BCE(D(x_hat), fake)."""
    return (adversarial_loss(real_logits, real_label, F, fused)
            + adversarial_loss(fake_logits, fake_label, F, fused))


def feature_reconstruction_loss(feat_real, feat_fake, F=nd):
    """Larsen et al. feature-space reconstruction: squared error between discriminator features, per image.

    Up to constants, the negative Gaussian log-likelihood of D_l(x) under N(D_l(x_tilde), I).
    """
    return _sum_per_image(F, F.square(feat_real - feat_fake))


def attribute_loss(attr_logits, targets, F=nd):
    """Auxiliary attribute loss per image (N,): sigmoid BCE **averaged** over the K attributes.

    attr_logits: (N, K) the discriminator's attribute head (see ``n_attributes`` in
    :mod:`vaegan_gluon.models.discriminators`); targets: (N, K) in [0, 1] (binary attributes, e.g.
    CelebA's 40 mapped -1/1 -> 0/1, or :func:`vaegan_gluon.data.attributes_targets.attribute_targets`).

    The mean, not the sum, is deliberate: the VAE-GAN blog (seed 003, Dec. 2019) summed the 40 CelebA
    attribute BCEs, so with a weight ``lambda`` chosen for a mean-sized loss the auxiliary term was 40x the
    GAN loss at base and overwhelmed it (the fix was ``lambda / 40``). Averaged, the term is on the scale
    of one BCE whatever K is, so one ``attribute_weight`` means the same thing for 4 or 40 attributes.
    """
    return F.mean(bce_from_logits(attr_logits, targets, F), axis=1)


def attribute_accuracy(attr_logits, targets, F=nd):
    """Per image (N,): the fraction of the K attributes predicted right (logit > 0 <=> target > 0.5)."""
    return F.mean((attr_logits > 0) == (targets > 0.5), axis=1)
