"""Regenerate tests/data/run_dir_names.json: every experiment's and every sweep run's results folder at
every scale, plus override cases the README and the tests use. The pin test (tests/test_experiments.py)
compares the current code with it, so a refactor cannot rename existing results folders silently.

    python tests/make_run_dir_names.py      # only when a rename is intended (say so in the commit)
"""
import copy
import json
import os

from vaegan_gluon.experiments import EXPERIMENTS, SCALES, SWEEPS, get_config, run_dir_for, sweep_configs

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "run_dir_names.json")
# (experiment, scale, overrides): commands of the README and the tests
OVERRIDE_CASES = [
    ("mnist-vae-logreg", "quick", {"data.n_train": 512}),
    ("mnist-vae-logreg", "quick", {"train.lr": 2e-4, "vae.n_latent": 8}),
    ("mnist-vae-logreg", "medium", {"train.n_epochs": 5}),
    ("mnist-vae-logreg", "quick", {"train.lr": 2e-4, "vae.n_latent": 8, "data.n_train": 100, "disc_weight": 3}),
    ("mnist-vae-logreg", "quick", {"disc": None}),
    ("mnist-vae-logreg", "quick", {"train.hybridize": False, "train.seed": 3}),
    ("anime-conv-vae", "quick", {"disc.model": "ResNetDisc"}),
    ("anime-conv-vae", "quick", {"data.size": 48}),
    ("anime-conv-vae-resnet", "medium", {"train.disc_weight": 1}),
    ("anime-conv-vae-resnet", "medium", {"train.pbp_decay": 0.95}),
    ("mnist-larsen-vaegan", "medium", {"train.n_epochs": 3, "train.n_solo_epochs": 1}),
    ("mnist-larsen-vaegan", "quick", {"train.extra.gamma": 1e-6}),
    ("faces-conv-vae-convdisc-attr", "quick", {"train.extra.attribute_vae_weight": 1}),
    ("mnist-vae-bce", "quick", {"train.lr_schedule": {"kind": "step", "step": 2, "factor": 0.5}}),
    ("mnist-vae-bce", "quick", {"eval.n_samples": 16}),
]


def fresh(fn):
    """``fn()`` as in a fresh process: the registry before the split let get_config write a scale's
    override into the catalogue's own train.extra dict, so one call's name depended on earlier calls."""
    saved = copy.deepcopy(EXPERIMENTS)
    try:
        return fn()
    finally:
        EXPERIMENTS.clear()
        EXPERIMENTS.update(saved)


def names():
    out = {"experiments": {}, "sweeps": {}, "overrides": []}
    for name in EXPERIMENTS:
        out["experiments"][name] = {s: fresh(lambda: run_dir_for(get_config(name, s))) for s in SCALES}
    for name in SWEEPS:
        out["sweeps"][name] = {s: fresh(lambda: [[label, run_dir_for(c)] for label, c in sweep_configs(name, s)])
                               for s in SCALES}
    for name, scale, over in OVERRIDE_CASES:
        out["overrides"].append([name, scale, over, fresh(lambda: run_dir_for(get_config(name, scale, over)))])
    return out


if __name__ == "__main__":
    with open(OUT, "w") as f:
        json.dump(names(), f, indent=1)
        f.write("\n")
    print(OUT)
