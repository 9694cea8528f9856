"""Scores in a feature space: pure numpy / scipy functions of ``(N, D)`` feature matrices (float64).

=================  ======================================================================================
function           definition
=================  ======================================================================================
:func:`fid`        Fréchet distance (:func:`frechet_distance`) of Gaussians fitted to two feature sets
:func:`kid`        unbiased MMD^2 with the cubic polynomial kernel ``k(x, y) = (x.y / D + 1)^3``, averaged
                   over ``n_subsets`` random subsets of ``subset_size`` from each set (Binkowski et al.
                   2018); returns ``(mean, sd)`` over subsets
:func:`precision_recall`  Kynkäänniemi et al. 2019: a real (fake) feature's k-NN radius (k = 3, itself
                   excluded) defines a ball; precision = share of fakes inside some real ball, recall =
                   share of reals inside some fake ball
:func:`mode_coverage`  class histogram of predicted labels, ``n_covered`` = classes holding at least half
                   their fair share (``>= 0.5 / n_classes``), ``kl_to_uniform`` = KL(shares || uniform)
:func:`fid_bootstrap`  ``(lo, hi, shift)``: a 90 % bootstrap interval of :func:`fid` over resampled images
:func:`paired_distances`  per row ``i``: Euclidean ``|a_i - b_i|`` (image ``i`` vs its own reconstruction)
:func:`summarise`  ``{"mean", "sd", "n", "median"}`` of a per-image vector
:func:`psnr_per_image`  (pixels, not features) ``10 log10(1 / MSE_i)`` of each image pair on the [0, 1] scale
=================  ======================================================================================

Randomness (KID subsets, halves, bootstrap resamples) comes from ``numpy.random.RandomState(seed)``. With
fewer feature vectors than ``2 * D`` a covariance is rank-deficient: :func:`fid` warns with the counts
(:class:`FewSamplesWarning`). All values are **for monitoring purposes**: comparable only between runs
scored with the same extractor.
"""
import warnings

import numpy as np

__all__ = ["FewSamplesWarning", "fid", "frechet_distance", "mean_cov", "kid", "precision_recall", "mode_coverage",
           "check_features",
           "pairwise_sq_distances", "kth_nn_radii", "fid_bootstrap", "fid_bootstrap_values", "bootstrap_interval",
           "paired_distances", "summarise", "psnr_per_image"]


class FewSamplesWarning(UserWarning):
    """Fewer feature vectors than ``2 * D``: the covariance (and the FID) is poorly determined."""


def check_features(a, name="features", min_n=2):
    a = np.asarray(a, dtype=np.float64)
    if a.ndim != 2 or len(a) < min_n:
        raise ValueError(f"{name} must be (N, D) with N >= {min_n}; got shape {a.shape}")
    return a


def _pair(a, b):
    a, b = check_features(a, "features a"), check_features(b, "features b")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"feature dimensions differ: a {a.shape} vs b {b.shape}; score both with the "
                         "same extractor")
    return a, b


def mean_cov(feats):
    """Mean ``(D,)`` and covariance ``(D, D)`` (float64) of ``(N, D)`` features, ``N >= 2``."""
    feats = check_features(feats)
    d = feats.shape[1]
    return feats.mean(axis=0), np.cov(feats, rowvar=False).reshape(d, d)


def frechet_distance(mu_a, sigma_a, mu_b, sigma_b, eps=1e-6):
    """Fréchet distance between N(mu_a, sigma_a) and N(mu_b, sigma_b).

    ``|mu_a - mu_b|^2 + Tr(sigma_a + sigma_b - 2 (sigma_a sigma_b)^(1/2))``, matrix root by
    ``scipy.linalg.sqrtm``; if that is not finite (singular covariances) ``eps * I`` is added to both.
    """
    from scipy import linalg
    mu_a, mu_b = np.atleast_1d(mu_a).astype(np.float64), np.atleast_1d(mu_b).astype(np.float64)
    sigma_a, sigma_b = np.atleast_2d(sigma_a).astype(np.float64), np.atleast_2d(sigma_b).astype(np.float64)
    if mu_a.shape != mu_b.shape or sigma_a.shape != sigma_b.shape:
        raise ValueError(f"feature dimensions differ: mu {mu_a.shape} vs {mu_b.shape}, "
                         f"sigma {sigma_a.shape} vs {sigma_b.shape}; use the same extractor for both")
    diff = mu_a - mu_b
    covmean = linalg.sqrtm(sigma_a.dot(sigma_b))
    if not np.isfinite(covmean).all():
        offset = np.eye(len(sigma_a)) * eps
        covmean = linalg.sqrtm((sigma_a + offset).dot(sigma_b + offset))
    covmean = np.real(covmean)  # tiny imaginary parts are numerical noise
    return float(diff.dot(diff) + np.trace(sigma_a) + np.trace(sigma_b) - 2.0 * np.trace(covmean))


def fid(a, b, warn=True):
    """Fréchet distance between Gaussians fitted to ``(N, D)`` features ``a`` and ``(M, D)`` ``b``."""
    a, b = _pair(a, b)
    d = a.shape[1]
    if warn and min(len(a), len(b)) < 2 * d:
        warnings.warn(f"FID from {len(a)} and {len(b)} feature vectors of dimension {d}: fewer than "
                      f"2 x D = {2 * d}, the covariance is poorly determined (score more images)",
                      FewSamplesWarning, stacklevel=2)
    return frechet_distance(*mean_cov(a), *mean_cov(b))


def _mmd2_unbiased(x, y):
    d = x.shape[1]
    kxx = (x @ x.T / d + 1) ** 3
    kyy = (y @ y.T / d + 1) ** 3
    kxy = (x @ y.T / d + 1) ** 3
    m, n = len(x), len(y)
    return ((kxx.sum() - np.trace(kxx)) / (m * (m - 1)) + (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
            - 2 * kxy.mean())


def kid(a, b, n_subsets=50, subset_size=1000, seed=0):
    """Unbiased KID of feature sets ``a`` and ``b``: ``(mean, sd)`` over ``n_subsets`` subsets.

    Each subset draws ``m = min(subset_size, max(2, min(len(a), len(b)) // 2))`` rows of each set without
    replacement (at most half of the smaller set, so that subsets differ and the sd means something).
    The sd is over subsets (it is the spread of the estimate from one subset, not the standard error).
    """
    a, b = _pair(a, b)
    m = int(min(subset_size, max(2, min(len(a), len(b)) // 2)))
    if m < 2:
        raise ValueError(f"KID needs at least 2 feature vectors in each set; got {len(a)} and {len(b)}")
    rng = np.random.RandomState(seed)
    vals = np.array([_mmd2_unbiased(a[rng.choice(len(a), m, replace=False)],
                                    b[rng.choice(len(b), m, replace=False)]) for _ in range(int(n_subsets))])
    return float(vals.mean()), float(vals.std(ddof=1)) if len(vals) > 1 else 0.0


def pairwise_sq_distances(x, y):
    """``(len(x), len(y))`` squared Euclidean distances (float64, clipped at 0)."""
    d = (x * x).sum(1)[:, None] + (y * y).sum(1)[None, :] - 2.0 * (x @ y.T)
    return np.maximum(d, 0.0, out=d)


def kth_nn_radii(x, k=3, batch=2000):
    """Squared distance of each row of ``x`` to its ``k``-th nearest other row."""
    if len(x) <= k:
        raise ValueError(f"k-NN radii need more than k = {k} feature vectors; got {len(x)}")
    out = np.empty(len(x))
    for s in range(0, len(x), batch):
        d = pairwise_sq_distances(x[s:s + batch], x)
        out[s:s + batch] = np.partition(d, k, axis=1)[:, k]  # index 0 is the row itself (distance 0)
    return out


def _inside_any_ball(points, centres, radii, batch=2000):
    inside = np.zeros(len(points), bool)
    for s in range(0, len(points), batch):
        d = pairwise_sq_distances(points[s:s + batch], centres)
        inside[s:s + batch] = (d <= radii[None, :]).any(axis=1)
    return inside


def precision_recall(real, fake, k=3):
    """Improved precision and recall (Kynkäänniemi et al. 2019) of ``fake`` features against ``real``.

    Returns ``(precision, recall)``: the share of fakes inside the real k-NN manifold and the share of
    reals inside the fake one.
    """
    real, fake = _pair(real, fake)
    precision = float(_inside_any_ball(fake, real, kth_nn_radii(real, k)).mean())
    recall = float(_inside_any_ball(real, fake, kth_nn_radii(fake, k)).mean())
    return precision, recall


def mode_coverage(predictions, n_classes, min_share=None):
    """``{"shares", "n_covered", "n_classes", "max_share", "kl_to_uniform"}`` of predicted class labels.

    A class is covered when its share is at least ``min_share`` (default half the uniform share,
    ``0.5 / n_classes``). ``kl_to_uniform`` = KL(shares || uniform) in nats (0 = perfectly even,
    ``log n_classes`` = one class).
    """
    pred = np.asarray(predictions, np.int64).reshape(-1)
    if len(pred) == 0:
        raise ValueError("mode_coverage needs at least one prediction")
    shares = np.bincount(pred, minlength=n_classes)[:n_classes] / len(pred)
    min_share = 0.5 / n_classes if min_share is None else float(min_share)
    nz = shares[shares > 0]
    return {"shares": [round(float(s), 4) for s in shares], "n_covered": int((shares >= min_share).sum()),
            "n_classes": int(n_classes), "max_share": float(shares.max()),
            "kl_to_uniform": float((nz * np.log(nz * n_classes)).sum())}


# ------------------------------------------------------------------------ the second view: pairs
def paired_distances(a, b):
    """Per row ``i``: the Euclidean distance ``|a_i - b_i|`` of two ``(N, D)`` feature matrices whose rows
    belong together (``a_i = f(x_i)``, ``b_i = f(x̂_i)``, x̂_i the reconstruction of x_i) -> ``(N,)``.

    Why Euclidean and not cosine: it is the geometry of the FID itself. The FID is the squared
    2-Wasserstein distance of Gaussians fitted to the two sets, i.e. the *least* mean squared Euclidean
    distance over every way of pairing the two sets; ``mean(paired_distances(a, b) ** 2)`` is the same
    quantity for the one pairing that matters (each image with its own reconstruction), so in the same
    units and never below it (``>= fid(a, b) * (N - 1) / N``: ``np.cov`` divides by ``N - 1``). A
    reconstruction that is *a* plausible face but not *this* face is cheap for the FID and expensive here;
    permuting the reconstructions across images leaves the FID unchanged and raises this. Cosine would
    drop the feature norm, which the FID (and the extractor's heads) do read.
    """
    a, b = _pair(a, b)
    if len(a) != len(b):
        raise ValueError(f"paired distances need one row per image in both: {a.shape} vs {b.shape}")
    return np.sqrt(((a - b) ** 2).sum(axis=1))


def summarise(v):
    """``{"mean", "sd", "n", "median"}`` of a per-image vector (``sd`` with ``ddof=1``; 0.0 for one value):
    the summary a board compares between two runs scored on the same images."""
    v = np.asarray(v, np.float64).reshape(-1)
    if len(v) == 0:
        raise ValueError("summarise needs at least one value")
    return {"mean": float(v.mean()), "sd": float(v.std(ddof=1)) if len(v) > 1 else 0.0, "n": int(len(v)),
            "median": float(np.median(v))}


PSNR_MSE_FLOOR = 1e-10   # an exact reconstruction scores 10 log10(1 / 1e-10) = 100 dB, not infinity


def psnr_per_image(x, y, max_value=1.0):
    """Peak signal-to-noise ratio of each image pair, numpy only: ``10 log10(max_value^2 / MSE_i)`` dB,
    ``MSE_i`` the mean squared pixel difference of image ``i`` (all channels), floored at
    :data:`PSNR_MSE_FLOOR`. ``x``, ``y``: ``(N, ...)`` arrays on the ``[0, max_value]`` scale -> ``(N,)``.

    The mean of this vector (the usual "mean PSNR") is not ``10 log10(1 / recon_mse)``: the log is taken
    per image before averaging.
    """
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    if x.shape != y.shape or x.ndim < 2 or len(x) == 0:
        raise ValueError(f"PSNR needs two non-empty (N, ...) arrays of one shape; got {x.shape} and {y.shape}")
    mse = ((x - y) ** 2).reshape(len(x), -1).mean(axis=1)
    return 10.0 * np.log10(float(max_value) ** 2 / np.maximum(mse, PSNR_MSE_FLOOR))


#: SSIM's settings (Wang et al. 2004, as scikit-image's ``structural_similarity`` documents for matching their
#: implementation): an 11x11 Gaussian window of sigma 1.5, K1 = 0.01, K2 = 0.03, population covariances.
SSIM_SIGMA, SSIM_K1, SSIM_K2 = 1.5, 0.01, 0.03


def ssim_per_image(x, y, data_range=1.0):
    """Structural similarity (Wang et al. 2004) of each image pair: ``(N, C, H, W)`` arrays on the
    ``[0, data_range]`` scale -> ``(N,)`` (the mean SSIM map over pixels and channels).

    scikit-image's ``skimage.metrics.structural_similarity`` (``gaussian_weights=True, sigma=1.5,
    use_sample_covariance=False``: the paper's settings; scikit-image 0.24 installs with numpy 1.23.5 under
    constraints.txt); without scikit-image, :func:`_ssim_gaussian` computes the same with scipy's Gaussian
    filter (tests/test_adaptive_metrics.py checks the two agree)."""
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    if x.shape != y.shape or x.ndim != 4 or len(x) == 0:
        raise ValueError(f"SSIM needs two non-empty (N, C, H, W) arrays of one shape; got {x.shape} and {y.shape}")
    try:
        from skimage.metrics import structural_similarity
    except ImportError:
        return np.array([_ssim_gaussian(a, b, data_range) for a, b in zip(x, y)])
    return np.array([structural_similarity(a, b, data_range=data_range, channel_axis=0, gaussian_weights=True,
                                           sigma=SSIM_SIGMA, use_sample_covariance=False) for a, b in zip(x, y)])


def _ssim_gaussian(a, b, data_range=1.0):
    """SSIM of one ``(C, H, W)`` pair with the Gaussian window (truncated at 3.5 sigma: 11x11), per channel,
    the map averaged over the pixels at least 5 from the border (as scikit-image crops), then over channels."""
    from scipy.ndimage import gaussian_filter
    c1, c2 = (SSIM_K1 * data_range) ** 2, (SSIM_K2 * data_range) ** 2
    pad = int(3.5 * SSIM_SIGMA + 0.5)
    out = []
    for u, v in zip(a, b):
        f = lambda t: gaussian_filter(t, SSIM_SIGMA, truncate=3.5)  # noqa: E731
        mu_u, mu_v = f(u), f(v)
        vu, vv, cuv = f(u * u) - mu_u ** 2, f(v * v) - mu_v ** 2, f(u * v) - mu_u * mu_v
        m = ((2 * mu_u * mu_v + c1) * (2 * cuv + c2)) / ((mu_u ** 2 + mu_v ** 2 + c1) * (vu + vv + c2))
        out.append(m[pad:-pad, pad:-pad].mean())
    return float(np.mean(out))


# --------------------------------------------------------------- the second view: FID intervals
def _moments(x, idx=None):
    """Mean and ``ddof=1`` covariance (as ``np.cov``) of the rows ``x[idx]`` (all rows without ``idx``)."""
    x = x if idx is None else x[idx]
    mu = x.mean(axis=0)
    xc = x - mu
    return mu, (xc.T @ xc) / (len(x) - 1)


def _frechet_eigh(mu_a, sa, mu_b, sb):
    """The Fréchet distance by one symmetric eigenvalue problem (several times faster than ``sqrtm`` at
    D = 128): with ``sa = L L^T``, ``Tr (sa sb)^(1/2) = sum sqrt(eigvalsh(L^T sb L))`` (the same
    eigenvalues as ``sa sb``); ``L`` is the Cholesky factor, or ``U diag(sqrt(s))`` from ``eigh`` when
    ``sa`` is singular (fewer rows than D). Negative round-off eigenvalues are clipped at 0."""
    try:
        root = np.linalg.cholesky(sa)
    except np.linalg.LinAlgError:
        s, u = np.linalg.eigh(sa)
        root = u * np.sqrt(np.clip(s, 0.0, None))
    ev = np.linalg.eigvalsh(root.T @ sb @ root)
    d = mu_a - mu_b
    return float(d @ d + np.trace(sa) + np.trace(sb) - 2.0 * np.sqrt(np.clip(ev, 0.0, None)).sum())


def fid_bootstrap_values(a, b, n_resamples=200, seed=0, paired=False):
    """``(n_resamples,)`` FIDs of resampled feature sets (the raw bootstrap distribution; see
    :func:`fid_bootstrap`).

    Each resample draws ``len(a)`` rows of ``a`` and ``len(b)`` rows of ``b`` with replacement from
    ``numpy.random.RandomState(seed)`` and recomputes the FID by :func:`_frechet_eigh` (equal to
    :func:`fid` to round-off). ``paired=True`` (row ``i`` of ``a`` and of ``b`` come from the same image,
    as reconstructions and their originals do) draws one index vector for both, so the unit resampled is
    a held-out image; otherwise the two sets are drawn independently (prior samples vs held-out images).
    """
    a, b = _pair(a, b)
    if paired and len(a) != len(b):
        raise ValueError(f"a paired bootstrap needs one row per image in both: {a.shape} vs {b.shape}")
    # a feature constant in both sets (a dead ReLU: 72 of the faces extractor's 128 on a medium run's 640
    # held-out faces and their reconstructions) stays constant in every resample and adds only its fixed
    # squared mean difference: dropped, exactly (and each resample is ~3x cheaper)
    live = (np.ptp(a, axis=0) > 0) | (np.ptp(b, axis=0) > 0)
    dead = float(((a[0, ~live] - b[0, ~live]) ** 2).sum())
    a, b = a[:, live], b[:, live]
    rng = np.random.RandomState(seed)
    vals = np.empty(int(n_resamples))
    with _one_blas_thread():
        for i in range(len(vals)):
            ia = rng.randint(0, len(a), len(a))
            ib = ia if paired else rng.randint(0, len(b), len(b))
            vals[i] = dead + _frechet_eigh(*_moments(a, ia), *_moments(b, ib))
    return vals


def _one_blas_thread():
    """One BLAS thread for many small (<= 128 x 128) products: faster than two that fight the MXNet threads
    (measured: 1.07 s instead of 1.5 s for 200 resamples, 640 x 128, on 2 busy cores). A no-op without
    threadpoolctl (not a dependency; scikit-learn brings it)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        import contextlib
        return contextlib.nullcontext()
    return threadpool_limits(1, user_api="blas")


def bootstrap_interval(point, values, level=0.9):
    """``(lo, hi)``: the ``(1 - level) / 2`` and ``(1 + level) / 2`` quantiles of ``values - median(values)``
    added to ``point`` -- the bootstrap spread, centred on the estimate (so ``lo <= point <= hi``)."""
    values = np.asarray(values, np.float64)
    q = (1.0 - float(level)) / 2.0
    lo, hi = np.quantile(values, [q, 1.0 - q]) - np.median(values)
    return float(point + lo), float(point + hi)


def fid_bootstrap(a, b, n_resamples=200, seed=0, paired=False, level=0.9, point=None):
    """A ``level`` (90 %) bootstrap interval ``(lo, hi)`` of :func:`fid` ``(a, b)`` over resampled images,
    plus the bootstrap's shift: ``(lo, hi, shift)``.

    Resampling: :func:`fid_bootstrap_values` (``paired`` for reconstructions vs their originals). The
    interval is the spread of the resampled FIDs (their ``(1 -+ level) / 2`` quantiles minus their median)
    centred on the estimate ``point`` (computed when not given): how much the FID moves with which
    ``n`` images happened to be scored. It is centred because a FID from ``n`` rows is biased upward
    (``fid_data`` is that bias at ``n / 2``) and a resample, with its duplicate rows, adds about as much
    again: the raw percentile interval sits above the estimate, by more than its own width when the FID is
    small (128-d features ``a`` and ``b = a + N(0, 4)`` noise, n = 640: estimate 145, raw 90 % interval
    171 to 178). ``shift`` = median(resampled) - estimate reports that bias. Compare two runs' FIDs with
    these only at equal ``n``.
    """
    if point is None:
        point = fid(a, b, warn=False)
    vals = fid_bootstrap_values(a, b, n_resamples, seed, paired)
    lo, hi = bootstrap_interval(point, vals, level)
    return lo, hi, float(np.median(vals) - point)
