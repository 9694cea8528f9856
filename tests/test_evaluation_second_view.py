"""The second view of every FID claim (vaegan_gluon.evaluation): paired feature distance, PSNR, FID sample
counts and bootstrap intervals, blur relative to the data, the scored images' digest and BatchNorm mode."""
import json
import os

import numpy as np
import pytest

from vaegan_gluon.evaluation import scores
from vaegan_gluon.evaluation.scoring import BLUR_RATIO_KEYS, SECOND_VIEW_KEYS, score_images


def _corr(n=400, d=16, noise=0.5, seed=0):
    rng = np.random.RandomState(seed)
    a = rng.standard_normal((n, d)) @ rng.standard_normal((d, d))
    return a, a + noise * rng.standard_normal((n, d))


# ------------------------------------------------------------------------------------------- paired
def test_paired_distance_zero_on_identity_and_grows_under_permutation_where_fid_does_not():
    a, b = _corr()
    assert scores.paired_distances(a, a).max() == 0.0
    perm = np.random.RandomState(1).permutation(len(b))
    d, d_perm = scores.paired_distances(a, b), scores.paired_distances(a, b[perm])
    assert d_perm.mean() > 3 * d.mean(), (d.mean(), d_perm.mean())
    # the FID only sees the two sets: the same number whichever reconstruction sits with which image
    assert scores.fid(b[perm], a) == pytest.approx(scores.fid(b, a), rel=1e-9)


def test_paired_mean_square_never_below_the_fid():
    """FID = least mean squared distance over pairings (of the Gaussian fits); the true pairing costs more."""
    for noise in (0.1, 1.0, 5.0):
        a, b = _corr(noise=noise, seed=int(noise * 10))
        n = len(a)
        msq = np.mean(scores.paired_distances(a, b) ** 2)
        assert msq >= scores.fid(b, a, warn=False) * (n - 1) / n - 1e-6


def test_paired_distances_refuse_unpaired_sets():
    with pytest.raises(ValueError, match="one row per image"):
        scores.paired_distances(np.zeros((5, 3)), np.zeros((6, 3)))


def test_summarise():
    s = scores.summarise([1.0, 2.0, 6.0])
    assert s == {"mean": 3.0, "sd": pytest.approx(np.std([1, 2, 6], ddof=1)), "n": 3, "median": 2.0}


def test_score_images_pairs_each_face_with_its_own_reconstruction():
    """Through the shipped faces extractor: reconstructions = the images score paired distance 0 and PSNR
    100 dB (the MSE floor); the same images shuffled keep the FID at the identity's and do not."""
    from vaegan_gluon.data import load
    from vaegan_gluon.evaluation import get_extractor
    x = load("synthetic-faces", split="test", n=400, size=32).images[:64]
    ext = get_extractor("faces")
    same = score_images(ext, x, x, x, x.mean(0), n_resamples=20)
    assert same["paired_feature_dist"]["mean"] == pytest.approx(0.0, abs=1e-5)
    assert same["psnr_recon"] == pytest.approx(100.0)
    shuffled = score_images(ext, x, x[np.random.RandomState(0).permutation(len(x))], x, x.mean(0), n_resamples=20)
    assert shuffled["fid_recon"] == pytest.approx(same["fid_recon"], abs=1e-3)
    assert shuffled["paired_feature_dist"]["mean"] > 1.0
    assert shuffled["psnr_recon"] < 30
    assert shuffled["paired_feature_dist"]["n"] == shuffled["fid_recon_n"] == 64


# --------------------------------------------------------------------------------------------- PSNR
def test_psnr_matches_the_formula():
    rng = np.random.RandomState(0)
    x = rng.uniform(0.2, 0.8, (50, 3, 16, 16))
    np.testing.assert_allclose(scores.psnr_per_image(x, x + 0.1), 20.0)       # MSE 0.01 -> 20 dB exactly
    sigma = 0.05
    y = x + sigma * rng.standard_normal(x.shape)
    mse = ((x - y) ** 2).reshape(50, -1).mean(1)
    np.testing.assert_allclose(scores.psnr_per_image(x, y), 10 * np.log10(1 / mse))
    assert scores.psnr_per_image(x, y).mean() == pytest.approx(10 * np.log10(1 / sigma ** 2), abs=0.1)
    assert scores.psnr_per_image(x, x).max() == pytest.approx(100.0)           # floored MSE, not inf
    assert scores.psnr_per_image(x * 255, (x + 0.1) * 255, max_value=255).mean() == pytest.approx(20.0)


# ------------------------------------------------------------------------------------- FID intervals
def test_fast_frechet_equals_the_sqrtm_fid_even_when_singular():
    for n in (400, 10):   # 10 rows in 16-d: singular covariances, the eigh fallback
        a, b = _corr(n=n, noise=2.0)
        fast = scores._frechet_eigh(*scores._moments(a), *scores._moments(b))
        assert fast == pytest.approx(scores.fid(a, b, warn=False), rel=1e-6, abs=1e-6)


@pytest.mark.parametrize("paired", [True, False])
def test_bootstrap_values_are_fids_of_the_resampled_rows(paired):
    """Each resampled FID is scipy's FID of the resampled rows, with constant (dead ReLU) features dropped
    exactly, in the paired case one index vector for both sets."""
    a, b = _corr(n=120, d=12, noise=1.0)
    a[:, :4], b[:, :3] = 0.0, 0.5          # 3 features constant in both (dropped), one constant in a only
    vals = scores.fid_bootstrap_values(a, b, n_resamples=5, seed=3, paired=paired)
    rng = np.random.RandomState(3)
    for v in vals:
        ia = rng.randint(0, len(a), len(a))
        ib = ia if paired else rng.randint(0, len(b), len(b))
        assert v == pytest.approx(scores.fid(a[ia], b[ib], warn=False), rel=1e-6)


def test_bootstrap_interval_holds_the_estimate_is_seeded_and_has_the_right_width():
    a, b = _corr(n=300, d=8, noise=1.0)
    point = scores.fid(b, a)
    lo, hi, shift = scores.fid_bootstrap(b, a, n_resamples=200, seed=0, paired=True, point=point)
    assert lo < point < hi
    assert scores.fid_bootstrap(b, a, n_resamples=200, seed=0, paired=True) == (lo, hi, shift)
    assert scores.fid_bootstrap(b, a, n_resamples=200, seed=1, paired=True) != (lo, hi, shift)
    # unpaired: the interval's width is the spread of the FID over fresh draws of the two sets
    rng = np.random.RandomState(5)
    draw = lambda: (rng.standard_normal((300, 8)), rng.standard_normal((300, 8)) + 0.5)  # noqa: E731
    fresh = [scores.fid(*draw()) for _ in range(60)]
    spread = np.quantile(fresh, 0.95) - np.quantile(fresh, 0.05)
    x, y = draw()
    lo, hi, shift = scores.fid_bootstrap(x, y, n_resamples=200, seed=0)
    assert 0.5 < (hi - lo) / spread < 2.0, (hi - lo, spread)
    assert shift > 0   # resampling duplicates rows: the FID's small-n bias, reported, not in the interval


# ------------------------------------------------------------------------------------------ a run
def _metrics(run_dir):
    with open(os.path.join(run_dir, "metrics.json")) as f:
        return json.load(f)


@pytest.fixture(scope="module")
def faces_run(tmp_path_factory):
    from vaegan_gluon.experiments import run_experiment
    return run_experiment("faces-ae", "quick", results_root=str(tmp_path_factory.mktemp("runs")), progress=False)


def test_quick_run_writes_the_second_view(faces_run):
    from vaegan_gluon.data.imageset import array_checksum
    m = _metrics(faces_run.run_dir)
    missing = [k for k in SECOND_VIEW_KEYS + BLUR_RATIO_KEYS if k not in m]
    assert not missing, missing
    n = m["n_eval_images"]
    assert m["fid_recon_n"] == m["fid_samples_n"] == m["paired_feature_dist"]["n"] == n
    assert m["fid_data_n"] == n // 2
    for key in ("fid_recon", "fid_samples"):
        lo, hi = m[key + "_ci90"]
        assert lo <= m[key] <= hi
    pd = m["paired_feature_dist"]
    assert set(pd) == {"mean", "sd", "n", "median", "mean_sq"} and pd["mean"] > 0
    assert pd["mean_sq"] >= m["fid_recon"] * (n - 1) / n - 1e-6
    assert 5 < m["psnr_recon"] < 60
    assert m["blur_recon_over_data"] == pytest.approx(m["blur_recon"] / m["blur_data"])
    assert m["blur_samples_over_data"] == pytest.approx(m["blur_samples"] / m["blur_data"])
    from vaegan_gluon.experiments.runner import load_data
    with open(os.path.join(faces_run.run_dir, "config.json")) as f:
        cfg = json.load(f)
    val = load_data(cfg)[1]
    assert m["eval_images_sha256"] == array_checksum(val.images[:n])
    assert not os.path.exists(os.path.join(faces_run.run_dir, "paired_feature_dist.npy"))


def test_scoring_reads_running_statistics(faces_run):
    """bn_mode_at_scoring says "running statistics", and it is true: a face reconstructed alone is the face
    reconstructed among others (batch statistics would make it depend on the batch)."""
    from vaegan_gluon import inference
    from vaegan_gluon.experiments.runner import load_data
    m = _metrics(faces_run.run_dir)
    assert m["bn_mode_at_scoring"] == "running statistics"
    with open(os.path.join(faces_run.run_dir, "config.json")) as f:
        x = load_data(json.load(f))[1].images[:16]
    vae = faces_run.trainer.vae
    np.testing.assert_allclose(inference.reconstruct(vae, x[:1]), inference.reconstruct(vae, x)[:1], atol=1e-5)
    from mxnet import autograd
    with autograd.train_mode():
        from vaegan_gluon.evaluation.scoring import bn_mode
        assert bn_mode() == "batch statistics"


def test_vaegan_evaluate_rescoring_is_deterministic_and_writes_the_new_keys(faces_run):
    from vaegan_gluon.cli import main
    first = _metrics(faces_run.run_dir)
    assert main(["evaluate", faces_run.run_dir]) == 0
    a = _metrics(faces_run.run_dir)
    assert main(["evaluate", faces_run.run_dir]) == 0
    b = _metrics(faces_run.run_dir)
    keys = SECOND_VIEW_KEYS + BLUR_RATIO_KEYS + ("fid_recon", "fid_samples")
    assert {k: a[k] for k in keys} == {k: b[k] for k in keys}
    assert a["eval_images_sha256"] == first["eval_images_sha256"]
    assert a["paired_feature_dist"]["mean"] == pytest.approx(first["paired_feature_dist"]["mean"], rel=1e-4)
    assert main(["evaluate", faces_run.run_dir, "--n", "20"]) == 0
    c = _metrics(faces_run.run_dir)
    assert c["fid_recon_n"] == c["paired_feature_dist"]["n"] == 20
    assert c["eval_images_sha256"] != a["eval_images_sha256"]
