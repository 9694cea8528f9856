"""``vaegan evaluate RUN_DIR``: re-score a finished results folder (old runs too) in a shipped feature space.

The networks are rebuilt from the folder's ``config.json`` and ``vae.params``, its data reloaded (a user
image folder from the config's note), the feature-space scores added to ``metrics.json`` (the model's own
numbers stay as they were) and the report re-rendered.
"""
import os

from .. import report
from ..evaluation.scoring import add_scores, add_switch_scores
from ..train.trainer import Trainer
from ..utils import read_json, write_json
from .runner import build_models, load_data

__all__ = ["evaluate_run"]

USER_FOLDER_NOTE = "user image folder "


def evaluate_run(run_dir, extractor=None, n=None, ctx=None):
    """Re-score ``run_dir`` with ``extractor`` (default: the config's) on ``n`` held-out images (default:
    the config's); returns the updated metrics dict."""
    import mxnet as mx
    cfg_path, params = os.path.join(run_dir, "config.json"), os.path.join(run_dir, "vae.params")
    for p in (cfg_path, params):
        if not os.path.exists(p):
            raise FileNotFoundError(f"{run_dir} is not a finished results folder: {os.path.basename(p)} is "
                                    "missing (finish the run with `vaegan run ... --resume`)")
    cfg = read_json(cfg_path)
    note = str((cfg.get("data") or {}).get("note", ""))
    data_path = note[len(USER_FOLDER_NOTE):] if note.startswith(USER_FOLDER_NOTE) else None
    train, val = load_data(cfg, data_path)
    vae, _ = build_models(cfg, train.image_shape)
    ctx = ctx or mx.cpu()
    vae.load_parameters(params, ctx=ctx)
    m_path = os.path.join(run_dir, "metrics.json")
    m = read_json(m_path) if os.path.exists(m_path) else {}
    seed = int((cfg.get("train") or {}).get("seed", 0))
    add_scores(m, vae, val, cfg, train_images=train.images, seed=seed, ctx=ctx, extractor=extractor, n=n)
    switch = os.path.join(run_dir, Trainer.SWITCH_PARAMS)
    if os.path.exists(switch):
        add_switch_scores(m, switch, params, vae, val, cfg, train_images=train.images, seed=seed, ctx=ctx, n=n,
                          extractor=extractor)
    write_json(m_path, m)
    report.write(run_dir)
    return m
