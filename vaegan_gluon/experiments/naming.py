"""Results folders, named as the study named them, from validated settings only.

::

    results/<VAE>[_<Disc>]_on_<data>/<hyperparameters joined by _>[_<scale>]

``<hyperparameters>`` = the VAE's hyperparameter values in config order, the discriminator's, the
number of epochs, then -- with a discriminator -- ``disc_weight`` and ``pbp_weight`` (the study's
``ConvVAE_ResNet_on_anime/512_32_200_10_1``), then one ``<tag><value>`` token per other training
setting that differs from :class:`~vaegan_gluon.train.TrainConfig`'s default (``solo100``,
``decay0.95x25``, ``lr0.0002``, ``l2``, ...), one ``<key><value>`` per scheme setting the config sets
(``train.extra``, sorted by key: ``gamma5e-05``), and one per user override not already shown.
``full`` runs carry no scale suffix. Discriminators are labelled as in the study (``ResNetDisc`` ->
``ResNet``, ``ConvDisc`` -> ``ConvDisc_LeakyReLU``); data as ``MNIST-5k``, ``MNIST``,
``synthetic-faces``, or the basename of the folder passed with ``--data``.

Every key of the config is checked against the schema first (:func:`.config.check_key`): a misspelt
setting is an error, never a folder named after it. tests/data/run_dir_names.json pins every
catalogue experiment's folder at every scale.
"""
import os

from . import schema
from .catalog import EXPERIMENTS
from .config import TOP_KEYS, check_key

DISC_LABELS = {"ResNetDisc": "ResNet", "ConvDisc": "ConvDisc_LeakyReLU"}
DATA_LABELS = {"mnist-5k": "MNIST-5k", "mnist": "MNIST", "fashion-mnist": "Fashion-MNIST",
               "synthetic-faces": "synthetic-faces"}
# training settings named by a tag + value when they differ from the default ("" = the value alone)
TRAIN_TAGS = {"n_solo_epochs": "solo", "lr": "lr", "disc_lr": "dlr", "batch_size": "bs", "seed": "seed",
              "initializer": "", "pbp_loss": "", "max_disc_loss": "gate", "real_label": "real",
              "scheme": "", "beta1": "b1", "beta2": "b2", "lr_schedule": "lrs"}
# shown elsewhere in the name, or not part of what a run computes
TRAIN_UNNAMED = ("n_epochs", "disc_weight", "pbp_weight", "pbp_decay", "pbp_decay_every", "hybridize",
                 "log_interval", "max_nan_events", "keep_checkpoints", "extra")


def fmt(v):
    """A value as it appears in a folder name: ``1``, ``0.0002``, ``true``, ``0.5-step-2``."""
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, dict):   # e.g. an lr schedule spec: its values, compactly
        return "-".join(fmt(x) for _, x in sorted(v.items()))
    if isinstance(v, (list, tuple)):
        return "-".join(fmt(x) for x in v)
    return str(v)


def data_label(config, data_path=None):
    """``MNIST-5k``, ``synthetic-faces``, ... or the basename of ``data_path``."""
    if data_path:
        return os.path.basename(os.path.normpath(str(data_path))) or "images"
    d = config["data"]
    if d["source"] == "image-folder":
        return os.path.basename(os.path.normpath(str((d.get("options") or {}).get("path", "images"))))
    return DATA_LABELS.get(d["source"], d["source"])


def _leaves(node, prefix):
    """``[(dotted key, value)]`` of a nested dict's leaves."""
    out = []
    for k, v in node.items():
        out += _leaves(v, f"{prefix}.{k}") if isinstance(v, dict) else [(f"{prefix}.{k}", v)]
    return out


def check_names(config):
    """Every key the name is built from must be a valid setting (``ValueError`` otherwise)."""
    schema.check_train(config.get("train") or {})
    for section in ("data", "eval"):
        for key, _ in _leaves({k: v for k, v in (config.get(section) or {}).items()
                               if not (section == "data" and k in ("provenance", "note"))}, section):
            check_key(key, config)
    for key in (config.get("overrides") or {}):
        check_key(key, config)


def _train_defaults():
    from ..train import TrainConfig
    return TrainConfig().to_dict()


def run_name(config):
    """The hyperparameter part of a results folder, e.g. ``512_32_200_10_1`` (see the module docstring)."""
    check_names(config)
    base = EXPERIMENTS.get(config.get("name"))
    tokens, shown = [], set()
    for section in ("vae", "disc"):
        cfg = config.get(section) or {}
        base_keys = list((base or {}).get(section) or {}) if base else list(cfg)
        for k, v in cfg.items():
            if k == "model":
                continue
            shown.add(f"{section}.{k}")
            tokens.append(fmt(v) if k in base_keys else f"{k}{fmt(v)}")
    defaults = _train_defaults()
    train = {**defaults, **config.get("train", {})}
    tokens.append(fmt(train["n_epochs"]))
    if config.get("disc"):
        tokens += [fmt(train["disc_weight"]), fmt(train["pbp_weight"])]
    elif train["pbp_weight"] != defaults["pbp_weight"]:
        tokens.append(f"pbp{fmt(train['pbp_weight'])}")
    for k, v in train.items():
        if k in TRAIN_UNNAMED or isinstance(defaults.get(k), dict) or v == defaults.get(k):
            continue
        tokens.append(f"{TRAIN_TAGS.get(k, k)}{fmt(v)}")
    if train["pbp_decay"] != 1.0:
        tokens.append(f"decay{fmt(train['pbp_decay'])}x{fmt(train['pbp_decay_every'])}")
    # scheme settings (beta policy, gate, stabilisers, ...) the config sets name the run too, so that
    # experiments differing only there do not share a results folder
    scheme = [(k.rsplit(".", 1)[-1], v) for k, v in _leaves(
        {k: v for k, v in (config.get("train") or {}).items() if isinstance(defaults.get(k), dict)}, "train")]
    tokens += [f"{k}{fmt(v)}" for k, v in sorted(scheme, key=lambda kv: kv[0])]
    shown |= {f"train.{k}" for k in train} | {k for k, _ in _leaves(config.get("train") or {}, "train")}
    for k, v in (config.get("overrides") or {}).items():
        if k not in shown and k not in TOP_KEYS:
            tokens.append(f"{k.split('.')[-1]}{fmt(v)}")
    return "_".join(tokens)


def run_dir_for(config, results_root="results", data_path=None):
    """``<results_root>/<VAE>[_<Disc>]_on_<data>/<run_name>[_<scale>]``."""
    group = config["vae"]["model"]
    if config.get("disc"):
        group += "_" + DISC_LABELS.get(config["disc"]["model"], config["disc"]["model"])
    group += "_on_" + data_label(config, data_path)
    leaf = run_name(config)
    if config.get("scale") and config["scale"] != "full":
        leaf += "_" + config["scale"]
    return os.path.join(results_root, group, leaf)
