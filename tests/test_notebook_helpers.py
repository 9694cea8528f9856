"""The notebooks' teaching helpers (vaegan_gluon.experiments.notebook): the facts they print come from
the configs and the models, built without training, and agree with what a run records."""
import glob
import json
import math
import os
import re

import nbformat
import pandas as pd
import pytest

from vaegan_gluon.experiments import get_config
from vaegan_gluon.experiments import notebook as nbh
from vaegan_gluon.experiments import notebook_figures as nbf
from vaegan_gluon.experiments import notebook_settings as nbs

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOTEBOOKS = sorted(glob.glob(os.path.join(ROOT, "notebooks", "[0-9]*.ipynb")))
CLAIMS_RUNS = os.path.join(ROOT, "results", "reference", "claims_runs")


def test_data_sizes_match_the_loaded_splits():
    from vaegan_gluon.experiments.runner import load_data
    for name in ("mnist-vae-bce", "anime-conv-vae"):
        cfg = get_config(name, "quick")
        train, val = load_data(cfg)
        assert nbs.data_sizes(cfg) == (len(train), len(val))
        assert nbs.image_shape_of(cfg) == tuple(train.images.shape[1:])
    assert nbs.data_sizes(get_config("anime-conv-vae", "full")) == (16000, 4000)   # 20,000 faces, 80/20
    assert nbs.data_sizes(get_config("mnist-vae-bce", "full")) == (4500, 500)


def test_optimizer_steps_count_the_last_short_batch():
    cfg = get_config("mnist-vae-logreg", "full")     # 4,500 / 64 = 70.3 -> 71 batches, 50 epochs
    assert nbs.optimizer_steps(cfg) == 71 * 50


@pytest.mark.skipif(not os.path.isdir(CLAIMS_RUNS), reason="no committed claims runs")
def test_parameter_counts_equal_what_the_runs_recorded():
    checked = 0
    for path in glob.glob(os.path.join(CLAIMS_RUNS, "*", "*", "metrics.json")):
        with open(path) as f:
            recorded = json.load(f)["parameters"]
        with open(os.path.join(os.path.dirname(path), "config.json")) as f:
            cfg = json.load(f)
        counts = nbs.model_parameters(cfg)
        for net, c in recorded.items():
            assert counts[net]["total"] == c["total"], (path, net)
            checked += 1
    assert checked


def test_study_settings_are_the_same_at_every_scale(monkeypatch, capsys):
    outs = []
    for scale in ("quick", "medium"):
        monkeypatch.setenv("VAEGAN_SCALE", scale)
        nbs.print_study_settings(["mnist-vae-logreg", "sweep-solo-combo"])
        outs.append(capsys.readouterr().out)
    assert outs[0] == outs[1]
    assert "optimizer steps        3550" in outs[0] and "vae parameters         1,276,394 trainable" in outs[0]


def test_study_vs_here_reads_both_scales_from_the_configs():
    df = nbs.study_vs_here(["mnist-vae-logreg", "anime-conv-vae-resnet"], "quick")
    assert len(df) == 4
    for name in ("mnist-vae-logreg", "anime-conv-vae-resnet"):
        for scale, label in (("full", "study (full)"), ("quick", "here (quick)")):
            cfg = get_config(name, scale)
            row = df.loc[(name, label)]
            assert row["optimizer steps"] == nbs.optimizer_steps(cfg)
            assert row["batch size"] == cfg["train"]["batch_size"]
            assert row["disc_weight"] == cfg["train"]["disc_weight"]
    assert len(nbs.study_vs_here("mnist-vae-bce", "full")) == 1


def _fake_run(root, name, scale, img_s, n_train):
    cfg = get_config(name, scale)
    d = os.path.join(root, f"{name}_{scale}_{img_s}")
    os.makedirs(d)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(cfg, f)
    with open(os.path.join(d, "metrics.json"), "w") as f:
        json.dump({"train_images_per_s": img_s, "n_train_images": n_train}, f)


def test_measured_img_s_prefers_results_folders_and_the_largest_runs(tmp_path, monkeypatch):
    monkeypatch.setattr(nbh, "_results_root", lambda: str(tmp_path))
    full = get_config("anime-conv-vae-resnet", "full")
    img_s, source = nbh.measured_img_s(full)
    assert img_s == 20.3 and "notebooks/10" in source               # the table
    _fake_run(str(tmp_path), "anime-conv-vae-resnet", "full", 30.0, 16000)
    _fake_run(str(tmp_path), "anime-conv-vae-resnet", "full", 10.0, 16000)
    _fake_run(str(tmp_path), "anime-conv-vae-resnet", "full", 50.0, 16000)
    _fake_run(str(tmp_path), "anime-conv-vae-resnet", "quick", 999.0, 128)   # other models: ignored
    img_s, source = nbh.measured_img_s(full)
    assert img_s == 30.0 and "median" in source
    hours = nbh.expected_hours("anime-conv-vae-resnet")
    assert hours.loc["anime-conv-vae-resnet", "expected hours"] == round(16000 * 200 / 30.0 / 3600, 1)


def test_measured_img_s_mixes_solo_and_combo_rates(tmp_path, monkeypatch):
    monkeypatch.setattr(nbh, "_results_root", lambda: str(tmp_path))
    from vaegan_gluon.experiments import sweep_configs
    (label, cfg), = [(lab, c) for lab, c in sweep_configs("sweep-solo-combo", "full") if lab == "n_solo_epochs=100"]
    img_s, _ = nbh.measured_img_s(cfg)
    assert math.isclose(img_s, 200 / (100 / 54.7 + 100 / 20.3))
    assert nbh.measured_img_s(get_config("faces-aegan-constant", "full"))[0] is None


def test_comparison_table_and_mean_face_check(tmp_path):
    from vaegan_gluon.experiments import RunResult
    runs = {"a": RunResult(str(tmp_path), [], {"recon_bce": 100.0, "fid_recon": 10.0, "fid_mean_image": 40.0,
                                               "attr_acc_recon": {"hair_colour": 0.95}}, None),
            "b": RunResult(str(tmp_path), [], {"recon_bce": 110.0, "fid_recon": 30.0, "fid_mean_image": 40.0,
                                               "attr_acc_recon": {"hair_colour": 0.99}}, None)}
    t = nbh.comparison_table(runs, "a", ["recon_bce", "fid_recon", "missing"])
    assert math.isclose(t.at["b", "recon_bce vs a (%)"], 10.0) and pd.isna(t.at["a", "recon_bce vs a (%)"])
    check = nbh.mean_face_check(runs)
    assert check["left_mean_face"].tolist() == [True, False]      # b: fid ratio 0.75 > 0.5
    # a run trained with a discriminator after solo epochs: its VAE alone at the switch, beside its end
    runs["b"].metrics["at_switch"] = {"epoch": 20, "fid_recon": 12.0, "fid_mean_image": 40.0,
                                      "attr_acc_recon": {"hair_colour": 0.93}}
    check = nbh.mean_face_check(runs)
    assert check["left_mean_face"].tolist() == [True, False]
    assert check.at["b", "at switch (epoch 20): left_mean_face"] is True
    assert check.at["b", "at switch (epoch 20): fid_recon / fid_mean_image"] == pytest.approx(0.3)
    assert pd.isna(check.at["a", "at switch (epoch 20): fid_recon"])
    with pytest.raises(ValueError):
        nbh.comparison_table(runs, "c", ["recon_bce"])


def test_training_step_source_is_the_schemes_own():
    from vaegan_gluon.train.schemes.larsen import LarsenVAEGAN
    from vaegan_gluon.train.schemes import LearnableLoss
    import inspect
    src = nbs.training_step_source("mnist-vae-logreg")
    assert inspect.getsource(LearnableLoss.step) in src and "losses.kl_divergence" in src
    src = nbs.training_step_source("mnist-larsen-vaegan")
    assert inspect.getsource(LarsenVAEGAN.forward_losses) in src
    assert "aegan" in nbs.training_step_source("faces-aegan-constant")


def test_claims_for_picks_the_notebooks_rows(tmp_path):
    def claim(id, ours, where=None, ref="anime-conv-vae"):
        return {"id": id, "selection": {"ours": {"experiment": ours, "where": where or {}},
                                        "reference": {"experiment": ref, "where": {}}}}
    table = {"commit": "x", "rule": "r", "claims": [
        claim("resnet", "anime-conv-vae-resnet"), claim("dw20", "anime-conv-vae-resnet", {"train.disc_weight": 20}),
        claim("decay", "anime-conv-vae-resnet", {"train.pbp_decay": 0.9}),
        claim("l2", "mnist-vae-bce", ref="mnist-vae-l2")]}
    path = tmp_path / "claims.json"
    path.write_text(json.dumps(table))
    ids = lambda names: [c["id"] for c in nbh.claims_for(names, str(path))["claims"]]  # noqa: E731
    assert ids(["anime-conv-vae-resnet"]) == ["resnet"]
    assert ids("sweep-disc-weight") == ["dw20"]
    assert ids("sweep-pbp-weight") == ["decay"]            # the sweep's extra runs vary pbp_decay
    assert ids(["mnist-vae-bce", "mnist-vae-l2"]) == ["l2"]
    assert nbh.claims_for(["anime-conv-vae"], str(path))["reference_of"] == ["resnet", "dw20", "decay"]
    assert nbh.claims_for(["anime-conv-vae"], str(tmp_path / "none.json")) is None


NUMBER = re.compile(r"\d[\d,]*\.\d+|\d{3,}")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=os.path.basename)
def test_every_notebook_teaches_and_checks(path):
    nb = nbformat.read(path, as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    # the step is written in the page and checked against the package's (experiments/lesson.py), and the one
    # hyperparameter cell's knobs reach the runs
    for call in ("print_study_settings(", "study_vs_here(", "expected_hours(", "print_models(", "check_step(",
                 "knobs(", "what_runs(", "show_claims("):
        assert call in code, call
    assert "show_training_step(" not in code, "the step is written in the page, not printed from the package"
    assert "progress=False" not in code, "a student sees progress bars while a run trains"
    if not os.path.basename(path).startswith("22_"):    # 22 judges prior samples: its sample grids per run
        assert "comparison_figure(" in code
    checked = [c for c in nb.cells if c.cell_type == "code" and c.source.startswith("# NBVAL_CHECK_OUTPUT")]
    assert any("print_study_settings(" in c.source and c.outputs for c in checked)
    heads = [c.source.splitlines()[0] for c in nb.cells if c.cell_type == "markdown" and c.source]
    assert "## Summary" in heads and "## Exercises" in heads
    assert any("$$" in c.source for c in nb.cells if c.cell_type == "markdown"), "the loss terms in math"
    (wws,) = [c.source for c in nb.cells if c.cell_type == "markdown" and c.source.startswith("## What we saw")]
    # the generated block ("What the claims board says") comes from the board; tests/test_notebook_text.py checks it
    prose = re.sub(r"<!-- claims: generated.*?<!-- end of claims -->", "", wws, flags=re.S)
    # every number typed in the prose is copied from this notebook's own outputs (the claims cell's excepted)
    printed = "\n".join(_output_text(c) for c in nb.cells if c.cell_type == "code" and "show_claims(" not in c.source)
    typed = [n for n in NUMBER.findall(prose) if n.replace(",", "") not in printed and n not in printed]
    assert not typed, f"numbers in What we saw that no output of the notebook prints: {typed}"


def _output_text(cell):
    parts = []
    for o in cell.get("outputs", []):
        if o.get("output_type") == "stream":
            parts.append(o.get("text", ""))
        for mime in ("text/plain", "text/markdown"):
            v = (o.get("data") or {}).get(mime)
            if v:
                parts.append(v if isinstance(v, str) else "".join(v))
    return "\n".join(parts)


def test_comparison_figure_rows_are_the_runs_reconstructions(tmp_path):
    import mxnet as mx
    from vaegan_gluon import inference
    from vaegan_gluon.experiments.runner import build_models, load_data
    cfg = get_config("mnist-vae-bce", "quick", {"vae.n_hidden_units": 16})
    runs = {}
    for i, value in enumerate((12.5, 7.25)):
        d = tmp_path / f"run{i}"
        d.mkdir()
        mx.random.seed(i)
        vae, _ = build_models(cfg, nbs.image_shape_of(cfg))
        vae.initialize(mx.init.Xavier())
        vae.save_parameters(str(d / "vae.params"))
        (d / "config.json").write_text(json.dumps(cfg))
        (d / "metrics.json").write_text(json.dumps({"fid_recon": value}))
        runs[f"run{i}"] = str(d)
    fig = nbf.comparison_figure(runs, metric="fid_recon", n=4, path=str(tmp_path / "cmp.png"))
    titles = [ax.get_title(loc="left") for ax in fig.axes]
    assert titles == ["held-out originals (4 of 100)", "run0: fid_recon 12.5", "run1: fid_recon 7.25"]
    _, val = load_data(cfg)
    shown = fig.axes[2].images[0].get_array()
    want = inference.reconstruct(nbf.load_vae(runs["run1"]), val.images[:4])
    import numpy as np
    from vaegan_gluon import viz
    np.testing.assert_array_equal(np.asarray(shown), viz.image_grid(np.asarray(want), nrow=4))
    other = inference.reconstruct(nbf.load_vae(runs["run0"]), val.images[:4])
    assert not np.array_equal(viz.image_grid(np.asarray(other), nrow=4), np.asarray(shown))
    assert (tmp_path / "cmp.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_solo_epoch_cost_recovers_the_time_model_with_each_runs_own_epochs():
    """The fit divides each run's solo epochs by *its own* epoch count (the sweep's 8 at medium, 4 at quick),
    not the base experiment's: ratios built from c = 0.3 give back 0.3 at both scales (the old cell, dividing
    by the base experiment's 25 epochs at medium, printed a negative cost)."""
    import pandas as pd
    from vaegan_gluon.experiments.notebook import solo_epoch_cost
    from vaegan_gluon.experiments.sweep import sweep_configs
    for scale in ("medium", "quick"):
        rows = []
        for label, cfg in sweep_configs("sweep-solo-combo", scale):
            share = cfg["train"]["n_solo_epochs"] / cfg["train"]["n_epochs"]
            rows.append({"label": label, "train.n_solo_epochs": cfg["train"]["n_solo_epochs"],
                         "ratio_to_first": 1 - share * (1 - 0.3), "study_ratio_to_first": 1 - share * (1 - 0.6)})
        cost = solo_epoch_cost(pd.DataFrame(rows), "sweep-solo-combo", scale)
        assert cost["ours"] == pytest.approx(0.3) and cost["study (GPU)"] == pytest.approx(0.6)
    with pytest.raises(ValueError, match="not runs of"):
        solo_epoch_cost(pd.DataFrame(rows), "sweep-solo-combo", "medium")   # quick labels, medium sweep


def test_no_two_notebooks_write_into_the_same_results_folder():
    """Each notebook trains under its own ``results/notebooks/<stem>`` (02 once overwrote 00's runs)."""
    roots = {}
    for path in NOTEBOOKS:
        code = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
        m = re.search(r"^RESULTS\s*=\s*(.+)$", code, re.M)
        assert m, f"{os.path.basename(path)}: no RESULTS = ... line"
        stem = os.path.splitext(os.path.basename(path))[0]
        assert f'"{stem}"' in m.group(1), f"{os.path.basename(path)}: RESULTS = {m.group(1)} is not its own folder"
        roots[path] = m.group(1)
    assert len(set(roots.values())) == len(roots)
