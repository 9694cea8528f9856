"""The fast wing trains as the plain steps do: every scheme, both ways, over 24 steps (1 solo + 2 combo epochs).

``TrainConfig.fast`` on with ``fused_bce`` off: every parameter and every statistic **bit-identical** to the plain
steps (``fast`` off) -- the cached graphs are the plain step's operators, the Adam kernel is MXNet's arithmetic.
With the fused sigmoid-BCE (the default): equal to a stated tolerance, since ``vaegan_bce_logits`` sums its rows
in double and glibc's vector ``expf`` differs from MXNet's by a few ulp. Measured here (one OpenMP thread): the
parameters within 8e-5 of each tensor's largest magnitude, the epoch statistics within 3e-7 relative; the
test allows 1e-3 and 1e-5. The larsen step has no fast form (only the Adam kernel), so it is bit-identical
either way.
"""
import numpy as np
import pytest

import vaegan_gluon  # noqa: F401  (sets OMP_NUM_THREADS before mxnet)
from vaegan_gluon.data import load
from vaegan_gluon.fast import kernels
from vaegan_gluon.models import get_model
from vaegan_gluon.train import TrainConfig, Trainer

GRAY = (1, 28, 28)
PARAM_TOL, STAT_TOL = 1e-3, 1e-5   # fused BCE vs plain: |dw| <= tol * max|w| per tensor; statistics relative
CASES = {   # scheme, vae, disc, train settings
    "learnable_loss-dense": ("learnable_loss", lambda: get_model("DenseVAE", n_latent=2, n_hidden_layers=1,
                                                                 n_hidden_units=32, image_shape=GRAY),
                             lambda: get_model("DenseLogReg", n_hidden_layers=1, n_hidden_units=16), {}),
    "learnable_loss-conv": ("learnable_loss", lambda: get_model("ConvVAE", n_latent=8, base_channels=4,
                                                                image_shape=GRAY),
                            lambda: get_model("ConvDisc", base_channels=4), {}),
    "learnable_loss-adaptive": ("learnable_loss", lambda: get_model("ConvVAE", n_latent=8, base_channels=4,
                                                                    image_shape=GRAY),
                                lambda: get_model("ConvDisc", base_channels=4),
                                {"disc_weight_mode": "adaptive", "disc_train_during_solo": True}),
    "learnable_loss-labels": ("learnable_loss", lambda: get_model("ConvVAE", n_latent=8, base_channels=4,
                                                                  image_shape=GRAY),
                              lambda: get_model("ConvDisc", base_channels=4),
                              {"extra": {"label_noise": 0.1, "disc_batches": "joint"}}),
    "larsen": ("larsen", lambda: get_model("ConvVAE", n_latent=8, base_channels=4, image_shape=GRAY),
               lambda: get_model("ConvDisc", base_channels=4, feature_layer=2), {"extra": {"gamma": 5e-5}}),
    "aegan": ("aegan", lambda: get_model("AE", n_latent=8, base_channels=4, image_shape=GRAY),
              lambda: get_model("ConvDisc", base_channels=4), {"extra": {"beta_policy": "inverse"}}),
}


def _train(case, data, hybridize=True, **switches):
    scheme, make_vae, make_disc, train = CASES[case]
    cfg = dict(scheme=scheme, n_epochs=3, n_solo_epochs=1, batch_size=8, disc_weight=10.0, seed=5,
               hybridize=hybridize, log_interval=1000, **train, **switches)
    vae, disc = make_vae(), make_disc()
    rows = Trainer(vae, disc, TrainConfig.from_dict(cfg), progress=False).fit(data)
    stats = [{k: (None if v != v else v) for k, v in r.items()   # NaN (a column absent in solo epochs): None
              if isinstance(v, float) and k not in ("seconds", "images_per_s")} for r in rows]
    return stats, [p.data().asnumpy() for net in (vae, disc) for p in net.collect_params().values()]


@pytest.fixture(scope="module")
def images():
    return np.random.RandomState(7).rand(64, *GRAY).astype("float32")   # 8 batches an epoch: 24 steps


@pytest.mark.parametrize("case", sorted(CASES))
def test_fast_steps_are_the_plain_steps(case, images):
    plain_stats, plain_params = _train(case, images, fast=False)
    stats, params = _train(case, images, fast=True, fused_bce=False)
    assert stats == plain_stats
    for a, b in zip(params, plain_params):
        np.testing.assert_array_equal(a.view(np.int32), b.view(np.int32))


def test_fast_steps_are_the_plain_steps_imperatively(images):
    plain_stats, plain_params = _train("learnable_loss-conv", images, hybridize=False, fast=False)
    stats, params = _train("learnable_loss-conv", images, hybridize=False, fast=True, fused_bce=False)
    assert stats == plain_stats
    for a, b in zip(params, plain_params):
        np.testing.assert_array_equal(a.view(np.int32), b.view(np.int32))


@pytest.mark.skipif(not kernels.fused_bce_enabled({}, None), reason="the kernel library is not available here")
@pytest.mark.parametrize("case", sorted(CASES))
def test_fused_bce_trains_within_the_stated_tolerance(case, images):
    plain_stats, plain_params = _train(case, images, fast=False)
    stats, params = _train(case, images, fast=True)
    for a, b in zip(params, plain_params):
        assert np.max(np.abs(a - b)) <= PARAM_TOL * max(np.max(np.abs(b)), 1e-6)
    for got, want in zip(stats, plain_stats):
        assert set(got) == set(want)
        for k, v in want.items():
            if v is not None:
                assert got[k] == pytest.approx(v, rel=STAT_TOL, abs=1e-9), k


def test_attribute_head_fast_is_plain():
    """The attribute head and its push (learnable_loss only) take the plain disc step inside the fast one."""
    faces = load("synthetic-faces", split="all", n=48, size=32)
    out = []
    for fast in (False, True):
        vae = get_model("ConvVAE", n_latent=8, base_channels=4, image_shape=(3, 32, 32))
        disc = get_model("ConvDisc", base_channels=4, n_attributes=4)
        cfg = dict(n_epochs=2, n_solo_epochs=1, batch_size=8, disc_weight=1.0, seed=3, fast=fast, fused_bce=False,
                   extra={"attribute_weight": 0.5, "attribute_vae_weight": 1.0,
                          "attribute_columns": ["smiling", "mouth_open", "blush", "glasses"]})
        rows = Trainer(vae, disc, cfg, progress=False).fit(faces)
        out.append(([p.data().asnumpy() for n in (vae, disc) for p in n.collect_params().values()],
                    [r["attr_vae_loss"] for r in rows]))
    for a, b in zip(out[0][0], out[1][0]):
        np.testing.assert_array_equal(a, b)
    assert out[0][1][1:] == out[1][1][1:]


def test_config_numerics_record_what_ran():
    """``config["numerics"]`` (train/fingerprint.py) says whether the fast steps, the fused BCE and the Adam kernel
    ran; the plain steps' runs share the fingerprint of fast runs without the fused BCE (bit-identical above)."""
    from vaegan_gluon.train.fingerprint import fingerprint
    off = fingerprint({"train": {"fast": False}})
    assert off["switches"]["fast"] is False and off["switches"]["fused_bce"] is False
    assert off["switches"]["fast_adam"] is False and set(off["kernels"]) == {"adam_ext", "bce_ext"}
    assert fingerprint({"train": {"fused_bce": False}})["fingerprint"] == off["fingerprint"]
    on = fingerprint({"train": {}})
    assert on["switches"]["fast"] is True and on["switches"]["fast_adam"] is kernels.available()
    assert on["switches"]["fused_bce"] is kernels.fused_bce_enabled({}, None)
