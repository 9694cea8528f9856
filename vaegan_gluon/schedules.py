"""Things that change with epoch, step or history: one small object each.

Every schedule has ``state_dict()`` / ``load_state_dict(d)`` so checkpoints resume it exactly.
Adding a schedule touches only this file (and the config key that names it).
"""
import math

__all__ = ["PBPWeight", "DiscGate", "Schedule"]


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
    never gates.
    """

    def __init__(self, max_disc_loss=None):
        if max_disc_loss is not None and not max_disc_loss > 0:
            raise ValueError(f"max_disc_loss must be > 0 or None, got {max_disc_loss!r}")
        self.max_disc_loss = max_disc_loss

    def open(self, last_disc_loss):
        """True if the adversarial term is used this epoch, given last epoch's mean disc loss (or None)."""
        if self.max_disc_loss is None or last_disc_loss is None or math.isnan(last_disc_loss):
            return True
        return last_disc_loss <= self.max_disc_loss
