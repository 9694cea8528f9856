"""Issue 34 (Reliability, round two): one regression test per numbered defect.

``V`` = ``vaegan run mnist-vae-logreg --scale quick --no-progress --results R``; the runs here are that
command shrunk (a few images, one or two epochs) and run in this process through ``cli.main``.
"""
import glob
import json
import os
import stat
import sys

import numpy as np
import pandas as pd
import pytest
from PIL import Image

import vaegan_gluon  # noqa: F401  (sets OMP_NUM_THREADS before mxnet)
from vaegan_gluon.cli import main
from vaegan_gluon.data import load, mnist
from vaegan_gluon.models import get_model
from vaegan_gluon.train import Trainer, schemes

V = ["run", "mnist-vae-logreg", "--scale", "quick", "--no-progress"]
TINY = ["--set", "data.n_train=64", "--set", "data.n_val=16", "--set", "train.n_epochs=1",
        "--set", "eval.n_samples=4"]


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cli_errors import one_line_error, own_cache  # noqa: E402,F401  (own_cache: autouse, a cache per test)


def image_folder(path, n, seed=0):
    os.makedirs(path, exist_ok=True)
    rng = np.random.RandomState(seed)
    for i in range(n):
        Image.fromarray(rng.randint(0, 256, (28, 28), dtype=np.uint8), "L").save(os.path.join(path, f"{i}.png"))
    return str(path)


def run_dirs(root):
    return [os.path.dirname(p) for p in glob.glob(os.path.join(str(root), "**", "config.json"), recursive=True)]


# ------------------------------------------------------------------------------------------ 1
def test_one_image_data_is_refused_before_training(tmp_path, capsys):
    data = image_folder(tmp_path / "one", 1)
    results = tmp_path / "R"
    assert main(V + ["--data", data, "--results", str(results)]) == 2
    line = one_line_error(capsys)
    assert "--data" in line and "held-out" in line and "at least 2 images" in line
    leftovers = [p for p in glob.glob(os.path.join(str(results), "**"), recursive=True) if os.path.isfile(p)]
    assert leftovers == [] and run_dirs(results) == []


# ------------------------------------------------------------------------------------------ 2
@pytest.mark.parametrize("setting, message", [
    ("eval.n_samples=0", "eval.n_samples must be an integer in [1, 4096], got 0"),
    ("eval.n_samples=4097", "eval.n_samples must be an integer in [1, 4096], got 4097"),
    ("eval.n_samples=true", "eval.n_samples must be an integer in [1, 4096], got True"),
    ("eval.n_samples=2.5", "eval.n_samples must be an integer in [1, 4096], got 2.5"),
    ("eval.extractor=nope", "eval.extractor must be one of"),
    ("eval.extractor=3", "eval.extractor must be one of"),
])
def test_eval_settings_are_validated_before_training(tmp_path, capsys, setting, message):
    assert main(V + ["--set", setting, "--results", str(tmp_path / "R")]) == 2
    assert message in one_line_error(capsys)
    assert not os.path.exists(tmp_path / "R")


# ------------------------------------------------------------------------------------------ 3
@pytest.mark.parametrize("ctx", ["cpu:0,0", "cpu:1,0,1"])
def test_duplicate_devices_are_a_cli_error(tmp_path, capsys, ctx):
    assert main(V + ["--ctx", ctx, "--results", str(tmp_path / "R")]) == 2
    line = one_line_error(capsys)
    assert f"--ctx {ctx}" in line and "more than once" in line
    assert not os.path.exists(tmp_path / "R")


# ------------------------------------------------------------------------------------------ 4
def test_a_results_path_that_is_not_utf8_is_one_line_naming_path_and_option(tmp_path, capsys):
    results = os.path.join(str(tmp_path), os.fsdecode(b"r\xff"))
    assert main(V + TINY + ["--results", results]) == 2
    line = one_line_error(capsys)
    assert "--results" in line and "r\\xff" in line and "UTF-8" in line
    assert glob.glob(os.path.join(glob.escape(str(tmp_path)), "**", ".tmp-*"), recursive=True) == []
    assert run_dirs(tmp_path) == []


# ------------------------------------------------------------------------------------------ 5
def test_resume_on_other_data_is_refused_unless_allowed(tmp_path, capsys):
    data, results = image_folder(tmp_path / "faces", 10, seed=0), str(tmp_path / "R")
    args = V + ["--data", data, "--results", results, "--set", "eval.n_samples=4", "--set", "train.n_epochs=1"]
    assert main(args) == 0
    (run,) = run_dirs(results)
    cfg = json.load(open(os.path.join(run, "config.json")))
    train_sha, held_sha = cfg["data"]["provenance"]["checksum"], cfg["data"]["provenance"]["held_out_checksum"]
    assert len(train_sha) == 64 and len(held_sha) == 64 and train_sha != held_sha
    capsys.readouterr()
    assert main(args + ["--resume"]) == 0            # the same data: resumes (re-evaluates) as before
    assert "other data" not in capsys.readouterr().err
    image_folder(tmp_path / "faces", 10, seed=1)   # same folder, other images
    before = open(os.path.join(run, "metrics.json")).read()
    assert main(args + ["--resume"]) == 2
    line = one_line_error(capsys)
    assert "other data" in line and "--allow-other-data" in line and "config.json" in line
    assert open(os.path.join(run, "metrics.json")).read() == before   # nothing rewritten
    assert main(args + ["--resume", "--allow-other-data"]) == 0
    assert "other data" in capsys.readouterr().err   # said, once allowed
    cfg = json.load(open(os.path.join(run, "config.json")))
    assert cfg["data"]["provenance"]["checksum"] != train_sha
    assert cfg["data"]["provenance"]["resumed_from"]["checksum"] == train_sha


# ------------------------------------------------------------------------------------------ 6
@pytest.fixture
def unfinished_run(tmp_path):
    """A V run folder (tiny) with its checkpoints; the test breaks its config.json."""
    results = str(tmp_path / "R")
    assert main(V + TINY + ["--results", results]) == 0
    (run,) = run_dirs(results)
    return results, run


@pytest.mark.parametrize("content", ['{"name": "mnist-vae-logreg", "train": {"n_ep', "[1, 2]", ""])
def test_a_broken_config_json_on_resume_is_one_line_naming_the_file(unfinished_run, capsys, content):
    results, run = unfinished_run
    capsys.readouterr()
    with open(os.path.join(run, "config.json"), "w") as f:
        f.write(content)
    assert main(V + TINY + ["--results", results, "--resume"]) == 2
    line = one_line_error(capsys)
    assert os.path.join(run, "config.json") in line and "--overwrite" in line


# ------------------------------------------------------------------------------------------ 7
def test_a_corrupted_dataset_cache_is_rebuilt_with_a_warning(tmp_path, capsys):
    mnist._MNIST5K_MEMO.clear()
    good = load("mnist-5k", split="train")
    (cached,) = glob.glob(str(tmp_path / "cache" / "mnist-5k" / "*.npy"))
    raw = bytearray(open(cached, "rb").read())
    raw[-1000:-900] = bytes((b + 1) % 256 for b in raw[-1000:-900])   # same size, other pixels
    with open(cached, "wb") as f:
        f.write(raw)
    mnist._MNIST5K_MEMO.clear()
    capsys.readouterr()
    again = load("mnist-5k", split="train")
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert len(err) == 1 and "warning" in err[0] and cached in err[0] and "rebuilt" in err[0], err
    assert again.provenance["checksum"] == good.provenance["checksum"]
    mnist._MNIST5K_MEMO.clear()
    load("mnist-5k", split="train")   # the rebuilt cache verifies: no second warning
    assert capsys.readouterr().err == ""
    mnist._MNIST5K_MEMO.clear()


# ------------------------------------------------------------------------------------------ 8
@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077])
def test_results_files_honour_the_umask(tmp_path, umask):
    from vaegan_gluon.utils import atomic_write_bytes, write_json
    old = os.umask(umask)
    try:
        write_json(str(tmp_path / "config.json"), {"a": 1})
        atomic_write_bytes(str(tmp_path / "stats.csv"), b"epoch\n1\n")
        with open(tmp_path / "plain", "w") as f:
            f.write("x")
    finally:
        os.umask(old)
    want = stat.S_IMODE(os.stat(tmp_path / "plain").st_mode)
    assert want == 0o666 & ~umask
    for name in ("config.json", "stats.csv"):
        assert stat.S_IMODE(os.stat(tmp_path / name).st_mode) == want, name


# ------------------------------------------------------------------------------------------ 9
class _NaNAt:
    calls, at = 0, 0


def _nan_scheme():
    base = schemes.SCHEMES["learnable_loss"]

    class NaNAfterStep(base):
        def step(self, xs, phase, weights):
            stats = super().step(xs, phase, weights)
            _NaNAt.calls += 1
            if _NaNAt.calls == _NaNAt.at:
                p = next(iter(self.vae.collect_params().values()))
                w = p.data().copy()
                w[0] = float("nan")
                p.set_data(w)
            return stats
    NaNAfterStep.name = "nan_after_step_r2"
    return NaNAfterStep


class _TruncateNewest:
    """Callback: at the end of epoch 2, cut the newest checkpoint's vae.params in half."""

    def epoch_end(self, trainer, row):
        if row["epoch"] == 2 and not row.get("event"):
            p = os.path.join(trainer.checkpoint_dir, "epoch-0002", "vae.params")
            with open(p, "r+b") as f:
                f.truncate(os.path.getsize(p) // 2)


def test_nan_guard_with_a_truncated_newest_checkpoint_says_what_it_restored(tmp_path, capsys):
    from mxnet import nd
    x = load("mnist-5k", split="train").images[:64]
    cls = _nan_scheme()
    schemes.SCHEMES[cls.name] = cls
    _NaNAt.calls, _NaNAt.at = 0, 5   # 2 batches an epoch: the NaN in epoch 3
    restored = {}

    class Snapshot:
        def epoch_end(self, trainer, row):
            if row.get("event"):
                restored.update({k: p.data().asnumpy() for k, p in trainer.vae._collect_params_with_prefix().items()})
    try:
        vae = get_model("DenseVAE", n_latent=4, n_hidden_layers=1, n_hidden_units=32, image_shape=(1, 28, 28))
        disc = get_model("DenseLogReg", n_hidden_layers=1, n_hidden_units=16)
        t = Trainer(vae, disc, dict(scheme=cls.name, n_epochs=4, batch_size=32, seed=1, log_interval=1,
                                    keep_checkpoints=5),
                    out_dir=str(tmp_path), callbacks=[_TruncateNewest(), Snapshot()], progress=False)
        t.fit(x)
    finally:
        del schemes.SCHEMES[cls.name]
    df = pd.read_csv(tmp_path / "training_statistics.csv")
    (event,) = df.event.dropna()
    # the weights restored are epoch 1's, and the row says so (and why not epoch 2's)
    saved = {k: v.asnumpy() for k, v in nd.load(str(tmp_path / "checkpoints" / "epoch-0001" / "vae.params")).items()}
    for k in saved:
        np.testing.assert_array_equal(restored[k], saved[k], err_msg=k)
    assert "restored the epoch-1 checkpoint" in event and "epoch-0002" in event, event
    # epoch 2 is trained again from epoch 1's weights: every epoch once, in order, after the event
    rows = df[df.event.isna()]
    assert list(rows.epoch) == [1, 2, 3, 4]
    err = [ln for ln in capsys.readouterr().err.splitlines() if "restored" in ln]
    assert len(err) == 1 and "epoch-1" in err[0] and "epoch-0002" in err[0], err
