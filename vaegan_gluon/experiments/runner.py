"""Run one experiment configuration end to end: data -> models -> Trainer -> results folder.

An experiment configuration is a plain JSON-able dict::

    {"name": "mnist-vae-logreg",
     "data": {"source": "mnist-5k", "options": {}, "n_train": None, "n_val": None},
     "vae":  {"model": "DenseVAE", "n_latent": 5, "n_hidden_layers": 3, "n_hidden_units": 400},
     "disc": {"model": "DenseLogReg", "n_hidden_layers": 1, "n_hidden_units": 200},   # or None
     "train": {...TrainConfig fields...},
     "eval": {"n_samples": 64}}

The named experiments of the studies live in :mod:`vaegan_gluon.experiments.registry`.
"""
import copy
import os
import time
from dataclasses import dataclass

from ..data import load
from ..models import get_model
from ..report import finalize
from ..train import EvolutionFrames, TrainConfig, Trainer


@dataclass
class RunResult:
    run_dir: str
    history: list
    metrics: dict      # None on distributed workers other than rank 0
    trainer: object


def load_data(config, data_path=None):
    """The (train, validation) ImageSets of a config; ``data_path`` swaps in the user's image folder."""
    d = config["data"]
    source, options = d["source"], dict(d.get("options") or {})
    if data_path:
        source = "image-folder"
        options = {k: v for k, v in options.items() if k in ("size", "mode")}
        options["path"] = data_path
    train = load(source, split="train", **options)
    val = load(source, split="test", **options)
    if d.get("n_train"):
        train = train.subset(int(d["n_train"]))
    if d.get("n_val"):
        val = val.subset(int(d["n_val"]))
    return train, val


def build_models(config, image_shape):
    vae_cfg = dict(config["vae"])
    vae = get_model(vae_cfg.pop("model"), image_shape=tuple(image_shape), **vae_cfg)
    disc = None
    if config.get("disc"):
        disc_cfg = dict(config["disc"])
        disc = get_model(disc_cfg.pop("model"), **disc_cfg)
    return vae, disc


def run(config, out_dir, ctx="cpu", resume=False, progress=True, callbacks=(), data_path=None, kvstore="device"):
    """Train and evaluate ``config``; write everything to ``out_dir``; return a :class:`RunResult`."""
    config = copy.deepcopy(config)
    t0 = time.time()
    train, val = load_data(config, data_path)
    config["data"]["provenance"] = {k: v for k, v in train.provenance.items()
                                    if isinstance(v, (str, int, float, bool)) or v is None}
    if data_path:
        config["data"]["note"] = f"user image folder {data_path}"
    elif config["data"]["source"] == "synthetic-faces":
        config["data"]["note"] = "synthetic-faces: generated stand-in for the anime faces (pass --data PATH for yours)"
    vae, disc = build_models(config, train.image_shape)
    tcfg = TrainConfig.from_dict(config.get("train", {}))
    cbs = list(callbacks) + [EvolutionFrames(val.images[:10])]
    trainer = Trainer(vae, disc, tcfg, ctx=ctx, out_dir=out_dir, run_config=config, callbacks=cbs,
                      progress=progress, kvstore=kvstore)
    history = trainer.fit(train, resume=resume)
    if not trainer.writer:   # a distributed worker other than rank 0: rank 0 evaluates and reports
        trainer.release()
        return RunResult(out_dir, history, None, trainer)
    eval_cfg = config.get("eval") or {}
    m = finalize(trainer, val, out_dir, n_samples=eval_cfg.get("n_samples", 64),
                 extra_metrics={"wall_seconds": round(time.time() - t0, 2), "n_train_images": len(train),
                                "workers": trainer.num_workers}, train=train)
    trainer.release()   # keep the networks for pictures, free optimiser states and gradients
    return RunResult(out_dir, history, m, trainer)
