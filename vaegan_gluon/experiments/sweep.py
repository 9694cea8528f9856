"""Sweeps: the same experiment over several values of one hyperparameter, summarised in one table and
one overlay plot under ``results/<sweep name>[_<scale>]/`` (summary.csv, <column>.png, README.md).

>>> summary, plot = run_sweep("sweep-disc-weight", scale="quick")
>>> summary, plot = run_sweep("anime-conv-vae-resnet", "train.disc_weight", [1, 10], scale="quick")

The named sweeps are data (:mod:`.catalog.sweeps`); :func:`sweep_runs` / :func:`sweep_configs` plan a
sweep's runs without training.
"""
import copy
import os

import pandas as pd

from .. import viz
from .catalog import SWEEPS, like
from .config import check_scale, default_scale, experiment, get_config, parse_value, resolve_key
from .naming import fmt
from .runner import reproduce_command, run_experiment
from .tables import flat_metrics

SUMMARY_COLUMNS = ("recon_bce", "recon_mse", "neg_elbo", "fid_recon", "fid_samples", "blur_recon", "blur_samples",
                   "disc_acc_real", "disc_acc_fake", "train_seconds", "wall_seconds", "train_images_per_s")


def get_sweep(name):
    if name not in SWEEPS:
        raise ValueError(f"unknown sweep {name!r}; valid sweeps: {', '.join(SWEEPS)}")
    return copy.deepcopy(SWEEPS[name])


def sweep_values(sweep, scale):
    v = sweep["values"]
    return list(v[like(scale)] if isinstance(v, dict) else v)


def sweep_runs(name_or_base, scale, param=None, values=None, overrides=None):
    """The runs of a sweep as ``[(label, dotted overrides)]`` plus the sweep's spec.

    ``name_or_base``: a named sweep (``sweep-disc-weight``) -- ``param``/``values`` default to its own
    -- or any experiment name, with ``param`` and ``values`` given.
    """
    check_scale(scale)
    if name_or_base in SWEEPS:
        spec = get_sweep(name_or_base)
        spec["name"] = name_or_base
        if param is not None and resolve_key(param, get_config(spec["base"], scale)) != spec["param"]:
            spec["extra_runs"], spec["reference"] = [], None
        spec["param"] = param or spec["param"]
        values = list(values) if values else sweep_values(spec, scale)
    else:
        experiment(name_or_base)
        if not param or not values:
            raise ValueError(f"{name_or_base!r} is an experiment, not a named sweep: give a parameter and "
                             f"values (e.g. vaegan sweep {name_or_base} train.disc_weight 1 10); named sweeps: "
                             f"{', '.join(SWEEPS)}")
        spec = {"name": None, "base": name_or_base, "param": param, "extra_runs": [], "column": "pbp_loss",
                "description": f"{name_or_base}: {param} in {list(values)}"}
    base_cfg = get_config(spec["base"], scale)
    spec["param"] = resolve_key(spec["param"], base_cfg)
    if spec["name"] is None:
        spec["name"] = f"sweep-{spec['base']}-{spec['param'].split('.')[-1]}"
    common = {**spec.get("scales", {}).get(like(scale), {}), **(overrides or {})}
    leaf = spec["param"].split(".")[-1]
    runs = [(f"{leaf}={fmt(v)}", {**common, spec["param"]: v}) for v in values]
    runs += [(r["label"], {**common, **r["set"]}) for r in spec.get("extra_runs", [])]
    spec["values"] = list(values)
    return runs, spec


def sweep_configs(name_or_base, scale="medium", param=None, values=None, overrides=None):
    """``[(label, config)]`` of every run of a sweep, validated, without training."""
    runs, spec = sweep_runs(name_or_base, scale, param, values, overrides)
    return [(label, get_config(spec["base"], scale, over)) for label, over in runs]


def run_sweep(name_or_base, param=None, values=None, scale=None, overrides=None, data_path=None, ctx="cpu",
              resume=False, overwrite=False, results_root="results", progress=True, column=None,
              keep_checkpoints=True, seed=None, tensorboard=None, tensorboard_per_run=False):
    """Run every configuration of a sweep; return ``(summary DataFrame, overlay plot path)``.

    Parameters
    ----------
    name_or_base : a named sweep (``sweep-disc-weight``, ``sweep-pbp-weight``, ``sweep-solo-combo``) or
        any experiment name with ``param`` and ``values``.
    param : dotted key (``train.disc_weight``; a bare training setting ``disc_weight`` works).
    values : the values of ``param`` (strings are parsed by JSON rules); a named sweep's own by default.
    scale : None -> env ``VAEGAN_SCALE``, else ``medium``.
    column : the training-statistics column overlaid across runs (default: the sweep's, ``pbp_loss``).
    The other arguments are :func:`~vaegan_gluon.experiments.run_experiment`'s.

    The summary has one row per run: ``label``, the swept value, the held-out metrics, ``train_seconds``
    and ``wall_seconds``, ``run_dir``; a named sweep with reference numbers (``sweep-solo-combo``) adds
    our time ratio to the first run beside the study's.
    """
    scale = scale or default_scale()
    if values is not None:
        values = [parse_value(v) for v in values]
    runs, spec = sweep_runs(name_or_base, scale, param, values, overrides)
    column = column or spec.get("column", "pbp_loss")
    sweep_dir = os.path.join(results_root, spec["name"] + ("" if scale == "full" else f"_{scale}"))
    os.makedirs(sweep_dir, exist_ok=True)
    sweep_words = [name_or_base] + ([param or spec["param"]] + list(values or spec["values"])
                                    if (param or values) else [])
    command = reproduce_command(None, scale, overrides, data_path, ctx, sweep=sweep_words)
    rows, stats = [], {}
    for label, over in runs:
        result = run_experiment(spec["base"], scale, over, data_path=data_path, ctx=ctx, resume=resume,
                                results_root=results_root, progress=progress, overwrite=overwrite,
                                keep_checkpoints=keep_checkpoints, command=command, seed=seed,
                                tensorboard=tensorboard, tensorboard_per_run=tensorboard_per_run)
        row = {"label": label, spec["param"]: over.get(spec["param"])}
        row.update({k: v for k, v in flat_metrics(result.metrics, SUMMARY_COLUMNS).items()
                    if not k.endswith("_parameters")})
        row["run_dir"] = result.run_dir
        rows.append(row)
        stats[label] = os.path.join(result.run_dir, "training_statistics.csv")
    summary = pd.DataFrame(rows)
    ref = spec.get("reference")
    if ref and len(spec["values"]) == len(ref["values"]) and ref["column"] in summary:
        n = len(ref["values"])
        ours = summary[ref["column"]].iloc[:n].astype(float)
        summary.loc[:n - 1, "ratio_to_first"] = (ours / ours.iloc[0]).round(3).values
        summary.loc[:n - 1, ref["label"]] = ref["values"]
        summary.loc[:n - 1, "study_ratio_to_first"] = [round(v / ref["values"][0], 3) for v in ref["values"]]
    summary.to_csv(os.path.join(sweep_dir, "summary.csv"), index=False)
    plot_path = os.path.join(sweep_dir, f"{column}.png")
    viz.overlay_curves(stats, column, path=plot_path, title=f"{spec['name']} ({scale}): {column}")
    _write_readme(sweep_dir, spec, scale, summary, plot_path, command)
    return summary, plot_path


def _md_cell(v):
    if isinstance(v, float):
        return "" if v != v else f"{v:.4g}"
    return "" if v is None else str(v)


def _write_readme(sweep_dir, spec, scale, summary, plot_path, command):
    lines = [f"# {spec['name']} ({scale} scale)", "", spec.get("description", ""), "",
             "Reproduce:", "", "```", command, "```", "",
             f"![{os.path.basename(plot_path)}]({os.path.basename(plot_path)})", "",
             "| " + " | ".join(summary.columns) + " |", "|" + "---|" * len(summary.columns)]
    for _, r in summary.iterrows():
        cells = []
        for c in summary.columns:
            v = r[c]
            if c == "run_dir":
                v = f"[{os.path.basename(v)}]({os.path.relpath(v, sweep_dir)}/README.md)"
            cells.append(_md_cell(v))
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "Metrics on held-out images; units in `vaegan_gluon.evaluation.metrics`.", ""]
    with open(os.path.join(sweep_dir, "README.md"), "w") as f:
        f.write("\n".join(lines))


__all__ = ["run_sweep", "sweep_runs", "sweep_configs", "get_sweep", "sweep_values", "SUMMARY_COLUMNS"]
