"""Cost of the grad_ratio diagnostic (issue 33): seconds per combo step measuring every step against never.

    OMP_NUM_THREADS=1 python -m benchmarks.grad_ratio_cost [--steps 40] [--repeats 3]

The medium models of ``anime-conv-vae-convdisc`` (ConvVAE(128, 16) + ConvDisc(32), 3x32x32, batch 64) and of
``mnist-vae-logreg``-like DenseVAE(5, 3, 400) + DenseLogReg(1, 200) at 1x28x28, on random images, hybridized;
combo epochs only. ``grad_ratio_every=0`` measures once (the first step), ``1`` every step; the overhead of
measuring every N steps is ``(t_1 - t_0) / N / t_0``. Runs alternate (0, 1, 0, 1, ...) so that a loaded
machine's drift hits both; the minimum per setting is reported.
"""
import argparse
import json

import numpy as np

import vaegan_gluon  # noqa: F401
from vaegan_gluon.models import get_model
from vaegan_gluon.train import TrainConfig, Trainer

CASES = {
    "conv": (lambda: get_model("ConvVAE", n_latent=128, base_channels=16, image_shape=(3, 32, 32)),
             lambda: get_model("ConvDisc", base_channels=32), (3, 32, 32), 64),
    "dense": (lambda: get_model("DenseVAE", n_latent=5, n_hidden_layers=3, n_hidden_units=400,
                                image_shape=(1, 28, 28)),
              lambda: get_model("DenseLogReg", n_hidden_layers=1, n_hidden_units=200), (1, 28, 28), 64),
}


def seconds_per_step(case, every, steps, mode="fixed"):
    make_vae, make_disc, shape, batch = CASES[case]
    x = np.random.RandomState(0).rand(batch * steps, *shape).astype("float32")
    cfg = TrainConfig(n_epochs=2, batch_size=batch, disc_weight=10.0, grad_ratio_every=every,
                      disc_weight_mode=mode, log_interval=10 ** 6)
    rows = Trainer(make_vae(), make_disc(), cfg, progress=False).fit(x)
    return rows[-1]["seconds"] / steps   # the second epoch: graphs built, memory warm


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--cases", default="conv,dense")
    a = ap.parse_args(argv)
    out = {}
    for case in a.cases.split(","):
        t = {"never": [], "every": [], "adaptive": []}
        for _ in range(a.repeats):
            t["never"].append(seconds_per_step(case, 0, a.steps))
            t["every"].append(seconds_per_step(case, 1, a.steps))
            t["adaptive"].append(seconds_per_step(case, 1, a.steps, "adaptive"))
        t0, t1, ta = min(t["never"]), min(t["every"]), min(t["adaptive"])
        per = t1 - t0
        out[case] = {"s_per_step_never": t0, "s_per_step_every": t1, "s_per_step_adaptive": ta,
                     "overhead_every_step": per / t0, "overhead_adaptive": (ta - t0) / t0,
                     **{f"overhead_every_{n}": per / n / t0 for n in (5, 10, 20, 50)}, "runs": t}
        print(case, json.dumps({k: round(v, 4) for k, v in out[case].items() if k != "runs"}), flush=True)
    return out


if __name__ == "__main__":
    main()
