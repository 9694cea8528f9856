"""Numbers that judge a trained VAE (and its discriminator) on held-out images.

Pure functions: they take models and ``(N, C, H, W) float32`` numpy images in ``[0, 1]`` and return
plain Python floats (JSON-serialisable; ``None`` where a number does not apply). Work is batched;
per-batch sums stay on the device and are read once at the end (the only per-batch host copies are the
reconstructions/samples that the host-side blur factor needs).

Units, in one place (the same names are used in ``metrics.json``):

=====================  =========================================================================
key                    definition
=====================  =========================================================================
recon_bce              binary cross-entropy of ``decode(mu)`` logits against the image, **summed
                       over the C*H*W pixels of one image** (nats per image), averaged over images.
                       Same units as the reconstruction term of the ELBO.
recon_bce_per_pixel    ``recon_bce / (C*H*W)``: the per-pixel mean, which is what Gluon's
                       ``SigmoidBinaryCrossEntropyLoss`` reports, for comparison with training logs.
recon_mse              squared error of ``sigmoid(decode(mu))`` against the image, **mean per
                       pixel**, images on the [0, 1] scale.
kl                     KL(q(z|x) || N(0, I)) summed over latent dims (nats per image), averaged over
                       images. ``None`` for a non-variational model (``vae.variational`` False).
neg_elbo               per-image negative ELBO = BCE sum of ``decode(z)`` with one sampled
                       ``z = mu + exp(logvar / 2) * eps`` + ``kl`` (nats per image; a single-sample
                       estimate, ``eps`` drawn from ``numpy.random.RandomState(seed)``). ``None`` for AEs.
iwae_bound             the importance-weighted bound (Burda et al. 2016) with ``iwae_k`` = 100 samples per
                       image, as ``-L_k`` in nats per image: the same sign and units as ``neg_elbo``, which is
                       ``-L_1`` (so ``iwae_bound <= neg_elbo`` in expectation, and ``neg_elbo - iwae_bound``
                       is how loose the one-sample ELBO is). Same Bernoulli-from-logits likelihood as the
                       ELBO; ``eps`` from ``numpy.random.RandomState(seed + 2)``. ``None`` for AEs.
blur_*                 :func:`blur_factor` (variance of the Laplacian on the 0-255 grey image).
disc_acc_real/_fake    :func:`discriminator_accuracy`, fakes = reconstructions ``sigmoid(decode(mu))``.
disc_loss_real/_fake   mean sigmoid BCE of the discriminator on reals (label 1) / fakes (label 0).
=====================  =========================================================================

BCE and KL are the training losses' (:mod:`vaegan_gluon.losses`), so a metric and a loss of the same
name are the same number; the model passes are :mod:`vaegan_gluon.inference`'s; distances between
feature sets (FID, KID, ...) are :mod:`.scores`'.
"""
import cv2
import numpy as np
from mxnet import nd

from ..inference import as_numpy_images, batches, contexts, decode_images
from ..losses import bce_from_logits, kl_divergence
from .scores import mean_cov

__all__ = ["blur_factor", "blur_factor_per_image", "to_uint8_grey", "reconstruction_metrics", "iwae_bound",
           "discriminator_accuracy", "extract_features", "feature_statistics", "evaluate", "IWAE_K"]


def _per_image_sum(x):
    return x.reshape((x.shape[0], -1)).sum(axis=1)


def _first(out):
    """Discriminators may return ``(logits, features)``; metrics only need the logits."""
    return out[0] if isinstance(out, (tuple, list)) else out


class _DeviceSums:
    """Running sums kept on each device, read once (one host sync) by :meth:`read`."""

    def __init__(self):
        self._sums = {}

    def add(self, key, value):
        c = value.context
        k = (key, c)
        self._sums[k] = value.sum() if k not in self._sums else self._sums[k] + value.sum()

    def read(self, key):
        parts = [v.asnumpy().astype(np.float64).sum() for (k, _), v in self._sums.items() if k == key]
        return float(sum(parts)) if parts else None


# ------------------------------------------------------------------------------------- blur factor
def to_uint8_grey(images):
    """``(N, C, H, W)`` images in [0, 1] (float) or 0-255 (uint8) -> ``(N, H, W)`` uint8 grey.

    Floats are scaled by 255 and rounded; three channels are read as RGB and converted with OpenCV's
    ITU-R 601 weights (0.299 R + 0.587 G + 0.114 B), one channel is used as it is.
    """
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[1] not in (1, 3):
        raise ValueError(f"images must be (N, C, H, W) with C = 1 or 3; got shape {images.shape}")
    if images.dtype != np.uint8:
        images = np.clip(np.rint(images.astype(np.float64) * 255.0), 0, 255).astype(np.uint8)
    if images.shape[1] == 1:
        return images[:, 0]
    return np.stack([cv2.cvtColor(np.ascontiguousarray(im.transpose(1, 2, 0)), cv2.COLOR_RGB2GRAY)
                     for im in images])


def blur_factor_per_image(images):
    """Variance of the Laplacian of each image, shape ``(N,)`` float64. See :func:`blur_factor`."""
    if isinstance(images, nd.NDArray):
        images = images.asnumpy()
    grey = to_uint8_grey(images)
    if len(grey) == 0:
        raise ValueError("images is empty: the blur factor needs at least one image")
    return np.array([cv2.Laplacian(g, cv2.CV_64F).var() for g in grey], dtype=np.float64)


def blur_factor(images):
    """Mean over images of the variance of the Laplacian -- higher means sharper.

    The AE-GAN study (seeds/000) scores sharpness this way: ``cv2.Laplacian(grey, cv2.CV_64F).var()``
    on the 8-bit grey image (its raw faces scored 658.269, its reconstructions 100-230). We use the same
    scale: float images in [0, 1] are mapped to 0-255 and rounded (see :func:`to_uint8_grey`); the
    Laplacian is OpenCV's default 3x3 kernel ``[[0, 1, 0], [1, -4, 1], [0, 1, 0]]`` with reflect-101
    borders. A constant image scores 0. The value scales with the square of the intensity range and
    depends on resolution and content, so compare only models scored on the same data.

    Parameters
    ----------
    images : (N, C, H, W) float32 in [0, 1] (or uint8 in 0-255), C = 1 or 3 (RGB)

    Returns
    -------
    float
    """
    return float(blur_factor_per_image(images).mean())


def _is_variational(vae):
    return bool(getattr(vae, "variational", True))


# ---------------------------------------------------------------------------------- model passes
def _reconstruction_pass(vae, images, batch_size=256, ctx=None, seed=0, keep_reconstructions=False):
    images = as_numpy_images(images)
    ctxs = contexts(ctx)
    variational = _is_variational(vae)
    rng = np.random.RandomState(seed)
    sums = _DeviceSums()
    recons = []
    for x, c in batches(images, batch_size, ctxs):
        mu, logvar = vae.encode(x)[:2]
        logits = vae.decode(mu)
        sums.add("bce", bce_from_logits(logits, x))
        recon = nd.sigmoid(logits)
        sums.add("se", nd.square(recon - x))
        if keep_reconstructions:
            recons.append(recon)
        if variational and logvar is not None:
            kl = kl_divergence(mu, logvar)
            eps = nd.array(rng.standard_normal(mu.shape), ctx=c, dtype="float32")
            logits_z = vae.decode(mu + nd.exp(0.5 * logvar) * eps)
            sums.add("kl", kl)
            sums.add("neg_elbo", _per_image_sum(bce_from_logits(logits_z, x)) + kl)
    n = len(images)
    pixels = int(np.prod(images.shape[1:]))
    bce = sums.read("bce") / n
    kl, neg_elbo = sums.read("kl"), sums.read("neg_elbo")
    out = {
        "n_images": n,
        "recon_bce": bce,
        "recon_bce_per_pixel": bce / pixels,
        "recon_mse": sums.read("se") / (n * pixels),
        "kl": None if kl is None else kl / n,
        "neg_elbo": None if neg_elbo is None else neg_elbo / n,
    }
    recon_np = np.concatenate([r.asnumpy() for r in recons]) if keep_reconstructions else None
    return out, recon_np


IWAE_K = 100
#: decoder passes per IWAE batch (images x samples): 2048 at 3x64x64 is ~100 MB of float32 logits
IWAE_DECODES_PER_BATCH = 2048


def iwae_bound(vae, images, k=IWAE_K, ctx=None, seed=0, decodes_per_batch=IWAE_DECODES_PER_BATCH):
    """``-L_k`` (nats per image, mean over ``images``): the k-sample importance-weighted bound on
    ``-log p(x)`` (module docstring), batched ``decodes_per_batch // k`` images at a time (each image's ``k``
    latents decoded in one pass). ``None`` for a non-variational model."""
    images = as_numpy_images(images)
    if not _is_variational(vae):
        return None
    k = int(k)
    if k < 1:
        raise ValueError(f"iwae_bound needs k >= 1, got {k}")
    rng = np.random.RandomState(seed + 2)
    sums = _DeviceSums()
    per_batch = max(1, int(decodes_per_batch) // k)
    for x, c in batches(images, per_batch, contexts(ctx)):
        mu, logvar = vae.encode(x)[:2]
        if logvar is None:
            return None
        b, d = mu.shape
        eps = nd.array(rng.standard_normal((b, k, d)), ctx=c, dtype="float32")
        z = mu.expand_dims(1) + nd.exp(0.5 * logvar).expand_dims(1) * eps              # (b, k, d)
        logits = vae.decode(z.reshape((b * k, d)))
        xr = nd.repeat(x, repeats=k, axis=0)                                            # image i k times
        log_px = -_per_image_sum(bce_from_logits(logits, xr)).reshape((b, k))
        # log p(z) - log q(z|x) with z = mu + sigma * eps: sum_d (-z^2 + eps^2 + logvar) / 2 (constants cancel)
        log_pq = 0.5 * (-nd.square(z) + nd.square(eps) + logvar.expand_dims(1)).sum(axis=2)
        lw = log_px + log_pq
        m = lw.max(axis=1, keepdims=True)
        lk = m.reshape((b,)) + nd.log(nd.exp(nd.broadcast_sub(lw, m)).sum(axis=1)) - float(np.log(k))
        sums.add("neg_lk", -lk)
    return sums.read("neg_lk") / len(images)


def reconstruction_metrics(vae, images, batch_size=256, ctx=None, seed=0):
    """Reconstruction error, KL and negative ELBO of ``vae`` on ``images``.

    Parameters
    ----------
    vae : VAE block with ``encode(x) -> (mu, logvar)``, ``decode(z) -> logits`` and ``variational``
        (a missing attribute counts as True; ``logvar`` None also means "not variational").
    images : (N, C, H, W) float32 in [0, 1]
    batch_size : int
    ctx : Context, list of Contexts or spec string (``"cpu:0,1"``); batches go round-robin over them,
        the model's parameters must live on all of them. Default ``mx.cpu()``.
    seed : int
        Seeds the ``eps`` of the single-sample ``neg_elbo`` (numpy RandomState; mx's global RNG is untouched).

    Returns
    -------
    dict with ``n_images``, ``recon_bce`` (nats per image, sum over pixels), ``recon_bce_per_pixel``,
    ``recon_mse`` (mean per pixel, [0, 1] scale), ``kl`` and ``neg_elbo`` (nats per image; ``None`` for
    a non-variational model). See the module docstring for exact definitions.
    """
    return _reconstruction_pass(vae, images, batch_size, ctx, seed=seed)[0]


def discriminator_accuracy(disc, real, fake, batch_size=256, ctx=None):
    """How well ``disc`` tells ``real`` from ``fake`` images.

    A logit > 0 (sigmoid > 0.5) means "real": ``acc_real`` is the fraction of reals with logit > 0,
    ``acc_fake`` the fraction of fakes with logit <= 0. ``loss_real`` / ``loss_fake`` are the mean
    sigmoid BCE against labels 1 / 0 (nats per image). ``disc(x)`` returns ``(N, 1)`` logits (a tuple
    ``(logits, features)`` is accepted; the features are ignored).

    Returns
    -------
    dict(acc_real, acc_fake, loss_real, loss_fake) of floats
    """
    ctxs = contexts(ctx)
    sums = _DeviceSums()
    real, fake = as_numpy_images(real, "real"), as_numpy_images(fake, "fake")
    for key, imgs, label in (("real", real, 1.0), ("fake", fake, 0.0)):
        for x, _ in batches(imgs, batch_size, ctxs):
            logits = _first(disc(x)).reshape((-1,))
            correct = (logits > 0) if label == 1.0 else (logits <= 0)
            sums.add("acc_" + key, correct)
            sums.add("loss_" + key, bce_from_logits(logits, nd.full(logits.shape, label, ctx=x.context)))
    return {
        "acc_real": sums.read("acc_real") / len(real),
        "acc_fake": sums.read("acc_fake") / len(fake),
        "loss_real": sums.read("loss_real") / len(real),
        "loss_fake": sums.read("loss_fake") / len(fake),
    }


# -------------------------------------------------------------------------- features of images
def extract_features(extractor, images, batch_size=256, ctx=None):
    """Run ``extractor`` (any callable/Block mapping an NDArray batch to ``(N, D)``) -> numpy ``(N, D)``."""
    images = as_numpy_images(images)
    outs = [_first(extractor(x)) for x, _ in batches(images, batch_size, contexts(ctx))]
    feats = np.concatenate([o.asnumpy() if isinstance(o, nd.NDArray) else np.asarray(o) for o in outs])
    return feats.reshape((len(feats), -1)).astype(np.float64)


def feature_statistics(extractor, images, batch_size=256, ctx=None):
    """Mean ``(D,)`` and covariance ``(D, D)`` of ``extractor``'s features on ``images`` (float64).

    Feed the pairs to :func:`.scores.frechet_distance`. Needs at least 2 images (and, for a well-conditioned
    covariance, many more than D).
    """
    return mean_cov(extract_features(extractor, images, batch_size, ctx))



# ------------------------------------------------------------------------------------- everything
def evaluate(vae, images, disc=None, ctx=None, n_samples=256, seed=0, batch_size=256):
    """All metrics of a trained model on held-out ``images`` -> JSON-serialisable dict.

    Parameters
    ----------
    vae : VAE block (see :func:`reconstruction_metrics`)
    images : (N, C, H, W) float32 in [0, 1], held-out images
    disc : discriminator block or None; with one, ``disc_acc_real`` / ``disc_acc_fake`` /
        ``disc_loss_real`` / ``disc_loss_fake`` are added, fakes being the reconstructions.
    ctx : Context, list of Contexts or spec string; default ``mx.cpu()``
    n_samples : int
        How many prior samples score ``blur_samples``: ``sigmoid(decode(z))``, ``z ~ N(0, I)`` drawn
        from ``numpy.random.RandomState(seed)`` (same as ``vae.sample`` for the standard-normal prior,
        but reproducible without touching mx's global RNG). 0 skips it (``None``).
    seed : int
        Seeds the ELBO's ``eps`` and the prior samples.

    Returns
    -------
    dict: n_images, recon_bce, recon_bce_per_pixel, recon_mse, kl, neg_elbo, iwae_bound, iwae_k, blur_data, blur_recon,
    blur_samples, and with ``disc`` disc_acc_real, disc_acc_fake, disc_loss_real, disc_loss_fake.
    Units in the module docstring.
    """
    images = as_numpy_images(images)
    out, recons = _reconstruction_pass(vae, images, batch_size, ctx, seed=seed, keep_reconstructions=True)
    out["iwae_bound"] = iwae_bound(vae, images, IWAE_K, ctx=ctx, seed=seed)
    out["iwae_k"] = IWAE_K if out["iwae_bound"] is not None else None
    out["blur_data"] = blur_factor(images)
    out["blur_recon"] = blur_factor(recons)
    out["blur_samples"] = None
    if n_samples:
        mu0 = vae.encode(nd.array(images[:1], ctx=contexts(ctx)[0]))[0]
        rng = np.random.RandomState(seed + 1)  # a different stream from the ELBO's eps
        z = rng.standard_normal((int(n_samples),) + tuple(mu0.shape[1:])).astype(np.float32)
        out["blur_samples"] = blur_factor(decode_images(vae, z, batch_size, ctx))
    if disc is not None:
        acc = discriminator_accuracy(disc, images, recons, batch_size, ctx)
        out.update({"disc_" + k: v for k, v in acc.items()})
    return out
