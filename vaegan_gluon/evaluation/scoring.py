"""A run's scores in an extractor's feature space -> the keys added to ``metrics.json``.

=======================  ==================================================================================
key                      meaning (features of the chosen extractor, ``n_eval_images`` held-out images)
=======================  ==================================================================================
extractor                name (``mnist``, ``fashion-mnist``, ``faces``, ``inception``); ``extractor_sha256``
                         of its weights file, ``extractor_note`` when the fit is approximate
fid_recon                reconstructions ``sigmoid(decode(mu))`` of the held-out images vs those images
fid_samples              as many prior samples (``z ~ N(0, I)``, ``RandomState(seed + 3)``) vs the held-out
fid_data                 one random half of the held-out images vs the other half: the floor
fid_mean_image           the training set's mean image repeated n times vs the held-out: the "blurred
                         average" ceiling a VAE must beat
kid_samples (+ _sd)      unbiased KID (cubic kernel) of samples vs held-out, mean and sd over subsets
precision, recall        Kynkäänniemi et al. 2019 (k = 3) of samples vs held-out
mode_coverage            (classifiers) predicted class histogram of the samples, ``n_covered``,
                         ``kl_to_uniform``
attr_acc_recon           (faces) per attribute: share of reconstructions the extractor reads with the same
                         attribute as it reads on the original (does the VAE keep the hair colour?)
arith_success            (faces with a table of boolean attributes) share of ``mu(base) + (mean mu(with) -
                         mean mu(without))`` decodes read as having the added attribute, averaged over
                         smiling, mouth_open, blush, glasses (per attribute in ``arith_success_per_attr``)
warnings                 collapse warnings (:func:`collapse_warnings`)
=======================  ==================================================================================

The second view: a distribution distance (the FID) ignores which reconstruction belongs to which image,
so every claim on ``fid_recon`` gets paired numbers over the same images, their interval and their count:

=======================  ==================================================================================
eval_images_sha256       sha256 of the scored held-out images (float32 bytes, in order; as
                         ``ImageSet.provenance["checksum"]``): two runs with the same digest scored the same
                         images in the same order, so their paired numbers compare image by image. The
                         order is fixed by the data (synthetic faces by index, MNIST-5k and image folders
                         by seeded permutations) and ``n`` keeps the first images.
bn_mode_at_scoring       ``"running statistics"``: the VAE ran outside ``autograd.record`` (predict mode),
                         so BatchNorm used its moving mean / variance and a reconstruction does not depend
                         on its batch; ``"batch statistics"`` if scoring ran in train mode
paired_feature_dist      per held-out image ``|f(x) - f(x̂)|`` (Euclidean, the FID's feature space, x̂ its
                         reconstruction; :func:`.scores.paired_distances` says why Euclidean):
                         ``{"mean", "sd", "n", "median", "mean_sq"}``; ``mean_sq`` (the mean squared
                         distance) is in the FID's units and never below ``fid_recon * (n - 1) / n``.
                         Permuting the reconstructions across images raises it and leaves the FID as is.
psnr_recon               mean over images of ``10 log10(1 / MSE_i)`` dB (pixels in [0, 1], numpy;
                         :func:`.scores.psnr_per_image`), reconstructions vs the held-out images
ssim_recon               mean over images of the structural similarity (Wang et al. 2004; Gaussian window
                         sigma 1.5, scikit-image's ``structural_similarity``: :func:`.scores.ssim_per_image`),
                         reconstructions vs the held-out images; 1 = identical
fid_recon_n, _samples_n  images in each set of the FID (``fid_data_n``: in each half)
fid_recon_ci90,          ``[lo, hi]``: 90 % bootstrap interval over resampled images (:func:`.scores.
fid_samples_ci90         fid_bootstrap`; ``fid_recon`` resamples image-and-reconstruction pairs, ``fid_samples``
                         the two sets independently), centred on the estimate; ``fid_bootstrap`` records
                         the resamples, seed and each bootstrap's upward ``shift`` (the small-n bias)
blur_recon_over_data,    ``blur_recon / blur_data`` and ``blur_samples / blur_data`` (sharpness relative to
blur_samples_over_data   the held-out images; 1 = as sharp as the data)
=======================  ==================================================================================

These numbers are **for monitoring purposes**: they compare only runs scored with the same extractor
(same name and sha256), never with FIDs in papers.
"""
import warnings as _warnings

import numpy as np

from .. import inference
from ..data.imageset import array_checksum
from . import scores
from .extractors import NAMES, get_extractor

ARITH_ATTRIBUTES = ("smiling", "mouth_open", "blush", "glasses")
SECOND_VIEW_KEYS = ("eval_images_sha256", "bn_mode_at_scoring", "paired_feature_dist", "psnr_recon", "ssim_recon",
                    "fid_recon_n", "fid_samples_n", "fid_data_n", "fid_recon_ci90", "fid_samples_ci90",
                    "fid_bootstrap")
SCORE_KEYS = ("extractor", "extractor_sha256", "extractor_note", "n_eval_images", "fid_recon", "fid_samples",
              "fid_data", "fid_mean_image", "fid_mean_image_note", "kid_samples", "kid_samples_sd", "precision",
              "recall", "mode_coverage", "attr_acc_recon", "arith_success", "arith_success_per_attr",
              "warnings") + SECOND_VIEW_KEYS
BLUR_RATIO_KEYS = ("blur_recon_over_data", "blur_samples_over_data")
# 200 resamples per FID: 0.6-0.8 s for both FIDs of a medium faces run (640 images; 2 busy cores, measured)
BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED, BOOTSTRAP_LEVEL = 200, 0, 0.9
SOURCE_EXTRACTORS = {"mnist-5k": "mnist", "mnist": "mnist", "fashion-mnist": "fashion-mnist",
                     "synthetic-faces": "faces"}
IMAGE_FOLDER_NOTE = "faces extractor trained on synthetic faces: a rough feature space for this image folder"


def get(name):
    """An extractor by name, including the optional ``inception``."""
    if str(name).lower() == "inception":
        from .inception import InceptionExtractor
        return InceptionExtractor()
    return get_extractor(name)


def choose_extractor(config, override=None):
    """``(name or None, note or None)`` for a run config: ``override``, then ``eval.extractor``, then the
    data source (an image folder of RGB images gets ``faces`` with a note). ``"none"`` turns scoring off.

    ``eval.extractor`` is read from the run config dict defensively (a missing ``eval`` section is fine).
    """
    name = override or ((config.get("eval") or {}).get("extractor") if isinstance(config, dict) else None)
    if name:
        name = str(name).strip().lower()
        if name == "none":
            return None, "eval.extractor is none"
        if name not in NAMES + ("inception",):
            raise ValueError(f"unknown extractor {name!r} (eval.extractor / --extractor); valid names: "
                             f"{', '.join(NAMES + ('inception', 'none'))}")
        return name, None
    data = (config or {}).get("data") or {}
    src = str(data.get("source", "")).lower()
    if data.get("note", "").startswith("user image folder") or src == "image-folder":
        mode = (data.get("options") or {}).get("mode", "rgb")
        return ("faces", IMAGE_FOLDER_NOTE) if mode != "grey" else (None, "no extractor fits grey image folders")
    return SOURCE_EXTRACTORS.get(src), None


def collapse_warnings(m):
    """Collapse warnings from a metrics dict: a discriminator at >= 0.99 on one class and <= 0.01 on the
    other, mode coverage below half the classes, precision < 0.1."""
    out = []
    real, fake = m.get("disc_acc_real"), m.get("disc_acc_fake")
    if real is not None and fake is not None and ((real >= 0.99 and fake <= 0.01) or (real <= 0.01 and fake >= 0.99)):
        out.append(f"discriminator collapse: held-out accuracy {real:.3f} on real vs {fake:.3f} on fake images")
    cov = m.get("mode_coverage")
    if isinstance(cov, dict) and cov.get("n_covered") is not None and cov["n_covered"] < cov["n_classes"] / 2:
        out.append(f"mode collapse: samples cover {cov['n_covered']} of {cov['n_classes']} classes "
                   f"(KL to uniform {cov['kl_to_uniform']:.2f})")
    p = m.get("precision")
    if p is not None and p < 0.1:
        out.append(f"low precision {p:.3f}: under 10% of samples fall on the held-out feature manifold")
    return out


def _bool_column(table, name):
    if table is None or name not in getattr(table, "columns", ()):
        return None
    return table[name].to_numpy().astype(float) > 0


def _arith(vae, images, table, ext, ctx, n_base=64):
    heads = dict(ext.heads)
    per = {}
    for attr in ARITH_ATTRIBUTES:
        has = _bool_column(table, attr)
        if has is None or attr not in heads or has.all() or not has.any():
            continue
        vector = inference.attribute_vector(vae, images, has, ~has, ctx=ctx)
        base = images[~has][:n_base]
        decoded = inference.apply_attribute(vae, base, vector, scales=(1.0,), ctx=ctx)[0]
        per[attr] = float(np.mean(ext.predict_all(decoded)[1][attr] == 1))
    return per


def score_images(ext, images, recon, samples, train_mean, seed=0, kid_subsets=50, kid_subset_size=1000,
                 n_resamples=BOOTSTRAP_RESAMPLES):
    """The scores that need no model: held-out ``images``, their reconstructions ``recon`` (row ``i``
    reconstructs image ``i``) and prior ``samples`` (all ``(N, C, H, W)``) and the training mean image ``(C, H, W)`` ->
    dict (fid_* with their ``_n`` and ``_ci90``, kid_*, precision, recall, mode_coverage or
    attr_acc_recon, paired_feature_dist, psnr_recon). ``n_resamples`` = 0 skips the FID intervals."""
    n = len(images)
    if len(recon) != n:
        raise ValueError(f"one reconstruction per held-out image: {len(recon)} reconstructions of {n} images")
    out = {}
    if ext.name == "inception":
        f_real, f_recon, f_samp = ext.features(images), ext.features(recon), ext.features(samples)
        p_real = p_recon = p_samp = None
    else:
        f_real, p_real = ext.predict_all(images)
        f_recon, p_recon = ext.predict_all(recon)
        f_samp, p_samp = ext.predict_all(samples)
    f_mean = ext.features(np.asarray(train_mean, np.float32)[None]).repeat(n, axis=0)
    half = np.random.RandomState(seed).permutation(n)
    with _warnings.catch_warnings():
        _warnings.simplefilter("ignore", scores.FewSamplesWarning)   # said once, in warnings
        out["fid_recon"] = scores.fid(f_recon, f_real)
        out["fid_samples"] = scores.fid(f_samp, f_real)
        out["fid_data"] = scores.fid(f_real[half[:n // 2]], f_real[half[n // 2:]]) if n >= 4 else None
        out["fid_mean_image"] = scores.fid(f_mean, f_real)
    out["fid_recon_n"], out["fid_samples_n"] = n, int(len(samples))
    out["fid_data_n"] = n // 2 if n >= 4 else None
    if n_resamples and n >= 4:
        shifts = {}
        for key, f_a, paired in (("fid_recon", f_recon, True), ("fid_samples", f_samp, False)):
            lo, hi, shifts[key] = scores.fid_bootstrap(f_a, f_real, n_resamples, BOOTSTRAP_SEED, paired,
                                                       BOOTSTRAP_LEVEL, point=out[key])
            out[key + "_ci90"] = [lo, hi]
        out["fid_bootstrap"] = {"n_resamples": int(n_resamples), "seed": BOOTSTRAP_SEED,
                                "level": BOOTSTRAP_LEVEL, "paired": {"fid_recon": True, "fid_samples": False},
                                "shift": shifts, "method": "5-95 % quantiles of the resampled FIDs minus their "
                                "median, added to the estimate (vaegan_gluon.evaluation.scores.fid_bootstrap)"}
    dist = scores.paired_distances(f_real, f_recon)
    out["paired_feature_dist"] = {**scores.summarise(dist), "mean_sq": float(np.mean(dist ** 2))}
    out["psnr_recon"] = float(scores.psnr_per_image(images, recon).mean())
    out["ssim_recon"] = float(scores.ssim_per_image(images, recon).mean())
    out["kid_samples"], out["kid_samples_sd"] = scores.kid(f_samp, f_real, kid_subsets, kid_subset_size, seed)
    out["precision"], out["recall"] = scores.precision_recall(f_real, f_samp, k=3) if n > 3 else (None, None)
    if p_samp is not None and ext.n_classes:
        out["mode_coverage"] = scores.mode_coverage(p_samp["class"], ext.n_classes)
    if p_recon is not None and not ext.n_classes:
        out["attr_acc_recon"] = {k: float(np.mean(p_recon[k] == p_real[k])) for k in p_real}
    return out


def bn_mode():
    """How BatchNorm runs right now: ``"batch statistics"`` inside ``autograd.record(train_mode=True)``
    / ``train_mode()``, else ``"running statistics"`` (:mod:`vaegan_gluon.inference` calls the VAE outside
    any recording, so scoring reads the moving mean and variance)."""
    from mxnet import autograd
    return "batch statistics" if autograd.is_training() else "running statistics"


def blur_ratios(m):
    """``{"blur_recon_over_data", "blur_samples_over_data"}`` from a metrics dict's ``blur_*`` (those
    present and with ``blur_data > 0``)."""
    data = m.get("blur_data")
    out = {}
    for key, src in zip(BLUR_RATIO_KEYS, ("blur_recon", "blur_samples")):
        if isinstance(data, (int, float)) and data > 0 and isinstance(m.get(src), (int, float)):
            out[key] = float(m[src] / data)
    return out


def score_run(vae, held_out, train_mean, extractor, attributes=None, n=None, seed=0, ctx=None, note=None,
              kid_subsets=50, kid_subset_size=1000, n_resamples=BOOTSTRAP_RESAMPLES):
    """Score ``vae`` on ``held_out`` images ``(N, C, H, W)`` in ``extractor``'s feature space -> dict.

    ``train_mean`` is the training set's mean image ``(C, H, W)``; ``attributes`` the held-out attribute
    table (faces); ``n`` caps the number of held-out images (and of samples); ``n_resamples`` (0: none)
    the bootstrap of the FID intervals. See the module docstring.
    """
    ext = get(extractor) if isinstance(extractor, str) else extractor
    images = inference.as_numpy_images(held_out, "held-out images")
    if n:
        images = images[:int(n)]
        attributes = attributes.iloc[:int(n)] if attributes is not None else None
    n = len(images)
    out = {"extractor": ext.name, "extractor_sha256": ext.sha256, "n_eval_images": n,
           "eval_images_sha256": array_checksum(images), "bn_mode_at_scoring": bn_mode()}
    if note:
        out["extractor_note"] = note
    if ext.name == "inception":
        out["extractor_note"] = getattr(ext, "label", None)
    warn_list = []
    if n < 2 * ext.feature_dim:
        warn_list.append(f"few images: {n} held-out images for {ext.feature_dim}-d features (fewer than "
                         f"2 x D = {2 * ext.feature_dim}); FIDs are poorly determined, compare only at equal n")
    recon = inference.reconstruct(vae, images, ctx=ctx)
    samples = inference.sample_prior(vae, n, seed=seed + 3, image=images[:1], ctx=ctx)
    out.update(score_images(ext, images, recon, samples, train_mean, seed, kid_subsets, kid_subset_size,
                            n_resamples))
    if "attr_acc_recon" in out:
        per = _arith(vae, images, attributes, ext, ctx) if attributes is not None else {}
        out["arith_success"] = float(np.mean(list(per.values()))) if per else None
        out["arith_success_per_attr"] = per
    out["eval_warnings"] = warn_list
    return out


def add_scores(m, vae, val, config, train_images=None, seed=0, ctx=None, extractor=None, n=None,
               n_resamples=BOOTSTRAP_RESAMPLES):
    """Add the feature-space scores and the ``warnings`` list to a metrics dict ``m`` (in place).

    ``val`` is the held-out ImageSet (or an image array); ``train_images`` give the mean image for
    ``fid_mean_image`` (without them the held-out mean is used and ``fid_mean_image_note`` says so).
    Returns ``m``. An extractor that cannot be loaded (no local Inception weights) becomes a warning.
    ``n_resamples``: the FID intervals' bootstrap (0 skips them). The blur ratios come from ``m``'s own
    ``blur_*`` (:func:`blur_ratios`), with or without an extractor.
    """
    images = np.asarray(getattr(val, "images", val), np.float32)
    name, note = choose_extractor(config, extractor)
    for k in SCORE_KEYS:   # re-scoring: no stale numbers from another extractor survive
        m.pop(k, None)
    extra = []
    if name is not None:
        try:
            ext = get(name)
        except (FileNotFoundError, ImportError, ValueError) as err:
            ext = None
            extra.append(f"no feature-space scores: {err}")
        if ext is not None:
            if train_images is not None:
                mean = np.asarray(getattr(train_images, "images", train_images), np.float32).mean(axis=0)
            else:
                mean = images.mean(axis=0)
                m["fid_mean_image_note"] = "mean of the held-out images (training images not given)"
            try:
                s = score_run(vae, images, mean, ext, attributes=getattr(val, "attributes", None), n=n,
                              seed=seed, ctx=ctx, note=note, n_resamples=n_resamples)
            except ValueError as err:   # e.g. images of the wrong shape for the chosen extractor
                extra.append(f"no feature-space scores: {err}")
            else:
                extra += s.pop("eval_warnings")
                m.update(s)
    elif note:
        m["extractor"] = None
        m["extractor_note"] = note
    for k in BLUR_RATIO_KEYS:
        m.pop(k, None)
    m.update(blur_ratios(m))
    m["warnings"] = extra + collapse_warnings(m)
    return m


AT_SWITCH_KEYS = ("fid_recon", "fid_mean_image", "attr_acc_recon", "extractor")


def add_switch_scores(m, switch_params, final_params, vae, val, config, train_images=None, seed=0, ctx=None, n=None,
                      extractor=None):
    """``m["at_switch"]``: the feature-space scores (:data:`AT_SWITCH_KEYS`) of the VAE the trainer kept
    at the solo -> combo switch (the weights file ``switch_params``; the claims bar of a reference trained
    with a discriminator reads them), scored like the final VAE. ``vae`` holds the final weights
    (``final_params``) and gets them back afterwards. Returns ``m``."""
    ctxs = ctx if isinstance(ctx, (list, tuple)) else [ctx]
    s = {}
    vae.load_parameters(switch_params, ctx=ctxs)
    try:
        add_scores(s, vae, val, config, train_images=train_images, seed=seed, ctx=ctxs[0], n=n,
                   extractor=extractor, n_resamples=0)   # AT_SWITCH_KEYS keep no interval: no bootstrap
    finally:
        vae.load_parameters(final_params, ctx=ctxs)
    m["at_switch"] = {"epoch": int((config.get("train") or {}).get("n_solo_epochs", 0)),
                      **{k: s[k] for k in AT_SWITCH_KEYS if k in s}}
    return m
