"""Event hooks, shaped like Gluon's ``contrib.estimator`` event handlers (train/epoch/batch begin/end).

A callback is any object with some of these methods; the trainer calls the ones it finds:
``train_begin(trainer)``, ``epoch_begin(trainer, epoch, phase)``, ``batch_end(trainer, batch, n_batches)``,
``epoch_end(trainer, row)``, ``train_end(trainer)``. ``row`` is the statistics row just written to the CSV
(a dict). A notebook can plot live from ``epoch_end``.
"""
import sys

from tqdm.auto import tqdm


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
    """tqdm bar per epoch (renders in notebooks; in logs, updates at most every few seconds)."""

    def __init__(self, mininterval=None):
        interactive = hasattr(sys.stderr, "isatty") and sys.stderr.isatty()
        self.mininterval = mininterval if mininterval is not None else (0.5 if interactive else 10.0)
        self.bar = None

    def epoch_begin(self, trainer, epoch, phase):
        self.bar = tqdm(total=trainer.n_batches, desc=f"epoch {epoch + 1}/{trainer.config.n_epochs} {phase}",
                        mininterval=self.mininterval, leave=False, dynamic_ncols=True)

    def batch_end(self, trainer, batch, n_batches):
        self.bar.update(1)
        if trainer.running:
            self.bar.set_postfix({k: f"{v:.4g}" for k, v in trainer.running.items()}, refresh=False)

    def epoch_end(self, trainer, row):
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        keys = ("vae_loss", "pbp_loss", "kl", "adv_loss", "disc_loss", "disc_acc_real", "disc_acc_fake")
        parts = [f"{k}={row[k]:.4g}" for k in keys if isinstance(row.get(k), float) and row[k] == row[k]]
        tqdm.write(f"epoch {row['epoch']}/{trainer.config.n_epochs} [{row['phase']}] " + " ".join(parts)
                   + f" ({row['seconds']:.1f}s, {row['images_per_s']:.0f} img/s)" + (f" {row['event']}" if row.get("event") else ""))


class History(Callback):
    """Keeps the rows in memory (``trainer.history`` already does; this is for user-side live plots)."""

    def __init__(self):
        self.rows = []

    def epoch_end(self, trainer, row):
        self.rows.append(dict(row))


class EvolutionFrames(Callback):
    """After every epoch, reconstruct fixed validation images and keep the grid as a frame.

    The frames end up in ``trainer.evolution_frames`` and, in a results folder, in ``images/evolution.gif``
    (the TF studies showed this training-evolution animation).
    """

    def __init__(self, images, nrow=10):
        self.images = images
        self.nrow = nrow

    def train_begin(self, trainer):
        trainer.evolution_frames = []

    def epoch_end(self, trainer, row):
        from .. import metrics, viz
        if row.get("event"):
            return
        recon = metrics.reconstruct(trainer.vae, self.images, ctx=trainer.ctx[0])
        trainer.evolution_frames.append(viz.image_grid(recon, nrow=self.nrow))
