"""The experiment registry: every name x scale builds a valid config (no training); naming; overrides;
one cheap sweep end to end."""
import os

import pandas as pd
import pytest

from vaegan_gluon.experiments import (ALIASES, EXPERIMENTS, SCALES, SWEEPS, get_config, list_experiments,
                                      parse_overrides, parse_value, run_dir_for, run_sweep, sweep_configs)
from vaegan_gluon.experiments import default_scale, resolve_key, sweep_runs
from vaegan_gluon.train import TrainConfig

STUDY = ["mnist-vae-bce", "mnist-vae-l2", "mnist-vae-logreg", "anime-dense-vae", "anime-dense-vae-logreg",
         "anime-conv-vae", "anime-conv-vae-convdisc", "anime-conv-vae1024-convdisc64", "anime-conv-vae-resnet",
         "anime-conv-vae1024-resnet-decay", "anime-conv-vae1024-resnet-lr2e-4", "anime-deepconv",
         "sweep-disc-weight", "sweep-pbp-weight", "sweep-solo-combo"]


def test_every_study_experiment_is_listed():
    names = list_experiments()
    assert set(STUDY) <= set(names)
    assert all(isinstance(d, str) and d for d in names.values())


@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize("name", list(EXPERIMENTS))
def test_config_valid_without_training(name, scale):
    cfg = get_config(name, scale)
    assert {"name", "data", "vae", "disc", "train", "eval", "scale", "description"} <= set(cfg)
    assert cfg["name"] == ALIASES.get(name, name) and cfg["scale"] == scale
    tc = TrainConfig.from_dict(cfg["train"])
    if scale != "quick":   # the AE-GAN studies used 256; the others the original's 64
        assert tc.batch_size == (256 if tc.scheme == "aegan" else 64)
    assert 0 <= tc.n_solo_epochs < tc.n_epochs
    run_dir = run_dir_for(cfg, "results")
    assert run_dir.startswith(os.path.join("results", cfg["vae"]["model"]))
    assert run_dir.endswith("" if scale == "full" else "_" + scale)
    if scale != "full":
        assert cfg["note"], "a reduced scale says what it changed"


@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize("name", list(SWEEPS))
def test_sweep_configs_valid(name, scale):
    runs = sweep_configs(name, scale)
    assert len(runs) == {"sweep-pbp-weight": 6}.get(name, 4)
    for label, cfg in runs:
        TrainConfig.from_dict(cfg["train"])
        assert cfg["vae"] == get_config(SWEEPS[name]["base"], scale)["vae"]
    dirs = [run_dir_for(c) for _, c in runs]
    assert len(set(dirs)) == len(dirs), "every run of a sweep has its own folder"


def test_full_scale_is_the_study():
    cfg = get_config("anime-conv-vae-resnet", "full")
    assert cfg["data"]["options"]["size"] == 64 and cfg["data"]["n_train"] is None
    assert (cfg["train"]["n_epochs"], cfg["train"]["disc_weight"], cfg["train"]["pbp_weight"]) == (200, 10.0, 1.0)
    assert run_dir_for(cfg) == os.path.join("results", "ConvVAE_ResNet_on_synthetic-faces", "512_32_200_10_1")
    d = get_config("anime-conv-vae1024-resnet-decay", "full")["train"]
    assert (d["n_solo_epochs"], d["pbp_decay"], d["pbp_decay_every"]) == (100, 0.95, 25)
    assert get_config("anime-conv-vae1024-resnet-lr2e-4", "full")["train"]["lr"] == 2e-4
    m = get_config("mnist-vae-logreg", "full")
    assert m["train"]["n_epochs"] == 50 and m["disc"] == {"model": "DenseLogReg", "n_hidden_layers": 1,
                                                          "n_hidden_units": 200}
    assert get_config("mnist-vae-l2", "full")["train"]["pbp_loss"] == "l2"
    assert run_dir_for(get_config("mnist-vae-bce", "full")) == os.path.join("results", "DenseVAE_on_MNIST-5k",
                                                                              "5_3_400_50")
    dw = [c["train"]["disc_weight"] for _, c in sweep_configs("sweep-disc-weight", "full")]
    assert dw == [1, 10, 20, 50]
    solo = [c["train"]["n_solo_epochs"] for _, c in sweep_configs("sweep-solo-combo", "full")]
    assert solo == [0, 50, 100, 150]


@pytest.mark.parametrize("name", list(EXPERIMENTS))
def test_medium_keeps_model_families_and_weights(name):
    """medium keeps the study's model families, layer types and loss weights; a narrower model is said in
    the run's note; the learnable-loss face experiments with a discriminator run solo epochs and then 5
    combo epochs (20 + 5; the dense pair, which needs 100 epochs to pass the baseline bar, 95 + 5: the claims
    issue's notebook scale), the others keep the study's share of solo epochs (to the nearest epoch). Face
    epochs: 25, the dense pair 100, the Larsen faces 40 (its pixel VAE needs them for the bar). The MNIST
    Larsen VAE/GAN and the stabilisers: 8 solo + 24 combo (the joint VAE/GAN missed the bar; after 8 combo epochs
    at the study's layer and gamma its samples were no digits), its pixel VAE 32."""
    full, med = get_config(name, "full"), get_config(name, "medium")
    assert med["vae"]["model"] == full["vae"]["model"]
    assert (med["disc"] or {}).get("model") == (full["disc"] or {}).get("model")
    for k in ("disc_weight", "pbp_weight", "pbp_decay", "lr", "pbp_loss"):
        assert med["train"].get(k) == full["train"].get(k)
    if med["vae"] != full["vae"] or med["disc"] != full["disc"]:
        assert "models here:" in med["note"], "a narrowed model must be stated in the medium note"
    f, m = full["train"], med["train"]
    if med["data"]["source"] == "synthetic-faces":
        assert med["data"]["options"]["size"] == 32
        larsen = m.get("scheme") == "larsen"
        assert m["n_epochs"] == (100 if med["vae"]["model"] == "DenseVAE" else 40 if larsen else 25)
    if med["data"]["source"] == "synthetic-faces" and m.get("scheme", "learnable_loss") == "learnable_loss":
        assert m["n_epochs"] - m.get("n_solo_epochs", 0) == (5 if full["disc"] else m["n_epochs"])
    elif med["data"]["source"] == "mnist-5k" and m.get("scheme") == "larsen":
        # the MNIST Larsen family (and the stabilisers on it): 32 epochs, 8 solo then 24 combo with a disc
        assert (m["n_epochs"], m.get("n_solo_epochs", 0)) == (32, 8 if full["disc"] else 0)
    else:
        share = f.get("n_solo_epochs", 0) / f["n_epochs"]
        assert abs(m.get("n_solo_epochs", 0) - share * m["n_epochs"]) <= 0.5


def test_overrides_and_errors():
    cfg = get_config("mnist-vae-logreg", "quick", {"train.lr": 2e-4, "vae.n_latent": 8, "data.n_train": 100,
                                                   "disc_weight": 3})
    assert cfg["train"]["lr"] == 2e-4 and cfg["vae"]["n_latent"] == 8 and cfg["data"]["n_train"] == 100
    assert cfg["train"]["disc_weight"] == 3
    assert "lr0.0002" in run_dir_for(cfg) and "n_train100" in run_dir_for(cfg)
    assert get_config("mnist-vae-logreg", "quick", {"disc": None})["disc"] is None
    assert get_config("anime-conv-vae", "quick", {"disc.model": "ResNetDisc"})["disc"] == {"model": "ResNetDisc"}
    anime = get_config("anime-conv-vae", "quick")
    assert resolve_key("lr", anime) == "train.lr" and resolve_key("data.size", anime) == "data.options.size"
    assert get_config("anime-conv-vae", "quick", {"data.size": 48})["data"]["options"]["size"] == 48
    with pytest.raises(ValueError, match="valid names: .*mnist-vae-bce"):
        get_config("nope")
    with pytest.raises(ValueError, match="valid scales"):
        get_config("mnist-vae-bce", "huge")
    with pytest.raises(ValueError, match="train.lr"):
        get_config("mnist-vae-bce", "quick", {"train.lrr": 1})
    with pytest.raises(ValueError, match="vae.n_hidden_units"):
        get_config("mnist-vae-bce", "quick", {"vae.width": 1})
    with pytest.raises(ValueError, match="must be float"):
        get_config("mnist-vae-bce", "quick", {"train.lr": "fast"})
    with pytest.raises(ValueError, match="pbp_loss"):
        get_config("mnist-vae-bce", "quick", {"train.pbp_loss": "l1"})
    with pytest.raises(ValueError, match="valid: .*ResNetDisc"):
        get_config("mnist-vae-bce", "quick", {"disc.model": "Nope"})
    with pytest.raises(ValueError, match="no discriminator"):
        get_config("mnist-vae-bce", "quick", {"disc.n_hidden_units": 3})
    with pytest.raises(ValueError, match="data.options"):
        get_config("mnist-vae-bce", "quick", {"data.options.size": 3})
    with pytest.raises(ValueError, match="is a sweep"):
        get_config("sweep-disc-weight")


def test_parse_values():
    assert parse_value("2e-4") == 2e-4 and parse_value("3") == 3 and isinstance(parse_value("3"), int)
    assert parse_value("true") is True and parse_value("False") is False
    assert parse_value("null") is None and parse_value("None") is None
    assert parse_value("bce") == "bce" and parse_value("[1, 2]") == [1, 2]
    assert parse_overrides(["train.lr=1e-3", "vae.model=ConvVAE"]) == {"train.lr": 1e-3, "vae.model": "ConvVAE"}
    with pytest.raises(ValueError, match="key=value"):
        parse_overrides(["train.lr"])


def test_default_scale(monkeypatch):
    monkeypatch.delenv("VAEGAN_SCALE", raising=False)
    assert default_scale() == "medium"
    monkeypatch.setenv("VAEGAN_SCALE", "quick")
    assert default_scale() == "quick"
    monkeypatch.setenv("VAEGAN_SCALE", "tiny")
    with pytest.raises(ValueError, match="valid scales"):
        default_scale()


def test_sweep_scales_its_values():
    runs, spec = sweep_runs("sweep-solo-combo", "medium")
    assert [o["train.n_solo_epochs"] for _, o in runs] == [0, 2, 4, 6]
    runs, _ = sweep_runs("sweep-pbp-weight", "quick")
    assert runs[-1][1]["train.pbp_decay"] == 0.9
    with pytest.raises(ValueError, match="give a parameter"):
        sweep_runs("mnist-vae-bce", "quick")


def test_solo_combo_sweep_summary(tmp_path, monkeypatch):
    """The sweep's table (our time ratios beside the study's), overlay plot and README, with the training
    replaced by a stub that writes a results folder (the notebooks run real sweeps)."""
    import json
    from vaegan_gluon.experiments import RunResult, sweep as sweep_mod

    def fake_run(name, scale, overrides, results_root, **kw):
        cfg = get_config(name, scale, overrides)
        d = run_dir_for(cfg, results_root)
        os.makedirs(d, exist_ok=True)
        n, solo = cfg["train"]["n_epochs"], cfg["train"]["n_solo_epochs"]
        rows = [{"epoch": e + 1, "phase": "solo" if e < solo else "combo", "pbp_loss": 100.0 / (e + 1),
                 "seconds": 1.0 if e < solo else 2.0} for e in range(n)]
        pd.DataFrame(rows).to_csv(os.path.join(d, "training_statistics.csv"), index=False)
        m = {"recon_bce": 1.0, "train_seconds": sum(r["seconds"] for r in rows), "wall_seconds": 9.0}
        with open(os.path.join(d, "metrics.json"), "w") as f:
            json.dump(m, f)
        assert kw["command"].startswith("vaegan sweep sweep-solo-combo --scale quick")
        return RunResult(d, rows, m, None)

    monkeypatch.setattr(sweep_mod, "run_experiment", fake_run)
    summary, plot = run_sweep("sweep-solo-combo", scale="quick", progress=False, results_root=str(tmp_path))
    assert isinstance(summary, pd.DataFrame) and len(summary) == 4
    assert list(summary["train.n_solo_epochs"]) == [0, 1, 2, 3]
    assert list(summary["train_seconds"]) == [8, 7, 6, 5]
    assert list(summary["ratio_to_first"]) == [1.0, 0.875, 0.75, 0.625]
    assert list(summary["study seconds (GPU)"]) == [6782.88, 5515.20, 4325.86, 3120.53]
    assert summary["study_ratio_to_first"].iloc[3] == round(3120.53 / 6782.88, 3)
    assert os.path.exists(plot) and plot.endswith("pbp_loss.png")
    sweep_dir = os.path.dirname(plot)
    assert os.path.basename(sweep_dir) == "sweep-solo-combo_quick"
    assert len(pd.read_csv(os.path.join(sweep_dir, "summary.csv"))) == 4
    readme = open(os.path.join(sweep_dir, "README.md")).read()
    assert "vaegan sweep sweep-solo-combo --scale quick" in readme and "pbp_loss.png" in readme


def test_custom_sweep_end_to_end(tmp_path):
    """A real (tiny) sweep over any experiment's setting."""
    summary, plot = run_sweep("mnist-vae-bce", "lr", ["1e-3", "2e-3"], scale="quick", progress=False,
                              results_root=str(tmp_path), overrides={"data.n_train": 128, "train.n_epochs": 2})
    assert list(summary["train.lr"]) == [1e-3, 2e-3] and summary["recon_bce"].notna().all()
    assert os.path.basename(os.path.dirname(plot)) == "sweep-mnist-vae-bce-lr_quick"
    # the README's results table: one row per run, each with its own `vaegan run` line and a thumbnail
    from PIL import Image
    from vaegan_gluon.experiments import results_markdown
    from vaegan_gluon.utils import read_json
    thumbs = tmp_path / "thumbs"
    table = results_markdown(list(summary["run_dir"]), thumbnail_dir=str(thumbs), thumbnail_width=120,
                             link_root=str(tmp_path)).splitlines()
    assert len(table) == 2 + 2 and table[0].startswith("| experiment |")
    for line, run_dir in zip(table[2:], summary["run_dir"]):
        cfg = read_json(os.path.join(run_dir, "config.json"))
        assert cfg["command"].startswith("vaegan sweep")       # stored: the whole sweep
        command = line.rsplit("`", 2)[-2]                       # shown: this run on its own
        assert command.startswith("vaegan run mnist-vae-bce --scale quick --set ")
        if cfg["train"]["lr"] != get_config("mnist-vae-bce", "quick")["train"].get("lr", TrainConfig().lr):
            assert f"--set train.lr={cfg['train']['lr']:g}" in command and "`train.lr=" in line
        else:   # the registry's own value: a no-op override is not shown
            assert "train.lr" not in line
        words = command.split()
        overrides = parse_overrides([w for i, w in enumerate(words) if i and words[i - 1] == "--set"])
        assert run_dir_for(get_config("mnist-vae-bce", "quick", overrides), str(tmp_path)) == run_dir
        thumb = line.split("](")[1].split(")")[0]
        assert max(Image.open(os.path.join(str(tmp_path), thumb)).size) <= 120
    # a run kept with its small outputs only (no images/) still shows the thumbnail made before
    import shutil
    kept = tmp_path / "kept" / os.path.basename(summary["run_dir"][0])
    os.makedirs(kept)
    for f in ("config.json", "metrics.json"):
        shutil.copy(os.path.join(summary["run_dir"][0], f), kept / f)
    row = results_markdown([str(kept)], thumbnail_dir=str(thumbs), link_root=str(tmp_path)).splitlines()[2]
    assert row.split("](")[1].split(")")[0] == table[2].split("](")[1].split(")")[0]
    assert "](" not in results_markdown([str(kept)], thumbnail_dir=str(tmp_path / "none")).splitlines()[2]


def test_compact_picture_for_notebooks():
    """Small pictures stay PNG; a large noisy one is embedded as a much smaller JPEG of the same size,
    with transparency flattened onto white."""
    import io
    import numpy as np
    from PIL import Image
    from vaegan_gluon.experiments import compact_picture

    def png(array):
        buf = io.BytesIO()
        Image.fromarray(array).save(buf, "PNG")
        return buf.getvalue()

    small = png(np.full((20, 30, 3), 128, np.uint8))
    assert compact_picture(small) == ("png", small)
    rgba = np.random.RandomState(0).randint(0, 256, (300, 600, 4)).astype(np.uint8)
    rgba[..., 3] = 255
    rgba[:50, :50, 3] = 0                                   # a transparent corner
    big = png(rgba)
    fmt, data = compact_picture(big)
    assert fmt == "jpeg" and len(data) < len(big) / 2
    im = np.asarray(Image.open(io.BytesIO(data)))
    assert im.shape == (300, 600, 3)
    assert im[5:45, 5:45].mean() > 240                      # white, not black
    assert abs(im[100:, 100:].astype(float).mean() - rgba[100:, 100:, :3].mean()) < 3


# ------------------------------------------------------------------------- pinned folder names
def _pinned():
    import json
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "run_dir_names.json")) as f:
        return json.load(f)


def test_results_folder_names_are_pinned():
    """Every experiment's and sweep run's results folder at every scale (and the README's override
    commands) keeps the name it had: tests/data/run_dir_names.json, generated by
    tests/make_run_dir_names.py from the code before the registry was split."""
    pinned = _pinned()
    assert set(pinned["experiments"]) == set(EXPERIMENTS) and set(pinned["sweeps"]) == set(SWEEPS)
    for name, by_scale in pinned["experiments"].items():
        for scale, run_dir in by_scale.items():
            assert run_dir_for(get_config(name, scale)) == run_dir, (name, scale)
    for name, by_scale in pinned["sweeps"].items():
        for scale, runs in by_scale.items():
            assert [[label, run_dir_for(c)] for label, c in sweep_configs(name, scale)] == runs, (name, scale)
    for name, scale, over, run_dir in pinned["overrides"]:
        assert run_dir_for(get_config(name, scale, over)) == run_dir, (name, scale, over)


# ----------------------------------------------------------------------- settings validation
def test_get_config_leaves_the_catalogue_alone():
    """A scale's override of a scheme setting used to be written into the catalogue's own dict, so
    full-scale faces-aegan-derivative ran with the quick scale's derivative_window 2 once a quick config
    had been built in the same process."""
    import copy
    before = copy.deepcopy(EXPERIMENTS)
    assert get_config("faces-aegan-derivative", "quick")["train"]["extra"]["derivative_window"] == 2
    assert get_config("faces-aegan-derivative", "full")["train"]["extra"]["derivative_window"] == 50
    get_config("mnist-stab-instance-noise", "medium", {"train.extra.instance_noise_stddev": 0.1})
    assert get_config("mnist-stab-instance-noise", "full")["train"]["extra"]["instance_noise_epochs"] == 50
    assert EXPERIMENTS == before


def test_catalogue_is_data():
    """catalog/ modules import only each other: no models, no training, no config engine."""
    import ast
    import vaegan_gluon.experiments.catalog as catalog
    folder = os.path.dirname(catalog.__file__)
    for f in os.listdir(folder):
        if f.endswith(".py"):
            tree = ast.parse(open(os.path.join(folder, f)).read())
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    raise AssertionError(f"{f} imports {[a.name for a in node.names]}")
                if isinstance(node, ast.ImportFrom):
                    assert node.level == 1, f"{f} imports {node.module}"


@pytest.mark.parametrize("key, value, message", [
    ("train.lr", float("nan"), "train.lr must be float"),
    ("train.lr", float("inf"), "train.lr must be float"),
    ("train.lr", "", "train.lr must be float"),
    ("train.n_epochs", 2.5, "train.n_epochs must be int"),
    ("train.n_epochs", True, "train.n_epochs must be int"),
    ("train.n_epochs", 0, "n_epochs must be >= 1"),
    ("train.hybridize", 1, "train.hybridize must be bool"),
    ("train.disc_lr", "x", "train.disc_lr must be float or null"),
    ("train.lr.x", 1, "train.lr is a float setting, not a section"),
    ("train.ĺr", 1, "valid keys: train.scheme"),
    ("vae.n_latent", "8", "vae.n_latent must be an integer"),
    ("vae.n_latent", 0, "vae.n_latent must be an integer in [1, 2^31)"),
    ("vae.n_latent", 10 ** 40, "vae.n_latent must be an integer"),
    ("vae.n_latent.x", 1, "vae.n_latent"),
    ("data.n_train", -1, "data.n_train must be a positive integer"),
    ("data.source", ["mnist"], "data.source"),
    ("data.nope", 1, "data.options"),
    ("eval.n_samples", 10 ** 9, "eval.n_samples must be an integer in [1, 4096]"),
    ("eval.nope", 1, "valid: eval.n_samples"),
    ("nope.x", 1, "no section 'nope'"),
])
def test_bad_settings_are_one_line_errors_naming_the_key(key, value, message):
    with pytest.raises(ValueError) as e:
        get_config("mnist-vae-logreg", "quick", {key: value})
    assert message in str(e.value) and "\n" not in str(e.value)


def test_typed_nested_settings_are_walked(monkeypatch):
    """The engine reads the training settings' schema from whatever TrainConfig is (dataclasses.fields,
    recursively): with typed scheme settings, a misspelt one is an error naming the valid keys and its
    folder is never named -- the `train.extra.label_smoothin=0.9` defect."""
    import dataclasses
    from typing import Optional
    from vaegan_gluon.experiments import schema

    @dataclasses.dataclass
    class Stabilisers:
        label_smoothing: float = 1.0
        flip_steps: int = 0

        def validate(self):
            if not 0 < self.label_smoothing <= 1:
                raise ValueError(f"label_smoothing must be in (0, 1], got {self.label_smoothing}")

    @dataclasses.dataclass
    class Config:
        n_epochs: int = 50
        lr: float = 1e-3
        disc_lr: Optional[float] = None
        extra: Stabilisers = dataclasses.field(default_factory=Stabilisers)

        @classmethod
        def from_dict(cls, d):
            return cls(**{**d, "extra": Stabilisers(**d.get("extra", {}))})

    monkeypatch.setattr(schema, "_train_class", lambda: Config)
    assert schema.train_keys() == ["train.n_epochs", "train.lr", "train.disc_lr", "train.extra.label_smoothing",
                                   "train.extra.flip_steps"]
    assert schema.key_error(["extra", "label_smoothing"]) is None
    assert "valid keys: train.extra.label_smoothing, train.extra.flip_steps" in schema.key_error(
        ["extra", "label_smoothin"])
    schema.check_train({"lr": 1, "extra": {"flip_steps": 3}})
    with pytest.raises(ValueError, match="train.extra.flip_steps must be int, got 'x'"):
        schema.check_train({"extra": {"flip_steps": "x"}})
    with pytest.raises(ValueError, match="unknown key train.extra.label_smoothin; valid keys"):
        schema.check_train({"extra": {"label_smoothin": 0.9}})
    with pytest.raises(ValueError, match=r"train: label_smoothing must be in \(0, 1\], got 2"):
        schema.build_train({"extra": {"label_smoothing": 2}})


def test_misspelt_scheme_setting_is_refused():
    import dataclasses
    from vaegan_gluon.experiments import schema
    typed = {f.name: dataclasses.is_dataclass(schema._hints(TrainConfig).get(f.name))
             for f in dataclasses.fields(TrainConfig)}
    with pytest.raises(ValueError, match="unknown key train.extra.label_smoothin; valid keys: .*train.extra.gamma"):
        get_config("mnist-vae-logreg", "quick", {"train.extra.label_smoothin": 0.9})
    from vaegan_gluon.cli import main
    assert main(["run", "mnist-vae-logreg", "--set", "train.extra.label_smoothin=0.9"]) == 2
    assert typed["extra"]   # train.extra is typed: its keys are ExtraSettings' fields


def test_every_key_refuses_junk_in_one_line():
    """Every settable key of an experiment, given junk (NaN, empty, unicode, huge, a dict): either a valid
    config or a ValueError of one line naming the key -- never another exception (the faults campaign
    fuzzes this with hypothesis at length)."""
    from vaegan_gluon.experiments import valid_keys
    base = get_config("mnist-vae-logreg", "quick")
    for key in valid_keys(base):
        key = key.replace(".*", ".gamma")
        for junk in (float("nan"), "", "ü∂", 10 ** 40, {"a": 1}):
            try:
                get_config("mnist-vae-logreg", "quick", {key: junk})
            except ValueError as err:
                assert "\n" not in str(err) and (key in str(err) or key.split(".")[-1] in str(err)), (key, err)


def test_alias_runs_its_canonical_experiment():
    """mnist-stab-none is mnist-larsen-vaegan: same configuration and folder, and its runs carry the
    canonical name (a notebook running the alias no longer renames the claims' reference runs)."""
    for alias, name in ALIASES.items():
        for scale in ("quick", "medium", "full"):
            assert get_config(alias, scale) == get_config(name, scale)
            assert run_dir_for(get_config(alias, scale)) == run_dir_for(get_config(name, scale))


@pytest.mark.parametrize("name", sorted(EXPERIMENTS))
def test_first_is_medium_on_a_quarter_of_the_data(name):
    """The first-look scale trains medium's models with medium's epochs, weights and solo/combo split; only
    the data shrinks (1,024 training images), so what a student sees first is the lesson's run, smaller."""
    first, med = get_config(name, "first"), get_config(name, "medium")
    assert first["data"]["n_train"] == 1024
    for section in ("vae", "disc", "train", "eval"):
        assert first[section] == med[section], section
    assert {k: v for k, v in first["data"].items() if k not in ("n_train", "n_val", "options")} == \
        {k: v for k, v in med["data"].items() if k not in ("n_train", "n_val", "options")}
    assert first["data"]["options"].get("size") == med["data"]["options"].get("size")
    assert first["note"].startswith("first look")


@pytest.mark.parametrize("name", sorted(SWEEPS))
def test_first_sweeps_run_medium_arms(name):
    from vaegan_gluon.experiments.sweep import sweep_configs
    first, med = sweep_configs(name, "first"), sweep_configs(name, "medium")
    assert [label for label, _ in first] == [label for label, _ in med]
    assert all(f["train"] == m["train"] and f["vae"] == m["vae"] for (_, f), (_, m) in zip(first, med))
