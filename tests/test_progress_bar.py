"""The progress bar: one bar per run over all its batches, kept when the run ends (a closed tqdm widget
vanishes from a notebook, which the browser test counts as a widget that did not render)."""
from types import SimpleNamespace

from vaegan_gluon.train.callbacks import ProgressBar


def _trainer(n_epochs=3, n_batches=4):
    return SimpleNamespace(config=SimpleNamespace(n_epochs=n_epochs), n_batches=n_batches, running={})


def _row(epoch):
    return {"epoch": epoch, "phase": "solo", "seconds": 0.1, "images_per_s": 10.0, "vae_loss": 1.0}


def test_one_bar_for_the_run_left_when_it_ends(capsys):
    t, pb = _trainer(), ProgressBar(mininterval=0)
    pb.train_begin(t)
    bars = set()
    for epoch in range(3):
        pb.epoch_begin(t, epoch, "solo")
        bars.add(id(pb.bar))
        assert pb.bar.total == 12 and pb.bar.leave
        for b in range(4):
            pb.batch_end(t, b, 4)
        pb.epoch_end(t, _row(epoch + 1))
    assert len(bars) == 1 and pb.bar.n == 12
    pb.train_end(t)
    assert pb.bar is None
    assert capsys.readouterr().out.count("epoch ") == 3      # a line per epoch


def test_a_rewind_grows_the_bar_instead_of_overrunning_it():
    t, pb = _trainer(), ProgressBar(mininterval=0)
    pb.epoch_begin(t, 0, "solo")
    for epoch in (0, 1):
        if epoch:
            pb.epoch_begin(t, 1, "solo")
        for b in range(4):
            pb.batch_end(t, b, 4)
    pb.epoch_begin(t, 1, "solo")              # a NaN in epoch 2 restored epoch 1's end: epoch 2 again
    assert pb.bar.n == 8 and pb.bar.total == 8 + 2 * 4
    pb.train_end(t)


def test_resume_counts_only_the_epochs_left():
    t, pb = _trainer(n_epochs=10), ProgressBar(mininterval=0)
    pb.epoch_begin(t, 7, "combo")             # resumed after epoch 7
    assert pb.bar.total == 3 * 4
    pb.train_end(t)
