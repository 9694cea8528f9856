"""Named experiments of the study, run by name at a scale; sweeps over one hyperparameter.

>>> from vaegan_gluon.experiments import list_experiments, get_config, run_experiment, run_sweep
>>> result = run_experiment("mnist-vae-logreg", scale="quick")          # -> RunResult
>>> summary, plot = run_sweep("sweep-disc-weight", scale="quick")        # -> (DataFrame, png path)

Where things live:

- :mod:`.catalog` -- the experiments and sweeps as data (study, larsen, aegan, stabilisers, sweeps);
- :mod:`.config` -- a catalogue entry at a scale, dotted overrides and their validation
  (:mod:`.schema`: the training settings' schema read from TrainConfig);
- :mod:`.naming` -- the results folder's name (:func:`run_dir_for`), from validated settings only;
- :mod:`.runner` -- one run end to end (:func:`run_experiment`), :mod:`.pictures` -- its final pictures,
  :mod:`.rescore` -- a finished folder re-scored (``vaegan evaluate``), :mod:`.sweep` -- sweeps;
- :mod:`.tables` -- results folders read back as tables, :mod:`.notebook` -- :func:`show_run` and
  :func:`show_sweep` for the notebooks.
"""
from .catalog import ALIASES, DEFAULT_CLI_SCALE, DEFAULT_NOTEBOOK_SCALE, EXPERIMENTS, SCALES, SWEEPS
from .config import (apply_overrides, check_scale, default_scale, get_config, parse_overrides, parse_value,
                     resolve_key, valid_keys, validate_config)
from .naming import run_dir_for, run_name
from .notebook_figures import NOTEBOOK_PNG_MAX_BYTES, RUN_PICTURES, compact_picture, show_run, show_sweep
from .runner import RunResult, load_run, reproduce_command, run, run_experiment
from .sweep import run_sweep, sweep_configs, sweep_runs
from .tables import METRIC_COLUMNS, metrics_table, results_markdown

__all__ = ["list_experiments", "list_sweeps", "get_config", "run_experiment", "run_sweep", "run_dir_for",
           "run_name", "parse_overrides", "parse_value", "load_run", "show_run", "show_sweep", "metrics_table",
           "default_scale", "sweep_configs", "validate_config", "apply_overrides", "valid_keys", "reproduce_command",
           "EXPERIMENTS", "ALIASES", "SWEEPS", "SCALES", "DEFAULT_CLI_SCALE", "DEFAULT_NOTEBOOK_SCALE", "RunResult",
           "run",
           "METRIC_COLUMNS", "results_markdown", "compact_picture", "sweep_runs", "resolve_key", "check_scale",
           "RUN_PICTURES", "NOTEBOOK_PNG_MAX_BYTES"]


def list_experiments(include_sweeps=True):
    """``{name: one-line description}`` of every named experiment (and sweep)."""
    out = {name: e["description"] for name, e in EXPERIMENTS.items()}
    if include_sweeps:
        out.update({name: s["description"] for name, s in SWEEPS.items()})
    return out


def list_sweeps():
    """``{name: description}`` of the named sweeps."""
    return {name: s["description"] for name, s in SWEEPS.items()}
