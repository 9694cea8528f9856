"""Benchmark: scoring 10,000 images at 64x64 with every metric (target <= 60 s on a 2-core CPU).

``python -m benchmarks.bench_evaluation [--n 10000] [--extractor faces]`` times
:func:`vaegan_gluon.evaluation.scoring.score_images` on ``n`` synthetic faces (64x64) as the held-out
set, a 3x3 box blur of them as "reconstructions" and noisy copies as "samples" -- every score of a run:
four FIDs, KID (50 subsets of 1,000), precision / recall (k = 3) and the per-attribute accuracy --
plus the latent arithmetic and the VAE passes of a small untrained StridedConvVAE through ``score_run``.
Each stage is timed separately; numbers go to ``benchmarks/results/evaluation.json``.
"""
import argparse
import json
import os
import platform
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.bench_evaluation")
    p.add_argument("--n", type=int, default=10000)
    p.add_argument("--extractor", default="faces")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--skip-vae", action="store_true", help="skip the score_run stage (VAE passes + arithmetic)")
    p.add_argument("--out", default=os.path.join(HERE, "results", "evaluation.json"))
    a = p.parse_args(argv)
    import cv2
    import mxnet as mx
    from vaegan_gluon.data import load
    from vaegan_gluon.evaluation import get_extractor, scores
    from vaegan_gluon.evaluation.scoring import score_images, score_run
    from vaegan_gluon.models import get_model

    data = load("synthetic-faces", split="all", n=a.n, size=64, seed=2_000_000)   # not an eval or train seed
    real = data.images
    recon = np.stack([cv2.blur(im.transpose(1, 2, 0), (3, 3)).transpose(2, 0, 1) for im in real])
    rng = np.random.RandomState(0)
    samples = np.clip(real[rng.permutation(len(real))] + rng.normal(0, 0.1, real.shape), 0, 1).astype(np.float32)
    mean = real.mean(0)
    ext = get_extractor(a.extractor)
    ext.features(real[:200])   # warm-up (hybridize, allocation)

    stages = {}

    def timed(name, fn):
        ts = []
        for _ in range(a.repeats):
            t = time.perf_counter()
            out = fn()
            ts.append(time.perf_counter() - t)
        stages[name] = {"median_s": float(np.median(ts)), "min_s": float(min(ts)), "max_s": float(max(ts)),
                        "repeats": a.repeats}
        print(f"{name:<44} median {stages[name]['median_s']:7.2f} s", flush=True)
        return out

    f_real = timed("features_10k", lambda: ext.features(real))
    f_samp = ext.features(samples)
    timed("fid_1", lambda: scores.fid(f_samp, f_real))
    timed("kid_50x1000", lambda: scores.kid(f_samp, f_real, 50, 1000))
    timed("precision_recall_k3", lambda: scores.precision_recall(f_real, f_samp))
    result = timed("score_images_all", lambda: score_images(ext, real, recon, samples, mean))
    if a.skip_vae:
        stages["score_run_stridedconvvae_with_arithmetic"] = None
    mx.random.seed(0)
    vae = None if a.skip_vae else get_model("StridedConvVAE", image_shape=(3, 64, 64), n_latent=128, base_channels=32)
    if vae is not None:
        vae.initialize(mx.init.Xavier())
        vae.hybridize()
        timed("score_run_stridedconvvae_with_arithmetic",
              lambda: score_run(vae, real, mean, ext, attributes=data.attributes))
    total = stages["score_images_all"]["median_s"]
    report = {"benchmark": "evaluation", "n_images": a.n, "image_shape": list(real.shape[1:]),
              "extractor": ext.name, "extractor_sha256": ext.sha256, "stages": stages,
              "score_images_median_s": total, "target_s": 60.0, "within_target": total <= 60.0,
              "scores_of_the_stand_in": {k: v for k, v in result.items() if not isinstance(v, dict)},
              "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "mxnet": mx.__version__,
                          "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
                          "load_average_1min_at_end": os.getloadavg()[0]},
              "command": "python -m benchmarks.bench_evaluation --n %d --extractor %s" % (a.n, a.extractor)}
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w") as f:
        json.dump(report, f, indent=1)
    print(f"wrote {a.out}")
    return 0


if __name__ == "__main__":
    import sys
    sys.exit(main())
