"""Time to quality: CPU seconds to reach a stated quality, ours vs the original's loop.

``python -m benchmarks.time_to_quality [--task mnist|faces] [--max-epochs N] [--sides ours,reference]
[--readme docs/performance.md]``

Two tasks (``--task``):

- ``mnist`` (default): the ``mnist-vae-logreg`` experiment's models (DenseVAE(5, 3x400) +
  DenseLogReg(1x200), BCE, disc weight 1, lr 1e-3, batch 64, every epoch combo) on ``mnist-5k``; quality =
  the VAE's held-out negative ELBO (``vaegan_gluon.evaluation.metrics.reconstruction_metrics`` on the ``test``
  split, one-sample ELBO, seed 0); target <= 130 nats (``--target``).
- ``faces``: the claims issue's notebook-scale face baseline, ``anime-conv-vae --scale medium``
  (ConvVAE(128, 16), VAE alone, lr 1e-3, batch 64, 3,712 32x32 synthetic faces, 640 held out); quality =
  the baseline bar of ``vaegan_gluon.claims.gates.passes_bar`` in the shipped ``faces`` extractor's
  feature space: ``fid_recon / fid_mean_image`` (target <= 0.5) and the reconstructions' hair-colour
  accuracy (>= 0.9); the bar is reached when both hold.

Each side trains from the same initial weights and the same shuffled batch order, and after every epoch
the quality is measured *outside* the clock. The clock is ``time.process_time()`` of the side's own
process (CPU seconds of all its threads: less sensitive to a shared machine's load than wall time;
wall seconds are recorded too).

- **ours**: the package's hot path, ``Trainer(...).scheme.step`` on device batches (hybridized,
  device-side statistics, no host read per batch);
- **reference**: :class:`benchmarks.reference.ReferenceStep` (the original's step, op for op).

Written: ``benchmarks/results/ttq-<task>-<timestamp>.json`` (per epoch: cpu_s, wall_s and the quality)
and the CPU seconds at which each side first reached each threshold of ``--ladder`` (and the target).
"""
import argparse
import datetime
import json
import os
import subprocess
import sys
import time

from . import render_saved

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BATCH = 64
#: per task: what is trained, the quality key ("lower" is better for both), target and ladder defaults
TASKS = {
    "mnist": {"experiment": "mnist-vae-logreg on mnist-5k", "quality": "neg_elbo",
              "label": "held-out neg. ELBO <=", "target": 130.0, "ladder": "200,170,150,140,135,130"},
    "faces": {"experiment": "anime-conv-vae --scale medium (ConvVAE(128, 16) alone, 32x32 synthetic faces)",
              "quality": "fid_ratio", "label": "fid_recon / fid_mean_image <=", "target": 0.5,
              "ladder": "0.8,0.6,0.5,0.4,0.35", "bar": "hair_colour"},
}


def _mnist():
    """(train images, quality(vae) -> dict, the step's models, phase) of the mnist task."""
    import numpy as np
    from vaegan_gluon.data import load
    from vaegan_gluon.evaluation.metrics import reconstruction_metrics
    from vaegan_gluon.models import get_model
    train = load("mnist-5k", split="train").images.astype(np.float32)
    test = load("mnist-5k", split="test").images.astype(np.float32)
    vae = get_model("DenseVAE", n_latent=5, n_hidden_layers=3, n_hidden_units=400, image_shape=(1, 28, 28))
    disc = get_model("DenseLogReg", n_hidden_layers=1, n_hidden_units=200)

    def quality(v):
        return {"neg_elbo": reconstruction_metrics(v, test, seed=0)["neg_elbo"]}
    return train, len(test), quality, vae, disc, "combo"


def _faces():
    """The faces task: the anime-conv-vae medium data and model; quality in the faces extractor's space."""
    import numpy as np
    from vaegan_gluon import inference
    from vaegan_gluon.claims.gates import passes_bar
    from vaegan_gluon.evaluation import scores
    from vaegan_gluon.evaluation.scoring import get
    from vaegan_gluon.experiments import get_config
    from vaegan_gluon.experiments.runner import build_models, load_data
    config = get_config("anime-conv-vae", "medium")
    train_set, val = load_data(config)
    train = np.asarray(train_set.images, np.float32)
    held = np.asarray(val.images, np.float32)
    ext = get("faces")
    f_real, p_real = ext.predict_all(held)
    f_mean = ext.features(train.mean(axis=0)[None]).repeat(len(held), axis=0)
    fid_mean = scores.fid(f_mean, f_real, warn=False)
    vae, _ = build_models(config, train.shape[1:])

    def quality(v):
        f_recon, p_recon = ext.predict_all(inference.reconstruct(v, held))
        fid_recon = scores.fid(f_recon, f_real, warn=False)
        hair = float(np.mean(p_recon["hair_colour"] == p_real["hair_colour"]))
        m = {"fid_recon": fid_recon, "fid_mean_image": fid_mean, "attr_acc_recon": {"hair_colour": hair}}
        return {"fid_ratio": fid_recon / fid_mean, "fid_recon": fid_recon, "fid_mean_image": fid_mean,
                "hair_colour": hair, "passes_bar": bool(passes_bar(m))}   # the claims table's own bar
    return train, len(held), quality, vae, None, "solo"


def run_side(side, max_epochs, target, seed=0, task="mnist"):
    import vaegan_gluon  # noqa: F401
    import mxnet as mx
    from mxnet import nd
    import numpy as np
    mx.random.seed(seed)
    train, n_test, quality, vae, disc, phase = (_faces if task == "faces" else _mnist)()
    key = TASKS[task]["quality"]
    if side == "ours":
        from vaegan_gluon.train import Trainer
        tr = Trainer(vae, disc, config={"n_epochs": 1, "batch_size": BATCH, "seed": seed}, progress=False)
        tr._prepare()
        weights = {"pbp_weight": 1.0, "disc_weight": 1.0, "adv_on": phase == "combo"}

        def step(x):
            return tr.scheme.step({"x": [x]}, phase, weights)
    else:
        from .reference import ReferenceStep
        for net in (vae, disc):
            if net is not None:
                net.initialize(mx.init.Xavier())
                net(nd.zeros((2,) + train.shape[1:]))
        ref = ReferenceStep(vae, disc)

        def step(x):
            return ref.step(x, phase)
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
        q = quality(vae)
        history.append(dict({"epoch": epoch + 1, "cpu_s": cpu, "wall_s": wall, "loadavg": os.getloadavg()[0]}, **q))
        print(json.dumps(history[-1]), file=sys.stderr, flush=True)
        if q[key] <= target and q.get("passes_bar", True):
            break
    return {"side": side, "task": task, "history": history, "n_train": len(train), "n_test": n_test}


def first_reach(history, threshold, key="neg_elbo"):
    for h in history:
        if h[key] <= threshold:
            return h["cpu_s"]
    return None


def first_bar(history):
    """CPU seconds at the first epoch that passed the whole baseline bar (faces), or None."""
    return next((h["cpu_s"] for h in history if h.get("passes_bar")), None)


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m benchmarks.time_to_quality", description=__doc__.split("\n\n")[0])
    ap.add_argument("--task", choices=sorted(TASKS), default="mnist")
    ap.add_argument("--target", type=float, default=None,
                    help="quality to reach (mnist: held-out neg. ELBO, default 130; faces: fid_recon / "
                         "fid_mean_image, default 0.5, and the hair-colour bar)")
    ap.add_argument("--ladder", default=None, help="thresholds reported as well (default per task)")
    ap.add_argument("--max-epochs", type=int, default=30)
    ap.add_argument("--sides", default="ours,reference")
    ap.add_argument("--out", default=os.path.join(HERE, "results"))
    ap.add_argument("--render", default=None, metavar="JSON", help="print the table of a saved run and exit")
    ap.add_argument("--readme", default=None, metavar="MD",
                    help="with --render: also write the table between that task's markers in MD")
    ap.add_argument("--_child", default=None, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    task = TASKS[a.task]
    target = task["target"] if a.target is None else a.target
    if render_saved(ap, a, markdown, write_readme) == 0:
        return 0
    if a._child:
        print(json.dumps(run_side(a._child, a.max_epochs, target, task=a.task)))
        return 0
    from . import child_env   # the reference in the original's OpenMP environment (benchmarks.child_env)
    ladder = sorted({float(t) for t in (a.ladder or task["ladder"]).split(",")} | {target}, reverse=True)
    result = {"timestamp": datetime.datetime.now().strftime("%Y%m%d-%H%M%S"),
              "command": "python -m benchmarks.time_to_quality " + " ".join(sys.argv[1:] if argv is None else argv),
              "task": a.task, "quality": task["quality"], "target": target, "max_epochs": a.max_epochs,
              "experiment": task["experiment"], "loadavg_start": os.getloadavg(), "sides": {}}
    for side in [s.strip() for s in a.sides.split(",") if s.strip()]:
        p = subprocess.run([sys.executable, "-m", "benchmarks.time_to_quality", "--_child", side, "--task", a.task,
                            "--max-epochs", str(a.max_epochs), "--target", str(target)], cwd=ROOT,
                           env=child_env("reference" if side == "reference" else "ours"),
                           capture_output=True, text=True)
        if p.returncode != 0:
            result["sides"][side] = {"error": (p.stderr or "").strip().splitlines()[-3:]}
            continue
        r = json.loads(p.stdout.strip().splitlines()[-1])
        r["cpu_s_to"] = {f"{t:g}": first_reach(r["history"], t, task["quality"]) for t in ladder}
        if "bar" in task:
            r["cpu_s_to"]["the bar"] = first_bar(r["history"])
        result["sides"][side] = r
    o, f = result["sides"].get("ours", {}), result["sides"].get("reference", {})
    result["speedup_cpu"] = {k: (f["cpu_s_to"][k] / o["cpu_s_to"][k]) if o.get("cpu_s_to", {}).get(k)
                             and f.get("cpu_s_to", {}).get(k) else None for k in o.get("cpu_s_to", {})}
    result["loadavg_end"] = os.getloadavg()
    os.makedirs(a.out, exist_ok=True)
    path = os.path.join(a.out, f"ttq-{a.task}-{result['timestamp']}.json")
    with open(path, "w") as fh:
        json.dump(result, fh, indent=2)
    print(markdown(result))
    print(f"results: {path}", file=sys.stderr)
    return 0


def write_readme(path, result):
    """Put a saved run's table between its task's markers in ``path``."""
    from vaegan_gluon.utils import splice_between
    splice_between(path, markdown(result), *readme_markers(result.get("task", "mnist")))


def readme_markers(task):
    cmd = f"`python -m benchmarks.time_to_quality --render JSON --readme docs/performance.md` ({task})"
    return (f"<!-- time-to-quality table, {task}: generated by {cmd}; do not edit -->",
            f"<!-- end of the time-to-quality table, {task} -->")


def markdown(result):
    """The table of a saved run: CPU seconds to each threshold per side, and their ratio."""
    sides = {n: s for n, s in result["sides"].items() if "history" in s}
    task = TASKS[result.get("task", "mnist")]
    key = result.get("quality", "neg_elbo")
    keys = list(next((s["cpu_s_to"] for s in sides.values()), {}))
    lines = [f"`{result['command']}` ({result['experiment']}, load average at start "
             f"{result['loadavg_start'][0]:.1f})", "",
             f"| {task['label']} | " + " | ".join(f"{s} CPU s" for s in sides) + " | reference / ours |",
             "|---|" + "---|" * len(sides) + "---|"]
    for k in keys:
        cells = []
        for s in sides.values():
            v = s.get("cpu_s_to", {}).get(k)
            cells.append("not reached" if v is None else f"{v:.0f}")
        sp = result["speedup_cpu"].get(k)
        label = "the bar (both criteria; hair colour >= 0.9)" if k == "the bar" else k
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {f'{sp:.2f}x' if sp else '-'} |")
    best = {n: min(h[key] for h in s["history"]) for n, s in sides.items()}
    lines += ["", f"best {key} within the epoch cap: " +
              ", ".join(f"{n} {v:.3g} ({len(sides[n]['history'])} epochs)" for n, v in best.items())]
    for n, s in result["sides"].items():
        if "error" in s:
            lines.append(f"{n}: failed: {s['error']}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
