"""Issue 33 (Adaptive weight), item 3: spectral normalisation as a discriminator option (``disc.spectral_norm``)."""
import math

import numpy as np
import pytest

import vaegan_gluon  # noqa: F401
import mxnet as mx
from mxnet import autograd, nd

from vaegan_gluon.models import get_model, initialize_model
from vaegan_gluon.models.spectral_norm import normalised_weight, spectral_layers
from vaegan_gluon.train import TrainConfig, Trainer

FAMILIES = [("DenseLogReg", {}, 2), ("ConvDisc", dict(base_channels=4, minibatch_features=3, n_attributes=2), 6),
            ("DeepConvDisc", dict(base_channels=4), 5), ("ResNetDisc", {}, 21)]


def _largest_singular_values(disc):
    out = []
    for layer in spectral_layers(disc):
        w = normalised_weight(layer)
        out.append(np.linalg.svd(w.reshape(w.shape[0], -1), compute_uv=False)[0])
    return np.array(out)


@pytest.mark.parametrize("hybridize", [True, False], ids=["hybrid", "imperative"])
@pytest.mark.parametrize("name,kw,n_layers", FAMILIES, ids=[f[0] for f in FAMILIES])
def test_normalised_weights_have_largest_singular_value_one(name, kw, n_layers, hybridize):
    if name == "ResNetDisc" and not hybridize:
        pytest.skip("one ResNet case is enough")
    mx.random.seed(0)                                   # the power iteration's pace depends on the draw: fix it
    disc = get_model(name, spectral_norm=True, **kw)
    initialize_model(disc, (3, 32, 32))
    if hybridize:
        disc.hybridize(static_alloc=True)
    assert len(spectral_layers(disc)) == n_layers      # every Dense and Conv2D
    x = nd.random.uniform(shape=(4, 3, 32, 32))
    first = _largest_singular_values(disc)
    for _ in range(100):                                # 100 training forwards = 100 power iterations
        with autograd.record():
            disc(x)
    s = _largest_singular_values(disc)
    np.testing.assert_allclose(s, 1.0, atol=0.03)
    assert np.abs(first - 1).max() > np.abs(s - 1).max()   # the iterations did the work


def test_predict_mode_leaves_u_alone_and_default_is_unchanged():
    disc = get_model("ConvDisc", base_channels=4, spectral_norm=True)
    initialize_model(disc, (1, 28, 28))
    u = {k: p.data().copy() for k, p in disc.collect_params().items() if k.endswith("sn_u")}
    disc(nd.zeros((2, 1, 28, 28)))
    assert all((disc.collect_params()[k].data() == v).asnumpy().all() for k, v in u.items())
    plain = get_model("ConvDisc", base_channels=4)
    assert not [k for k in plain.collect_params() if "sn_u" in k] and not spectral_layers(plain)


@pytest.mark.parametrize("disc_name", ["ConvDisc", "DenseLogReg"])
def test_a_quick_run_trains_with_it(disc_name):
    vae = get_model("ConvVAE", n_latent=8, base_channels=4, image_shape=(1, 28, 28))
    disc = get_model(disc_name, spectral_norm=True, **({"base_channels": 4} if disc_name == "ConvDisc" else {}))
    rows = Trainer(vae, disc, TrainConfig(n_epochs=2, batch_size=8, disc_weight=10.0, log_interval=1000),
                   progress=False).fit(np.random.RandomState(0).rand(32, 1, 28, 28).astype("float32"))
    assert all(math.isfinite(r["disc_loss"]) and math.isfinite(r["vae_loss"]) for r in rows)
    assert np.abs(_largest_singular_values(disc) - 1).max() < 0.1
