"""Every experiment of the original study as a named configuration, at three scales.

An experiment is DATA: a base configuration (the study's exact settings, the ``full`` scale) plus, per
scale, a dict of dotted-key overrides. Scales:

``full``
    The study's settings: batch 64, 80/20 split, 64x64 anime faces, 50 (MNIST) or 200 (anime) epochs.
    GPU hours for the anime runs.
``medium``
    Same models, same weights, fewer images and epochs: one notebook (a sweep's runs together
    included) in about 10-15 minutes on a 2-core CPU. Solo/combo epochs and the PBP-weight decay
    period are scaled with the epochs so the schedule's shape still shows.
``quick``
    Seconds to a minute per run (what CI runs): 32x32 images and narrower models where the full
    model would take minutes -- each scale says so in its ``note``.

>>> from vaegan_gluon.experiments import list_experiments, get_config
>>> cfg = get_config("mnist-vae-logreg", "quick", {"train.lr": 2e-4})

Results folders are named as the study named them (:func:`run_dir_for`)::

    results/<VAE>[_<Disc>]_on_<data>/<hyperparameters joined by _>[_<scale>]

``<hyperparameters>`` = the VAE's hyperparameter values in config order, the discriminator's, the
number of epochs, then -- with a discriminator -- ``disc_weight`` and ``pbp_weight`` (the study's
``ConvVAE_ResNet_on_anime/512_32_200_10_1``), then one ``<tag><value>`` token per other training
setting that differs from :class:`~vaegan_gluon.train.TrainConfig`'s default (``solo100``,
``decay0.95x25``, ``lr0.0002``, ``l2``, ...) and per user override not already shown. ``full`` runs
carry no scale suffix. Discriminators are labelled as in the study (``ResNetDisc`` -> ``ResNet``,
``ConvDisc`` -> ``ConvDisc_LeakyReLU``); data as ``MNIST-5k``, ``MNIST``, ``synthetic-faces``, or the
basename of the folder passed with ``--data``.
"""
import copy
import json
import os

SCALES = ("quick", "medium", "full")
DEFAULT_CLI_SCALE = "quick"          # `vaegan run` without --scale
DEFAULT_NOTEBOOK_SCALE = "medium"    # notebooks: env VAEGAN_SCALE, else this

# ----------------------------------------------------------------------------------------- data
_MNIST_BASE = {
    "data": {"source": "mnist-5k", "options": {}, "n_train": None, "n_val": None},
    "train": {"n_epochs": 50, "batch_size": 64},
    "eval": {"n_samples": 64},
}
_MNIST_SCALES = {
    "full": {"note": "study settings (50 epochs, batch 64) on the offline real MNIST subset mnist-5k "
                     "(4,500 train / 500 test); the study used full MNIST: --set data.source=mnist"},
    "medium": {"train.n_epochs": 20,
               "note": "all 4,500 mnist-5k training digits, 20 of the study's 50 epochs"},
    "quick": {"data.n_train": 1024, "data.n_val": 100, "train.n_epochs": 3,
              "note": "1,024 training digits, 3 epochs: a smoke test, not a result"},
}

_ANIME_BASE = {
    # synthetic-faces is the offline stand-in for the anime faces (pass --data PATH for yours);
    # its loader splits 80/20 by index, the study's split.
    "data": {"source": "synthetic-faces", "options": {"n": 20000, "size": 64}, "n_train": None, "n_val": None},
    "train": {"n_epochs": 200, "batch_size": 64},
    "eval": {"n_samples": 64},
}
# Medium: 1/25 of the epochs (200 -> 8) on 192 images (measured: ConvVAE(512, 32) + ResNet trains at
# ~5-12 img/s on 2 cores, so a 4-run sweep takes ~10-20 min); quick: 32x32 images, 2 epochs, narrow models.
_ANIME_SCALES = {
    "full": {"note": "study settings: 64x64, batch 64, 80/20 split, 200 epochs (GPU hours)"},
    "medium": {"data.options.n": 320, "data.n_train": 192, "data.n_val": 64, "train.n_epochs": 8,
               "note": "same models and weights at 64x64; 192 training images, 8 epochs (the study's "
                       "200 / 25); solo epochs and the decay period scaled by 1/25 too"},
    "quick": {"data.options.n": 160, "data.options.size": 32, "data.n_train": 128, "data.n_val": 32,
              "train.n_epochs": 2,
              "note": "smoke test: 32x32 images, 128 training images, 2 epochs (4 with solo + combo), narrower models "
                      "(see the vae/disc overrides)"},
}
# quick-scale model shrinks, one per model family (the full models take minutes per epoch on a CPU)
_Q_CONV = {"vae.n_latent": 32, "vae.base_channels": 8}
_Q_DENSE = {"vae.n_latent": 32, "vae.n_hidden_layers": 2, "vae.n_hidden_units": 256}


def _exp(description, family, base, vae, disc, train, scales, notebook):
    return {"description": description, "family": family, "base": base, "vae": vae, "disc": disc,
            "train": train, "scales": scales, "notebook": notebook}


def _solo_combo(full_epochs, n_solo_full, every_full, **extra):
    """Scale overrides of a solo+combo experiment: epochs, solo epochs and decay period scaled together."""
    return {"full": dict(extra.get("full", {})),
            "medium": {"train.n_epochs": 8, "train.n_solo_epochs": n_solo_full * 8 // full_epochs,
                       "train.pbp_decay_every": max(1, every_full * 8 // full_epochs), **extra.get("medium", {})},
            "quick": {"train.n_epochs": 4, "train.n_solo_epochs": n_solo_full * 4 // full_epochs,
                      "train.pbp_decay_every": 1, **extra.get("quick", {})}}


EXPERIMENTS = {
    # ----------------------------------------------------------------------------- MNIST
    "mnist-vae-bce": _exp(
        "DenseVAE(5 latent, 3x400) on MNIST, BCE pixel-by-pixel loss, 50 epochs",
        "mnist", _MNIST_BASE,
        {"model": "DenseVAE", "n_latent": 5, "n_hidden_layers": 3, "n_hidden_units": 400}, None,
        {"pbp_loss": "bce"}, {}, "01_mnist_pbp_losses.ipynb"),
    "mnist-vae-l2": _exp(
        "DenseVAE(5 latent, 3x400) on MNIST, L2 pixel-by-pixel loss, 50 epochs",
        "mnist", _MNIST_BASE,
        {"model": "DenseVAE", "n_latent": 5, "n_hidden_layers": 3, "n_hidden_units": 400}, None,
        {"pbp_loss": "l2"}, {}, "01_mnist_pbp_losses.ipynb"),
    "mnist-vae-logreg": _exp(
        "DenseVAE(5, 3x400) + BCE against a dense logistic regressor (1x200), disc_weight 1, 50 epochs "
        "(the main demo)",
        "mnist", _MNIST_BASE,
        {"model": "DenseVAE", "n_latent": 5, "n_hidden_layers": 3, "n_hidden_units": 400},
        {"model": "DenseLogReg", "n_hidden_layers": 1, "n_hidden_units": 200},
        {"pbp_loss": "bce", "disc_weight": 1.0}, {}, "02_mnist_vae_logreg.ipynb"),
    # ----------------------------------------------------------------------------- anime faces
    "anime-dense-vae": _exp(
        "DenseVAE(512 latent, 5x1024) on anime faces, BCE, 200 epochs",
        "anime", _ANIME_BASE,
        {"model": "DenseVAE", "n_latent": 512, "n_hidden_layers": 5, "n_hidden_units": 1024}, None,
        {}, {"quick": _Q_DENSE}, "03_anime_dense.ipynb"),
    "anime-dense-vae-logreg": _exp(
        "DenseVAE(512, 5x1024) against a dense logistic regressor (1x1024), disc_weight 10, 200 epochs",
        "anime", _ANIME_BASE,
        {"model": "DenseVAE", "n_latent": 512, "n_hidden_layers": 5, "n_hidden_units": 1024},
        {"model": "DenseLogReg", "n_hidden_layers": 1, "n_hidden_units": 1024},
        {"disc_weight": 10.0}, {"quick": {**_Q_DENSE, "disc.n_hidden_units": 256}}, "03_anime_dense.ipynb"),
    "anime-conv-vae": _exp(
        "ConvVAE(512 latent, 32 base channels) on anime faces, BCE, 200 epochs",
        "anime", _ANIME_BASE,
        {"model": "ConvVAE", "n_latent": 512, "base_channels": 32}, None,
        {}, {"quick": _Q_CONV}, "04_anime_conv_vae.ipynb"),
    "anime-conv-vae-convdisc": _exp(
        "ConvVAE(512, 32) against ConvDisc (LeakyReLU, 32 base channels), disc_weight 10, 200 epochs",
        "anime", _ANIME_BASE,
        {"model": "ConvVAE", "n_latent": 512, "base_channels": 32},
        {"model": "ConvDisc", "base_channels": 32},
        {"disc_weight": 10.0}, {"quick": {**_Q_CONV, "disc.base_channels": 8}}, "05_conv_discriminators.ipynb"),
    "anime-conv-vae1024-convdisc64": _exp(
        "ConvVAE(1024, 32) against ConvDisc (LeakyReLU, 64 base channels), disc_weight 10, 200 epochs",
        "anime", _ANIME_BASE,
        {"model": "ConvVAE", "n_latent": 1024, "base_channels": 32},
        {"model": "ConvDisc", "base_channels": 64},
        {"disc_weight": 10.0}, {"quick": {**_Q_CONV, "vae.n_latent": 64, "disc.base_channels": 16}},
        "05_conv_discriminators.ipynb"),
    "anime-conv-vae-resnet": _exp(
        "ConvVAE(512, 32) against a ResNet-18 discriminator, disc_weight 10, pbp_weight 1, 200 epochs "
        "(the sweeps' baseline)",
        "anime", _ANIME_BASE,
        {"model": "ConvVAE", "n_latent": 512, "base_channels": 32}, {"model": "ResNetDisc"},
        {"disc_weight": 10.0, "pbp_weight": 1.0},
        # the decay period is scaled here too, so the pbp-weight sweep's decay runs show their decay
        {"medium": {"train.pbp_decay_every": 1}, "quick": {**_Q_CONV, "train.pbp_decay_every": 1}},
        "06_resnet_discriminator.ipynb"),
    "anime-conv-vae1024-resnet-decay": _exp(
        "ConvVAE(1024, 32) against ResNet: 100 solo + 100 combo epochs, disc_weight 10, "
        "pbp_weight x0.95 every 25 combo epochs",
        "anime", _ANIME_BASE,
        {"model": "ConvVAE", "n_latent": 1024, "base_channels": 32}, {"model": "ResNetDisc"},
        {"n_solo_epochs": 100, "disc_weight": 10.0, "pbp_weight": 1.0, "pbp_decay": 0.95, "pbp_decay_every": 25},
        _solo_combo(200, 100, 25, quick={**_Q_CONV, "vae.n_latent": 64}), "06_resnet_discriminator.ipynb"),
    "anime-conv-vae1024-resnet-lr2e-4": _exp(
        "as anime-conv-vae1024-resnet-decay with initial learning rate 2e-4",
        "anime", _ANIME_BASE,
        {"model": "ConvVAE", "n_latent": 1024, "base_channels": 32}, {"model": "ResNetDisc"},
        {"n_solo_epochs": 100, "disc_weight": 10.0, "pbp_weight": 1.0, "pbp_decay": 0.95, "pbp_decay_every": 25,
         "lr": 2e-4},
        _solo_combo(200, 100, 25, quick={**_Q_CONV, "vae.n_latent": 64}), "06_resnet_discriminator.ipynb"),
    "anime-deepconv": _exp(
        "DeepConvVAE(1024, 32) against DeepConvDisc(64): 100 solo + 100 combo epochs, disc_weight 10, lr 2e-4",
        "anime", _ANIME_BASE,
        {"model": "DeepConvVAE", "n_latent": 1024, "base_channels": 32},
        {"model": "DeepConvDisc", "base_channels": 64},
        {"n_solo_epochs": 100, "disc_weight": 10.0, "pbp_weight": 1.0, "lr": 2e-4},
        _solo_combo(200, 100, 25, quick={**_Q_CONV, "vae.n_latent": 64, "disc.base_channels": 8}),
        "07_deep_conv.ipynb"),
}

# Sweeps over one hyperparameter of a base experiment. ``values`` per scale (same list if not a dict);
# ``extra_runs``: additional labelled runs (dotted overrides); ``reference``: the study's numbers.
SWEEPS = {
    "sweep-disc-weight": {
        "description": "ConvVAE(512, 32) + ResNet: disc_weight in {1, 10, 20, 50} (pbp_weight 1)",
        "base": "anime-conv-vae-resnet", "param": "train.disc_weight", "values": [1, 10, 20, 50],
        "extra_runs": [], "column": "pbp_loss", "notebook": "08_sweep_disc_weight.ipynb"},
    "sweep-pbp-weight": {
        "description": "ConvVAE(512, 32) + ResNet: pbp_weight in {1.2, 1, 0.8, 0.5}, plus pbp_weight 1 "
                       "decayed x0.95 and x0.9 every 25 epochs (disc_weight 10)",
        "base": "anime-conv-vae-resnet", "param": "train.pbp_weight", "values": [1.2, 1, 0.8, 0.5],
        "extra_runs": [{"label": "pbp_weight=1 decay 0.95", "set": {"train.pbp_weight": 1, "train.pbp_decay": 0.95}},
                       {"label": "pbp_weight=1 decay 0.9", "set": {"train.pbp_weight": 1, "train.pbp_decay": 0.9}}],
        "column": "pbp_loss", "notebook": "09_sweep_pbp_weight.ipynb"},
    "sweep-solo-combo": {
        "description": "ConvVAE(512, 32) + ResNet: n_solo_epochs in {0, 50, 100, 150} of 200, wall time per run",
        "base": "anime-conv-vae-resnet", "param": "train.n_solo_epochs",
        "values": {"full": [0, 50, 100, 150], "medium": [0, 2, 4, 6], "quick": [0, 1, 2, 3]},
        "scales": {"quick": {"train.n_epochs": 4}},
        "extra_runs": [], "column": "pbp_loss", "notebook": "10_sweep_solo_combo.ipynb",
        # the study's wall times on a GPU, by position in `values`
        "reference": {"column": "train_seconds", "label": "study seconds (GPU)",
                      "values": [6782.88, 5515.20, 4325.86, 3120.53]}},
}

SECTIONS = ("data", "vae", "disc", "train", "eval")
TOP_KEYS = ("name", "description")   # top-level keys an override may set (scale/note/command are derived)
_DISC_LABELS = {"ResNetDisc": "ResNet", "ConvDisc": "ConvDisc_LeakyReLU"}
_DATA_LABELS = {"mnist-5k": "MNIST-5k", "mnist": "MNIST", "fashion-mnist": "Fashion-MNIST",
                "synthetic-faces": "synthetic-faces"}
_TRAIN_TAGS = {"n_solo_epochs": "solo", "lr": "lr", "disc_lr": "dlr", "batch_size": "bs", "seed": "seed",
               "initializer": "", "pbp_loss": "", "max_disc_loss": "gate", "real_label": "real",
               "scheme": "", "beta1": "b1", "beta2": "b2", "lr_schedule": "lrs"}
_TRAIN_UNNAMED = ("n_epochs", "disc_weight", "pbp_weight", "pbp_decay", "pbp_decay_every", "hybridize",
                  "log_interval", "max_nan_events", "keep_checkpoints", "extra")


# ------------------------------------------------------------------------------------ listing
def list_experiments(include_sweeps=True):
    """``{name: one-line description}`` of every named experiment (and sweep)."""
    out = {name: e["description"] for name, e in EXPERIMENTS.items()}
    if include_sweeps:
        out.update({name: s["description"] for name, s in SWEEPS.items()})
    return out


def list_sweeps():
    """``{name: description}`` of the named sweeps."""
    return {name: s["description"] for name, s in SWEEPS.items()}


def _valid_names():
    return ", ".join(list(EXPERIMENTS) + list(SWEEPS))


def check_scale(scale):
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; valid scales: {', '.join(SCALES)}")
    return scale


def default_scale():
    """The notebooks' scale: env ``VAEGAN_SCALE`` (``quick``, ``medium`` or ``full``), default ``medium``."""
    return check_scale(os.environ.get("VAEGAN_SCALE", DEFAULT_NOTEBOOK_SCALE).strip().lower())


def _experiment(name):
    if name in EXPERIMENTS:
        return EXPERIMENTS[name]
    if name in SWEEPS:
        raise ValueError(f"{name!r} is a sweep, not a single run: use run_sweep({name!r}) "
                         f"(CLI: vaegan sweep {name}); sweep_configs() lists its runs")
    raise ValueError(f"unknown experiment {name!r}; valid names: {_valid_names()}")


# ------------------------------------------------------------------------------- overrides
def parse_value(text):
    """A command-line value by JSON rules: numbers, true/false, null, lists; anything else is a string.

    Python spellings ``True``/``False``/``None`` are accepted too.
    """
    if not isinstance(text, str):
        return text
    s = text.strip()
    if s in ("True", "False", "None"):
        return {"True": True, "False": False, "None": None}[s]
    try:
        return json.loads(s)
    except ValueError:
        return s


def parse_overrides(pairs):
    """``["train.lr=2e-4", "vae.n_latent=8"]`` -> ``{"train.lr": 0.0002, "vae.n_latent": 8}``."""
    out = {}
    for p in pairs or ():
        key, sep, value = str(p).partition("=")
        if not sep or not key.strip():
            raise ValueError(f"override {p!r} is not key=value (e.g. train.lr=2e-4)")
        out[key.strip()] = parse_value(value)
    return out


def _model_keys(model):
    """Hyperparameter names of model ``model`` (None for an unknown model)."""
    from ..models import DISCRIMINATORS, GENERATORS, _hyperparameters
    cls = {k.lower(): v for k, v in {**GENERATORS, **DISCRIMINATORS}.items()}.get(str(model).lower())
    if cls is None:
        return None
    return [k for k in _hyperparameters(cls) if k not in ("prefix", "params", "image_shape")]


def valid_keys(config):
    """Every dotted key an override may set in ``config`` (for error messages and the CLI)."""
    from ..data import source_options
    from ..train import TrainConfig
    keys = list(TOP_KEYS) + ["disc"]
    keys += ["data.source", "data.n_train", "data.n_val"]
    try:
        keys += [f"data.options.{k}" for k in source_options(config["data"]["source"])]
    except (KeyError, ValueError):
        pass
    keys += ["vae.model"] + [f"vae.{k}" for k in (_model_keys(config["vae"]["model"]) or [])]
    keys += ["disc.model"]
    if config.get("disc"):
        keys += [f"disc.{k}" for k in (_model_keys(config["disc"]["model"]) or [])]
    keys += [f"train.{k}" for k in TrainConfig.keys()] + ["eval.n_samples"]
    return keys


def resolve_key(key, config):
    """Full dotted key for ``key``: a bare training setting (``lr``) means ``train.lr``; a bare data-source
    option (``size``) or ``data.size`` means ``data.options.size``."""
    from ..train import TrainConfig
    key = str(key).strip()
    if "." not in key:
        if key in TrainConfig.keys():
            return "train." + key
        if key in TOP_KEYS or key == "disc":
            return key
        if key in ("n_train", "n_val", "source"):
            return "data." + key
        if key == "n_samples":
            return "eval.n_samples"
        raise ValueError(f"unknown key {key!r}; valid keys: {', '.join(valid_keys(config))}")
    section, _, rest = key.partition(".")
    if section == "data" and rest not in ("source", "n_train", "n_val") and not rest.startswith("options."):
        return "data.options." + rest
    return key


def apply_overrides(config, overrides):
    """Return a copy of ``config`` with dotted ``overrides`` applied and validated.

    Raises ``ValueError`` naming the bad key (and listing the valid ones) or the bad value.
    """
    config = copy.deepcopy(config)
    for key, value in (overrides or {}).items():
        full = resolve_key(key, config)
        _set(config, full, value)
    validate_config(config)
    return config


def _set(config, full, value):
    from ..train import TrainConfig
    parts = full.split(".")
    section = parts[0]
    if len(parts) == 1:
        if section == "disc":
            if value is not None and not isinstance(value, (str, dict)):
                raise ValueError(f"disc must be null (no discriminator), a model name or a dict, got {value!r}")
            config["disc"] = {"model": value} if isinstance(value, str) else value
            return
        if section not in TOP_KEYS:
            raise ValueError(f"unknown key {full!r}; valid keys: {', '.join(valid_keys(config))}")
        config[section] = value
        return
    if section not in SECTIONS:
        raise ValueError(f"unknown key {full!r}: no section {section!r} (sections: {', '.join(SECTIONS)}); "
                         f"valid keys: {', '.join(valid_keys(config))}")
    leaf = parts[-1]
    if section == "train":
        if parts[1] not in TrainConfig.keys() or (len(parts) > 2 and parts[1] != "extra"):
            raise ValueError(f"unknown training setting {full!r}; valid keys: "
                             + ", ".join(f"train.{k}" for k in TrainConfig.keys()))
    elif section in ("vae", "disc"):
        if section == "disc" and not config.get("disc"):
            if leaf != "model":
                raise ValueError(f"{full!r}: this experiment has no discriminator; set disc.model first "
                                 "(e.g. --set disc.model=ResNetDisc)")
            config["disc"] = {}
        if leaf == "model":
            from ..models import DISCRIMINATORS, GENERATORS
            allowed = GENERATORS if section == "vae" else DISCRIMINATORS
            match = {m.lower(): m for m in allowed}.get(str(value).lower())
            if match is None:
                raise ValueError(f"{full}={value!r}: unknown model; valid: {', '.join(allowed)}")
            if match != config[section].get("model"):  # a new model keeps no hyperparameters of the old
                config[section] = {"model": match}
            return
        valid = _model_keys(config[section]["model"]) or []
        if len(parts) != 2 or leaf not in valid:
            raise ValueError(f"unknown key {full!r}: {config[section]['model']} has hyperparameters "
                             + ", ".join(f"{section}.{k}" for k in valid))
    elif section == "data":
        if parts[1] == "options":
            from ..data import source_options
            valid = source_options(config["data"]["source"])
            if len(parts) != 3 or leaf not in valid:
                raise ValueError(f"unknown key {full!r}: data source {config['data']['source']!r} has options "
                                 + (", ".join(f"data.options.{k}" for k in valid) or "none"))
        elif parts[1] == "source":
            from ..data import sources
            if value not in sources():
                raise ValueError(f"data.source={value!r}: unknown; valid: {', '.join(sources())}")
            if value != config["data"]["source"]:
                from ..data import source_options
                keep = source_options(value)
                config["data"]["options"] = {k: v for k, v in config["data"].get("options", {}).items()
                                             if k in keep}
    elif section == "eval" and parts[1] != "n_samples":
        raise ValueError(f"unknown key {full!r}; valid: eval.n_samples")
    node = config.setdefault(section, {})
    for p in parts[1:-1]:
        node = node.setdefault(p, {})
    node[leaf] = value


def _image_shape(data):
    opts = data.get("options") or {}
    if data["source"] in ("synthetic-faces", "image-folder"):
        c = 1 if opts.get("mode") == "grey" else 3
        s = int(opts.get("size", 64))
        return (c, s, s)
    return (1, 28, 28)


def validate_config(config):
    """Check ``config`` without training: sections, data source/options, model names/hyperparameters
    (the models are constructed, not initialized), TrainConfig. Raises ``ValueError``."""
    from ..data import source_options, sources
    from ..models import get_model
    from ..train import TrainConfig
    for s in ("data", "vae", "train"):
        if not isinstance(config.get(s), dict):
            raise ValueError(f"config needs a {s!r} section (dict)")
    data = config["data"]
    if data.get("source") not in sources():
        raise ValueError(f"data.source={data.get('source')!r}: unknown; valid: {', '.join(sources())}")
    bad = sorted(set(data.get("options") or {}) - set(source_options(data["source"])))
    if bad:
        raise ValueError(f"data.options {bad} not accepted by {data['source']!r}; valid: "
                         f"{', '.join(source_options(data['source']))}")
    for k in ("n_train", "n_val"):
        v = data.get(k)
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
            raise ValueError(f"data.{k} must be a positive integer or null, got {v!r}")
    shape = _image_shape(data)
    for section, extra in (("vae", {"image_shape": shape}), ("disc", {})):
        cfg = config.get(section)
        if not cfg:
            continue
        hp = dict(cfg)
        model = hp.pop("model", None)
        try:
            get_model(model, **hp, **extra)
        except (TypeError, ValueError) as err:
            raise ValueError(f"{section}: {err}") from None
    _check_train_types(config["train"])
    try:
        TrainConfig.from_dict(config["train"])
    except (TypeError, ValueError) as err:
        raise ValueError(f"train: {err}") from None
    n = (config.get("eval") or {}).get("n_samples", 64)
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"eval.n_samples must be an integer >= 0, got {n!r}")
    return config


def _check_train_types(train):
    import dataclasses
    from ..train import TrainConfig
    defaults = {f.name: (f.default if f.default is not dataclasses.MISSING else None)
                for f in dataclasses.fields(TrainConfig)}
    for k, v in train.items():
        d = defaults.get(k)
        if k not in defaults or d is None or k == "extra":
            if k in ("disc_lr", "max_disc_loss") and v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))):
                raise ValueError(f"train.{k} must be a number or null, got {v!r}")
            continue
        if isinstance(d, bool):
            ok = isinstance(v, bool)
        elif isinstance(d, int):
            ok = isinstance(v, int) and not isinstance(v, bool)
        elif isinstance(d, float):
            ok = isinstance(v, (int, float)) and not isinstance(v, bool)
        else:
            ok = isinstance(v, type(d))
        if not ok:
            raise ValueError(f"train.{k} must be {type(d).__name__}, got {v!r}")


# ----------------------------------------------------------------------------------- configs
def get_config(name, scale="medium", overrides=None):
    """The configuration dict of experiment ``name`` at ``scale`` with dotted ``overrides`` applied.

    Parameters
    ----------
    name : str
        One of :func:`list_experiments` (not a sweep: see :func:`sweep_configs`).
    scale : {"quick", "medium", "full"}
    overrides : dict, optional
        ``{"train.lr": 2e-4, "vae.n_latent": 8, "data.n_train": 100}``; bare training settings
        (``"lr"``) are accepted. Unknown names, keys or bad values raise ``ValueError`` listing what is valid.

    Returns
    -------
    dict
        The runner's configuration (see :mod:`vaegan_gluon.experiments.runner`) plus ``name``,
        ``description``, ``scale``, ``note`` (what the scale changed) and ``notebook``.
    """
    e = _experiment(name)
    check_scale(scale)
    config = copy.deepcopy(e["base"])
    config["name"] = name
    config["description"] = e["description"]
    config["vae"] = copy.deepcopy(e["vae"])
    config["disc"] = copy.deepcopy(e["disc"])
    config["train"] = {**config["train"], **e["train"]}
    config["scale"] = scale
    config["notebook"] = e["notebook"]
    scale_over = {**_family_scales(e)[scale], **e["scales"].get(scale, {})}
    config["note"] = scale_over.pop("note", None)
    for key, value in scale_over.items():
        _set(config, resolve_key(key, config), value)
    if config.get("note") and scale != "full" and any(k.startswith(("vae.", "disc.")) for k in scale_over):
        shrunk = ", ".join(f"{k}={v}" for k, v in scale_over.items() if k.startswith(("vae.", "disc.")))
        config["note"] += f"; models narrowed: {shrunk}"
    validate_config(config)
    if overrides:
        config = apply_overrides(config, overrides)
        config["overrides"] = {resolve_key(k, config): v for k, v in overrides.items()}
    return config


def _family_scales(e):
    return _MNIST_SCALES if e["family"] == "mnist" else _ANIME_SCALES


# ------------------------------------------------------------------------------------ naming
def _fmt(v):
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, dict):   # e.g. an lr schedule spec: its values, compactly
        return "-".join(_fmt(x) for _, x in sorted(v.items()))
    if isinstance(v, (list, tuple)):
        return "-".join(_fmt(x) for x in v)
    return str(v)


def data_label(config, data_path=None):
    """``MNIST-5k``, ``synthetic-faces``, ... or the basename of ``data_path``."""
    if data_path:
        return os.path.basename(os.path.normpath(str(data_path))) or "images"
    d = config["data"]
    if d["source"] == "image-folder":
        return os.path.basename(os.path.normpath(str((d.get("options") or {}).get("path", "images"))))
    return _DATA_LABELS.get(d["source"], d["source"])


def run_name(config):
    """The hyperparameter part of a results folder, e.g. ``512_32_200_10_1`` (see the module docstring)."""
    from ..train import TrainConfig
    name = config.get("name")
    base = EXPERIMENTS.get(name)
    tokens = []
    shown = set()
    for section in ("vae", "disc"):
        cfg = config.get(section) or {}
        base_keys = list((base or {}).get(section) or {}) if base else list(cfg)
        for k, v in cfg.items():
            if k == "model":
                continue
            shown.add(f"{section}.{k}")
            tokens.append(_fmt(v) if k in base_keys else f"{k}{_fmt(v)}")
    train = {**TrainConfig().to_dict(), **config.get("train", {})}
    defaults = TrainConfig().to_dict()
    tokens.append(_fmt(train["n_epochs"]))
    if config.get("disc"):
        tokens += [_fmt(train["disc_weight"]), _fmt(train["pbp_weight"])]
    elif train["pbp_weight"] != defaults["pbp_weight"]:
        tokens.append(f"pbp{_fmt(train['pbp_weight'])}")
    for k, v in train.items():
        if k in _TRAIN_UNNAMED or v == defaults.get(k):
            continue
        tokens.append(f"{_TRAIN_TAGS.get(k, k)}{_fmt(v)}")
    if train["pbp_decay"] != 1.0:
        tokens.append(f"decay{_fmt(train['pbp_decay'])}x{_fmt(train['pbp_decay_every'])}")
    # scheme settings (beta policy, gate, stabilisers, ...) name the run too, so that experiments
    # differing only there do not share a results folder
    tokens += [f"{k}{_fmt(v)}" for k, v in sorted((train.get("extra") or {}).items())]
    shown |= {f"train.{k}" for k in train}
    shown |= {f"train.extra.{k}" for k in (train.get("extra") or {})}
    for k, v in (config.get("overrides") or {}).items():
        if k not in shown and k not in TOP_KEYS:
            tokens.append(f"{k.split('.')[-1]}{_fmt(v)}")
    return "_".join(tokens)


def run_dir_for(config, results_root="results", data_path=None):
    """``<results_root>/<VAE>[_<Disc>]_on_<data>/<run_name>[_<scale>]``."""
    group = config["vae"]["model"]
    if config.get("disc"):
        group += "_" + _DISC_LABELS.get(config["disc"]["model"], config["disc"]["model"])
    group += "_on_" + data_label(config, data_path)
    leaf = run_name(config)
    if config.get("scale") and config["scale"] != "full":
        leaf += "_" + config["scale"]
    return os.path.join(results_root, group, leaf)


# ------------------------------------------------------------------------------------ sweeps
def get_sweep(name):
    if name not in SWEEPS:
        raise ValueError(f"unknown sweep {name!r}; valid sweeps: {', '.join(SWEEPS)}")
    return copy.deepcopy(SWEEPS[name])


def sweep_values(sweep, scale):
    v = sweep["values"]
    return list(v[scale] if isinstance(v, dict) else v)


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
        _experiment(name_or_base)
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
    common = {**spec.get("scales", {}).get(scale, {}), **(overrides or {})}
    leaf = spec["param"].split(".")[-1]
    runs = [(f"{leaf}={_fmt(v)}", {**common, spec["param"]: v}) for v in values]
    runs += [(r["label"], {**common, **r["set"]}) for r in spec.get("extra_runs", [])]
    spec["values"] = list(values)
    return runs, spec


def sweep_configs(name_or_base, scale="medium", param=None, values=None, overrides=None):
    """``[(label, config)]`` of every run of a sweep, validated, without training."""
    runs, spec = sweep_runs(name_or_base, scale, param, values, overrides)
    return [(label, get_config(spec["base"], scale, over)) for label, over in runs]
