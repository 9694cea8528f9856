"""Issue 33 (Adaptive weight), item 4: SSIM and the importance-weighted bound in metrics.json."""
import numpy as np
import pytest

import vaegan_gluon  # noqa: F401
import mxnet as mx
from mxnet import nd

from vaegan_gluon.evaluation import metrics as M
from vaegan_gluon.evaluation import scores
from vaegan_gluon.evaluation.scoring import SECOND_VIEW_KEYS
from vaegan_gluon.models import get_model


def _pair():
    rs = np.random.RandomState(0)
    x = rs.rand(3, 3, 32, 32)
    return x, np.clip(x + 0.1 * rs.randn(*x.shape), 0, 1)


def test_ssim_is_scikit_image_with_the_papers_settings():
    skimage_metrics = pytest.importorskip("skimage.metrics")
    from skimage import data, transform
    cam = transform.resize(data.camera().astype(np.float64) / 255, (64, 64), anti_aliasing=True)
    noisy = np.clip(cam + 0.05 * np.random.RandomState(1).randn(*cam.shape), 0, 1)
    want = skimage_metrics.structural_similarity(cam, noisy, data_range=1.0, gaussian_weights=True, sigma=1.5,
                                                 use_sample_covariance=False)
    got = scores.ssim_per_image(cam[None, None], noisy[None, None])
    assert got[0] == pytest.approx(want, abs=1e-12)
    assert 0.3 < want < 0.95


def test_the_numpy_fallback_agrees_with_scikit_image():
    pytest.importorskip("skimage")
    x, y = _pair()
    np.testing.assert_allclose([scores._ssim_gaussian(a, b) for a, b in zip(x, y)], scores.ssim_per_image(x, y),
                               rtol=1e-9)


def test_ssim_of_an_image_with_itself_is_one_and_shuffling_lowers_it():
    x, y = _pair()
    np.testing.assert_allclose(scores.ssim_per_image(x, x), 1.0)
    assert scores.ssim_per_image(x, y[::-1]).mean() < scores.ssim_per_image(x, y).mean()
    assert "ssim_recon" in SECOND_VIEW_KEYS


def _vae():
    vae = get_model("DenseVAE", n_latent=2, n_hidden_layers=1, n_hidden_units=16, image_shape=(1, 28, 28))
    vae.initialize(mx.init.Xavier())
    return vae


def test_iwae_with_one_sample_is_the_one_sample_estimate_computed_by_hand():
    vae, x = _vae(), np.random.RandomState(2).rand(5, 1, 28, 28).astype("float32")
    got = M.iwae_bound(vae, x, k=1, seed=4)
    mu, logvar = (a.asnumpy() for a in vae.encode(nd.array(x)))
    eps = np.random.RandomState(4 + 2).standard_normal((5, 1, 2))[:, 0]
    z = mu + np.exp(0.5 * logvar) * eps
    logits = vae.decode(nd.array(z)).asnumpy().reshape(5, -1)
    t = x.reshape(5, -1)
    bce = (np.maximum(logits, 0) - logits * t + np.log1p(np.exp(-np.abs(logits)))).sum(axis=1)
    log_pq = 0.5 * (-z ** 2 + eps ** 2 + logvar).sum(axis=1)
    assert got == pytest.approx(float(np.mean(bce - log_pq)), rel=1e-5)


def test_iwae_is_tighter_than_the_elbo_and_independent_of_the_batching():
    vae, x = _vae(), np.random.RandomState(2).rand(12, 1, 28, 28).astype("float32")
    b100 = M.iwae_bound(vae, x, k=100, seed=0)
    assert b100 == pytest.approx(M.iwae_bound(vae, x, k=100, seed=0, decodes_per_batch=300), rel=1e-6)
    one = np.mean([M.iwae_bound(vae, x, k=1, seed=s) for s in range(20)])
    assert b100 < one                     # -L_100 <= -L_1 (in expectation; by a margin here)
    m = M.evaluate(vae, x, n_samples=0)
    assert m["iwae_k"] == 100 and m["iwae_bound"] < m["neg_elbo"] + 5


def test_iwae_is_none_for_an_autoencoder():
    ae = get_model("AE", n_latent=4, base_channels=4, image_shape=(1, 28, 28))
    ae.initialize(mx.init.Xavier())
    assert M.iwae_bound(ae, np.zeros((2, 1, 28, 28), np.float32)) is None
