"""Behaviour of vaegan_gluon.evaluation.metrics on tiny stand-in models with hand-computable answers."""
import json

import numpy as np
import pytest

import vaegan_gluon  # noqa: F401  (sets OMP threads before mxnet)
import mxnet as mx
from mxnet import nd
from mxnet.gluon import HybridBlock

from vaegan_gluon import losses
from vaegan_gluon.evaluation import metrics, scores


class AffineVAE(HybridBlock):
    """Stand-in VAE: mu = flattened image, logvar = constant, decode(z) = logit(a * z + b) as an image.

    With a = 1, b = 0 it is an identity autoencoder (clipped away from 0 and 1).
    """

    def __init__(self, image_shape=(1, 4, 4), a=0.5, b=0.25, logvar=0.0, variational=True, **kw):
        super().__init__(**kw)
        self.image_shape = tuple(image_shape)
        self.n_latent = int(np.prod(image_shape))
        self.variational = variational
        self.a, self.b, self.logvar_value = a, b, logvar

    def encode(self, x):
        mu = x.reshape((x.shape[0], -1))
        return mu, nd.full(mu.shape, self.logvar_value, ctx=mu.context)

    def decode(self, z):
        p = nd.clip(self.a * z + self.b, 1e-6, 1 - 1e-6)
        return nd.log(p / (1 - p)).reshape((z.shape[0],) + self.image_shape)

    def reconstruct(self, x):
        return nd.sigmoid(self.decode(self.encode(x)[0]))

    def sample(self, n, ctx=None):
        return nd.sigmoid(self.decode(nd.random.normal(shape=(n, self.n_latent), ctx=ctx or mx.cpu())))

    def hybrid_forward(self, F, x):
        mu, logvar = self.encode(x)
        return self.decode(mu), mu, logvar


class MeanPixelDisc(HybridBlock):
    """Stand-in discriminator: logit = 10 * (mean pixel - 0.5), shape (N, 1)."""

    def hybrid_forward(self, F, x):
        return 10 * (F.mean(x, axis=(1, 2, 3)).reshape((-1, 1)) - 0.5)


def _rand_images(n=6, shape=(1, 4, 4), seed=0):
    return np.random.RandomState(seed).uniform(0.05, 0.95, (n,) + shape).astype(np.float32)


# ------------------------------------------------------------------------------------ blur factor
def _checkerboard(size=32, cell=4):
    yy, xx = np.mgrid[:size, :size]
    return (((yy // cell) + (xx // cell)) % 2).astype(np.float32)


def test_blur_sharp_checkerboard_beats_its_blurred_copy():
    import cv2
    board = _checkerboard()
    blurred = cv2.GaussianBlur(board, (7, 7), 2.0)
    sharp_score = metrics.blur_factor(board[None, None])
    blur_score = metrics.blur_factor(blurred[None, None])
    assert sharp_score > 10 * blur_score > 0


def test_blur_constant_image_is_zero():
    assert metrics.blur_factor(np.full((3, 3, 8, 8), 0.37, np.float32)) == 0.0


def test_blur_hand_computed_single_bright_pixel():
    # 3x3 grey image, centre 1.0 (=255), rest 0. Laplacian kernel [[0,1,0],[1,-4,1],[0,1,0]] with
    # reflect-101 borders: the four edge-centres see the bright pixel twice (510), the centre -1020,
    # the corners 0. Var of {510 x4, -1020, 0 x4} = 2080800/9 - (1020/9)^2 = 17686800/81.
    img = np.zeros((1, 1, 3, 3), np.float32)
    img[0, 0, 1, 1] = 1.0
    assert metrics.blur_factor(img) == pytest.approx(17686800 / 81)


def test_blur_matches_numpy_laplacian_and_averages_over_images_rgb():
    rng = np.random.RandomState(1)
    imgs = rng.uniform(0, 1, (2, 3, 5, 6)).astype(np.float32)
    expected = []
    for im in imgs:
        u8 = np.clip(np.rint(im * 255), 0, 255)
        grey = np.rint(0.299 * u8[0] + 0.587 * u8[1] + 0.114 * u8[2])  # OpenCV RGB2GRAY
        p = np.pad(grey, 1, mode="reflect")  # numpy 'reflect' == OpenCV reflect-101
        lap = p[:-2, 1:-1] + p[2:, 1:-1] + p[1:-1, :-2] + p[1:-1, 2:] - 4 * p[1:-1, 1:-1]
        expected.append(lap.var())
    per_image = metrics.blur_factor_per_image(imgs)
    # cv2's fixed-point grey conversion may differ from the float formula by 1 grey level on a pixel
    np.testing.assert_allclose(per_image, expected, rtol=0.02)
    assert metrics.blur_factor(imgs) == pytest.approx(per_image.mean())


def test_blur_rejects_wrong_shape():
    with pytest.raises(ValueError, match="N, C, H, W"):
        metrics.blur_factor(np.zeros((8, 8)))


# ------------------------------------------------------------------------- reconstruction metrics
def test_reconstruction_metrics_hand_computed():
    x = _rand_images(7)
    vae = AffineVAE(a=0.5, b=0.25, logvar=0.0)
    out = metrics.reconstruction_metrics(vae, x, batch_size=3)  # 3 batches, the last one short
    p = 0.5 * x.astype(np.float64) + 0.25
    bce = -(x * np.log(p) + (1 - x) * np.log(1 - p))
    assert out["n_images"] == 7
    assert out["recon_bce"] == pytest.approx(bce.reshape(7, -1).sum(1).mean(), rel=1e-5)
    assert out["recon_bce_per_pixel"] == pytest.approx(bce.mean(), rel=1e-5)
    assert out["recon_mse"] == pytest.approx(((p - x) ** 2).mean(), rel=1e-5)
    # logvar = 0: KL = 0.5 * sum(mu^2) per image, mu = the image
    assert out["kl"] == pytest.approx(0.5 * (x.astype(np.float64) ** 2).reshape(7, -1).sum(1).mean(), rel=1e-5)
    json.dumps(out)


def test_identity_vae_bce_is_image_entropy_and_mse_zero():
    x = _rand_images(4)
    out = metrics.reconstruction_metrics(AffineVAE(a=1.0, b=0.0), x)
    xd = x.astype(np.float64)
    entropy = -(xd * np.log(xd) + (1 - xd) * np.log(1 - xd))
    assert out["recon_bce"] == pytest.approx(entropy.reshape(4, -1).sum(1).mean(), rel=1e-4)
    assert out["recon_mse"] == pytest.approx(0.0, abs=1e-10)


def test_kl_of_standard_normal_posterior_is_zero():
    mu = nd.zeros((5, 3))
    logvar = nd.zeros((5, 3))
    np.testing.assert_allclose(losses.kl_divergence(mu, logvar).asnumpy(), 0.0, atol=1e-7)
    x = np.zeros((3, 1, 2, 2), np.float32)
    assert metrics.reconstruction_metrics(AffineVAE((1, 2, 2), logvar=0.0), x)["kl"] == pytest.approx(0.0)


def test_kl_hand_computed_nonzero_variance():
    mu, logvar = nd.array([[1.0, 0.0]]), nd.array([[0.0, np.log(2.0)]])
    # 0.5 * [(1 + 1 - 1 - 0) + (2 + 0 - 1 - ln 2)]
    assert losses.kl_divergence(mu, logvar).asscalar() == pytest.approx(0.5 * (1 + 1 - np.log(2)), rel=1e-5)


def test_neg_elbo_is_bce_plus_kl_when_posterior_is_a_point():
    x = _rand_images(5)
    out = metrics.reconstruction_metrics(AffineVAE(logvar=-40.0), x)  # std ~ 2e-9: z == mu
    assert out["neg_elbo"] == pytest.approx(out["recon_bce"] + out["kl"], rel=1e-5)


def test_neg_elbo_sampled_is_seeded_and_larger_with_noise():
    x = _rand_images(5)
    vae = AffineVAE(logvar=-2.0)
    a = metrics.reconstruction_metrics(vae, x, seed=3)
    b = metrics.reconstruction_metrics(vae, x, seed=3)
    c = metrics.reconstruction_metrics(vae, x, seed=4)
    assert a == b
    assert a["neg_elbo"] != c["neg_elbo"]


def test_autoencoder_has_no_kl_or_elbo():
    out = metrics.reconstruction_metrics(AffineVAE(variational=False), _rand_images(3))
    assert out["kl"] is None and out["neg_elbo"] is None
    assert out["recon_bce"] > 0


def test_reconstruction_metrics_independent_of_batch_size():
    x = _rand_images(10)
    vae = AffineVAE()
    a = metrics.reconstruction_metrics(vae, x, batch_size=10, seed=0)
    b = metrics.reconstruction_metrics(vae, x, batch_size=4, seed=0)
    for k in ("recon_bce", "recon_mse", "kl"):
        assert a[k] == pytest.approx(b[k], rel=1e-5)


# -------------------------------------------------------------------------- discriminator accuracy
def test_discriminator_accuracy_mean_pixel_disc():
    disc = MeanPixelDisc()
    disc.hybridize()
    real = np.full((5, 1, 4, 4), 0.9, np.float32)
    real[0] = 0.1  # one real that looks fake
    fake = np.full((4, 1, 4, 4), 0.2, np.float32)
    fake[:2] = 0.7  # two fakes that look real
    out = metrics.discriminator_accuracy(disc, real, fake, batch_size=2)
    assert out["acc_real"] == pytest.approx(4 / 5)
    assert out["acc_fake"] == pytest.approx(2 / 4)
    softplus = lambda v: np.log1p(np.exp(v))  # noqa: E731
    # BCE(label 1) = softplus(-l), BCE(label 0) = softplus(l); l = 10 * (m - 0.5)
    assert out["loss_real"] == pytest.approx((4 * softplus(-4.0) + softplus(4.0)) / 5, rel=1e-5)
    assert out["loss_fake"] == pytest.approx((2 * softplus(2.0) + 2 * softplus(-3.0)) / 4, rel=1e-5)


# ---------------------------------------------------------------------------------------- Fréchet
def test_frechet_identical_features_is_zero():
    f = np.random.RandomState(0).normal(size=(500, 6))
    assert scores.fid(f, f) == pytest.approx(0.0, abs=1e-6)


def test_frechet_shifted_features_is_squared_shift():
    f = np.random.RandomState(0).normal(size=(500, 6))
    shift = np.array([1.0, -2.0, 0.5, 0.0, 0.0, 3.0])
    assert scores.fid(f, f + shift) == pytest.approx(shift @ shift, rel=1e-6)


def test_frechet_independent_gaussian_samples_approx_shift():
    rng = np.random.RandomState(1)
    a = rng.normal(size=(20000, 3))
    b = rng.normal(size=(20000, 3)) + np.array([2.0, 0.0, 0.0])
    assert scores.fid(a, b) == pytest.approx(4.0, abs=0.05)


def test_frechet_of_scaled_gaussians_closed_form():
    # N(0, I) vs N(0, 4I) in D dims: Tr(I + 4I - 2 * 2I) = D
    assert scores.frechet_distance(np.zeros(3), np.eye(3), np.zeros(3), 4 * np.eye(3)) == pytest.approx(3.0)


def test_feature_statistics_with_flatten_extractor():
    x = _rand_images(9, (1, 2, 2))
    mu, sigma = metrics.feature_statistics(lambda b: b.reshape((b.shape[0], -1)), x, batch_size=4)
    flat = x.reshape(9, -1).astype(np.float64)
    np.testing.assert_allclose(mu, flat.mean(0), rtol=1e-6)
    np.testing.assert_allclose(sigma, np.cov(flat, rowvar=False), rtol=1e-5, atol=1e-9)


# ------------------------------------------------------------------------------------- evaluate
def test_evaluate_returns_every_key_as_json_floats():
    x = _rand_images(8, (3, 8, 8))
    vae = AffineVAE((3, 8, 8))
    out = metrics.evaluate(vae, x, disc=MeanPixelDisc(), n_samples=5, batch_size=3)
    for k in ("recon_bce", "recon_mse", "neg_elbo", "kl", "blur_data", "blur_recon", "blur_samples",
              "disc_acc_real", "disc_acc_fake", "disc_loss_real", "disc_loss_fake"):
        assert isinstance(out[k], float), k
    assert out["recon_bce"] == pytest.approx(metrics.reconstruction_metrics(vae, x)["recon_bce"], rel=1e-6)
    assert out["blur_data"] == pytest.approx(metrics.blur_factor(x))
    # the affine decoder halves contrast, so reconstructions are blurrier (lower) than the data
    assert out["blur_recon"] < out["blur_data"]
    json.loads(json.dumps(out))
    no_disc = {k: v for k, v in out.items() if not k.startswith("disc_")}
    assert metrics.evaluate(vae, x, n_samples=5, batch_size=3) == no_disc
