"""The claims board: the rule at its boundaries, the validity gates, the code check, group selection, CLI.

Each rule test is built so that one mutation of the rule fails it: a z threshold (K standard errors)
instead of t quantiles, another df, ``<=`` instead of ``<``, a flipped direction, equivalence scored as
"holds" or ignored.
"""
import csv
import json
import math
import os
import shutil

import pytest
from scipy import stats

from vaegan_gluon.claims import CLAIMS, build_claims, gates, judge, rule, write_claims
from vaegan_gluon.claims.board import judge_claim
from vaegan_gluon.cli import main
from vaegan_gluon.experiments.config import get_config

S = rule.summarise
SEED_FILES = {"000_d1bc8ed0ebb8b6ea.txt", "001_26a28592c93c00b6.txt", "002_fff96a8a23faa92b.txt",
              "003_f70c62380934b147.txt", "004_a45d0d168639666d.txt"}
REFERENCE = os.path.join(os.path.dirname(__file__), "..", "results", "reference")


# ----------------------------------------------------------------------------- the rule
@pytest.mark.parametrize("ours,ref", [([10, 11, 12.5], [5, 6, 7]), ([3.1, 2.0], [1.0, 1.4, 0.9, 1.2]),
                                      ([1022, 1798], [2818, 2499])])
def test_welch_matches_scipy_exactly(ours, ref):
    """df and the p-value are Welch's (scipy's ttest_ind, equal_var=False): kills any df mutation."""
    w = rule.welch(S(ours), S(ref))
    want = stats.ttest_ind(ours, ref, equal_var=False, alternative="greater")
    assert w["t"] == pytest.approx(want.statistic, rel=1e-12)
    assert rule.p_greater(w) == pytest.approx(want.pvalue, rel=1e-9)
    assert rule.p_less(w) == pytest.approx(1 - want.pvalue, rel=1e-9)


def test_two_standard_errors_at_few_df_is_not_significant():
    """t = 2.5 at df = 2 is p = 0.065: the old K = 2 rule said "holds"; the t quantile says inconclusive.
    (faces-convdisc32's FIDs: one-sided p 0.077, which the old rule scored as holds.)"""
    ours, ref = S([1 + 2.5 * math.sqrt(2) + d for d in (-1, 1)]), S([0.0, 2.0])
    t = judge("directional", ours, ref, "higher", delta=None)
    assert t["df"] == pytest.approx(2.0) and t["t"] == pytest.approx(2.5)
    assert t["effect"] > 2 * t["se"] and t["verdict"] == "inconclusive"
    fid = judge("directional", S([1022, 1798]), S([2818, 2499]), "lower", delta=266.0)
    assert 0.05 < fid["p_predicted"] < 0.1 and fid["verdict"] == "inconclusive"
    # the same effect with more seeds is significant
    more = judge("directional", S([1 + 2.5 * math.sqrt(2) + d for d in (-1, 1, -1, 1, 0)]), S([0, 2, 0, 2, 1]),
                 "higher", None)
    assert more["verdict"] == "holds"


def test_the_boundary_is_strict(monkeypatch):
    """p exactly alpha is not significant (``<``, not ``<=``), in both directions."""
    ours, ref = S([5.0, 6.0, 7.0]), S([1.0, 2.0, 3.0])
    monkeypatch.setattr(rule, "p_greater", lambda w: rule.ALPHA)
    assert judge("directional", ours, ref, "higher", None)["verdict"] == "inconclusive"
    monkeypatch.setattr(rule, "p_greater", lambda w: rule.ALPHA * 0.999)
    assert judge("directional", ours, ref, "higher", None)["verdict"] == "holds"
    monkeypatch.setattr(rule, "p_greater", lambda w: 1.0)
    monkeypatch.setattr(rule, "p_less", lambda w: rule.ALPHA)
    assert judge("directional", ours, ref, "higher", None)["verdict"] == "inconclusive"
    monkeypatch.setattr(rule, "p_less", lambda w: rule.ALPHA * 0.999)
    assert judge("directional", ours, ref, "higher", None)["verdict"] == "does not hold"


def test_direction():
    """A significantly *higher* FID where lower is predicted is "does not hold", never "holds"."""
    hi, lo = S([30.0, 31.0, 32.0]), S([10.0, 11.0, 12.0])
    assert judge("directional", hi, lo, "lower", None)["verdict"] == "does not hold"
    assert judge("directional", lo, hi, "lower", None)["verdict"] == "holds"
    assert judge("directional", hi, lo, "higher", None)["verdict"] == "holds"
    assert judge("directional", hi, lo, "lower", None)["effect"] == pytest.approx(-20.0)


def test_not_significant_is_inconclusive_unless_equivalent_within_delta():
    ours, ref = S([100.0, 101.0, 99.0, 100.5]), S([100.2, 99.8, 100.1, 99.9])
    assert judge("directional", ours, ref, "higher", delta=None)["verdict"] == "inconclusive"
    t = judge("directional", ours, ref, "higher", delta=5.0)       # 90 % CI well inside +-5
    assert t["verdict"] == "does not hold" and -5 < t["ci90"][0] and t["ci90"][1] < 5
    assert judge("directional", ours, ref, "higher", delta=0.5)["verdict"] == "inconclusive"
    assert judge("equivalence", ours, ref, "higher", delta=5.0)["verdict"] == "holds"
    assert judge("equivalence", S([130.0, 131, 129]), ref, "higher", delta=5.0)["verdict"] == "does not hold"
    assert judge("exploratory", ours, ref, "higher", delta=5.0)["verdict"] == "equivalent within delta"
    assert judge("exploratory", ours, ref, "higher", delta=0.5)["verdict"] == "no change shown"
    assert judge("exploratory", S([130.0, 131, 129]), ref, "lower", delta=5.0)["verdict"] == "changes"


def test_noninferiority_uses_the_upper_bound_of_the_cost():
    ref = S([126.0, 126.4, 125.6])
    assert judge("noninferiority", S([128.6, 129.0, 128.2]), ref, "lower", 5.0)["verdict"] == "holds"
    assert judge("noninferiority", S([135.0, 135.4, 134.6]), ref, "lower", 5.0)["verdict"] == "does not hold"
    # a cost of 4 with a wide spread: the upper bound passes 5 -> inconclusive, not holds
    assert judge("noninferiority", S([128.0, 132.0, 130.0]), ref, "lower", 5.0)["verdict"] == "inconclusive"


def test_mde_and_seeds_needed_are_consistent():
    sd_o, sd_r, delta = 984.0, 230.0, 266.0
    n = rule.seeds_needed(sd_o, sd_r, delta)
    assert rule.mde(sd_o, sd_r, n, n) <= delta < rule.mde(sd_o, sd_r, n - 1, n - 1)
    # normal-theory check at large n: (z_0.95 + z_0.8) * se
    z = (stats.norm.ppf(0.95) + stats.norm.ppf(0.8)) * math.sqrt((sd_o ** 2 + sd_r ** 2) / 200)
    assert rule.mde(sd_o, sd_r, 200, 200) == pytest.approx(z, rel=0.01)
    assert rule.mde(1.0, 1.0, 5, 5, two_sided=True) > rule.mde(1.0, 1.0, 5, 5)
    assert rule.seeds_needed(1.0, 1.0, None) is None


def test_unknown_kind_is_an_error():
    with pytest.raises(ValueError, match="valid kinds are directional"):
        judge("one-sided", S([1, 2]), S([1, 2]), "higher", 1.0)


# ----------------------------------------------------------------------------- run folders
def _run(root, folder, name, seed, metrics, scale="medium", stats_rows=(), fingerprint="fp0", disc=None, **train):
    d = os.path.join(root, folder)
    os.makedirs(d)
    cfg = {"name": name, "scale": scale, "train": {"seed": seed, "disc_weight": 10.0, "pbp_weight": 1.0, **train}}
    if disc:     # the catalogue's discriminator (a run with other networks is another experiment)
        from vaegan_gluon.experiments.config import get_config
        cfg["disc"] = get_config(name, scale)["disc"]
    if fingerprint is not None:
        cfg["numerics"] = {"fingerprint": fingerprint}
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(cfg, f)
    with open(os.path.join(d, "metrics.json"), "w") as f:
        json.dump(metrics, f)
    if stats_rows:
        with open(os.path.join(d, "training_statistics.csv"), "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=sorted({k for r in stats_rows for k in r}))
            w.writeheader()
            w.writerows(stats_rows)
    return d


def _combo(acc=0.9, beta=None, adv_on=True, n=3):
    row = {"phase": "combo", "disc_acc_real": acc, "disc_acc_fake": acc, "adv_on": str(adv_on), "disc_weight": 10.0}
    if beta is not None:
        row["beta"] = beta
    return [{"phase": "solo"}] + [dict(row) for _ in range(n)]


def _by_id(table, cid):
    return next(c for c in table["claims"] if c["id"] == cid)


def _mnist_pair(root, blur_d=(4100, 4200, 4280), blur_v=(3300, 3340, 3360), fps=("fp0",) * 6, acc=0.9):
    good = {"fid_recon": 2.0, "fid_mean_image": 40.0}
    for seed in range(3):
        _run(root, f"logreg{seed}", "mnist-vae-logreg", seed, dict(good, blur_recon=blur_d[seed], neg_elbo=128.6),
             scale="full", stats_rows=_combo(acc), fingerprint=fps[seed], disc=True)
        _run(root, f"bce{seed}", "mnist-vae-bce", seed, dict(good, blur_recon=blur_v[seed], neg_elbo=126.0),
             scale="full", fingerprint=fps[3 + seed])


def test_board_over_seeds_with_per_seed_values(tmp_path):
    root = str(tmp_path)
    _mnist_pair(root)
    table = build_claims(root, commit="abc", config_of=get_config)
    sharp = _by_id(table, "mnist-disc-sharpens")
    assert sharp["verdict"] == "holds", sharp["reason"]
    assert sharp["ours"]["values"] == [4100, 4200, 4280] and sharp["ours"]["n"] == 3
    assert sharp["gates"]["ours"]["disc_learned"]["passed"] and sharp["gates"]["reference"]["baseline_bar"]["passed"]
    assert _by_id(table, "mnist-disc-elbo-cost")["verdict"] == "holds"
    assert _by_id(table, "larsen-faces-fid")["verdict"] == "untested"
    assert _by_id(table, "aegan-beta0-is-ae")["verdict"] == "untested"
    pj, pm = write_claims(table, os.path.join(root, "out"))
    back = json.load(open(pj))
    assert len(back["claims"]) == len(CLAIMS)
    for c in back["claims"]:
        assert c["source"] in SEED_FILES and c["quote"]
    assert "| claim |" in open(pm).read()


def test_groups_trained_by_different_code_are_not_compared(tmp_path):
    root = str(tmp_path)
    _mnist_pair(root, fps=("fp0", "fp0", "fp0", "fp1", "fp1", "fp1"))
    c = _by_id(build_claims(root, config_of=get_config), "mnist-disc-sharpens")
    assert c["verdict"] == "inconclusive" and "different code" in c["reason"] and "would say holds" in c["reason"]


def test_unrecorded_code_is_not_compared(tmp_path):
    root = str(tmp_path)
    _mnist_pair(root, fps=(None,) * 6)
    assert "unrecorded" in _by_id(build_claims(root, config_of=get_config), "mnist-disc-sharpens")["reason"]


def test_a_discriminator_at_chance_makes_the_row_invalid(tmp_path):
    root = str(tmp_path)
    _mnist_pair(root, acc=0.42)
    c = _by_id(build_claims(root, config_of=get_config), "mnist-disc-sharpens")
    assert c["verdict"] == "invalid" and "disc learned fails in seeds 0, 1, 2" in c["reason"]


def _run_of(metrics, stats_rows=(), disc=True):
    return {"config": {"disc": {"model": "X"} if disc else None}, "metrics": metrics, "stats": list(stats_rows),
            "seed": 0}


def test_each_gate_fails_on_a_run_that_should_fail_it():
    assert gates.disc_learned(_run_of({}, _combo(0.41)))[0] is False
    assert gates.disc_learned(_run_of({}, _combo(0.61)))[0] is True
    assert gates.disc_learned(_run_of({}, [{"phase": "solo"}]))[0] is False
    # a discriminator that learned and then lost to the VAE (the arm's outcome) passes; one that never did fails
    caught_up = _combo(0.93, n=1) + _combo(0.5, n=3)[1:]
    ok, why = gates.disc_learned(_run_of({}, caught_up))
    assert ok is True and why == "training accuracy 0.93 at best (combo epoch 1 of 4), 0.50 at the end"
    assert gates.disc_learned(_run_of({}, _combo(0.59, n=1) + _combo(0.48, n=3)[1:]))[0] is False
    assert gates.term_on(_run_of({}, _combo(beta=0.0)))[0] is False          # the AE-GAN ceiling policy
    assert gates.term_on(_run_of({}, _combo(beta=0.005)))[0] is True
    assert gates.term_on(_run_of({}, _combo(adv_on=False)))[0] is False
    assert gates.samples_are_images(_run_of({"precision": 0.05}))[0] is False
    assert gates.samples_are_images(_run_of({"precision": 0.6}))[0] is True
    good = {"fid_recon": 2.0, "fid_mean_image": 40.0, "n_eval_images": 640}
    assert gates.baseline_bar(_run_of({**good, "fid_recon": 30.0}, disc=False))[0] is False
    # hair colour 0.903 of 640 (578 faces): point estimate over 0.9, lower 95 % bound 0.88 -> fails
    assert gates.baseline_bar(_run_of({**good, "attr_acc_recon": {"hair_colour": 578 / 640}}, disc=False))[0] is False
    assert gates.baseline_bar(_run_of({**good, "attr_acc_recon": {"hair_colour": 0.95}}, disc=False))[0] is True
    # a reference trained with a discriminator after solo epochs: the hair bar is read at the switch
    at = {**good, "attr_acc_recon": {"hair_colour": 0.95}, "epoch": 20}
    assert gates.baseline_bar(_run_of({**good, "attr_acc_recon": {"hair_colour": 0.5}, "at_switch": at}))[0] is True
    lb = gates.lower_bound(578 / 640, 640)
    assert lb == pytest.approx(stats.beta.ppf(0.05, 578, 63)) and lb < 0.9


def test_a_group_that_splits_reports_the_failing_seeds(tmp_path):
    root = str(tmp_path)
    _mnist_pair(root)
    bad = os.path.join(root, "logreg1", "training_statistics.csv")
    rows = list(csv.DictReader(open(bad)))
    for r in rows[1:]:
        r["disc_acc_real"] = r["disc_acc_fake"] = 0.3
    with open(bad, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    c = _by_id(build_claims(root, config_of=get_config), "mnist-disc-sharpens")
    assert c["verdict"] == "invalid" and "fails in seed 1 (" in c["reason"]
    assert c["gates"]["ours"]["disc_learned"]["seeds"]["0"][0] is True


def test_catalogue_invalid_setup_is_reported(tmp_path):
    claim = dict(next(c for c in CLAIMS if c["id"] == "stab-disc-bn-after-act"), ours=None)
    claim.update(ours={"experiment": "mnist-larsen-vaegan", "where": {}},
                 reference={"experiment": "mnist-stab-bn-after-act", "where": {}},
                 invalid="the variant flips BatchNorm in the discriminator; the claim is about the generator")
    root = str(tmp_path)
    for seed in range(2):
        _run(root, f"a{seed}", "mnist-larsen-vaegan", seed, {"fid_samples": 10.0 + seed, "precision": 0.6})
        _run(root, f"b{seed}", "mnist-stab-bn-after-act", seed, {"fid_samples": 20.0 + seed, "precision": 0.6})
    from vaegan_gluon.claims import collect_runs
    row = judge_claim(claim, collect_runs(root), config_of=get_config)
    assert row["verdict"] == "invalid" and "generator" in row["reason"]


def test_claims_cli(tmp_path, capsys):
    assert main(["claims", str(tmp_path / "missing")]) == 2
    assert "no run folder" in capsys.readouterr().err
    _run(str(tmp_path), "r", "mnist-vae-bce", 0, {"blur_recon": 3.0})
    assert main(["claims", str(tmp_path), "--out", str(tmp_path / "o")]) == 0
    assert (tmp_path / "o" / "claims.md").exists()
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "config.json").write_text("[1, 2]")
    (bad / "metrics.json").write_text("{}")
    assert main(["claims", str(bad)]) == 2
    assert "config.json: expected a JSON object" in capsys.readouterr().err


# ----------------------------------------------------------------------------- the committed board
def test_catalogue_quotes_its_sources():
    seeds_dir = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "seeds")
    for c in CLAIMS:
        assert c["source"] in SEED_FILES and c["kind"] in rule.KINDS and c["quote"], c["id"]
        assert (c["ours"] is None) == (c["reference"] is None) and (c["ours"] is not None or c["needs"]), c["id"]
        if os.path.isdir(seeds_dir) and not c["quote"].startswith("("):
            text = " ".join(open(os.path.join(seeds_dir, c["source"]), encoding="utf-8").read().split())
            head = c["quote"].strip("'").split(" ... ")[0].split(" (")[0][:40]
            assert head in text, (c["id"], head)


def test_committed_board_carries_its_verdicts():
    """No row says "does not hold" without a significant opposite effect or equivalence; every
    inconclusive row says why (an MDE and the seeds it needs, or the code / n it lacks)."""
    table = json.load(open(os.path.join(REFERENCE, "claims.json")))
    assert len(table["claims"]) == len(CLAIMS)
    for c in table["claims"]:
        t = c.get("test")
        if c["verdict"] == "does not hold":
            assert t["p_opposite"] < rule.ALPHA or (-c["delta"] < t["ci90"][0] and t["ci90"][1] < c["delta"]), c["id"]
        if c["verdict"] in ("inconclusive", "no change shown", "invalid", "untested"):
            assert c["reason"], c["id"]
        if c["verdict"] in ("inconclusive", "no change shown") and t is not None:
            assert "MDE" in c["reason"] and "seeds per group" in c["reason"], c["id"]
            assert t["mde"] is not None and t["mde"] > 0
        if c["metric"] == "blur_recon":
            assert "fid_recon" in c["second"] and "attr_agreement" in c["second"], c["id"]


def test_readme_and_board_are_generated_from_the_kept_runs():
    """The committed claims.json is the board of results/reference/claims_runs under today's rule, and
    the README's block is its rendering (regenerate: the command in the README)."""
    from vaegan_gluon.claims import readme_block, readme_markdown
    committed = json.load(open(os.path.join(REFERENCE, "claims.json")))
    fresh = build_claims(os.path.join(REFERENCE, "claims_runs"), config_of=get_config)
    assert [(c["id"], c["verdict"], c["reason"]) for c in committed["claims"]] == \
           [(c["id"], c["verdict"], c["reason"]) for c in json.loads(json.dumps(fresh["claims"]))]
    readme = os.path.join(REFERENCE, "..", "..", "README.md")
    assert readme_block(readme).strip() == readme_markdown(committed).strip()


def test_plan_prices_every_group_once_and_matches_the_docs():
    from vaegan_gluon.claims.plan import SPEED_FILE, make_plan, plan_markdown, read_speed
    table = json.load(open(os.path.join(REFERENCE, "claims.json")))
    speed = read_speed(os.path.join(REFERENCE, "..", "..", SPEED_FILE))
    plan = make_plan(table, kept=os.path.join(REFERENCE, "claims_runs"), config_of=get_config, speed=speed)
    keys = [(g["experiment"], json.dumps(g["where"], sort_keys=True)) for g in plan["groups"]]
    assert len(keys) == len(set(keys))
    conv = next(g for g in plan["groups"] if g["experiment"] == "anime-conv-vae")
    assert len(conv["claims"]) >= 6            # the ConvVAE alone: one group for every claim it is the reference of
    assert plan["cpu_hours"] == pytest.approx(sum(g["cpu_hours"] or 0 for g in plan["groups"]))
    docs = os.path.join(REFERENCE, "..", "..", "docs", "claims-plan.md")
    assert open(docs).read() == plan_markdown(plan)


def test_plan_prices_a_lever_on_its_experiments_groups_only():
    """``--speed-out``'s gains: a group of the lever's family costs its hours / the gain, the others as before;
    a group whose selection already sets the lever (adopted in the catalogue: the MNIST Larsen family) gains
    nothing more, and its estimate from runs made without it is divided by the gain. The markdown states both
    totals and the levers' settings."""
    from vaegan_gluon.claims.plan import make_plan, plan_markdown
    table = json.load(open(os.path.join(REFERENCE, "claims.json")))
    base = make_plan(table, kept=os.path.join(REFERENCE, "claims_runs"), config_of=get_config)
    lever = {"config": "n", "lever": "prunedisc", "setting": {"train.extra.disc_pass": "pruned"}}
    speed = {"source": "x.json", "timestamp": "t", "machine": {"cpu": "cpu", "gemm_gflop_s": 1.0},
             "levers": {"faces-larsen-vaegan": {**lever, "gain": 1.25}, "mnist-larsen-vaegan": {**lever, "gain": 1.2}}}
    plan = make_plan(table, kept=os.path.join(REFERENCE, "claims_runs"), config_of=get_config, speed=speed)
    family = ("mnist-larsen-vaegan", "mnist-stab-smooth", "mnist-stab-joint")   # the MNIST Larsen step, D and all
    seen = set()
    for g0, g in zip(base["groups"], plan["groups"]):
        if g0["cpu_hours"] is None:
            continue
        if g["experiment"] == "faces-larsen-vaegan":
            assert g["lever"]["gain"] == 1.25 and g["cpu_hours"] == pytest.approx(g0["cpu_hours"])
            assert g["cpu_hours_levers"] == pytest.approx(g0["cpu_hours"] / 1.25)
        elif g["adopted"]:
            seen.add(g["experiment"])
            assert g["where"]["train.extra.disc_pass"] == "pruned" and not g["lever"]
            estimated = g0["priced_from"] != "kept runs"
            assert g["cpu_hours"] == pytest.approx(g0["cpu_hours"] / (1.2 if estimated else 1))
            assert g["cpu_hours_levers"] == pytest.approx(g["cpu_hours"])
        else:
            assert not g["lever"] and g["cpu_hours_levers"] == pytest.approx(g0["cpu_hours"])
    assert seen >= set(family)
    pixel = next(g for g in plan["groups"] if g["experiment"] == "mnist-larsen-pixel-vae")   # no D
    assert not pixel["lever"] and not pixel["adopted"]
    assert plan["cpu_hours_levers"] < plan["cpu_hours"] < base["cpu_hours"]
    md = plan_markdown(plan)
    assert "`train.extra.disc_pass=pruned` (prunedisc) at 1.25x on faces-larsen-vaegan." in md
    assert "Adopted in the catalogue (priced at the other runs' seconds over the gain until runs with it are kept): " \
           "`train.extra.disc_pass=pruned` (prunedisc) at 1.20x on mnist-gen-bn-after-act, mnist-larsen-vaegan, " in md
    assert f"{plan['cpu_hours_levers']:.1f} CPU hours" in md and "Before and after" not in plan_markdown(base)


def test_paired_arms_use_the_per_seed_differences():
    """Arms sharing each seed's start: the paired t (scipy's ttest_rel) sees a consistent shift that the
    unpaired Welch test, swamped by the seed-to-seed spread, cannot."""
    base = [1000.0, 2500.0, 700.0, 1800.0]
    arm = [b + 100 + e for b, e in zip(base, (3.0, -4.0, 5.0, -2.0))]
    diffs = S([a - b for a, b in zip(arm, base)])
    t = judge("directional", S(arm), S(base), "higher", 50.0, diffs=diffs)
    want = stats.ttest_rel(arm, base, alternative="greater")
    assert t["df"] == 3 and t["p_predicted"] == pytest.approx(want.pvalue, rel=1e-9) and t["verdict"] == "holds"
    assert judge("directional", S(arm), S(base), "higher", 50.0)["verdict"] == "inconclusive"
    n = rule.seeds_needed_paired(diffs["sd"], 5.0)
    assert rule.mde_paired(diffs["sd"], n) <= 5.0 < rule.mde_paired(diffs["sd"], n - 1)


def test_a_paired_claim_pairs_runs_by_seed(tmp_path):
    root = str(tmp_path)
    ok = {"fid_mean_image": 8000.0, "attr_acc_recon": {"hair_colour": 0.97}, "n_eval_images": 640}
    at = {"n_solo_epochs": 30, "n_epochs": 45}       # the claim's evidence settings (catalogue.AT)
    for seed, (b, a) in enumerate([(1000, 1110), (2500, 2590), (700, 805), (1800, 1895)]):
        _run(root, f"base{seed}", "anime-conv-vae-resnet", seed, {**ok, "fid_recon": 900.0, "blur_recon": b},
             stats_rows=_combo(), disc=True, **at)
        _run(root, f"dw20_{seed}", "anime-conv-vae-resnet", seed, {**ok, "fid_recon": 900.0, "blur_recon": a},
             stats_rows=_combo(), disc=True, disc_weight=20.0, **at)
    c = _by_id(build_claims(root, config_of=get_config), "faces-disc-weight-20")
    assert c["test"]["paired"] and c["paired"]["n"] == 4 and c["verdict"] == "changes", c["reason"]
    # the same runs at the notebooks' medium epochs (20 solo + 5 combo) are not the claim's evidence
    other = str(tmp_path / "medium")
    for seed in range(3):
        _run(other, f"base{seed}", "anime-conv-vae-resnet", seed, {**ok, "fid_recon": 900.0, "blur_recon": 1.0},
             stats_rows=_combo(), disc=True, n_solo_epochs=20, n_epochs=25)
    assert _by_id(build_claims(other, config_of=get_config), "faces-resnet-sharpens")["runs"]["ours"] == []


def test_shared_start_compares_the_solo_epochs_bit_for_bit():
    from vaegan_gluon.claims.board import shared_start
    solo = {"phase": "solo", "pbp_loss": "1.25", "seconds": "3.1"}
    a = {"stats": [dict(solo), {"phase": "combo", "pbp_loss": "1.0"}]}
    b = {"stats": [dict(solo, seconds="9.9"), {"phase": "combo", "pbp_loss": "2.0"}]}      # timing and combo differ
    assert shared_start(a, b) is True
    assert shared_start(a, {"stats": [dict(solo, pbp_loss="1.2500001")]}) is False
    assert shared_start(a, {"stats": [{"phase": "combo"}]}) is None
    # an arm that writes a column of its own (the adaptive weight's adv_weight, empty in solo epochs): the columns
    # both runs wrote decide (seen on the board: seed 3 of the ConvDisc adaptive rows, one machine, read False)
    adaptive = {"stats": [dict(solo, adv_weight="")]}
    assert shared_start(adaptive, a) is True and shared_start(a, adaptive) is True
    assert shared_start({"stats": [dict(solo, adv_weight="", pbp_loss="1.3")]}, a) is False


def test_one_seeds_arms_train_the_same_solo_phase(tmp_path):
    """The paired sweeps rest on this (no branching from a switch checkpoint needed): two runs of one seed
    that differ in combo-phase settings (disc weight, PBP weight) train identical solo epochs."""
    from vaegan_gluon.claims.board import collect_runs, shared_start
    from vaegan_gluon.experiments import run_experiment
    base = {"train.n_epochs": 3, "train.n_solo_epochs": 2, "data.n_train": 256, "train.seed": 3}
    for i, arm in enumerate(({}, {"train.disc_weight": 20.0, "train.pbp_weight": 0.5})):
        run_experiment("mnist-vae-logreg", "quick", overrides={**base, **arm}, progress=False,
                       run_dir=str(tmp_path / f"arm{i}"), keep_checkpoints=False)
    a, b = sorted(collect_runs(str(tmp_path)), key=lambda r: r["dir"])
    assert shared_start(a, b) is True
    combo = [[r["pbp_loss"] for r in run["stats"] if r["phase"] == "combo"] for run in (a, b)]
    assert combo[0] != combo[1]            # the arms do differ after the switch


def test_a_split_solo_phase_names_the_arms_cpu_classes():
    """Arms of one seed trained on two CPU classes do not share their solo phase (oneDNN sums in another
    order): the verdict cell says which classes, so the reader sees why the pairing is looser there."""
    from vaegan_gluon.claims.board import _verdict_cell
    from vaegan_gluon.train.fingerprint import cpu
    c = {"verdict": "inconclusive", "reason": "r",
         "paired": {"shared_start": {"0": True, "1": False}, "cpu": {"0": ["avx2", "avx2"], "1": ["avx2", None]}}}
    cell = _verdict_cell(c)
    assert "the same solo phase in 1 of 2 seeds" in cell and "seed 1: avx2 / unrecorded" in cell
    c["paired"]["shared_start"]["1"] = True
    assert "CPU classes" not in _verdict_cell(c)
    assert cpu()["isa"] in ("avx512", "avx2") or cpu()["isa"]          # recorded on every machine


def test_longer_training_pairs_each_seed_with_itself_stopped_after_8_combo_epochs(tmp_path):
    """tf2-longer-training-collapses: the 24-combo-epoch runs are ours, the same seeds at train.n_epochs=16 the
    reference (paired by seed); a run at 16 epochs never counts as a seed of the 32-epoch group. Coverage claims
    read samples, so the samples gate applies (precision 0.05: not digits, the row is invalid)."""
    root = str(tmp_path)
    extra = {"gamma": 1000.0, "disc_pass": "pruned"}
    kl_long, kl_short = (0.30, 0.41, 0.35, 0.52, 0.38), (0.10, 0.12, 0.09, 0.15, 0.11)

    def make(precision):
        for seed in range(5):
            for n, kl in ((32, kl_long[seed]), (16, kl_short[seed])):
                _run(root, f"p{precision}_{n}_{seed}", "mnist-larsen-vaegan", seed,
                     {"mode_coverage": {"kl_to_uniform": kl}, "precision": precision, "fid_recon": 2.0,
                      "fid_mean_image": 40.0}, stats_rows=_combo(0.9), disc=True, n_epochs=n, n_solo_epochs=8,
                     extra=extra)
    make(0.6)
    c = _by_id(build_claims(root, config_of=get_config), "tf2-longer-training-collapses")
    assert c["ours"]["values"] == list(kl_long) and c["reference"]["values"] == list(kl_short)
    assert c["paired"]["n"] == 5 and c["verdict"] == "holds", c["reason"]
    assert c["gates"]["ours"]["samples_are_images"]["passed"]
    shutil.rmtree(root)
    make(0.05)
    c = _by_id(build_claims(root, config_of=get_config), "tf2-longer-training-collapses")
    assert c["verdict"] == "invalid" and "samples are images fails" in c["reason"]


def test_an_idle_discriminator_by_design_is_not_gated(tmp_path):
    """aegan-beta0-is-ae: the AE-GAN at beta 0 has its adversarial term off, which is the claim; term_on would
    fail it (and does, for a claim that does not declare its discriminator idle)."""
    root = str(tmp_path)
    good = {"fid_mean_image": 7000.0, "n_eval_images": 640, "attr_acc_recon": {"hair_colour": 0.97}}
    for seed, (fa, fb) in enumerate(((1000.0, 1004.0), (1100.0, 1096.0), (1050.0, 1051.0))):
        _run(root, f"v{seed}", "faces-aegan-verify-ae", seed, {**good, "fid_recon": fa},
             stats_rows=_combo(0.9, beta=0.0), disc=True, n_epochs=150)
        _run(root, f"a{seed}", "faces-ae", seed, {**good, "fid_recon": fb}, n_epochs=150)
    c = _by_id(build_claims(root, config_of=get_config), "aegan-beta0-is-ae")
    assert c["ours"]["n"] == 3 and c["reference"]["n"] == 3 and c["gates"]["ours"] == {}
    assert c["verdict"] == "holds", c["reason"]
    claim = dict(next(x for x in CLAIMS if x["id"] == "aegan-beta0-is-ae"), idle_disc=None)
    c = _by_id(build_claims(root, config_of=get_config, claims=[claim]), "aegan-beta0-is-ae")
    assert c["verdict"] == "invalid" and "term on fails" in c["reason"]


def test_the_notebook_lines_show_each_seeds_discriminator_best_and_last(tmp_path):
    """Per arm and seed, did the discriminator learn and was it still winning at the end (the evidence issue:
    the share of seeds in which it engaged, reported per arm)."""
    from vaegan_gluon.experiments.claims_text import claim_lines
    root = str(tmp_path)
    _mnist_pair(root)
    bad = os.path.join(root, "logreg1", "training_statistics.csv")
    rows = list(csv.DictReader(open(bad)))
    rows[-1]["disc_acc_real"] = rows[-1]["disc_acc_fake"] = 0.5     # caught up with in its last epoch
    with open(bad, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    c = _by_id(build_claims(root, config_of=get_config), "mnist-disc-sharpens")
    assert c["disc_acc"] == {"ours": [[0.9, 0.9], [0.9, 0.5], [0.9, 0.9]], "reference": [None, None, None]}
    lines = claim_lines(c)
    assert lines[-1] == ("  Discriminator's training accuracy per seed, best → last combo epoch: "
                         "ours 0.90 → 0.90 / 0.90 → 0.50 / 0.90 → 0.90.")


def test_a_notebook_can_name_claims_by_id():
    """show_claims(NAMES + ids): a claim named by its id joins the notebook's rows (notebook 23's adaptive-weight
    rows, whose `ours` is its experiment at another setting); a name that is nothing of the catalogue is refused."""
    from vaegan_gluon.experiments.notebook import claims_for
    path = os.path.join(REFERENCE, "claims.json")
    plain = {c["id"] for c in claims_for(["mnist-vae-logreg"], path)["claims"]}
    named = {c["id"] for c in claims_for(["mnist-vae-logreg", "mnist-adaptive-0.5-vs-fixed-1"], path)["claims"]}
    assert "mnist-adaptive-0.5-vs-fixed-1" not in plain and named == plain | {"mnist-adaptive-0.5-vs-fixed-1"}


def test_a_group_with_no_run_of_its_experiment_is_priced_from_the_same_step():
    """mnist-stab-spectral-norm has no kept run: its epochs are priced at the seconds of the runs that train the
    MNIST Larsen step (same scheme, data and networks); without the catalogue it stays unpriced."""
    from vaegan_gluon.claims.plan import _experiment_dirs, _step
    kept = os.path.join(REFERENCE, "claims_runs")
    dirs = _experiment_dirs(kept, "mnist-stab-spectral-norm", get_config)
    assert dirs and all("ConvVAE_ConvDisc_LeakyReLU_on_MNIST-5k" in d for d in dirs)
    assert _experiment_dirs(kept, "mnist-stab-spectral-norm") == []
    assert _step(get_config, "mnist-stab-spectral-norm", "medium") == _step(get_config, "mnist-larsen-vaegan", "medium")
    assert _step(get_config, "faces-larsen-vaegan", "medium") != _step(get_config, "mnist-larsen-vaegan", "medium")


def test_the_plan_states_the_whole_budget_spent(tmp_path):
    """Every kept run's seconds, the campaign's and the pilots', superseded settings included, against the budget."""
    from vaegan_gluon.claims.plan import _spent_all, _spent_all_markdown
    kept, pilots = tmp_path / "claims_runs", tmp_path / "pilot_runs"
    for root, secs in ((kept, (3600.0, 1800.0)), (pilots, (900.0,))):
        for i, s in enumerate(secs):
            d = root / "x" / str(i)
            d.mkdir(parents=True)
            (d / "metrics.json").write_text(json.dumps({"train_seconds": s}))
    spent = _spent_all(str(kept))
    assert spent == {"claims_runs": (2, 1.5), "pilot_runs": (1, 0.25)}
    md = _spent_all_markdown(spent)
    assert "3 runs, 1.8 CPU hours (`claims_runs` 2 runs, 1.5 h, `pilot_runs` 1 run, 0.2 h;" in md
    assert _spent_all(str(tmp_path / "none")) == {} and _spent_all_markdown({}) == ""
