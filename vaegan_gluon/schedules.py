"""Things that change with epoch, step or history: one small object each, with ``state_dict()`` /
``load_state_dict(d)`` so checkpoints resume it exactly.

The PBP weight and its decay, the discriminator gate, learning-rate schedules (ours, the TF2 project's named
ones, and gluoncv's schedulers: ``{"kind": "cosine"}``, ``{"kind": "poly", "power": 2}``, ``{"kind": "gluoncv",
"mode": "step", "step_epoch": [30, 60]}``, ``{"kind": "cosine", "warmup_epochs": 5}``), linear decays. A
scheme's own schedule lives beside it (Larsen's equilibrium gate, AE-GAN's beta policies).

gluoncv's schedulers run once per epoch, at its beginning: epoch ``e`` of the main part gets the curve's value at
the fraction ``(e - W) / (epochs - W)`` of training (``W`` warmup epochs; warmup epoch ``e`` gets ``lr * (e + 1)
/ W``), so the curve ends where training ends. gluoncv itself is imported lazily
(:func:`vaegan_gluon.utils.import_gluoncv`).
"""
import math

from .utils import import_gluoncv

__all__ = ["Schedule", "PBPWeight", "DiscGate", "ConstantLR", "StepLR", "PlateauLR", "GluonCVLR", "CosineLR",
           "PolyLR", "make_lr_schedule", "TF2_LR_SCHEDULES", "GLUONCV_MODES", "LinearDecay"]


class Schedule:
    """Base: a value that depends on epoch counters and, optionally, on the history of epoch rows."""

    def state_dict(self):
        return {k: v for k, v in vars(self).items() if not k.startswith("_")}

    def load_state_dict(self, state):
        for k, v in state.items():
            setattr(self, k, v)


class PBPWeight(Schedule):
    """Pixel-by-pixel loss weight: ``initial * decay ** (n_combo_epochs_done // every)``.

    The original study multiplied the weight by 0.95 (or 0.9) every 25 *combo* epochs, so solo epochs do
    not count. ``decay=1`` is a constant weight.

    >>> w = PBPWeight(1.0, decay=0.5, every=2)
    >>> [w.value(c) for c in range(5)]
    [1.0, 1.0, 0.5, 0.5, 0.25]
    """

    def __init__(self, initial=1.0, decay=1.0, every=25):
        if initial < 0 or not math.isfinite(initial):
            raise ValueError(f"pbp_weight must be a finite number >= 0, got {initial!r}")
        if not 0 < decay <= 1:
            raise ValueError(f"pbp_decay must be in (0, 1], got {decay!r}")
        if int(every) < 1:
            raise ValueError(f"pbp_decay_every must be >= 1 combo epoch, got {every!r}")
        self.initial, self.decay, self.every = float(initial), float(decay), int(every)

    def value(self, n_combo_epochs_done):
        return self.initial * self.decay ** (int(n_combo_epochs_done) // self.every)


class DiscGate(Schedule):
    """The gate that ignores a bad discriminator.

    When the previous epoch's mean discriminator loss exceeds ``max_disc_loss``, the adversarial term is
    left out of the next epoch's VAE loss (the discriminator keeps training). ``max_disc_loss=None``
    never gates. A NaN loss closes the gate (as the original study's gate did); no
    measurement yet (``None``: the first combo epoch) leaves it open.
    """

    def __init__(self, max_disc_loss=None):
        if max_disc_loss is not None and not max_disc_loss > 0:
            raise ValueError(f"max_disc_loss must be > 0 or None, got {max_disc_loss!r}")
        self.max_disc_loss = max_disc_loss

    def open(self, last_disc_loss):
        """True if the adversarial term is used this epoch, given last epoch's mean disc loss (or None)."""
        if self.max_disc_loss is None or last_disc_loss is None:
            return True
        return last_disc_loss <= self.max_disc_loss   # False for NaN


# ----------------------------------------------------------------------------------- learning rates
class ConstantLR(Schedule):
    """``lr`` at every epoch (the TF2 VAE-GAN project's schedule 1: 5e-4)."""
    kind = "constant"

    def __init__(self, lr):
        if not lr > 0:
            raise ValueError(f"lr must be > 0, got {lr!r}")
        self.lr = float(lr)

    def begin_epoch(self, epoch, last_row=None):
        """The learning rate of ``epoch`` (0-based); ``last_row`` is the previous epoch's CSV row or None."""
        return self.lr


class StepLR(Schedule):
    """Multiply the lr by ``factor`` every ``step`` epochs (an int) or after each epoch listed in ``step``.

    A thin wrapper of MXNet's own :class:`mx.lr_scheduler.FactorScheduler` (int step; ``min_lr`` is its
    ``stop_factor_lr``) / :class:`~mx.lr_scheduler.MultiFactorScheduler` (list of epochs), counted in
    epochs: the lr of epoch ``e`` (0-based) has been decayed once for every boundary ``<= e``.

    >>> s = StepLR(1.0, step=2, factor=0.5)
    >>> [s.begin_epoch(e) for e in range(5)]
    [1.0, 1.0, 0.5, 0.5, 0.25]
    """
    kind = "step"

    def __init__(self, lr, step, factor=0.1, min_lr=1e-8):
        import mxnet as mx  # noqa: F401  (checked here so a bad config fails at construction)
        if isinstance(step, (list, tuple)):
            step = [int(s) for s in step]
            if not step or any(b <= a for a, b in zip(step, step[1:])) or step[0] < 1:
                raise ValueError(f"step epochs must be increasing ints >= 1, got {step!r}")
        elif int(step) < 1:
            raise ValueError(f"step must be >= 1 epoch, got {step!r}")
        else:
            step = int(step)
        if not 0 < factor <= 1:
            raise ValueError(f"factor must be in (0, 1], got {factor!r}")
        self.lr, self.step, self.factor, self.min_lr = float(lr), step, float(factor), float(min_lr)

    def begin_epoch(self, epoch, last_row=None):
        import mxnet as mx
        # a fresh scheduler per call: MXNet's are stateful counters, this keeps resume trivially exact.
        # MXNet decays when num_update > boundary, so epoch e is update e + 1.
        if isinstance(self.step, list):
            sched = mx.lr_scheduler.MultiFactorScheduler(step=self.step, factor=self.factor, base_lr=self.lr)
            return max(sched(int(epoch) + 1), self.min_lr)
        sched = mx.lr_scheduler.FactorScheduler(step=self.step, factor=self.factor, base_lr=self.lr,
                                                stop_factor_lr=self.min_lr)
        return sched(int(epoch) + 1)


class PlateauLR(Schedule):
    """Decay the lr when the monitored loss stops improving (the TF2 VAE-GAN project's schedules 2-4).

    After each epoch, the epoch's ``monitor`` value (a CSV column) is compared with the buffer of the
    last ``patience`` values: once the buffer is full, a value not lower than the buffer's minimum
    multiplies the lr by ``decay`` (never below ``min_lr``). Then the buffer is cleared
    (``keep_buffer=False``, schedules 2 and 3, so the next decay waits ``patience`` epochs again) or kept
    (``keep_buffer=True``, schedule 4, so the lr keeps decaying every epoch until the loss improves).
    The value is appended to the buffer either way (the newest ``patience`` values are kept).

    Difference from the project: it monitored its validation loss; the Trainer has no per-epoch
    validation pass, so this monitors a training statistic (default ``vae_loss``).

    >>> s = PlateauLR(1.0, decay=0.5, min_lr=0.1, patience=2)
    >>> [s.begin_epoch(e, {"vae_loss": v} if v else None) for e, v in enumerate([None, 3, 2, 2, 2, 2])]
    [1.0, 1.0, 1.0, 0.5, 0.5, 0.25]
    """
    kind = "plateau"

    def __init__(self, lr, decay=0.85, min_lr=1e-4, patience=10, keep_buffer=False, monitor="vae_loss"):
        if not 0 < decay < 1:
            raise ValueError(f"decay must be in (0, 1), got {decay!r}")
        if int(patience) < 1:
            raise ValueError(f"patience must be >= 1 epoch, got {patience!r}")
        if not 0 <= min_lr <= lr:
            raise ValueError(f"min_lr must be in [0, lr={lr}], got {min_lr!r}")
        self.initial, self.decay, self.min_lr = float(lr), float(decay), float(min_lr)
        self.patience, self.keep_buffer, self.monitor = int(patience), bool(keep_buffer), str(monitor)
        self.lr = self.initial
        self.buffer = []
        self.last_epoch = -1     # begin_epoch is idempotent per epoch (a NaN redo calls it again)
        self.n_decays = 0

    def begin_epoch(self, epoch, last_row=None):
        epoch = int(epoch)
        if epoch <= self.last_epoch:
            return self.lr
        self.last_epoch = epoch
        value = None if last_row is None else last_row.get(self.monitor)
        if value is None:
            return self.lr
        value = float(value)
        if not math.isfinite(value):
            return self.lr
        if len(self.buffer) >= self.patience and value >= min(self.buffer):
            self.lr = max(self.min_lr, self.lr * self.decay)
            self.n_decays += 1
            if not self.keep_buffer:
                self.buffer = []
        self.buffer = (self.buffer + [value])[-self.patience:]
        return self.lr


GLUONCV_MODES = ("constant", "step", "linear", "poly", "cosine")


class GluonCVLR(Schedule):
    """A gluoncv ``LRScheduler`` (optionally after a linear warmup, with ``LRSequential``), per epoch.

    >>> s = GluonCVLR(1.0, mode="cosine", n_epochs=4)
    >>> [round(s.begin_epoch(e), 4) for e in range(4)]
    [1.0, 0.8536, 0.5, 0.1464]
    >>> s = GluonCVLR(1.0, mode="cosine", n_epochs=6, warmup_epochs=2)
    >>> [round(s.begin_epoch(e), 4) for e in range(6)]
    [0.5, 1.0, 1.0, 0.8536, 0.5, 0.1464]
    """
    kind = "gluoncv"
    needs_n_epochs = True   # make_lr_schedule passes the run's n_epochs

    def __init__(self, lr, mode="cosine", n_epochs=None, epochs=None, target_lr=0.0, power=2.0,
                 step_epoch=None, step_factor=0.1, warmup_epochs=0):
        epochs = epochs if epochs is not None else n_epochs
        if mode not in GLUONCV_MODES:
            raise ValueError(f"gluoncv lr_schedule mode must be one of {list(GLUONCV_MODES)}, got {mode!r}")
        if not lr > 0:
            raise ValueError(f"lr must be > 0, got {lr!r}")
        if epochs is None or int(epochs) < 1:
            raise ValueError(f"gluoncv lr_schedule needs epochs >= 1 (the schedule's length; default "
                             f"train.n_epochs), got {epochs!r}")
        warmup_epochs = int(warmup_epochs)
        if not 0 <= warmup_epochs < int(epochs):
            raise ValueError(f"warmup_epochs must be in [0, epochs={epochs}), got {warmup_epochs!r}")
        if not 0 <= target_lr <= lr:
            raise ValueError(f"target_lr must be in [0, lr={lr}], got {target_lr!r}")
        if mode == "step":
            if not step_epoch or any(int(s) <= warmup_epochs for s in step_epoch):
                raise ValueError(f"mode 'step' needs step_epoch, a list of epochs > warmup_epochs "
                                 f"({warmup_epochs}), got {step_epoch!r}")
            step_epoch = [int(s) for s in step_epoch]
        if not 0 < step_factor <= 1:
            raise ValueError(f"step_factor must be in (0, 1], got {step_factor!r}")
        self.lr, self.mode, self.epochs, self.target_lr = float(lr), mode, int(epochs), float(target_lr)
        self.power, self.step_epoch, self.step_factor = float(power), step_epoch, float(step_factor)
        self.warmup_epochs = warmup_epochs
        self._scheduler()   # fail at construction (config validation) if gluoncv is unusable

    def _scheduler(self):
        """A fresh gluoncv scheduler (stateless from our side: resume needs no saved counter)."""
        utils = import_gluoncv().utils
        w = self.warmup_epochs
        main = utils.LRScheduler(self.mode, base_lr=self.lr, target_lr=self.target_lr,
                                 niters=self.epochs - w + 1, power=self.power,
                                 step_iter=[s - w for s in self.step_epoch] if self.step_epoch else None,
                                 step_factor=self.step_factor)
        if not w:
            return utils.LRSequential([main])
        warm = utils.LRScheduler("linear" if w > 1 else "constant", base_lr=self.lr / w, target_lr=self.lr,
                                 niters=w)
        return utils.LRSequential([warm, main])

    def begin_epoch(self, epoch, last_row=None):
        """The learning rate of ``epoch`` (0-based)."""
        return float(self._scheduler()(int(epoch)))


class CosineLR(GluonCVLR):
    kind = "cosine"

    def __init__(self, lr, **kwargs):
        super().__init__(lr, mode=kwargs.pop("mode", "cosine"), **kwargs)


class PolyLR(GluonCVLR):
    kind = "poly"

    def __init__(self, lr, **kwargs):
        super().__init__(lr, mode=kwargs.pop("mode", "poly"), **kwargs)


LR_SCHEDULES = {c.kind: c for c in (ConstantLR, StepLR, PlateauLR, GluonCVLR, CosineLR, PolyLR)}

#: The TF2 VAE-GAN project's four schedules, as ``TrainConfig(lr=5e-4, lr_schedule=...)`` values.
TF2_LR_SCHEDULES = {
    "constant": {"kind": "constant"},
    "plateau-0.85": {"kind": "plateau", "decay": 0.85, "min_lr": 1e-4, "patience": 10},
    "plateau-0.75": {"kind": "plateau", "decay": 0.75, "min_lr": 5e-6, "patience": 6},
    "plateau-0.6-keep": {"kind": "plateau", "decay": 0.6, "min_lr": 5e-6, "patience": 6, "keep_buffer": True},
}


def make_lr_schedule(spec, lr, n_epochs=None):
    """Build the schedule of ``TrainConfig.lr_schedule`` (``None`` -> None = constant ``lr``).

    ``spec`` is a dict ``{"kind": "constant" | "step" | "plateau", ...keyword arguments...}`` or a name of
    :data:`TF2_LR_SCHEDULES`; the initial lr is always ``TrainConfig.lr``. The Trainer multiplies every
    optimiser's base lr by ``schedule_lr / lr`` at each epoch begin.
    """
    if spec is None:
        return None
    if isinstance(spec, str):
        if spec not in TF2_LR_SCHEDULES:
            raise ValueError(f"unknown lr_schedule {spec!r}; named ones: {sorted(TF2_LR_SCHEDULES)}, "
                             f"or a dict with kind in {sorted(LR_SCHEDULES)}")
        spec = TF2_LR_SCHEDULES[spec]
    if not isinstance(spec, dict) or spec.get("kind") not in LR_SCHEDULES:
        raise ValueError(f"lr_schedule must be None, a name in {sorted(TF2_LR_SCHEDULES)} or a dict with "
                         f"'kind' in {sorted(LR_SCHEDULES)}; got {spec!r}")
    kwargs = {k: v for k, v in spec.items() if k != "kind"}
    try:
        cls = LR_SCHEDULES[spec["kind"]]
        if getattr(cls, "needs_n_epochs", False):   # gluoncv schedulers span the run
            kwargs.setdefault("n_epochs", n_epochs)
        return cls(lr, **kwargs)
    except TypeError as err:
        raise ValueError(f"bad lr_schedule {spec!r}: {err}") from None


class LinearDecay(Schedule):
    """``initial * max(0, 1 - epoch / epochs)``: e.g. the instance-noise stddev, annealed to 0.

    >>> [LinearDecay(0.2, 4).value(e) for e in range(6)]
    [0.2, 0.15, 0.1, 0.05, 0.0, 0.0]
    """

    def __init__(self, initial, epochs):
        if initial < 0 or int(epochs) < 1:
            raise ValueError(f"need initial >= 0 and epochs >= 1, got {initial!r}, {epochs!r}")
        self.initial, self.epochs = float(initial), int(epochs)

    def value(self, epoch):
        return round(self.initial * max(0.0, 1.0 - int(epoch) / self.epochs), 12)
