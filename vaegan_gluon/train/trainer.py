"""The Trainer: epochs, phases (solo then combo), schedules, statistics, checkpoints, callbacks.

What a step does is the scheme's business (:mod:`vaegan_gluon.train.schemes`); everything around it is
here. Host reads happen once per ``log_interval`` batches and once per epoch, never per batch.
"""
import contextlib
import csv
import io
import math
import os
import signal
import sys
import threading
import time

import numpy as np
from mxnet import gluon, nd

from ..schedules import DiscGate, PBPWeight, make_lr_schedule
from ..utils import atomic_write_bytes, parse_ctx, read_json_object, seed_everything, write_json
from . import checkpoint as ckpt
from .batches import as_array as _as_array, epoch_seed  # noqa: F401  (epoch_seed: public here too)
from .attribute_head import attribute_targets_of
from . import kvsync
from .callbacks import ProgressBar
from .config import TrainConfig, make_initializer
from .schemes import get_scheme, hybridize_kwargs
from ..fast.stat_sums import StatSums

BASE_COLUMNS = ["epoch", "phase", "vae_loss", "pbp_loss", "kl", "adv_loss", "disc_loss", "disc_acc_real",
                "disc_acc_fake", "pbp_weight", "disc_weight", "adv_on", "lr", "disc_lr", "seconds",
                "images_per_s", "event"]
TIMING_COLUMNS = ("seconds", "images_per_s")


class TrainingDiverged(RuntimeError):
    """Raised when ``max_nan_events`` epochs in a row produced a non-finite loss."""


class TrainingStopped(RuntimeError):
    """Raised by ``fit`` after a SIGTERM (or :meth:`Trainer.request_stop`): the batch in hand finished, then
    training stopped; the checkpoint of the last complete epoch holds the run, and ``resume=True`` continues
    from it bit for bit (the interrupted epoch is redone from its seed: MXNet 1.9.1 cannot save its random
    generators' state, so a mid-epoch checkpoint could not resume exactly)."""


class Trainer:
    """Train a VAE, alone or against a discriminator, with the scheme named in ``config.scheme``.

    Parameters
    ----------
    vae : HybridBlock following the VAE contract (``vae(x) -> (logits, mu, logvar)``, ``.variational``).
    disc : HybridBlock discriminator (``disc(x) -> logits (N, 1)``) or None for solo-only training.
    config : TrainConfig or dict.
    ctx : "cpu", "gpu:0,1", a Context or a list; batches are split across contexts.
    out_dir : results folder (checkpoints, CSV, config.json). None keeps everything in memory.
    run_config : extra JSON-able description of the run (models, data) stored in config.json.
    callbacks : objects with event hooks (see :mod:`vaegan_gluon.train.callbacks`).
    progress : show a tqdm progress bar.
    kvstore : gluon kvstore name ("device", "local", "dist_sync", ...).
    """

    def __init__(self, vae, disc=None, config=None, ctx="cpu", out_dir=None, run_config=None,
                 callbacks=(), progress=True, kvstore="device"):
        self.config = config if isinstance(config, TrainConfig) else TrainConfig.from_dict(config or {})
        self.vae, self.disc = vae, disc
        self.ctx = parse_ctx(ctx)
        self.out_dir = out_dir
        self.run_config = dict(run_config or {})
        self.callbacks = list(callbacks) + ([ProgressBar()] if progress else [])
        self.kvstore = kvstore
        # MXNet's own parameter server (started by `vaegan launch`): every worker takes its slice of each
        # global batch and only rank 0 writes the results folder. batch_size stays the *global* batch.
        self.kvsync = kvsync.create(kvstore)
        self.rank, self.num_workers = (self.kvsync.rank, self.kvsync.num_workers) if self.kvsync else (0, 1)
        self.history = []
        self.running = {}
        self.n_batches = 0
        self.lr_scale = 1.0
        self.nan_streak = 0
        self.restored_epoch = None   # the epoch whose checkpoint the NaN guard last restored
        self.pbp_schedule = PBPWeight(self.config.pbp_weight, self.config.pbp_decay, self.config.pbp_decay_every)
        self.gate = DiscGate(self.config.max_disc_loss)
        self.lr_schedule = make_lr_schedule(self.config.lr_schedule, self.config.lr, self.config.n_epochs)
        self.lr_factor = 1.0   # lr_schedule's lr / config.lr, multiplies the NaN guard's lr_scale
        self._prepared = False
        self._targets = None         # device (N, K) attribute targets (extra["attribute_weight"] > 0)
        self._stop_signal = None     # set by a SIGTERM during fit (request_stop): stop after the batch
        self.attribute_names = None  # their K column names

    # ------------------------------------------------------------------ set-up
    def _prepare(self):
        if self._prepared:
            return
        c = self.config
        seed_everything(c.seed)
        ctx0 = self.ctx[0]
        dummy = nd.zeros((2,) + tuple(self.vae.image_shape), ctx=ctx0)
        # Initialise and run one forward *now*, VAE first, so deferred shapes are resolved before any
        # epoch is seeded: the VAE gets the same weights with or without a discriminator.
        for net in (self.vae, self.disc):
            if net is None:
                continue
            net.initialize(make_initializer(c.initializer), ctx=self.ctx)
            if c.hybridize:
                net.hybridize(**hybridize_kwargs(c))   # static_alloc only: see schemes.HYBRIDIZE
            net(dummy)
        self.scheme = get_scheme(c.scheme)(self.vae, self.disc, c, self.ctx, self.kvstore, self.kvsync)
        if self.kvsync:
            for name, net in self.networks.items():
                if net is not None:
                    self.kvsync.broadcast_parameters(name, list(net.collect_params().values()))
        self._base_lrs = {k: o.learning_rate for k, o in self.scheme.optimizers.items()}
        nd.waitall()   # the initialisers' temporaries (a weight-sized array each) are freed before step 1
        self._prepared = True

    @property
    def networks(self):
        return {"vae": self.vae, "disc": self.disc}

    @property
    def checkpoint_dir(self):
        return os.path.join(self.out_dir, "checkpoints") if self.out_dir else None

    def _set_lr_scale(self, scale):
        self.lr_scale = scale
        for k, opt in self.scheme.optimizers.items():
            opt.set_learning_rate(self._base_lrs[k] * self.lr_factor * scale)

    def _lr_of(self, key):
        return self._base_lrs[key] * self.lr_factor * self.lr_scale

    def _apply_lr_schedule(self, epoch):
        """Epoch begin: the lr schedule's value (relative to config.lr) times the NaN guard's lr_scale."""
        if self.lr_schedule is None:
            return
        last = [r for r in self.history if not r.get("event")]
        self.lr_factor = self.lr_schedule.begin_epoch(epoch, last[-1] if last else None) / self.config.lr
        self._set_lr_scale(self.lr_scale)

    def _state(self):
        state = {"rows": self.history, "lr_scale": self.lr_scale, "nan_streak": self.nan_streak,
                 "schedules": {"pbp_weight": self.pbp_schedule.state_dict(), "gate": self.gate.state_dict()},
                 "seed": self.config.seed}
        if self.lr_schedule is not None:
            state["schedules"]["lr"] = self.lr_schedule.state_dict()
        state["scheme"] = self.scheme.state_dict()
        return state

    @property
    def writer(self):
        """Only one process writes the results folder (rank 0 of a distributed job)."""
        return self.out_dir is not None and self.rank == 0

    def _save_checkpoint(self, epoch):
        if self.checkpoint_dir and self.writer:
            ckpt.save_checkpoint(self.checkpoint_dir, epoch, self.networks, self.scheme.optimizers,
                                 self._state(), keep=self.config.keep_checkpoints)

    SWITCH_PARAMS = "vae.switch.params"

    def _save_switch_vae(self, epochs_done):
        """Keep the VAE as it is at the solo -> combo switch (after the last solo epoch) in the results
        folder as ``vae.switch.params``: the VAE trained alone, before any discriminator step. A reference
        trained with a discriminator is held to the convergence bar of a VAE alone with it
        (:func:`vaegan_gluon.report.finalize` scores it as ``metrics["at_switch"]``; see
        :mod:`vaegan_gluon.claims`)."""
        c = self.config
        if not (self.writer and self.disc is not None and 0 < c.n_solo_epochs < c.n_epochs
                and epochs_done == c.n_solo_epochs):
            return
        path = os.path.join(self.out_dir, self.SWITCH_PARAMS)
        self.vae.save_parameters(path + ".tmp")   # atomic, like the final weights
        os.replace(path + ".tmp", path)

    def _restore(self, path):
        state = ckpt.load_checkpoint(path, self.networks, self.scheme.optimizers, self.ctx)
        self.pbp_schedule.load_state_dict(state["schedules"]["pbp_weight"])
        self.gate.load_state_dict(state["schedules"]["gate"])
        if self.lr_schedule is not None and "lr" in state["schedules"]:
            self.lr_schedule.load_state_dict(state["schedules"]["lr"])
        if "scheme" in state:
            self.scheme.load_state_dict(state["scheme"])
        return state

    def release(self):
        """Free what only training needs (optimiser states, gradients); the networks stay usable.

        A notebook that runs several 200-450 M-parameter models in one kernel would otherwise keep
        four float32 copies of each (weights, gradients, two Adam moments) alive.
        """
        self.scheme = None
        self._prepared = False
        for net in self.networks.values():
            if net is not None:
                for p in net.collect_params().values():
                    if p.grad_req != "null":
                        p._vaegan_released = True   # still a trainable parameter (count_parameters)
                        p.grad_req = "null"

    # ------------------------------------------------------------------ I/O
    def columns(self):
        extra = [k for k in self.scheme.stat_keys if k not in BASE_COLUMNS]
        return BASE_COLUMNS[:-3] + extra + BASE_COLUMNS[-3:]

    def _write_csv(self):
        if not self.writer:
            return
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=self.columns(), extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        for row in self.history:
            w.writerow({k: ("" if v is None or (isinstance(v, float) and math.isnan(v)) else v)
                        for k, v in row.items()})
        atomic_write_bytes(os.path.join(self.out_dir, "training_statistics.csv"), buf.getvalue().encode())

    def _write_config(self):
        if self.writer:
            write_json(os.path.join(self.out_dir, "config.json"),
                       dict(self.run_config, train=self.config.to_dict()))

    # settings a resumed run may change (extend the run, log more or less often)
    RESUME_MAY_CHANGE = ("n_epochs", "log_interval", "keep_checkpoints", "max_nan_events")

    def _check_resumable(self):
        path = os.path.join(self.out_dir, "config.json")
        if not os.path.exists(path):
            return
        saved = read_json_object(path).get("train") or {}
        if not isinstance(saved, dict):
            raise ValueError(f"{path}: its train section is not an object of settings; restore it, or start "
                             "the run again with --overwrite")
        try:   # compare validated settings (an older config.json lists only the extra keys it set)
            saved = TrainConfig.from_saved(saved).to_dict()
        except (TypeError, ValueError):
            pass
        now = self.config.to_dict()
        diff = sorted(k for k in now if k in saved and saved[k] != now[k] and k not in self.RESUME_MAY_CHANGE)
        if diff:
            raise ValueError(f"cannot resume {self.out_dir}: training settings differ from the saved run "
                             + ", ".join(f"{k}: {saved[k]!r} -> {now[k]!r}" for k in diff)
                             + "; resume with the same settings or start a new results folder")

    def _call(self, hook, *args):
        for cb in self.callbacks:
            fn = getattr(cb, hook, None)
            if fn is not None:
                fn(self, *args)

    # ------------------------------------------------------------------ training
    def phase_of(self, epoch):
        return "solo" if (self.disc is None or epoch < self.config.n_solo_epochs) else "combo"

    def weights_for(self, epoch):
        """The weights in force in ``epoch`` (0-based), from the schedules and the last epoch's row."""
        n_combo_done = max(0, epoch - self.config.n_solo_epochs)
        phase = self.phase_of(epoch)
        last = [r for r in self.history if not r.get("event")]
        # the gate reads the last combo epoch's disc loss; after a solo epoch there is none (gate open)
        last_disc = last[-1].get("disc_loss") if last and last[-1].get("phase") != "solo" else None
        adv_on = phase == "combo" and self.gate.open(last_disc)
        # solo epochs of a run with a discriminator train KL + PBP (weight 1), as the original study did
        solo_before_combo = phase == "solo" and self.disc is not None
        return {"pbp_weight": 1.0 if solo_before_combo else self.pbp_schedule.value(n_combo_done),
                "disc_weight": self.config.disc_weight if adv_on else 0.0,
                "adv_on": adv_on}

    def _attribute_targets(self, train, n):
        """The (n, K) attribute targets when ``extra.attribute_weight > 0`` (:mod:`.attribute_head`), else None."""
        targets, names = attribute_targets_of(self.config, self.scheme, self.disc, train, n)
        self.attribute_names = names if targets is not None else self.attribute_names
        return targets

    def request_stop(self, signum=signal.SIGTERM):
        """Ask ``fit`` to stop after the batch in hand (:class:`TrainingStopped`); the SIGTERM handler."""
        self._stop_signal = signum

    @contextlib.contextmanager
    def _stop_on_sigterm(self):
        """SIGTERM -> :meth:`request_stop` while ``fit`` runs, where the process has not chosen its own handler
        (main thread, SIG_DFL) and this is not a distributed worker (the launcher stops those as a group)."""
        if (threading.current_thread() is not threading.main_thread() or self.num_workers > 1
                or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL):
            yield
            return
        old = signal.signal(signal.SIGTERM, lambda signum, frame: self.request_stop(signum))
        try:
            yield
        finally:
            signal.signal(signal.SIGTERM, old)

    def _check_stop(self, epoch, batch=None):
        if self._stop_signal is None:
            return
        where = f"in epoch {epoch + 1} after batch {batch + 1} of {self.n_batches}" if batch is not None \
            else f"before epoch {epoch + 1}"
        keep = (f"the checkpoint of epoch {epoch} in {self.checkpoint_dir} holds the run: continue with "
                "--resume (resume=True); the interrupted epoch is redone, bit for bit"
                if self.checkpoint_dir else "no results folder, so nothing to resume")
        raise TrainingStopped(f"stopped by {signal.Signals(self._stop_signal).name} {where}; {keep}")

    def fit(self, train, resume=False):
        """Train on ``train`` (ImageSet or (N, C, H, W) array in [0, 1]); returns the list of epoch rows.

        With ``extra["attribute_weight"] > 0``, ``train`` must be an ImageSet with an attribute table: its
        target matrix stays on device beside the images and each batch's rows reach the scheme as
        the batch's ``"attributes"`` (one array per context).
        """
        c = self.config
        images = _as_array(train)
        if tuple(images.shape[1:]) != tuple(self.vae.image_shape):
            raise ValueError(f"training images have shape {images.shape[1:]} but the VAE expects "
                             f"{tuple(self.vae.image_shape)}: build the model with image_shape={images.shape[1:]}")
        self._prepare()
        targets = self._attribute_targets(train, images.shape[0])   # checked before the folder is touched
        start = 0
        if self.out_dir:
            if self.writer:
                os.makedirs(self.out_dir, exist_ok=True)
            last = ckpt.has_checkpoints(self.checkpoint_dir)
            if resume and last:
                self._check_resumable()
                # the newest intact checkpoint; a skipped broken one is said in one line and an event row
                _, state, note = ckpt.restore_newest(self.checkpoint_dir, self._restore,
                                                     required=("rows", "nan_streak", "lr_scale"))
                self.history = state["rows"]
                self.nan_streak = state["nan_streak"]
                self._set_lr_scale(state["lr_scale"])
                start = state["epoch"]
                self._save_switch_vae(start)   # a crash between the switch's checkpoint and its VAE file
                if note:
                    print(f"vaegan: warning: {note}", file=sys.stderr, flush=True)
                    row = dict.fromkeys(self.columns(), float("nan"))
                    row.update(epoch=start, phase=self.phase_of(max(start - 1, 0)), adv_on=False, event=note)
                    self.history.append(row)
                # the CSV as the checkpoint holds it: a full disk at the CSV write after the last checkpoint
                # left it a row short, and a resume with every epoch done would not write it again
                self._write_csv()
            elif resume and self.writer:
                finished = ckpt.load_finished(self.out_dir, self.networks, c.n_epochs, self.ctx)
                if finished is not None:   # re-evaluate a finished run from its final parameters
                    print(f"vaegan: resume: {self.out_dir} finished its {len(finished)} epochs and keeps no "
                          "checkpoint: re-evaluated from its final parameters", file=sys.stderr, flush=True)
                    self.history = finished
                    return self.history
                ckpt.check_nothing_lost(self.out_dir)   # statistics but no checkpoint: never a silent restart
            elif last and not resume and self.writer:
                # the writer decides (a worker that starts late sees the writer's own fresh checkpoint 0
                # here: seen as a failed dist_sync test on a loaded machine); if it raises, the launcher
                # stops the other workers
                raise FileExistsError(f"{self.out_dir} already holds checkpoints of a run: pass resume=True "
                                      "(CLI: --resume) to continue it, or choose another results folder")
            self._write_config()
            if start == 0:
                self._save_checkpoint(0)   # the state a NaN in the first epoch restores
        data = nd.array(images, ctx=self.ctx[0])
        n = data.shape[0]
        self._targets = None if targets is None else nd.array(targets, ctx=self.ctx[0])
        bs = min(c.batch_size, n)
        # a distributed run drops the last short batch so that every worker gets a slice of each batch
        self.n_batches = n // bs if self.num_workers > 1 else int(math.ceil(n / bs))
        self._call("train_begin")
        epoch = start
        with self._stop_on_sigterm():
            while epoch < c.n_epochs:
                self._check_stop(epoch)
                row = self._run_epoch(epoch, data, n, bs)
                if row.get("event"):
                    epoch = self.restored_epoch   # NaN: restored (that epoch's end), lr halved; train on from there
                    continue
                epoch += 1
        self._call("train_end")
        return self.history

    def _run_epoch(self, epoch, data, n, bs):
        c = self.config
        phase = self.phase_of(epoch)
        weights = self.weights_for(epoch)
        # The batch order is the same on every worker (seeded without the rank); each worker takes its
        # slice of every global batch, so a distributed run sees the batches of a single-device run.
        perm = nd.array(np.random.RandomState(epoch_seed(c.seed, epoch)).permutation(n), ctx=self.ctx[0],
                        dtype="int64")
        seed_everything(epoch_seed(c.seed, epoch, self.rank))
        self._apply_lr_schedule(epoch)
        self.scheme.epoch_begin(epoch, phase)
        self._call("epoch_begin", epoch, phase)
        sums, self.running = StatSums(fold_every=32 if c.fast else 1), {}
        t0 = time.time()
        seen, bad_batch = 0, None
        for b in range(self.n_batches):
            idx = perm[b * bs:min(n, (b + 1) * bs)]
            if self.num_workers > 1:
                part = idx.shape[0] // self.num_workers
                idx = idx[self.rank * part:(self.rank + 1) * part]
            x = nd.take(data, idx)
            xs = gluon.utils.split_and_load(x, self.ctx, even_split=False) if len(self.ctx) > 1 else [x]
            batch = {"x": xs, "attributes": None}
            if self._targets is not None:   # the batch's attribute targets, split like the images
                t = nd.take(self._targets, idx)
                batch["attributes"] = (gluon.utils.split_and_load(t, self.ctx, even_split=False)
                                       if len(self.ctx) > 1 else [t])
            sums.add(self.scheme.step(batch, phase, weights))
            seen += x.shape[0]
            if (b + 1) % c.log_interval == 0 or b + 1 == self.n_batches:
                totals, count = self._read(sums.fold(), seen)
                self.running = {k: v / count for k, v in totals.items()}
                if not all(math.isfinite(v) for v in self.running.values()):
                    bad_batch = b
                    self._call("batch_end", b, self.n_batches)
                    break
            self._call("batch_end", b, self.n_batches)
            self._check_stop(epoch, b)
        seconds = time.time() - t0
        totals, count = self._read(sums.fold(), seen)
        means = {k: v / count for k, v in totals.items()}
        row = {"epoch": epoch + 1, "phase": phase, "pbp_weight": weights["pbp_weight"],
               "disc_weight": weights["disc_weight"], "adv_on": weights["adv_on"],
               "lr": self._lr_of(self.scheme.main_optimizer),
               "disc_lr": self._lr_of("disc") if "disc" in self._base_lrs else None,
               "seconds": round(seconds, 3), "event": "",
               "images_per_s": round(count / max(seconds, 1e-9), 1)}  # over all workers
        for k in self.columns():
            row.setdefault(k, float("nan"))
        row.update(means)
        if bad_batch is None and not (all(math.isfinite(v) for v in means.values())
                                      and ckpt.all_finite(self.networks)):   # never checkpoint a NaN weight
            bad_batch = self.n_batches - 1
        if bad_batch is not None:
            self._handle_nan(row, epoch, bad_batch)
        else:
            self.nan_streak = 0
            self.history.append(row)
            self._save_checkpoint(epoch + 1)
            self._save_switch_vae(epoch + 1)
            self._write_csv()
        self._call("epoch_end", row)
        return row

    def _read(self, sums, seen):
        """Host values of the device sums (one read), summed over workers in a distributed run."""
        keys = sorted(sums)
        values = [float(sums[k].asscalar()) for k in keys] + [float(seen)]
        if self.kvsync is not None:   # every worker gets the same numbers, so all take the same decisions
            values = self.kvsync.allreduce_values("epoch", values)
        return dict(zip(keys, values[:-1])), values[-1]

    def _handle_nan(self, row, epoch, batch):
        """A non-finite loss or weight in ``epoch`` (0-based): restore the newest *intact* checkpoint, halve
        the learning rates, and say which checkpoint was restored -- in the event row and in one line on
        stderr. When the newest checkpoint is broken (truncated, say) an older one is restored: the row names
        the epoch actually restored and ``restored_epoch`` is where training goes on (later epochs again)."""
        self.nan_streak += 1
        what = f"non-finite loss at batch {batch + 1}"
        count = f"(event {self.nan_streak} of {self.config.max_nan_events})"
        if self.nan_streak >= self.config.max_nan_events:
            row["event"] = f"{what}: training stopped {count}"
            self.history.append(row)
            self._write_csv()
            disc_lr = f" or disc_lr (now {row['disc_lr']:.3g})" if row.get("disc_lr") is not None else ""
            raise TrainingDiverged(f"{self.nan_streak} epochs in a row produced non-finite losses (last: epoch "
                                   f"{epoch + 1}, batch {batch + 1}); lower lr (now {row['lr']:.3g}){disc_lr} "
                                   "or check the data. "
                                   + (f"Statistics: {self.out_dir}/training_statistics.csv" if self.out_dir else ""))
        if not (self.checkpoint_dir and ckpt.has_checkpoints(self.checkpoint_dir)):
            raise TrainingDiverged(f"non-finite loss at epoch {epoch + 1}, batch {batch + 1}, and no checkpoint to "
                                   "restore (set out_dir to enable the NaN guard's restore)")
        rows = self.history
        path, state, note = ckpt.restore_newest(self.checkpoint_dir, self._restore)
        self.restored_epoch = int(state["epoch"])
        # the epochs after the restored one are trained again: their rows go, the event rows stay
        self.history = [r for r in rows if r.get("event") or int(r["epoch"]) <= self.restored_epoch]
        skipped = f" ({note.split('; resumed from')[0].replace('resume: ', '')})" if note else ""
        row["event"] = (f"{what}: restored the epoch-{self.restored_epoch} checkpoint{skipped}, "
                        f"learning rates halved {count}")
        self.history.append(row)
        self._write_csv()
        self._set_lr_scale(self.lr_scale * 0.5)
        if self.writer:
            print(f"vaegan: warning: epoch {epoch + 1}: {row['event']} [{path}]", file=sys.stderr, flush=True)
