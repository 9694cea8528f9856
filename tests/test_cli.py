"""The `vaegan` command line: listing, errors (exit 2, no traceback), quick runs end to end in a subprocess."""
import json
import os
import subprocess
import sys

import pandas as pd
import pytest

from vaegan_gluon.cli import main
from vaegan_gluon.experiments import EXPERIMENTS, SWEEPS

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
METRICS = ("recon_bce", "recon_mse", "neg_elbo", "blur_data", "blur_recon", "blur_samples", "disc_acc_real",
           "disc_acc_fake", "train_seconds", "train_images_per_s")
PICTURES = ("reconstructions.png", "samples.png", "loss_curves.png", "interpolation.png", "evolution.gif")


def vaegan(*args, cwd):
    env = dict(os.environ)
    env["PYTHONPATH"] = REPO + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return subprocess.run([sys.executable, "-m", "vaegan_gluon", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


def test_list_shows_every_experiment(tmp_path):
    p = vaegan("list", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    for name in list(EXPERIMENTS) + list(SWEEPS):
        assert name in p.stdout


@pytest.mark.parametrize("argv, message", [
    (["run", "nope"], "valid names: mnist-vae-bce"),
    (["run", "mnist-vae-bce", "--set", "train.lrr=1"], "valid keys: train.scheme"),
    (["run", "mnist-vae-bce", "--set", "vae.width=3"], "vae.n_hidden_units"),
    (["run", "mnist-vae-bce", "--set", "train.lr=fast"], "train.lr must be float"),
    (["run", "mnist-vae-bce", "--set", "train.pbp_loss=l1"], "use one of ['bce', 'l2']"),
    (["run", "mnist-vae-bce", "--set", "vae.model=Nope"], "valid: DenseVAE"),
    (["run", "mnist-vae-bce", "--set", "lr"], "not key=value"),
    (["run", "mnist-vae-bce", "--set", "train.lr=NaN"], "train.lr must be float, got nan"),
    (["run", "mnist-vae-bce", "--set", "train.n_epochs=1e400"], "train.n_epochs must be int"),
    (["run", "mnist-vae-bce", "--set", "vae.n_latent=ü"], "vae.n_latent must be an integer"),
    (["run", "mnist-vae-bce", "--set", "data.n_train="], "data.n_train must be a positive integer"),
    (["run", "mnist-vae-bce", "--set", "train.extra=3"], "train.extra must be "),
    (["run", "mnist-vae-bce", "--ctx", "tpu"], "--ctx 'tpu': use cpu"),
    (["run", "mnist-vae-bce", "--ctx", "cpu:-1"], "--ctx 'cpu:-1'"),
    (["sweep", "nope"], "sweeps: sweep-disc-weight"),
    (["sweep", "mnist-vae-bce"], "give a parameter"),
    (["sweep", "mnist-vae-bce", "train.lr"], "give values"),
    (["report", "/nonexistent/run"], "not a results folder"),
])
def test_errors_list_what_is_valid(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_bad_scale_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as e:
        main(["run", "mnist-vae-bce", "--scale", "huge"])
    assert e.value.code == 2 and "quick" in capsys.readouterr().err


def test_launch_and_bench_delegate(capsys, monkeypatch):
    assert main(["launch", "--help"]) == 0
    assert "dist_sync" in capsys.readouterr().out
    # bench: every argument after its name goes to `python -m benchmarks` in a child (mocked here), whose
    # exit status is vaegan's; from a checkout the child finds the benchmarks package on PYTHONPATH
    import vaegan_gluon.cli as cli
    calls = []

    def child(argv, env=None, **kw):
        calls.append((argv, env))
        return 7
    monkeypatch.setattr(cli.subprocess, "call", child)
    assert main(["bench", "--quick", "--only", "a,b"]) == 7
    ((argv, env),) = calls
    assert argv == [sys.executable, "-m", "benchmarks", "--quick", "--only", "a,b"]
    import importlib.util
    if importlib.util.find_spec("benchmarks") is None:
        assert env["PYTHONPATH"].split(os.pathsep)[0] == REPO


def _check_run_dir(run_dir, n_epochs, disc=True):
    for f in ("config.json", "training_statistics.csv", "metrics.json", "README.md"):
        assert os.path.exists(os.path.join(run_dir, f)), f
    for f in PICTURES:
        assert os.path.exists(os.path.join(run_dir, "images", f)), f
    stats = pd.read_csv(os.path.join(run_dir, "training_statistics.csv"))
    assert len(stats[stats["event"].isna()]) == n_epochs
    m = json.load(open(os.path.join(run_dir, "metrics.json")))
    for k in METRICS if disc else [k for k in METRICS if not k.startswith("disc_")]:
        assert isinstance(m.get(k), (int, float)), k
    for net in ("vae", "disc") if disc else ("vae",):
        assert m["parameters"][net]["trainable"] > 0 and "non_trainable" in m["parameters"][net]
    cfg = json.load(open(os.path.join(run_dir, "config.json")))
    assert cfg["scale"] == "quick" and cfg["command"].startswith("vaegan run ")
    return cfg


def test_demo_run_end_to_end(tmp_path):
    p = vaegan("run", "mnist-vae-logreg", "--scale", "quick", "--no-progress", "--set", "data.n_train=512",
               cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    run_dir = p.stdout.split("results: ")[1].split("\n")[0].strip()
    assert run_dir == os.path.join("results", "DenseVAE_DenseLogReg_on_MNIST-5k",
                                   "5_3_400_1_200_3_1_1_n_train512_quick")
    run_dir = os.path.join(tmp_path, run_dir)
    cfg = _check_run_dir(run_dir, n_epochs=3)
    assert cfg["command"] == "vaegan run mnist-vae-logreg --scale quick --set data.n_train=512"

    # the report re-renders from the folder alone
    os.remove(os.path.join(run_dir, "README.md"))
    p = vaegan("report", run_dir, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    readme = open(os.path.join(run_dir, "README.md")).read()
    assert "images/reconstructions.png" in readme and "recon_bce" in readme
    # ... and the README's results table from it, with a thumbnail
    p = vaegan("report", "--table", run_dir, "--thumbnails", "thumbs", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    row = p.stdout.splitlines()[2]
    metrics = json.load(open(os.path.join(run_dir, "metrics.json")))
    assert row.startswith("| `mnist-vae-logreg` `data.n_train=512` (5_3_400_1_200_3_1_1_n_train512_quick) | quick | ")
    assert f"| {metrics['recon_bce']:.4g} |" in row
    assert "`vaegan run mnist-vae-logreg --scale quick --set data.n_train=512`" in row
    assert os.path.exists(os.path.join(tmp_path, "thumbs", "mnist-vae-logreg_5_3_400_1_200_3_1_1_n_train512_quick.png"))

    # the same run again: refused with advice, then resumed (a finished run is only re-evaluated)
    p = vaegan("run", "mnist-vae-logreg", "--set", "data.n_train=512", cwd=tmp_path)
    assert p.returncode == 2 and "--resume" in p.stderr and "Traceback" not in p.stderr
    p = vaegan("run", "mnist-vae-logreg", "--set", "data.n_train=512", "--resume", "--no-progress", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert len(pd.read_csv(os.path.join(run_dir, "training_statistics.csv"))) == 3


def test_anime_conv_run_end_to_end(tmp_path):
    p = vaegan("run", "anime-conv-vae-convdisc", "--no-progress", "--no-checkpoints", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    run_dir = os.path.join(tmp_path, "results", "ConvVAE_ConvDisc_LeakyReLU_on_synthetic-faces",
                           "32_8_8_2_10_1_quick")
    cfg = _check_run_dir(run_dir, n_epochs=2)
    assert "synthetic-faces" in cfg["data"]["note"] and "models narrowed" in cfg["note"]
    assert not os.path.exists(os.path.join(run_dir, "checkpoints"))
    # a finished run without checkpoints resumes by re-evaluating its final parameters (what the notebooks
    # do with runs another notebook finished); training is not repeated
    before = json.load(open(os.path.join(run_dir, "metrics.json")))
    p = vaegan("run", "anime-conv-vae-convdisc", "--no-progress", "--resume", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert "re-evaluated from its final parameters" in p.stderr
    assert len(pd.read_csv(os.path.join(run_dir, "training_statistics.csv"))) == 2
    after = json.load(open(os.path.join(run_dir, "metrics.json")))
    assert after["recon_bce"] == pytest.approx(before["recon_bce"], rel=1e-5)
    assert after["train_seconds"] == before["train_seconds"]
