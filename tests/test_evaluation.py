"""The feature-space scores (vaegan_gluon.evaluation.scores): each test can fail on a real fault."""

import numpy as np
import pytest

from vaegan_gluon.evaluation import scores


def _gauss(n, d=8, shift=0.0, seed=0, scale=1.0):
    return np.random.RandomState(seed).standard_normal((n, d)) * scale + shift


def test_fid_of_a_set_with_itself_is_zero():
    x = _gauss(500, 16)
    assert abs(scores.fid(x, x)) < 1e-6


def test_fid_halves_of_one_set_far_below_another_class():
    from vaegan_gluon.data import load
    from vaegan_gluon.evaluation import get_extractor
    data = load("mnist-5k", split="train")
    f = get_extractor("mnist").features(data.images[:3000])
    lab = data.labels[:3000]
    zeros, ones = f[lab == 0], f[lab == 1]
    half = len(zeros) // 2
    within = scores.fid(zeros[:half], zeros[half:], warn=False)
    across = scores.fid(zeros[:half], ones[:half], warn=False)
    assert within < 0.2 * across, (within, across)


def test_fid_warns_with_the_count_below_2d():
    x = _gauss(20, 16)
    with pytest.warns(scores.FewSamplesWarning, match=r"20 and 20 feature vectors of dimension 16.*32"):
        scores.fid(x, x + 1)


def test_fid_names_both_shapes_on_mismatched_features():
    with pytest.raises(ValueError, match=r"\(10, 4\).*\(10, 5\)"):
        scores.fid(_gauss(10, 4), _gauss(10, 5))


def test_kid_halves_near_zero_and_shifted_set_not():
    x = _gauss(2000, 16, seed=1)
    mean, sd = scores.kid(x[:1000], x[1000:], n_subsets=30, subset_size=400, seed=0)
    assert abs(mean) < 3 * sd, (mean, sd)
    mean_s, sd_s = scores.kid(x[:1000], x[1000:] + 0.5, n_subsets=30, subset_size=400, seed=0)
    assert mean_s > 3 * sd_s and mean_s > 10 * abs(mean), (mean_s, sd_s)


def test_kid_is_seeded():
    x, y = _gauss(300, 8, seed=2), _gauss(300, 8, seed=3, shift=0.2)
    assert scores.kid(x, y, seed=5) == scores.kid(x, y, seed=5)
    assert scores.kid(x, y, seed=5) != scores.kid(x, y, seed=6)


def test_precision_recall_on_gaussians():
    real = _gauss(1000, 4, seed=0)
    p, r = scores.precision_recall(real, _gauss(1000, 4, seed=1))
    assert p > 0.85 and r > 0.85, (p, r)
    p, r = scores.precision_recall(real, _gauss(1000, 4, seed=1, shift=20.0))
    assert p < 0.05 and r < 0.05, (p, r)
    # fakes from a narrow core of the real distribution: all realistic, little of it covered
    p, r = scores.precision_recall(real, _gauss(1000, 4, seed=1, scale=0.3))
    assert p > 0.9 and r < 0.6, (p, r)


def test_knn_radius_excludes_the_point_itself():
    x = np.array([[0.0], [1.0], [3.0], [6.0], [10.0]])
    # k = 1: nearest other point
    np.testing.assert_allclose(scores.kth_nn_radii(x, k=1), [1, 1, 4, 9, 16])


def test_mode_coverage_counts_and_kl():
    even = scores.mode_coverage(np.arange(1000) % 10, 10)
    assert even["n_covered"] == 10 and even["kl_to_uniform"] == pytest.approx(0.0, abs=1e-12)
    two = scores.mode_coverage(np.array([3] * 500 + [7] * 500), 10)
    assert two["n_covered"] == 2 and two["kl_to_uniform"] == pytest.approx(np.log(5))
    # a class with just under half its fair share is not covered
    pred = np.array([0] * 49 + [1] * 951)
    assert scores.mode_coverage(pred, 10, min_share=0.05)["n_covered"] == 1


def test_collapse_warnings():
    from vaegan_gluon.evaluation.scoring import collapse_warnings
    ok = {"disc_acc_real": 0.9, "disc_acc_fake": 0.8, "precision": 0.5,
          "mode_coverage": {"n_covered": 9, "n_classes": 10, "kl_to_uniform": 0.1}}
    assert collapse_warnings(ok) == []
    bad = dict(ok, disc_acc_real=0.995, disc_acc_fake=0.0, precision=0.05,
               mode_coverage={"n_covered": 4, "n_classes": 10, "kl_to_uniform": 1.2})
    w = collapse_warnings(bad)
    assert len(w) == 3 and "discriminator" in w[0] and "4 of 10" in w[1] and "precision" in w[2]


def test_choose_extractor():
    from vaegan_gluon.evaluation.scoring import choose_extractor
    assert choose_extractor({"data": {"source": "mnist-5k"}}) == ("mnist", None)
    assert choose_extractor({"data": {"source": "synthetic-faces"}}) == ("faces", None)
    assert choose_extractor({"data": {"source": "fashion-mnist"}}) == ("fashion-mnist", None)
    name, note = choose_extractor({"data": {"source": "image-folder", "options": {"path": "x"}}})
    assert name == "faces" and "synthetic" in note
    assert choose_extractor({"data": {"source": "mnist-5k"}, "eval": {"extractor": "faces"}})[0] == "faces"
    assert choose_extractor({"data": {"source": "mnist-5k"}, "eval": {"extractor": "none"}})[0] is None
    with pytest.raises(ValueError, match="valid names: mnist, fashion-mnist, faces"):
        choose_extractor({"data": {"source": "mnist-5k"}}, override="inceptionv4")
