"""The benchmark: our fast step == the imperative reference step (losses, gradients) on fixed noise,
analytic FLOP counts, and a smoke run of ``python -m benchmarks`` that writes a JSON file.
No wall-clock time is asserted anywhere."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import vaegan_gluon  # noqa: F401  (sets OMP_NUM_THREADS before mxnet)
import mxnet as mx
from mxnet import nd

from vaegan_gluon.models import get_model
from vaegan_gluon.train import Trainer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from benchmarks import CONFIGS, step_flops  # noqa: E402
from benchmarks.flops import forward_flops, FWD_BWD  # noqa: E402
from benchmarks.reference import ReferenceStep  # noqa: E402

CASES = {
    "dense": (("DenseVAE", dict(n_latent=3, n_hidden_layers=2, n_hidden_units=32, image_shape=(1, 12, 12))),
              ("DenseLogReg", dict(n_hidden_layers=1, n_hidden_units=16)), (1, 12, 12)),
    "conv": (("ConvVAE", dict(n_latent=4, base_channels=4, image_shape=(1, 28, 28))),
             ("ConvDisc", dict(base_channels=4)), (1, 28, 28)),
}


def _copy_params(src, dst):
    s, d = list(src.collect_params().values()), list(dst.collect_params().values())
    assert [p.shape for p in s] == [p.shape for p in d]
    for a, b in zip(s, d):
        b.set_data(a.data().copy())


@pytest.mark.parametrize("case,split", [("dense", None), ("dense", True), ("conv", None)])
def test_fast_step_matches_reference(case, split):
    (vname, vkw), (dname, dkw), shape = CASES[case]
    n, seed = 8, 1234
    x = nd.array(np.random.RandomState(0).rand(n, *shape).astype(np.float32))

    trainer = Trainer(get_model(vname, **vkw), get_model(dname, **dkw),
                      config={"n_epochs": 1, "batch_size": n, "seed": 0}, progress=False)
    trainer._prepare()
    ref_vae, ref_disc = get_model(vname, **vkw), get_model(dname, **dkw)
    for net in (ref_vae, ref_disc):
        net.initialize(mx.init.Xavier())
        net(nd.zeros((2,) + shape))
    _copy_params(trainer.vae, ref_vae)
    _copy_params(trainer.disc, ref_disc)
    ref = ReferenceStep(ref_vae, ref_disc, lr=trainer.config.lr, noise_seed=seed, split_backward=split,
                        diagnostics=True)
    # the original's single VAE backward where it runs (dense), the split one where it segfaults (conv)
    assert ref.split == (case == "conv" or bool(split))

    mx.random.seed(seed)   # the fast step's only random draw is the VAE's eps
    ours = trainer.scheme.step({"x": [x]}, "combo", {"pbp_weight": 1.0, "disc_weight": 1.0, "adv_on": True})
    # grad_ratio: the package's diagnostic (measured on a step's first call), which the original has no term for
    ours = {k: float(v.asscalar()) for k, v in ours.items() if k != "grad_ratio"}
    # the original counts correct decisions as disc_correct_*; a scheme names the same counts disc_acc_*
    theirs = {k.replace("disc_correct_", "disc_acc_"): v for k, v in ref.step(x, "combo").items()}

    assert set(ours) <= set(theirs)
    assert theirs["disc_loss_mean"] == pytest.approx(theirs["disc_loss"] / n, rel=1e-5)
    assert theirs["vae_loss_mean"] == pytest.approx(theirs["vae_loss"] / n, rel=1e-5)
    for k in ours:
        assert ours[k] == pytest.approx(theirs[k], rel=1e-4, abs=1e-4), k

    # gradients: VAE (sum of the reference's two backward passes); D's = those of its own update (our VAE
    # half-step computes none for D: schemes.no_parameter_gradients), not the adversarial term's
    ref_disc_grads = iter(ref.disc_update_grads)
    for ours_net, ref_net in ((trainer.vae, ref_vae), (trainer.disc, ref_disc)):
        for p, q in zip(ours_net.collect_params().values(), ref_net.collect_params().values()):
            if p.grad_req == "null":
                continue
            g = p.grad().asnumpy()
            h = (next(ref_disc_grads) if ours_net is trainer.disc else q.grad()).asnumpy()
            # (absolute floor 1e-5: a bias followed by BatchNorm has a gradient that is zero up to rounding)
            assert np.abs(g - h).max() <= 1e-4 * max(np.abs(h).max(), 1e-1), p.name
    # parameters after the updates (the discriminator's update came from the d_loss gradients)
    for ours_net, ref_net in ((trainer.vae, ref_vae), (trainer.disc, ref_disc)):
        for p, q in zip(ours_net.collect_params().values(), ref_net.collect_params().values()):
            if p.grad_req == "null":
                continue
            np.testing.assert_allclose(p.data().asnumpy(), q.data().asnumpy(), rtol=1e-5, atol=1e-6,
                                       err_msg=p.name)


def test_solo_step_matches_reference():
    (vname, vkw), _, shape = CASES["dense"]
    x = nd.array(np.random.RandomState(1).rand(8, *shape).astype(np.float32))
    trainer = Trainer(get_model(vname, **vkw), None, config={"n_epochs": 1, "batch_size": 8}, progress=False)
    trainer._prepare()
    ref_vae = get_model(vname, **vkw)
    ref_vae.initialize()
    _copy_params(trainer.vae, ref_vae)
    ref = ReferenceStep(ref_vae, None, noise_seed=5, diagnostics=True)
    mx.random.seed(5)
    ours = {k: float(v.asscalar()) for k, v in trainer.scheme.step({"x": [x]}, "solo", {"pbp_weight": 1.0,
                                                                               "disc_weight": 0.0}).items()}
    theirs = ref.step(x, "solo")
    assert set(ours) <= set(theirs)
    for k in ours:
        assert ours[k] == pytest.approx(theirs[k], rel=1e-5), k


def test_flops_dense_exact():
    # DenseVAE(5,3,400) at 1x28x28: encoder 784-400-400-400-10, decoder 5-400-400-400-784 (+ biases)
    macs = 784 * 400 + 2 * 400 * 400 + 400 * 10 + 5 * 400 + 2 * 400 * 400 + 400 * 784
    biases = 3 * 400 + 10 + 3 * 400 + 784
    f = forward_flops(lambda: get_model("DenseVAE"), (64, 1, 28, 28))
    assert f == 64 * (2 * macs + biases)
    total, vae_f, disc_f = step_flops(CONFIGS["b"], "ours")
    assert total == FWD_BWD * vae_f and disc_f == 0


def test_flops_leaves_no_model_behind():
    """forward_flops' fresh copy is freed on return: the benchmark's parent counted (f)'s FLOPs while its
    reference child ran, and the uncollected DeepConvVAE (3.9 GB in reference cycles) had the child OOM-killed."""
    import weakref
    made = []

    def make():
        m = get_model("ConvVAE", n_latent=8, base_channels=4, image_shape=(3, 32, 32))
        made.append(weakref.ref(m))
        return m
    assert forward_flops(make, (2, 3, 32, 32)) > 0
    assert made[0]() is None


def test_flops_conv_matches_issue():
    # the issue counts 139.5 GFLOP for a ConvVAE(512,32) solo step (fwd+bwd) at batch 64
    total, _, _ = step_flops(CONFIGS["c"], "ours")
    assert total / 1e9 == pytest.approx(139.5, rel=0.01)


def test_smoke_quick_run_writes_json(tmp_path):
    out = tmp_path / "results"
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    p = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--configs", "a", "--steps", "2",
                        "--sides", "ours,ours_stockadam,reference", "--out", str(out), "--rounds", "a=2"],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr[-2000:]
    files = [f for f in os.listdir(out) if f.endswith(".json")]
    assert len(files) == 1
    with open(out / files[0]) as f:
        res = json.load(f)
    for key in ("timestamp", "command", "machine", "settings", "configs", "batch_size"):
        assert key in res
    a = res["configs"]["a"]
    for key in ("ours", "reference", "ratio", "goal", "meets_goal", "desc"):
        assert key in a, key
    for side in ("ours", "reference"):
        r = a[side]
        assert "error" not in r, r
        for key in ("images_per_s", "gflop_per_step", "gflop_per_s", "peak_rss_mb", "steps", "repeats"):
            assert key in r, key
        assert set(r["images_per_s"]) >= {"median", "min", "max"}
        assert r["images_per_s"]["median"] > 0 and r["peak_rss_mb"] > 0
    assert a["reference"]["gflop_per_step"] > a["ours"]["gflop_per_step"]   # the VAE runs 3x there
    assert a["ours"]["optimizer"] == "FastAdam" and a["ours_stockadam"]["optimizer"] == "Adam"
    assert "ratio_ours_stockadam" in a and 0 < a["gemm_fraction"]
    for key in ("gemm_gflop_s", "bandwidth_gb_s", "loadavg_start", "loadavg_end"):
        assert res["machine"][key], key
    assert "loadavg_start" in a["ours"]
    assert (out / "latest.md").read_text().count("| a |") == 1
    # two interleaved rounds: per-round medians kept, the ratio is the median of the per-round ratios
    assert len(a["ours"]["round_medians"]) == 2 == len(a["reference"]["round_medians"]) == len(a["ratio_rounds"])
    assert a["ratio"] == pytest.approx(np.median(a["ratio_rounds"]))
    assert ", n=2)" in (out / "latest.md").read_text()


def test_rounds_merge_and_spec():
    import benchmarks as bench
    assert bench.rounds_for("3", "c") == 3 and bench.rounds_for("a=5,b=4", "b") == 4
    assert bench.rounds_for("a=5,b=4", "f") == 1
    side = lambda med, rss: {"images_per_s": {"median": med, "min": med - 1, "max": med + 1,  # noqa: E731
                                              "all": [med - 1, med, med + 1]}, "peak_rss_mb": rss}
    ours, ref = [side(10, 5), side(30, 7), side(20, 6)], [side(5, 1), side(10, 1), side(10, 1)]
    assert bench.round_ratios(ours, ref) == [2.0, 3.0, 2.0]
    m = bench.merge_rounds(ours + [{"error": "exit code -9"}])
    assert m["images_per_s"]["median"] == 20 and (m["images_per_s"]["min"], m["images_per_s"]["max"]) == (9, 31)
    assert m["peak_rss_mb"] == 7 and m["round_medians"] == [10, 30, 20] and m["failed_rounds"] == ["exit code -9"]
    assert bench.merge_rounds([ours[0]]) is ours[0]


def test_table_with_one_side_only():
    """``--sides ours`` used to crash the table writer (KeyError 'images_per_s'): a missing side is '-'."""
    from benchmarks import markdown
    side = {"images_per_s": {"median": 10.0, "min": 9.0, "max": 11.0}, "gflop_per_step": 1.0,
            "gflop_per_s": 0.15, "peak_rss_mb": 100.0, "loadavg_start": [1.0, 1.0, 1.0]}
    result = {"timestamp": "t", "command": "python -m benchmarks --sides ours",
              "settings": {"repeats": 1, "warmup": 0, "optimizer": "multiadam", "bf16": False, "sides": ["ours"]},
              "machine": {"gemm_gflop_s": 100.0, "bandwidth_gb_s": 10.0, "loadavg_start": [1, 1, 1]},
              "configs": {"a": {"desc": "d", "goal": 4.0, "ours": side, "meets_goal": False}}}
    md = markdown(result)
    row = [line for line in md.splitlines() if line.startswith("| a |")][0]
    assert "**10.0**" in row and "(0%)" in row and row.count(" - ") >= 1


def test_a_child_reports_its_own_peak_rss_not_its_parents():
    """The sides run in subprocesses of the parent; the peak each reports must be its own. Linux's
    ru_maxrss carries the parent's RSS at fork over exec, so this parent holds 600 MB first: with
    ru_maxrss the child reads >= 600 MB, with VmHWM (what the benchmark reports) its own (importing mxnet: ~250 MB)."""
    held = np.ones(600 * 2 ** 20 // 8)          # 600 MB resident in this (the parent) process
    code = ("import resource, sys; sys.path.insert(0, %r); from benchmarks import peak_rss_mb; "
            "print(peak_rss_mb(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0)") % ROOT
    own, inherited = map(float, subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                               check=True).stdout.split())
    assert held.sum() > 0
    if sys.platform.startswith("linux"):
        assert inherited >= 500, "the fault this test guards against did not show (ru_maxrss)"
    assert own < 450, f"the child reported {own:.0f} MB: the parent's RSS, not its own (mxnet alone ~250)"


def test_readme_table_is_the_render_of_the_reference_json(tmp_path):
    """docs/performance.md's benchmark table is generated (``--render JSON --readme``), never a typed copy."""
    import benchmarks as bench
    from vaegan_gluon.utils import block_between
    root = ROOT
    with open(os.path.join(root, "benchmarks", "results", "reference.json")) as fh:
        table = bench.markdown(json.load(fh), title=False)
    assert block_between(os.path.join(root, "docs", "performance.md"), bench.README_BEGIN, bench.README_END) == table
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n{bench.README_BEGIN}\nold\n{bench.README_END}\nrest\n")
    assert bench.main(["--render", os.path.join(root, "benchmarks", "results", "reference.json"),
                       "--readme", str(readme)]) == 0
    assert block_between(str(readme), bench.README_BEGIN, bench.README_END) == table
    assert readme.read_text().endswith(f"{bench.README_END}\nrest\n")


def test_time_to_quality_faces_table_and_readme_splice(tmp_path):
    """The faces task's table: CPU seconds to each fid ratio and to the whole bar (fid and hair colour);
    a side that never passes the bar says "not reached"; --render --readme splices it between its markers."""
    from benchmarks import time_to_quality as ttq
    from vaegan_gluon.utils import block_between
    hist = lambda rows: [{"epoch": i + 1, "cpu_s": 10.0 * (i + 1), "fid_ratio": r, "passes_bar": b}  # noqa: E731
                         for i, (r, b) in enumerate(rows)]
    ours = hist([(0.7, False), (0.45, False), (0.4, True)])
    ref = hist([(0.8, False), (0.6, False), (0.45, False), (0.42, False)])
    assert ttq.first_bar(ours) == 30.0 and ttq.first_bar(ref) is None
    sides = {}
    for name, h in (("ours", ours), ("reference", ref)):
        to = {f"{t:g}": ttq.first_reach(h, t, "fid_ratio") for t in (0.6, 0.5)}
        to["the bar"] = ttq.first_bar(h)
        sides[name] = {"history": h, "cpu_s_to": to}
    result = {"command": "c", "experiment": "e", "loadavg_start": [0.1], "task": "faces", "quality": "fid_ratio",
              "sides": sides, "speedup_cpu": {"0.6": 1.5, "0.5": 1.5, "the bar": None}}
    md = ttq.markdown(result)
    assert "| 0.5 | 20 | 30 | 1.50x |" in md
    assert "| the bar (both criteria; hair colour >= 0.9) | 30 | not reached | - |" in md
    saved, readme = tmp_path / "ttq.json", tmp_path / "README.md"
    saved.write_text(json.dumps(result))
    begin, end = ttq.readme_markers("faces")
    readme.write_text(f"{begin}\nold\n{end}\n")
    assert ttq.main(["--render", str(saved), "--readme", str(readme)]) == 0
    assert block_between(str(readme), begin, end) == md


@pytest.mark.parametrize("task, saved", [("mnist", "reference-ttq.json"), ("faces", "reference-ttq-faces.json")])
def test_readme_time_to_quality_tables_are_renders(task, saved):
    """docs/performance.md's time-to-quality tables are the renders of the committed runs (not typed copies)."""
    from benchmarks import time_to_quality as ttq
    from vaegan_gluon.utils import block_between
    with open(os.path.join(ROOT, "benchmarks", "results", saved)) as fh:
        result = json.load(fh)
    assert result.get("task", "mnist") == task
    assert block_between(os.path.join(ROOT, "docs", "performance.md"),
                         *ttq.readme_markers(task)) == ttq.markdown(result)


def _env_in_child(env, var="OMP_WAIT_POLICY"):
    code = f"import vaegan_gluon, os; print(os.environ.get({var!r}))"
    return subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout.strip()


def _policy_in_child(env):
    return _env_in_child(env, "OMP_WAIT_POLICY")


def test_package_sets_a_passive_openmp_wait_policy_unless_told_otherwise():
    base = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "VAEGAN_OMP_WAIT_POLICY")}
    base["PYTHONPATH"] = ROOT
    assert _policy_in_child(base) == "PASSIVE"
    assert _policy_in_child(dict(base, OMP_WAIT_POLICY="ACTIVE")) == "ACTIVE"      # the user's value wins
    assert _policy_in_child(dict(base, VAEGAN_OMP_WAIT_POLICY="")) == "None"       # OpenMP's own default


def test_package_keeps_one_cpu_temp_workspace_unless_told_otherwise():
    base = {k: v for k, v in os.environ.items() if k not in ("MXNET_CPU_TEMP_COPY", "VAEGAN_CPU_TEMP_COPY")}
    base["PYTHONPATH"] = ROOT
    assert _env_in_child(base, "MXNET_CPU_TEMP_COPY") == "1"
    assert _env_in_child(dict(base, MXNET_CPU_TEMP_COPY="3"), "MXNET_CPU_TEMP_COPY") == "3"   # the user's value
    assert _env_in_child(dict(base, VAEGAN_CPU_TEMP_COPY=""), "MXNET_CPU_TEMP_COPY") == "None"  # MXNet's default


def test_reference_side_runs_in_the_originals_environment(monkeypatch):
    """The reference (the original's code, which sets neither OMP_WAIT_POLICY nor MXNET_CPU_TEMP_COPY) gets
    OpenMP's and MXNet's defaults; the ours_spinwait / ours_tempcopy4 levers revert only their own variable;
    ours gets the package's values (the parent imported vaegan_gluon)."""
    import benchmarks as bench
    monkeypatch.setattr(bench, "USER_ENV", {"OMP_WAIT_POLICY": None, "MXNET_CPU_TEMP_COPY": None})
    monkeypatch.setenv("OMP_WAIT_POLICY", "PASSIVE")
    monkeypatch.setenv("MXNET_CPU_TEMP_COPY", "1")
    temp = lambda side: _env_in_child(bench.child_env(side), "MXNET_CPU_TEMP_COPY")  # noqa: E731
    assert _policy_in_child(bench.child_env("reference")) == "None" and temp("reference") == "None"
    assert _policy_in_child(bench.child_env("ours_spinwait")) == "None" and temp("ours_spinwait") == "1"
    assert _policy_in_child(bench.child_env("ours_tempcopy4")) == "PASSIVE" and temp("ours_tempcopy4") == "None"
    assert _policy_in_child(bench.child_env("ours")) == "PASSIVE" and temp("ours") == "1"
    monkeypatch.setattr(bench, "USER_ENV", {"OMP_WAIT_POLICY": "ACTIVE", "MXNET_CPU_TEMP_COPY": "2"})
    assert _policy_in_child(bench.child_env("reference")) == "ACTIVE"   # a user's own setting reaches every side
    assert temp("reference") == "2"


def test_speed_out_keeps_the_adoptable_levers_gain_per_experiment():
    """``--render JSON --speed-out FILE``: the gain over ours of each lever with a run ``setting`` (prunedisc),
    per campaign experiment; a lever that reverts a package default (stockbce) is not a campaign setting."""
    import json
    import benchmarks as B
    result = {"timestamp": "t", "command": "python -m benchmarks", "machine": {"cpu": "c", "gemm_gflop_s": 2.0},
              "configs": {"n": {"gain_ours_prunedisc": 1.3141, "gain_ours_stockbce": 0.9},
                          "g": {"gain_ours_stockbce": 0.95}, "a": {"gain_ours_prunedisc": 1.5}}}
    speed = json.loads(json.dumps(B.campaign_speed(result, "r.json")))
    lever = {"config": "n", "lever": "prunedisc", "gain": 1.314, "setting": {"train.extra.disc_pass": "pruned"}}
    assert speed["source"] == "r.json" and speed["levers"] == {"mnist-larsen-vaegan": lever}


def test_every_goal_gets_a_verdict_in_one_invocation_of_both_parts():
    """goals_markdown: the study's config (a) against the original and PyTorch, the campaign's (n, g) against
    their best run-setting lever (g has none: 1.00x, missed); a dense step has no GEMM-share goal."""
    import benchmarks as B
    result = {"machine": {"gemm_gflop_s": 100.0}, "configs": {
        "a": {"goal": 4.0, "ratio": 4.5, "ratio_torch": 0.8, "ours": {"gflop_per_s": 50.0}},
        "n": {"goal": None, "ratio_torch": 1.6, "ours": {"gflop_per_s": 75.0}, "gain_ours_prunedisc": 1.31,
              "gain_ours_stockbce": 3.0},
        "g": {"goal": None, "ratio_torch": 1.2, "ours": {"gflop_per_s": 50.0}}}}
    text = "\n".join(B.goals_markdown(result))
    assert "| a | met (4.50x) | **missed** (0.80x) | - | - |" in text
    assert "| n | - | met (1.60x) | met (75 %) | **missed** (1.31x) |" in text   # stockbce is no run setting
    assert "| g | - | **missed** (1.20x) | **missed** (50 %) | **missed** (1.00x) |" in text
    assert "3 goals met, 5 missed" in text
    assert B.goals_markdown({"machine": {}, "configs": {"a": result["configs"]["a"]}}) == []


def test_a_lever_child_builds_its_trainer():
    """Every LEVERS entry's keys reach the child's TrainConfig as settings or are the parent's own (env, schemes,
    setting): ours_prunedisc once failed every child with "unknown training settings ['setting']"."""
    import benchmarks as B
    from vaegan_gluon.train import TrainConfig
    for name, lever in B.LEVERS.items():
        base = {"scheme": lever["schemes"][0], "extra": {"gamma": 1.0}} if "schemes" in lever else {}
        config = TrainConfig.from_dict(B.lever_config(base, lever))   # raises on a key the trainer does not know
        assert "schemes" not in lever or config.extra.gamma == 1.0      # the config's own scheme settings kept
