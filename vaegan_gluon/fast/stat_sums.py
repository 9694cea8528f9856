"""Device sums of a scheme's per-step statistics, added lazily.

:meth:`Scheme.step <vaegan_gluon.train.schemes.Scheme.step>` returns its statistics as ``(1,)`` device
arrays; an epoch needs their sums. Adding them as they come is one ``+`` per statistic per step -- seven
operators a combo step, each costing the engine as much as a small layer on the dense models. Here the
arrays wait in a list and are added in one ``add_n`` per statistic every ``fold_every`` steps and before
every read. The sums agree with the step-by-step ``+`` to float32 rounding, not bit for bit (MXNet's
``add_n`` runs oneDNN's sum, which adds in its own order): these are the statistics the CSV reports, not
anything training reads. Written by hand: a running sum of NDArrays is no library's business.
"""
from mxnet import nd

__all__ = ["StatSums"]


class StatSums:
    """``add(stats)`` each step; :meth:`fold` -> ``{name: (1,) device sum}``; :meth:`read` -> host floats."""

    def __init__(self, fold_every=32):
        if fold_every < 1:
            raise ValueError(f"fold_every must be >= 1, got {fold_every!r}")
        self.fold_every = fold_every
        self._sums, self._pending, self._steps = {}, {}, 0

    def add(self, stats):
        """One step's ``{name: (1,) device array}`` (kept by reference until the next fold)."""
        for k, v in stats.items():
            self._pending.setdefault(k, []).append(v)
        self._steps += 1
        if self._steps >= self.fold_every:
            self.fold()

    def fold(self):
        """Add what waits into the sums (one ``add_n`` per statistic); returns ``{name: (1,) device sum}``."""
        for k, values in self._pending.items():
            arrays = ([self._sums[k]] if k in self._sums else []) + values
            self._sums[k] = arrays[0] if len(arrays) == 1 else nd.add_n(*arrays)
        self._pending, self._steps = {}, 0
        return dict(self._sums)

    def read(self):
        """``{name: float}``: the sums on the host (one read per statistic)."""
        return {k: float(v.asscalar()) for k, v in self.fold().items()}

    def __bool__(self):
        return bool(self._sums or self._pending)
