"""Run one experiment configuration end to end, one way: data -> models -> ``Trainer.fit`` -> pictures ->
``evaluation.evaluate(folder)`` -> ``report.write(folder)``.

An experiment configuration is a plain JSON-able dict::

    {"name": "mnist-vae-logreg",
     "data": {"source": "mnist-5k", "options": {}, "n_train": None, "n_val": None},
     "vae":  {"model": "DenseVAE", "n_latent": 5, "n_hidden_layers": 3, "n_hidden_units": 400},
     "disc": {"model": "DenseLogReg", "n_hidden_layers": 1, "n_hidden_units": 200},   # or None
     "train": {...TrainConfig fields...},
     "eval": {"n_samples": 64}}

The named experiments of the studies live in :mod:`vaegan_gluon.experiments.catalog`;
:func:`run_experiment` runs one by name (config from :mod:`.config`, folder from :mod:`.naming`).
"""
import contextlib
import copy
import json
import os
import shlex
import shutil
import signal
import sys
import time
from dataclasses import dataclass

import pandas as pd

from .. import report, runlock
from ..data import array_checksum, load
from ..distributed.worker import kvstore_info
from ..evaluation.folder import evaluate
from ..models import get_model
from ..train import EvolutionFrames, TrainConfig, Trainer
from ..train import checkpoint as ckpt
from ..train.fingerprint import fingerprint, resume_note
from ..utils import current_commit, read_json, read_json_object
from .config import default_scale, get_config, parse_overrides
from .naming import run_dir_for
from .pictures import draw_run_pictures


@dataclass
class RunResult:
    run_dir: str
    history: list
    metrics: dict      # None on distributed workers other than rank 0
    trainer: object


def load_run(run_dir):
    """A finished results folder as a :class:`RunResult` (``trainer`` is None)."""
    if not os.path.exists(os.path.join(run_dir, "metrics.json")):
        raise FileNotFoundError(f"{run_dir} holds no metrics.json: not a finished run")
    csv = os.path.join(run_dir, "training_statistics.csv")
    history = pd.read_csv(csv).to_dict("records") if os.path.exists(csv) else []
    return RunResult(run_dir, history, read_json(os.path.join(run_dir, "metrics.json")), None)


def load_data(config, data_path=None):
    """The (train, validation) ImageSets of a config; ``data_path`` swaps in the user's image folder."""
    d = config["data"]
    source, options = d["source"], dict(d.get("options") or {})
    if data_path:
        source = "image-folder"
        options = {k: v for k, v in options.items() if k in ("size", "mode")}
        options["path"] = data_path
    train = load(source, split="train", **options)
    val = load(source, split="test", **options)
    if d.get("n_train"):
        train = train.subset(int(d["n_train"]))
    if d.get("n_val"):
        val = val.subset(int(d["n_val"]))
    check_splits(train, val, data_path)
    return train, val


def check_splits(train, val, data_path=None):
    """Both splits hold images, checked before any training: the report scores the held-out split, so an
    empty one ended a trained run in an error (``--data`` with one image)."""
    if len(train) and len(val):
        return
    empty = "held-out" if len(train) else "training"
    if data_path:
        n = train.provenance.get("files_found", len(train) + len(val))
        raise ValueError(f"--data {data_path} holds {n} image{'s' if n != 1 else ''}: its {empty} split is "
                         "empty (80 % train, 20 % held out); give a folder with at least 2 images")
    raise ValueError(f"data source {train.provenance.get('source')!r}: the {empty} split is empty; "
                     "check data.n_train / data.n_val and the source's options")


def data_digests(train, val):
    """{"checksum": sha256 of the training images, "held_out_checksum": of the held-out ones} (float32
    arrays as trained and scored: :func:`vaegan_gluon.data.array_checksum`)."""
    return {"checksum": train.provenance.get("checksum") or array_checksum(train.images),
            "held_out_checksum": val.provenance.get("checksum") or array_checksum(val.images)}


def check_same_data(out_dir, provenance, allow_other_data=False):
    """A resume continues weights trained on the data its config.json records: other data (changed files,
    another folder of the same name, a changed cache) is refused in one line unless ``allow_other_data``
    (CLI ``--allow-other-data``); allowed, it is said on stderr and recorded as ``provenance["resumed_from"]``.
    A folder with no checkpoint and no metrics trained nothing yet: nothing to compare."""
    path = os.path.join(out_dir, "config.json")
    if not os.path.exists(path) or not (ckpt.has_checkpoints(os.path.join(out_dir, "checkpoints"))
                                        or os.path.exists(os.path.join(out_dir, "metrics.json"))):
        return
    saved = read_json_object(path).get("data")
    saved = (saved.get("provenance") if isinstance(saved, dict) else None) or {}
    changed = [k for k in ("checksum", "held_out_checksum") if saved.get(k) and saved[k] != provenance.get(k)]
    if not changed:
        return
    what = " and ".join({"checksum": "training", "held_out_checksum": "held-out"}[k] for k in changed)
    first = changed[0]
    detail = f"sha256 {str(saved[first])[:12]}... in {path}, {str(provenance.get(first))[:12]}... now"
    if not allow_other_data:
        raise ValueError(f"cannot resume {out_dir}: its {what} images are other data than the run was trained "
                         f"on ({detail}); resume on the same data, start a new results folder, or pass "
                         "--allow-other-data (allow_other_data=True) to continue on this data")
    provenance["resumed_from"] = {k: saved.get(k) for k in ("checksum", "held_out_checksum")}
    print(f"vaegan: warning: resuming {out_dir} on other data ({what} images: {detail}), as "
          "--allow-other-data asks", file=sys.stderr, flush=True)


def build_models(config, image_shape):
    vae_cfg = dict(config["vae"])
    vae = get_model(vae_cfg.pop("model"), image_shape=tuple(image_shape), **vae_cfg)
    disc = None
    if config.get("disc"):
        disc_cfg = dict(config["disc"])
        disc = get_model(disc_cfg.pop("model"), **disc_cfg)
    return vae, disc


def run(config, out_dir, ctx="cpu", resume=False, progress=True, callbacks=(), data_path=None, kvstore="device",
        data=None, allow_other_data=False):
    """Train and evaluate ``config``; write everything to ``out_dir``; return a :class:`RunResult`.

    ``data``: the ``(train, held-out)`` ImageSets when the caller loaded them (else :func:`load_data`);
    ``allow_other_data``: a resume may continue on other data than config.json records (:func:`check_same_data`).
    """
    config = copy.deepcopy(config)
    config.setdefault("commit", current_commit())   # the code that made the run (claims.json cites it)
    config["numerics"] = fingerprint(config, ctx)   # code + arithmetic switches: the board compares like with like
    note = resume_note(out_dir, config["numerics"]) if resume else None
    if note:
        print(f"vaegan: warning: {note}", file=sys.stderr, flush=True)
    t0 = time.time()
    train, val = data or load_data(config, data_path)
    config["data"]["provenance"] = {k: v for k, v in train.provenance.items()
                                    if isinstance(v, (str, int, float, bool)) or v is None}
    config["data"]["provenance"].update(data_digests(train, val))   # what the weights were trained on
    if resume:
        check_same_data(out_dir, config["data"]["provenance"], allow_other_data)
    if data_path:
        config["data"]["note"] = f"user image folder {data_path}"
    elif config["data"]["source"] == "synthetic-faces":
        config["data"]["note"] = "synthetic-faces: generated stand-in for the anime faces (pass --data PATH for yours)"
    vae, disc = build_models(config, train.image_shape)
    tcfg = TrainConfig.from_dict(config.get("train", {}))
    cbs = list(callbacks) + [EvolutionFrames(val.images[:10])]
    trainer = Trainer(vae, disc, tcfg, ctx=ctx, out_dir=out_dir, run_config=config, callbacks=cbs,
                      progress=progress, kvstore=kvstore)
    history = trainer.fit(train, resume=resume)
    if not trainer.writer:   # a distributed worker other than rank 0: rank 0 evaluates and reports
        trainer.release()
        return RunResult(out_dir, history, None, trainer)
    m = finish(trainer, train, val, out_dir, config, extra={"wall_seconds": round(time.time() - t0, 2),
                                                            "n_train_images": len(train),
                                                            "workers": trainer.num_workers})
    trainer.release()   # keep the networks for pictures, free optimiser states and gradients
    return RunResult(out_dir, history, m, trainer)


def finish(trainer, train, val, out_dir, config, extra=None):
    """After ``fit``: the final weights (atomically: a crash mid-write keeps the old ones), the pictures,
    ``metrics.json`` (:func:`vaegan_gluon.evaluation.folder.evaluate`) and the README report; returns the
    metrics."""
    for name, net in (("vae", trainer.vae), ("disc", trainer.disc)):
        if net is not None:
            final = os.path.join(out_dir, f"{name}.params")
            net.save_parameters(final + ".tmp")
            os.replace(final + ".tmp", final)
    seed = trainer.config.seed
    notes = draw_run_pictures(out_dir, trainer.vae, val, trainer.history, getattr(trainer, "evolution_frames", None),
                              seed=seed, ctx=trainer.ctx[0],
                              n_samples=(config.get("eval") or {}).get("n_samples", 64))
    m = evaluate(out_dir, trainer.vae, val, trainer.run_config, disc=trainer.disc, train=train,
                 history=trainer.history, ctx=trainer.ctx, seed=seed,
                 switch_params=os.path.join(out_dir, Trainer.SWITCH_PARAMS), extra={**(extra or {}), **notes})
    report.write(out_dir)
    return m


def _fmt_cli(v):
    return v if isinstance(v, str) else json.dumps(v)


def reproduce_command(name, scale, overrides=None, data_path=None, ctx="cpu", sweep=None):
    """The ``vaegan`` command line that reruns this experiment (stored in config.json and the report)."""
    if sweep:  # [sweep or experiment name] or [name, param, value, ...]
        words = ["vaegan", "sweep", sweep[0]] + [_fmt_cli(v) for v in sweep[1:]]
    else:
        words = ["vaegan", "run", name]
    words += ["--scale", scale]
    for k, v in (overrides or {}).items():
        words += ["--set", f"{k}={_fmt_cli(v)}"]
    if data_path:
        words += ["--data", str(data_path)]
    if ctx and str(ctx) != "cpu":
        words += ["--ctx", str(ctx)]
    return " ".join(shlex.quote(w) for w in words)


def _looks_like_run_dir(path):
    return any(os.path.exists(os.path.join(path, f))
               for f in ("config.json", "checkpoints", "metrics.json", ".vaegan.lock"))


def run_experiment(name, scale=None, overrides=None, data_path=None, ctx="cpu", resume=False,
                   results_root="results", progress=True, overwrite=False, keep_checkpoints=True,
                   run_dir=None, command=None, kvstore="device", tensorboard=None, isolate=False,
                   allow_other_data=False, seed=None, tensorboard_per_run=False):
    """Run the named experiment at ``scale`` and write its results folder.

    Parameters
    ----------
    name : str
        One of :func:`list_experiments` (for sweeps use :func:`run_sweep`).
    scale : {"quick", "medium", "full"} or None
        None: env ``VAEGAN_SCALE``, else ``medium`` (the notebooks' default; the CLI passes ``quick``).
    overrides : dict of dotted keys (``{"train.lr": 2e-4}``) or list of ``"key=value"`` strings.
    data_path : str, optional
        A folder of images to train on instead of the configured source (``--data``).
    ctx : ``"cpu"``, ``"gpu:0,1"``, a Context or a list of them.
    resume : continue from the folder's latest checkpoint (a finished run is only re-evaluated).
    overwrite : delete an existing results folder of the same name first.
    keep_checkpoints : False deletes ``checkpoints/`` after the run (the ConvVAEs' are GBs).
    run_dir : write here instead of :func:`run_dir_for`'s name.
    command : the reproducing command stored in config.json (default: the ``vaegan run`` line).
    kvstore : ``"device"`` (one machine) or ``"dist_sync"`` under ``vaegan launch``.
    tensorboard : a folder for TensorBoard logs (``--tensorboard DIR``): every CSV column and the
        reconstruction grid per epoch, the final metrics (:mod:`vaegan_gluon.train.tensorboard`);
        ``tensorboard_per_run``: in ``tensorboard/<run folder name>`` instead (a notebook's runs side by side).
    seed : an int sets ``train.seed`` unless ``overrides`` set it (a notebook's ``seed`` parameter).

    allow_other_data : a resume may continue on other data than the folder's config.json records
        (``--allow-other-data``); by default it is refused (:func:`check_same_data`).
    isolate : train in a fresh child process and read its folder back (``trainer`` is None). For
        notebooks that train several models in one kernel: MXNet 1.9.1 + oneDNN segfaults in the first
        forward of a ConvVAE(256, 16) after a ResNetDisc has run in the same process (measured: 32x32,
        batch 2; not with ``MXNET_MKLDNN_ENABLED=0``, not in the reverse order); a child process
        starts with a clean oneDNN state and gives its memory back when it ends.

    Returns
    -------
    RunResult ``(run_dir, history, metrics, trainer)``.
    """
    scale = scale or default_scale()
    if isinstance(overrides, (list, tuple)):
        overrides = parse_overrides(overrides)
    if seed is not None:   # a notebook's `seed` parameter: train.seed unless the overrides set it
        overrides = {**(overrides or {})}
        overrides.setdefault("train.seed", int(seed))
    if isolate:
        return _run_isolated(dict(name=name, scale=scale, overrides=overrides, data_path=data_path, ctx=ctx,
                                  resume=resume, results_root=results_root, progress=progress,
                                  overwrite=overwrite, keep_checkpoints=keep_checkpoints, run_dir=run_dir,
                                  command=command, kvstore=kvstore, tensorboard=tensorboard,
                                  allow_other_data=allow_other_data, tensorboard_per_run=tensorboard_per_run))
    config = get_config(name, scale, overrides)
    config["command"] = command or reproduce_command(name, scale, overrides, data_path, ctx)
    run_dir = run_dir or run_dir_for(config, results_root, data_path)
    check_results_path(run_dir)
    data = load_data(config, data_path)   # before the folder exists: a data problem leaves nothing behind
    first_process = kvstore_info()[0] == 0   # under `vaegan launch`, one worker cleans up
    overwrite = overwrite and not resume and os.path.isdir(run_dir) and first_process
    if overwrite and not _looks_like_run_dir(run_dir):
        raise ValueError(f"refusing to overwrite {run_dir}: it does not look like a results folder")
    # one run per folder: the lock is taken before anything in it is deleted (vaegan_gluon.runlock)
    with results_path_errors(run_dir), \
            runlock.hold(run_dir, command=config["command"]) if first_process else contextlib.nullcontext():
        if overwrite:
            runlock.clear_folder(run_dir)
        tb = None
        if tensorboard:
            from ..train.tensorboard import TensorBoardLogger
            tb = TensorBoardLogger(os.path.join(tensorboard, os.path.basename(os.path.normpath(run_dir)))
                                   if tensorboard_per_run else tensorboard)
        result = run(config, run_dir, ctx=ctx, resume=resume, progress=progress, data_path=data_path,
                     kvstore=kvstore, callbacks=[tb] if tb else (), data=data, allow_other_data=allow_other_data)
        if tb:
            tb.write_metrics(result.metrics)
        if not keep_checkpoints and result.trainer.writer:
            shutil.rmtree(os.path.join(run_dir, "checkpoints"), ignore_errors=True)
    return result


def _shown(path):
    """A path as text that prints anywhere: bytes that are not UTF-8 as ``\\xff`` escapes."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def check_results_path(run_dir):
    """A results path MXNet can write to: its files are opened through UTF-8 paths, so a name that is not
    valid UTF-8 failed at the first checkpoint ("'utf-8' codec can't encode ... surrogates")."""
    try:
        os.fsencode(run_dir).decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"--results: the results folder {_shown(run_dir)} is not valid UTF-8 (MXNet writes "
                         "its files through UTF-8 paths): choose a folder name in UTF-8") from None


@contextlib.contextmanager
def results_path_errors(run_dir):
    """The one place where an OS or encoding error while creating or writing the results folder becomes
    one line naming the path and the option (``--results``); other errors pass unchanged."""
    check_results_path(run_dir)
    root = os.path.abspath(run_dir)
    try:
        yield
    except UnicodeEncodeError as err:   # a path below run_dir that a writer cannot encode
        raise ValueError(f"--results: cannot write under {_shown(run_dir)} ({err.reason})") from None
    except (FileExistsError, FileNotFoundError, InterruptedError):
        raise   # "already holds checkpoints" / a missing input: their own messages say what to do
    except OSError as err:
        name = err.filename if err.filename is not None else ""
        inside = name != "" and os.path.abspath(os.fsdecode(name)).startswith(root)
        if not inside or not err.errno:
            raise
        raise type(err)(err.errno, f"--results: cannot write {_shown(name)} ({err.strerror}); free space or "
                                   f"fix the permissions of {_shown(run_dir)}, or choose another --results") from None


def _die_with_parent(parent):
    """Linux: ask the kernel to send this process SIGTERM when the process that started it dies (prctl
    PR_SET_PDEATHSIG), so a killed campaign leaves no orphan training beside its next run; the trainer then
    stops after the batch in hand, resumable. Elsewhere a no-op."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)   # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:          # the parent died before prctl took effect
        os.kill(os.getpid(), signal.SIGTERM)


def _child(kwargs, queue, parent=None):
    if parent is not None:
        _die_with_parent(parent)
    queue.put(run_experiment(**kwargs).run_dir)


def _run_isolated(kwargs):
    """:func:`run_experiment` in a spawned child process; its folder read back with ``load_run``.

    A SIGTERM to this process (the campaign stopped) is passed on to the child, and this process waits for
    it: the child stops after its batch in hand, resumable, and only then does this one raise
    ``TrainingStopped``, so no training outlives the process that holds the campaign's lock (a new campaign
    started at once would otherwise train beside it). kill -9 cannot be caught: the child then learns of it
    from the kernel (``_die_with_parent``)."""
    import multiprocessing as mp
    import threading

    from ..train.trainer import TrainingStopped
    spawn = mp.get_context("spawn")
    queue = spawn.Queue()
    child = spawn.Process(target=_child, args=(kwargs, queue, os.getpid()))
    child.start()
    stopped = []

    def forward(signum, frame):
        stopped.append(signum)
        if child.is_alive():
            os.kill(child.pid, signum)

    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, forward) if main else None
    try:
        child.join()
    finally:
        if main:
            signal.signal(signal.SIGTERM, previous)
    if stopped:
        raise TrainingStopped(f"{kwargs['name']}: stopped by SIGTERM; its training process stopped after the "
                              f"batch in hand (exit code {child.exitcode}); run again with resume=True to "
                              f"continue from its last checkpoint")
    if child.exitcode != 0:
        raise RuntimeError(f"{kwargs['name']}: the training process ended with exit code {child.exitcode} "
                           f"(negative: killed by that signal); rerun with resume=True to continue from "
                           f"its last checkpoint")
    return load_run(queue.get(timeout=60))
