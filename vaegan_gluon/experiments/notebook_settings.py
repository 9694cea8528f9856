"""Teaching helpers of the notebooks: the study's settings, data sizes, models and training step of
an experiment, read from the catalogue (get_config) without training. Re-exported by
:mod:`vaegan_gluon.experiments.notebook`."""
import inspect as _inspect
import json as _json
import math as _math

from .config import get_config

# ------------------------------------------------------------------ teaching helpers (notebooks)
# Everything below reads the experiment catalogue (get_config) and builds models without training, so
# the facts a notebook prints about the study's (full-scale) setting are the same at every scale: nbval
# compares them (cells marked ``# NBVAL_CHECK_OUTPUT``).

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


def train_config(config):
    from ..train import TrainConfig
    return TrainConfig.from_dict(dict(config["train"]))


def optimizer_steps(config):
    """Optimizer steps of a run (batches per epoch x epochs; the last short batch counts): each is one
    VAE update, plus one discriminator update in a combo epoch."""
    n_train, _ = data_sizes(config)
    t = train_config(config)
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
    t = train_config(config)
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


def named_configs(names, scale):
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
        for label, cfg in named_configs(names, s):
            rows.append(settings(cfg))
            index.append((label, "study (full)" if s == "full" else f"here ({s})"))
    df = pd.DataFrame(rows, index=pd.MultiIndex.from_tuples(index, names=["experiment", "scale"]))
    return df.sort_index(level=0, sort_remaining=False)


def print_study_settings(names):
    """Print the study's (full-scale) settings of ``names`` (experiments or sweeps) with the models'
    parameter counts: scale-independent facts, the same in every run of the notebook."""
    for label, cfg in named_configs(names, "full"):
        print(f"{label}:")
        for k, v in settings(cfg).items():
            print(f"  {k:22s} {v}")
        params = model_parameters(cfg)
        for net in ("vae", "disc"):
            if params[net]:
                p = params[net]
                print(f"  {net + ' parameters':22s} {p['trainable']:,} trainable + "
                      f"{p['non_trainable']:,} non-trainable")


def print_models(names, scale):
    """Print the models of ``names`` (experiments or sweeps) at ``scale``, Gluon's layer listing and
    the parameter counts; each distinct model is printed once."""
    from ..models import count_parameters, initialize_model
    from .runner import build_models
    seen, shared = {}, {}
    for label, cfg in named_configs(names, scale):
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
    """The source of the training step of experiment ``name``'s scheme: its plain step (the code that trains
    with ``train.fast`` off; the fast wing's step is proved equal to it by tests/test_fast_wing.py), after the
    VAE forward with its losses (``vae_losses``) or the combo forward (``forward_losses``) where it has one."""
    from ..train.schemes import get_scheme
    (_, cfg), = named_configs(name, "full")[:1]
    scheme = get_scheme(train_config(cfg).scheme)
    parts = [_inspect.getsource(getattr(scheme, f)) for f in ("vae_losses", "forward_losses") if hasattr(scheme, f)]
    parts.append(_inspect.getsource(scheme.step))
    head = f"# {scheme.__module__}.{scheme.__name__} (train.scheme = {scheme.name!r})\n"
    return head + "\n".join(parts)


def show_training_step(name):
    print(training_step_source(name))
