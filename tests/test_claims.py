"""The claims table: verdict rule, group selection over seeds and sweep variants, files, CLI."""
import json
import os

import pytest

from vaegan_gluon import claims
from vaegan_gluon.claims_catalog import CLAIMS
from vaegan_gluon.cli import main


def _run(root, folder, name, seed, metrics, scale="medium", **train):
    d = os.path.join(root, folder)
    os.makedirs(d)
    cfg = {"name": name, "scale": scale, "train": {"seed": seed, "disc_weight": 10.0, "pbp_weight": 1.0, **train}}
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(cfg, f)
    with open(os.path.join(d, "metrics.json"), "w") as f:
        json.dump(metrics, f)
    return d


SEED_FILES = {"000_d1bc8ed0ebb8b6ea.txt", "001_26a28592c93c00b6.txt", "002_fff96a8a23faa92b.txt",
              "003_f70c62380934b147.txt", "004_a45d0d168639666d.txt"}


def _by_id(table, cid):
    return next(c for c in table["claims"] if c["id"] == cid)


def test_verdict_rule():
    s = claims.summarise
    ok = dict(better="higher", min_n=3, reference_ok=True)
    assert claims.verdict(s([10, 11, 12]), s([5, 6, 7]), **ok)[0] == "holds"
    assert claims.verdict(s([10, 11, 12]), s([5, 6, 7]), "lower", 3, True)[0] == "does not hold"
    # within noise: "does not hold" only when the reference passed its bar
    assert claims.verdict(s([5, 7, 9]), s([5, 6, 7]), **ok)[0] == "does not hold"
    assert claims.verdict(s([5, 7, 9]), s([5, 6, 7]), "higher", 3, False)[0] == "inconclusive"
    # too few seeds, no runs
    assert claims.verdict(s([10, 11]), s([5, 6, 7]), **ok)[0] == "inconclusive"
    assert claims.verdict(s([]), s([5, 6, 7]), **ok)[0] == "untested"
    # a cost claim: 2.6 nats worse, tolerance 5 -> holds; 9 nats worse -> does not hold
    assert claims.verdict(s([128.6, 129.0, 128.2]), s([126.0, 126.4, 125.6]), "lower", 3, True, 5.0)[0] == "holds"
    assert claims.verdict(s([135.0, 135.4, 134.6]), s([126.0, 126.4, 125.6]), "lower", 3, True, 5.0)[0] == \
        "does not hold"
    m = s([1.0, 2.0, 3.0])
    assert m == {"mean": 2.0, "sd": 1.0, "n": 3}


def test_build_claims_over_seeds_and_variants(tmp_path):
    root = str(tmp_path)
    for seed, (blur_d, blur_v) in enumerate([(4100, 3300), (4200, 3340), (4280, 3360)]):
        good = {"fid_recon": 2.0, "fid_mean_image": 40.0}
        _run(root, f"logreg{seed}", "mnist-vae-logreg", seed, dict(good, blur_recon=blur_d, neg_elbo=128.6))
        _run(root, f"bce{seed}", "mnist-vae-bce", seed, dict(good, blur_recon=blur_v, neg_elbo=126.0))
    # a sweep variant of the face baseline must not be mixed into the baseline group
    for seed in (0, 1):
        base = {"fid_recon": 10.0 + seed, "fid_mean_image": 50.0, "attr_acc_recon": {"hair_colour": 0.95}}
        _run(root, f"resnet{seed}", "anime-conv-vae-resnet", seed, base)
        _run(root, f"dw20_{seed}", "anime-conv-vae-resnet", seed, {"fid_recon": 30.0 + seed}, disc_weight=20.0)
    # a quick-scale run is left out when a scale is asked for
    _run(root, "logreg_quick", "mnist-vae-logreg", 0, {"blur_recon": 1.0}, scale="quick")

    table = claims.build_claims(root, scale="medium", commit="abc")
    assert table["commit"] == "abc" and len(table["claims"]) == len(CLAIMS)
    sharp = _by_id(table, "mnist-disc-sharpens")
    assert sharp["verdict"] == "holds"
    assert sharp["ours"]["n"] == 3 and sharp["ours"]["mean"] == pytest.approx(4193.33, abs=0.01)
    assert sharp["reference"]["n"] == 3
    assert _by_id(table, "mnist-disc-elbo-cost")["verdict"] == "holds"   # 2.6 nats worse, within 5
    dw = _by_id(table, "faces-disc-weight-20")
    assert dw["ours"]["mean"] == pytest.approx(30.5) and dw["reference"]["mean"] == pytest.approx(10.5)
    assert dw["verdict"] == "does not hold"     # higher FID, the reference passed its bar
    assert _by_id(table, "larsen-faces-fid")["verdict"] == "untested"
    base = next(b for b in table["baselines"] if b["experiment"] == "anime-conv-vae-resnet")
    assert base["n"] == 2 and base["attr_acc_recon"]["hair_colour"]["mean"] == pytest.approx(0.95)

    pj, pm = claims.write_claims(table, os.path.join(root, "out"))
    back = json.load(open(pj))
    for c in back["claims"]:
        assert set(c) >= {"id", "source", "statement", "metric", "ours", "reference", "verdict", "rule", "runs"}
        assert c["verdict"] in claims.VERDICTS
        assert c["source"] in SEED_FILES
    md = open(pm).read()
    assert "| claim |" in md and "**holds**" in md


def test_claims_cli(tmp_path, capsys):
    assert main(["claims", str(tmp_path / "missing")]) == 2
    assert "no run folder" in capsys.readouterr().err
    _run(str(tmp_path), "r", "mnist-vae-bce", 0, {"blur_recon": 3.0})
    assert main(["claims", str(tmp_path), "--out", str(tmp_path / "o")]) == 0
    assert (tmp_path / "o" / "claims.md").exists()


def test_each_claim_reads_its_own_scale(tmp_path):
    """Without --scale, the MNIST study claims read full-scale runs and the face claims medium ones; a
    medium MNIST run or a quick face run never joins a group (one seed, one scale per group)."""
    root = str(tmp_path)
    for seed in range(3):
        _run(root, f"logreg{seed}", "mnist-vae-logreg", seed, {"blur_recon": 4200 + seed}, scale="full")
        _run(root, f"bce{seed}", "mnist-vae-bce", seed, {"blur_recon": 3300 + seed}, scale="full")
        _run(root, f"logreg_med{seed}", "mnist-vae-logreg", seed, {"blur_recon": 1.0}, scale="medium")
    for seed in (0, 1):
        _run(root, f"conv{seed}", "anime-conv-vae", seed, {"fid_recon": 20.0 + seed, "fid_mean_image": 90.0})
        _run(root, f"convq{seed}", "anime-conv-vae", seed, {"fid_recon": 1e6}, scale="quick")
        _run(root, f"cd{seed}", "anime-conv-vae-convdisc", seed, {"fid_recon": 10.0 + seed})
    table = claims.build_claims(root, commit="abc")
    sharp = _by_id(table, "mnist-disc-sharpens")
    assert sharp["scale"] == "full" and sharp["ours"]["mean"] == pytest.approx(4201) and sharp["ours"]["n"] == 3
    conv = _by_id(table, "faces-convdisc32-sharpens")
    assert conv["scale"] == "medium" and conv["reference"]["mean"] == pytest.approx(20.5)
    assert conv["verdict"] == "holds"
    base = next(b for b in table["baselines"] if b["experiment"] == "anime-conv-vae")
    assert base["scale"] == "medium" and base["n"] == 2
    assert base["trained_with"] == "alone (no discriminator)" and base["fid_ratio"] == pytest.approx([20 / 90, 21 / 90])
    assert "| medium |" in claims.claims_markdown(table)
    assert "| anime-conv-vae | medium | alone (no discriminator) | 0, 1 | 0.222, 0.233 |" in claims.baselines_markdown(table)


def test_readme_shows_the_generated_table():
    """The README's claims table is results/reference/claims.md, spliced by `vaegan claims --readme`."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    md = open(os.path.join(root, "results", "reference", "claims.md")).read()
    assert claims.readme_block(os.path.join(root, "README.md")) == md


def test_splice_readme(tmp_path):
    p = tmp_path / "README.md"
    p.write_text("# x\n")
    with pytest.raises(ValueError, match="no table markers"):
        claims.splice_readme(str(p), "| t |\n")
    p.write_text(f"# x\n{claims.README_BEGIN}\nold\n{claims.README_END}\nafter\n")
    claims.splice_readme(str(p), "| t |\n")
    assert claims.readme_block(str(p)) == "| t |\n" and p.read_text().endswith("after\n")


def test_keep_small_outputs_rebuilds_the_same_table(tmp_path):
    root = tmp_path / "results"
    for seed in (0, 1):
        _run(str(root), f"ConvVAE_on_x/conv{seed}", "anime-conv-vae", seed, {"fid_recon": 20.0 + seed})
        _run(str(root), f"ConvVAE_ConvDisc_on_x/cd{seed}", "anime-conv-vae-convdisc", seed, {"fid_recon": 9.0 + seed})
    table = claims.build_claims(str(root), commit="abc")
    kept = claims.keep_small_outputs(table, str(tmp_path / "kept"))
    assert len(kept) == 4 and (tmp_path / "kept" / "ConvVAE_on_x" / "conv1" / "metrics.json").exists()
    again = claims.build_claims(str(tmp_path / "kept"), commit="abc")
    assert [c["verdict"] for c in again["claims"]] == [c["verdict"] for c in table["claims"]]
    assert _by_id(again, "faces-convdisc32-sharpens")["ours"] == _by_id(table, "faces-convdisc32-sharpens")["ours"]


def test_a_run_with_other_models_is_not_a_seed_of_the_experiment(tmp_path):
    root = str(tmp_path)
    from vaegan_gluon.experiments.config import get_config
    vae = get_config("anime-conv-vae", "medium")["vae"]
    for seed in (0, 1):
        d = _run(root, f"conv{seed}", "anime-conv-vae", seed, {"fid_recon": 20.0 + seed})
        cfg = json.load(open(os.path.join(d, "config.json")))
        cfg["vae"] = dict(vae)
        json.dump(cfg, open(os.path.join(d, "config.json"), "w"))
    wide = _run(root, "conv_wide", "anime-conv-vae", 0, {"fid_recon": 9999.0})
    cfg = json.load(open(os.path.join(wide, "config.json")))
    cfg["vae"] = dict(vae, n_latent=512)
    json.dump(cfg, open(os.path.join(wide, "config.json"), "w"))
    base = claims.select(claims.collect_runs(root), {"experiment": "anime-conv-vae"}, "medium")
    assert sorted(r["metrics"]["fid_recon"] for r in base) == [20.0, 21.0]


def _with_overrides(d, overrides, **train):
    cfg = json.load(open(os.path.join(d, "config.json")))
    cfg["overrides"] = overrides
    cfg["train"].update(train)
    json.dump(cfg, open(os.path.join(d, "config.json"), "w"))


def test_a_sweep_run_is_not_a_seed_of_its_base_and_is_selected_by_its_settings(tmp_path):
    """sweep-solo-combo's 8-epoch runs must not count as seeds of the 25-epoch ResNet baseline (or
    its time claim would compare one sweep run with another); --no-checkpoints and no-op overrides
    keep a run a seed."""
    root = str(tmp_path)
    name = "anime-conv-vae-resnet"
    plain = _run(root, "plain1", name, 1, {"train_seconds": 250.0})
    _with_overrides(plain, {"train.seed": 1, "train.keep_checkpoints": 0, "train.disc_weight": 10.0})
    for folder, seed, solo, secs in (("s0a", 0, 0, 300.0), ("s0b", 0, 4, 200.0), ("s1a", 1, 0, 310.0),
                                     ("s1b", 1, 4, 205.0), ("s0c", 0, 6, 150.0)):
        d = _run(root, folder, name, seed, {"train_seconds": secs}, n_epochs=8, n_solo_epochs=solo)
        _with_overrides(d, {"train.n_epochs": 8, "train.n_solo_epochs": solo})
    runs = claims.collect_runs(root)
    assert [r["metrics"]["train_seconds"] for r in claims.select(runs, {"experiment": name}, "medium")] == [250.0]
    table = claims.build_claims([root])
    c = _by_id(table, "faces-solo-combo-saves-time")
    assert (c["ours"]["n"], c["ours"]["mean"]) == (2, 202.5)
    assert (c["reference"]["n"], c["reference"]["mean"]) == (2, 305.0)
    assert c["verdict"] == "holds"


def test_a_run_made_before_the_catalogue_resized_its_experiment_is_not_a_seed(tmp_path):
    """The dense pair went from 60 to 100 epochs at medium: its old 60-epoch folders (no --set, the
    catalogue's value then) must not be picked as seeds of the 100-epoch experiment (the old folder
    sorts after the new one, so it would have replaced it)."""
    from vaegan_gluon.experiments.config import get_config
    root = str(tmp_path)
    epochs = get_config("anime-dense-vae", "medium")["train"]["n_epochs"]
    assert epochs != 60
    _run(root, "dense_100", "anime-dense-vae", 0, {"fid_recon": 1.0}, n_epochs=epochs)
    _run(root, "dense_60", "anime-dense-vae", 0, {"fid_recon": 2.0}, n_epochs=60)
    chosen = claims.select(claims.collect_runs(root), {"experiment": "anime-dense-vae"}, "medium")
    assert [r["metrics"]["fid_recon"] for r in chosen] == [1.0]


def test_a_reference_trained_with_a_discriminator_is_held_to_the_bar_at_its_switch(tmp_path):
    """The ResNet reference's final hair colour carries its discriminator's own effect (0.83-0.99 across
    seeds): its bar is read from the VAE alone at the solo -> combo switch (``metrics["at_switch"]``)
    when the run has it, and from its final metrics when it does not."""
    def build(with_switch):
        root = str(tmp_path / ("switch" if with_switch else "final"))
        for seed in (0, 1):
            final = {"fid_recon": 10.0 + seed, "fid_mean_image": 50.0, "attr_acc_recon": {"hair_colour": 0.8}}
            if with_switch:
                final["at_switch"] = {"epoch": 20, "fid_recon": 15.0, "fid_mean_image": 50.0,
                                      "attr_acc_recon": {"hair_colour": 0.95}}
            d = _run(root, f"resnet{seed}", "anime-conv-vae-resnet", seed, final)
            _with_overrides(d, {})
            cfg = json.load(open(os.path.join(d, "config.json")))
            cfg["disc"] = {"model": "ResNetDisc"}
            json.dump(cfg, open(os.path.join(d, "config.json"), "w"))
            _run(root, f"dw20_{seed}", "anime-conv-vae-resnet", seed, {"fid_recon": 30.0 + seed}, disc_weight=20.0)
        return claims.build_claims(root, scale="medium", commit="abc")

    at_switch, at_end = build(True), build(False)
    assert _by_id(at_switch, "faces-disc-weight-20")["verdict"] == "does not hold"   # the bar passed
    assert _by_id(at_end, "faces-disc-weight-20")["verdict"] == "inconclusive"      # hair 0.8 < 0.9
    base = next(b for b in at_switch["baselines"] if b["experiment"] == "anime-conv-vae-resnet")
    assert base["bar_at"] == ["switch", "switch"] and base["hair_colour"] == [0.95, 0.95]
    assert base["passes_bar"] == [True, True] and "switch (epoch 20)" in base["trained_with"]
    base = next(b for b in at_end["baselines"] if b["experiment"] == "anime-conv-vae-resnet")
    assert base["bar_at"] == ["final", "final"] and base["passes_bar"] == [False, False]
