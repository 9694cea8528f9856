"""Notebook parameters, the papermill way.

Every notebook under ``notebooks/`` starts with a cell tagged ``parameters``::

    scale = os.environ.get("VAEGAN_SCALE", "medium")   # quick | first | medium | full
    ctx = "cpu"; data_path = None; seed = None; resume = False; tensorboard = None

and a cell that turns them into the arguments of every run and prints where the outputs come from::

    RUN = use_parameters(scale, ctx, data_path, seed, resume, tensorboard)
    print_provenance();

(the git commit and the scale, so a committed notebook says which code produced it;
``tests/test_notebooks_commit.py`` checks that every committed notebook carries the same commit). So
``papermill NB OUT -p scale full -p ctx gpu:0`` runs any notebook with other values (papermill inserts its
values after the ``parameters`` cell), and ``VAEGAN_SCALE=quick`` (nbval, CI) keeps working.
:func:`use_parameters` checks the values, sets ``VAEGAN_SCALE`` (read by ``default_scale()``) and returns
``RUN``, the keyword arguments every ``run_experiment(..., **RUN)`` / ``run_sweep(..., **RUN)`` of the
notebook passes explicitly (nothing is kept in a module: the runner sees only its arguments):

* ``ctx``, ``data_path``, ``resume`` (True continues each run from its checkpoints; it wins over
  ``overwrite=True``);
* ``seed`` (an int) sets ``train.seed`` unless the run's overrides set it;
* ``tensorboard`` (a folder) with ``tensorboard_per_run``: each run logs to ``tensorboard/<run folder name>``.
"""
import json
import os
import subprocess

from ..utils import parse_ctx
from .config import check_scale, default_scale

__all__ = ["use_parameters", "git_commit", "print_provenance", "strip_injected_parameters"]


def use_parameters(scale=None, ctx="cpu", data_path=None, seed=None, resume=False, tensorboard=None):
    """Check a notebook's parameters and set ``VAEGAN_SCALE``; returns the keyword arguments of its runs."""
    if scale is not None:
        os.environ["VAEGAN_SCALE"] = check_scale(str(scale).strip().lower())
    parse_ctx(ctx)   # a bad context fails here, in the parameters, not in the middle of a run
    if seed is not None and (isinstance(seed, bool) or int(seed) != seed):
        raise ValueError(f"seed must be an int or None, got {seed!r}")
    if data_path and not os.path.isdir(os.path.expanduser(str(data_path))):
        raise ValueError(f"data_path {data_path!r} is not a folder: give a folder of images, or None")
    return {"ctx": str(ctx), "data_path": os.path.expanduser(str(data_path)) if data_path else None,
            "seed": None if seed is None else int(seed), "resume": bool(resume),
            "tensorboard": str(tensorboard) if tensorboard else None, "tensorboard_per_run": bool(tensorboard)}


# --------------------------------------------------------------------------- provenance
#: the folders whose uncommitted changes make a notebook's outputs "+dirty"
DIRTY_PATHS = ("vaegan_gluon", "notebooks")
PROVENANCE_PREFIX = "commit: "


def _git(args, cwd):
    try:
        out = subprocess.run(["git"] + list(args), cwd=cwd, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout if out.returncode == 0 else None


def _notebook_sources(text):
    """The cell sources of a notebook's JSON text, without papermill's injected-parameters cell (a
    re-executed notebook differs from its commit in outputs and metadata, which are not code)."""
    try:
        nb = json.loads(text)
    except ValueError:
        return None
    cells = []
    for c in nb.get("cells", []):
        if "injected-parameters" in c.get("metadata", {}).get("tags", []):
            continue
        src = c.get("source", "")
        cells.append((c.get("cell_type"), "".join(src) if isinstance(src, list) else src))
    return cells


def _dirty(root, paths=DIRTY_PATHS):
    """True when ``paths`` hold uncommitted changes of code: any changed or untracked file under them,
    except a notebook whose cell sources equal the committed ones (only its outputs changed)."""
    status = _git(["status", "--porcelain", "--untracked-files=all", "--"] + list(paths), root)
    if status is None:
        return False
    for line in status.splitlines():
        path = line[3:].strip().strip('"')
        if " -> " in path:
            path = path.split(" -> ", 1)[1]
        if path.endswith(".ipynb") and line[:2].strip() in ("M", "MM", "AM"):
            committed = _git(["show", f"HEAD:{path}"], root)
            try:
                with open(os.path.join(root, path), encoding="utf-8") as f:
                    current = f.read()
            except OSError:
                return True
            if committed is not None and _notebook_sources(committed) == _notebook_sources(current):
                continue
        if path.endswith((".pyc", ".ipynb_checkpoints")) or "__pycache__" in path or ".ipynb_checkpoints" in path:
            continue
        return True
    return False


def git_commit(path=None):
    """The short git commit of the checkout holding this package, ``+dirty`` when code under
    ``vaegan_gluon/`` or ``notebooks/`` is uncommitted (a notebook whose outputs alone changed is not
    dirty); None outside git."""
    here = path or os.path.dirname(os.path.abspath(__file__))
    top = _git(["rev-parse", "--show-toplevel"], here)
    head = _git(["rev-parse", "--short", "HEAD"], here)
    if not top or not head:
        return None
    return head.strip() + ("+dirty" if _dirty(top.strip()) else "")


def print_provenance(scale=None):
    """Print ``commit: <short hash>[+dirty]  scale: <scale>`` (the first line every notebook prints);
    returns ``(commit, scale)``."""
    scale = scale or default_scale()
    commit = git_commit()
    print(f"{PROVENANCE_PREFIX}{commit or 'unknown (not a git checkout)'}  scale: {scale}")
    return commit, scale


def strip_injected_parameters(path):
    """Remove papermill's ``injected-parameters`` cell from an executed notebook (the outputs of the
    other cells stay). ``make notebooks`` does this: the committed notebook keeps its own defaults, so
    nbval's ``VAEGAN_SCALE=quick`` still applies (an injected ``scale = "medium"`` would run CI at medium);
    the first output line still says which scale the outputs come from. Returns the number removed."""
    import nbformat
    nb = nbformat.read(path, as_version=4)
    keep = [c for c in nb.cells if "injected-parameters" not in c.metadata.get("tags", [])]
    removed = len(nb.cells) - len(keep)
    if removed:
        nb.cells = keep
        nbformat.write(nb, path)
    return removed


if __name__ == "__main__":   # python -m vaegan_gluon.experiments.notebook_params --strip-injected NB.ipynb ...
    import sys
    if len(sys.argv) < 3 or sys.argv[1] != "--strip-injected":
        sys.exit("usage: python -m vaegan_gluon.experiments.notebook_params --strip-injected NOTEBOOK.ipynb ...")
    for p in sys.argv[2:]:
        print(f"{p}: removed {strip_injected_parameters(p)} injected-parameters cell(s)")
