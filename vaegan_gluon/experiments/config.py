"""A catalogue entry -> a validated configuration: the schema, dotted overrides and their errors.

>>> from vaegan_gluon.experiments import get_config
>>> cfg = get_config("mnist-vae-logreg", "quick", {"train.lr": 2e-4, "vae.n_latent": 8})

A configuration is a plain JSON-able dict with sections ``data``, ``vae``, ``disc`` (None: no
discriminator), ``train`` and ``eval`` (see :mod:`.runner`). Where each key's schema comes from:

``train.*``
    :class:`~vaegan_gluon.train.TrainConfig` as it is at runtime: its ``dataclasses.fields``, walked
    recursively into nested dataclasses; types from the annotations (``int``, ``float``, ``bool``,
    ``str``, ``Optional``/``Union``, ``Literal``, ``list``, ``dict``, ``Any``); ranges and choices from
    the dataclasses themselves (their ``__post_init__`` / ``validate()``); ``train.extra`` is the
    dataclass :class:`~vaegan_gluon.train.config.ExtraSettings`, so its keys are its fields.
``vae.*`` / ``disc.*``
    the model constructor's signature (:func:`vaegan_gluon.models.get_model`): names, and types from the
    defaults; then the model is constructed (not initialised) so its own checks run.
``data.*``
    the data source's loader signature (:func:`vaegan_gluon.data.source_options`).

Every bad key or value is a ``ValueError`` whose message is one line naming the key and what is valid
(the CLI prints it and exits with status 2).

Why not yacs or OmegaConf (DESIGN.md suggests them): yacs (installed with gluoncv) types a key by its
current value, so a setting whose default is None (``train.disc_lr``, ``train.max_disc_loss``,
``train.lr_schedule``) can never be set, it parses values as Python literals (``true`` stays a string),
and it cannot change the schema when ``vae.model`` or ``data.source`` changes. OmegaConf's structured
configs type from dataclass annotations as we do, but reject annotations TrainConfig uses
(``Optional[object]``), do not run the dataclasses' own validation, would also have to be rebuilt per
model and data source, and would be a new dependency (with antlr4). What remains here is the schema
walk (~60 lines) and the sections' rules; the dotted get/set is a few lines.
"""
import copy
import inspect
import json
import math
import os

from . import schema
from .catalog import ALIASES, DEFAULT_NOTEBOOK_SCALE, EXPERIMENTS, FAMILY_SCALES, SCALES, SWEEPS, like

SECTIONS = ("data", "vae", "disc", "train", "eval")
EVAL_KEYS = ("n_samples", "extractor")   # the eval section's settings (validate_config checks their values)
TOP_KEYS = ("name", "description")   # top-level keys an override may set (scale/note/command are derived)


# ------------------------------------------------------------------------------------- names
def check_scale(scale):
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; valid scales: {', '.join(SCALES)}")
    return scale


def default_scale():
    """The notebooks' scale: env ``VAEGAN_SCALE`` (``quick``, ``medium`` or ``full``), default ``medium``."""
    return check_scale(os.environ.get("VAEGAN_SCALE", DEFAULT_NOTEBOOK_SCALE).strip().lower())


def experiment(name):
    """The catalogue entry of experiment ``name`` (``ValueError`` listing the valid names)."""
    if name in EXPERIMENTS:
        return EXPERIMENTS[name]
    if name in SWEEPS:
        raise ValueError(f"{name!r} is a sweep, not a single run: use run_sweep({name!r}) "
                         f"(CLI: vaegan sweep {name}); sweep_configs() lists its runs")
    raise ValueError(f"unknown experiment {name!r}; valid names: {', '.join(list(EXPERIMENTS) + list(SWEEPS))}")


# ------------------------------------------------------------------------------- parsing
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




# ---------------------------------------------------------------------------- the keys
def model_defaults(model):
    """``{hyperparameter: default}`` of model ``model`` (None for an unknown model)."""
    from ..models import DISCRIMINATORS, GENERATORS, _hyperparameters, _init_parameters
    cls = {k.lower(): v for k, v in {**GENERATORS, **DISCRIMINATORS}.items()}.get(str(model).lower())
    if cls is None:
        return None
    params = _init_parameters(cls)
    return {k: (None if params[k].default is inspect.Parameter.empty else params[k].default)
            for k in _hyperparameters(cls) if k not in ("prefix", "params", "image_shape")}


def _model_keys(model):
    """Hyperparameter names of model ``model`` (None for an unknown model)."""
    d = model_defaults(model)
    return None if d is None else list(d)


def valid_keys(config):
    """Every dotted key an override may set in ``config`` (for error messages and the CLI)."""
    from ..data import source_options
    keys = list(TOP_KEYS) + ["disc"]
    keys += ["data.source", "data.n_train", "data.n_val"]
    try:
        keys += [f"data.options.{k}" for k in source_options(config["data"]["source"])]
    except (KeyError, ValueError):  # an unknown source is reported by its own check, with the valid ones
        pass
    keys += ["vae.model"] + [f"vae.{k}" for k in (_model_keys(config["vae"]["model"]) or [])]
    keys += ["disc.model"]
    if config.get("disc"):
        keys += [f"disc.{k}" for k in (_model_keys(config["disc"]["model"]) or [])]
    return keys + schema.train_keys() + ["eval.n_samples", "eval.extractor"]


def resolve_key(key, config):
    """Full dotted key for ``key``: a bare training setting (``lr``) means ``train.lr``; a bare data-source
    option (``size``) or ``data.size`` means ``data.options.size``."""
    key = str(key).strip()
    if "." not in key:
        if f"train.{key}" in schema.train_keys() or f"train.{key}.*" in schema.train_keys():
            return "train." + key
        if key in TOP_KEYS or key == "disc":
            return key
        if key in ("n_train", "n_val", "source"):
            return "data." + key
        if key in ("n_samples", "extractor"):
            return "eval." + key
        raise ValueError(f"unknown key {key!r}; valid keys: {', '.join(valid_keys(config))}")
    section, _, rest = key.partition(".")
    if section == "data" and rest not in ("source", "n_train", "n_val") and not rest.startswith("options."):
        return "data.options." + rest
    return key


def check_key(full, config):
    """Raise ``ValueError`` unless ``full`` (a resolved dotted key) is settable in ``config``."""
    parts = full.split(".")
    section = parts[0]
    if len(parts) == 1:
        if section not in TOP_KEYS + ("disc",):
            raise ValueError(f"unknown key {full!r}; valid keys: {', '.join(valid_keys(config))}")
    elif section not in SECTIONS:
        raise ValueError(f"unknown key {full!r}: no section {section!r} (sections: {', '.join(SECTIONS)}); "
                         f"valid keys: {', '.join(valid_keys(config))}")
    elif section == "train":
        err = schema.key_error(parts[1:])
        if err:
            raise ValueError(err)
    elif section in ("vae", "disc") and parts[-1] != "model":
        if section == "disc" and not config.get("disc"):
            raise ValueError(f"{full!r}: this experiment has no discriminator; set disc.model first "
                             "(e.g. --set disc.model=ResNetDisc)")
        valid = _model_keys(config[section]["model"]) or []
        if len(parts) != 2 or parts[1] not in valid:
            raise ValueError(f"unknown key {full!r}: {config[section]['model']} has hyperparameters "
                             + ", ".join(f"{section}.{k}" for k in valid))
    elif section in ("vae", "disc") and len(parts) != 2:
        raise ValueError(f"unknown key {full!r}: did you mean {section}.model?")
    elif section == "data" and parts[1] == "options":
        from ..data import source_options
        valid = source_options(config["data"]["source"])
        if len(parts) != 3 or parts[2] not in valid:
            raise ValueError(f"unknown key {full!r}: data source {config['data']['source']!r} has options "
                             + (", ".join(f"data.options.{k}" for k in valid) or "none"))
    elif section == "data" and (len(parts) != 2 or parts[1] not in ("source", "n_train", "n_val")):
        raise ValueError(f"unknown key {full!r}; valid: data.source, data.n_train, data.n_val, data.options.*")
    elif section == "eval" and parts[1:] not in (["n_samples"], ["extractor"]):
        raise ValueError(f"unknown key {full!r}; valid: eval.n_samples, eval.extractor")


# ----------------------------------------------------------------------- overrides
def apply_overrides(config, overrides):
    """Return a copy of ``config`` with dotted ``overrides`` applied and validated.

    Raises ``ValueError`` naming the bad key (and listing the valid ones) or the bad value.
    """
    config = copy.deepcopy(config)
    for key, value in (overrides or {}).items():
        _set(config, resolve_key(key, config), value)
    validate_config(config)
    return config


def _set(config, full, value):
    check_key(full, config)
    parts = full.split(".")
    section, leaf = parts[0], parts[-1]
    if len(parts) == 1:
        if section == "disc":
            if value is not None and not isinstance(value, (str, dict)):
                raise ValueError(f"disc must be null (no discriminator), a model name or a dict, got {value!r}")
            config["disc"] = {"model": value} if isinstance(value, str) else value
        else:
            config[section] = value
        return
    if section in ("vae", "disc") and leaf == "model":
        from ..models import DISCRIMINATORS, GENERATORS
        allowed = GENERATORS if section == "vae" else DISCRIMINATORS
        match = {m.lower(): m for m in allowed}.get(str(value).lower())
        if match is None:
            raise ValueError(f"{full}={value!r}: unknown model; valid: {', '.join(allowed)}")
        if match != (config.get(section) or {}).get("model"):  # a new model keeps no hyperparameters of the old
            config[section] = {"model": match}
        return
    if full == "data.source":
        from ..data import source_options, sources
        if not isinstance(value, str) or value not in sources():
            raise ValueError(f"data.source={value!r}: unknown; valid: {', '.join(sources())}")
        if value != config["data"]["source"]:
            keep = source_options(value)
            config["data"]["options"] = {k: v for k, v in config["data"].get("options", {}).items() if k in keep}
    node = config.setdefault(section, {})
    for p in parts[1:-1]:
        node = node.setdefault(p, {})
        if not isinstance(node, dict):
            raise ValueError(f"{full}: {'.'.join(parts[:-1])} is not a section")
    node[leaf] = value


# ---------------------------------------------------------------------------- validation
INT_LIMIT = 2 ** 31   # sizes, counts and seeds: MXNet shapes and numpy seeds are 32-bit


#: the largest model hyperparameter (an integer) a configuration may set: layer sizes, latent and channel
#: counts, attribute outputs; layers. Validation only constructs the model, so a width of 10**9 passed it
#: and failed at initialisation with an MXNet shape check.
MODEL_INT_MAX = {None: 65536, "n_hidden_layers": 100}


def _check_like_default(key, value, default):
    """Type (and sign) of a model or data-source setting from its default value; None: no check."""
    if default is None:
        return
    if callable(default):   # a class or function (norm_layer=nn.BatchNorm): Python code, not a setting
        raise ValueError(f"{key} takes a Python object (default {getattr(default, '__name__', default)}); "
                         "it cannot be set from a configuration")
    if isinstance(default, bool):
        ok, what = isinstance(value, bool), "true or false"
    elif isinstance(default, int):
        lo = 1 if default >= 1 else 0 if default >= 0 else -INT_LIMIT
        ok = isinstance(value, int) and not isinstance(value, bool) and lo <= value < INT_LIMIT
        what = f"an integer in [{lo}, 2^31)"
    elif isinstance(default, float):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        what = "a finite number"
    elif isinstance(default, str):
        ok, what = isinstance(value, str) and value != "", "a non-empty string"
    else:
        return
    if not ok:
        raise ValueError(f"{key} must be {what} (default {default!r}), got {value!r}")


def _image_shape(data):
    opts = data.get("options") or {}
    if data["source"] in ("synthetic-faces", "image-folder"):
        c = 1 if opts.get("mode") == "grey" else 3
        s = int(opts.get("size", 64))
        return (c, s, s)
    return (1, 28, 28)


def validate_config(config):
    """Check ``config`` without training: sections, data source/options, model names/hyperparameters
    (the models are constructed, not initialized), the training settings (:mod:`.schema`).
    Returns ``config``; raises ``ValueError`` with a one-line message naming the key."""
    from ..data import source_options, sources
    from ..models import get_model
    for s in ("data", "vae", "train"):
        if not isinstance(config.get(s), dict):
            raise ValueError(f"config needs a {s!r} section (dict)")
    # the report writes them as text: a number here ended a trained run in a traceback (the settings fuzz)
    for k in TOP_KEYS:
        v = config.get(k)
        if k in config and (not isinstance(v, str) or (k == "name" and not v.strip())):
            raise ValueError(f"{k} must be {'a non-empty' if k == 'name' else 'a'} string, got {v!r}")
    data = config["data"]
    if data.get("source") not in sources():
        raise ValueError(f"data.source={data.get('source')!r}: unknown; valid: {', '.join(sources())}")
    valid = source_options(data["source"])
    for k, v in (data.get("options") or {}).items():
        if k not in valid:
            raise ValueError(f"data.options.{k} is not accepted by {data['source']!r}; valid: "
                             f"{', '.join(f'data.options.{o}' for o in valid) or 'none'}")
        _check_like_default(f"data.options.{k}", v, valid[k])
    for k in ("n_train", "n_val"):
        v = data.get(k)
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or not 1 <= v < INT_LIMIT):
            raise ValueError(f"data.{k} must be a positive integer or null, got {v!r}")
    shape = _image_shape(data)
    for section, extra in (("vae", {"image_shape": shape}), ("disc", {})):
        cfg = config.get(section)
        if not cfg:
            continue
        if not isinstance(cfg, dict) or not isinstance(cfg.get("model"), str):
            raise ValueError(f"{section} must name a model ({section}.model), got {cfg!r}")
        hp = dict(cfg)
        model = hp.pop("model")
        defaults = model_defaults(model)
        if defaults is None:
            raise ValueError(f"{section}.model={model!r}: unknown model; see vaegan_gluon.models")
        for k, v in hp.items():
            if k not in defaults:
                raise ValueError(f"unknown key {section}.{k}: {model} has hyperparameters "
                                 + ", ".join(f"{section}.{h}" for h in defaults))
            _check_like_default(f"{section}.{k}", v, defaults[k])
            top = MODEL_INT_MAX.get(k, MODEL_INT_MAX[None])
            if isinstance(v, int) and not isinstance(v, bool) and isinstance(defaults[k], int) and v > top:
                raise ValueError(f"{section}.{k}={v} is over {top}: too large a model to build and train "
                                 "(an MXNet shape check failed at initialisation; found by the trained settings fuzz)")
        try:
            get_model(model, **hp, **extra)
        except Exception as err:  # noqa: BLE001  (MXNet raises its own errors for bad shapes)
            raise ValueError(f"{section}: {schema.one_line(err)}") from None
    schema.build_train(config["train"])
    # instance noise is set on the discriminator each epoch: one built without it failed at the first epoch
    # with "pass instance_noise=True to use set_noise_stddev" (found by the trained settings fuzz)
    std = (config["train"].get("extra") or {}).get("instance_noise_stddev") or 0
    disc = config.get("disc") or {}
    if isinstance(std, (int, float)) and not isinstance(std, bool) and std > 0 and disc:
        defaults = model_defaults(disc["model"]) or {}
        if "instance_noise" not in defaults:
            raise ValueError(f"train.extra.instance_noise_stddev={std}: {disc['model']} has no instance noise; "
                             "set it to 0 or choose another disc.model")
        if not disc.get("instance_noise", defaults["instance_noise"]):
            raise ValueError(f"train.extra.instance_noise_stddev={std} needs a discriminator built with instance "
                             "noise: add --set disc.instance_noise=true")
    ev = config.get("eval") or {}
    if not isinstance(ev, dict):
        raise ValueError(f"eval must be a dict of settings (eval.n_samples, eval.extractor), got {ev!r}")
    for k in ev:
        if k not in EVAL_KEYS:
            raise ValueError(f"unknown key eval.{k}; valid: {', '.join('eval.' + e for e in EVAL_KEYS)}")
    # the report draws n_samples images from the prior and scores them: 0 would end a trained run in a crash
    n = ev.get("n_samples", 64)
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 4096:
        raise ValueError(f"eval.n_samples must be an integer in [1, 4096], got {n!r}")
    ext = ev.get("extractor")
    if ext is not None:
        from ..evaluation.extractors import NAMES
        valid = NAMES + ("inception", "none")
        if not isinstance(ext, str) or ext.strip().lower() not in valid:
            raise ValueError(f"eval.extractor must be one of {', '.join(valid)}, got {ext!r}")
    return config


# ----------------------------------------------------------------------------- configs
def get_config(name, scale="medium", overrides=None):
    """The configuration dict of experiment ``name`` at ``scale`` with dotted ``overrides`` applied.

    Parameters
    ----------
    name : str
        One of :func:`~vaegan_gluon.experiments.list_experiments` (not a sweep: see ``sweep_configs``).
    scale : {"quick", "first", "medium", "full"}
    overrides : dict, optional
        ``{"train.lr": 2e-4, "vae.n_latent": 8, "data.n_train": 100}``; bare training settings
        (``"lr"``) are accepted. Unknown names, keys or bad values raise ``ValueError`` listing what is valid.

    Returns
    -------
    dict
        The runner's configuration (see :mod:`vaegan_gluon.experiments.runner`) plus ``name``,
        ``description``, ``scale``, ``note`` (what the scale changed), ``notebook`` and, with
        overrides, ``overrides`` (resolved dotted keys).
    """
    name = ALIASES.get(name, name)     # an alias runs (and names) its canonical experiment
    e = experiment(name)
    check_scale(scale)
    config = copy.deepcopy(e["base"])
    config["name"] = name
    config["description"] = e["description"]
    config["vae"] = copy.deepcopy(e["vae"])
    config["disc"] = copy.deepcopy(e["disc"])
    config["train"] = {**config["train"], **copy.deepcopy(e["train"])}
    config["scale"] = scale
    config["notebook"] = e["notebook"]
    base = like(scale)       # first: medium's models and epochs, then its own (smaller) data
    scale_over = {**FAMILY_SCALES[e["family"]][base], **e["scales"].get(base, {})}
    if base != scale:
        own = dict(FAMILY_SCALES[e["family"]][scale])
        scale_over["note"] = own.pop("note") + (f"; medium: {scale_over['note']}" if scale_over.get("note") else "")
        scale_over.update(own)
    config["note"] = scale_over.pop("note", None)
    for key, value in scale_over.items():
        _set(config, resolve_key(key, config), value)
    if config.get("note") and scale != "full" and any(k.startswith(("vae.", "disc.")) for k in scale_over):
        shrunk = ", ".join(f"{k}={v}" for k, v in scale_over.items() if k.startswith(("vae.", "disc.")))
        config["note"] += f"; models narrowed: {shrunk}"
    validate_config(config)
    if overrides:
        resolved = {}
        for k, v in overrides.items():   # resolved against the config as the earlier overrides left it
            resolved[resolve_key(k, config)] = v
            _set(config, resolve_key(k, config), v)
        try:
            validate_config(config)
        except ValueError as err:   # a model's own check failed: name the overrides that fed it
            section = str(err).partition(":")[0]
            mine = {k: v for k, v in resolved.items() if k.startswith(section + ".") or k == section}
            if section in ("vae", "disc") and mine and not any(k in str(err) for k in mine):
                raise ValueError(f"{err} (from {', '.join(f'{k}={v!r}' for k, v in mine.items())})") from None
            raise
        config["overrides"] = resolved
    return config
