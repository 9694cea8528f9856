"""The benchmark's campaign configs (issue 35) and its PyTorch side: the configs are the medium experiments'
models and sizes; the campaign table renders (reference n/a, PyTorch columns, the one-step check) and goes
between its own markers; the bundle for the PyTorch side holds the graphs and groups each scheme needs; and,
where a Python with torch is given (``VAEGAN_TORCH_PYTHON``), the PyTorch step equals ours on one step.
No wall-clock time is asserted anywhere."""
import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import benchmarks as bench  # noqa: E402


@pytest.mark.parametrize("name", sorted(bench.CAMPAIGN))
def test_campaign_configs_are_the_medium_experiments(name):
    from vaegan_gluon.experiments import get_config
    cfg = bench.CAMPAIGN[name]
    exp = get_config(cfg["experiment"], "medium")
    vae = dict(exp["vae"])
    assert cfg["vae"][0] == vae.pop("model")
    assert cfg["vae"][1] == vae
    train = exp["train"]
    if cfg["disc"] is None:   # a solo config: the solo epochs of a run with a discriminator
        assert train.get("n_solo_epochs", 0) > 0
    else:
        disc = dict(exp["disc"])
        assert cfg["disc"][0] == disc.pop("model")
        assert cfg["disc"][1] == disc
        assert cfg.get("disc_weight", 1.0) == train.get("disc_weight", 1.0)
        assert cfg.get("scheme", "learnable_loss") == train.get("scheme", "learnable_loss")
        # a lever the experiment adopted (the MNIST Larsen family's pruned D pass) is the benchmark's lever side
        # on this config, its "ours" side the step without it: the rest of train.extra is the experiment's
        extra = dict(train.get("extra", {}))
        for lever in bench.LEVERS.values():
            adopted = {k: v for k, v in lever.get("extra", {}).items() if extra.get(k) == v}
            if adopted and cfg.get("scheme", "learnable_loss") in lever.get("schemes", ()):
                assert adopted == lever["extra"]
                for k in adopted:
                    del extra[k]
        assert cfg.get("extra", {}) == extra
    assert bench.batch_of(cfg) == train["batch_size"]
    assert cfg.get("lr", 1e-3) == train.get("lr", 1e-3)
    size = exp["data"]["options"].get("size")
    assert tuple(cfg["shape"]) == ((3, size, size) if size else (1, 28, 28))
    assert bench.has_reference(cfg) == (cfg.get("scheme", "learnable_loss") == "learnable_loss")


def _result():
    ips = lambda v: {"median": v, "min": v, "max": v, "all": [v]}  # noqa: E731
    side = lambda v: {"images_per_s": ips(v), "gflop_per_step": 1.0, "gflop_per_s": 2.0, "peak_rss_mb": 100.0,  # noqa: E731
                      "loadavg_start": [1.0, 1.0, 1.0]}
    check = {"sums": {"vae_loss": (1.0, 1.0, 1e-7)}, "max_sum_rel": 1e-7,
             "grads": {"n": 3, "max_rel": 2e-5, "worst": "vae/w", "median_rel": 1e-6, "missing": []}}
    return {"timestamp": "t", "command": "python -m benchmarks --configs h,m", "batch_size": 64,
            "machine": {"gemm_gflop_s": 100.0, "torch": "2.13.0+cpu"},
            "settings": {"repeats": 1, "warmup": 0, "optimizer": "package", "bf16": False,
                         "sides": ["ours", "reference", "torch", "torch_compile"]},
            "configs": {"h": {"desc": "h", "goal": 4.0, "ours": side(100.0), "reference": side(20.0),
                              "torch": side(50.0), "torch_compile": {"error": "n/a: not compiled in this run"},
                              "ratio": 5.0, "ratio_torch": 2.0, "meets_goal": True, "meets_torch_goal": True,
                              "torch_check": {"torch_vs_ours": check, "ours_vs_float64": check,
                                              "torch_vs_float64": check}},
                        "m": {"desc": "m", "goal": None, "ours": side(30.0),
                              "reference": {"error": "n/a: the original study has no such step"},
                              "torch": side(60.0), "torch_compile": side(40.0), "ratio_torch": 0.5,
                              "ratio_torch_compile": 0.75, "meets_goal": None, "meets_torch_goal": False}}}


def test_campaign_table_renders_and_goes_between_its_markers(tmp_path):
    from vaegan_gluon.utils import block_between
    result = _result()
    md = bench.markdown(result, title=False)
    assert "| PyTorch eager img/s (min-max) | ours / PyTorch eager |" in md
    assert "n/a: the original study has no such step" in md
    assert "**0.50x**" in md and ">= 1.5x PyTorch eager: missed" in md and ">= 1.5x PyTorch eager: met" in md
    assert "| h | 1.0e-07 | 1.0e-06, 2.0e-05 |" in md          # the one-step check's row
    assert bench.markers_for(result) == (bench.CAMPAIGN_BEGIN, bench.CAMPAIGN_END)
    assert bench.markers_for({"configs": {"a": {}, "g": {}}}) == (bench.README_BEGIN, bench.README_END)
    assert bench.markers_for({"configs": {"g": {}}, "settings": {"profile": True}}) == \
        (bench.CAMPAIGN_PROFILE_BEGIN, bench.CAMPAIGN_PROFILE_END)
    saved = tmp_path / "campaign.json"
    saved.write_text(json.dumps(result))
    doc = tmp_path / "perf.md"
    doc.write_text(f"{bench.README_BEGIN}\nA\n{bench.README_END}\n{bench.CAMPAIGN_BEGIN}\nB\n{bench.CAMPAIGN_END}\n")
    assert bench.main(["--render", str(saved), "--readme", str(doc)]) == 0
    assert block_between(str(doc), bench.CAMPAIGN_BEGIN, bench.CAMPAIGN_END) == md
    assert block_between(str(doc), bench.README_BEGIN, bench.README_END) == "A\n"


@pytest.mark.parametrize("saved", ["reference-campaign-profile.json", "reference-2026-12-06-2200.json",
                                   "reference-lever-larsen.json"])
def test_docs_campaign_tables_are_renders_of_their_json(saved):
    """docs/performance.md's other tables (the campaign profile, the 2026-12-06 levers table, the Larsen lever) are
    generated from their saved runs, between their markers."""
    from vaegan_gluon.utils import block_between
    with open(os.path.join(ROOT, "benchmarks", "results", saved)) as fh:
        result = json.load(fh)
    table = bench.markdown(result, title=False)
    assert bench.markers_for(result)[0] != bench.README_BEGIN
    assert block_between(os.path.join(ROOT, "docs", "performance.md"), *bench.markers_for(result)) == table


def test_larsen_flops_count_three_backward_passes():
    """Larsen: forward F = E(m) + G(2m) + D(3m); ours' three backward passes 2F + 2(F - D(m)) + 2(F - D(m))."""
    total, vae_f, disc_f = bench.step_flops(bench.CONFIGS["n"], "ours")
    from vaegan_gluon.models import get_model
    from benchmarks.flops import forward_flops
    cfg = bench.CONFIGS["n"]
    enc = forward_flops(lambda: get_model("ConvVAE", image_shape=cfg["shape"], **cfg["vae"][1]).encoder,
                        (64,) + cfg["shape"])
    fwd = enc + 2 * (vae_f - enc) + 3 * disc_f
    assert total == 7 * fwd - 4 * disc_f


@pytest.mark.parametrize("name,graphs,groups", [("n", {"encoder", "decoder", "disc"}, {"encoder", "decoder", "disc"}),
                                                ("o", {"vae"}, {"vae"})])
def test_export_bundle(tmp_path, name, graphs, groups):
    """The bundle: the scheme's graphs (Larsen: encoder and decoder apart), every parameter, the optimiser
    groups, and ours' one-step check (batch, noise draws, sums, gradients of every group)."""
    import numpy as np
    from benchmarks.torch_export import export_bundle
    spec = export_bundle(name, str(tmp_path), check=True)
    assert set(spec["graphs"]) == graphs and set(spec["groups"]) == groups
    params = np.load(tmp_path / "params.npz")
    assert set(spec["trainable"]) <= set(params.files)
    ours, check = np.load(tmp_path / "ours.npz"), np.load(tmp_path / "check.npz")
    assert {k.split("/")[1] for k in ours.files if k.startswith("grad/")} == groups
    assert len([k for k in check.files if k.startswith("noise")]) == (2 if name == "n" else 1)
    for g in spec["graphs"].values():
        ops = {n["op"] for n in json.load(open(tmp_path / g))["nodes"]}
        assert "Convolution" in ops or "Deconvolution" in ops


TORCH_PY = os.environ.get("VAEGAN_TORCH_PYTHON")


@pytest.mark.skipif(not TORCH_PY, reason="VAEGAN_TORCH_PYTHON (a Python with torch) not set")
@pytest.mark.parametrize("name", ["h", "n", "o"])
def test_torch_step_equals_ours_on_one_step(tmp_path, name):
    """The PyTorch side's losses and gradients against ours on one step (same weights, batch, noise)."""
    res = bench.torch_check(name, TORCH_PY, str(tmp_path / name), 600)
    assert "error" not in res, res
    t = res["torch_vs_ours"]
    assert t["max_sum_rel"] < 1e-5
    assert t["grads"]["missing"] == [] and t["grads"]["n"] > 0
    assert t["grads"]["median_rel"] < 1e-3 and t["grads"]["max_rel"] < 1e-2


def test_package_never_imports_torch():
    code = ("import sys, vaegan_gluon, benchmarks, benchmarks.torch_export; "
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.stdout.strip().splitlines()[-1] == "False"
