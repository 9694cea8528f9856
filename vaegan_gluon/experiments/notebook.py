"""Show a run or a sweep in a notebook: pictures (large ones embedded as JPEG) and the metrics table."""
import os

from .tables import _run_dir, metrics_table

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


# ------------------------------------------------------------------ teaching helpers (notebooks)
# Everything below reads the experiment catalogue (get_config) and builds models without training, so
# the facts a notebook prints about the study's (full-scale) setting are the same at every scale: nbval
# compares them (cells marked ``# NBVAL_CHECK_OUTPUT``).
import inspect as _inspect
import json as _json
import math as _math

from .config import get_config

DATA_SIZES = {"mnist-5k": (4500, 500), "mnist": (60000, 10000), "fashion-mnist": (60000, 10000)}


def image_shape_of(config):
    """``(C, H, W)`` of a config's images (MNIST sources 1x28x28; faces 3 x size x size)."""
    d = config["data"]
    opts = d.get("options") or {}
    if d["source"] in DATA_SIZES:
        return (1, 28, 28)
    channels = 1 if opts.get("mode") in ("grey", "gray", "L") else 3
    size = int(opts.get("size", 64))
    return (channels, size, size)


def data_sizes(config):
    """``(n_train, n_val)`` of a config without loading the data (None for an image folder, whose size
    is the folder's): the sources' splits (mnist-5k 4,500 / 500; synthetic faces the first
    ``round(0.8 n)`` / the rest) cut by ``data.n_train`` / ``data.n_val``."""
    d = config["data"]
    if d["source"] in DATA_SIZES:
        n_train, n_val = DATA_SIZES[d["source"]]
    elif d["source"] == "synthetic-faces":
        from ..data.synthetic_faces import load_synthetic_faces, split_range
        n = int((d.get("options") or {}).get("n", _inspect.signature(load_synthetic_faces).parameters["n"].default))
        n_train, n_val = len(split_range(n, "train")), len(split_range(n, "test"))
    else:
        return None, None
    if d.get("n_train"):
        n_train = min(n_train, int(d["n_train"]))
    if d.get("n_val"):
        n_val = min(n_val, int(d["n_val"]))
    return n_train, n_val


def _train(config):
    from ..train import TrainConfig
    return TrainConfig.from_dict(dict(config["train"]))


def optimizer_steps(config):
    """Optimizer steps of a run (batches per epoch x epochs; the last short batch counts): each is one
    VAE update, plus one discriminator update in a combo epoch."""
    n_train, _ = data_sizes(config)
    t = _train(config)
    if n_train is None:
        return None
    return int(_math.ceil(n_train / min(t.batch_size, n_train))) * t.n_epochs


def model_parameters(config):
    """``{"vae": counts, "disc": counts or None}`` of a config's models, built and (the discriminator)
    shape-inferred on zeros, never trained (:func:`vaegan_gluon.models.count_parameters`)."""
    from ..models import count_parameters, initialize_model
    from .runner import build_models
    shape = image_shape_of(config)
    vae, disc = build_models(config, shape)
    out = {"vae": count_parameters(vae), "disc": None}
    if disc is not None:
        initialize_model(disc, shape)
        out["disc"] = count_parameters(disc)
    return out


def _model_name(section):
    if not section:
        return "none"
    args = ", ".join(f"{k}={v}" for k, v in section.items() if k != "model")
    return f"{section['model']}({args})"


def settings(config):
    """The settings a "study vs here" table compares, as ``{label: value}``."""
    t = _train(config)
    n_train, n_val = data_sizes(config)
    c, h, w = image_shape_of(config)
    extra = {k: v for k, v in (config["train"].get("extra") or {}).items()}
    row = {
        "data set": config["data"]["source"],
        "train / val images": f"{n_train:,} / {n_val:,}" if n_train is not None else "the folder's",
        "image size": f"{c}x{h}x{w}",
        "VAE": _model_name(config["vae"]),
        "discriminator": _model_name(config.get("disc")),
        "scheme": t.scheme,
        "epochs (solo + combo)": f"{t.n_epochs} ({t.n_solo_epochs} + {t.n_epochs - t.n_solo_epochs})"
        if config.get("disc") else f"{t.n_epochs}",
        "optimizer steps": optimizer_steps(config),
        "batch size": t.batch_size,
        "lr": t.lr,
        "pbp loss": t.pbp_loss,
        "pbp_weight": t.pbp_weight if t.pbp_decay == 1 else
        f"{t.pbp_weight} x {t.pbp_decay} every {t.pbp_decay_every} combo epochs",
        "disc_weight": t.disc_weight if config.get("disc") else "-",
    }
    if extra:
        row["scheme settings"] = ", ".join(f"{k}={v}" for k, v in extra.items())
    return row


def _configs(names, scale):
    """``[(label, config)]`` for experiment names and sweep names (a sweep gives one row per run)."""
    from . import SWEEPS
    from .sweep import sweep_configs
    if isinstance(names, str):
        names = [names]
    out = []
    for name in names:
        if name in SWEEPS:
            out += [(f"{name}: {label}", cfg) for label, cfg in sweep_configs(name, scale)]
        else:
            out.append((name, get_config(name, scale)))
    return out


def study_vs_here(names, scale):
    """A DataFrame comparing the study's settings (``full``) with the settings at ``scale``: one row
    per (experiment, scale), one column per setting, read from the experiment configs."""
    import pandas as pd
    scales = ["full"] if scale == "full" else ["full", scale]
    rows, index = [], []
    for s in scales:
        for label, cfg in _configs(names, s):
            rows.append(settings(cfg))
            index.append((label, "study (full)" if s == "full" else f"here ({s})"))
    df = pd.DataFrame(rows, index=pd.MultiIndex.from_tuples(index, names=["experiment", "scale"]))
    return df.sort_index(level=0, sort_remaining=False)


def print_study_settings(names):
    """Print the study's (full-scale) settings of ``names`` (experiments or sweeps) with the models'
    parameter counts: scale-independent facts, the same in every run of the notebook."""
    for label, cfg in _configs(names, "full"):
        print(f"{label}:")
        for k, v in settings(cfg).items():
            print(f"  {k:22s} {v}")
        params = model_parameters(cfg)
        for net in ("vae", "disc"):
            if params[net]:
                p = params[net]
                print(f"  {net + ' parameters':22s} {p['trainable']:,} trainable + {p['non_trainable']:,} non-trainable")


def print_models(names, scale):
    """Print the models of ``names`` (experiments or sweeps) at ``scale``, Gluon's layer listing and
    the parameter counts; each distinct model is printed once."""
    from ..models import count_parameters, initialize_model
    from .runner import build_models
    seen, shared = {}, {}
    for label, cfg in _configs(names, scale):
        shape = image_shape_of(cfg)
        for net in ("vae", "disc"):
            section = cfg.get(net)
            if not section:
                continue
            key = _json.dumps([net, section, shape], sort_keys=True)
            if key in seen:
                shared.setdefault((seen[key], net), []).append(label)
                continue
            seen[key] = label
            vae, disc = build_models(cfg, shape)
            block = vae if net == "vae" else disc
            if net == "disc":
                initialize_model(disc, shape)
            p = count_parameters(block)
            print(f"{label}: {net} at scale {scale}, images {shape}: {p['total']:,} parameters "
                  f"({p['trainable']:,} trainable)")
            print(block)
    for (first, net), others in shared.items():
        print(f"the same {net} as {first}: {', '.join(others)}")


def training_step_source(name):
    """The source of the training step of experiment ``name``'s scheme (and, for the learnable-loss
    scheme, of the hybridized VAE forward that computes its PBP and KL terms)."""
    from ..train.schemes import get_scheme, VAEWithLoss
    from .. import train as _train_pkg  # noqa: F401  (registers every scheme)
    (_, cfg), = _configs(name, "full")[:1]
    scheme = get_scheme(_train(cfg).scheme)
    parts = []
    if scheme.name == "learnable_loss":
        parts.append(_inspect.getsource(VAEWithLoss.hybrid_forward))
    if hasattr(scheme, "forward_losses"):
        parts.append(_inspect.getsource(scheme.forward_losses))
    parts.append(_inspect.getsource(scheme.step))
    head = f"# {scheme.__module__}.{scheme.__name__} (train.scheme = {scheme.name!r})\n"
    return head + "\n".join(parts)


def show_training_step(name):
    print(training_step_source(name))


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
    t = _train(config)
    return _json.dumps([config["vae"], config.get("disc"), image_shape_of(config), t.batch_size, t.scheme],
                       sort_keys=True)


def _results_root():
    return os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "results")


def _measured_in_folders(config, root=None):
    """``(img_s, source)`` from the finished results folders under ``results/`` whose models, image
    size, batch and scheme equal ``config``'s and whose solo/combo mix is the same (the median of the
    runs with the most images x epochs: seeds of one run differ with the machine's load), or None."""
    from ..utils import read_json
    root = root or _results_root()
    if not os.path.isdir(root):
        return None
    sig, t = _signature(config), _train(config)
    found = []
    for dirpath, _, files in sorted(os.walk(root)):
        if "metrics.json" not in files or "config.json" not in files:
            continue
        try:
            cfg, m = read_json(os.path.join(dirpath, "config.json")), read_json(os.path.join(dirpath, "metrics.json"))
            if _signature(cfg) != sig or not m.get("train_images_per_s"):
                continue
            ct = _train(cfg)
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
    sig, t = _signature(config), _train(config)
    for name, speeds, source in MEASURED_IMG_S:
        if _signature(get_config(name, "full")) != sig:
            continue
        n_solo, n_combo = t.n_solo_epochs, t.n_epochs - t.n_solo_epochs
        if config.get("disc") is None:
            n_solo, n_combo = t.n_epochs, 0
        if "mixed" in speeds:
            ref = _train(get_config(name, "full"))
            if abs(ref.n_solo_epochs / ref.n_epochs - n_solo / t.n_epochs) > 1e-9:
                continue
            return speeds["mixed"], source
        if (n_solo and "solo" not in speeds) or (n_combo and "combo" not in speeds):
            continue
        seconds_per_image_epoch = (n_solo / speeds["solo"] if n_solo else 0) + (n_combo / speeds["combo"] if n_combo else 0)
        return t.n_epochs / seconds_per_image_epoch, source
    return None, "not measured on this CPU"


def expected_hours(names):
    """A DataFrame: for each run of ``names`` at full scale, training images x epochs, the measured
    images/s (and where it comes from) and the expected training hours on this CPU
    (``images x epochs / img_s / 3600``; evaluation adds minutes)."""
    import pandas as pd
    rows = {}
    for label, cfg in _configs(names, "full"):
        n_train, _ = data_sizes(cfg)
        epochs = _train(cfg).n_epochs
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
    from .tables import metrics_table
    table = metrics_table(results, columns=tuple(columns)).apply(pd.to_numeric, errors="coerce")
    if baseline not in table.index:
        raise ValueError(f"baseline {baseline!r} is not one of the runs: {list(table.index)}")
    out = table.copy()
    for col in [c for c in columns if c in table.columns]:
        key = f"{col} vs {baseline} (%)"
        out[key] = 100 * (table[col] - table.at[baseline, col]) / abs(table.at[baseline, col])
        out.loc[baseline, key] = float("nan")
    return out


#: the bar a face VAE must pass to have left the mean-face stage (the claims issue, item 1)
MEAN_FACE_BAR = {"fid_ratio_max": 0.5, "hair_colour_min": 0.9}


def mean_face_check(results):
    """Has each face run left the mean face? A DataFrame: ``fid_recon``, ``fid_mean_image`` (the FID
    of the data set's mean image repeated), their ratio, the attribute classifier's hair-colour
    accuracy on the reconstructions, and ``left_mean_face`` (ratio <= 0.5 and hair colour >= 0.9)."""
    import pandas as pd
    from .runner import RunResult
    from .tables import load_run
    rows = {}
    if not isinstance(results, dict):
        results = {os.path.basename(os.path.normpath(_run_dir(r))): r for r in results}
    for label, r in results.items():
        m = r.metrics if isinstance(r, RunResult) else load_run(r).metrics
        fid, mean = m.get("fid_recon"), m.get("fid_mean_image")
        hair = (m.get("attr_acc_recon") or {}).get("hair_colour")
        ratio = fid / mean if fid is not None and mean else None
        ok = None if ratio is None or hair is None else bool(
            ratio <= MEAN_FACE_BAR["fid_ratio_max"] and hair >= MEAN_FACE_BAR["hair_colour_min"])
        rows[label] = {"fid_recon": fid, "fid_mean_image": mean, "fid_recon / fid_mean_image": ratio,
                       "hair_colour acc (recon)": hair, "left_mean_face": ok}
    return pd.DataFrame.from_dict(rows, orient="index")


def claims_for(names, path=None):
    """The claims table (``results/reference/claims.json``, written by ``vaegan claims``) cut to the
    claims this notebook's runs test: those whose ``ours`` runs are an experiment of ``names`` (with no
    ``where``), or, for a sweep of ``names``, its base experiment with settings the sweep varies. A dict
    :func:`vaegan_gluon.claims.claims_markdown` formats, or None when there is no table."""
    from ..utils import read_json
    path = path or os.path.join(_results_root(), "reference", "claims.json")
    if not os.path.exists(path):
        return None
    from . import SWEEPS
    from .sweep import sweep_runs
    table = read_json(path)
    if isinstance(names, str):
        names = [names]
    plain = {n for n in names if n not in SWEEPS}
    swept = {}                                   # base experiment -> the settings its sweeps vary
    for n in names:
        if n in SWEEPS:
            runs, spec = sweep_runs(n, "full")
            swept.setdefault(spec["base"], set()).update(k for _, over in runs for k in over)

    def tests(claim, side):
        sel = (claim.get("selection") or {}).get(side) or {}
        exp, where = sel.get("experiment"), set(sel.get("where") or {})
        return (exp in plain and not where) or (exp in swept and bool(where) and where <= swept[exp])
    return {**table, "claims": [c for c in table.get("claims", []) if tests(c, "ours")],
            "reference_of": [c["id"] for c in table.get("claims", []) if tests(c, "reference")]}


def show_claims(names, path=None):
    """Display the claims rows of ``names`` (see :func:`claims_for`) as a markdown table."""
    from IPython.display import Markdown, display
    from ..claims import claims_markdown
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


def load_vae(run_dir, ctx=None):
    """The trained VAE of a finished results folder (its ``config.json`` and final ``vae.params``)."""
    import mxnet as mx
    from ..utils import read_json
    from .runner import build_models
    cfg = read_json(os.path.join(run_dir, "config.json"))
    vae, _ = build_models(cfg, image_shape_of(cfg))
    vae.load_parameters(os.path.join(run_dir, "vae.params"), ctx=ctx or mx.cpu())
    return vae


def comparison_figure(results, metric="fid_recon", n=8, path=None, title=None):
    """One figure to compare runs by eye: the first ``n`` held-out images of the first run's data, then
    one row of reconstructions of the same images per run, its ``metric`` in the row's title. Shown
    as PNG (texture is judged here); ``path`` saves it too. ``results``: ``{label: RunResult or
    results folder}``. Returns the Figure."""
    import matplotlib.pyplot as plt
    import numpy as np
    from .. import inference, viz
    from ..utils import read_json
    from .runner import RunResult, load_data
    from .tables import load_run
    if not isinstance(results, dict):
        results = {os.path.basename(os.path.normpath(_run_dir(r))): r for r in results}
    labels = list(results)
    first = _run_dir(results[labels[0]])
    _, val = load_data(read_json(os.path.join(first, "config.json")))
    x = val.images[:n]
    rows, titles = [x], [f"held-out originals ({len(x)} of {len(val)})"]
    for label in labels:
        r = results[label]
        trainer = getattr(r, "trainer", None) if isinstance(r, RunResult) else None
        vae = trainer.vae if trainer is not None else load_vae(_run_dir(r))
        m = r.metrics if isinstance(r, RunResult) else load_run(r).metrics
        value = m.get(metric)
        rows.append(inference.reconstruct(vae, x))
        titles.append(f"{label}: {metric} {value:.4g}" if isinstance(value, (int, float)) else f"{label}: {metric} n/a")
    grey = x.shape[1] == 1
    fig, axes = plt.subplots(len(rows), 1, figsize=(max(6.0, 0.9 * n), 1.05 * len(rows) + 0.3), squeeze=False)
    for ax, row, t in zip(axes[:, 0], rows, titles):
        ax.imshow(viz.image_grid(np.asarray(row), nrow=n), cmap="gray" if grey else None)
        ax.set_axis_off()
        ax.set_title(t, fontsize=8, loc="left")
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    if path:
        fig.savefig(path, format="png", dpi=100)
    return fig
