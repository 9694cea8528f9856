"""Named experiments of the study, run by name at a scale; sweeps over one hyperparameter.

>>> from vaegan_gluon.experiments import list_experiments, get_config, run_experiment, run_sweep
>>> result = run_experiment("mnist-vae-logreg", scale="quick")          # -> RunResult
>>> summary, plot = run_sweep("sweep-disc-weight", scale="quick")        # -> (DataFrame, png path)

The experiments and their scales live as data in :mod:`.registry`; a run writes one results folder
(:func:`.registry.run_dir_for` documents its name). :func:`show_run` and :func:`show_sweep` display a
run's or a sweep's pictures and metrics in a notebook (every notebook in ``notebooks/`` uses them).
"""
import contextlib
import os
import shlex
import shutil

import pandas as pd

from .registry import (DEFAULT_CLI_SCALE, DEFAULT_NOTEBOOK_SCALE, EXPERIMENTS, SCALES, SWEEPS, apply_overrides,
                       default_scale, get_config, list_experiments, list_sweeps, parse_overrides, parse_value,
                       run_dir_for, run_name, sweep_configs, valid_keys, validate_config)
from .runner import RunResult, run

__all__ = ["list_experiments", "list_sweeps", "get_config", "run_experiment", "run_sweep", "run_dir_for",
           "run_name", "parse_overrides", "parse_value", "load_run", "show_run", "show_sweep", "metrics_table",
           "default_scale", "sweep_configs", "validate_config", "apply_overrides", "valid_keys", "reproduce_command",
           "EXPERIMENTS", "SWEEPS", "SCALES", "DEFAULT_CLI_SCALE", "DEFAULT_NOTEBOOK_SCALE", "RunResult", "run",
           "METRIC_COLUMNS"]

# the held-out numbers every table shows (see vaegan_gluon.metrics for units)
METRIC_COLUMNS = ("recon_bce", "recon_mse", "neg_elbo", "kl", "fid_recon", "fid_samples", "blur_data",
                  "blur_recon", "blur_samples", "disc_acc_real", "disc_acc_fake", "train_seconds", "train_images_per_s")


def _fmt_cli(v):
    import json
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
                   run_dir=None, command=None, kvstore="device", tensorboard=None):
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


def load_run(run_dir):
    """A finished results folder as a :class:`RunResult` (``trainer`` is None)."""
    from ..utils import read_json
    if not os.path.exists(os.path.join(run_dir, "metrics.json")):
        raise FileNotFoundError(f"{run_dir} holds no metrics.json: not a finished run")
    csv = os.path.join(run_dir, "training_statistics.csv")
    history = pd.read_csv(csv).to_dict("records") if os.path.exists(csv) else []
    return RunResult(run_dir, history, read_json(os.path.join(run_dir, "metrics.json")), None)


def _flat_metrics(m, columns=METRIC_COLUMNS):
    row = {k: m.get(k) for k in columns if k in m}
    for net, counts in (m.get("parameters") or {}).items():
        row[f"{net}_parameters"] = counts.get("total")
    return row


def metrics_table(results, columns=METRIC_COLUMNS):
    """One row per run: ``results`` is ``{label: RunResult or results folder}`` or a list of them."""
    if not isinstance(results, dict):
        results = {os.path.basename(os.path.normpath(_run_dir(r))): r for r in results}
    rows = {}
    for label, r in results.items():
        m = r.metrics if isinstance(r, RunResult) else load_run(r).metrics
        rows[label] = _flat_metrics(m, columns)
    return pd.DataFrame.from_dict(rows, orient="index")


def results_markdown(run_dirs, thumbnail_dir=None, thumbnail_width=360, link_root="."):
    """A markdown table, one row per finished run: key metrics, a thumbnail, the reproducing command.

    ``thumbnail_dir``: where small copies of each run's ``reconstructions.png`` are written (the
    README's table points there). Used to build the README's results table.
    """
    from PIL import Image
    from ..utils import read_json
    head = ("| experiment | scale | recon BCE | neg. ELBO | FID recon / samples | blur recon / data | "
            "disc acc real / fake | "
            "img/s | reconstructions | command |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for d in run_dirs:
        cfg, m = read_json(os.path.join(d, "config.json")), read_json(os.path.join(d, "metrics.json"))
        f = lambda k, fmt="{:.4g}": "" if m.get(k) is None else fmt.format(m[k])  # noqa: E731
        thumb = ""
        src = os.path.join(d, "images", "reconstructions.png")
        if thumbnail_dir and os.path.exists(src):
            os.makedirs(thumbnail_dir, exist_ok=True)
            name = f"{cfg['name']}_{os.path.basename(os.path.normpath(d))}.png"
            im = Image.open(src)
            im.thumbnail((thumbnail_width, thumbnail_width))
            im.save(os.path.join(thumbnail_dir, name), optimize=True)
            thumb = f"![{cfg['name']}]({os.path.relpath(os.path.join(thumbnail_dir, name), link_root)})"
        acc = f"{f('disc_acc_real', '{:.2f}')} / {f('disc_acc_fake', '{:.2f}')}" if "disc_acc_real" in m else ""
        overrides = _changed_overrides(cfg)
        label = f"`{cfg['name']}`" + "".join(f" `{k}={v}`" for k, v in overrides.items())
        command = cfg.get("command", "")
        if command.startswith("vaegan sweep"):   # this one run of the sweep, on its own
            command = reproduce_command(cfg["name"], cfg.get("scale", "full"), overrides)
        lines.append(f"| {label} ({os.path.basename(os.path.normpath(d))}) | {cfg.get('scale', '')} | {f('recon_bce')} | {f('neg_elbo')} | "
                     f"{f('fid_recon', '{:.1f}')} / {f('fid_samples', '{:.1f}')} | "
                     f"{f('blur_recon', '{:.0f}')} / {f('blur_data', '{:.0f}')} | {acc} | "
                     f"{f('train_images_per_s', '{:.0f}')} | {thumb} | `{command}` |")
    return "\n".join(lines)


def _changed_overrides(cfg):
    """The overrides of a stored config that differ from its experiment's registry values (a sweep's
    baseline run, e.g. ``train.n_solo_epochs=0``, changes nothing and is shown without it)."""
    overrides = cfg.get("overrides") or {}
    try:
        base = get_config(cfg["name"], cfg.get("scale", "full"))
    except (KeyError, ValueError):   # not a registered experiment: show them all
        return overrides
    from ..train import TrainConfig
    base = {**base, "train": {**TrainConfig().to_dict(), **base.get("train", {})}}   # unset = default
    changed = {}
    for key, value in overrides.items():
        node = base
        for part in key.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if node != value:
            changed[key] = value
    return changed


def _run_dir(r):
    return r.run_dir if isinstance(r, RunResult) else str(r)


RUN_PICTURES = ("reconstructions.png", "samples.png", "loss_curves.png", "interpolation.png")


# Notebooks are committed with their outputs: a noisy 64x64-face grid is 200-350 kB as PNG and a
# third of that as a quality-90 JPEG, so large pictures are embedded as JPEG (the files stay PNG).
NOTEBOOK_PNG_MAX_BYTES = 120_000


def compact_picture(png_bytes, max_png_bytes=NOTEBOOK_PNG_MAX_BYTES, quality=90):
    """``(format, bytes)`` to embed a picture in a notebook: the PNG itself when it is small, else a
    JPEG of it (transparency flattened onto white)."""
    if len(png_bytes) <= max_png_bytes:
        return "png", png_bytes
    import io
    from PIL import Image
    im = Image.open(io.BytesIO(png_bytes))
    if im.mode in ("RGBA", "LA", "P"):
        im = im.convert("RGBA")
        flat = Image.new("RGB", im.size, (255, 255, 255))
        flat.paste(im, mask=im.getchannel("A"))
        im = flat
    buf = io.BytesIO()
    im.convert("RGB").save(buf, "JPEG", quality=quality, optimize=True)
    return "jpeg", buf.getvalue()


def _show_picture(path):
    from IPython.display import Image, display
    with open(path, "rb") as f:
        fmt, data = compact_picture(f.read())
    display(Image(data=data, format=fmt))


def show_run(result, pictures=RUN_PICTURES, metrics=True):
    """Display a run's pictures and its metrics table in a notebook; returns the table (DataFrame).

    ``result``: a :class:`RunResult` or a results folder. Shown in ``notebooks/*.ipynb``.
    """
    from IPython.display import Markdown, display
    run_dir = _run_dir(result)
    display(Markdown(f"**Results folder** `{run_dir}` (its README.md is the full report)"))
    for name in pictures:
        path = os.path.join(run_dir, "images", name)
        if os.path.exists(path):
            _show_picture(path)
    if not metrics:
        return None
    table = metrics_table({os.path.basename(os.path.normpath(run_dir)): result}).T
    display(table)
    return table


def show_sweep(summary, plot_path=None, picture="reconstructions.png", columns=None):
    """Display a sweep: the overlay plot, the summary table, and each run's ``picture`` under its label."""
    from IPython.display import Markdown, display
    if plot_path and os.path.exists(plot_path):
        _show_picture(plot_path)
    show = summary if columns is None else summary[[c for c in columns if c in summary.columns]]
    display(show.drop(columns=[c for c in ("run_dir",) if c in show.columns]))
    for _, row in summary.iterrows():
        path = os.path.join(row["run_dir"], "images", picture)
        if os.path.exists(path):
            display(Markdown(f"**{row['label']}**"))
            _show_picture(path)


def run_sweep(*args, **kwargs):
    """See :func:`vaegan_gluon.experiments.sweep.run_sweep`."""
    from .sweep import run_sweep as _run_sweep
    return _run_sweep(*args, **kwargs)

# the other studies' schemes (Larsen VAE/GAN, AE-GAN, stabilisers) register their experiments on import
from . import registry_schemes  # noqa: E402,F401
