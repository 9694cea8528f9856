"""TensorBoard logs of a run (``vaegan run ... --tensorboard DIR``; ``run_experiment(..., tensorboard=DIR)``).

:class:`TensorBoardLogger` is a callback (the Gluon-estimator-shaped hooks of
:mod:`vaegan_gluon.train.callbacks`) that writes, with tensorboardX, at step = epoch (1-based):

* ``train/<column>``: every numeric column of ``training_statistics.csv`` (NaN cells are skipped,
  ``adv_on`` becomes 0/1), and the text columns ``phase`` / ``event`` as TensorBoard text;
* ``reconstructions``: the grid of the fixed validation reconstructions of that epoch (the frames of
  :class:`~vaegan_gluon.train.callbacks.EvolutionFrames`, whichever order the callbacks run in);
* ``metrics/<key>``: the run's final ``metrics.json`` numbers (:meth:`TensorBoardLogger.write_metrics`,
  called after evaluation), nested keys joined with ``/``; the whole file also as text.

A resumed run opens the same folder with ``purge_step`` = the first epoch it trains, so TensorBoard
drops the interrupted run's events from there on. Only the first worker of a distributed run writes.
:func:`read_events` reads an event file back (TFRecord framing, CRC-checked) without TensorBoard.
"""
import glob
import json
import math
import os
import struct
import time

from .callbacks import Callback

__all__ = ["TensorBoardLogger", "read_events", "event_files"]


def _summary_writer(logdir, purge_step=None):
    try:
        from tensorboardX import SummaryWriter
    except ImportError:
        raise RuntimeError("--tensorboard needs tensorboardX: `pip install -c constraints.txt tensorboardX` "
                           "(it is a dependency of vaegan_gluon: reinstall with `make install`)") from None
    # tensorboardX names a file by the second it opened it and the host: a second writer (a resume) in the
    # same second would truncate the first's file. A nanosecond suffix keeps both, and orders them by name
    # as TensorBoard reads them.
    return SummaryWriter(logdir=logdir, purge_step=purge_step, flush_secs=30,
                         filename_suffix=f".{time.time_ns()}")


def _number(v):
    """A float for TensorBoard, or None (strings, None, NaN, inf)."""
    if isinstance(v, bool):
        return float(v)
    if isinstance(v, (int, float)) and math.isfinite(v):
        return float(v)
    try:   # numpy scalars
        f = float(v)
        return f if math.isfinite(f) and not isinstance(v, str) else None
    except (TypeError, ValueError):
        return None


def _flatten(d, prefix=""):
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            yield from _flatten(v, key + "/")
        else:
            yield key, v


class TensorBoardLogger(Callback):
    """Write a run's epochs, reconstruction grids and final metrics to a TensorBoard folder ``logdir``."""

    def __init__(self, logdir):
        self.logdir = os.path.abspath(os.path.expanduser(str(logdir)))
        self.writer = None
        self.step = 0
        self._frames_at_begin = 0
        self._pending = None      # epoch whose frame is not written yet

    def train_begin(self, trainer):
        if not getattr(trainer, "writer", True):   # distributed: the first worker writes
            return
        done = [r for r in trainer.history if not r.get("event")]
        self.step = done[-1]["epoch"] if done else 0
        self.writer = _summary_writer(self.logdir, purge_step=self.step + 1 if self.step else None)
        if self.step == 0 and getattr(trainer, "run_config", None):
            self.writer.add_text("config", "```\n" + json.dumps(trainer.run_config, indent=1, sort_keys=True,
                                                                default=str) + "\n```", 0)
        self._frames_at_begin = len(getattr(trainer, "evolution_frames", None) or [])

    def _flush_frame(self, trainer):
        frames = getattr(trainer, "evolution_frames", None) or []
        if self._pending is not None and len(frames) > self._frames_at_begin:
            frame = frames[-1]
            self.writer.add_image("reconstructions", frame, self._pending,
                                  dataformats="HW" if frame.ndim == 2 else "HWC")
            self._pending = None
        self._frames_at_begin = len(frames)

    def epoch_begin(self, trainer, epoch, phase):
        if self.writer is not None:
            self._flush_frame(trainer)

    def epoch_end(self, trainer, row):
        if self.writer is None:
            return
        step = int(row["epoch"])
        columns = trainer.columns() if hasattr(trainer, "columns") else list(row)
        if row.get("event"):
            self.writer.add_text("train/event", str(row["event"]), step)
            return
        for k in columns:
            v = row.get(k)
            num = _number(v)
            if num is not None:
                self.writer.add_scalar(f"train/{k}", num, step)
            elif isinstance(v, str) and v:
                self.writer.add_text(f"train/{k}", v, step)
        self.step = step
        self._pending = step
        self._flush_frame(trainer)   # EvolutionFrames ran first: written now; else at the next hook
        self.writer.flush()

    def train_end(self, trainer):
        if self.writer is not None:
            self._flush_frame(trainer)
            self.writer.flush()

    def write_metrics(self, metrics, step=None):
        """The final metrics as ``metrics/<key>`` scalars at ``step`` (default: the last epoch); closes."""
        if self.writer is None:
            return
        step = self.step if step is None else step
        for k, v in _flatten(metrics or {}):
            num = _number(v)
            if num is not None:
                self.writer.add_scalar(f"metrics/{k}", num, step)
        self.writer.add_text("metrics", "```\n" + json.dumps(metrics, indent=1, sort_keys=True, default=str)
                             + "\n```", step)
        self.close()

    def close(self):
        if self.writer is not None:
            self.writer.close()
            self.writer = None


# ------------------------------------------------------------------------------------------ reading
def event_files(logdir):
    """The event files in ``logdir``, oldest first."""
    return sorted(glob.glob(os.path.join(logdir, "events.out.tfevents.*")), key=lambda p: (os.path.getmtime(p), p))


def read_events(path):
    """The ``Event`` protos of one event file (TFRecord: length, masked CRC32C, data, masked CRC32C)."""
    from tensorboardX.proto.event_pb2 import Event
    from tensorboardX.record_writer import masked_crc32c
    events = []
    with open(path, "rb") as f:
        while True:
            header = f.read(8)
            if not header:
                break
            (length,) = struct.unpack("Q", header)
            (hcrc,) = struct.unpack("I", f.read(4))
            data = f.read(length)
            (dcrc,) = struct.unpack("I", f.read(4))
            if hcrc != masked_crc32c(header) or dcrc != masked_crc32c(data):
                raise ValueError(f"{path}: corrupt record (CRC mismatch) after {len(events)} events")
            events.append(Event.FromString(data))
    return events
