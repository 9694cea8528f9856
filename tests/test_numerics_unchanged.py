"""The training arithmetic of the claims campaign's code, kept: quick runs of every scheme the campaign trains
give the same statistics and parameters, every bit, as at the commit the campaign's runs were made with.

``tests/data/numerics_baseline.json`` was recorded at that commit (``PYTHONPATH=<a worktree of it> python
tests/test_numerics_unchanged.py --record``; the commit is in the file), one set per oneDNN ISA class
(``tests/numerics_isa.py``: another CPU kind sums in another order, so bits are compared within a class; a
machine of a class without a set records it from that commit the same way). When this test passes, the current
code's numerics fingerprint may be mapped onto that commit's in ``vaegan_gluon/train/fingerprint_equivalent.json``,
so that runs made now and the campaign's runs stay one comparison. Cases: the dense pixel VAE alone (MNIST
full's reference), DenseVAE + DenseLogReg at disc weight 10, ConvVAE + ResNet-free ConvDisc, the Larsen VAE/GAN
(ConvVAE + ConvDisc features at layer 2, and 3-channel ConvVAE + DeepConvDisc features at layer 4, as the faces
VAE/GAN), each hybridized and imperative: 1 solo + 2 combo epochs of 4 steps.
"""
import hashlib
import json
import os
import sys

import numpy as np
import pytest

import vaegan_gluon  # noqa: F401  (sets OMP_NUM_THREADS before mxnet)
from vaegan_gluon.models import get_model
from vaegan_gluon.train import TrainConfig, Trainer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from numerics_isa import baseline_for, isa_class  # noqa: E402

BASELINE = os.path.join(os.path.dirname(__file__), "data", "numerics_baseline.json")
NOT_COMPARED = {"seconds", "images_per_s", "event", "phase", "adv_on", "epoch"}
GRAY, RGB = (1, 28, 28), (3, 32, 32)
CASES = {
    "dense_alone": ("learnable_loss", GRAY, lambda: get_model("DenseVAE", n_latent=2, n_hidden_layers=1,
                                                              n_hidden_units=32, image_shape=GRAY), None, {}),
    "dense_logreg": ("learnable_loss", GRAY, lambda: get_model("DenseVAE", n_latent=2, n_hidden_layers=1,
                                                               n_hidden_units=32, image_shape=GRAY),
                     lambda: get_model("DenseLogReg", n_hidden_layers=1, n_hidden_units=16), {}),
    "conv_convdisc": ("learnable_loss", GRAY, lambda: get_model("ConvVAE", n_latent=8, base_channels=4,
                                                                image_shape=GRAY),
                      lambda: get_model("ConvDisc", base_channels=4), {}),
    "larsen_mnist": ("larsen", GRAY, lambda: get_model("ConvVAE", n_latent=8, base_channels=4, image_shape=GRAY),
                     lambda: get_model("ConvDisc", base_channels=4, feature_layer=2), {"gamma": 5e-5}),
    "larsen_faces": ("larsen", RGB, lambda: get_model("ConvVAE", n_latent=8, base_channels=4, image_shape=RGB),
                     lambda: get_model("DeepConvDisc", base_channels=4, feature_layer=4), {"gamma": 1e-6}),
}


def images(shape):
    return np.random.RandomState(7).rand(32, *shape).astype("float32")


def digest(net):
    h = hashlib.sha256()
    for p in net.collect_params().values():
        h.update(p.data().asnumpy().tobytes())
    return h.hexdigest()


def quick_stats(case, hybridize):
    scheme, shape, make_vae, make_disc, extra = CASES[case]
    cfg = dict(scheme=scheme, n_epochs=3, n_solo_epochs=1, batch_size=8, disc_weight=10.0, seed=5,
               hybridize=hybridize, log_interval=1000, extra=extra)
    vae, disc = make_vae(), (make_disc() if make_disc else None)
    rows = Trainer(vae, disc, TrainConfig.from_dict(cfg), progress=False).fit(images(shape))
    out = [{k: v for k, v in r.items() if k not in NOT_COMPARED} for r in rows]
    return out + [{"vae_params_sha256": digest(vae), "disc_params_sha256": digest(disc) if disc else None}]


def all_stats():
    return {f"{c}/{'hybrid' if h else 'imperative'}": quick_stats(c, h) for c in CASES for h in (True, False)}


def child_stats():
    """:func:`all_stats` in a child process with one OpenMP thread: oneDNN's convolutions sum in another
    order with another thread count, so bits are compared at the thread count the baseline was made with."""
    import subprocess
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--all"], env=env, capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def now_stats():
    return child_stats()


def record():
    """This machine's ISA class's set, from the code on PYTHONPATH, which must be the baseline's commit."""
    import platform
    from vaegan_gluon.train.fingerprint import fingerprint
    from vaegan_gluon.utils import current_commit
    with open(BASELINE) as f:
        base = json.load(f)
    commit, fp = current_commit(), fingerprint()["fingerprint"]
    if fp != base["fingerprint"]:
        raise SystemExit(f"the baseline is of commit {base['commit']} (fingerprint {base['fingerprint']}); "
                         f"PYTHONPATH gives {commit} ({fp}): record from a worktree of the baseline's commit")
    isa = isa_class()
    base["by_isa"][isa] = child_stats()
    base["recorded"][isa] = f"{platform.processor() or platform.machine()}"
    with open(BASELINE, "w") as f:
        json.dump(base, f, indent=1, sort_keys=True)
    print(f"wrote {BASELINE} ({isa}; commit {commit}, fingerprint {fp})")


@pytest.fixture(scope="module")
def baseline_runs():
    """The campaign commit's runs under this machine's oneDNN ISA class (skipped, saying how to record them)."""
    return baseline_for(BASELINE, "the campaign's commit")


@pytest.mark.parametrize("hybridize", [True, False], ids=["hybrid", "imperative"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_training_arithmetic_is_the_campaigns(case, hybridize, now_stats, baseline_runs):
    key = f"{case}/{'hybrid' if hybridize else 'imperative'}"
    before = baseline_runs[key]
    now = now_stats[key]
    assert len(now) == len(before)
    for epoch, (a, b) in enumerate(zip(now, before), 1):
        assert set(b) <= set(a), f"columns lost: {sorted(set(b) - set(a))}"
        for k in sorted(set(a) & set(b)):
            va, vb = a[k], b[k]
            if isinstance(vb, float) and vb != vb:
                assert isinstance(va, float) and va != va, (case, epoch, k, va)
            else:
                assert va == vb, f"{case} epoch {epoch} {k}: {va!r} != {vb!r} (must be bit-identical)"


def test_the_equivalence_file_names_only_proven_fingerprints():
    """Every alias maps onto the baseline's fingerprint and says which test proves it."""
    from vaegan_gluon.train import fingerprint as fpm
    with open(BASELINE) as f:
        base = json.load(f)
    with open(fpm.EQUIVALENT_FILE) as f:
        aliases = json.load(f)
    for new, entry in aliases.items():
        assert entry["same_as"] == base["fingerprint"] and "test_numerics_unchanged" in entry["proof"], new


if __name__ == "__main__":
    if "--record" in sys.argv:
        record()
    elif "--all" in sys.argv:
        print(json.dumps(all_stats()))
