"""Notebook parameters, the papermill way.

Every notebook under ``notebooks/`` starts with a cell tagged ``parameters``::

    scale = os.environ.get("VAEGAN_SCALE", "medium")   # quick | medium | full
    ctx = "cpu"; data_path = None; seed = None; resume = False; tensorboard = None

and a cell that hands them to the package: ``use_parameters(scale, ctx, data_path, seed, resume,
tensorboard)``. So ``papermill NB OUT -p scale full -p ctx gpu:0`` runs any notebook with other
values (papermill inserts its values after the ``parameters`` cell), and ``VAEGAN_SCALE=quick`` (nbval,
CI) keeps working. :func:`use_parameters` sets ``VAEGAN_SCALE`` (read by ``default_scale()``) and
session defaults that :func:`~vaegan_gluon.experiments.run_experiment` (and so ``run_sweep``) applies
to every run the notebook starts without saying otherwise:

* ``ctx`` replaces the default ``"cpu"``; ``data_path`` a missing ``data_path``;
* ``seed`` (an int) sets ``train.seed`` unless the run's overrides set it;
* ``resume=True`` continues each run from its checkpoints (it wins over the notebooks' ``overwrite=True``);
* ``tensorboard`` (a folder) writes each run's TensorBoard logs to ``tensorboard/<run folder name>``.

Outside a notebook nothing changes until :func:`use_parameters` is called (:func:`clear` undoes it).
"""
import os

__all__ = ["use_parameters", "session_defaults", "clear", "SESSION"]

#: the values of the last :func:`use_parameters` call (empty: no notebook session)
SESSION = {}


def use_parameters(scale=None, ctx="cpu", data_path=None, seed=None, resume=False, tensorboard=None):
    """Apply a notebook's parameters; returns the scale (``quick`` / ``medium`` / ``full``)."""
    from .experiments import check_scale, default_scale
    from .utils import parse_ctx
    if scale is not None:
        os.environ["VAEGAN_SCALE"] = check_scale(str(scale).strip().lower())
    parse_ctx(ctx)   # a bad context fails here, in the parameters, not in the middle of a run
    if seed is not None and (isinstance(seed, bool) or int(seed) != seed):
        raise ValueError(f"seed must be an int or None, got {seed!r}")
    if data_path and not os.path.isdir(os.path.expanduser(str(data_path))):
        raise ValueError(f"data_path {data_path!r} is not a folder: give a folder of images, or None")
    SESSION.clear()
    SESSION.update(ctx=str(ctx), data_path=os.path.expanduser(str(data_path)) if data_path else None,
                   seed=None if seed is None else int(seed), resume=bool(resume),
                   tensorboard=str(tensorboard) if tensorboard else None)
    return default_scale()


def clear():
    SESSION.clear()


def session_defaults(ctx, data_path, resume, tensorboard, overrides):
    """``(ctx, data_path, resume, tensorboard, overrides, per_run_logdir)`` with the session's defaults in."""
    if not SESSION:
        return ctx, data_path, resume, tensorboard, overrides, False
    if ctx == "cpu":
        ctx = SESSION["ctx"]
    data_path = data_path or SESSION["data_path"]
    resume = resume or SESSION["resume"]
    per_run = False
    if not tensorboard and SESSION["tensorboard"]:
        tensorboard, per_run = SESSION["tensorboard"], True
    if SESSION["seed"] is not None:
        overrides = dict(overrides or {})
        overrides.setdefault("train.seed", SESSION["seed"])
    return ctx, data_path, resume, tensorboard, overrides, per_run
