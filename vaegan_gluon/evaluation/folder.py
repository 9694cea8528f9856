"""A trained run's ``metrics.json``: the one place a results folder is scored after training.

``evaluate(run_dir, vae, val, config, ...)`` takes the trained networks as the caller holds them (the
runner after ``Trainer.fit``; :mod:`vaegan_gluon.experiments.rescore` rebuilds them from a folder) and
writes ``<run_dir>/metrics.json``: the model's own numbers on the held-out images (:mod:`.metrics`, units
there), parameter counts and training time from the epoch rows, the feature-space scores and warnings
(:mod:`.scoring`), and those of the VAE kept at the solo -> combo switch when there is one.
"""
import os

import numpy as np

from ..models import count_parameters
from ..utils import write_json
from . import metrics, scoring

__all__ = ["evaluate"]


def evaluate(run_dir, vae, val, config, disc=None, train=None, history=(), ctx=None, seed=None, switch_params=None,
             extra=None):
    """Score the trained ``vae`` (and ``disc``) on the held-out ``val`` and write ``run_dir/metrics.json``.

    ``val`` / ``train``: ImageSets or ``(N, C, H, W)`` arrays in [0, 1] (``train`` gives the mean image of
    ``fid_mean_image``); ``history``: the trainer's epoch rows (``seconds``, ``images_per_s``; a row with an
    ``event`` is a NaN event); ``ctx``: a Context or a list (the first scores, all reload the switch VAE);
    ``seed``: of the ELBO's noise, the samples and the scores (default: the config's ``train.seed``);
    ``switch_params``: the switch VAE's weights file, if the run kept one; ``extra``: more keys for the
    file (wall time, worker count, notes). Returns the metrics dict.
    """
    ctxs = ctx if isinstance(ctx, (list, tuple)) else [ctx]
    seed = int((config.get("train") or {}).get("seed", 0)) if seed is None else int(seed)
    eval_cfg = config.get("eval") or {}
    images = np.asarray(getattr(val, "images", val), dtype=np.float32)
    m = metrics.evaluate(vae, images, disc=disc, ctx=ctxs[0], n_samples=eval_cfg.get("n_samples", 64), seed=seed)
    rows = [r for r in history if not r.get("event")]
    m["parameters"] = {"vae": count_parameters(vae)}
    if disc is not None:
        m["parameters"]["disc"] = count_parameters(disc)
    m["train_seconds"] = float(sum(r["seconds"] for r in rows))
    m["train_images_per_s"] = float(np.mean([r["images_per_s"] for r in rows])) if rows else None
    m["n_val_images"] = int(len(images))
    m["nan_events"] = sum(1 for r in history if r.get("event"))
    m.update(extra or {})
    scoring.add_scores(m, vae, val, config, train_images=train, seed=seed, ctx=ctxs[0], n=eval_cfg.get("n"))
    if switch_params and os.path.exists(switch_params):
        scoring.add_switch_scores(m, switch_params, os.path.join(run_dir, "vae.params"), vae, val, config,
                          train_images=train, seed=seed, ctx=ctxs, n=eval_cfg.get("n"))
    write_json(os.path.join(run_dir, "metrics.json"), m)
    return m
