"""The lessons' training step, written in the page, checked against the package's.

Each notebook builds one training step from plain Gluon (two ``gluon.Trainer`` Adams, ``autograd.record``,
``backward``, ``step``) and then calls :func:`check_step`: it builds the experiment's networks twice from the
same seed, gives both the same batch and the same random draws, runs the page's step on one copy and the
package's teaching step (``train.fast`` off: the code :func:`~.notebook_settings.show_training_step` prints)
on the other, and prints how far every network's parameters ended apart. The page's step only has to run the
networks in the package's order (the VAE once, D on the real batch, D on the detached reconstructions, D on the
reconstructions again for the VAE's half), so that the reparameterisation noise is drawn alike.
"""
import copy
from dataclasses import dataclass

import numpy as np
from mxnet import gluon, nd

from ..train import TrainConfig, Trainer
from ..utils import seed_everything
from .config import default_scale, get_config
from .runner import build_models, load_data

__all__ = ["StepKit", "step_kit", "check_step", "knobs", "what_runs"]

#: the hyperparameter cell's names -> the settings they set (the knobs a lesson's reader turns)
KNOBS = {"disc_weight": "train.disc_weight", "pbp_weight": "train.pbp_weight", "lr": "train.lr",
         "disc_lr": "train.disc_lr", "n_epochs": "train.n_epochs", "n_solo_epochs": "train.n_solo_epochs",
         "batch_size": "train.batch_size", "pbp_decay": "train.pbp_decay", "seed": "train.seed",
         "gamma": "train.extra.gamma", "equilibrium_margin": "train.extra.equilibrium_margin",
         "kl_weight": "train.extra.kl_weight"}


@dataclass
class StepKit:
    """What a step written in the page needs: the networks, their Adams, one batch ``x`` and the weights of
    the loss terms at the first combo epoch (``pbp_weight``, ``disc_weight``) of the experiment's run."""
    vae: object
    disc: object
    vae_trainer: gluon.Trainer
    disc_trainer: gluon.Trainer
    x: nd.NDArray
    pbp_weight: float
    disc_weight: float
    config: TrainConfig


def _teaching_config(cfg, batch_size):
    tcfg = dict(cfg.get("train", {}))
    tcfg.update(fast=False, n_epochs=max(int(tcfg.get("n_solo_epochs", 0)) + 1, int(tcfg.get("n_epochs", 1))))
    if batch_size:
        tcfg["batch_size"] = batch_size
    return TrainConfig.from_dict(tcfg)


def _trainer(cfg, tcfg, image_shape):
    vae, disc = build_models(cfg, image_shape)
    t = Trainer(vae, disc, tcfg, progress=False)
    t._prepare()   # initialised, hybridized and run once exactly as a run's first epoch finds them
    return t


def _batch(cfg, n):
    train, _ = load_data(cfg)
    return nd.array(np.asarray(train.images[:n], dtype="float32")), train.image_shape


def step_kit(name, scale=None, batch_size=16, overrides=None):
    """A :class:`StepKit` for experiment ``name`` at ``scale``: networks initialised as the run initialises
    them, plain ``gluon.Trainer`` Adams with the run's ``lr``, ``disc_lr``, ``beta1``, ``beta2``, and the first
    ``batch_size`` training images."""
    cfg = get_config(name, scale or default_scale(), overrides)
    x, shape = _batch(cfg, batch_size)
    tcfg = _teaching_config(cfg, batch_size)
    t = _trainer(cfg, tcfg, shape)
    return _kit(t, tcfg, x)


def _kit(t, tcfg, x):
    def adam(net, lr):
        return gluon.Trainer(net.collect_params(), "adam",
                             {"learning_rate": lr, "beta1": tcfg.beta1, "beta2": tcfg.beta2})
    w = t.weights_for(tcfg.n_solo_epochs)
    return StepKit(t.vae, t.disc, adam(t.vae, tcfg.lr), adam(t.disc, tcfg.disc_lr or tcfg.lr) if t.disc else None,
                   x, w["pbp_weight"], w["disc_weight"], tcfg)


def _params(net, what="data"):
    """``{name: array}`` of ``net``'s trainable parameters (``what="grad"``: their gradients of the last
    backward), named without the instance prefix so two copies of one network line up."""
    if net is None:
        return {}
    return {k.split("_", 1)[-1]: getattr(p, what)().asnumpy().copy() for k, p in net.collect_params().items()
            if p.grad_req != "null"}   # trainable only: BatchNorm's running statistics are no optimiser's step


def check_step(name, my_step, scale=None, batch_size=16, overrides=None, phase=None, tol=1e-5, step_tol=0.05):
    """Run ``my_step(kit)`` (a :class:`StepKit`) and the package's teaching step of experiment ``name`` from
    the same weights, batch and random draws; print and return, per network, the largest difference of the
    gradients (relative to the largest gradient) and of the parameters after the step, and whether both are
    within ``tol`` (float rounding: the page may write a loss with other operators than the package). The
    gradients are the strict check: Adam's first step moves every parameter by about ``lr`` whatever the
    gradient's size, so a wrong weight on a loss term shows in them, hardly in the parameters; and where a
    gradient is near Adam's ``epsilon`` a rounding difference moves the update by a few per cent. So the
    parameters only have to agree to ``step_tol`` of the largest update (a wrong lr, a missing ``step`` or a
    step on the wrong network is off by a whole update). ``phase``: ``"combo"`` (the default with a
    discriminator) or ``"solo"`` (the default without one)."""
    cfg = get_config(name, scale or default_scale(), overrides)
    phase = phase or ("combo" if cfg.get("disc") else "solo")
    x, shape = _batch(cfg, batch_size)
    tcfg = _teaching_config(cfg, batch_size)
    ours, theirs = _trainer(cfg, tcfg, shape), _trainer(cfg, copy.deepcopy(tcfg), shape)
    before = {"vae": _params(ours.vae), "disc": _params(ours.disc)}
    seed_everything(0)
    my_step(_kit(ours, tcfg, x.copy()))
    seed_everything(0)
    epoch = tcfg.n_solo_epochs if phase == "combo" else 0
    theirs.scheme.step({"x": [x.copy()], "attributes": None}, phase, theirs.weights_for(epoch))
    nd.waitall()
    out = {}
    for net in ("vae", "disc"):
        a, b = _params(getattr(ours, net)), _params(getattr(theirs, net))
        if not a:
            continue
        ga, gb = _params(getattr(ours, net), "grad"), _params(getattr(theirs, net), "grad")
        scale_g = max(float(np.abs(g).max()) for g in gb.values()) or 1.0
        out[net] = {"gradient_difference": max(float(np.abs(ga[k] - gb[k]).max()) for k in gb) / scale_g,
                    "parameter_difference": max(float(np.abs(a[k] - b[k]).max()) for k in a),
                    "largest_update": max(float(np.abs(a[k] - before[net][k]).max()) for k in a)}
    ok = all(v["gradient_difference"] <= tol and v["parameter_difference"] <= max(tol, step_tol * v["largest_update"])
             for v in out.values())
    for net, v in out.items():
        print(f"{net}: gradients differ by at most {v['gradient_difference']:.2g} of the largest, parameters "
              f"by {v['parameter_difference']:.2g} after a step of up to {v['largest_update']:.2g}")
    print("the same step" if ok else f"NOT the same step (gradients to {tol:g} of the largest, parameters to "
                                     f"{step_tol:g} of the largest update)")
    return {"same": ok, **out}


def knobs(**values):
    """The ``overrides`` of a lesson's runs from its hyperparameter cell: ``knobs(disc_weight=10, n_epochs=None)``
    -> ``{"train.disc_weight": 10}``; ``None`` keeps the scale's value. An unknown name is an error naming the
    known ones."""
    unknown = sorted(set(values) - set(KNOBS))
    if unknown:
        raise ValueError(f"unknown hyperparameter(s) {unknown}; the cell's knobs are {sorted(KNOBS)}")
    return {KNOBS[k]: v for k, v in values.items() if v is not None}


def _model_name(section):
    s = dict(section)
    name = s.pop("model")
    args = ", ".join(f"{k}={v}" for k, v in s.items() if not isinstance(v, (dict, list)) and v is not None)
    return f"{name}({args})"


def what_runs(names, scale=None, overrides=None):
    """One line per experiment of ``names``: its models, epochs (solo + combo), batch, disc and PBP weights and
    training images as the runs at ``scale`` with ``overrides`` have them, so a heading never claims the
    study's settings for a narrowed run. Returns the lines."""
    scale = scale or default_scale()
    lines = []
    for name in names:
        cfg = get_config(name, scale, overrides)
        t, d = cfg.get("train", {}), cfg.get("data", {})
        models = _model_name(cfg["vae"]) + (f" + {_model_name(cfg['disc'])}" if cfg.get("disc") else "")
        n, solo = int(t.get("n_epochs", 0)), int(t.get("n_solo_epochs", 0))
        epochs = f"{solo} solo + {n - solo} combo epochs" if cfg.get("disc") else f"{n} epochs"
        scheme = t.get("scheme", "learnable_loss")
        if not cfg.get("disc"):
            weights = ""
        elif scheme == "learnable_loss":
            weights = f", disc_weight {t.get('disc_weight')}, pbp_weight {t.get('pbp_weight', 1.0)}"
        else:
            extra = ", ".join(f"{k} {v}" for k, v in sorted((t.get("extra") or {}).items()))
            weights = f", scheme {scheme}" + (f" ({extra})" if extra else "")
        images = d.get("n_train")
        lines.append(f"{name} at {scale}: {models}; {epochs}, batch {t.get('batch_size')}{weights}; data "
                     f"{d.get('source')}" + (f" ({images:,} training images)" if isinstance(images, int) else ""))
    print("\n".join(lines))
    return lines
