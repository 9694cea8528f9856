"""Time to quality: CPU seconds to reach a held-out negative ELBO, ours vs the original's loop.

``python -m benchmarks.time_to_quality [--target 130] [--max-epochs 30] [--sides ours,reference]``

The ``mnist-vae-logreg`` experiment's models (DenseVAE(5, 3x400) + DenseLogReg(1x200), BCE, disc
weight 1, lr 1e-3, batch 64, every epoch combo) on ``mnist-5k``: each side trains from the same
initial weights and the same shuffled batch order, and after every epoch the VAE's held-out negative
ELBO (``vaegan_gluon.metrics.reconstruction_metrics`` on the ``test`` split, one-sample ELBO, seed 0)
is measured *outside* the clock. The clock is ``time.process_time()`` of the side's own process (CPU
seconds of all its threads: less sensitive to a shared machine's load than wall time; wall seconds
are recorded too).

- **ours**: the package's hot path, ``Trainer(...).scheme.step`` on device batches (hybridized,
  device-side statistics, no host read per batch);
- **reference**: :class:`benchmarks.reference.ReferenceStep` (the original's step, op for op).

Written: ``benchmarks/results/ttq-<timestamp>.json`` (per epoch: cpu_s, wall_s, neg_elbo) and the
CPU seconds at which each side first reached each threshold of ``--ladder`` (and ``--target``).
"""
import argparse
import datetime
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
VAE = ("DenseVAE", dict(n_latent=5, n_hidden_layers=3, n_hidden_units=400, image_shape=(1, 28, 28)))
DISC = ("DenseLogReg", dict(n_hidden_layers=1, n_hidden_units=200))
BATCH = 64


def run_side(side, max_epochs, target, seed=0):
    import numpy as np
    import vaegan_gluon  # noqa: F401
    import mxnet as mx
    from mxnet import nd
    from vaegan_gluon.data import load
    from vaegan_gluon.metrics import reconstruction_metrics
    from vaegan_gluon.models import get_model
    train = load("mnist-5k", split="train").images.astype(np.float32)
    test = load("mnist-5k", split="test").images.astype(np.float32)
    mx.random.seed(seed)
    vae, disc = get_model(VAE[0], **VAE[1]), get_model(DISC[0], **DISC[1])
    if side == "ours":
        from vaegan_gluon.train import Trainer
        tr = Trainer(vae, disc, config={"n_epochs": 1, "batch_size": BATCH, "seed": seed}, progress=False)
        tr._prepare()
        weights = {"pbp_weight": 1.0, "disc_weight": 1.0, "adv_on": True}

        def step(x):
            return tr.scheme.step([x], "combo", weights)
    else:
        from .reference import ReferenceStep
        for net in (vae, disc):
            net.initialize(mx.init.Xavier())
            net(nd.zeros((2,) + train.shape[1:]))
        ref = ReferenceStep(vae, disc)

        def step(x):
            return ref.step(x, "combo")
    rs = np.random.RandomState(seed)
    history, cpu, wall = [], 0.0, 0.0
    for epoch in range(max_epochs):
        order = rs.permutation(len(train))
        c0, w0 = time.process_time(), time.perf_counter()
        for s in range(0, len(order), BATCH):
            step(nd.array(train[order[s:s + BATCH]]))
        nd.waitall()
        cpu += time.process_time() - c0
        wall += time.perf_counter() - w0
        m = reconstruction_metrics(vae, test, seed=0)
        history.append({"epoch": epoch + 1, "cpu_s": cpu, "wall_s": wall, "neg_elbo": m["neg_elbo"],
                        "loadavg": os.getloadavg()[0]})
        print(json.dumps(history[-1]), file=sys.stderr, flush=True)
        if m["neg_elbo"] <= target:
            break
    return {"side": side, "history": history, "n_train": len(train), "n_test": len(test)}


def first_reach(history, threshold):
    for h in history:
        if h["neg_elbo"] <= threshold:
            return h["cpu_s"]
    return None


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m benchmarks.time_to_quality", description=__doc__.split("\n\n")[0])
    ap.add_argument("--target", type=float, default=130.0, help="held-out negative ELBO to reach (nats)")
    ap.add_argument("--ladder", default="200,170,150,140,135,130", help="thresholds reported as well")
    ap.add_argument("--max-epochs", type=int, default=30)
    ap.add_argument("--sides", default="ours,reference")
    ap.add_argument("--out", default=os.path.join(HERE, "results"))
    ap.add_argument("--_child", default=None, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a._child:
        print(json.dumps(run_side(a._child, a.max_epochs, a.target)))
        return 0
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    ladder = sorted({float(t) for t in a.ladder.split(",")} | {a.target}, reverse=True)
    result = {"timestamp": datetime.datetime.now().strftime("%Y%m%d-%H%M%S"),
              "command": "python -m benchmarks.time_to_quality " + " ".join(sys.argv[1:] if argv is None else argv),
              "target": a.target, "max_epochs": a.max_epochs, "experiment": "mnist-vae-logreg on mnist-5k",
              "loadavg_start": os.getloadavg(), "sides": {}}
    for side in [s.strip() for s in a.sides.split(",") if s.strip()]:
        p = subprocess.run([sys.executable, "-m", "benchmarks.time_to_quality", "--_child", side, "--max-epochs",
                            str(a.max_epochs), "--target", str(a.target)], cwd=ROOT, env=env,
                           capture_output=True, text=True)
        if p.returncode != 0:
            result["sides"][side] = {"error": (p.stderr or "").strip().splitlines()[-3:]}
            continue
        r = json.loads(p.stdout.strip().splitlines()[-1])
        r["cpu_s_to"] = {f"{t:g}": first_reach(r["history"], t) for t in ladder}
        result["sides"][side] = r
    o, f = result["sides"].get("ours", {}), result["sides"].get("reference", {})
    result["speedup_cpu"] = {k: (f["cpu_s_to"][k] / o["cpu_s_to"][k]) if o.get("cpu_s_to", {}).get(k)
                             and f.get("cpu_s_to", {}).get(k) else None for k in o.get("cpu_s_to", {})}
    result["loadavg_end"] = os.getloadavg()
    os.makedirs(a.out, exist_ok=True)
    path = os.path.join(a.out, f"ttq-{result['timestamp']}.json")
    with open(path, "w") as fh:
        json.dump(result, fh, indent=2)
    print(markdown(result))
    print(f"results: {path}", file=sys.stderr)
    return 0


def markdown(result):
    sides = result["sides"]
    keys = list(next((s["cpu_s_to"] for s in sides.values() if "cpu_s_to" in s), {}))
    lines = [f"`{result['command']}` ({result['experiment']}, load average at start "
             f"{result['loadavg_start'][0]:.1f})", "",
             "| held-out neg. ELBO <= | " + " | ".join(f"{s} CPU s" for s in sides) + " | reference / ours |",
             "|---|" + "---|" * len(sides) + "---|"]
    for k in keys:
        cells = []
        for s in sides.values():
            v = s.get("cpu_s_to", {}).get(k)
            cells.append("not reached" if v is None else f"{v:.0f}")
        sp = result["speedup_cpu"].get(k)
        lines.append(f"| {k} | " + " | ".join(cells) + f" | {f'{sp:.2f}x' if sp else '-'} |")
    best = {n: min(h["neg_elbo"] for h in s["history"]) for n, s in sides.items() if "history" in s}
    lines += ["", "best held-out neg. ELBO within the epoch cap: " +
              ", ".join(f"{n} {v:.1f} ({len(sides[n]['history'])} epochs)" for n, v in best.items())]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
