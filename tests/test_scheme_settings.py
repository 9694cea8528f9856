"""Typed scheme settings (TrainConfig.extra) and the schemes' resumable state."""
import dataclasses
import json

import numpy as np
import pytest
from mxnet import nd

from vaegan_gluon.models import get_model
from vaegan_gluon.train import TrainConfig, Trainer
from vaegan_gluon.train.config import ExtraSettings
from vaegan_gluon.train.schemes.stabilisers import DiscLabels


@pytest.mark.parametrize("scheme, extra, match", [
    ("learnable_loss", {"label_smoothin": 0.9}, r"unknown setting\(s\) \['label_smoothin'\]; valid: .*'label_noise'"),
    ("larsen", {"gamma": "x"}, "gamma='x' has the wrong type: expected float"),
    ("aegan", {"derivative_window": 2.5}, "derivative_window=2.5 has the wrong type"),
    ("learnable_loss", {"label_flip_prob": 1.5}, r"label_flip_prob=1.5 out of range: valid \[0, 1\)"),
    ("aegan", {"beta_policy": "foo"}, "beta_policy='foo' unknown: valid"),
    ("larsen", {"disc_batches": "both"}, "disc_batches='both' unknown"),
    ("aegan", {"flip_when_disc_acc": 0.9},
     r"flip_when_disc_acc=0.9 needs flip_steps >= 1 .*--set train.extra.flip_steps=N"),
    ("learnable_loss", {"attribute_vae_weight": 1.0}, "attribute_vae_weight > 0 needs attribute_weight > 0"),
    ("larsen", {"gamma": float("nan")}, "wrong type"),
    # a key of another scheme: an error naming the valid ones and the scheme it belongs to
    ("learnable_loss", {"gamma": 1e-6}, r"unknown setting\(s\) \['gamma'\]; valid: .*'attribute_weight'.* for "
                                        r"scheme 'learnable_loss' \(gamma: a key of larsen\)"),
    ("larsen", {"beta_policy": "inverse"}, r"for scheme 'larsen' \(beta_policy: a key of aegan\)"),
    ("aegan", {"attribute_weight": 1.0}, r"\(attribute_weight: a key of learnable_loss\)"),
])
def test_bad_extra_is_one_line_error_naming_the_key(scheme, extra, match):
    with pytest.raises(ValueError, match=match) as err:
        TrainConfig(scheme=scheme, extra=extra)
    assert "\n" not in str(err.value) and str(err.value).startswith("train.extra: ")


def test_each_scheme_has_its_own_settings_class():
    from vaegan_gluon.train.schemes import AEGANSettings, LarsenSettings, LearnableLossSettings
    for scheme, cls in (("learnable_loss", LearnableLossSettings), ("larsen", LarsenSettings),
                        ("aegan", AEGANSettings)):
        assert type(TrainConfig(scheme=scheme).extra) is cls
    assert "gamma" not in TrainConfig().to_dict()["extra"]   # a learnable_loss run's config.json holds its keys


def test_extra_is_typed_and_round_trips_through_json():
    from vaegan_gluon.train.schemes import LarsenSettings
    c = TrainConfig(scheme="larsen", extra={"gamma": 1e-6, "equilibrium_margin": 0.35, "flip_steps": 3,
                                            "flip_when_disc_acc": 0.95})
    assert isinstance(c.extra, LarsenSettings) and c.extra.gamma == 1e-6 and c.extra.flip_steps == 3
    assert TrainConfig.from_dict(json.loads(json.dumps(c.to_dict()))) == c
    assert isinstance(TrainConfig(scheme="aegan", extra={"alpha": 1}).extra.alpha, float)   # an int is a float
    # every scheme's fields are in the union the override engine walks (train.extra.<key>)
    names = {f.name for f in dataclasses.fields(ExtraSettings)}
    assert {"gamma", "beta_policy", "disc_batches", "attribute_weight"} <= names


def test_disc_labels_flip_counter_round_trips():
    labels = DiscLabels(flip_when_disc_acc=0.5, flip_steps=3)
    real, fake = nd.ones((4, 1)) * 5, -nd.ones((4, 1)) * 5   # fully right: arms the 3-step flip
    labels.observe(real, fake)
    labels.observe(real, fake)
    state = json.loads(json.dumps(labels.state_dict()))
    assert state["flip_counter"] == 2.0
    other = DiscLabels(flip_when_disc_acc=0.5, flip_steps=3)
    other.load_state_dict(state)
    assert other.state_dict() == state
    np.testing.assert_array_equal(other.targets(real, True).asnumpy(), labels.targets(real, True).asnumpy())


def test_larsen_state_holds_gate_costs_and_labels():
    vae = get_model("ConvVAE", n_latent=4, base_channels=4, image_shape=(1, 28, 28))
    disc = get_model("ConvDisc", base_channels=4, feature_layer=2)
    cfg = dict(scheme="larsen", n_epochs=1, batch_size=8,
               extra={"equilibrium_margin": 0.35, "flip_when_disc_acc": 0.6, "flip_steps": 2})
    t = Trainer(vae, disc, cfg, progress=False)
    t._prepare()
    x = nd.array(np.random.RandomState(0).rand(8, 1, 28, 28).astype("float32"))
    t.scheme.step({"x": [x]}, "combo", t.weights_for(0))
    state = json.loads(json.dumps(t.scheme.state_dict()))
    assert len(state["gate_last_costs"]) == 3 and state["gate_last_costs"][2] == 8
    assert "flip_counter" in state["labels"]
    t2 = Trainer(get_model("ConvVAE", n_latent=4, base_channels=4, image_shape=(1, 28, 28)),
                 get_model("ConvDisc", base_channels=4, feature_layer=2), cfg, progress=False)
    t2._prepare()
    t2.scheme.load_state_dict(state)
    assert t2.scheme.state_dict() == state
    assert t2.scheme._gate() == t.scheme._gate()


def test_beta_policy_is_abstract():
    from vaegan_gluon.train.schemes.aegan import BetaPolicy, ConstantBeta
    with pytest.raises(TypeError, match="abstract"):
        BetaPolicy()

    class NoCombine(BetaPolicy):
        kind = "broken"
    with pytest.raises(TypeError, match="abstract"):
        NoCombine()
    assert ConstantBeta(alpha=1.0, beta=0.005).beta == 0.005


def test_json_writer_refuses_unknown_objects(tmp_path):
    from vaegan_gluon.utils import write_json
    path = str(tmp_path / "config.json")
    write_json(path, {"a": np.float32(0.5), "b": np.int64(3), "c": np.arange(2), "d": (1, 2)})
    assert json.load(open(path)) == {"a": 0.5, "b": 3, "c": [0, 1], "d": [1, 2]}
    with pytest.raises(TypeError, match="object .* is not JSON-able"):
        write_json(path, {"norm_layer": object()})
    assert json.load(open(path))["b"] == 3   # the file written before is intact


def test_an_older_config_json_still_resumes():
    """config.json written before the per-scheme settings listed every scheme's keys (at their defaults) and
    fake_label in extra: TrainConfig.from_saved (the Trainer's resume check) reads it as the same settings."""
    old = TrainConfig(scheme="larsen", extra={"gamma": 1e-6}).to_dict()
    old["extra"] = dict({f.name: f.default for f in dataclasses.fields(ExtraSettings)}, gamma=1e-6, fake_label=0.0)
    del old["fake_label"]
    with pytest.raises(ValueError, match="a key of aegan"):
        TrainConfig.from_dict(old)
    assert TrainConfig.from_saved(old) == TrainConfig(scheme="larsen", extra={"gamma": 1e-6})
    old["extra"]["beta_policy"] = "inverse"   # a key of another scheme set to something: still an error
    with pytest.raises(ValueError, match="beta_policy: a key of aegan"):
        TrainConfig.from_saved(old)
