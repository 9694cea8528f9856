"""The auxiliary attribute head (VAE-GAN blog): model option, averaged loss, targets, trainer, experiment."""
import os

import numpy as np
import pandas as pd
import pytest

import vaegan_gluon  # noqa: F401  (sets OMP_NUM_THREADS before mxnet)
import mxnet as mx
from mxnet import nd

from vaegan_gluon import losses
from vaegan_gluon.data import load
from vaegan_gluon.data.attributes import read_celeba_attributes
from vaegan_gluon.data.attributes_targets import attribute_targets
from vaegan_gluon.models import get_model
from vaegan_gluon.train import Trainer


@pytest.fixture(scope="module")
def faces():
    return load("synthetic-faces", split="all", n=96, size=32)


# ------------------------------------------------------------------------------------ model
@pytest.mark.parametrize("name,kw", [("DenseLogReg", {"n_hidden_units": 16}), ("ConvDisc", {"base_channels": 4}),
                                     ("DeepConvDisc", {"base_channels": 4})])
def test_output_order_and_default_unchanged(name, kw):
    x = nd.random.uniform(shape=(3, 3, 32, 32))
    plain = get_model(name, **kw)
    plain.initialize()
    assert isinstance(plain(x), nd.NDArray) and plain.attr_head is None
    assert not any("attr" in k for k in plain.collect_params())
    d = get_model(name, n_attributes=5, **kw)
    d.initialize()
    logits, attr = d(x)
    assert logits.shape == (3, 1) and attr.shape == (3, 5)
    f = get_model(name, n_attributes=5, feature_layer=1, minibatch_features=4, **kw)
    f.initialize()
    f.hybridize()
    logits, feats, attr = f(x)
    assert logits.shape == (3, 1) and feats.shape[0] == 3 and attr.shape == (3, 5)
    with pytest.raises(ValueError):
        get_model(name, n_attributes=-1, **kw)


def test_head_does_not_change_the_logits():
    """Same shared weights -> the same logits with and without the head (it only reads the features)."""
    x = nd.random.uniform(shape=(4, 3, 32, 32))
    a = get_model("ConvDisc", base_channels=4)
    b = get_model("ConvDisc", base_channels=4, n_attributes=3, prefix="d_")
    b.initialize(mx.init.Xavier())
    b(x)
    a.initialize()
    a(x)
    pa, pb = list(a.collect_params().values()), list(b.collect_params().values())
    assert [p.name for p in pb[len(pa):]] == ["d_attr_weight", "d_attr_bias"]   # the head's, last
    for p, q in zip(pa, pb):
        assert p.shape == q.shape
        p.set_data(q.data())
    with mx.autograd.predict_mode():
        np.testing.assert_allclose(a(x).asnumpy(), b(x)[0].asnumpy(), rtol=1e-6)


# ------------------------------------------------------------------------------------- loss
def test_attribute_loss_is_averaged_not_summed():
    rng = np.random.RandomState(0)
    logits = rng.randn(6, 1).astype(np.float32)
    target = (rng.rand(6, 1) > 0.5).astype(np.float32)
    one = losses.attribute_loss(nd.array(logits), nd.array(target))
    forty = losses.attribute_loss(nd.array(np.tile(logits, 40)), nd.array(np.tile(target, 40)))
    assert one.shape == forty.shape == (6,)
    np.testing.assert_allclose(forty.asnumpy(), one.asnumpy(), rtol=1e-6)   # the scale does not grow with K
    bce = losses.bce_from_logits(nd.array(logits), nd.array(target)).asnumpy()[:, 0]
    np.testing.assert_allclose(one.asnumpy(), bce, rtol=1e-6)
    # the blog's bug, for the record: a sum would have been 40x
    summed = losses.bce_from_logits(nd.array(np.tile(logits, 40)), nd.array(np.tile(target, 40))).sum(axis=1)
    np.testing.assert_allclose(summed.asnumpy(), 40 * one.asnumpy(), rtol=1e-5)
    acc = losses.attribute_accuracy(nd.array([[2.0, -1.0, 3.0, -2.0]]), nd.array([[1, 0, 0, 0]]))
    assert acc.asnumpy().tolist() == [0.75]


# ---------------------------------------------------------------------------------- targets
def test_synthetic_face_targets(faces):
    t, names = attribute_targets(faces)
    assert t.dtype == np.float32 and t.shape == (len(faces), 34) and len(names) == 34
    assert names[-4:] == ["smiling", "mouth_open", "blush", "glasses"]
    assert not any(n.split("=")[0] in ("dx", "dy", "scale", "angle") for n in names)
    hair = [i for i, n in enumerate(names) if n.startswith("hair_colour=")]
    assert len(hair) == 6 and (t[:, hair].sum(axis=1) == 1).all()
    np.testing.assert_array_equal(t[:, names.index("glasses")], faces.attributes["glasses"].to_numpy(np.float32))
    # a split keeps every category (same K on train and test)
    assert attribute_targets(faces.subset(3))[0].shape == (3, 34)
    sub, sub_names = attribute_targets(faces, ["glasses", "skin_tone"])
    assert sub_names == ["glasses", "skin_tone=light", "skin_tone=medium", "skin_tone=tan", "skin_tone=dark"]
    with pytest.raises(ValueError, match="not binary"):
        attribute_targets(faces, ["angle"])
    with pytest.raises(ValueError, match="unknown attribute"):
        attribute_targets(faces, ["nose"])
    with pytest.raises(ValueError, match="no attribute table"):
        attribute_targets(load("mnist-5k", split="test").subset(4))


def test_celeba_style_targets(tmp_path):
    p = tmp_path / "list_attr_celeba.txt"
    p.write_text("3\nSmiling Male Eyeglasses\n000001.jpg 1 -1 -1\n000002.jpg -1 1 -1\n000003.jpg 1 1 1\n")
    t, names = attribute_targets(read_celeba_attributes(str(p)))
    assert names == ["Smiling", "Male", "Eyeglasses"]
    np.testing.assert_array_equal(t, [[1, 0, 0], [0, 1, 0], [1, 1, 1]])
    raw = pd.DataFrame({"Smiling": [1, -1, 1], "name": ["a", "b", "a"]})   # raw -1/1 and a string column
    t, names = attribute_targets(raw)
    assert names == ["Smiling", "name=a", "name=b"]
    np.testing.assert_array_equal(t, [[1, 1, 0], [0, 0, 1], [1, 1, 0]])


# ---------------------------------------------------------------------------------- trainer
def _vae():
    return get_model("ConvVAE", n_latent=8, base_channels=4, image_shape=(3, 32, 32))


def _fit(data, disc, ctx="cpu", **extra):
    t = Trainer(_vae(), disc, dict(n_epochs=2, n_solo_epochs=1, batch_size=32, seed=1, disc_weight=1.0,
                                   extra=extra), ctx=ctx, progress=False)
    t.fit(data)
    return t


def test_trainer_feeds_targets_and_logs_attr_columns(faces):
    t = _fit(faces, get_model("ConvDisc", base_channels=4, n_attributes=34), attribute_weight=1.0)
    assert {"attr_loss", "attr_acc"} <= set(t.columns()) and "attr_vae_loss" not in t.columns()
    solo, combo = t.history
    assert np.isnan(solo["attr_loss"]) and solo["phase"] == "solo"     # the head trains in combo epochs
    assert 0 < combo["attr_loss"] < 2 and 0 <= combo["attr_acc"] <= 1
    assert t.attribute_names[-1] == "glasses"
    # the same run without the head: the usual columns only
    plain = _fit(faces, get_model("ConvDisc", base_channels=4))
    assert "attr_loss" not in plain.columns()


def test_push_joint_batches_and_two_devices(faces):
    t = _fit(faces, get_model("ConvDisc", base_channels=4, n_attributes=5),
             attribute_weight=0.5, attribute_vae_weight=1.0, disc_batches="joint",
             attribute_columns=["glasses", "hair_style"])   # 1 + 4 one-hot
    assert "attr_vae_loss" in t.columns() and t.history[-1]["attr_vae_loss"] > 0
    t2 = _fit(faces.subset(64), get_model("ConvDisc", base_channels=4, n_attributes=4), ctx="cpu:0,1",
              attribute_weight=1.0, attribute_columns=["smiling", "mouth_open", "blush", "glasses"])
    assert np.isfinite(t2.history[-1]["attr_acc"])


def test_configuration_errors(faces):
    with pytest.raises(ValueError, match="n_attributes=34"):
        _fit(faces, get_model("ConvDisc", base_channels=4, n_attributes=3), attribute_weight=1.0)
    with pytest.raises(ValueError, match="n_attributes"):
        _fit(faces, get_model("ConvDisc", base_channels=4), attribute_weight=1.0)
    with pytest.raises(ValueError, match="attribute_weight"):
        _fit(faces, get_model("ConvDisc", base_channels=4, n_attributes=34), attribute_vae_weight=1.0)
    with pytest.raises(ValueError, match="no attribute table"):
        _fit(faces.images, get_model("ConvDisc", base_channels=4, n_attributes=34), attribute_weight=1.0)
    with pytest.raises(ValueError, match="scheme"):
        Trainer(get_model("AE", n_latent=8, base_channels=4, image_shape=(3, 32, 32)),
                get_model("ConvDisc", base_channels=4, n_attributes=34),
                dict(scheme="aegan", n_epochs=1, extra={"attribute_weight": 1.0}), progress=False).fit(faces)


# ------------------------------------------------------------------------------- experiment
def test_experiment_runs_at_quick_scale_and_beats_chance(tmp_path):
    from vaegan_gluon.experiments import get_config, run_experiment
    for scale in ("quick", "medium", "full"):
        cfg = get_config("faces-conv-vae-convdisc-attr", scale)
        assert cfg["disc"]["n_attributes"] == 34 and cfg["train"]["extra"]["attribute_weight"] == 1.0
    r = run_experiment("faces-conv-vae-convdisc-attr", scale="quick", run_dir=str(tmp_path / "run"), progress=False)
    df = pd.read_csv(os.path.join(r.run_dir, "training_statistics.csv"))
    assert {"attr_loss", "attr_acc"} <= set(df.columns)
    # chance = always predicting each attribute's majority value on the training images
    cfg = get_config("faces-conv-vae-convdisc-attr", "quick")
    train = load("synthetic-faces", split="train", **cfg["data"]["options"]).subset(cfg["data"]["n_train"])
    p = attribute_targets(train)[0].mean(axis=0)
    chance = float(np.maximum(p, 1 - p).mean())
    assert df["attr_acc"].iloc[-1] > chance + 0.01, (df["attr_acc"].tolist(), chance)
    assert df["attr_loss"].iloc[-1] < df["attr_loss"].iloc[0] - 0.1
