"""The experiment catalogue: every named run of the studies, as data (no code runs here).

``EXPERIMENTS`` maps a name to a :func:`.scales.exp` entry: a family base (data, train, eval), the
models (``vae``, ``disc``: a model name and its hyperparameters, or None), the study's training
settings (the ``full`` scale), per-scale dotted overrides, and the notebook that shows it.
``SWEEPS`` (:mod:`.sweeps`) vary one setting of an experiment. Adding an experiment is one entry here;
:mod:`vaegan_gluon.experiments.config` turns an entry into a validated configuration and
:mod:`vaegan_gluon.experiments.naming` names its results folder.

Files: :mod:`.study` (the original study and the attribute head), :mod:`.larsen`, :mod:`.aegan`,
:mod:`.stabilisers`, :mod:`.sweeps`; :mod:`.scales` holds the scales and the two data families.
"""
from . import aegan, larsen, stabilisers, study
from .scales import DEFAULT_CLI_SCALE, DEFAULT_NOTEBOOK_SCALE, FAMILY_SCALES, SCALES, like
from .sweeps import SWEEPS

ALIASES = dict(stabilisers.ALIASES)

EXPERIMENTS = {**study.EXPERIMENTS, **larsen.EXPERIMENTS, **aegan.EXPERIMENTS, **study.ATTRIBUTE_EXPERIMENTS,
               **stabilisers.EXPERIMENTS}
# the other studies' schemes (what registry_schemes held before the catalogue was split)
SCHEME_EXPERIMENTS = {k: v for k, v in EXPERIMENTS.items() if k not in study.EXPERIMENTS}
SCHEME_SWEEPS = {k: v for k, v in SWEEPS.items() if k == "sweep-larsen-lr-schedule"}

__all__ = ["EXPERIMENTS", "ALIASES", "SWEEPS", "SCALES", "DEFAULT_CLI_SCALE", "DEFAULT_NOTEBOOK_SCALE", "FAMILY_SCALES",
           "like", "SCHEME_EXPERIMENTS", "SCHEME_SWEEPS"]
