"""Event hooks, shaped like Gluon's ``contrib.estimator`` event handlers (train/epoch/batch begin/end).

A callback is any object with some of these methods; the trainer calls the ones it finds:
``train_begin(trainer)``, ``epoch_begin(trainer, epoch, phase)``, ``batch_end(trainer, batch, n_batches)``,
``epoch_end(trainer, row)``, ``train_end(trainer)``. ``row`` is the statistics row just written to the CSV
(a dict). A notebook can plot live from ``epoch_end``.
"""
import os
import sys

import numpy as np

from tqdm.auto import tqdm

from ..utils import writing


class Callback:
    """Base class with no-op hooks (subclass and override the ones you need)."""

    def train_begin(self, trainer):
        return None

    def epoch_begin(self, trainer, epoch, phase):
        return None

    def batch_end(self, trainer, batch, n_batches):
        return None

    def epoch_end(self, trainer, row):
        return None

    def train_end(self, trainer):
        return None


class ProgressBar(Callback):
    """One tqdm bar per run, over all its batches (renders as a widget in JupyterLab; in a log, a line at
    most every few seconds); a line per epoch with its losses below it. The bar stays when the run ends
    (``leave=True``): in a notebook it is the record that the cell trained, and how long it took."""

    def __init__(self, mininterval=None):
        interactive = hasattr(sys.stderr, "isatty") and sys.stderr.isatty()
        self.mininterval = mininterval if mininterval is not None else (0.5 if interactive else 10.0)
        self.bar = None

    def epoch_begin(self, trainer, epoch, phase):
        remaining = (trainer.config.n_epochs - epoch) * trainer.n_batches
        if self.bar is None:
            self.bar = tqdm(total=remaining, unit="batch", mininterval=self.mininterval, leave=True,
                            dynamic_ncols=True)
        self.bar.total = self.bar.n + remaining      # a NaN restore rewinds epochs: the bar grows, never lies
        self.bar.set_description(f"epoch {epoch + 1}/{trainer.config.n_epochs} {phase}", refresh=True)

    def batch_end(self, trainer, batch, n_batches):
        self.bar.update(1)
        if trainer.running:
            self.bar.set_postfix({k: f"{v:.4g}" for k, v in trainer.running.items()}, refresh=False)

    def train_end(self, trainer):
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def epoch_end(self, trainer, row):
        keys = ("vae_loss", "pbp_loss", "kl", "adv_loss", "disc_loss", "disc_acc_real", "disc_acc_fake")
        parts = [f"{k}={row[k]:.4g}" for k in keys if isinstance(row.get(k), float) and row[k] == row[k]]
        tqdm.write(f"epoch {row['epoch']}/{trainer.config.n_epochs} [{row['phase']}] " + " ".join(parts)
                   + f" ({row['seconds']:.1f}s, {row['images_per_s']:.0f} img/s)"
                   + (f" {row['event']}" if row.get("event") else ""))


class EvolutionFrames(Callback):
    """After every epoch, reconstruct fixed validation images and keep the grid as a frame.

    The frames end up in ``trainer.evolution_frames`` and, in a results folder, as
    ``images/evolution/epoch-NNNN.png`` (so a resumed run keeps the frames of the epochs before the
    crash) and ``images/evolution.gif`` (the TF studies showed this training-evolution animation).
    """

    def __init__(self, images, nrow=10):
        self.images = images
        self.nrow = nrow

    def _folder(self, trainer):
        return os.path.join(trainer.out_dir, "images", "evolution") if trainer.writer else None

    def train_begin(self, trainer):
        trainer.evolution_frames = []
        folder = self._folder(trainer)
        if folder and os.path.isdir(folder):   # resumed: keep the frames of the completed epochs
            from PIL import Image
            done = {r["epoch"] for r in trainer.history if not r.get("event")}
            for name in sorted(os.listdir(folder)):
                if name.endswith(".png") and int(name[6:10]) in done:
                    trainer.evolution_frames.append(np.asarray(Image.open(os.path.join(folder, name))))

    def epoch_end(self, trainer, row):
        from .. import inference, viz
        if row.get("event"):
            return
        recon = inference.reconstruct(trainer.vae, self.images, ctx=trainer.ctx[0])
        frame = viz.image_grid(recon, nrow=self.nrow)
        trainer.evolution_frames.append(frame)
        folder = self._folder(trainer)
        if folder:
            from PIL import Image
            os.makedirs(folder, exist_ok=True)
            path = os.path.join(folder, f"epoch-{row['epoch']:04d}.png")
            with writing(path):
                Image.fromarray(frame).save(path)
