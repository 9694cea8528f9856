"""vaegan_gluon.inference: the one module that runs a trained VAE (metrics and viz re-use it)."""
import numpy as np
import pandas as pd
import pytest

import vaegan_gluon  # noqa: F401
from vaegan_gluon import inference

try:
    from test_metrics import AffineVAE
except ImportError:  # pragma: no cover
    from .test_metrics import AffineVAE


def _imgs(n=6, seed=0):
    return np.random.RandomState(seed).uniform(0.05, 0.95, (n, 1, 4, 4)).astype(np.float32)


def test_encode_decode_reconstruct_batched():
    vae = AffineVAE(a=1.0, b=0.0)          # identity autoencoder
    x = _imgs(7)
    mu = inference.encode_means(vae, x, batch_size=3)
    np.testing.assert_allclose(mu, x.reshape(7, -1), rtol=1e-6)
    np.testing.assert_allclose(inference.reconstruct(vae, x, batch_size=2), x, rtol=1e-5, atol=1e-6)
    half = AffineVAE(a=0.5, b=0.25)
    np.testing.assert_allclose(inference.decode_images(half, mu), 0.5 * x + 0.25, rtol=1e-5, atol=1e-6)


def test_sample_prior_is_seeded_and_shaped():
    vae = AffineVAE(a=0.1, b=0.5)
    a = inference.sample_prior(vae, 5, seed=3)
    assert a.shape == (5, 1, 4, 4)
    np.testing.assert_array_equal(a, inference.sample_prior(vae, 5, seed=3))
    assert not np.array_equal(a, inference.sample_prior(vae, 5, seed=4))
    z = np.random.RandomState(3).standard_normal((5, 16)).astype(np.float32)
    np.testing.assert_allclose(a, inference.decode_images(vae, z), rtol=1e-6)


def test_interpolate_ends_are_reconstructions_and_midpoint_is_the_mean():
    vae = AffineVAE(a=1.0, b=0.0)
    x = _imgs(2)
    out = inference.interpolate(vae, x[0], x[1], steps=3)
    np.testing.assert_allclose(out[0], x[0], atol=1e-5)
    np.testing.assert_allclose(out[2], x[1], atol=1e-5)
    np.testing.assert_allclose(out[1], (x[0] + x[1]) / 2, atol=1e-5)
    with pytest.raises(ValueError, match="steps must be >= 2"):
        inference.interpolate(vae, x[0], x[1], steps=1)


def test_attribute_vector_and_arithmetic():
    vae = AffineVAE(a=1.0, b=0.0)
    x = _imgs(8)
    table = pd.DataFrame({"smiling": [1, 0] * 4})
    mask = table["smiling"].to_numpy() > 0
    vec = inference.attribute_vector(vae, x, mask)
    np.testing.assert_allclose(vec, x[mask].reshape(4, -1).mean(0) - x[~mask].reshape(4, -1).mean(0), atol=1e-6)
    decoded, base, vector = inference.attribute_arithmetic(vae, x, table, plus={"smiling": 1},
                                                           minus={"smiling": 0}, base={"smiling": 0},
                                                           scales=(0, 1), n_base=2)
    assert decoded.shape == (2, 2, 1, 4, 4)
    np.testing.assert_allclose(decoded[0], base, atol=1e-5)        # scale 0: the reconstruction
    np.testing.assert_allclose(decoded[1], np.clip(base + vector.reshape(1, 4, 4), 1e-6, 1 - 1e-6), atol=1e-5)


def test_attribute_arithmetic_with_celeba_style_table():
    vae = AffineVAE((1, 2, 2), a=1.0, b=0.0)   # identity: latents are the images
    table = pd.DataFrame({"Smiling": [1, 1, -1, -1, -1, -1], "Male": [-1, -1, -1, -1, 1, 1]})
    imgs = np.array([0.7, 0.7, 0.3, 0.3, 0.1, 0.15], np.float32)[:, None, None, None] * np.ones((1, 1, 2, 2),
                                                                                                np.float32)
    out, base, vec = inference.attribute_arithmetic(vae, imgs, table, plus={"Smiling": 1, "Male": 0},
                                                    minus={"Smiling": 0, "Male": 0}, base={"Male": 1}, scales=(1,))
    np.testing.assert_allclose(vec, 0.4, atol=1e-6)  # smiling women - neutral women
    np.testing.assert_allclose(out[0, :, 0, 0, 0], [0.5, 0.55], atol=1e-5)  # + neutral men
    with pytest.raises(ValueError, match="selects no image"):
        inference.attribute_arithmetic(vae, imgs, table, plus={"Smiling": 1, "Male": 1}, minus={"Smiling": 0},
                                       base={"Male": 1})
