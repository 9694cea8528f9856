"""The settings fuzz *trains* (issue 34, the campaign's own gaps): every example the settings fuzz accepts
is run for real, a few steps of quick scale, and must finish or stop with one line naming a setting.

The fuzz is the faults campaign's (:func:`benchmarks.faults.part_settings`, hypothesis, seeded); its
``trainfuzz`` part trains the accepted examples (:func:`benchmarks.faults.part_trainfuzz`), each in a
forked child: 16 training and 8 held-out images, 1 epoch, batches of 8, 4 report samples, then the
example's own ``--set``/``--ctx``/``--scale``/``--resume`` (so a fuzzed key keeps its fuzzed value).

Default (CI): 200 examples, a seeded sample of 6 of the accepted ones trained (about a minute on 2 cores:
~30 s of validation, ~5 s a trained example). ``VAEGAN_FUZZ_ALL=1`` trains every accepted example of
the full fuzz (1,000 examples, ~80 accepted: ~10 minutes).
"""
import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from benchmarks import faults  # noqa: E402

ALL = os.environ.get("VAEGAN_FUZZ_ALL") == "1"
SAMPLE = 6   # accepted examples trained by default (of ~8 the 200 examples accept)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """The trainfuzz part's trials, run in a fresh process (the campaign forks: no mxnet state here)."""
    out = tmp_path_factory.mktemp("trainfuzz")
    env = dict(os.environ, OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"),
               VAEGAN_FAULTS_TMP=str(out))
    cmd = [sys.executable, "-m", "benchmarks.faults", "--parts", "trainfuzz", "--out", str(out)]
    if not ALL:
        cmd += ["--quick", "--train-sample", str(SAMPLE), "--train-budget", "120"]   # a loaded CI box: no flake
    p = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=3600)
    with open(out / "faults.json") as f:
        result = json.load(f)
    return result, p


def test_every_trained_fuzz_example_finishes_or_names_a_setting(trained):
    result, p = trained
    trials = [t for t in result["trials"] if t["part"] == "trainfuzz"]
    (note,) = [t for t in result["trials"] if t["part"] == "trainfuzz-note"]
    assert note["accepted"] >= 1 and len(trials) == note["trained"], (note, p.stdout[-3000:], p.stderr[-3000:])
    assert len(trials) == (note["accepted"] if ALL else min(SAMPLE, note["accepted"]))
    # a known defect (faults.KNOWN_DEFECTS, an xfail test each) is counted, not failed on
    bad = [t for t in trials if not t["survived"] and t.get("known_defect") not in faults.KNOWN_DEFECTS]
    assert not bad, "\n".join(json.dumps(t) for t in bad) + "\n" + p.stdout[-3000:]
    assert all(not t["traceback"] and not t["leftovers"] for t in trials)
    assert any(t["outcome"] == "trained" for t in trials)   # the sample really trained something
    assert p.returncode == 0, p.stdout[-3000:]


def test_the_trained_command_keeps_the_fuzzed_values_last():
    argv = ["run", "mnist-vae-logreg", "--results", "/x/fuzz-results", "--no-progress", "--set",
            "train.n_epochs=7", "--scale", "medium"]
    out = faults._fuzz_train_argv(argv, "/y/R")
    assert out[:2] == argv[:2] and out[2:2 + len(faults.TRAIN_TINY)] == faults.TRAIN_TINY
    assert out[out.index("--results") + 1] == "/y/R"
    # the fuzzed settings come after the tiny ones: argparse and --set take the last value
    assert out.index("train.n_epochs=7") > out.index("train.n_epochs=1")
    assert out[-2:] == ["--scale", "medium"]


def test_leftovers_are_tmp_folders_and_runs_with_neither_report_nor_checkpoint(tmp_path):
    run = tmp_path / "Model_on_X" / "quick"
    run.mkdir(parents=True)
    (run / "config.json").write_text("{}")
    assert faults._leftovers(str(tmp_path)) == [str(run)]
    (run / "checkpoints").mkdir()
    (run / "checkpoints" / "latest.json").write_text("{}")
    assert faults._leftovers(str(tmp_path)) == []              # resumable: not half-finished
    (run / ".tmp-epoch-0001").mkdir()
    assert faults._leftovers(str(tmp_path)) == [str(run / ".tmp-epoch-0001")]


# ------------------------------------------------------------------ defects the trained fuzz found
def test_a_non_string_description_is_refused_before_training(tmp_path, capsys, monkeypatch):
    """Found by the trained fuzz: ``--set description=1`` was accepted, trained, then the report's
    README.md write raised ``TypeError: sequence item 2: expected str instance, int found``."""
    from vaegan_gluon.cli import main
    monkeypatch.setenv("VAEGAN_CACHE", str(tmp_path / "cache"))
    for value in ("1", "-27115452", "null", "[1, 2]"):
        assert main(["run", "mnist-larsen-vaegan", "--scale", "quick", "--no-progress", "--results",
                     str(tmp_path / "R"), "--set", f"description={value}"]) == 2
        err = capsys.readouterr().err
        lines = [ln for ln in err.splitlines() if ln.startswith("vaegan: error:")]
        assert len(lines) == 1 and "description" in lines[0] and "Traceback" not in err, err
    assert not os.path.exists(tmp_path / "R")


@pytest.mark.parametrize("setting", ["disc.n_attributes=1222520445", "vae.n_hidden_units=70000",
                                     "vae.n_hidden_layers=1000"])
def test_a_model_too_large_to_build_is_refused_before_training(tmp_path, capsys, monkeypatch, setting):
    """Found by the trained fuzz: ``--set disc.n_attributes=1222520445`` (mnist-larsen-vaegan) passed
    validation (it only constructs the model) and the run died at initialisation with a one-line
    ``MXNetError: Traceback ... Check failed: param_shape`` naming no setting."""
    from vaegan_gluon.cli import main
    monkeypatch.setenv("VAEGAN_CACHE", str(tmp_path / "cache"))
    name = "mnist-larsen-vaegan" if setting.startswith("disc") else "mnist-vae-logreg"
    assert main(["run", name, "--scale", "quick", "--no-progress", "--results", str(tmp_path / "R"),
                 "--set", setting]) == 2
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.startswith("vaegan: error:")]
    assert len(lines) == 1 and setting.split("=")[0] in lines[0] and "Traceback" not in err, err
    assert not os.path.exists(tmp_path / "R")


def test_instance_noise_without_a_noisy_discriminator_is_refused_before_training(tmp_path, capsys, monkeypatch):
    """Found by the trained fuzz: ``faces-aegan-constant --set train.extra.instance_noise_stddev=2`` passed
    validation and stopped at the first epoch with "ConvDisc was built without instance noise: pass
    instance_noise=True to use set_noise_stddev" (a Python argument, not the setting to add)."""
    from vaegan_gluon.cli import main
    monkeypatch.setenv("VAEGAN_CACHE", str(tmp_path / "cache"))
    assert main(["run", "faces-aegan-constant", "--scale", "quick", "--no-progress", "--results",
                 str(tmp_path / "R"), "--set", "train.extra.instance_noise_stddev=2"]) == 2
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.startswith("vaegan: error:")]
    assert len(lines) == 1 and "instance_noise_stddev" in lines[0] and "disc.instance_noise=true" in lines[0], err
    assert not os.path.exists(tmp_path / "R")


@pytest.mark.parametrize("value", ["-138633869577.1075", "0", "inf", "nan"])
def test_a_disc_lr_that_is_not_positive_and_finite_is_refused(tmp_path, capsys, monkeypatch, value):
    """Found by the trained fuzz: ``--set train.disc_lr=-138633869577.1075`` was accepted (only lr, beta1 and
    beta2 were checked > 0) and the run diverged."""
    from vaegan_gluon.cli import main
    monkeypatch.setenv("VAEGAN_CACHE", str(tmp_path / "cache"))
    assert main(["run", "faces-aegan-constant", "--scale", "quick", "--no-progress", "--results",
                 str(tmp_path / "R"), "--set", f"train.disc_lr={value}"]) == 2
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.startswith("vaegan: error:")]
    assert len(lines) == 1 and "disc_lr" in lines[0] and "Traceback" not in err, err


def test_a_run_diverging_from_a_huge_disc_lr_names_disc_lr(tmp_path, capsys, monkeypatch):
    """Found by the trained fuzz: ``faces-aegan-constant --set train.disc_lr=1e30`` (finite, accepted)
    diverges and stops with "TrainingDiverged: ... lower lr (now 5e-05) or check the data": one line, but it
    names the VAE's lr (halved three times) and not the discriminator's, the setting that diverged."""
    from vaegan_gluon.cli import main
    monkeypatch.setenv("VAEGAN_CACHE", str(tmp_path / "cache"))
    assert main(["run", "faces-aegan-constant", "--no-progress", "--results", str(tmp_path / "R")]
                + faults.TRAIN_TINY + ["--set", "train.disc_lr=1e30"]) == 1
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.startswith("vaegan: error:")]
    assert len(lines) == 1 and "Traceback" not in err, err
    assert "disc_lr" in lines[0], lines[0]


@pytest.mark.parametrize("setting", ["train.extra.gamma=1e-320", "train.lr=1e39"])
def test_a_float_outside_float32_is_refused_before_training(tmp_path, capsys, monkeypatch, setting):
    """Found by the trained fuzz: ``mnist-larsen-vaegan --set train.extra.gamma=1e-320`` was accepted and the
    run stopped at its first combo step with "MXNetError: Out of range value for scalar, value='1e-320'"."""
    from vaegan_gluon.cli import main
    monkeypatch.setenv("VAEGAN_CACHE", str(tmp_path / "cache"))
    assert main(["run", "mnist-larsen-vaegan", "--scale", "quick", "--no-progress", "--results",
                 str(tmp_path / "R"), "--set", setting]) == 2
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.startswith("vaegan: error:")]
    assert len(lines) == 1 and setting.split("=")[0] in lines[0] and "float32" in lines[0], err
