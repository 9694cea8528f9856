"""The other studies' schemes: AE-GAN identities, Larsen gradient routing and gate, stabilisers, experiments."""
import numpy as np
import pytest

import vaegan_gluon  # noqa: F401  (sets OMP_NUM_THREADS before mxnet)
import mxnet as mx
from mxnet import autograd, nd

from vaegan_gluon import losses
from vaegan_gluon.data import load
from vaegan_gluon.models import get_model
from vaegan_gluon.train import Trainer, TrainConfig
from vaegan_gluon.train.schemes.larsen import LarsenVAEGAN
from vaegan_gluon.train.schemes.stabilisers import DiscLabels, disc_logits


@pytest.fixture(scope="module")
def mnist():
    return load("mnist-5k", split="train").images[:384]


def small_ae():
    return get_model("AE", n_latent=8, base_channels=4, image_shape=(1, 28, 28))


def small_conv_disc(**kw):
    return get_model("ConvDisc", base_channels=4, **kw)


def params_of(block):
    return {k.split("_", 1)[-1]: v.data().asnumpy() for k, v in block.collect_params().items()}


def trainable(block):
    return {k: v.data().asnumpy() for k, v in block.collect_params().items() if v.grad_req != "null"}


def fit(x, vae, disc, **cfg):
    base = dict(n_epochs=1, batch_size=64, seed=3)
    base.update(cfg)
    t = Trainer(vae, disc, base, progress=False)
    t.fit(x)
    return t


# ------------------------------------------------------------------------------------ AE-GAN
def test_aegan_alpha1_beta0_trains_exactly_the_autoencoder(mnist):
    a = fit(mnist, small_ae(), small_conv_disc(), scheme="aegan", extra={"alpha": 1.0, "beta": 0.0})
    b = fit(mnist, small_ae(), None, pbp_loss="l2", pbp_weight=1.0 / 784)   # LearnableLoss, AE alone
    assert a.history[-1]["phase"] == "combo" and a.history[-1]["disc_loss"] > 0   # the discriminator trained
    pa, pb = params_of(a.vae), params_of(b.vae)
    assert pa.keys() == pb.keys()
    for k in pa:
        np.testing.assert_array_equal(pa[k], pb[k], err_msg=k)
    assert a.history[-1]["ae_loss"] == pytest.approx(b.history[-1]["pbp_loss"] / 784, rel=1e-6)


def test_aegan_alpha0_beta1_is_a_plain_gan(mnist):
    x = mnist[:192]
    a = fit(x, small_ae(), small_conv_disc(), scheme="aegan", extra={"alpha": 0.0, "beta": 1.0})
    # LearnableLoss with no pixel term and no KL (an AE has none) is the plain GAN on G(x)
    b = fit(x, small_ae(), small_conv_disc(), pbp_weight=0.0, disc_weight=1.0)
    for net in ("vae", "disc"):
        pa, pb = params_of(getattr(a, net)), params_of(getattr(b, net))
        for k in pa:
            np.testing.assert_allclose(pa[k], pb[k], rtol=1e-5, atol=1e-6, err_msg=f"{net} {k}")
    assert a.history[-1]["gan_loss"] == pytest.approx(b.history[-1]["adv_loss"], rel=1e-5)


def test_aegan_pretrain_then_gan_and_policies_record_beta(mnist):
    x = mnist[:128]
    t = fit(x, small_ae(), small_conv_disc(), scheme="aegan", n_epochs=2, n_solo_epochs=1,
            extra={"beta_policy": "inverse"})
    solo, combo = t.history
    assert solo["phase"] == "solo" and np.isnan(solo["beta"]) and combo["phase"] == "combo"
    assert combo["beta"] == pytest.approx(5e-4 / combo["ae_loss"], rel=0.3)     # beta / ae, per batch
    d = fit(x, small_ae(), small_conv_disc(), scheme="aegan", n_epochs=2, batch_size=32,
            extra={"beta_policy": "derivative", "derivative_window": 3})
    assert d.history[0]["beta"] < d.history[1]["beta"] <= 1            # 0 for the first 3 batches
    assert "policy" in d._state()["scheme"]


# ------------------------------------------------------------------------------------ Larsen
def larsen_models(feature_layer=2):
    vae = get_model("ConvVAE", n_latent=4, base_channels=4, image_shape=(1, 28, 28))
    return vae, small_conv_disc(feature_layer=feature_layer)


def test_larsen_each_network_gets_only_its_own_loss_gradient(mnist):
    vae, disc = larsen_models()
    t = Trainer(vae, disc, dict(scheme="larsen", n_epochs=1, batch_size=32, extra={"gamma": 0.5}), progress=False)
    t._prepare()
    s = t.scheme
    x = nd.array(mnist[:32])
    before = {"vae": params_of(vae), "disc": params_of(disc)}
    # reference gradients: one loss at a time, from the same forward (same random draws)
    reference = {}
    for loss, net in (("enc", vae.encoder), ("dec", vae.decoder), ("dis", disc)):
        mx.random.seed(7)
        with autograd.record():
            per = s.forward_losses([x])
        autograd.backward([per[0][loss]])
        reference[loss] = {k: p.grad().asnumpy().copy() for k, p in net.collect_params().items()
                           if p.grad_req != "null"}
    # the encoder's loss built here from its parts (KL and the feature-space reconstruction), not the
    # scheme's "enc"; and the adversarial term's own gradient on the encoder, which must reach it (else a
    # leak of it into the encoder's gradient could not show)
    def encoder_grad(make_loss):
        mx.random.seed(7)
        with autograd.record():
            part = s.forward_losses([x])[0]
            loss = make_loss(part)
        autograd.backward([loss])
        return {k: p.grad().asnumpy().copy() for k, p in vae.encoder.collect_params().items()
                if p.grad_req != "null"}
    no_gan = encoder_grad(lambda p: s.kl_weight * p["kl"] / vae.n_latent + p["feat"])
    gan = encoder_grad(lambda p: p["adv"])
    assert any(not np.allclose(no_gan[k] + gan[k], no_gan[k], rtol=1e-4, atol=1e-7) for k in gan)
    mx.random.seed(7)
    s.step({"x": [x]}, "combo", t.weights_for(0))
    for loss, net in (("enc", vae.encoder), ("dec", vae.decoder), ("dis", disc)):
        for k, p in net.collect_params().items():
            if p.grad_req != "null":
                np.testing.assert_allclose(p.grad().asnumpy(), reference[loss][k], rtol=1e-4, atol=1e-7,
                                           err_msg=f"{loss}: {k}")
    # and the encoder's gradient has no GAN part: it is exactly the KL + feature terms' gradient
    for k, p in vae.encoder.collect_params().items():
        if p.grad_req != "null":
            np.testing.assert_allclose(p.grad().asnumpy(), no_gan[k], rtol=1e-4, atol=1e-7, err_msg=f"enc: {k}")
    assert any(not np.allclose(v, params_of(vae)[k]) for k, v in before["vae"].items())   # and the step moved it


def test_larsen_equilibrium_gate_skips_one_network_never_both(mnist):
    vae, disc = larsen_models()
    t = Trainer(vae, disc, dict(scheme="larsen", n_epochs=1, batch_size=32, extra={"equilibrium_margin": 0.35}),
                progress=False)
    t._prepare()
    s, x, w = t.scheme, nd.array(mnist[:32]), t.weights_for(0)
    for costs, disc_moves, dec_moves in (((0.1, 0.2), False, True), ((1.5, 1.2), True, False),
                                         ((0.1, 1.5), True, True)):
        d0, g0 = trainable(disc), trainable(vae.decoder)
        s._last_costs = nd.array(costs + (1.0,))   # (real sum, fake sum, images)
        stats = s.step({"x": [x]}, "combo", w)
        moved = lambda a, b: any(not np.array_equal(a[k], b[k]) for k in a)  # noqa: E731
        assert moved(d0, trainable(disc)) == disc_moves          # (BatchNorm running stats move anyway)
        assert moved(g0, trainable(vae.decoder)) == dec_moves
        assert float(stats["disc_trained"].asscalar()) == (32 if disc_moves else 0)


def test_larsen_runs_solo_then_combo_and_needs_features(mnist):
    vae, disc = larsen_models()
    t = fit(mnist[:128], vae, disc, scheme="larsen", n_epochs=2, n_solo_epochs=1,
            extra={"disc_batches": "joint"}, real_label=0.9)
    solo, combo = t.history
    assert solo["phase"] == "solo" and combo["phase"] == "combo"
    for k in ("enc_loss", "dec_loss", "feature_loss", "disc_loss", "kl", "pbp_loss"):
        assert np.isfinite(combo[k]), k
    assert combo["lr"] == pytest.approx(1e-3)
    with pytest.raises(ValueError, match="feature_layer"):
        LarsenVAEGAN(vae, small_conv_disc(), TrainConfig(scheme="larsen"), [mx.cpu()])


# ------------------------------------------------------------------------------- stabilisers
def test_default_labels_are_the_plain_discriminator_loss():
    r, f = nd.array([[0.3], [-2.0]]), nd.array([[1.0], [0.5]])
    np.testing.assert_array_equal(DiscLabels().loss(r, f).asnumpy(), losses.discriminator_loss(r, f).asnumpy())
    smooth = DiscLabels(real_label=0.9).loss(r, f)
    np.testing.assert_array_equal(smooth.asnumpy(), losses.discriminator_loss(r, f, real_label=0.9).asnumpy())


def test_noisy_and_flipped_labels():
    logits = nd.zeros((4000, 1))
    t = DiscLabels(label_noise=0.1).targets(logits, real=True).asnumpy()
    assert 0.9 <= t.min() and t.max() <= 1.0 and t.std() > 0.02
    t = DiscLabels(label_noise=0.1).targets(logits, real=False).asnumpy()
    assert 0.0 <= t.min() and t.max() <= 0.1
    t = DiscLabels(label_flip_prob=0.2).targets(logits, real=True).asnumpy()
    assert set(np.unique(t)) == {0.0, 1.0} and 0.17 < (t == 0).mean() < 0.23
    # k-step flip when the discriminator is too strong
    lab = DiscLabels(flip_when_disc_acc=0.9, flip_steps=2)
    small = nd.zeros((3, 1))
    assert lab.targets(small, True).asnumpy().min() == 1.0
    lab.observe(nd.ones((3, 1)) * 5, nd.ones((3, 1)) * -5)          # 100% right -> flip next 2 steps
    flipped = []
    for _ in range(3):
        flipped.append(float(lab.targets(small, True).asnumpy()[0, 0]) == 0.0)
        lab.observe(nd.ones((3, 1)) * -5, nd.ones((3, 1)) * 5)      # fooled: no re-arming
    assert flipped == [True, True, False]


def test_joint_and_separate_calls_agree_without_batch_statistics():
    disc = get_model("DenseLogReg", n_hidden_layers=1, n_hidden_units=16)
    disc.initialize()
    real, fake = nd.random.uniform(shape=(5, 1, 28, 28)), nd.random.uniform(shape=(3, 1, 28, 28))
    (r1, f1), (r2, f2) = disc_logits(disc, real, fake), disc_logits(disc, real, fake, joint=True)
    np.testing.assert_allclose(r1.asnumpy(), r2.asnumpy(), rtol=1e-5)
    np.testing.assert_allclose(f1.asnumpy(), f2.asnumpy(), rtol=1e-5)


def test_stabilisers_in_learnable_loss_and_instance_noise_decay(mnist):
    vae = get_model("DenseVAE", n_latent=4, n_hidden_layers=1, n_hidden_units=32, image_shape=(1, 28, 28))
    disc = get_model("ConvDisc", base_channels=4, instance_noise=True, dropout=0.2, minibatch_features=4)
    seen = []

    class Spy:
        def epoch_begin(self, trainer, epoch, phase):
            seen.append(float(trainer.disc.noise.stddev.data().asscalar()))
    t = Trainer(vae, disc, dict(n_epochs=3, batch_size=64, real_label=0.9,
                                extra={"disc_batches": "joint", "label_noise": 0.05, "label_flip_prob": 0.02,
                                       "instance_noise_stddev": 0.3, "instance_noise_epochs": 2}),
                callbacks=[Spy()], progress=False)
    t.fit(mnist[:128])
    assert seen == pytest.approx([0.3, 0.15, 0.0])
    # after solo epochs the anneal starts at the first combo epoch (D trains from there)
    seen.clear()
    Trainer(vae, disc, dict(n_epochs=4, n_solo_epochs=2, batch_size=64,
                            extra={"instance_noise_stddev": 0.3, "instance_noise_epochs": 2}),
            callbacks=[Spy()], progress=False).fit(mnist[:128])
    assert seen == pytest.approx([0.3, 0.3, 0.3, 0.15])
    assert all(np.isfinite(r["disc_loss"]) for r in t.history)
    with pytest.raises(ValueError, match="disc_batches"):
        Trainer(get_model("DenseVAE", n_latent=2, n_hidden_layers=1, n_hidden_units=8, image_shape=(1, 28, 28)),
                get_model("DenseLogReg", n_hidden_units=8), dict(extra={"disc_batches": "mixed"}),
                progress=False)._prepare()


# ----------------------------------------------------------------------------- mode coverage
def test_mode_coverage_counts_classes():
    """The shipped digit classifier's predictions through evaluation's mode coverage (the notebooks' way)."""
    from vaegan_gluon.evaluation import get_extractor, mode_coverage
    data = load("mnist-5k", split="train")
    clf = get_extractor("mnist")
    m = mode_coverage(clf.predict(data.images[1500:2500]), n_classes=10)
    assert sum(m["shares"]) == pytest.approx(1.0) and m["n_covered"] >= 8 and m["kl_to_uniform"] < 0.2
    ones = data.images[1500:][data.labels[1500:] == 1][:200]
    collapsed = mode_coverage(clf.predict(ones), n_classes=10)
    assert collapsed["n_covered"] <= 2 and collapsed["max_share"] > 0.8


# ------------------------------------------------------------------------------- experiments
def test_scheme_experiments_validate_and_one_runs_at_quick_scale(tmp_path):
    from vaegan_gluon.experiments import get_config, run_experiment, sweep_configs
    from vaegan_gluon.experiments.catalog import SCHEME_EXPERIMENTS
    for name in SCHEME_EXPERIMENTS:
        for scale in ("quick", "medium", "full"):
            get_config(name, scale)
    assert len(sweep_configs("sweep-larsen-lr-schedule", "quick")) == 4
    r = run_experiment("mnist-larsen-vaegan", scale="quick", overrides={"data.n_train": 256},
                       run_dir=str(tmp_path / "run"), progress=False)
    assert r.history[-1]["phase"] == "combo" and np.isfinite(r.history[-1]["enc_loss"])


# ------------------------------------------------------------------------------------ discriminator outputs
@pytest.mark.parametrize("feature_layer, n_attributes", [(None, 0), (2, 0), (None, 3), (2, 3)])
def test_discriminator_outputs_are_named(feature_layer, n_attributes):
    from vaegan_gluon.models.discriminators import DiscOutput, name_outputs, run_disc
    from vaegan_gluon.train.schemes.stabilisers import disc_outputs
    disc = small_conv_disc(feature_layer=feature_layer, n_attributes=n_attributes)
    disc.initialize()
    x = nd.random.uniform(shape=(4, 1, 28, 28))
    o = run_disc(disc, x)
    assert isinstance(o, DiscOutput) and np.allclose(o.logits.asnumpy(), disc.outputs(x).logits.asnumpy())
    assert o.logits.shape == (4, 1)
    assert (o.features is None) == (feature_layer is None) and (o.attributes is None) == (n_attributes == 0)
    if feature_layer is not None:
        assert o.features.shape == (4, 8, 7, 7)
    if n_attributes:
        assert o.attributes.shape == (4, 3)
    # joint: one call on [real; fake], every output split back into its rows
    real, fake = disc_outputs(disc, x[:2], x[2:], joint=True)
    for part in ("logits", "features", "attributes"):
        r, f = getattr(real, part), getattr(fake, part)
        assert (r is None) == (f is None) == (getattr(o, part) is None)
        if r is not None:
            assert r.shape[0] == 2 and f.shape[0] == 2
    with pytest.raises(ValueError, match="returned 1 outputs"):
        name_outputs(disc, o.logits) if (feature_layer or n_attributes) else name_outputs(
            small_conv_disc(feature_layer=2), o.logits)
