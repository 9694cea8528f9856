"""The benchmark's profile (benchmarks/profile.py): operators sorted into classes, the per-step breakdown,
the ceiling it sets on a ratio goal, and a real profiled step whose classes are the ops it ran.
No wall-clock time is asserted: the real profile is checked for structure (every class that ran is
non-zero, the parts add up to the wall), never for speed."""
import os
import sys

import vaegan_gluon  # noqa: F401  (sets OMP_NUM_THREADS before mxnet)
from mxnet import nd

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from benchmarks import markdown  # noqa: E402
from benchmarks.profile import breakdown, ceiling, classify, profile_steps  # noqa: E402


def test_classify():
    for op in ("FullyConnected", "_backward_FullyConnected", "Convolution", "_backward_Convolution",
               "Deconvolution", "_backward_Deconvolution", "_sg_mkldnn_conv"):
        assert classify(op) == "gemm", op
    for op in ("adam_update", "_multi_adamw_update", "_multi_mp_adamw_update", "vaegan_adam_update"):
        assert classify(op) == "optimizer", op
    for op in ("BatchNorm", "_backward_BatchNorm", "Activation", "sum", "sigmoid", "elemwise_add", "_copy"):
        assert classify(op) == "other", op


def test_breakdown_and_ceiling_arithmetic():
    agg = {"Unit": {"Time": "ms"},
           "Time": {"operator": {"FullyConnected": {"Count": 20, "Total": 40.0},
                                 "_backward_FullyConnected": {"Count": 20, "Total": 60.0},
                                 "adam_update": {"Count": 40, "Total": 100.0},
                                 "sum": {"Count": 30, "Total": 30.0},
                                 "DeleteVariable": {"Count": 99, "Total": 999.0}}}}
    b = breakdown(agg, wall_s=0.3, steps=10)      # 300 ms over 10 steps
    assert b["wall_ms"] == 30.0 and b["gemm_ms"] == 10.0 and b["optimizer_ms"] == 10.0
    assert b["other_ms"] == 3.0 and b["kernel_ms"] == 23.0 and abs(b["idle_ms"] - 7.0) < 1e-9
    assert b["top"][0][0] == "adam_update" and b["top"][0][2] == 4.0
    c = ceiling(b, batch=64, reference_ips=1000.0, goal=4.0)
    assert c["floor_ms"] == 20.0 and c["images_per_s"] == 3200.0
    assert c["ratio"] == 3.2 and c["goal_in_reach"] is False
    assert ceiling(b, 64, 500.0, 4.0)["goal_in_reach"] is True
    assert "ratio" not in ceiling(b, 64)
    # a profile much slower than the timed repeats bounds nothing (its kernel times carry the profiler)
    assert ceiling(b, 64, 1000.0, 4.0, timed_s_per_step=0.029)["images_per_s"] == 3200.0
    slowed = ceiling(b, 64, 1000.0, 4.0, timed_s_per_step=0.013)
    assert slowed["images_per_s"] is None and "goal_in_reach" not in slowed and slowed["profiler_overhead"] > 2


def test_real_profile_of_a_training_step():
    """A profiled repeat of the package's own step: GEMMs and Adam show up as what they are."""
    import benchmarks as bench
    cfg = dict(bench.CONFIGS["a"], vae=("DenseVAE", dict(n_latent=3, n_hidden_layers=1, n_hidden_units=16)),
               disc=("DenseLogReg", dict(n_hidden_layers=1, n_hidden_units=8)), shape=(1, 8, 8))
    batches = [nd.random.uniform(shape=(bench.BATCH,) + cfg["shape"]) for _ in range(2)]
    run, _ = bench._ours(cfg, batches, {"optimizer": "package"})
    run(2)
    p = profile_steps(run, 3)
    assert p["gemm_ms"] > 0 and p["optimizer_ms"] > 0 and p["other_ms"] > 0
    ops = {r[0] for r in p["top"]}
    assert "FullyConnected" in ops or "_backward_FullyConnected" in ops
    assert abs(p["kernel_ms"] - (p["gemm_ms"] + p["optimizer_ms"] + p["other_ms"])) < 1e-6
    # the optimiser's calls per step: with the vectorised kernel one multi-tensor call per model (the VAE's
    # and the discriminator's Dense weights and biases); with MXNet's kernel one per trainable tensor
    from vaegan_gluon.fast import adam as fastadam, kernels  # noqa: F401
    n_tensors = sum(1 for net in (run.trainer.vae, run.trainer.disc)
                    for q in net.collect_params().values() if q.grad_req != "null")
    assert p["calls"]["optimizer"] == (2 if kernels.available() else n_tensors)
    # a second profiled repeat starts from zero (the aggregate is reset), so counts are per step (not doubled);
    # within one call a step: an occasional bookkeeping operator (statistics sums every 32 steps, the
    # grad_ratio diagnostic's steps) may fall in one repeat and not the other
    again = profile_steps(run, 3)["calls"]
    assert again["gemm"] == p["calls"]["gemm"] and again["optimizer"] == p["calls"]["optimizer"]
    assert abs(again["other"] - p["calls"]["other"]) < 1


def test_profile_table_rendered_only_when_profiled():
    side = {"images_per_s": {"median": 100.0, "min": 90.0, "max": 110.0}, "gflop_per_step": 1.0,
            "gflop_per_s": 1.5, "peak_rss_mb": 100.0, "loadavg_start": [1.0, 1.0, 1.0]}
    prof = {"wall_ms": 30.0, "gemm_ms": 10.0, "optimizer_ms": 10.0, "other_ms": 3.0, "kernel_ms": 23.0,
            "idle_ms": 7.0, "top": []}
    result = {"timestamp": "t", "command": "python -m benchmarks --profile",
              "settings": {"repeats": 1, "warmup": 0, "optimizer": "package", "bf16": False,
                           "sides": ["ours", "reference"]},
              "machine": {"gemm_gflop_s": 100.0, "bandwidth_gb_s": 10.0, "loadavg_start": [1, 1, 1]},
              "configs": {"a": {"desc": "d", "goal": 4.0, "ours": side, "reference": side,
                                "meets_goal": False}}}
    assert "Where the time goes" not in markdown(result)
    result["configs"]["a"]["ours"] = dict(side, profile=prof)
    result["configs"]["a"]["ceiling"] = ceiling(prof, 64, 1000.0, 4.0)
    md = markdown(result)
    row = [line for line in md.splitlines() if line.startswith("| a | ours | 30.0")][0]
    assert "3,200" in row and "3.20x" in row and "**out of reach**" in row
