"""Run one experiment configuration end to end: data -> models -> Trainer -> results folder.

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
import sys
import time
from dataclasses import dataclass

from ..data import load
from ..models import get_model
from ..report import finalize
from ..train import EvolutionFrames, TrainConfig, Trainer
from .config import default_scale, get_config, parse_overrides
from .naming import run_dir_for


@dataclass
class RunResult:
    run_dir: str
    history: list
    metrics: dict      # None on distributed workers other than rank 0
    trainer: object


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
    return train, val


def build_models(config, image_shape):
    vae_cfg = dict(config["vae"])
    vae = get_model(vae_cfg.pop("model"), image_shape=tuple(image_shape), **vae_cfg)
    disc = None
    if config.get("disc"):
        disc_cfg = dict(config["disc"])
        disc = get_model(disc_cfg.pop("model"), **disc_cfg)
    return vae, disc


def run(config, out_dir, ctx="cpu", resume=False, progress=True, callbacks=(), data_path=None, kvstore="device"):
    """Train and evaluate ``config``; write everything to ``out_dir``; return a :class:`RunResult`."""
    config = copy.deepcopy(config)
    from ..utils import current_commit
    config.setdefault("commit", current_commit())   # the code that made the run (claims.json cites it)
    from ..train.fingerprint import fingerprint, resume_note
    config["numerics"] = fingerprint(config, ctx)   # code + arithmetic switches: the board compares like with like
    note = resume_note(out_dir, config["numerics"]) if resume else None
    if note:
        print(f"vaegan: warning: {note}", file=sys.stderr, flush=True)
    t0 = time.time()
    train, val = load_data(config, data_path)
    config["data"]["provenance"] = {k: v for k, v in train.provenance.items()
                                    if isinstance(v, (str, int, float, bool)) or v is None}
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
    eval_cfg = config.get("eval") or {}
    m = finalize(trainer, val, out_dir, n_samples=eval_cfg.get("n_samples", 64),
                 extra_metrics={"wall_seconds": round(time.time() - t0, 2), "n_train_images": len(train),
                                "workers": trainer.num_workers}, train=train)
    trainer.release()   # keep the networks for pictures, free optimiser states and gradients
    return RunResult(out_dir, history, m, trainer)


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
                   run_dir=None, command=None, kvstore="device", tensorboard=None, isolate=False):
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
        reconstruction grid per epoch, the final metrics (:mod:`vaegan_gluon.train.tensorboard`).

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
    from ..notebook_params import session_defaults   # a notebook's parameters cell (papermill)
    ctx, data_path, resume, tensorboard, overrides, tb_per_run = session_defaults(ctx, data_path, resume,
                                                                                  tensorboard, overrides)
    if isolate:
        return _run_isolated(dict(name=name, scale=scale, overrides=overrides, data_path=data_path, ctx=ctx,
                                  resume=resume, results_root=results_root, progress=progress,
                                  overwrite=overwrite, keep_checkpoints=keep_checkpoints, run_dir=run_dir,
                                  command=command, kvstore=kvstore, tensorboard=tensorboard))
    config = get_config(name, scale, overrides)
    config["command"] = command or reproduce_command(name, scale, overrides, data_path, ctx)
    run_dir = run_dir or run_dir_for(config, results_root, data_path)
    from ..distributed import kvstore_info
    first_process = kvstore_info()[0] == 0   # under `vaegan launch`, one worker cleans up
    overwrite = overwrite and not resume and os.path.isdir(run_dir) and first_process
    if overwrite and not _looks_like_run_dir(run_dir):
        raise ValueError(f"refusing to overwrite {run_dir}: it does not look like a results folder")
    # one run per folder: the lock is taken before anything in it is deleted (vaegan_gluon.runlock)
    from .. import runlock
    with runlock.hold(run_dir, command=config["command"]) if first_process else contextlib.nullcontext():
        if overwrite:
            runlock.clear_folder(run_dir)
        tb = None
        if tensorboard:
            from ..train.tensorboard import TensorBoardLogger
            tb = TensorBoardLogger(os.path.join(tensorboard, os.path.basename(os.path.normpath(run_dir)))
                                   if tb_per_run else tensorboard)
        result = run(config, run_dir, ctx=ctx, resume=resume, progress=progress, data_path=data_path,
                     kvstore=kvstore, callbacks=[tb] if tb else ())
        if tb:
            tb.write_metrics(result.metrics)
        if not keep_checkpoints and result.trainer.writer:
            shutil.rmtree(os.path.join(run_dir, "checkpoints"), ignore_errors=True)
    return result


def _child(kwargs, queue):
    queue.put(run_experiment(**kwargs).run_dir)


def _run_isolated(kwargs):
    """:func:`run_experiment` in a spawned child process; its folder read back with ``load_run``."""
    import multiprocessing as mp
    from .tables import load_run
    spawn = mp.get_context("spawn")
    queue = spawn.Queue()
    child = spawn.Process(target=_child, args=(kwargs, queue))
    child.start()
    child.join()
    if child.exitcode != 0:
        raise RuntimeError(f"{kwargs['name']}: the training process ended with exit code {child.exitcode} "
                           f"(negative: killed by that signal); rerun with resume=True to continue from "
                           f"its last checkpoint")
    return load_run(queue.get(timeout=60))
