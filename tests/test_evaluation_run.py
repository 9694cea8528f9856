"""Every run's metrics.json holds the feature-space scores; ``vaegan evaluate`` re-scores old runs."""
import json
import os

import numpy as np
import pytest

from vaegan_gluon.cli import main
from vaegan_gluon.experiments import run_experiment

COMMON = ("extractor", "extractor_sha256", "n_eval_images", "fid_recon", "fid_samples", "fid_data",
          "fid_mean_image", "kid_samples", "kid_samples_sd", "precision", "recall", "warnings")


def _metrics(run_dir):
    with open(os.path.join(run_dir, "metrics.json")) as f:
        return json.load(f)


@pytest.fixture(scope="module")
def mnist_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    return run_experiment("mnist-vae-logreg", "quick", results_root=str(root), progress=False).run_dir


def test_quick_mnist_run_holds_every_key(mnist_run):
    m = _metrics(mnist_run)
    missing = [k for k in COMMON + ("mode_coverage",) if k not in m]
    assert not missing, missing
    assert m["extractor"] == "mnist" and len(m["extractor_sha256"]) == 64
    assert set(m["mode_coverage"]) >= {"shares", "n_covered", "n_classes", "kl_to_uniform"}
    assert m["fid_data"] < m["fid_mean_image"]          # the floor sits below the blurred-average ceiling
    assert any("few images" in w for w in m["warnings"])  # quick scale: 100 held-out images < 2 x 128
    report = open(os.path.join(mnist_run, "README.md")).read()
    assert "for monitoring purposes" in report and "> **Warning:**" in report


def test_vaegan_evaluate_rescores_and_reports_bad_extractor_input(mnist_run, capsys):
    assert main(["evaluate", mnist_run, "--n", "40"]) == 0
    m = _metrics(mnist_run)
    assert m["n_eval_images"] == 40 and m["extractor"] == "mnist"
    # the faces extractor wants RGB: a warning naming both shapes, no stale mnist numbers left behind
    assert main(["evaluate", mnist_run, "--extractor", "faces"]) == 0
    m = _metrics(mnist_run)
    assert "fid_recon" not in m and "mode_coverage" not in m
    assert any("(N, 3, H, W)" in w and "(100, 1, 28, 28)" in w for w in m["warnings"]), m["warnings"]
    assert main(["evaluate", mnist_run, "--extractor", "nope"]) == 2
    assert "valid names: mnist, fashion-mnist, faces" in capsys.readouterr().err


def test_quick_faces_run_holds_attribute_scores(tmp_path):
    r = run_experiment("faces-ae", "quick", results_root=str(tmp_path), progress=False)
    m = _metrics(r.run_dir)
    missing = [k for k in COMMON + ("attr_acc_recon", "arith_success", "arith_success_per_attr") if k not in m]
    assert not missing, missing
    assert m["extractor"] == "faces"
    assert set(m["attr_acc_recon"]) >= {"hair_colour", "eye_colour", "skin_tone", "smiling", "glasses"}
    assert all(0 <= v <= 1 for v in m["attr_acc_recon"].values())


def test_a_run_with_solo_epochs_scores_its_vae_at_the_switch(tmp_path):
    """The ResNet reference with 2 solo + 1 combo epochs: metrics.json holds the VAE-alone scores of its
    switch (the claims bar reads them), and the final weights are loaded back afterwards: vae.params and
    the reported reconstructions are those of the final VAE, not the switch's."""
    from mxnet import nd
    r = run_experiment("anime-conv-vae-resnet", "quick", results_root=str(tmp_path), progress=False,
                       overrides={"train.n_epochs": 3, "train.n_solo_epochs": 2})
    m = _metrics(r.run_dir)
    s = m["at_switch"]
    assert s["epoch"] == 2 and s["extractor"] == "faces"
    assert set(s) == {"epoch", "extractor", "fid_recon", "fid_mean_image", "attr_acc_recon"}
    assert s["fid_mean_image"] == pytest.approx(m["fid_mean_image"])   # the same images, the same ceiling
    assert s["fid_recon"] != m["fid_recon"]
    assert "at the solo -> combo switch (after epoch 2" in open(os.path.join(r.run_dir, "README.md")).read()
    final = nd.load(os.path.join(r.run_dir, "vae.params"))
    r.trainer.vae.save_parameters(str(tmp_path / "after.params"))
    after = nd.load(str(tmp_path / "after.params"))
    for k in final:
        np.testing.assert_array_equal(final[k].asnumpy(), after[k].asnumpy())
    # `vaegan evaluate` re-scores the switch VAE too (same extractor, same images: the same numbers)
    from vaegan_gluon.experiments.rescore import evaluate_run
    path = os.path.join(r.run_dir, "metrics.json")
    json.dump({k: v for k, v in m.items() if k != "at_switch"}, open(path, "w"))
    again = evaluate_run(r.run_dir)
    assert again["at_switch"]["fid_recon"] == pytest.approx(s["fid_recon"], rel=1e-6)
    assert again["fid_recon"] == pytest.approx(m["fid_recon"], rel=1e-6)
