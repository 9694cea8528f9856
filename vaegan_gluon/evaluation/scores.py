"""Scores in a feature space: pure numpy / scipy functions of ``(N, D)`` feature matrices (float64).

=================  ======================================================================================
function           definition
=================  ======================================================================================
:func:`fid`        Fréchet distance of Gaussians fitted to two feature sets (``scipy.linalg.sqrtm``)
:func:`kid`        unbiased MMD^2 with the cubic polynomial kernel ``k(x, y) = (x.y / D + 1)^3``, averaged
                   over ``n_subsets`` random subsets of ``subset_size`` from each set (Binkowski et al.
                   2018); returns ``(mean, sd)`` over subsets
:func:`precision_recall`  Kynkäänniemi et al. 2019: a real (fake) feature's k-NN radius (k = 3, itself
                   excluded) defines a ball; precision = share of fakes inside some real ball, recall =
                   share of reals inside some fake ball
:func:`mode_coverage`  class histogram of predicted labels, ``n_covered`` = classes holding at least half
                   their fair share (``>= 0.5 / n_classes``), ``kl_to_uniform`` = KL(shares || uniform)
=================  ======================================================================================

Randomness (KID subsets, halves) comes from ``numpy.random.RandomState(seed)``. With fewer feature
vectors than ``2 * D`` a covariance is rank-deficient: :func:`fid` warns with the counts
(:class:`FewSamplesWarning`). All values are **for monitoring purposes**: comparable only between runs
scored with the same extractor.
"""
import warnings

import numpy as np

from ..metrics import frechet_distance

__all__ = ["FewSamplesWarning", "fid", "kid", "precision_recall", "mode_coverage", "check_features",
           "pairwise_sq_distances", "kth_nn_radii"]


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


def fid(a, b, warn=True):
    """Fréchet distance between Gaussians fitted to ``(N, D)`` features ``a`` and ``(M, D)`` ``b``."""
    a, b = _pair(a, b)
    d = a.shape[1]
    if warn and min(len(a), len(b)) < 2 * d:
        warnings.warn(f"FID from {len(a)} and {len(b)} feature vectors of dimension {d}: fewer than "
                      f"2 x D = {2 * d}, the covariance is poorly determined (score more images)",
                      FewSamplesWarning, stacklevel=2)
    return frechet_distance(a.mean(0), np.cov(a, rowvar=False).reshape(d, d),
                            b.mean(0), np.cov(b, rowvar=False).reshape(d, d))


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
