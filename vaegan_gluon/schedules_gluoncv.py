"""gluoncv where it serves: its learning-rate schedulers as ``lr_schedule`` kinds, and its seeding.

gluoncv 0.10.5 is imported lazily, through :func:`import_gluoncv`, never at package import: its
``__init__`` raises ``RuntimeError`` when torch >= 2 (or mxnet >= 2) is installed beside it, and it
swallows an ``ImportError`` of its MXNet half (then ``gluoncv.utils`` is missing). Both become one
clear error here.

LR schedules (``TrainConfig.lr_schedule``)::

    {"kind": "cosine"}                                   cosine from lr to target_lr (default 0)
    {"kind": "poly", "power": 2}                         polynomial decay
    {"kind": "gluoncv", "mode": "step", "step_epoch": [30, 60], "step_factor": 0.1}
    {"kind": "cosine", "warmup_epochs": 5}               linear warmup, then cosine

``mode`` is one of gluoncv's ``constant``, ``step``, ``linear``, ``poly``, ``cosine``. The Trainer
sets the lr once per epoch, at its beginning, so a scheduler runs with one update per epoch: epoch
``e`` (0-based) of the main part gets the curve's value at the fraction ``(e - W) / (epochs - W)``
of training (``W`` warmup epochs), i.e. the curve ends where training ends and no epoch is spent at
``target_lr``. Warmup epoch ``e`` gets ``lr * (e + 1) / W`` (gluoncv's ``linear`` mode from ``lr / W``
to ``lr``, composed with the main part by ``LRSequential``). ``epochs`` defaults to the run's
``n_epochs``.
"""
from .schedules_base import Schedule

__all__ = ["import_gluoncv", "GluonCVLR", "GLUONCV_LR_SCHEDULES", "gluoncv_seed", "GLUONCV_MODES"]

GLUONCV_MODES = ("constant", "step", "linear", "poly", "cosine")


_IMPORT_ERROR = None   # remembered: a failed import is not retried (seeding calls this every epoch)


def import_gluoncv():
    """``import gluoncv`` with a one-line error naming the cause and the fix (``RuntimeError``)."""
    global _IMPORT_ERROR
    if _IMPORT_ERROR is not None:
        raise RuntimeError(_IMPORT_ERROR)
    try:
        import gluoncv
    except Exception as err:   # noqa: BLE001  RuntimeError (torch >= 2), ImportError, mxnet's own failures
        _IMPORT_ERROR = (f"gluoncv cannot be imported ({type(err).__name__}: {err}); gluoncv 0.10.5 needs "
                         "a working mxnet<2 (`vaegan doctor`) and no torch>=2 beside it (`pip uninstall torch`); reinstall "
                         "with `pip install -c constraints.txt -e .[cpu]`")
        raise RuntimeError(_IMPORT_ERROR) from None
    if not hasattr(gluoncv, "utils"):
        _IMPORT_ERROR = ("gluoncv imported without its MXNet modules (its `import mxnet` failed silently): "
                         "check `python -c 'import mxnet'` (numpy must be 1.23.5; see README, Pins)")
        raise RuntimeError(_IMPORT_ERROR)
    return gluoncv


def gluoncv_seed(seed):
    """``gluoncv.utils.random.seed``: python ``random``, ``numpy.random`` and ``mxnet.random`` at once.

    numpy accepts seeds below 2**32 only, so the seed is taken modulo 2**32.
    """
    import_gluoncv().utils.random.seed(int(seed) % (2 ** 32))


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


#: kinds registered into :data:`vaegan_gluon.schedules.LR_SCHEDULES`
GLUONCV_LR_SCHEDULES = {c.kind: c for c in (GluonCVLR, CosineLR, PolyLR)}
