"""Make the faults campaign's old-checkpoint fixtures: a run folder written by an older version of the package.

    python -m benchmarks.faults_old_checkpoint 50f7d23^ 7f1e30f^     # what made benchmarks/faults_data/

For each commit: ``git archive`` of that commit into a scratch folder (the repository itself is not
touched: no worktree, no checkout), then that tree's own ``python -m vaegan_gluon run`` of
:data:`ARGV` (mnist-vae-logreg, tiny: 3 epochs of 64 images, an 8-unit VAE, a 4-unit discriminator)
with this venv's interpreter, killed (``os._exit``) right after its epoch-2 checkpoint was written:
the folder a run of that version leaves when it dies mid-run, its checkpoint to be resumed by today's
package. Kept: ``benchmarks/faults_data/old-<short commit>/`` holding the results folder and
``made.json`` (commit, date, command). ``part_data`` of :mod:`benchmarks.faults` copies it and runs
``--resume`` with today's package: it either finishes or stops with one line naming a file.

The commits: ``50f7d23^`` (2026-12-01) saves checkpoints without ``manifest.json`` and ``state.json``
without the networks it is for, optimiser states by parameter index; ``7f1e30f^`` (2026-12-02) has the
manifest and the networks digest but still names optimiser states by index (no block paths).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "benchmarks", "faults_data")
ARGV = ["run", "mnist-vae-logreg", "--scale", "quick", "--no-progress",
        "--set", "data.n_train=64", "--set", "data.n_val=16", "--set", "train.n_epochs=3",
        "--set", "train.batch_size=32", "--set", "vae.n_hidden_units=8", "--set", "vae.n_latent=4",
        "--set", "disc.n_hidden_units=4", "--set", "eval.n_samples=16"]
# run in the old tree: die (as kill -9 would) right after the epoch-2 checkpoint is written
DIE_AFTER_EPOCH_2 = """
import os, sys
from vaegan_gluon.train import checkpoint as ckpt
save = ckpt.save_checkpoint
def save_checkpoint(folder, epoch, *a, **k):
    out = save(folder, epoch, *a, **k)
    if epoch == 2:
        sys.stderr.flush(); os._exit(9)
    return out
ckpt.save_checkpoint = save_checkpoint
from vaegan_gluon.cli import main
sys.exit(main(sys.argv[1:]))
"""


def fixtures():
    """The committed fixtures: [(folder, made.json)]."""
    out = []
    for name in sorted(os.listdir(DATA)) if os.path.isdir(DATA) else []:
        made = os.path.join(DATA, name, "made.json")
        if name.startswith("old-") and os.path.exists(made):
            with open(made) as f:
                out.append((os.path.join(DATA, name), json.load(f)))
    return out


def make(commit):
    sha = subprocess.run(["git", "rev-parse", "--short", commit], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout.strip()
    date = subprocess.run(["git", "log", "-1", "--format=%cI", sha], cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout.strip()
    scratch = tempfile.mkdtemp(prefix="old-ckpt-")
    try:
        tree = os.path.join(scratch, "tree")
        os.makedirs(tree)
        archive = subprocess.run(["git", "archive", sha], cwd=ROOT, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", tree], input=archive, check=True)
        results = os.path.join(scratch, "results")
        env = dict(os.environ, VAEGAN_CACHE=os.environ.get("VAEGAN_CACHE", os.path.join(scratch, "cache")),
                   PYTHONPATH=tree, OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"))
        p = subprocess.run([sys.executable, "-c", DIE_AFTER_EPOCH_2] + ARGV + ["--results", results],
                           cwd=tree, env=env, capture_output=True, text=True)
        if p.returncode != 9:
            raise SystemExit(f"{commit}: the old run did not die after epoch 2 (exit {p.returncode}): "
                             f"{p.stderr[-2000:]}")
        dest = os.path.join(DATA, f"old-{sha}")
        shutil.rmtree(dest, ignore_errors=True)
        shutil.copytree(results, os.path.join(dest, "results"))
        for lock in __import__("glob").glob(os.path.join(dest, "results", "**", ".vaegan.lock"), recursive=True):
            os.unlink(lock)   # the dead run's lock (host and pid of the machine that made it)
        with open(os.path.join(dest, "made.json"), "w") as f:
            json.dump({"commit": sha, "asked": commit, "date": date, "argv": ARGV,
                       "how": "git archive of the commit; its own `python -m vaegan_gluon` with ARGV, "
                              "os._exit(9) right after the epoch-2 checkpoint (benchmarks/faults_old_checkpoint.py)"},
                      f, indent=1)
        print(f"{commit} -> {dest}")
        return dest
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    for c in sys.argv[1:] or ["50f7d23^", "7f1e30f^"]:
        make(c)
