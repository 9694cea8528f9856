"""TensorBoard logs: every CSV column per epoch, the reconstruction grid per epoch, the final metrics;
read back from the event files (TFRecord framing and CRCs checked)."""
import io
import math

import numpy as np
import pandas as pd
import pytest
from PIL import Image

import vaegan_gluon  # noqa: F401  (sets OMP_NUM_THREADS before mxnet)
from vaegan_gluon.data import load
from vaegan_gluon.models import get_model
from vaegan_gluon.train import EvolutionFrames, Trainer
from vaegan_gluon.train.tensorboard import TensorBoardLogger, event_files, read_events


@pytest.fixture(scope="module")
def images():
    return load("mnist-5k", split="train").images[:128]


def _trainer(out, images, callbacks, n_epochs=3, disc=True):
    vae = get_model("DenseVAE", n_latent=2, n_hidden_layers=1, n_hidden_units=16, image_shape=(1, 28, 28))
    d = get_model("DenseLogReg", n_hidden_layers=1, n_hidden_units=8) if disc else None
    return Trainer(vae, d, dict(n_epochs=n_epochs, batch_size=64, lr=1e-3), out_dir=str(out),
                   callbacks=callbacks, progress=False)


def _summaries(path):
    """{tag: {step: value}}: scalars as floats, images as uint8 arrays, text as str."""
    out = {}
    for ev in read_events(path):
        for v in ev.summary.value:
            if v.HasField("image"):
                val = np.asarray(Image.open(io.BytesIO(v.image.encoded_image_string)))
            elif v.HasField("simple_value"):
                val = v.simple_value
            elif v.HasField("tensor"):
                val = b"".join(v.tensor.string_val).decode()
            else:
                continue
            out.setdefault(v.tag, {})[ev.step] = val
    return out


@pytest.mark.parametrize("tb_first", [True, False])   # frames are found whichever callback runs first
def test_every_csv_column_and_every_grid_per_epoch(tmp_path, images, tb_first):
    tb = TensorBoardLogger(tmp_path / "tb")
    frames = EvolutionFrames(images[:10])
    t = _trainer(tmp_path / "run", images, [tb, frames] if tb_first else [frames, tb])
    t.fit(images)
    tb.write_metrics({"recon_bce": 123.5, "parameters": {"vae": {"total": 42}}, "name": "x", "nan": float("nan")})
    files = event_files(tmp_path / "tb")
    assert len(files) == 1
    s = _summaries(files[0])
    csv = pd.read_csv(tmp_path / "run" / "training_statistics.csv")
    numeric = [c for c in csv.columns if c not in ("phase", "event")]
    for col in numeric:
        expected = {int(e): float(v) for e, v in zip(csv.epoch, csv[col]) if not math.isnan(float(v))}
        assert expected, col
        got = s.get(f"train/{col}")
        assert got is not None, f"train/{col} missing"
        assert got == pytest.approx(expected, rel=1e-6), col
    assert set(s["train/phase/text_summary"]) == {1, 2, 3}
    grids = s["reconstructions"]
    assert sorted(grids) == [1, 2, 3]
    for step, frame in zip((1, 2, 3), t.evolution_frames):
        got = grids[step]
        if frame.ndim == 2:   # a grey grid is stored as RGB with three equal channels
            assert (got[..., 0] == got[..., 1]).all() and (got[..., 0] == got[..., 2]).all()
            got = got[..., 0]
        assert np.array_equal(got, frame)
    assert not np.array_equal(grids[1], grids[3])
    assert s["metrics/recon_bce"] == {3: 123.5}
    assert s["metrics/parameters/vae/total"] == {3: 42.0}
    assert "metrics/nan" not in s and "metrics/name" not in s


def test_nan_columns_are_skipped_not_logged(tmp_path, images):
    tb = TensorBoardLogger(tmp_path / "tb")
    _trainer(tmp_path / "run", images, [tb], n_epochs=1, disc=False).fit(images)
    tb.close()
    s = _summaries(event_files(tmp_path / "tb")[0])
    assert "train/vae_loss" in s and "train/disc_loss" not in s


def test_resume_purges_the_interrupted_steps(tmp_path, images):
    tb = TensorBoardLogger(tmp_path / "tb")
    _trainer(tmp_path / "run", images, [tb, EvolutionFrames(images[:10])], n_epochs=2).fit(images)
    tb.close()
    tb2 = TensorBoardLogger(tmp_path / "tb")
    _trainer(tmp_path / "run", images, [tb2, EvolutionFrames(images[:10])], n_epochs=3).fit(images, resume=True)
    tb2.close()
    first, second = event_files(tmp_path / "tb")
    starts = [ev.step for ev in read_events(second) if ev.HasField("session_log")]
    assert starts == [3]                         # TensorBoard hides the first file's steps >= 3
    s2 = _summaries(second)
    assert set(s2["train/vae_loss"]) == {3} and set(s2["reconstructions"]) == {3}
    assert set(_summaries(first)["train/vae_loss"]) == {1, 2}


def test_corrupt_event_file_is_detected(tmp_path, images):
    tb = TensorBoardLogger(tmp_path / "tb")
    _trainer(tmp_path / "run", images, [tb], n_epochs=1, disc=False).fit(images)
    tb.close()
    path = event_files(tmp_path / "tb")[0]
    data = bytearray(open(path, "rb").read())
    data[-6] ^= 0xFF
    open(path, "wb").write(bytes(data))
    with pytest.raises(ValueError, match="CRC"):
        read_events(path)


def test_run_experiment_and_cli_write_tensorboard(tmp_path, monkeypatch):
    from vaegan_gluon import cli
    from vaegan_gluon.experiments import run_experiment
    logdir = tmp_path / "tb"
    r = run_experiment("mnist-vae-logreg", "quick", {"data.n_train": 128, "data.n_val": 64, "train.n_epochs": 2},
                       results_root=str(tmp_path / "results"), progress=False, tensorboard=str(logdir))
    s = _summaries(event_files(logdir)[0])
    assert set(s["train/disc_loss"]) == {1, 2} and set(s["reconstructions"]) == {1, 2}
    assert s["metrics/recon_bce"][2] == pytest.approx(r.metrics["recon_bce"], rel=1e-6)
    seen = {}
    monkeypatch.setattr("vaegan_gluon.experiments.run_experiment", lambda *a, **k: seen.update(k) or r)
    assert cli.main(["run", "mnist-vae-logreg", "--tensorboard", str(logdir)]) == 0
    assert seen["tensorboard"] == str(logdir)


def test_two_writers_in_one_second_keep_both_files(tmp_path, monkeypatch):
    """tensorboardX names a file by the second and the host: a resume opened in the same second as the
    run it resumes must not truncate that run's file (CI found it on a fast machine)."""
    import time
    from vaegan_gluon.train.tensorboard import _summary_writer
    monkeypatch.setattr(time, "time", lambda: 1_700_000_000.0)
    for step in (1, 2):
        w = _summary_writer(str(tmp_path))
        w.add_scalar("x", float(step), step)
        w.close()
    files = event_files(tmp_path)
    assert len(files) == 2
    assert [[v.simple_value for ev in read_events(f) for v in ev.summary.value] for f in files] == [[1.0], [2.0]]
