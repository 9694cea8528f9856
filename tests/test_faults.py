"""Faults injected for real: a NaN in a weight, broken checkpoints, failing checkpoint writes, bad --data.

The campaign (``make faults``, :mod:`benchmarks.faults`) runs these and many more at random; these are
its regression tests, each injecting the fault itself.
"""
import errno
import json
import os
import shutil

import numpy as np
import pandas as pd
import pytest

import vaegan_gluon  # noqa: F401  (sets OMP_NUM_THREADS before mxnet)
from mxnet import nd

from vaegan_gluon.data import load
from vaegan_gluon.models import get_model
from vaegan_gluon.train import Callback, Trainer, TrainingDiverged, schemes
from vaegan_gluon.train import checkpoint as ckpt
from vaegan_gluon.train.trainer import TIMING_COLUMNS


@pytest.fixture(scope="module")
def mnist():
    return load("mnist-5k", split="train").images[:128]


# the three schemes on tiny models: 4 batches of 32 an epoch
SCHEMES = {
    "learnable_loss": (lambda: get_model("DenseVAE", n_latent=4, n_hidden_layers=1, n_hidden_units=32,
                                         image_shape=(1, 28, 28)),
                       lambda: get_model("DenseLogReg", n_hidden_layers=1, n_hidden_units=16), {}),
    "larsen": (lambda: get_model("ConvVAE", n_latent=4, base_channels=4, image_shape=(1, 28, 28)),
               lambda: get_model("ConvDisc", base_channels=4, feature_layer=2), {"gamma": 5e-5}),
    "aegan": (lambda: get_model("AE", n_latent=4, base_channels=4, image_shape=(1, 28, 28)),
              lambda: get_model("ConvDisc", base_channels=4), {"alpha": 1.0, "beta": 0.005}),
}


def trainer(scheme, out_dir, callbacks=(), **cfg):
    vae, disc, extra = SCHEMES[scheme.replace("nan_", "")]
    base = dict(scheme=scheme, n_epochs=2, batch_size=32, seed=1, log_interval=1, extra=dict(extra))
    base.update(cfg)
    return Trainer(vae(), disc(), base, out_dir=str(out_dir), callbacks=callbacks, progress=False)


def saved_params(net, path):
    """{structural name: numpy} of a ``.params`` file and of the live network, same keys."""
    disk = {k: v.asnumpy() for k, v in nd.load(path).items()}
    live = {k: p.data().asnumpy() for k, p in net._collect_params_with_prefix().items()}
    return disk, live


# --------------------------------------------------------------------------------- real NaNs
class NaNWeight:
    """Wrap a scheme so that after the given step calls one VAE weight holds a real NaN."""
    at = set()
    calls = 0


def nan_scheme(base_name):
    base = schemes.SCHEMES[base_name]

    class Injected(base):
        def step(self, xs, phase, weights):
            stats = super().step(xs, phase, weights)
            NaNWeight.calls += 1
            if NaNWeight.calls in NaNWeight.at:
                p = next(iter(self.vae.collect_params().values()))
                w = p.data().copy()
                w[0] = float("nan")          # a NaN in the weight itself, not in a statistic
                p.set_data(w)
            return stats
    Injected.name = "nan_" + base_name
    return Injected


@pytest.fixture
def inject():
    added = []

    def make(base_name, at):
        cls = nan_scheme(base_name)
        schemes.SCHEMES[cls.name] = cls
        added.append(cls.name)
        NaNWeight.at, NaNWeight.calls = set(at), 0
        return cls.name
    yield make
    for name in added:
        del schemes.SCHEMES[name]


class CheckRestore(Callback):
    """At the NaN event's epoch end: every parameter and optimiser state equal to the checkpoint's."""

    def __init__(self):
        self.checked = []

    def epoch_end(self, trainer, row):
        if not row.get("event"):
            return
        path = os.path.join(trainer.checkpoint_dir, f"epoch-{row['epoch'] - 1:04d}")
        for name, net in trainer.networks.items():
            disk, live = saved_params(net, os.path.join(path, f"{name}.params"))
            assert disk.keys() == live.keys()
            assert not any(np.isnan(v).any() for v in live.values())
            for k in disk:
                np.testing.assert_array_equal(live[k], disk[k], err_msg=f"{name} {k}")
        for key, opt in trainer.scheme.optimizers.items():
            saved = nd.load(os.path.join(path, f"{key}.states"))
            for idx, st in opt._updaters[0].states.items():
                for j, a in enumerate(st if isinstance(st, (list, tuple)) else (st,)):
                    np.testing.assert_array_equal(a.asnumpy(), saved[f"{idx}:{j}"].asnumpy())
            # learning rates halved (no lr schedule: base * 0.5 ** events)
            assert opt.learning_rate == trainer._base_lrs[key] * 0.5 ** len(self.checked + [row])
        self.checked.append(row)


@pytest.mark.parametrize("scheme", list(SCHEMES))
def test_nan_in_a_weight_restores_the_checkpoint_exactly(mnist, tmp_path, inject, scheme):
    name = inject(scheme, at={6})     # after epoch 2's second step; the third step's loss is NaN
    check = CheckRestore()
    t = trainer(name, tmp_path, callbacks=[check], keep_checkpoints=3)
    t.fit(mnist)
    assert len(check.checked) == 1
    df = pd.read_csv(tmp_path / "training_statistics.csv")
    assert list(df.epoch) == [1, 2, 2]
    # the NaN shows in the loss of step 3 or, when a ReLU hides it in the forward pass, after its update
    assert "restored the epoch-1 checkpoint, learning rates halved (event 1 of 3)" in df.event.iloc[1]
    assert df.event.isna().iloc[[0, 2]].all()
    assert not any(np.isnan(p.data().asnumpy()).any() for p in t.vae.collect_params().values())


def test_nan_weight_in_the_last_step_of_an_epoch_is_never_checkpointed(mnist, tmp_path, inject):
    """The epoch's losses are all finite but the weights are not: the guard catches it before saving."""
    name = inject("learnable_loss", at={8})
    check = CheckRestore()
    trainer(name, tmp_path, callbacks=[check], keep_checkpoints=3).fit(mnist)
    df = pd.read_csv(tmp_path / "training_statistics.csv")
    assert list(df.epoch) == [1, 2, 2] and "at batch 4" in df.event.iloc[1] and len(check.checked) == 1
    for d in ("epoch-0001", "epoch-0002"):
        saved = nd.load(str(tmp_path / "checkpoints" / d / "vae.params"))
        assert all(np.isfinite(v.asnumpy()).all() for v in saved.values()), d


@pytest.mark.parametrize("scheme", list(SCHEMES))
def test_three_nan_weights_in_a_row_stop_the_run(mnist, tmp_path, inject, scheme):
    name = inject(scheme, at=range(1, 1000))
    check = CheckRestore()
    with pytest.raises(TrainingDiverged, match="3 epochs in a row produced non-finite losses"):
        trainer(name, tmp_path, callbacks=[check]).fit(mnist)
    df = pd.read_csv(tmp_path / "training_statistics.csv")
    assert len(df) == 3 and df.event.str.contains("non-finite").all()
    assert len(check.checked) == 2        # the third event stops before restoring


# ------------------------------------------------------------------------- broken checkpoints
@pytest.fixture(scope="module")
def finished(mnist, tmp_path_factory):
    """A 3-epoch learnable_loss run keeping checkpoints epoch-0001..0003."""
    out = tmp_path_factory.mktemp("finished")
    trainer("learnable_loss", out, n_epochs=3, keep_checkpoints=3).fit(mnist)
    return out


def copy_run(src, dst):
    shutil.copytree(src, dst)
    return dst


def stats(path):
    """The statistics as the CSV's text (bitwise), timing columns aside."""
    return pd.read_csv(path / "training_statistics.csv", dtype=str, keep_default_na=False).drop(
        columns=list(TIMING_COLUMNS))


def test_resume_with_latest_pointing_at_a_missing_folder_falls_back(mnist, finished, tmp_path, capfd):
    run = copy_run(finished, tmp_path / "run")
    shutil.rmtree(run / "checkpoints" / "epoch-0003")        # latest.json now names a missing folder
    t = trainer("learnable_loss", run, n_epochs=3, keep_checkpoints=3)
    t.fit(mnist, resume=True)
    err = capfd.readouterr().err.strip().splitlines()
    note = [line for line in err if "resume:" in line]
    assert len(note) == 1 and "epoch-0003, which does not exist" in note[0] and "epoch-0002" in note[0]
    df, ref = stats(run), stats(finished)
    assert list(df.epoch) == ["1", "2", "2", "3"] and "resumed from" in df.event.iloc[2]
    # the epoch trained again is bit for bit the uninterrupted run's
    pd.testing.assert_frame_equal(df.drop(index=2).reset_index(drop=True), ref, check_exact=True)


@pytest.mark.parametrize("fault", ["truncated", "garbage", "empty", "missing", "other-model"])
def test_resume_skips_a_broken_parameter_file(mnist, finished, tmp_path, fault):
    run = copy_run(finished, tmp_path / "run")
    f = run / "checkpoints" / "epoch-0003" / "vae.params"
    if fault == "truncated":
        f.write_bytes(f.read_bytes()[:100])
    elif fault == "garbage":
        f.write_bytes(np.random.RandomState(0).bytes(f.stat().st_size))
    elif fault == "empty":
        f.write_bytes(b"")
    elif fault == "missing":
        f.unlink()
    else:   # another model's parameters, with a manifest that matches them: only the loader can tell
        other = get_model("DenseVAE", n_latent=3, n_hidden_layers=1, n_hidden_units=8, image_shape=(1, 28, 28))
        other.initialize()
        other(nd.zeros((1, 1, 28, 28)))
        other.save_parameters(str(f))
        ckpt._write_manifest(str(f.parent))
    t = trainer("learnable_loss", run, n_epochs=3, keep_checkpoints=3)
    t.fit(mnist, resume=True)
    df = stats(run)
    assert list(df.epoch) == ["1", "2", "2", "3"]
    assert "vae.params" in df.event.iloc[2] and "resumed from" in df.event.iloc[2]
    pd.testing.assert_frame_equal(df.drop(index=2).reset_index(drop=True), stats(finished), check_exact=True)


def test_resume_with_no_intact_checkpoint_stops_naming_the_file(mnist, finished, tmp_path):
    run = copy_run(finished, tmp_path / "run")
    for d in ("epoch-0001", "epoch-0002", "epoch-0003"):
        (run / "checkpoints" / d / "state.json").write_text("{not json")
    with pytest.raises(ckpt.CheckpointError, match=r"epoch-0001.state\.json.*--overwrite") as e:
        trainer("learnable_loss", run, n_epochs=3, keep_checkpoints=3).fit(mnist, resume=True)
    assert "\n" not in str(e.value)


def test_resume_with_statistics_but_no_checkpoints_is_not_a_silent_restart(mnist, finished, tmp_path):
    run = copy_run(finished, tmp_path / "run")
    shutil.rmtree(run / "checkpoints")
    with pytest.raises(ckpt.CheckpointError, match="holds 3 epochs but .* holds no checkpoint"):
        trainer("learnable_loss", run, n_epochs=3).fit(mnist, resume=True)


# ------------------------------------------------------------------- disk full while saving
@pytest.mark.parametrize("error", [errno.ENOSPC, errno.EACCES])
def test_a_failing_checkpoint_write_keeps_the_previous_one(mnist, finished, tmp_path, monkeypatch, error):
    out = tmp_path / "run"
    real = nd.save
    calls = {"n": 0}

    def failing_save(path, data):
        calls["n"] += 1
        if "epoch-0002" in str(path):
            raise OSError(error, os.strerror(error), str(path))
        return real(path, data)
    monkeypatch.setattr(ckpt.nd, "save", failing_save)
    with pytest.raises(ckpt.CheckpointWriteError, match=r"epoch-0002 .*the previous checkpoint .*epoch-0001 is "
                                                        r"intact.*--resume") as e:
        trainer("learnable_loss", out, n_epochs=3, keep_checkpoints=3).fit(mnist)
    assert os.strerror(error) in str(e.value) and "\n" not in str(e.value)
    assert sorted(os.listdir(out / "checkpoints")) == ["epoch-0000", "epoch-0001", "latest.json"]  # no half folder
    assert ckpt.latest_checkpoint(str(out / "checkpoints")).endswith("epoch-0001")
    assert ckpt.verify_checkpoint(str(out / "checkpoints" / "epoch-0001")) is None
    monkeypatch.setattr(ckpt.nd, "save", real)
    trainer("learnable_loss", out, n_epochs=3, keep_checkpoints=3).fit(mnist, resume=True)
    pd.testing.assert_frame_equal(stats(out), stats(finished), check_exact=True)


# ------------------------------------------------------------------------------ command line
def test_data_folder_that_does_not_exist_is_a_one_line_error(capsys):
    from vaegan_gluon.cli import main
    assert main(["run", "anime-conv-vae", "--scale", "quick", "--data", "/nonexistent/faces",
                 "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("vaegan: error: --data /nonexistent/faces") and "folder" in err


def test_a_cache_dir_that_is_not_a_path_is_a_one_line_error(capsys, tmp_path):
    """Found by the campaign's settings fuzz: an int cache_dir was a TypeError traceback."""
    from vaegan_gluon.cli import main
    assert main(["run", "faces-aegan-constant", "--set", "data.options.cache_dir=-5326", "--results",
                 str(tmp_path), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cache_dir must be a folder path" in err and "-5326" in err


def test_flip_when_disc_acc_alone_is_a_one_line_error_naming_both_keys(capsys, tmp_path):
    """The threshold alone flipped nothing (flip_steps 0); the error named only flip_steps, a key the
    user had not set. It names both and the --set to add; with flip_steps the same run is accepted."""
    from vaegan_gluon.cli import main
    argv = ["run", "mnist-vae-logreg", "--scale", "quick", "--results", str(tmp_path), "--no-progress",
            "--set", "train.extra.flip_when_disc_acc=0.9"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and err.startswith("vaegan: error: ")
    assert "flip_when_disc_acc=0.9" in err and "flip_steps >= 1" in err and "--set train.extra.flip_steps=" in err
    from vaegan_gluon.train import TrainConfig
    c = TrainConfig(extra={"flip_when_disc_acc": 0.9, "flip_steps": 3})
    assert c.extra.flip_when_disc_acc == 0.9 and c.extra.flip_steps == 3


def test_a_write_past_the_file_size_limit_keeps_the_previous_checkpoint(mnist, finished, tmp_path, monkeypatch):
    """A real failing write (the kernel's EFBIG past RLIMIT_FSIZE, set as epoch 2's checkpoint starts):
    MXNet's own error began with its C++ "Traceback (most recent call last):", which was the whole
    reason in the message. It now gives the failed check, the free space and the limit, on one line."""
    import resource
    import signal
    real, soft_hard = ckpt.save_checkpoint, resource.getrlimit(resource.RLIMIT_FSIZE)

    def limited(folder, epoch, *a, **k):
        if epoch == 2:
            resource.setrlimit(resource.RLIMIT_FSIZE, (2000, soft_hard[1]))
        try:
            return real(folder, epoch, *a, **k)
        finally:
            resource.setrlimit(resource.RLIMIT_FSIZE, soft_hard)
    monkeypatch.setattr(ckpt, "save_checkpoint", limited)
    old = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    out = tmp_path / "run"
    try:
        with pytest.raises(ckpt.CheckpointWriteError, match=r"epoch-0002 .*Write incomplete; \d+ KiB free on its "
                                                            r"disk; files are limited to 2000 bytes .*epoch-0001 is "
                                                            r"intact.*--resume") as e:
            trainer("learnable_loss", out, n_epochs=3, keep_checkpoints=3).fit(mnist)
    finally:
        signal.signal(signal.SIGXFSZ, old)
    assert "\n" not in str(e.value) and "Traceback" not in str(e.value)
    assert sorted(os.listdir(out / "checkpoints")) == ["epoch-0000", "epoch-0001", "latest.json"]
    assert ckpt.verify_checkpoint(str(out / "checkpoints" / "epoch-0001")) is None
    monkeypatch.setattr(ckpt, "save_checkpoint", real)
    trainer("learnable_loss", out, n_epochs=3, keep_checkpoints=3).fit(mnist, resume=True)
    pd.testing.assert_frame_equal(stats(out), stats(finished), check_exact=True)


def test_optimiser_json_of_another_model_names_the_file(mnist, finished, tmp_path, capfd):
    """Found by the campaign (another model's vae.states.json with a manifest rewritten to match): the
    reason was "KeyError: '10:0'" cut at 200 characters of path, without the file's name."""
    run = copy_run(finished, tmp_path / "run")
    for d in ("epoch-0001", "epoch-0002", "epoch-0003"):
        meta = run / "checkpoints" / d / "vae.states.json"
        m = json.loads(meta.read_text())
        m["parts"]["99"] = 2   # another model's: a parameter these arrays do not hold
        meta.write_text(json.dumps(m))
        ckpt._write_manifest(str(meta.parent))
    with pytest.raises(ckpt.CheckpointError) as e:
        trainer("learnable_loss", run, n_epochs=3, keep_checkpoints=3).fit(mnist, resume=True)
    msg = str(e.value)
    assert "\n" not in msg and msg.count("vae.states.json does not describe the arrays in vae.states") == 3
    assert "--overwrite" in msg


def test_an_mxnet_load_error_is_its_failed_check_not_its_traceback(mnist, finished, tmp_path, capfd):
    """A parameter file that only the loader can reject (garbage with a matching manifest): the note
    named MXNet's first line, "Traceback (most recent call last):"."""
    run = copy_run(finished, tmp_path / "run")
    f = run / "checkpoints" / "epoch-0003" / "disc.params"
    f.write_bytes(np.random.RandomState(1).bytes(f.stat().st_size))
    ckpt._write_manifest(str(f.parent))
    trainer("learnable_loss", run, n_epochs=3, keep_checkpoints=3).fit(mnist, resume=True)
    note = [line for line in capfd.readouterr().err.splitlines() if "resume:" in line]
    assert len(note) == 1 and "(ValueError: disc.params: " in note[0] and "Traceback" not in note[0]
    assert "Invalid NDArray file format" in note[0] and "resumed from" in note[0] and "epoch-0002" in note[0]


@pytest.mark.parametrize("manifest", ["other-model", "not-a-dict"])
def test_a_manifest_of_another_model_is_blamed_not_the_intact_files(mnist, finished, tmp_path, manifest):
    """Found by the campaign: another model's manifest.json in every checkpoint made the error blame
    disc.params ("has 100872 bytes, 13279 were written"), an intact file a user might then delete.
    A manifest whose entries are not objects was an AttributeError."""
    run = copy_run(finished, tmp_path / "run")
    other = tmp_path / "other"
    trainer("larsen", other, n_epochs=1).fit(mnist)
    for d in ("epoch-0001", "epoch-0002", "epoch-0003"):
        target = run / "checkpoints" / d / "manifest.json"
        if manifest == "other-model":
            shutil.copyfile(other / "checkpoints" / "epoch-0001" / "manifest.json", target)
        else:
            target.write_text('{"files": {"vae.params": 1}}')
    with pytest.raises(ckpt.CheckpointError) as e:
        trainer("learnable_loss", run, n_epochs=3, keep_checkpoints=3).fit(mnist, resume=True)
    msg = str(e.value)
    assert "\n" not in msg and "--overwrite" in msg
    want = "manifest.json matches none of the" if manifest == "other-model" else "manifest.json is unreadable"
    assert msg.count(want) == 3 and "disc.params" not in msg and "vae.params has" not in msg


def test_a_state_json_of_another_run_is_named(mnist, finished, tmp_path):
    """Found by the campaign (another model's state.json, manifest rewritten to match): the error was
    "cannot be loaded (KeyError: 'policy')", naming no file."""
    run = copy_run(finished, tmp_path / "run")
    for d in ("epoch-0001", "epoch-0002", "epoch-0003"):
        f = run / "checkpoints" / d / "state.json"
        state = json.loads(f.read_text())
        del state["schedules"]   # a key another scheme's run does not write
        f.write_text(json.dumps(state))
        ckpt._write_manifest(str(f.parent))
    with pytest.raises(ckpt.CheckpointError) as e:
        trainer("learnable_loss", run, n_epochs=3, keep_checkpoints=3).fit(mnist, resume=True)
    msg = str(e.value)
    assert "\n" not in msg and msg.count("(state.json does not fit this run: KeyError: 'schedules')") == 3


def test_a_state_json_of_another_model_is_refused_even_when_every_key_fits(mnist, finished, tmp_path):
    """Found by the campaign: a larsen run's state.json (manifest rewritten) in a learnable_loss run's
    checkpoints was accepted -- its rows, schedules and learning-rate scale would have been continued.
    state.json records which networks it is for."""
    run = copy_run(finished, tmp_path / "run")
    other = tmp_path / "other"
    trainer("larsen", other, n_epochs=3, keep_checkpoints=3).fit(mnist)
    for d in ("epoch-0001", "epoch-0002", "epoch-0003"):
        shutil.copyfile(other / "checkpoints" / d / "state.json", run / "checkpoints" / d / "state.json")
        ckpt._write_manifest(str(run / "checkpoints" / d))
    with pytest.raises(ckpt.CheckpointError) as e:
        trainer("learnable_loss", run, n_epochs=4, keep_checkpoints=3).fit(mnist, resume=True)
    assert str(e.value).count("state.json: written for other networks than this run's") == 3
