"""Results folders read back: one run, a metrics table, the markdown results table of docs/results.md."""
import os

import pandas as pd

from ..train import TrainConfig
from ..utils import read_json
from .config import get_config
from .runner import RunResult, load_run, reproduce_command

# the held-out numbers every table shows (see vaegan_gluon.evaluation.metrics for units)
METRIC_COLUMNS = ("recon_bce", "recon_mse", "neg_elbo", "kl", "fid_recon", "fid_samples", "blur_data",
                  "blur_recon", "blur_samples", "disc_acc_real", "disc_acc_fake", "train_seconds", "train_images_per_s")


def flat_metrics(m, columns=METRIC_COLUMNS):
    row = {k: m.get(k) for k in columns if k in m}
    for net, counts in (m.get("parameters") or {}).items():
        row[f"{net}_parameters"] = counts.get("total")
    return row


def metrics_table(results, columns=METRIC_COLUMNS):
    """One row per run: ``results`` is ``{label: RunResult or results folder}`` or a list of them."""
    if not isinstance(results, dict):
        results = {os.path.basename(os.path.normpath(run_dir_of(r))): r for r in results}
    rows = {}
    for label, r in results.items():
        m = r.metrics if isinstance(r, RunResult) else load_run(r).metrics
        rows[label] = flat_metrics(m, columns)
    return pd.DataFrame.from_dict(rows, orient="index")


#: the markers of the results table in docs/results.md; the command runs from docs/ so that the thumbnails'
#: links are relative to the page
README_BEGIN = ("<!-- results table: generated in docs/ by `vaegan report --table ../results/RUN_DIR... "
                "--thumbnails ../results/reference/runs --readme results.md`; do not edit -->")
README_END = "<!-- end of the results table -->"


def results_markdown(run_dirs, thumbnail_dir=None, thumbnail_width=360, link_root="."):
    """A markdown table, one row per finished run: key metrics, a thumbnail, the reproducing command.

    ``thumbnail_dir``: where small copies of each run's ``reconstructions.png`` are written (the
    README's table points there). Used to build the README's results table.
    """
    from PIL import Image
    head = ("| experiment | scale | recon BCE | neg. ELBO | FID recon / samples | blur recon / data | "
            "disc acc real / fake | "
            "img/s | reconstructions | command |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for d in run_dirs:
        cfg, m = read_json(os.path.join(d, "config.json")), read_json(os.path.join(d, "metrics.json"))
        f = lambda k, fmt="{:.4g}": "" if m.get(k) is None else fmt.format(m[k])  # noqa: E731
        thumb = ""
        src = os.path.join(d, "images", "reconstructions.png")
        if thumbnail_dir:
            name = f"{cfg['name']}_{os.path.basename(os.path.normpath(d))}.png"
            dst = os.path.join(thumbnail_dir, name)
            if os.path.exists(src):
                os.makedirs(thumbnail_dir, exist_ok=True)
                im = Image.open(src)
                im.thumbnail((thumbnail_width, thumbnail_width))
                im.save(dst, optimize=True)
            # a folder kept with its small outputs only (results/reference/claims_runs) keeps the thumbnail
            # made when its images were still there
            if os.path.exists(dst):
                thumb = f"![{cfg['name']}]({os.path.relpath(dst, link_root)})"
        acc = f"{f('disc_acc_real', '{:.2f}')} / {f('disc_acc_fake', '{:.2f}')}" if "disc_acc_real" in m else ""
        overrides = _changed_overrides(cfg)
        label = f"`{cfg['name']}`" + "".join(f" `{k}={v}`" for k, v in overrides.items())
        command = cfg.get("command", "")
        if command.startswith("vaegan sweep"):   # this one run of the sweep, on its own
            command = reproduce_command(cfg["name"], cfg.get("scale", "full"), overrides)
        lines.append(f"| {label} ({os.path.basename(os.path.normpath(d))}) | {cfg.get('scale', '')} | "
                     f"{f('recon_bce')} | {f('neg_elbo')} | "
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
    base = {**base, "train": {**TrainConfig().to_dict(), **base.get("train", {})}}   # unset = default
    changed = {}
    for key, value in overrides.items():
        node = base
        for part in key.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if node != value:
            changed[key] = value
    return changed


def run_dir_of(r):
    """The folder of a RunResult or of a path."""
    return r.run_dir if isinstance(r, RunResult) else str(r)
