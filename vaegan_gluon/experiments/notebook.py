"""Notebook helpers: the expected training time on this CPU, comparison tables, the mean-face check and the
claims rows of a notebook's runs. Pictures and figures are :mod:`.notebook_figures`', the study's settings
and models :mod:`.notebook_settings`'."""
import json as _json
import os

from ..claims import claims_markdown
from ..claims.gates import passes_bar
from ..utils import read_json
from .catalog import SCALES, SWEEPS
from .config import default_scale, get_config
from .notebook_settings import data_sizes, image_shape_of, named_configs, train_config
from .runner import RunResult, load_run
from .sweep import sweep_configs, sweep_runs
from .tables import metrics_table, run_dir_of


# -------------------------------------------------------------- expected time at full scale
#: Training throughput measured on this 2-core CPU (images/s, single process, batch of the config),
#: used when no results folder of the same models is found. Each: an experiment whose full-scale
#: models, image size and batch the number belongs to, ``solo`` / ``combo`` images/s (or ``mixed``:
#: the run's own solo/combo mix, valid for the same mix), and where it was measured. The face numbers
#: come from the notebooks' committed outputs of the old medium scale (committed at c0172a9 and later),
#: which ran the study's own models at 64x64 and batch 64 on 192-320 faces, so their img/s is the
#: full-scale models' (first epoch included: hybridisation makes it slower, so the hours are an upper
#: side). A results folder of the same models, found under results/, replaces them automatically.
MEASURED_IMG_S = [
    ("anime-dense-vae", {"solo": 143.0},
     "notebooks/03 medium run (192 faces x 8 epochs, 64x64), train_images_per_s (outputs of commit c0172a9)"),
    ("anime-dense-vae-logreg", {"combo": 83.3},
     "notebooks/03 medium run, train_images_per_s"),
    ("anime-conv-vae-resnet", {"solo": 54.7, "combo": 20.3},
     "notebooks/10 medium sweep (192 faces, 64x64, idle CPU): combo = 8 combo epochs in 75.78 s; "
     "solo = (39.99 s - 2 combo epochs) / 6 solo epochs"),
    ("anime-conv-vae", {"solo": 54.7},
     "same ConvVAE(512, 32) as anime-conv-vae-resnet's solo epochs (notebooks/10 medium sweep)"),
    ("anime-conv-vae-convdisc", {"combo": 42.5}, "notebooks/05 medium run, train_images_per_s"),
    ("anime-conv-vae1024-convdisc64", {"combo": 21.5}, "notebooks/05 medium run, train_images_per_s"),
    ("anime-conv-vae1024-resnet-decay", {"mixed": 19.8},
     "notebooks/06 medium run (4 solo + 4 combo, the full run's mix), train_images_per_s"),
    ("anime-conv-vae1024-resnet-lr2e-4", {"mixed": 20.8},
     "notebooks/06 medium run (4 solo + 4 combo), train_images_per_s"),
    ("anime-deepconv", {"mixed": 9.09},
     "notebooks/07 medium run (4 solo + 4 combo), train_images_per_s"),
    ("mnist-larsen-pixel-vae", {"solo": 409.0},
     "notebooks/20 medium run: 4,500 digits x 8 epochs in 88.0 s"),
    ("mnist-larsen-vaegan", {"combo": 114.0},
     "notebooks/20 medium run: 4,500 digits x 8 epochs in 316.5 s"),
]


def _signature(config):
    t = train_config(config)
    return _json.dumps([config["vae"], config.get("disc"), image_shape_of(config), t.batch_size, t.scheme],
                       sort_keys=True)


def _results_root():
    return os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "results")


def _measured_in_folders(config, root=None):
    """``(img_s, source)`` from the finished results folders under ``results/`` whose models, image
    size, batch and scheme equal ``config``'s and whose solo/combo mix is the same (the median of the
    runs with the most images x epochs: seeds of one run differ with the machine's load), or None."""
    root = root or _results_root()
    if not os.path.isdir(root):
        return None
    sig, t = _signature(config), train_config(config)
    found = []
    for dirpath, _, files in sorted(os.walk(root)):
        if "metrics.json" not in files or "config.json" not in files:
            continue
        try:
            cfg, m = read_json(os.path.join(dirpath, "config.json")), read_json(os.path.join(dirpath, "metrics.json"))
            if _signature(cfg) != sig or not m.get("train_images_per_s"):
                continue
            ct = train_config(cfg)
        except (ValueError, KeyError, TypeError, OSError):
            continue
        if abs(ct.n_solo_epochs / ct.n_epochs - t.n_solo_epochs / t.n_epochs) > 1e-9:
            continue
        work = (m.get("n_train_images") or 0) * ct.n_epochs
        found.append((work, float(m["train_images_per_s"]), os.path.relpath(dirpath, os.path.dirname(root))))
    if not found:
        return None
    most = max(w for w, _, _ in found)
    runs = sorted((v, d) for w, v, d in found if w == most)
    img_s, folder = runs[(len(runs) - 1) // 2]          # the median run (the lower one of an even count)
    more = f" and {len(runs) - 1} more run(s) of the same work, median" if len(runs) > 1 else ""
    return img_s, f"{folder}{more} (train_images_per_s)"


def measured_img_s(config):
    """``(img_s, source)``: this CPU's measured training throughput for ``config``'s models and mix of
    solo and combo epochs, from a results folder of the same models if there is one, else from
    :data:`MEASURED_IMG_S`; ``(None, reason)`` when neither has it."""
    found = _measured_in_folders(config)
    if found:
        return found
    sig, t = _signature(config), train_config(config)
    for name, speeds, source in MEASURED_IMG_S:
        if _signature(get_config(name, "full")) != sig:
            continue
        n_solo, n_combo = t.n_solo_epochs, t.n_epochs - t.n_solo_epochs
        if config.get("disc") is None:
            n_solo, n_combo = t.n_epochs, 0
        if "mixed" in speeds:
            ref = train_config(get_config(name, "full"))
            if abs(ref.n_solo_epochs / ref.n_epochs - n_solo / t.n_epochs) > 1e-9:
                continue
            return speeds["mixed"], source
        if (n_solo and "solo" not in speeds) or (n_combo and "combo" not in speeds):
            continue
        seconds_per_image_epoch = ((n_solo / speeds["solo"] if n_solo else 0)
                                   + (n_combo / speeds["combo"] if n_combo else 0))
        return t.n_epochs / seconds_per_image_epoch, source
    return None, "not measured on this CPU"


def expected_hours(names):
    """A DataFrame: for each run of ``names`` at full scale, training images x epochs, the measured
    images/s (and where it comes from) and the expected training hours on this CPU
    (``images x epochs / img_s / 3600``; evaluation adds minutes)."""
    import pandas as pd
    rows = {}
    for label, cfg in named_configs(names, "full"):
        n_train, _ = data_sizes(cfg)
        epochs = train_config(cfg).n_epochs
        img_s, source = measured_img_s(cfg)
        hours = None if (img_s is None or n_train is None) else n_train * epochs / img_s / 3600
        rows[label] = {"train images": n_train, "epochs": epochs, "img/s (this CPU)": img_s,
                       "expected hours": None if hours is None else round(hours, 1), "img/s measured in": source}
    return pd.DataFrame.from_dict(rows, orient="index")


def print_comparison(table, baseline, columns, higher_is_better=()):
    """Print ``columns`` of a metrics table (rows = runs) for every run next to ``baseline``'s, with the
    relative change: the numbers a notebook's "What we saw" interprets."""
    if baseline not in table.index:
        raise ValueError(f"baseline {baseline!r} is not a row of the table: {list(table.index)}")
    for col in columns:
        if col not in table.columns:
            continue
        base = table.at[baseline, col]
        parts = [f"{baseline} {base:.4g}"]
        for run in table.index:
            if run == baseline:
                continue
            v = table.at[run, col]
            rel = "" if not base or v != v or base != base else f" ({(v - base) / abs(base):+.1%})"
            parts.append(f"{run} {v:.4g}{rel}")
        note = " (higher is better)" if col in higher_is_better else ""
        print(f"{col}{note}: " + "; ".join(parts))


def comparison_table(results, baseline, columns):
    """A DataFrame, one row per run: ``columns`` of its held-out metrics and, for every run but
    ``baseline``, the relative change against it (``<column> vs <baseline> (%)``, in percent)."""
    import pandas as pd
    table = metrics_table(results, columns=tuple(columns)).apply(pd.to_numeric, errors="coerce")
    if baseline not in table.index:
        raise ValueError(f"baseline {baseline!r} is not one of the runs: {list(table.index)}")
    out = table.copy()
    for col in [c for c in columns if c in table.columns]:
        key = f"{col} vs {baseline} (%)"
        out[key] = 100 * (table[col] - table.at[baseline, col]) / abs(table.at[baseline, col])
        out.loc[baseline, key] = float("nan")
    return out


def mean_face_check(results):
    """Has each face run left the mean face? A DataFrame: ``fid_recon``, ``fid_mean_image`` (the FID
    of the data set's mean image repeated), their ratio, the attribute classifier's hair-colour
    accuracy on the reconstructions, and ``left_mean_face``: the claims' bar
    (:func:`vaegan_gluon.claims.gates.passes_bar`: the ratio <= 0.5 and the hair colour's lower 95 % bound
    >= 0.9). A run trained with a discriminator after solo epochs adds the same for its VAE alone at the
    switch (``at switch: ...`` columns; the bar the board holds such a reference to)."""
    import pandas as pd

    def columns(m, prefix=""):
        fid, mean = m.get("fid_recon"), m.get("fid_mean_image")
        ratio = fid / mean if fid is not None and mean else None
        return {prefix + "fid_recon": fid, prefix + "fid_mean_image": mean,
                prefix + "fid_recon / fid_mean_image": ratio,
                prefix + "hair_colour acc (recon)": (m.get("attr_acc_recon") or {}).get("hair_colour"),
                prefix + "left_mean_face": passes_bar(m)}
    rows = {}
    if not isinstance(results, dict):
        results = {os.path.basename(os.path.normpath(run_dir_of(r))): r for r in results}
    for label, r in results.items():
        m = r.metrics if isinstance(r, RunResult) else load_run(r).metrics
        rows[label] = columns(m)
        if m.get("at_switch"):
            rows[label].update(columns(m["at_switch"], f"at switch (epoch {m['at_switch']['epoch']}): "))
    return pd.DataFrame.from_dict(rows, orient="index")


def claims_for(names, path=None):
    """The claims table (``results/reference/claims.json``, written by ``vaegan claims``) cut to the
    claims this notebook's runs test: those whose ``ours`` runs are an experiment of ``names`` (with no
    ``where`` beyond the claim's evidence settings, ``claims.catalogue.AT``: the same experiment trained longer
    than the notebook's scale), or, for a sweep of ``names``, its base experiment with settings the sweep varies,
    or a claim whose id is in ``names`` (a setting the notebook teaches, e.g. the adaptive weight's rows). A dict
    :func:`vaegan_gluon.claims.claims_markdown` formats, or None when there is no table."""
    path = path or os.path.join(_results_root(), "reference", "claims.json")
    if not os.path.exists(path):
        return None
    table = read_json(path)
    if isinstance(names, str):
        names = [names]
    ids = {c["id"] for c in table.get("claims", [])} & set(names)
    plain = {n for n in names if n not in SWEEPS and n not in ids}
    swept = {}                                   # base experiment -> the settings its sweeps vary
    for n in names:
        if n in SWEEPS:
            for scale in SCALES:                 # a scale may vary more (sweep-solo-combo's n_epochs at medium)
                runs, spec = sweep_runs(n, scale)
                swept.setdefault(spec["base"], set()).update(k for _, over in runs for k in over)

    from ..claims.catalogue import AT   # the evidence settings: the same experiment, trained longer

    def tests(claim, side):
        sel = (claim.get("selection") or {}).get(side) or {}
        exp, at = sel.get("experiment"), AT.get(sel.get("experiment"), {})
        where = {k for k, v in (sel.get("where") or {}).items() if k not in at or at[k] != v}
        return (exp in plain and not where) or (exp in swept and bool(where) and where <= swept[exp])
    return {**table, "claims": [c for c in table.get("claims", []) if tests(c, "ours") or c["id"] in ids],
            "reference_of": [c["id"] for c in table.get("claims", []) if tests(c, "reference")]}


def show_claims(names, path=None):
    """Display the claims rows of ``names`` (see :func:`claims_for`) as a markdown table."""
    from IPython.display import Markdown, display
    table = claims_for(names, path)
    if table is None:
        print("no claims table yet: `vaegan claims` writes results/reference/claims.json")
        return None
    if not table["claims"]:
        ref = table.get("reference_of") or []
        print("no claim of the claims table has these runs as its `ours` side" +
              (f"; they are the reference of: {', '.join(ref)}" if ref else ""))
        return table
    display(Markdown(claims_markdown(table)))
    return table


# -------------------------------------------------------------- solo/combo time model
def solo_epoch_cost(summary, sweep="sweep-solo-combo", scale=None):
    """The cost of a solo epoch relative to a combo epoch, fitted to a solo/combo sweep's times.

    With ``E`` epochs of which ``E_solo`` are solo, a run takes ``T(E_solo)/T(0) = 1 - (E_solo/E)(1 - c)``
    of the all-combo run, where ``c = t_solo/t_combo``. A least-squares line through the runs' time ratios
    against their solo share ``E_solo/E`` has slope ``c - 1``. Each run's ``E`` comes from its own config
    (the sweep's, not the base experiment's). Returns ``{"ours": c, "study (GPU)": c}`` for the columns
    ``ratio_to_first`` / ``study_ratio_to_first`` of ``summary`` (:func:`~.sweep.run_sweep`'s) that exist."""
    import numpy as np
    scale = scale or default_scale()
    epochs = {label: cfg["train"]["n_epochs"] for label, cfg in sweep_configs(sweep, scale)}
    missing = set(summary["label"]) - set(epochs)
    if missing:
        raise ValueError(f"runs {sorted(missing)} are not runs of {sweep!r} at scale {scale!r}: pass the "
                         f"sweep and scale the summary came from")
    share = (summary["train.n_solo_epochs"] / summary["label"].map(epochs)).astype(float)
    out = {}
    for col, who in (("ratio_to_first", "ours"), ("study_ratio_to_first", "study (GPU)")):
        if col in summary:
            out[who] = 1.0 + float(np.polyfit(share, summary[col].astype(float), 1)[0])
    return out
