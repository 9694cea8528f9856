"""Deprecated: the old home of the experiment registry, kept so that old imports keep working.

The registry was split (issue 13, item 6): the experiments as data in :mod:`.catalog`, the schema and
overrides in :mod:`.config` (+ :mod:`.schema`), the results-folder names in :mod:`.naming`, sweeps in
:mod:`.sweep`. Import from ``vaegan_gluon.experiments`` instead.
"""
from . import list_experiments, list_sweeps  # noqa: F401
from .catalog import DEFAULT_CLI_SCALE, DEFAULT_NOTEBOOK_SCALE, EXPERIMENTS, SCALES, SWEEPS  # noqa: F401
from .config import (SECTIONS, TOP_KEYS, _model_keys, apply_overrides, check_scale, default_scale,  # noqa: F401
                     get_config, parse_overrides, parse_value, resolve_key, valid_keys, validate_config)
from .naming import data_label, run_dir_for, run_name  # noqa: F401
from .sweep import get_sweep, sweep_configs, sweep_runs, sweep_values  # noqa: F401
