"""Issue 33 (Adaptive weight): the default settings train bit-identically to the code before it.

``tests/data/adaptive_weight_baseline.json`` holds the per-epoch statistics of quick runs recorded from the
code *before* the adaptive weight, the gradient-ratio diagnostic, ``disc_train_during_solo`` and spectral
normalisation were added, one set per oneDNN ISA class (``tests/numerics_isa.py``: other CPU kinds sum in
another order). A machine of a class without one records it from that code: ``git worktree add /tmp/before
d0d7223^ && PYTHONPATH=/tmp/before python tests/test_adaptive_weight_identity.py --record``. With the
defaults (``disc_weight_mode="fixed"``, the discriminator idle in solo epochs, no spectral norm) every
statistic and every trained parameter (BatchNorm's running statistics included: sha256 of the networks'
parameters) must be *exactly* equal, also when the ratio is measured at every step: the diagnostic (``grad_ratio``)
computes its two gradients with
two extra backward passes on the retained graph, whose gradients the step's own backward overwrites.

Cases: DenseVAE(2, 1, 32) + DenseLogReg(1, 16) and ConvVAE(8, 4) + ConvDisc(4) with ``learnable_loss`` at disc
weight 10, and AE(8, 4) + ConvDisc(4) with ``aegan``; each hybridized and imperative; 32 images of 1x28x28, batch
8, 1 solo + 2 combo epochs (4 steps an epoch).
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

BASELINE = os.path.join(os.path.dirname(__file__), "data", "adaptive_weight_baseline.json")
NOT_COMPARED = {"seconds", "images_per_s", "event", "phase", "adv_on", "epoch"}
CASES = {
    "dense_logreg": ("learnable_loss", lambda: get_model("DenseVAE", n_latent=2, n_hidden_layers=1, n_hidden_units=32,
                                                         image_shape=(1, 28, 28)),
                     lambda: get_model("DenseLogReg", n_hidden_layers=1, n_hidden_units=16)),
    "conv_convdisc": ("learnable_loss", lambda: get_model("ConvVAE", n_latent=8, base_channels=4,
                                                          image_shape=(1, 28, 28)),
                      lambda: get_model("ConvDisc", base_channels=4)),
    "aegan_convdisc": ("aegan", lambda: get_model("AE", n_latent=8, base_channels=4, image_shape=(1, 28, 28)),
                       lambda: get_model("ConvDisc", base_channels=4)),
}


def images():
    return np.random.RandomState(7).rand(32, 1, 28, 28).astype("float32")


def digest(net):
    """sha256 of every parameter of ``net`` (trainable ones and BatchNorm's running statistics), in order."""
    h = hashlib.sha256()
    for p in net.collect_params().values():
        h.update(p.data().asnumpy().tobytes())
    return h.hexdigest()


def quick_stats(case, hybridize, **train):
    """The rows (numeric columns only, in CSV order) of the quick run ``case``, then a last row with the
    digests of the trained networks' parameters."""
    scheme, make_vae, make_disc = CASES[case]
    cfg = dict(scheme=scheme, n_epochs=3, n_solo_epochs=1, batch_size=8, disc_weight=10.0, seed=5,
               hybridize=hybridize, log_interval=1000)
    cfg.update(train)
    vae, disc = make_vae(), make_disc()
    rows = Trainer(vae, disc, TrainConfig.from_dict(cfg), progress=False).fit(images())
    return [{k: v for k, v in r.items() if k not in NOT_COMPARED} for r in rows] + [
        {"vae_params_sha256": digest(vae), "disc_params_sha256": digest(disc)}]


def record():
    """This machine's ISA class's baseline, from the code on PYTHONPATH (the code before the change)."""
    import platform
    with open(BASELINE) as f:
        base = json.load(f)
    isa = isa_class()
    base["by_isa"][isa] = {f"{case}/{'hybrid' if h else 'imperative'}": quick_stats(case, h)
                           for case in CASES for h in (True, False)}
    base["recorded"][isa] = f"{platform.processor() or platform.machine()}, from {vaegan_gluon.__file__}"
    with open(BASELINE, "w") as f:
        json.dump(base, f, indent=1, sort_keys=True)
    print(f"wrote {BASELINE} ({isa})")


@pytest.fixture(scope="module")
def before():
    """The baseline of this machine's oneDNN ISA class (skipped, saying how to record one, if there is none)."""
    return baseline_for(BASELINE, "the code before the change")


def _key(case, hybridize, every_step):
    return f"{case}/{'hybrid' if hybridize else 'imperative'}/{'every' if every_step else 'default'}"


def all_stats():
    return {_key(c, h, e): quick_stats(c, h, **({"grad_ratio_every": 1} if e else {}))
            for c in CASES for h in (True, False) for e in (False, True)}


@pytest.fixture(scope="module")
def now_stats():
    """Every case in a child process with one OpenMP thread, as the baseline was recorded: oneDNN's
    convolutions sum in another order with another thread count (CI runs with 2)."""
    import subprocess
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--all"],
                         env={**os.environ, "OMP_NUM_THREADS": "1"}, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("every_step", [False, True], ids=["default", "measured-every-step"])
@pytest.mark.parametrize("hybridize", [True, False], ids=["hybrid", "imperative"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_default_settings_are_bit_identical_to_before(case, hybridize, every_step, now_stats, before):
    before = before[f"{case}/{'hybrid' if hybridize else 'imperative'}"]
    now = now_stats[_key(case, hybridize, every_step)]
    assert len(now) == len(before)
    for epoch, (a, b) in enumerate(zip(now, before), 1):
        shared = sorted(set(a) & set(b))
        assert set(b) <= set(a), f"columns lost: {sorted(set(b) - set(a))}"
        for k in shared:
            va, vb = a[k], b[k]
            if isinstance(vb, float) and vb != vb:
                assert isinstance(va, float) and va != va, (case, epoch, k, va)
            else:
                assert va == vb, f"{case} epoch {epoch} {k}: {va!r} != {vb!r} (must be bit-identical)"


if __name__ == "__main__":
    if "--record" in sys.argv:
        record()
    elif "--all" in sys.argv:
        print(json.dumps(all_stats()))
